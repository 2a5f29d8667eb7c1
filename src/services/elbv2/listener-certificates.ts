/**
 * HTTPS listeners' certificates and security policies: the default certificate (the listener's
 * `Certificates`), the others added with AddListenerCertificates (SNI picks among all of them,
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/https-listener-certificates.html),
 * and the named security policies of ssl-policies.ts. Certificates come from ACM through a narrow
 * port (CertificateSource, wired in src/server/ports.ts); a certificate must exist and be usable
 * (issued or imported, not expired) to be put on a listener.
 */
import type { Certificate, DescribeListenerCertificatesOutput, DescribeSSLPoliciesInput, DescribeSSLPoliciesOutput } from "@aws-sdk/client-elastic-load-balancing-v2";
import type { Scope } from "../../core/arn.ts";
import type { TlsCertificate } from "../../proxy/routing-table.ts";
import { nextMarker, page } from "./common.ts";
import { certificateNotFound, invalidConfig, notPermitted, sslPolicyNotFound, tooManyCertificates, validation } from "./errors.ts";
import type { Listeners } from "./listeners.ts";
import type { Elbv2Repo } from "./repo.ts";
import { DEFAULT_SSL_POLICY, SSL_POLICIES, sslPolicy } from "./ssl-policies.ts";

/** What ELBv2 needs from ACM. */
export interface CertificateSource {
  /** Undefined when ACM has no such certificate. */
  servable(arn: string): { readonly status: string; readonly material: TlsCertificate | undefined } | undefined;
}

/** ALB's default quota of certificates per load balancer (default ones not counted). */
const MAX_CERTIFICATES_PER_LB = 25;

export class ListenerCertificates {
  readonly #repo: Elbv2Repo;
  readonly #listeners: Listeners;
  readonly #source: () => CertificateSource | undefined;
  readonly #tx: <T>(fn: () => T) => T;

  constructor(repo: Elbv2Repo, listeners: Listeners, source: () => CertificateSource | undefined, tx: <T>(fn: () => T) => T) {
    this.#repo = repo;
    this.#listeners = listeners;
    this.#source = source;
    this.#tx = tx;
  }

  checkUsable(arn: string | undefined): string {
    return usableCertificate(this.#source(), arn);
  }

  add(scope: Scope, listenerArn: string | undefined, certificates: readonly Certificate[] | undefined): Certificate[] {
    return this.#tx(() => {
      const l = this.#listeners.require(scope, listenerArn);
      if (l.doc.Protocol !== "HTTPS") throw invalidConfig("Certificates can only be added to HTTPS listeners");
      if (!certificates?.length) throw validation("At least one certificate must be specified");
      const arns = certificates.map((c) => this.checkUsable(c.CertificateArn));
      const lbArn = l.doc.LoadBalancerArn!;
      const onLb = new Set<string>();
      for (const other of this.#repo.listListeners(lbArn)) for (const c of this.#repo.listenerCertificates(other.doc.ListenerArn!)) onLb.add(`${other.doc.ListenerArn} ${c.certificateArn}`);
      for (const a of arns) onLb.add(`${l.doc.ListenerArn} ${a}`);
      if (onLb.size > MAX_CERTIFICATES_PER_LB) throw tooManyCertificates();
      for (const a of arns) this.#repo.addListenerCertificate(l.doc.ListenerArn!, a);
      return arns.map((a) => ({ CertificateArn: a, IsDefault: false }));
    });
  }

  remove(scope: Scope, listenerArn: string | undefined, certificates: readonly Certificate[] | undefined): void {
    this.#tx(() => {
      const l = this.#listeners.require(scope, listenerArn);
      if (!certificates?.length) throw validation("At least one certificate must be specified");
      const def = l.doc.Certificates?.[0]?.CertificateArn;
      for (const c of certificates) {
        if (c.CertificateArn === def) throw notPermitted("The default certificate of a listener cannot be removed; replace it with ModifyListener");
      }
      for (const c of certificates) if (c.CertificateArn) this.#repo.removeListenerCertificate(l.doc.ListenerArn!, c.CertificateArn);
    });
  }

  describe(scope: Scope, listenerArn: string | undefined, pageSize: number | undefined, marker: string | undefined): DescribeListenerCertificatesOutput {
    const l = this.#listeners.require(scope, listenerArn);
    const all: Certificate[] = [
      ...(l.doc.Certificates ?? []).slice(0, 1).map((c) => ({ CertificateArn: c.CertificateArn, IsDefault: true })),
      ...this.#repo.listenerCertificates(l.doc.ListenerArn!).map((c) => ({ CertificateArn: c.certificateArn, IsDefault: false })),
    ];
    const p = page(all, pageSize, marker);
    return { Certificates: p.items, ...nextMarker(p) };
  }
}

