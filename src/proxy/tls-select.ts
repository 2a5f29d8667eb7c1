/**
 * Which certificate an HTTPS listener presents, and whether a negotiated connection satisfies its
 * security policy. Pure functions over the routing table's TLS data (data-plane.ts builds the
 * secure contexts).
 *
 * Certificate choice follows ALB's SNI rules
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/https-listener-certificates.html):
 * a client that sends a server name gets a certificate among the listener's (the default and those
 * added with AddListenerCertificates) that covers the name, an exact name before a wildcard one;
 * a client without SNI, or whose name no certificate covers, gets the default certificate.
 */
import type { ListenerTls, TlsCertificate } from "./routing-table.ts";

/** True when `names` (lower case, possibly `*.` wildcards) cover `host`. */
export function covers(names: readonly string[], host: string): boolean {
  return matchQuality(names, host) > 0;
}

/** 2: an exact name; 1: a wildcard covering exactly one leftmost label; 0: no match. */
function matchQuality(names: readonly string[], host: string): number {
  let best = 0;
  for (const n of names) {
    if (n === host) return 2;
    if (n.startsWith("*.")) {
      const dot = host.indexOf(".");
      if (dot > 0 && host.slice(dot + 1) === n.slice(2)) best = 1;
    }
  }
  return best;
}

/** The certificate of `tls` that `servername` selects (see the module comment). */
export function selectCertificate(tls: ListenerTls, servername: string | undefined): TlsCertificate | undefined {
  const certs = tls.certificates;
  if (!servername) return certs[0];
  const host = servername.toLowerCase();
  let best: TlsCertificate | undefined;
  let quality = 0;
  for (const c of certs) {
    const q = matchQuality(c.names, host);
    if (q > quality) {
      best = c;
      quality = q;
      if (q === 2) break;
    }
  }
  return best ?? certs[0];
}

/** True when the negotiated protocol and cipher are ones the listener's policy allows. */
export function policyAllows(tls: ListenerTls, protocol: string | null, cipher: string | undefined): boolean {
  if (!protocol || !cipher) return false;
  return tls.policy.protocols.includes(protocol) && tls.policy.ciphers.includes(cipher);
}

const ORDER = ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"] as const;
export type TlsVersion = (typeof ORDER)[number];

/**
 * Server-wide TLS settings for a port whose listeners have these policies: the lowest and highest
 * protocol any of them allows, and every cipher any allows (in the first policy's preference order,
 * then the others'). After the handshake the chosen listener's own policy is checked
 * (`policyAllows`), so a looser neighbour on the same port never loosens a listener's policy.
 */
export function serverTlsSettings(policies: readonly ListenerTls["policy"][]): { minVersion: TlsVersion; maxVersion: TlsVersion; ciphers: string } {
  let min = ORDER.length - 1;
  let max = 0;
  const ciphers: string[] = [];
  const seen = new Set<string>();
  for (const p of policies) {
    for (const v of p.protocols) {
      const i = ORDER.indexOf(v as TlsVersion);
      if (i < 0) continue;
      if (i < min) min = i;
      if (i > max) max = i;
    }
    for (const c of p.ciphers) {
      if (!seen.has(c)) {
        seen.add(c);
        ciphers.push(c);
      }
    }
  }
  if (max < min) max = min;
  // OpenSSL 3 refuses TLS 1.0/1.1 at its default security level; a policy that allows them lowers it.
  const legacy = min < 2 ? ":@SECLEVEL=0" : "";
  return { minVersion: ORDER[min]!, maxVersion: ORDER[max]!, ciphers: ciphers.join(":") + legacy };
}
