/** All ACM SQL (tables from migration 50 in src/store/migrations.ts). */
import type { Scope } from "../../core/arn.ts";
import type { Store } from "../../store/store.ts";

/** What DescribeCertificate is built from, besides the columns. Times are epoch ms. */
export interface StoredCertificate {
  SubjectAlternativeNames: string[];
  KeyAlgorithm: string;
  SignatureAlgorithm: string;
  Serial: string;
  Subject: string;
  Issuer: string;
  NotBefore: number;
  NotAfter: number;
  /** Requested certificates: how ownership is validated, and the DNS records per domain. */
  ValidationMethod?: "DNS" | "EMAIL";
  ValidationRecords?: { DomainName: string; ValidationDomain: string; Name: string; Value: string }[];
  Options: { CertificateTransparencyLoggingPreference: string; Export: string };
  ImportedAt?: number;
  KeyUsages: string[];
  ExtendedKeyUsages: { Name: string; OID: string }[];
}

export interface CertificateRecord {
  readonly arn: string;
  readonly account: string;
  readonly region: string;
  readonly type: "IMPORTED" | "AMAZON_ISSUED";
  readonly domainName: string;
  readonly createdAt: number;
  readonly certificatePem: string | undefined;
  readonly chainPem: string | undefined;
  readonly privateKeySealed: Uint8Array | undefined;
  readonly doc: StoredCertificate;
  readonly idempotencyToken: string | undefined;
  /** When validation completes (requested certificates): ISSUED from then on. */
  readonly validatedAt: number | undefined;
}

interface Row {
  arn: string;
  account: string;
  region: string;
  type: string;
  domain_name: string;
  created_at: number;
  certificate_pem: string | null;
  chain_pem: string | null;
  private_key_sealed: Uint8Array | null;
  doc: string;
  idempotency_token: string | null;
  validated_at: number | null;
}

const COLUMNS = "arn, account, region, type, domain_name, created_at, certificate_pem, chain_pem, private_key_sealed, doc, idempotency_token, validated_at";

function record(r: Row | undefined): CertificateRecord | undefined {
  if (!r) return undefined;
  return {
    arn: r.arn,
    account: r.account,
    region: r.region,
    type: r.type as CertificateRecord["type"],
    domainName: r.domain_name,
    createdAt: r.created_at,
    certificatePem: r.certificate_pem ?? undefined,
    chainPem: r.chain_pem ?? undefined,
    privateKeySealed: r.private_key_sealed ?? undefined,
    doc: JSON.parse(r.doc) as StoredCertificate,
    idempotencyToken: r.idempotency_token ?? undefined,
    validatedAt: r.validated_at ?? undefined,
  };
}

export class AcmRepo {
  readonly #store: Store;
  constructor(store: Store) {
    this.#store = store;
  }

  get(arn: string): CertificateRecord | undefined {
    return record(this.#store.prepare(`SELECT ${COLUMNS} FROM acm_certificates WHERE arn = ?`).get(arn) as Row | undefined);
  }

  list(scope: Scope): CertificateRecord[] {
    const rows = this.#store.prepare(`SELECT ${COLUMNS} FROM acm_certificates WHERE account = ? AND region = ? ORDER BY created_at, arn`).all(scope.accountId, scope.region) as unknown as Row[];
    return rows.map((r) => record(r)!);
  }

  byIdempotencyToken(scope: Scope, token: string, since: number): CertificateRecord | undefined {
    return record(
      this.#store
        .prepare(`SELECT ${COLUMNS} FROM acm_certificates WHERE account = ? AND region = ? AND idempotency_token = ? AND created_at >= ? ORDER BY created_at DESC LIMIT 1`)
        .get(scope.accountId, scope.region, token, since) as Row | undefined,
    );
  }

  put(rec: CertificateRecord): void {
    this.#store
      .prepare(
        `INSERT INTO acm_certificates (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (arn) DO UPDATE SET domain_name = excluded.domain_name, certificate_pem = excluded.certificate_pem,
           chain_pem = excluded.chain_pem, private_key_sealed = excluded.private_key_sealed, doc = excluded.doc,
           validated_at = excluded.validated_at`,
      )
      .run(
        rec.arn,
        rec.account,
        rec.region,
        rec.type,
        rec.domainName,
        rec.createdAt,
        rec.certificatePem ?? null,
        rec.chainPem ?? null,
        rec.privateKeySealed ?? null,
        JSON.stringify(rec.doc),
        rec.idempotencyToken ?? null,
        rec.validatedAt ?? null,
      );
    // Listeners serving this certificate pick up the new material with the next routing table.
    this.#store.changed(`elbv2:certificate:${rec.arn}`);
  }

  delete(arn: string): void {
    this.#store.prepare("DELETE FROM acm_certificates WHERE arn = ?").run(arn);
    this.#store.changed(`elbv2:certificate:${arn}`);
  }

  daysBeforeExpiry(scope: Scope): number | undefined {
    const r = this.#store.prepare("SELECT days_before_expiry FROM acm_account_configuration WHERE account = ? AND region = ?").get(scope.accountId, scope.region) as
      | { days_before_expiry: number }
      | undefined;
    return r?.days_before_expiry;
  }

  setDaysBeforeExpiry(scope: Scope, days: number): void {
    this.#store
      .prepare(
        `INSERT INTO acm_account_configuration (account, region, days_before_expiry) VALUES (?, ?, ?)
         ON CONFLICT (account, region) DO UPDATE SET days_before_expiry = excluded.days_before_expiry`,
      )
      .run(scope.accountId, scope.region, days);
  }
}
