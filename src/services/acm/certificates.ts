/**
 * ACM certificates: imported ones (your certificate, chain and key) and requested ones (issued by
 * the data directory's local CA, authority.ts). Behaviour follows the ACM API reference
 * (https://docs.aws.amazon.com/acm/latest/APIReference/) and user guide
 * (https://docs.aws.amazon.com/acm/latest/userguide/):
 *
 * - A requested certificate is PENDING_VALIDATION at first, with the DNS records (or e-mail
 *   addresses) ACM would ask you to prove ownership with, then ISSUED. Slipway has no Route 53 and
 *   sends no e-mail: validation succeeds by itself VALIDATION_DELAY_MS after the request, whether or
 *   not the records exist anywhere. Terraform's aws_acm_certificate_validation waits for ISSUED and
 *   checks `validation_record_fqdns` against the records, so it works unchanged.
 * - An imported certificate must parse, be valid now, hold one certificate, and match its private
 *   key; re-importing to an existing ARN replaces it (listeners serve the new one).
 * - A certificate is EXPIRED once its NotAfter has passed.
 * - DeleteCertificate refuses a certificate a load balancer uses (ResourceInUseException).
 * Private keys are only ever stored sealed (keystore.ts).
 */
import { createHash } from "node:crypto";
import type {
  CertificateDetail,
  CertificateSummary,
  DomainValidation,
  ImportCertificateRequest,
  ListCertificatesRequest,
  ListCertificatesResponse,
  RequestCertificateRequest,
} from "@aws-sdk/client-acm";
import { type Scope, parseArn } from "../../core/arn.ts";
import type { Clock } from "../../core/clock.ts";
import type { IdGen } from "../../core/ids.ts";
import type { TlsCertificate } from "../../proxy/routing-table.ts";
import type { Store } from "../../store/store.ts";
import { offsetPage } from "../common/paginate.ts";
import { ISSUABLE_KEY_ALGORITHMS, type LocalAuthority } from "./authority.ts";
import {
  certificateNotFound,
  inProgress,
  invalidArn,
  invalidDomainValidationOptions,
  invalidParameter,
  inUse,
  limitExceeded,
  validation,
} from "./errors.ts";
import type { KeyStore } from "./keystore.ts";
import type { AcmRepo, CertificateRecord, StoredCertificate } from "./repo.ts";
import { coveredNames, inspect, pemCertificates, readPrivateKey } from "./x509.ts";

/** How long a requested certificate stays PENDING_VALIDATION. */
export const VALIDATION_DELAY_MS = 2000;
/** An IdempotencyToken returns the same certificate for an hour. */
const IDEMPOTENCY_MS = 3_600_000;
/** ACM's default quota of domain names per certificate. */
const MAX_DOMAINS = 10;
const DOMAIN = /^(\*\.)?(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*$/;
const SERVER_AUTH = { Name: "TLS_WEB_SERVER_AUTHENTICATION", OID: "1.3.6.1.5.5.7.3.1" };
const CLIENT_AUTH = { Name: "TLS_WEB_CLIENT_AUTHENTICATION", OID: "1.3.6.1.5.5.7.3.2" };

/** Who uses a certificate (ELBv2's listeners, through src/server/ports.ts). */
export interface CertificateUsers {
  /** Load balancers with a listener serving the certificate. */
  loadBalancersUsing(certificateArn: string): readonly string[];
}

export interface CertificatesDeps {
  readonly store: Store;
  readonly repo: AcmRepo;
  readonly clock: Clock;
  readonly ids: IdGen;
  readonly keys: KeyStore;
  readonly authority: LocalAuthority;
  readonly users: () => CertificateUsers | undefined;
}

/** What the load balancer needs to know about a certificate it is asked to serve. */
export interface ServableCertificate {
  readonly status: string;
  readonly type: string;
  readonly material: TlsCertificate | undefined;
}

const epoch = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms));

export class Certificates {
  readonly #d: CertificatesDeps;
  /** Unsealed material by ARN, for the routing table (rebuilt every second): unsealed once per version. */
  readonly #material = new Map<string, { version: string; value: TlsCertificate }>();

  constructor(deps: CertificatesDeps) {
    this.#d = deps;
  }

