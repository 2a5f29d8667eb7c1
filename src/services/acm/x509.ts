/**
 * Reading certificates with Node's own X509Certificate (no ASN.1 by hand): the names, dates,
 * key algorithm and serial that DescribeCertificate reports, and whether a private key matches.
 */
import { type KeyObject, X509Certificate, createPrivateKey } from "node:crypto";

export interface CertificateFacts {
  readonly subject: string;
  readonly commonName: string | undefined;
  /** DNS subject alternative names, in order. */
  readonly dnsNames: readonly string[];
  readonly issuer: string;
  readonly notBefore: number;
  readonly notAfter: number;
  /** Colon-separated lower-case hex pairs, as ACM prints serials. */
  readonly serial: string;
  /** ACM's name: RSA_2048, EC_prime256v1, … */
  readonly keyAlgorithm: string;
  /** ACM's spelling: SHA256WITHRSA, SHA256WITHECDSA, … */
  readonly signatureAlgorithm: string;
  readonly isCa: boolean;
  readonly x509: X509Certificate;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** The PEM certificate blocks in `text`. */
export function pemCertificates(text: string): string[] {
  return text.match(PEM_CERT) ?? [];
}

function rdn(dn: string, key: string): string | undefined {
  for (const line of dn.split("\n")) if (line.startsWith(`${key}=`)) return line.slice(key.length + 1);
  return undefined;
}

const CURVES: Record<string, string> = { prime256v1: "EC_prime256v1", secp384r1: "EC_secp384r1", secp521r1: "EC_secp521r1", "P-256": "EC_prime256v1", "P-384": "EC_secp384r1", "P-521": "EC_secp521r1" };

export function keyAlgorithmOf(key: KeyObject): string {
  const d = key.asymmetricKeyDetails ?? {};
  if (key.asymmetricKeyType === "rsa") return `RSA_${d.modulusLength ?? 2048}`;
  if (key.asymmetricKeyType === "ec") return CURVES[d.namedCurve ?? ""] ?? `EC_${d.namedCurve}`;
  return String(key.asymmetricKeyType).toUpperCase();
}

function signatureName(algorithm: string | undefined): string {
  const a = (algorithm ?? "").toLowerCase();
  const hash = /sha(\d+)/.exec(a)?.[1];
  if (a.includes("ecdsa")) return `SHA${hash ?? "256"}WITHECDSA`;
  if (a.includes("rsa")) return `SHA${hash ?? "256"}WITHRSA`;
  return (algorithm ?? "").toUpperCase();
}

/** Facts of one PEM certificate; throws when it does not parse. */
export function inspect(pem: string): CertificateFacts {
  const x509 = new X509Certificate(pem);
  const dnsNames = (x509.subjectAltName ?? "")
    .split(", ")
    .filter((n) => n.startsWith("DNS:"))
    .map((n) => n.slice(4));
  const issuerDn = x509.issuer;
  return {
    subject: x509.subject.split("\n").join(","),
    commonName: rdn(x509.subject, "CN"),
    dnsNames,
    issuer: rdn(issuerDn, "O") ?? rdn(issuerDn, "CN") ?? issuerDn.split("\n").join(","),
    notBefore: x509.validFromDate.getTime(),
    notAfter: x509.validToDate.getTime(),
    serial: (x509.serialNumber.length % 2 ? `0${x509.serialNumber}` : x509.serialNumber).toLowerCase().replace(/(..)(?!$)/g, "$1:"),
    keyAlgorithm: keyAlgorithmOf(x509.publicKey),
    signatureAlgorithm: signatureName(x509.signatureAlgorithm),
    isCa: x509.ca,
    x509,
  };
}

/** The private key, when `pem` is an unencrypted PEM private key; undefined otherwise. */
export function readPrivateKey(pem: string): KeyObject | undefined {
  if (!/-----BEGIN (RSA |EC )?PRIVATE KEY-----/.test(pem)) return undefined;
  try {
    return createPrivateKey({ key: pem, format: "pem" });
  } catch {
    return undefined;
  }
}

/** The names a certificate covers for TLS: its DNS SANs, else its common name; lower case. */
export function coveredNames(facts: CertificateFacts): string[] {
  const names = facts.dnsNames.length > 0 ? facts.dnsNames : facts.commonName ? [facts.commonName] : [];
  return names.map((n) => n.toLowerCase());
}
