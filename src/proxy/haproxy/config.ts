/**
 * The HAProxy configuration for one routing snapshot: a pure function of the snapshot, the host
 * ports the data plane chose, and the server slots it assigned. It reproduces the Node data plane's
 * behaviour (data-plane.ts) with HAProxy's own means:
 *
 * - one frontend per host port; the load balancer is chosen by the DNS name in Host (a port with
 *   one load balancer also takes any Host that is not another load balancer's name; a custom
 *   domain goes to the one load balancer whose host-header rules take it), else a 404 page naming
 *   the port's load balancers;
 * - rules in priority order decide a `txn.rule` variable, then that rule's action runs: fixed
 *   response and redirect (`http-request return` / `redirect`), or forward (`use_backend`, by
 *   weight with AWSALBTG stickiness for several target groups);
 * - wildcards as linear-time PCRE (glob-regex.ts) in ACL pattern files;
 * - one backend per target group with `server-template` slots whose address and state the runtime
 *   API sets (haproxy-data-plane.ts), so registering, draining and health changes need no reload;
 *   Slipway's health checker stays the source of truth (no HAProxy checks);
 * - ALB's error pages (Server: awselb/2.0), X-Forwarded-For/Proto/Port, X-Amzn-Trace-Id, the Host
 *   port rule, stickiness (AWSALB cookie, application cookie via a stick table, AWSALBTG), and the
 *   refusals of screen.ts where HAProxy does not already refuse;
 * - HTTPS with a crt-list: each certificate with its listener's policy (protocol versions and
 *   ciphers), SNI choosing among them, the listener's default certificate first.
 *
 * The structural part of the output (`structure`) is what forces a reload when it changes;
 * server addresses and states only ever change through the runtime API.
 */
import { createHash } from "node:crypto";
import { errorBody, errorTitle } from "../error-pages.ts";
import type { Action, Condition, ListenerRoutes, RoutingTable } from "../routing-table.ts";
import { serverTlsSettings } from "../tls-select.ts";
import { globToPcre, queryPairToPcre } from "./glob-regex.ts";

export interface PortPlan {
  /** The server key of the Node data plane (host port, or `0 <arn>` for any-port listeners). */
  readonly key: string;
  readonly hostPort: number;
  readonly protocol: "HTTP" | "HTTPS";
  readonly listeners: readonly ListenerRoutes[];
}

/** One server slot of a target group's backend: a target, or free. */
export interface Slot {
  readonly address: string;
  readonly port: number;
  /** HAProxy's state for it: ready, drain (no new requests) or maint. */
  readonly state: "ready" | "drain" | "maint";
}

export interface RenderInput {
  readonly table: RoutingTable;
  readonly ports: readonly PortPlan[];
  /** Slots by target group ARN (free ones are undefined). */
  readonly slots: ReadonlyMap<string, readonly (Slot | undefined)[]>;
  /** Where sockets, certificates and pattern files live. */
  readonly runDir: string;
  readonly host: string;
  readonly threads: number;
  /** Key of dynamic AWSALB cookies (the value names the server, hashed with this). */
  readonly cookieKey: string;
  /** UDP port on 127.0.0.1 that receives one log line per request (the metrics hook), if any. */
  readonly logPort: number | undefined;
  /** Reload generation: a backend named after it tells when a reload is live. */
  readonly generation: number;
}

export interface Rendered {
  readonly config: string;
  /** Files the configuration refers to, by path relative to runDir (pattern files, pages, certificates). */
  readonly files: ReadonlyMap<string, { readonly content: string; readonly mode: number }>;
  /** Everything but server addresses/states and the generation: a change needs a reload. */
  readonly structure: string;
  /** Backend name by target group ARN, and load balancer index by ARN (for logs and the runtime API). */
  readonly backends: ReadonlyMap<string, string>;
  readonly loadBalancers: ReadonlyMap<string, number>;
}

const ELB_SUFFIX = ".elb.localhost";
const CONTENT_TYPES = new Set(["text/plain", "text/css", "text/html", "application/javascript", "application/json"]);

/** Slots a target group's backend gets: room for a deployment's old and new targets, in powers of two. */
export function slotCount(targets: number): number {
  let n = 8;
  while (n < targets * 2) n *= 2;
  return n;
}