  require(scope: Scope, arn: string | undefined): CertificateRecord {
    if (!arn) throw validation("1 validation error detected: Value null at 'certificateArn' failed to satisfy constraint: Member must not be null");
    const p = parseArn(arn);
    if (p?.service !== "acm" || !p.resource.startsWith("certificate/")) throw invalidArn(arn);
    const rec = this.#d.repo.get(arn);
    if (!rec || rec.account !== scope.accountId || rec.region !== scope.region) throw certificateNotFound(arn, scope.accountId);
    return rec;
  }

  status(rec: CertificateRecord): NonNullable<CertificateDetail["Status"]> {
    const now = this.#d.clock.now();
    if (rec.type === "AMAZON_ISSUED" && (rec.validatedAt === undefined || now < rec.validatedAt)) return "PENDING_VALIDATION";
    if (now > rec.doc.NotAfter) return "EXPIRED";
    return "ISSUED";
  }

  async import(scope: Scope, input: ImportCertificateRequest): Promise<string> {
    const certText = Buffer.from(input.Certificate ?? new Uint8Array()).toString("utf8");
    const keyText = Buffer.from(input.PrivateKey ?? new Uint8Array()).toString("utf8");
    const chainText = input.CertificateChain ? Buffer.from(input.CertificateChain).toString("utf8") : undefined;
    const blocks = pemCertificates(certText);
    if (blocks.length > 1) throw validation("The certificate field contains more than one certificate. You can specify only one certificate in this field.");
    let facts: ReturnType<typeof inspect>;
    try {
      if (blocks.length !== 1) throw new Error("no PEM certificate");
      facts = inspect(blocks[0]!);
    } catch {
      throw validation("The certificate is not PEM-encoded or is not valid.");
    }
    const key = readPrivateKey(keyText);
    if (!key) throw validation("The private key is not PEM-encoded or is not valid.");
    if (!facts.x509.checkPrivateKey(key)) throw validation("The private key does not match the public key in the certificate.");
    const now = this.#d.clock.now();
    if (facts.notAfter < now) throw validation("The certificate has expired, is not valid.");
    if (facts.notBefore > now) throw validation("The certificate is not in effect yet, is not valid.");
    let chain = "";
    if (chainText !== undefined) {
      const chainBlocks = pemCertificates(chainText);
      if (chainBlocks.length === 0) throw validation("The certificate chain is not PEM-encoded or is not valid.");
      for (const b of chainBlocks) {
        let notAfter: number;
        try {
          notAfter = inspect(b).notAfter;
        } catch {
          throw validation("The certificate chain is not PEM-encoded or is not valid.");
        }
        if (notAfter < now) throw validation("The certificate chain has expired, is not valid.");
      }
      chain = `${chainBlocks.join("\n")}\n`;
    }
    const reimport = input.CertificateArn;
    if (reimport !== undefined && input.Tags?.length) throw invalidParameter("Tags cannot be specified when reimporting a certificate");
    const existing = reimport === undefined ? undefined : this.require(scope, reimport);
    if (existing && existing.type !== "IMPORTED") throw validation(`Certificate ${reimport} was not imported: only imported certificates can be reimported`);
    const arn = existing?.arn ?? `arn:aws:acm:${scope.region}:${scope.accountId}:certificate/${this.#d.ids.uuid()}`;
    const names = facts.dnsNames.length > 0 ? [...facts.dnsNames] : facts.commonName ? [facts.commonName] : [];
    const doc: StoredCertificate = {
      SubjectAlternativeNames: names,
      KeyAlgorithm: facts.keyAlgorithm,
      SignatureAlgorithm: facts.signatureAlgorithm,
      Serial: facts.serial,
      Subject: facts.subject,
      Issuer: facts.issuer,
      NotBefore: facts.notBefore,
      NotAfter: facts.notAfter,
      Options: { CertificateTransparencyLoggingPreference: "ENABLED", Export: "DISABLED" },
      ImportedAt: now,
      KeyUsages: facts.keyAlgorithm.startsWith("RSA") ? ["DIGITAL_SIGNATURE", "KEY_ENCIPHERMENT"] : ["DIGITAL_SIGNATURE"],
      ExtendedKeyUsages: [SERVER_AUTH, CLIENT_AUTH],
    };
    const certificatePem = `${blocks[0]}\n`;
    const privateKeyPem = key.export({ format: "pem", type: "pkcs8" }).toString();
    this.#d.store.tx(() => {
      this.#d.repo.put({
        arn,
        account: scope.accountId,
        region: scope.region,
        type: "IMPORTED",
        domainName: facts.commonName ?? names[0] ?? "",
        createdAt: existing?.createdAt ?? now,
        certificatePem,
        chainPem: chain,
        privateKeySealed: this.#d.keys.seal(privateKeyPem, arn),
        doc,
        idempotencyToken: undefined,
        validatedAt: undefined,
      });
    });
    return arn;
  }

  async request(scope: Scope, input: RequestCertificateRequest): Promise<string> {
    const domain = input.DomainName ?? "";
    if (input.CertificateAuthorityArn) {
      throw validation("Private certificate authorities (CertificateAuthorityArn) are not supported by Slipway: requested certificates are issued by its local CA");
    }
    const method = input.ValidationMethod ?? "EMAIL";
    if (method !== "DNS" && method !== "EMAIL") throw validation(`Validation method ${method} is not supported for certificates used by load balancers; use DNS or EMAIL`);
    const names = [domain, ...(input.SubjectAlternativeNames ?? []).filter((n) => n !== domain)];
    for (const n of names) {
      if (n.length < 1 || n.length > 253 || !DOMAIN.test(n) || !n.includes(".")) {
        throw validation(`1 validation error detected: Value '${n}' at 'domainName' failed to satisfy constraint: Member must be a fully qualified domain name`);
      }
    }
    if (new Set(names.map((n) => n.toLowerCase())).size !== names.length) throw invalidParameter("The subject alternative names must be unique");
    if (names.length > MAX_DOMAINS) throw limitExceeded(`Certificate request contains ${names.length} domain names; the limit is ${MAX_DOMAINS}`);
    const keyAlgorithm = input.KeyAlgorithm ?? "RSA_2048";
    if (!ISSUABLE_KEY_ALGORITHMS.includes(keyAlgorithm)) {
      throw validation(`Key algorithm ${keyAlgorithm} cannot be requested; use one of ${ISSUABLE_KEY_ALGORITHMS.join(", ")}`);
    }
    for (const o of input.DomainValidationOptions ?? []) {
      if (!names.includes(o.DomainName ?? "")) throw invalidDomainValidationOptions(`DomainValidationOption ${o.DomainName} is not one of the requested domain names`);
    }
    const now = this.#d.clock.now();
    if (input.IdempotencyToken) {
      const same = this.#d.repo.byIdempotencyToken(scope, input.IdempotencyToken, now - IDEMPOTENCY_MS);
      if (same) return same.arn;
    }
    const arn = `arn:aws:acm:${scope.region}:${scope.accountId}:certificate/${this.#d.ids.uuid()}`;
    const issued = await this.#d.authority.issue(names, keyAlgorithm);
    const facts = inspect(issued.certificatePem);
    const records = names.map((n) => {
      const base = n.startsWith("*.") ? n.slice(2) : n;
      const h = createHash("sha256").update(`${arn}\n${base.toLowerCase()}`).digest("hex");
      const validationDomain = input.DomainValidationOptions?.find((o) => o.DomainName === n)?.ValidationDomain ?? n;
      return { DomainName: n, ValidationDomain: validationDomain, Name: `_${h.slice(0, 32)}.${base}.`, Value: `_${h.slice(32, 64)}.${h.slice(0, 10)}.acm-validations.aws.` };
    });
    const doc: StoredCertificate = {
      SubjectAlternativeNames: names,
      KeyAlgorithm: keyAlgorithm,
      SignatureAlgorithm: facts.signatureAlgorithm,
      Serial: facts.serial,
      Subject: `CN=${domain}`,
      Issuer: facts.issuer,
      NotBefore: facts.notBefore,
      NotAfter: facts.notAfter,
      ValidationMethod: method,
      ValidationRecords: records,
      Options: {
        CertificateTransparencyLoggingPreference: input.Options?.CertificateTransparencyLoggingPreference ?? "ENABLED",
        Export: input.Options?.Export ?? "DISABLED",
      },
      KeyUsages: keyAlgorithm.startsWith("RSA") ? ["DIGITAL_SIGNATURE", "KEY_ENCIPHERMENT"] : ["DIGITAL_SIGNATURE"],
      ExtendedKeyUsages: [SERVER_AUTH, CLIENT_AUTH],
    };
    return this.#d.store.tx(() => {
      // Another request with the same token may have finished while this one was issuing.
      if (input.IdempotencyToken) {
        const same = this.#d.repo.byIdempotencyToken(scope, input.IdempotencyToken, now - IDEMPOTENCY_MS);
        if (same) return same.arn;
      }
      this.#d.repo.put({
        arn,
        account: scope.accountId,
        region: scope.region,
        type: "AMAZON_ISSUED",
        domainName: domain,
        createdAt: now,
        certificatePem: issued.certificatePem,
        chainPem: issued.chainPem,
        privateKeySealed: this.#d.keys.seal(issued.privateKeyPem, arn),
        doc,
        idempotencyToken: input.IdempotencyToken,
        validatedAt: now + VALIDATION_DELAY_MS,
      });
      return arn;
    });
  }

  describe(scope: Scope, arn: string | undefined): CertificateDetail {
    return this.detail(this.require(scope, arn));
  }

  detail(rec: CertificateRecord): CertificateDetail {
    const d = rec.doc;
    const status = this.status(rec);
    const users = this.#d.users()?.loadBalancersUsing(rec.arn) ?? [];
    const issued = rec.type === "AMAZON_ISSUED" && status !== "PENDING_VALIDATION";
    const out: CertificateDetail = {
      CertificateArn: rec.arn,
      DomainName: rec.domainName,
      SubjectAlternativeNames: d.SubjectAlternativeNames,
      Serial: d.Serial,
      Subject: d.Subject,
      Issuer: d.Issuer,
      Status: status,
      NotBefore: epoch(d.NotBefore),
      NotAfter: epoch(d.NotAfter),
      // DescribeCertificate spells key algorithms with a hyphen (RSA-2048), unlike the enum.
      KeyAlgorithm: d.KeyAlgorithm.replace("_", "-") as CertificateDetail["KeyAlgorithm"],
      SignatureAlgorithm: d.SignatureAlgorithm,
      InUseBy: [...users],
      Type: rec.type,
      KeyUsages: d.KeyUsages.map((Name) => ({ Name: Name as NonNullable<CertificateDetail["KeyUsages"]>[number]["Name"] })),
      ExtendedKeyUsages: d.ExtendedKeyUsages.map((e) => ({ Name: e.Name as NonNullable<CertificateDetail["ExtendedKeyUsages"]>[number]["Name"], OID: e.OID })),
      RenewalEligibility: rec.type === "AMAZON_ISSUED" && users.length > 0 ? "ELIGIBLE" : "INELIGIBLE",
      Options: d.Options as CertificateDetail["Options"],
    };
    if (rec.type === "IMPORTED") out.ImportedAt = epoch(d.ImportedAt ?? rec.createdAt);
    else {
      out.CreatedAt = epoch(rec.createdAt);
      if (issued) out.IssuedAt = epoch(rec.validatedAt);
      out.DomainValidationOptions = (d.ValidationRecords ?? []).map((r): DomainValidation => {
        const v: DomainValidation = {
          DomainName: r.DomainName,
          ValidationDomain: r.ValidationDomain,
          ValidationStatus: issued ? "SUCCESS" : "PENDING_VALIDATION",
          ValidationMethod: d.ValidationMethod ?? "DNS",
        };
        if (d.ValidationMethod === "EMAIL") {
          const base = r.ValidationDomain.replace(/^\*\./, "");
          v.ValidationEmails = ["admin", "administrator", "hostmaster", "postmaster", "webmaster"].map((u) => `${u}@${base}`);
        } else v.ResourceRecord = { Name: r.Name, Type: "CNAME", Value: r.Value };
        return v;
      });
    }
    return out;
  }

  list(scope: Scope, input: ListCertificatesRequest): ListCertificatesResponse {
    const statuses = input.CertificateStatuses?.length ? new Set<string>(input.CertificateStatuses) : undefined;
    const keyTypes = new Set<string>(input.Includes?.keyTypes?.length ? input.Includes.keyTypes : ["RSA_1024", "RSA_2048"]);
    const max = input.MaxItems ?? 1000;
    if (max < 1 || max > 1000) throw validation(`1 validation error detected: Value '${max}' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000`);
    let all = this.#d.repo.list(scope).filter((r) => keyTypes.has(r.doc.KeyAlgorithm) && (!statuses || statuses.has(this.status(r))));
    if (input.SortBy === "CREATED_AT" && input.SortOrder === "DESCENDING") all = all.reverse();
    const p = offsetPage(all, max, input.NextToken, () => invalidParameter("The nextToken is invalid"));
    return {
      CertificateSummaryList: p.items.map((r) => this.summary(r)),
      ...(p.next ? { NextToken: p.next } : {}),
    };
  }

  summary(rec: CertificateRecord): CertificateSummary {
    const d = this.detail(rec);
    const sans = d.SubjectAlternativeNames ?? [];
    return {
      CertificateArn: rec.arn,
      DomainName: rec.domainName,
      SubjectAlternativeNameSummaries: sans.slice(0, 100),
      HasAdditionalSubjectAlternativeNames: sans.length > 100,
      Status: d.Status,
      Type: d.Type,
      KeyAlgorithm: rec.doc.KeyAlgorithm as CertificateSummary["KeyAlgorithm"],
      KeyUsages: rec.doc.KeyUsages as CertificateSummary["KeyUsages"],
      ExtendedKeyUsages: rec.doc.ExtendedKeyUsages.map((e) => e.Name) as CertificateSummary["ExtendedKeyUsages"],
      ExportOption: rec.doc.Options.Export as CertificateSummary["ExportOption"],
      InUse: (d.InUseBy ?? []).length > 0,
      RenewalEligibility: d.RenewalEligibility,
      NotBefore: d.NotBefore,
      NotAfter: d.NotAfter,
      ...(d.CreatedAt ? { CreatedAt: d.CreatedAt } : {}),
      ...(d.IssuedAt ? { IssuedAt: d.IssuedAt } : {}),
      ...(d.ImportedAt ? { ImportedAt: d.ImportedAt } : {}),
    };
  }

  delete(scope: Scope, arn: string | undefined): void {
    this.#d.store.tx(() => {
      const rec = this.require(scope, arn);
      const users = this.#d.users()?.loadBalancersUsing(rec.arn) ?? [];
      if (users.length > 0) throw inUse(rec.arn, users);
      this.#d.repo.delete(rec.arn);
      this.#material.delete(rec.arn);
    });
  }

  get(scope: Scope, arn: string | undefined): { Certificate: string; CertificateChain?: string } {
    const rec = this.require(scope, arn);
    if (this.status(rec) === "PENDING_VALIDATION") throw inProgress(rec.arn);
    return { Certificate: rec.certificatePem ?? "", ...(rec.chainPem ? { CertificateChain: rec.chainPem } : {}) };
  }

  updateOptions(scope: Scope, arn: string | undefined, options: { CertificateTransparencyLoggingPreference?: string | undefined; Export?: string | undefined } | undefined): void {
    this.#d.store.tx(() => {
      const rec = this.require(scope, arn);
      if (rec.type === "IMPORTED") throw validation("Certificate options cannot be updated for imported certificates");
      const doc = {
        ...rec.doc,
        Options: {
          CertificateTransparencyLoggingPreference: options?.CertificateTransparencyLoggingPreference ?? rec.doc.Options.CertificateTransparencyLoggingPreference,
          Export: options?.Export ?? rec.doc.Options.Export,
        },
      };
      this.#d.repo.put({ ...rec, doc });
    });
  }

  /** For the load balancer: status, and (for an issued or imported certificate) what to serve. */
  servable(arn: string): ServableCertificate | undefined {
    const rec = this.#d.repo.get(arn);
    if (!rec) return undefined;
    const status = this.status(rec);
    return { status, type: rec.type, material: status === "PENDING_VALIDATION" ? undefined : this.#materialOf(rec) };
  }

  #materialOf(rec: CertificateRecord): TlsCertificate | undefined {
    if (!rec.certificatePem || !rec.privateKeySealed) return undefined;
    const version = `${rec.doc.Serial} ${rec.doc.NotAfter}`;
    const cached = this.#material.get(rec.arn);
    if (cached?.version === version) return cached.value;
    const value: TlsCertificate = {
      arn: rec.arn,
      certificatePem: rec.certificatePem,
      chainPem: rec.chainPem ?? "",
      privateKeyPem: this.#d.keys.open(rec.privateKeySealed, rec.arn),
      names: coveredNames(inspect(rec.certificatePem)),
    };
    this.#material.set(rec.arn, { version, value });
    return value;
  }
}
