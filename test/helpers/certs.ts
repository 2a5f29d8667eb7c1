/** Test certificates made on the spot (self-signed or signed by a test CA), with @peculiar/x509. */
import "reflect-metadata";
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const DAY = 86_400_000;
const ALG = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };

export interface TestCert {
  readonly certificatePem: string;
  readonly privateKeyPem: string;
}

function pem(label: string, der: ArrayBuffer): string {
  return `-----BEGIN ${label}-----\n${Buffer.from(der).toString("base64").replace(/(.{64})/g, "$1\n").trimEnd()}\n-----END ${label}-----\n`;
}

/** A self-signed certificate for `names`, valid from `fromMs` for `days` days. */
export async function selfSigned(names: string[], o: { fromMs?: number; days?: number } = {}): Promise<TestCert> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
  const from = o.fromMs ?? Date.now() - DAY;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: "0102030405",
    name: `CN=${names[0]}`,
    notBefore: new Date(from),
    notAfter: new Date(from + (o.days ?? 30) * DAY),
    keys,
    signingAlgorithm: ALG,
    extensions: [new x509.SubjectAlternativeNameExtension(names.map((value) => ({ type: "dns" as const, value })))],
  });
  return { certificatePem: `${cert.toString("pem")}\n`, privateKeyPem: pem("PRIVATE KEY", await webcrypto.subtle.exportKey("pkcs8", keys.privateKey)) };
}