const quote = (s: string) => `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
/** A literal piece of a log-format string (redirect locations). */
const lfLiteral = (s: string) => s.replace(/%/g, "%%").replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/ /g, "%20");

function rawPage(status: number, body: string, extra = ""): string {
  const reason = errorTitle(status).replace(/^\d+ /, "");
  return `HTTP/1.1 ${status} ${reason}\r\nServer: awselb/2.0\r\nContent-Type: text/html\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}Cache-Control: no-cache\r\n\r\n${body}`;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function renderConfig(input: RenderInput): Rendered {
  const files = new Map<string, { content: string; mode: number }>();
  const file = (name: string, content: string, mode = 0o644) => {
    files.set(name, { content, mode });
    return `${input.runDir}/${name}`;
  };
  const backends = new Map<string, string>();
  const lbIndex = new Map<string, number>();
  for (const p of input.ports) for (const l of p.listeners) if (!lbIndex.has(l.loadBalancerArn)) lbIndex.set(l.loadBalancerArn, lbIndex.size);
  let tgN = 0;
  for (const tg of input.table.targetGroups.values()) backends.set(tg.arn, `tg${tgN++}`);
  /** A target group's load balancer (its idle timeout), from the rules that forward to it. */
  const tgIdle = new Map<string, number>();
  for (const p of input.ports) {
    for (const l of p.listeners) {
      for (const r of l.rules) if (r.action.type === "forward") for (const g of r.action.targetGroups) tgIdle.set(g.arn, Math.max(tgIdle.get(g.arn) ?? 0, l.idleTimeoutSeconds));
    }
  }

  // Error pages: ALB's HTML with Server: awselb/2.0.
  const pages: string[] = [];
  for (const status of [400, 403, 405, 408, 500, 501, 502, 503, 504]) {
    pages.push(`  errorfile ${status} ${file(`e${status}.http`, rawPage(status, errorBody(status), status === 400 || status === 408 ? "Connection: close\r\n" : ""))}`);
  }
  const page = (status: number) => file(`p${status}.html`, errorBody(status));
  // 502 when a server was tried (connection refused or reset), 503 when none was usable.
  const backend50x = file("e50x.lf", `<html>\r\n<head><title>%[nbsrv,bool,iif(502 Bad Gateway,503 Service Temporarily Unavailable)]</title></head>\r\n<body>\r\n<center><h1>%[nbsrv,bool,iif(502 Bad Gateway,503 Service Temporarily Unavailable)]</h1></center>\r\n</body>\r\n</html>\r\n`);

  const out: string[] = [];
  out.push(
    "# Generated by Slipway (src/proxy/haproxy/config.ts) from the routing snapshot. Do not edit.",
    "global",
    `  nbthread ${input.threads}`,
    `  stats socket ${input.runDir}/admin.sock mode 600 level admin expose-fd listeners`,
    "  hard-stop-after 1h",
    "  tune.bufsize 73728",
    "  tune.maxrewrite 8192",
    "  tune.ssl.default-dh-param 2048",
    ...(input.logPort !== undefined ? [`  log 127.0.0.1:${input.logPort} len 1024 format raw local0`] : []),
    "",
    "defaults",
    "  mode http",
    ...(input.logPort !== undefined ? ["  log global", `  log-format "%[var(txn.lb)] %b %s %ST %Tr %tsc"`] : []),
    "  option http-keep-alive",
    "  option idle-close-on-response",
    "  http-reuse safe",
    "  retries 1",
    "  retry-on conn-failure empty-response",
    "  timeout connect 10s",
    "  timeout client 60s",
    "  timeout http-request 60s",
    "  timeout http-keep-alive 60s",
    "  timeout server 60s",
    "  timeout tunnel 1h",
    ...pages,
    "",
  );

  for (const p of input.ports) if (usableTlsPort(p)) renderFrontend(out, p, input, file, page, backends, lbIndex);

  for (const tg of input.table.targetGroups.values()) {
    const name = backends.get(tg.arn)!;
    const slots = input.slots.get(tg.arn) ?? [];
    const n = Math.max(slots.length, slotCount(tg.targets.length));
    out.push(`backend ${name}`, `  # ${tg.arn}`);
    out.push(`  balance ${tg.algorithm === "least_outstanding_requests" ? "leastconn" : tg.algorithm === "weighted_random" ? "random" : "roundrobin"}`);
    out.push(`  timeout server ${(tgIdle.get(tg.arn) ?? 60) * 1000}ms`);
    out.push(`  http-error status 503 content-type text/html lf-file ${backend50x}`);
    // Connect from the load balancer's ENI address (routing-table.ts: sourceAddress), so targets'
    // security groups see the load balancer's group. One per backend: any of the load balancer's
    // nodes is in its group, and a change of address is rare enough to reload for.
    const source = tg.targets.find((t) => t.sourceAddress)?.sourceAddress;
    if (source) out.push(`  source ${source}`);
    out.push("  http-response set-var(txn.from_target) bool(true)");
    out.push("  http-after-response set-status 502 if { status 503 } { nbsrv gt 0 }");
    const st = tg.stickiness;
    if (st.enabled && st.type === "lb_cookie") {
      out.push(`  cookie AWSALB insert indirect nocache dynamic maxlife ${st.durationSeconds}s`, `  dynamic-cookie-key ${quote(input.cookieKey)}`);
    } else if (st.enabled && st.type === "app_cookie" && st.appCookieName) {
      out.push(
        `  stick-table type string len 256 size 100k expire ${st.durationSeconds}s`,
        `  stick on req.cook(${st.appCookieName})`,
        `  stick store-response res.cook(${st.appCookieName})`,
      );
    }
    const tls = tg.protocol === "HTTPS" ? " ssl verify none" : "";
    const slow = tg.slowStartSeconds > 0 && tg.algorithm !== "least_outstanding_requests" ? ` slowstart ${tg.slowStartSeconds}s` : "";
    for (let i = 0; i < n; i++) {
      const s = slots[i];
      // Addresses and states change through the runtime API; the config only seeds them.
      const addr = s ? `${s.address.includes(":") ? `[${s.address}]` : s.address}:${s.port}` : "127.0.0.1:1";
      const state = !s || s.state === "maint" ? " disabled" : s.state === "drain" ? " weight 0" : "";
      out.push(`  server s${i + 1} ${addr}${state}${tls}${slow}`);
    }
    out.push("");
  }
  // Rules whose target groups are gone, and listeners without a matching rule: ALB's 503.
  out.push("backend no_target", `  http-request return status 503 content-type text/html file ${page(503)} hdr Server awselb/2.0`, "");
  out.push(`backend generation_${input.generation}`, "  http-request return status 200", "");

  const config = `${out.join("\n")}\n`;
  const structure = config
    .replace(/^ {2}server s(\d+) .*$/gm, (_m, i: string) => `  server s${i}`)
    .replace(/^backend generation_\d+$/m, "backend generation");
  return { config, files, structure: hash(structure + [...files].map(([k, v]) => `${k}\n${v.content}`).join("\n")), backends, loadBalancers: lbIndex };
}

