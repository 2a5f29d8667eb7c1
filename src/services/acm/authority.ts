/**
 * The local certificate authority that issues RequestCertificate's certificates: one per data
 * directory, created on first use, its root certificate in `<data-dir>/acm/ca.pem` (public: export it
 * with `slipway ca` or GET /_slipway/ca.pem, and trust it with `curl --cacert`, the OS store or a
 * browser) and its private key sealed in `<data-dir>/acm/ca-key.sealed` (keystore.ts).
 *
 * X.509 is built with @peculiar/x509 over WebCrypto (no ASN.1 written here), loaded only when a
 * certificate is first issued. The root is an ECDSA P-256 key valid ten years, limited to issuing
 * end-entity certificates (path length 0); issued certificates carry the requested names as DNS
 * subject alternative names, serverAuth and clientAuth usages, and ACM's 395-day validity.
 */
import { webcrypto } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Clock } from "../../core/clock.ts";
import type { IdGen } from "../../core/ids.ts";
import type { KeyStore } from "./keystore.ts";

const DAY = 86_400_000;
/** ACM's public certificates are valid 395 days (13 months). */
export const ISSUED_VALIDITY_MS = 395 * DAY;
const ROOT_VALIDITY_MS = 3650 * DAY;
const CA_KEY_LABEL = "slipway local CA";

type X509 = typeof import("@peculiar/x509");

let x509Module: Promise<X509> | undefined;
async function loadX509(): Promise<X509> {
  x509Module ??= (async () => {
    await import("reflect-metadata");
    const x = await import("@peculiar/x509");
    x.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x.cryptoProvider.set>[0]);
    return x;
  })();
  return x509Module;
}

export interface Issued {
  readonly certificatePem: string;
  /** The chain up to (and including) the local root. */
  readonly chainPem: string;
  readonly privateKeyPem: string;
}

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

const ALGORITHMS: Record<string, { gen: webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams; sign: webcrypto.RsaHashedImportParams | webcrypto.EcdsaParams }> = {
  RSA_2048: {
    gen: { name: "RSASSA-PKCS1-v1_5", modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" },
    sign: { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" },
  },
  EC_prime256v1: { gen: { name: "ECDSA", namedCurve: "P-256" }, sign: { name: "ECDSA", hash: "SHA-256" } },
  EC_secp384r1: { gen: { name: "ECDSA", namedCurve: "P-384" }, sign: { name: "ECDSA", hash: "SHA-384" } },
};

export const ISSUABLE_KEY_ALGORITHMS = Object.keys(ALGORITHMS);

const pem = (label: string, der: ArrayBuffer) => `-----BEGIN ${label}-----\n${Buffer.from(der).toString("base64").replace(/(.{64})/g, "$1\n").trimEnd()}\n-----END ${label}-----\n`;

export class LocalAuthority {
  readonly #dir: string;
  readonly #keys: KeyStore;
  readonly #clock: Clock;
  readonly #ids: IdGen;
  #root: Promise<{ pem: string; cert: import("@peculiar/x509").X509Certificate; key: CryptoKey }> | undefined;

  /** `dir`: `<data-dir>/acm`. */
  constructor(dir: string, keys: KeyStore, clock: Clock, ids: IdGen) {
    this.#dir = dir;
    this.#keys = keys;
    this.#clock = clock;
    this.#ids = ids;
  }

  get rootPath(): string {
    return join(this.#dir, "ca.pem");
  }

  /** The root certificate, PEM (creating the authority on first use). */
  async rootPem(): Promise<string> {
    return (await this.#loadRoot()).pem;
  }

  /** Issues a certificate for `names` (the first is the subject's common name). */
  async issue(names: readonly string[], keyAlgorithm: string): Promise<Issued> {
    const x = await loadX509();
    const root = await this.#loadRoot();
    const alg = ALGORITHMS[keyAlgorithm];
    if (!alg) throw new Error(`cannot issue ${keyAlgorithm} keys`);
    const keys = (await webcrypto.subtle.generateKey(alg.gen, true, ["sign", "verify"])) as CryptoKeyPair;
    const now = this.#clock.now();
    const cert = await x.X509CertificateGenerator.create({
      serialNumber: `01${this.#ids.hex(15)}`,
      subject: `CN=${names[0]}`,
      issuer: root.cert.subject,
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + ISSUED_VALIDITY_MS),
      signingKey: root.key,
      publicKey: keys.publicKey,
      signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
      extensions: [
        new x.BasicConstraintsExtension(false, undefined, true),
        new x.KeyUsagesExtension(x.KeyUsageFlags.digitalSignature | (keyAlgorithm.startsWith("RSA") ? x.KeyUsageFlags.keyEncipherment : 0), true),
        new x.ExtendedKeyUsageExtension([x.ExtendedKeyUsage.serverAuth, x.ExtendedKeyUsage.clientAuth]),
        new x.SubjectAlternativeNameExtension(names.map((value) => ({ type: "dns" as const, value }))),
        await x.SubjectKeyIdentifierExtension.create(keys.publicKey),
        await x.AuthorityKeyIdentifierExtension.create(root.cert),
      ],
    });
    const pkcs8 = await webcrypto.subtle.exportKey("pkcs8", keys.privateKey);
    return { certificatePem: `${cert.toString("pem")}\n`, chainPem: root.pem, privateKeyPem: pem("PRIVATE KEY", pkcs8) };
  }

  #loadRoot() {
    this.#root ??= this.#openOrCreate().catch((err: unknown) => {
      this.#root = undefined;
      throw err;
    });
    return this.#root;
  }

  async #openOrCreate() {
    const x = await loadX509();
    const certPath = this.rootPath;
    const keyPath = join(this.#dir, "ca-key.sealed");
    const alg = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
    if (existsSync(certPath) && existsSync(keyPath)) {
      const certPem = readFileSync(certPath, "utf8");
      const pkcs8 = Buffer.from(this.#keys.open(readFileSync(keyPath), CA_KEY_LABEL), "base64");
      const key = await webcrypto.subtle.importKey("pkcs8", pkcs8, alg, false, ["sign"]);
      return { pem: certPem, cert: new x.X509Certificate(certPem), key };
    }
    mkdirSync(this.#dir, { recursive: true, mode: 0o700 });
    chmodSync(this.#dir, 0o700);
    const keys = (await webcrypto.subtle.generateKey(alg, true, ["sign", "verify"])) as CryptoKeyPair;
    const now = this.#clock.now();
    const id = this.#ids.hex(4);
    const cert = await x.X509CertificateGenerator.createSelfSigned({
      serialNumber: `01${this.#ids.hex(15)}`,
      name: `CN=Slipway Local CA ${id}, O=Slipway`,
      notBefore: new Date(now - DAY),
      notAfter: new Date(now + ROOT_VALIDITY_MS),
      keys,
      signingAlgorithm: alg,
      extensions: [
        new x.BasicConstraintsExtension(true, 0, true),
        new x.KeyUsagesExtension(x.KeyUsageFlags.keyCertSign | x.KeyUsageFlags.cRLSign, true),
        await x.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    const certPem = `${cert.toString("pem")}\n`;
    const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", keys.privateKey)).toString("base64");
    // Key first, then the certificate, each written whole: a crash leaves no root without its key.
    writeAtomically(keyPath, this.#keys.seal(pkcs8, CA_KEY_LABEL), 0o600);
    writeAtomically(certPath, certPem, 0o644);
    return { pem: certPem, cert, key: keys.privateKey };
  }
}

function writeAtomically(path: string, data: string | Buffer, mode: number): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, data, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, path);
}