/** A certificate a listener may serve: known to ACM, issued (or imported) and not expired. */
export function usableCertificate(source: CertificateSource | undefined, arn: string | undefined): string {
  if (!arn) throw validation("A certificate ARN must be specified");
  const c = source?.servable(arn);
  if (!c) throw certificateNotFound(arn);
  if (c.status !== "ISSUED") throw invalidConfig(`Certificate '${arn}' cannot be used: its status is ${c.status}`);
  return arn;
}

/**
 * The certificate and policy settings of a listener being created or modified: an HTTPS listener
 * has exactly one default certificate and a known policy; an HTTP listener has neither.
 */
export function listenerTlsSettings(
  source: CertificateSource | undefined,
  protocol: string,
  certificates: readonly Certificate[] | undefined,
  sslPolicyName: string | undefined,
): { Certificates?: Certificate[]; SslPolicy?: string } {
  if (protocol !== "HTTPS") {
    if (certificates?.length) throw validation("Certificates can be specified only for HTTPS listeners");
    if (sslPolicyName !== undefined) throw validation("An SSL policy can be specified only for HTTPS listeners");
    return {};
  }
  if (!certificates?.length) throw validation("A certificate must be specified for HTTPS listeners");
  if (certificates.length > 1) throw validation("A listener can have only one default certificate; add others with AddListenerCertificates");
  const arn = usableCertificate(source, certificates[0]!.CertificateArn);
  return { Certificates: [{ CertificateArn: arn }], SslPolicy: checkSslPolicy(sslPolicyName ?? DEFAULT_SSL_POLICY) };
}

/**
 * Settings of an HTTPS listener Slipway does not implement, refused by name rather than ignored:
 * mutual TLS (verify or passthrough) and ALPN policies (ALB answers HTTP/1.1 only here).
 */
export function checkUnsupportedTls(input: { MutualAuthentication?: { Mode?: string | undefined } | undefined; AlpnPolicy?: string[] | undefined }): void {
  const mode = input.MutualAuthentication?.Mode;
  if (mode !== undefined && mode !== "off") throw validation(`Mutual TLS authentication (mode '${mode}') is not supported by Slipway`);
  const alpn = input.AlpnPolicy?.filter((p) => p !== "None" && p !== "HTTP1Only");
  if (alpn?.length) throw validation(`ALPN policy '${alpn.join(", ")}' is not supported by Slipway: its load balancers speak HTTP/1.1 (use None or HTTP1Only)`);
}

/** DescribeSSLPolicies: AWS's named policies, all or those named. */
export function describeSslPolicies(input: DescribeSSLPoliciesInput): DescribeSSLPoliciesOutput {
  let list = SSL_POLICIES;
  if (input.Names?.length) {
    list = input.Names.map((n) => {
      const p = sslPolicy(n);
      if (!p) throw sslPolicyNotFound();
      return p;
    });
  }
  if (input.LoadBalancerType && input.LoadBalancerType !== "application" && input.LoadBalancerType !== "network") list = [];
  const p = page(list, input.PageSize, input.Marker);
  return {
    SslPolicies: p.items.map((s) => ({
      Name: s.name,
      SslProtocols: [...s.protocols],
      Ciphers: s.ciphers.map((Name, i) => ({ Name, Priority: i + 1 })),
      SupportedLoadBalancerTypes: ["application", "network"],
    })),
    ...nextMarker(p),
  };
}

/** Checks an SslPolicy name (SSLPolicyNotFound otherwise). */
export function checkSslPolicy(name: string): string {
  if (!sslPolicy(name)) throw sslPolicyNotFound();
  return name;
}