const hash = (s: string) => createHash("sha256").update(s).digest("hex");

function renderFrontend(
  out: string[],
  p: PortPlan,
  input: RenderInput,
  file: (name: string, content: string, mode?: number) => string,
  page: (status: number) => string,
  backends: ReadonlyMap<string, string>,
  lbIndex: ReadonlyMap<string, number>,
): void {
  const fe = `port_${p.hostPort || p.key.replace(/[^A-Za-z0-9]/g, "_").slice(-40)}`;
  const idle = Math.max(...p.listeners.map((l) => l.idleTimeoutSeconds)) * 1000;
  let bind = `  bind ${input.host}:${p.hostPort}`;
  if (p.protocol === "HTTPS") {
    const lines: string[] = [];
    let certN = 0;
    for (const l of p.listeners) {
      const tls = l.tls;
      if (!tls) continue;
      const s = serverTlsSettings([tls.policy]);
      const tls13 = tls.policy.ciphers.filter((c) => c.startsWith("TLS_"));
      const tls12 = tls.policy.ciphers.filter((c) => !c.startsWith("TLS_"));
      const opts = [`ssl-min-ver ${hv(s.minVersion)}`, `ssl-max-ver ${hv(s.maxVersion)}`];
      if (tls12.length) opts.push(`ciphers ${tls12.join(":")}${s.minVersion === "TLSv1" || s.minVersion === "TLSv1.1" ? ":@SECLEVEL=0" : ""}`);
      if (tls13.length) opts.push(`ciphersuites ${tls13.join(":")}`);
      for (const c of tls.certificates) {
        const path = file(`cert-${certN++}.pem`, `${c.certificatePem.trim()}\n${c.chainPem ? `${c.chainPem.trim()}\n` : ""}${c.privateKeyPem.trim()}\n`, 0o600);
        lines.push(`${path} [${opts.join(" ")} alpn http/1.1] ${c.names.join(" ")}`);
      }
    }
    // HAProxy cannot bind TLS without a certificate: a port with none is not rendered (see
    // usableTlsPort), and its listeners are reported as not served.
    const list = file(`port-${p.hostPort}.crtlist`, `${lines.join("\n")}\n`, 0o600);
    bind += ` ssl crt-list ${list}`;
  }
  out.push(`frontend ${fe}`, bind, `  timeout client ${idle}ms`, `  timeout http-keep-alive ${idle}ms`);
  // What ALB refuses (screen.ts) that HAProxy itself would forward.
  out.push(
    `  http-request return status 505 content-type text/html file ${page(505)} hdr Server awselb/2.0 hdr Connection close if { req.ver 2.0 }`,
    `  http-request return status 405 content-type text/html file ${page(405)} hdr Server awselb/2.0 hdr Connection close if METH_TRACE`,
    `  http-request return status 400 content-type text/html file ${page(400)} hdr Server awselb/2.0 hdr Connection close if METH_CONNECT`,
    `  http-request return status 400 content-type text/html file ${page(400)} hdr Server awselb/2.0 hdr Connection close if !{ url_beg / } !{ method OPTIONS }`,
    `  http-request return status 400 content-type text/html file ${page(400)} hdr Server awselb/2.0 hdr Connection close if { req.hdr_cnt(host) gt 1 }`,
    "  http-request set-var(txn.host) req.hdr(host),field(1,:),lower",
    "  http-after-response set-header Server awselb/2.0 unless { var(txn.from_target) -m found }",
  );
  // Which load balancer: its DNS name, then (one load balancer) anything but another's name,
  // then (several) the one whose host-header rules take a custom domain.
  const single = p.listeners.length === 1;
  p.listeners.forEach((l, i) => {
    const lb = lbIndex.get(l.loadBalancerArn)!;
    const dns = file(`port-${p.hostPort}-lb${i}.dns`, `${l.dnsName}\n`);
    if (single) out.push(`  http-request set-var(txn.lb) int(${lb}) if { var(txn.host) -m str -f ${dns} } || !{ var(txn.host) -m end ${ELB_SUFFIX} }`);
    else out.push(`  http-request set-var(txn.lb) int(${lb}) if { var(txn.host) -m str -f ${dns} }`);
  });
  if (!single) {
    const withHosts = p.listeners
      .map((l, i) => ({ l, i, globs: l.rules.flatMap((r) => r.conditions.flatMap((c) => (c.field === "host-header" ? c.values : []))) }))
      .filter((x) => x.globs.length > 0);
    for (const x of withHosts) {
      const f = file(`port-${p.hostPort}-lb${x.i}.hosts`, `${x.globs.map(globToPcre).join("\n")}\n`);
      out.push(`  acl hosts_${x.i} var(txn.host) -m reg -i -f ${f}`);
    }
    for (const x of withHosts) {
      const others = withHosts.filter((y) => y !== x).map((y) => `!hosts_${y.i}`);
      out.push(`  http-request set-var(txn.lb) int(${lbIndex.get(x.l.loadBalancerArn)}) if !{ var(txn.lb) -m found } !{ var(txn.host) -m end ${ELB_SUFFIX} } hosts_${x.i} ${others.join(" ")}`);
    }
  }
  const notFound = file(`port-${p.hostPort}-404.html`, notFoundPage(p));
  out.push(`  http-request return status 404 content-type text/html file ${notFound} hdr Server awselb/2.0 if !{ var(txn.lb) -m found }`);

  for (const l of p.listeners) renderListener(out, l, lbIndex.get(l.loadBalancerArn)!, file, backends);
  out.push("  default_backend no_target", "");
}

/** HTTP ports always; HTTPS ports when some listener has a certificate to present. */
export function usableTlsPort(p: PortPlan): boolean {
  return p.protocol === "HTTP" || p.listeners.some((l) => (l.tls?.certificates.length ?? 0) > 0);
}

function hv(v: string): string {
  return v === "TLSv1" ? "TLSv1.0" : v;
}

function renderListener(
  out: string[],
  l: ListenerRoutes,
  lb: number,
  file: (name: string, content: string, mode?: number) => string,
  backends: ReadonlyMap<string, string>,
): void {
  const isLb = `{ var(txn.lb) -m int ${lb} }`;
  // Headers ALB adds (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/x-forwarded-headers.html).
  const client = l.xffClientPort ? "%[src]:%[src_port]" : "%[src]";
  if (l.xffMode === "append") {
    out.push(`  http-request set-header X-Forwarded-For "%[req.fhdr(x-forwarded-for)], ${client}" if ${isLb} { req.fhdr(x-forwarded-for) -m found }`);
    out.push(`  http-request set-header X-Forwarded-For "${client}" if ${isLb} !{ req.fhdr(x-forwarded-for) -m found }`);
  } else if (l.xffMode === "remove") out.push(`  http-request del-header X-Forwarded-For if ${isLb}`);
  out.push(`  http-request set-header X-Forwarded-Proto ${l.protocol === "HTTPS" ? "https" : "http"} if ${isLb}`);
  out.push(`  http-request set-header X-Forwarded-Port ${l.port} if ${isLb}`);
  out.push(
    `  http-request set-header X-Amzn-Trace-Id "Root=1-%[date,hex,regsub(^00000000,),lower]-%[rand(4294967295),hex,regsub(^00000000,),lower]%[rand(4294967295),hex,regsub(^00000000,),lower]%[rand(4294967295),hex,regsub(^00000000,),lower]" if ${isLb} !{ req.hdr(x-amzn-trace-id) -m found }`,
  );
  const standard = l.protocol === "HTTPS" ? 443 : 80;
  if (!l.preserveHostHeader && l.port !== standard) out.push(`  http-request set-header Host "%[req.hdr(host)]:${l.port}" if ${isLb} { req.hdr(host) -m found } !{ req.hdr(host) -m reg :[0-9]+$ }`);

  // Rules in priority order set txn.rule; the first that matches wins.
  l.rules.forEach((r, i) => {
    const id = `l${lb}r${i}`;
    const conds = r.conditions.map((c, j) => condition(c, `${id}c${j}`, file)).join(" ");
    out.push(`  http-request set-var(txn.rule) str(${id}) if ${isLb} !{ var(txn.rule) -m found } ${conds}`.trimEnd());
  });
  l.rules.forEach((r, i) => {
    const id = `l${lb}r${i}`;
    const is = `{ var(txn.rule) -m str ${id} }`;
    renderAction(out, l, r.action, id, is, file, backends);
  });
}

function condition(c: Condition, id: string, file: (name: string, content: string) => string): string {
  const patterns = (values: readonly string[]) => file(`${id}.lst`, `${values.join("\n")}\n`);
  switch (c.field) {
    case "path-pattern":
      return `{ path -m reg -f ${patterns(c.values.map(globToPcre))} }`;
    case "host-header":
      return `{ var(txn.host) -m reg -i -f ${patterns(c.values.map(globToPcre))} }`;
    case "http-header":
      return `{ req.fhdr(${c.name}) -m reg -i -f ${patterns(c.values.map(globToPcre))} }`;
    case "http-request-method":
      return `{ method -m str -f ${patterns(c.values)} }`;
    case "query-string":
      return `{ query,url_dec -m reg -i -f ${patterns(c.values.map((v) => queryPairToPcre(v.key, v.value)))} }`;
    case "source-ip":
      return `{ src -f ${patterns(c.values)} }`;
  }
}

function renderAction(
  out: string[],
  l: ListenerRoutes,
  a: Action,
  id: string,
  is: string,
  file: (name: string, content: string) => string,
  backends: ReadonlyMap<string, string>,
): void {
  switch (a.type) {
    case "fixed-response": {
      const type = a.contentType && CONTENT_TYPES.has(a.contentType) ? a.contentType : "text/plain";
      const body = file(`${id}.body`, a.messageBody ?? "");
      out.push(`  http-request return status ${Number(a.statusCode) || 200} content-type ${quote(`${type}; charset=utf-8`)} file ${body} hdr Server awselb/2.0 if ${is}`);
      return;
    }
    case "redirect": {
      const code = a.statusCode === "HTTP_301" ? 301 : 302;
      const fill = (template: string, values: Record<string, string>) =>
        template.split(/(#\{(?:protocol|host|port|path|query)\})/).map((part) => values[part] ?? lfLiteral(part)).join("");
      const values: Record<string, string> = {
        "#{protocol}": l.protocol.toLowerCase(),
        "#{host}": "%[var(txn.host)]",
        "#{port}": String(l.port),
        "#{path}": "%[path,regsub(^/,)]",
        "#{query}": "%[query]",
      };
      const protocol = fill(a.protocol ?? "#{protocol}", values).toLowerCase();
      const host = fill(a.host ?? "#{host}", values);
      const port = fill(a.port ?? "#{port}", values);
      let path = fill(a.path ?? "/#{path}", values);
      if (!path.startsWith("/")) path = `/${path}`;
      const query = fill(a.query ?? "#{query}", values);
      const base = `${protocol}://${host}:${port}${path}`;
      if (query === "%[query]") {
        out.push(`  http-request redirect location ${quote(`${base}?%[query]`)} code ${code} if ${is} { query -m len gt 0 }`);
        out.push(`  http-request redirect location ${quote(base)} code ${code} if ${is}`);
      } else out.push(`  http-request redirect location ${quote(query ? `${base}?${query}` : base)} code ${code} if ${is}`);
      return;
    }
    case "forward": {
      const groups = a.targetGroups.filter((g) => backends.has(g.arn) && g.weight > 0);
      if (groups.length === 0) {
        out.push(`  use_backend no_target if ${is}`);
        return;
      }
      if (groups.length === 1) {
        out.push(`  use_backend ${backends.get(groups[0]!.arn)} if ${is}`);
        return;
      }
      const st = a.stickiness?.enabled ? a.stickiness : undefined;
      const names = groups.map((g) => backends.get(g.arn)!);
      if (st) {
        out.push(`  use_backend %[req.cook(AWSALBTG)] if ${is} { req.cook(AWSALBTG) -m str ${names.join(" ")} }`);
        for (const n of names) {
          out.push(`  http-response add-header Set-Cookie "AWSALBTG=${n}; Expires=%[date(${st.durationSeconds}),http_date]; Path=/" if ${is} { be_name ${n} }`);
          out.push(`  http-response add-header Set-Cookie "AWSALBTGCORS=${n}; Expires=%[date(${st.durationSeconds}),http_date]; Path=/; SameSite=None; Secure" if ${is} { be_name ${n} }`);
        }
      }
      const total = groups.reduce((s, g) => s + g.weight, 0);
      out.push(`  http-request set-var(txn.w) rand(${total}) if ${is}`);
      let upTo = 0;
      for (const g of groups) {
        upTo += g.weight;
        out.push(`  use_backend ${backends.get(g.arn)} if ${is} { var(txn.w) -m int lt ${upTo} }`);
      }
      return;
    }
  }
}

function notFoundPage(p: PortPlan): string {
  const items = p.listeners
    .map((l) => `<li>${escapeHtml(l.dnsName)} (load balancer ${escapeHtml(l.loadBalancerName)}, listener port ${l.port})</li>`)
    .join("\r\n");
  const t = errorTitle(404);
  return (
    `<html>\r\n<head><title>${t}</title></head>\r\n<body>\r\n<center><h1>${t}</h1></center>\r\n` +
    `<p>No load balancer on 127.0.0.1:${p.hostPort} answers to this host. ` +
    `Load balancers on this port (use one of these names in the Host header, or in the URL):</p>\r\n<ul>\r\n${items}\r\n</ul>\r\n</body>\r\n</html>\r\n`
  );
}

