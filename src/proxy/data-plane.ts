/**
 * The ALB data plane (the Node one, and the default): serves the current immutable RoutingTable on
 * 127.0.0.1. `apply(table)` swaps the snapshot by reference (requests in flight finish on the old
 * one), opens and closes host ports as the table's listeners change, and aborts requests still in
 * flight to targets that left the table (deregistration delay over → 502). The request path reads
 * the snapshot once and never awaits the control plane.
 *
 * One socket per host port serves every listener on that port (host-ports.ts): two load balancers
 * listening on :80 share 127.0.0.1:80, and each request goes to the load balancer whose DNS name
 * (`<name>-<id>.<region>.elb.localhost`) is in its Host header. A port with a single load balancer
 * also takes any other Host (an IP, `localhost`, a custom domain); a Host naming another load
 * balancer never reaches it. A request no load balancer on the port answers gets a 404 page naming
 * the port's load balancers. A port that cannot be bound (EACCES: privileged; EADDRINUSE: taken)
 * moves with all its listeners to its fallback port, logged once, with no new table.
 *
 * HTTPS ports terminate TLS with the certificate SNI selects (tls-select.ts) under the listener's
 * security policy. Targets are reached through upstream.ts (keep-alive pools, tolerant response
 * parsing); clients are parsed by Node's strict parser, and screen.ts refuses what ALB refuses.
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { createServer } from "../core/node-http.ts";
import type { Duplex } from "node:stream";
import type { SecureContext, TLSSocket } from "node:tls";
import { createHttpsServer, createSecureContext } from "../core/node-tls.ts";
import { type Clock, systemClock } from "../core/clock.ts";
import { compileGlob, type Glob } from "../core/glob.ts";
import { Balancer, type Slot, pickWeighted, seededRandom, targetKey } from "./balancer.ts";
import { errorTitle, sendError, writeRawError } from "./error-pages.ts";
import { CONNECT_TIMEOUT_MS, type ExchangeTracker, type Upstream, forwardHeaders, proxyRequest, proxyUpgrade } from "./forward.ts";
import { listenerHostPort, planHostPorts } from "./host-ports.ts";
import type { DataPlaneObserver } from "./observer.ts";
import type { Action, ListenerRoutes, ListenerTls, RoutingTable, TargetGroupRoutes, TlsCertificate } from "./routing-table.ts";
import { type CompiledRule, compileRules, hostWithoutPort, matchRule, splitTarget } from "./rules.ts";
import { refusal } from "./screen.ts";
import { APP_COOKIE, CookieCodec, LB_COOKIE, TG_COOKIE, readCookie, stickyCookies } from "./stickiness.ts";
import type { TargetHealthView } from "./target-health.ts";
import { policyAllows, selectCertificate, serverTlsSettings } from "./tls-select.ts";
import { type Exchange, UpstreamPool } from "./upstream.ts";

export interface DataPlaneOptions {
  /** Target health (the HealthChecker). */
  readonly health: TargetHealthView;
  readonly clock?: Clock;
  /** Uniform [0,1) source for weighted choices and trace ids; seeded from crypto by default. */
  readonly random?: () => number;
  /** Interface to bind (default 127.0.0.1). */
  readonly host?: string;
  /** Secret for stickiness cookies (default: random per process). */
  readonly cookieSecret?: Buffer;
  /**
   * The host port a listener on `port` tries first (default: `port` itself); its fallbacks follow
   * from that one. Tests and benchmarks pass `() => 0` (any free port) or a port of their own.
   */
  readonly preferredPort?: (port: number) => number;
  /** Where listeners are served and moved (default: nowhere). */
  readonly log?: (message: string) => void;
  /** Connect timeout to targets (default 10 s, ALB's connection timeout to targets). */
  readonly connectTimeoutMs?: number;
  /** The metrics hook (observer.ts). */
  readonly observer?: DataPlaneObserver;
}

/** Where one listener is served: what `/_slipway/listeners` reports. */
export interface ListenerBinding {
  readonly listenerArn: string;
  readonly loadBalancerArn: string;
  /** The load balancer's DNS name: the Host that reaches it on a shared port. */
  readonly dnsName: string;
  readonly protocol: "HTTP" | "HTTPS";
  /** The port the listener was created with. */
  readonly port: number;
  /** The loopback port the data plane serves it on (its own port, or the fallback). */
  readonly hostPort: number;
  /** The port bound; null while binding or after a failure. */
  readonly boundPort: number | null;
  /** Why the listener is not served on its own port, when it is not. */
  readonly note?: string;
}

/** The data-plane seam: the Node data plane (this file) and the HAProxy one (haproxy/) both serve a RoutingTable. */
export interface LoadBalancerDataPlane {
  apply(table: RoutingTable): void;
  /** Resolves once every listener of the last applied table is bound, moved or failed. */
  ready(): Promise<void>;
  listeners(): ListenerBinding[];
  close(): Promise<void>;
}

interface CompiledListener {
  readonly routes: ListenerRoutes;
  readonly rules: readonly CompiledRule[];
  /** Host-header rule values (for custom domains on a shared port). */
  readonly hostGlobs: readonly Glob[];
}

/** What one host port serves in the current snapshot. */
interface PortRoutes {
  readonly protocol: "HTTP" | "HTTPS";
  readonly listeners: readonly CompiledListener[];
  /** By DNS name. */
  readonly byHost: ReadonlyMap<string, CompiledListener>;
  /** The only listener of the port, when there is one. */
  readonly single: CompiledListener | undefined;
  readonly idleMs: number;
}

interface Snapshot {
  readonly table: RoutingTable;
  /** By listener ARN. */
  readonly listeners: ReadonlyMap<string, CompiledListener>;
  /** By server key (the host port, or `0 <listener ARN>` for a port-0 listener). */
  readonly ports: ReadonlyMap<string, PortRoutes>;
}

interface PortServer {
  readonly key: string;
  readonly hostPort: number;
  readonly protocol: "HTTP" | "HTTPS";
  readonly server: Server;
  bound: number | undefined;
  failed: boolean;
  /** HTTPS: the TLS settings the server was last given (to skip identical updates). */
  tlsKey: string | undefined;
  readonly listening: Promise<void>;
}

const EMPTY: Snapshot = { table: { listeners: new Map(), targetGroups: new Map() }, listeners: new Map(), ports: new Map() };

const CLOSE = { Connection: "close" } as const;

/** Every DNS name this data plane's load balancers get ends so (load-balancers.ts). */
const ELB_SUFFIX = ".elb.localhost";

/** 64 KB of request headers in all (ALB: 16 K per line/header, 64 K in total → 400). */
const MAX_REQUEST_HEADER_BYTES = 64 * 1024;

/**
 * 2-digit lower-case hex of every byte (trace ids without per-request toString/padStart). A byte
 * table, not a 16-bit one: 65,536 four-character strings retained 2 MiB of heap for ever
 * (docs/benchmarks.md, section 22).
 */
const HEX2: readonly string[] = Array.from({ length: 0x100 }, (_, i) => i.toString(16).padStart(2, "0"));

const serverKey = (hostPort: number, listenerArn: string) => (hostPort === 0 ? `0 ${listenerArn}` : String(hostPort));

export class DataPlane implements LoadBalancerDataPlane {
  readonly #opts: DataPlaneOptions;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #balancer: Balancer;
  readonly #cookies: CookieCodec;
  readonly #connectTimeoutMs: number;
  readonly #observer: DataPlaneObserver | undefined;
  #snap: Snapshot = EMPTY;
  readonly #servers = new Map<string, PortServer>();
  /** Host ports that failed to bind (EACCES, EADDRINUSE), and why: listeners wanting them move on. */
  readonly #unbindable = new Map<number, string>();
  /** The host port of each listener of the current table. */
  #hostPorts = new Map<string, number>();
  /** Keep-alive pools by `[source>]address:port:tls` (a pooled socket is bound to its source address). */
  readonly #pools = new Map<string, UpstreamPool>();
  /** Exchanges in flight by target key (aborted when the target leaves the table). */
  readonly #inflight = new Map<string, Set<Exchange>>();
  readonly #trackers = new Map<string, ExchangeTracker>();
  /** Secure contexts by certificate and policy (built once, reused across snapshots). */
  #contexts = new Map<string, SecureContext>();
  /** Client sockets already counted by the observer. */
  readonly #counted = new WeakSet<object>();
  #closed = false;

  constructor(opts: DataPlaneOptions) {
    this.#opts = opts;
    this.#clock = opts.clock ?? systemClock;
    this.#random = opts.random ?? seededRandom(randomBytes(16));
    this.#cookies = new CookieCodec(opts.cookieSecret ?? randomBytes(32));
    this.#connectTimeoutMs = opts.connectTimeoutMs ?? CONNECT_TIMEOUT_MS;
    this.#observer = opts.observer;
    this.#balancer = new Balancer({ health: opts.health, clock: this.#clock, random: this.#random });
  }

  apply(table: RoutingTable): void {
    if (this.#closed) return;
    if (table === this.#snap.table && ![...this.#servers.values()].some((s) => s.failed)) return;
    this.#balancer.setGroups(table.targetGroups);
    this.#reconcile(table);
    this.#dropRemovedTargets(table);
  }

  /** The port a listener is bound to (undefined while binding or after a bind failure). */
  boundPort(listenerArn: string): number | undefined {
    const hp = this.#hostPorts.get(listenerArn);
    return hp === undefined ? undefined : this.#servers.get(serverKey(hp, listenerArn))?.bound;
  }

  /** Where each listener of the current table is served, in table order. */
  listeners(): ListenerBinding[] {
    return [...this.#snap.table.listeners.values()].map((l) => {
      const hostPort = this.#hostPorts.get(l.listenerArn) ?? l.port;
      const note = this.#note(l, hostPort);
      return {
        listenerArn: l.listenerArn,
        loadBalancerArn: l.loadBalancerArn,
        dnsName: l.dnsName,
        protocol: l.protocol,
        port: l.port,
        hostPort,
        boundPort: this.#servers.get(serverKey(hostPort, l.listenerArn))?.bound ?? null,
        ...(note ? { note } : {}),
      };
    });
  }

  #note(l: ListenerRoutes, hostPort: number): string | undefined {
    const preferred = this.#opts.preferredPort?.(l.port) ?? l.port;
    if (preferred === 0 || hostPort === preferred) return undefined;
    const why = this.#unbindable.get(preferred);
    if (why) return `127.0.0.1:${preferred} cannot be bound (${why}); served on 127.0.0.1:${hostPort} instead`;
    return `127.0.0.1:${preferred} serves ${l.protocol === "HTTP" ? "HTTPS" : "HTTP"} listeners; served on 127.0.0.1:${hostPort} instead`;
  }

  /**
   * Resolves once every listener of the last applied table has bound, moved past the ports it
   * could not bind, or failed for another reason.
   */
  async ready(): Promise<void> {
    let servers: PortServer[];
    do {
      servers = [...this.#servers.values()];
      await Promise.all(servers.map((s) => s.listening));
    } while (servers.some((s) => this.#servers.get(s.key) !== s) || this.#servers.size !== servers.length);
  }

  /** Requests in flight to one target (for tests and draining diagnostics). */
  inFlight(targetGroupArn: string, id: string, port: number): number {
    return this.#inflight.get(targetKey(targetGroupArn, id, port))?.size ?? 0;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#balancer.close();
    const servers = [...this.#servers.values()];
    this.#servers.clear();
    for (const set of this.#inflight.values()) for (const ex of set) ex.abort("data plane closing");
    const closing = servers.map((s) => this.#closeServer(s));
    for (const s of servers) s.server.closeAllConnections();
    await Promise.all(closing);
    for (const p of this.#pools.values()) p.close();
    this.#pools.clear();
  }

  /** Plans host ports, compiles the snapshot, and opens/closes/updates the port servers. */
  #reconcile(table: RoutingTable): void {
    const preferred = this.#opts.preferredPort ?? ((port: number) => port);
    const hostPorts = planHostPorts(table.listeners.values(), (port) => listenerHostPort(preferred(port), this.#unbindable));
    this.#hostPorts = hostPorts;
    const listeners = new Map<string, CompiledListener>();
    const grouped = new Map<string, { hostPort: number; list: CompiledListener[] }>();
    for (const [arn, routes] of table.listeners) {
      const compiled: CompiledListener = {
        routes,
        rules: compileRules(routes.rules),
        hostGlobs: routes.rules.flatMap((r) => r.conditions.flatMap((c) => (c.field === "host-header" ? c.values.map((v) => compileGlob(v, { question: true, caseInsensitive: true })) : []))),
      };
      listeners.set(arn, compiled);
      const hp = hostPorts.get(arn)!;
      const key = serverKey(hp, arn);
      let g = grouped.get(key);
      if (!g) grouped.set(key, (g = { hostPort: hp, list: [] }));
      g.list.push(compiled);
    }
    const ports = new Map<string, PortRoutes>();
    for (const [key, g] of grouped) {
      ports.set(key, {
        protocol: g.list[0]!.routes.protocol,
        listeners: g.list,
        byHost: new Map(g.list.map((l) => [l.routes.dnsName, l])),
        single: g.list.length === 1 ? g.list[0] : undefined,
        idleMs: Math.max(...g.list.map((l) => l.routes.idleTimeoutSeconds)) * 1000,
      });
    }
    this.#snap = { table, listeners, ports };
    this.#pruneContexts(table);
    for (const [key, s] of this.#servers) {
      const p = ports.get(key);
      if (!p || p.protocol !== s.protocol || s.failed) {
        this.#servers.delete(key);
        void this.#closeServer(s);
      }
    }
    for (const [key, p] of ports) {
      const existing = this.#servers.get(key);
      const hostPort = grouped.get(key)!.hostPort;
      if (existing) this.#tune(existing, p);
      else this.#servers.set(key, this.#open(key, hostPort, p));
    }
  }

  #tune(s: PortServer, p: PortRoutes): void {
    s.server.keepAliveTimeout = p.idleMs;
    s.server.headersTimeout = Math.min(60_000, p.idleMs + 1000);
    if (p.protocol === "HTTPS") {
      const opts = this.#serverTls(p);
      if (opts.key !== s.tlsKey) {
        s.tlsKey = opts.key;
        (s.server as unknown as { setSecureContext(o: object): void }).setSecureContext(opts.options);
      }
    }
  }

  /** Server-wide TLS options of an HTTPS port: the union of its policies, and a default certificate. */
  #serverTls(p: PortRoutes): { key: string; options: Record<string, unknown> } {
    const tlss = p.listeners.map((l) => l.routes.tls).filter((t): t is ListenerTls => t !== undefined && t.certificates.length > 0);
    const settings = serverTlsSettings(tlss.map((t) => t.policy));
    const fallback = tlss[0]?.certificates[0];
    const options: Record<string, unknown> = { ...settings, honorCipherOrder: true };
    if (fallback) {
      options.cert = fallback.certificatePem + (fallback.chainPem ? `\n${fallback.chainPem}` : "");
      options.key = fallback.privateKeyPem;
    }
    return { key: `${settings.minVersion} ${settings.maxVersion} ${settings.ciphers} ${fallback?.arn ?? ""} ${fallback?.certificatePem.length ?? 0}`, options };
  }

  #open(key: string, hostPort: number, p: PortRoutes): PortServer {
    const common = { maxHeaderSize: MAX_REQUEST_HEADER_BYTES, requestTimeout: 0, keepAlive: true };
    let tlsKey: string | undefined;
    let server: Server;
    if (p.protocol === "HTTPS") {
      const t = this.#serverTls(p);
      tlsKey = t.key;
      server = createHttpsServer({
        ...common,
        ...t.options,
        ALPNProtocols: ["http/1.1"],
        SNICallback: (servername, cb) => {
          try {
            cb(null, this.#contextFor(key, servername));
          } catch (err) {
            cb(err as Error);
          }
        },
      }) as unknown as Server;
      server.on("secureConnection", (socket: TLSSocket) => this.#checkPolicy(key, socket));
      // A malformed client hello, or one that matches no protocol or cipher: close it, keep serving.
      server.on("tlsClientError", (_err: Error, socket: TLSSocket) => socket.destroy());
    } else {
      server = createServer(common);
    }
    const ps: PortServer = { key, hostPort, protocol: p.protocol, server, bound: undefined, failed: false, tlsKey, listening: Promise.resolve() };
    this.#tune(ps, p);
    let resolve!: () => void;
    (ps as { listening: Promise<void> }).listening = new Promise<void>((r) => (resolve = r));
    server.on("request", (req: IncomingMessage, res: ServerResponse) => {
      try {
        this.#handle(ps, req, res);
      } catch (err) {
        // A bug of ours must cost one request (ALB's 500), not the process.
        this.#opts.log?.(`data plane: internal error on ${req.method} ${req.url}: ${(err as Error).stack ?? err}`);
        sendError(res, 500, CLOSE);
      }
    });
    server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      try {
        this.#handleUpgrade(ps, req, socket, head);
      } catch (err) {
        this.#opts.log?.(`data plane: internal error on upgrade ${req.url}: ${(err as Error).stack ?? err}`);
        writeRawError(socket, 500);
      }
    });
    // CONNECT: not supported by Elastic Load Balancing (screen.ts); Node would drop it unanswered.
    server.on("connect", (_req: IncomingMessage, socket: Duplex) => {
      socket.on("error", () => socket.destroy());
      writeRawError(socket, 400);
    });
    server.on("clientError", (err: NodeJS.ErrnoException, socket: Duplex) => {
      if (err.code === "ECONNRESET" || !socket.writable) return socket.destroy();
      // Malformed request line or headers, oversized headers: ALB answers 400 and closes.
      writeRawError(socket, 400);
    });
    server.once("error", (err: NodeJS.ErrnoException) => {
      ps.failed = true;
      if (this.#servers.get(key) === ps && !this.#closed) this.#bindFailed(ps, err);
      resolve();
    });
    server.listen(hostPort, this.#opts.host ?? "127.0.0.1", () => {
      ps.bound = (server.address() as { port: number }).port;
      resolve();
      for (const l of this.#snap.ports.get(key)?.listeners ?? []) {
        this.#opts.log?.(`listener ${l.routes.listenerArn} on ${p.protocol === "HTTPS" ? "https" : "http"}://127.0.0.1:${ps.bound}`);
      }
    });
    return ps;
  }

  /**
   * A port could not be bound. Privileged or taken: the port joins the unbindable ones and its
   * listeners move to their fallback now. Anything else is logged and retried on the next table.
   */
  #bindFailed(ps: PortServer, err: NodeJS.ErrnoException): void {
    const at = `127.0.0.1:${ps.hostPort}`;
    const arns = [...this.#hostPorts].filter(([arn, hp]) => serverKey(hp, arn) === ps.key).map(([arn]) => arn);
    if (err.code !== "EACCES" && err.code !== "EADDRINUSE") {
      for (const arn of arns) this.#opts.log?.(`listener ${arn} cannot bind ${at} (${err.code ?? err.message})`);
      return;
    }
    this.#unbindable.set(ps.hostPort, err.code);
    this.#reconcile(this.#snap.table);
    for (const arn of arns) {
      this.#opts.log?.(`listener ${arn} cannot bind ${at} (${err.code}); moving it to 127.0.0.1:${this.#hostPorts.get(arn)}`);
    }
  }

  #closeServer(s: PortServer): Promise<void> {
    return new Promise((resolve) => {
      if (!s.server.listening) return resolve();
      s.server.close(() => resolve());
      s.server.closeIdleConnections();
      // Connections still serving a request finish it; keep-alive then ends with the server.
    });
  }

  // ---- TLS

  /** The secure context for a client hello naming `servername` on port `key`. */
  #contextFor(key: string, servername: string): SecureContext {
    const chosen = this.#tlsFor(key, servername);
    if (!chosen) throw new Error("no certificate");
    return this.#context(chosen.tls, chosen.cert);
  }

  /** The listener (by SNI: its DNS name, then a certificate covering the name) and its certificate. */
  #tlsFor(key: string, servername: string | undefined): { tls: ListenerTls; cert: TlsCertificate } | undefined {
    const port = this.#snap.ports.get(key);
    if (!port) return undefined;
    const host = servername?.toLowerCase();
    const withTls = port.listeners.filter((l) => l.routes.tls && l.routes.tls.certificates.length > 0);
    if (withTls.length === 0) return undefined;
    let listener = (host && port.byHost.get(host)) || undefined;
    if (!listener?.routes.tls?.certificates.length) {
      listener = undefined;
      if (host) {
        for (const l of withTls) {
          const c = selectCertificate(l.routes.tls!, host);
          if (c && c !== l.routes.tls!.certificates[0]) {
            listener = l;
            break;
          }
          if (c?.names.some((n) => n === host || (n.startsWith("*.") && host.endsWith(n.slice(1))))) listener ??= l;
        }
      }
      listener ??= withTls[0]!;
    }
    const tls = listener.routes.tls!;
    const cert = selectCertificate(tls, host);
    return cert ? { tls, cert } : undefined;
  }

  #context(tls: ListenerTls, cert: TlsCertificate): SecureContext {
    const ckey = `${tls.policy.name}\n${cert.arn}\n${cert.certificatePem}\n${cert.chainPem}`;
    let ctx = this.#contexts.get(ckey);
    if (!ctx) {
      const s = serverTlsSettings([tls.policy]);
      ctx = createSecureContext({
        cert: cert.certificatePem + (cert.chainPem ? `\n${cert.chainPem}` : ""),
        key: cert.privateKeyPem,
        minVersion: s.minVersion,
        maxVersion: s.maxVersion,
        ciphers: s.ciphers,
        honorCipherOrder: true,
      });
      this.#contexts.set(ckey, ctx);
    }
    return ctx;
  }

  /** Drops secure contexts no listener of `table` uses any more. */
  #pruneContexts(table: RoutingTable): void {
    const live = new Set<string>();
    for (const l of table.listeners.values()) {
      for (const c of l.tls?.certificates ?? []) live.add(`${l.tls!.policy.name}\n${c.arn}\n${c.certificatePem}\n${c.chainPem}`);
    }
    for (const k of this.#contexts.keys()) if (!live.has(k)) this.#contexts.delete(k);
  }

  /** After the handshake: the connection must satisfy the chosen listener's own policy. */
  #checkPolicy(key: string, socket: TLSSocket): void {
    const chosen = this.#tlsFor(key, (socket as TLSSocket & { servername?: string | false }).servername || undefined);
    if (!chosen || !policyAllows(chosen.tls, socket.getProtocol(), socket.getCipher()?.name)) socket.destroy();
  }

  // ---- targets

  #dropRemovedTargets(table: RoutingTable): void {
    const pools = new Set<string>();
    const keys = new Set<string>();
    for (const tg of table.targetGroups.values()) {
      for (const t of tg.targets) {
        keys.add(targetKey(tg.arn, t.id, t.port));
        pools.add(poolKey(t.address, t.port, tg.protocol === "HTTPS", t.sourceAddress));
      }
    }
    for (const key of this.#trackers.keys()) if (!keys.has(key)) this.#trackers.delete(key);
    for (const [key, set] of this.#inflight) {
      if (keys.has(key)) continue;
      this.#inflight.delete(key);
      for (const ex of set) ex.abort("target deregistered");
    }
    for (const [k, pool] of this.#pools) {
      if (pools.has(k)) continue;
      this.#pools.delete(k);
      pool.close();
    }
  }

  /** In-flight tracking and outstanding counts of one target (made once, reused by every request). */
  #tracker(key: string): ExchangeTracker {
    let t = this.#trackers.get(key);
    if (!t) {
      t = {
        start: (ex) => {
          this.#balancer.acquire(key);
          let set = this.#inflight.get(key);
          if (!set) {
            set = new Set();
            this.#inflight.set(key, set);
          }
          set.add(ex);
        },
        end: (ex) => {
          this.#balancer.release(key);
          const set = this.#inflight.get(key);
          if (set) {
            set.delete(ex);
            if (set.size === 0) this.#inflight.delete(key);
          }
        },
      };
      this.#trackers.set(key, t);
    }
    return t;
  }

  #pool(address: string, port: number, tls: boolean, source: string | undefined): UpstreamPool {
    const key = poolKey(address, port, tls, source);
    let p = this.#pools.get(key);
    if (!p) {
      p = new UpstreamPool({ address, port, tls, ...(source ? { localAddress: source } : {}) });
      this.#pools.set(key, p);
    }
    return p;
  }

  /** `Root=1-<epoch seconds, 8 hex>-<24 random hex>`; the seconds part is formatted once a second. */
  #traceId = (): string => {
    const secs = Math.floor(this.#clock.now() / 1000);
    if (secs !== this.#traceSecs) {
      this.#traceSecs = secs;
      this.#tracePrefix = `Root=1-${secs.toString(16).padStart(8, "0")}-`;
    }
    let rand = "";
    for (let i = 0; i < 3; i++) {
      const r = (this.#random() * 0x100000000) >>> 0;
      rand += HEX2[r >>> 24]! + HEX2[(r >>> 16) & 0xff]! + HEX2[(r >>> 8) & 0xff]! + HEX2[r & 0xff]!;
    }
    return this.#tracePrefix + rand;
  };
  #traceSecs = -1;
  #tracePrefix = "";

  // ---- requests

  /** The listener of port `p` that `req` is for (by Host; see the module comment), or undefined. */
  #dispatch(p: PortRoutes, req: IncomingMessage): CompiledListener | undefined {
    const raw = req.headers.host;
    const single = p.single;
    if (single) {
      if (raw === undefined) return single;
      const host = hostWithoutPort(raw).toLowerCase();
      return host === single.routes.dnsName || !host.endsWith(ELB_SUFFIX) ? single : undefined;
    }
    const host = hostWithoutPort(raw ?? "").toLowerCase();
    const named = p.byHost.get(host);
    if (named || host.endsWith(ELB_SUFFIX)) return named;
    // A custom domain: the one load balancer whose host-header rules take it.
    let found: CompiledListener | undefined;
    for (const l of p.listeners) {
      if (!l.hostGlobs.some((g) => g.matches(host))) continue;
      if (found) return undefined;
      found = l;
    }
    return found;
  }

  #route(ps: PortServer, req: IncomingMessage): { snap: Snapshot; listener: CompiledListener; action: Action | undefined } | { snap: Snapshot; port: PortRoutes | undefined } {
    const snap = this.#snap;
    const port = snap.ports.get(ps.key);
    const listener = port && this.#dispatch(port, req);
    if (!listener) return { snap, port };
    if (this.#observer && !this.#counted.has(req.socket)) {
      this.#counted.add(req.socket);
      this.#observer.connection(listener.routes.loadBalancerArn, req.socket);
    }
    const rule = matchRule(listener.rules, {
      method: req.method ?? "GET",
      url: req.url ?? "/",
      headers: req.headers,
      sourceIp: req.socket.remoteAddress ?? "",
    });
    return { snap, listener, action: rule?.action };
  }

  #handle(ps: PortServer, req: IncomingMessage, res: ServerResponse): void {
    const refused = refusal(req);
    if (refused) {
      sendError(res, refused, CLOSE);
      return;
    }
    const routed = this.#route(ps, req);
    if (!("listener" in routed)) {
      if (!routed.port) {
        sendError(res, 503);
        return;
      }
      notFound(res, routed.port, req.headers.host, ps.bound ?? ps.hostPort);
      return;
    }
    const { snap, listener, action } = routed;
    const lbArn = listener.routes.loadBalancerArn;
    if (!action) {
      this.#elbError(res, lbArn, 503);
      return;
    }
    switch (action.type) {
      case "fixed-response":
        this.#observer?.loadBalancerResponse(lbArn, Number(action.statusCode) || 200);
        fixedResponse(res, action);
        return;
      case "redirect":
        this.#observer?.loadBalancerResponse(lbArn, action.statusCode === "HTTP_301" ? 301 : 302);
        redirect(res, req, listener.routes, action);
        return;
      case "forward": {
        const chosen = this.#choose(snap, action, req);
        if (!chosen) {
          this.#elbError(res, lbArn, 503);
          return;
        }
        proxyRequest(req, res, this.#headers(req, listener.routes, false), this.#upstream(listener.routes, chosen));
        return;
      }
    }
  }

  #elbError(res: ServerResponse, lbArn: string, status: number): void {
    this.#observer?.loadBalancerResponse(lbArn, status);
    sendError(res, status);
  }

  #handleUpgrade(ps: PortServer, req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on("error", () => socket.destroy());
    const refused = refusal(req);
    if (refused) {
      writeRawError(socket, refused);
      return;
    }
    const routed = this.#route(ps, req);
    if (!("listener" in routed)) {
      writeRawError(socket, routed.port ? 404 : 503);
      return;
    }
    const { snap, listener, action } = routed;
    if (!action) {
      writeRawError(socket, 503);
      return;
    }
    if (action.type !== "forward") {
      // Answer like a plain request, on a throwaway response bound to this socket.
      const res = new ServerResponseShim(socket);
      if (action.type === "fixed-response") fixedResponse(res, action);
      else redirect(res, req, listener.routes, action);
      return;
    }
    const chosen = this.#choose(snap, action, req);
    if (!chosen) {
      writeRawError(socket, 503);
      return;
    }
    proxyUpgrade(req, socket, head, this.#headers(req, listener.routes, true), this.#upstream(listener.routes, chosen));
  }

  /** The headers sent upstream: the client's, plus X-Forwarded-* and the trace id. */
  #headers(req: IncomingMessage, routes: ListenerRoutes, upgrade: boolean) {
    return forwardHeaders({
      rawHeaders: req.rawHeaders,
      listener: routes,
      clientIp: req.socket.remoteAddress ?? "",
      clientPort: req.socket.remotePort ?? 0,
      newTraceId: this.#traceId,
      upgrade,
    });
  }

  #upstream(routes: ListenerRoutes, chosen: Chosen): Upstream {
    const { slot, tg, setCookies } = chosen;
    const key = slot.key;
    const r = slot.route;
    const appCookie = tg.stickiness.enabled && tg.stickiness.type === "app_cookie" ? tg.stickiness : undefined;
    return {
      pool: this.#pool(r.address, r.port, tg.protocol === "HTTPS", r.sourceAddress),
      idleTimeoutMs: routes.idleTimeoutSeconds * 1000,
      connectTimeoutMs: this.#connectTimeoutMs,
      setCookies,
      observer: this.#observer,
      loadBalancerArn: routes.loadBalancerArn,
      targetGroupArn: tg.arn,
      onResponseHeaders: appCookie
        ? (h) => {
            // The application set its cookie: bind the client to this target with AWSALBAPP-0.
            const name = appCookie.appCookieName;
            if (!name) return undefined;
            let set = false;
            for (let i = 0; i < h.headers.length; i += 2) {
              if (h.headers[i]!.toLowerCase() === "set-cookie" && h.headers[i + 1]!.startsWith(`${name}=`)) set = true;
            }
            if (!set) return undefined;
            const v = this.#cookies.encode(tg.arn, `${r.id}\n${r.port}`);
            return stickyCookies(APP_COOKIE, v, this.#clock.now() + appCookie.durationSeconds * 1000, false);
          }
        : undefined,
      tracker: this.#tracker(key),
    };
  }

  /** Target group (weighted, TG stickiness) then target (stickiness, algorithm). */
  #choose(snap: Snapshot, action: Extract<Action, { type: "forward" }>, req: IncomingMessage): Chosen | undefined {
    const now = this.#clock.now();
    let setCookies: string[] | undefined;
    let tgArn: string | undefined;
    const groups = action.targetGroups;
    if (groups.length === 1) tgArn = groups[0]!.arn;
    else {
      const tgSticky = action.stickiness?.enabled ? action.stickiness : undefined;
      if (tgSticky) {
        const c = readCookie(req.headers.cookie, TG_COOKIE);
        const arn = c === undefined ? undefined : this.#cookies.decode("tg", c);
        if (arn !== undefined && groups.some((g) => g.arn === arn && g.weight > 0)) tgArn = arn;
      }
      tgArn ??= pickWeighted(groups, this.#random)?.arn;
      if (tgArn === undefined) return undefined;
      if (tgSticky) setCookies = stickyCookies(TG_COOKIE, this.#cookies.encode("tg", tgArn), now + tgSticky.durationSeconds * 1000, true);
    }
    const tg = snap.table.targetGroups.get(tgArn);
    if (!tg) return undefined;
    const st = tg.stickiness;
    let slot: Slot | undefined;
    if (st.enabled) {
      const name = st.type === "lb_cookie" ? LB_COOKIE : APP_COOKIE;
      const c = readCookie(req.headers.cookie, name);
      const decoded = c === undefined ? undefined : this.#cookies.decode(tg.arn, c);
      if (decoded !== undefined) {
        const nl = decoded.lastIndexOf("\n");
        slot = this.#balancer.find(tg, decoded.slice(0, nl), Number(decoded.slice(nl + 1)));
      }
      if (!slot) slot = this.#balancer.pick(tg);
      if (slot && st.type === "lb_cookie") {
        const v = this.#cookies.encode(tg.arn, `${slot.route.id}\n${slot.route.port}`);
        setCookies = [...(setCookies ?? []), ...stickyCookies(LB_COOKIE, v, now + st.durationSeconds * 1000, true)];
      }
    } else slot = this.#balancer.pick(tg);
    return slot ? { slot, tg, setCookies } : undefined;
  }
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** No load balancer on this port answers to the request's Host: say which ones do. */
function notFound(res: ServerResponse, port: PortRoutes, host: string | undefined, boundPort: number): void {
  const items = port.listeners
    .map((l) => `<li><a href="${port.protocol.toLowerCase()}://${escapeHtml(l.routes.dnsName)}:${boundPort}/">${escapeHtml(l.routes.dnsName)}</a> (load balancer ${escapeHtml(l.routes.loadBalancerName)}, listener port ${l.routes.port})</li>`)
    .join("\r\n");
  const t = errorTitle(404);
  const body =
    `<html>\r\n<head><title>${t}</title></head>\r\n<body>\r\n<center><h1>${t}</h1></center>\r\n` +
    `<p>No load balancer on 127.0.0.1:${boundPort} answers to host ${escapeHtml(JSON.stringify(host ?? ""))}. ` +
    `Load balancers on this port (use one of these names in the Host header, or in the URL):</p>\r\n<ul>\r\n${items}\r\n</ul>\r\n</body>\r\n</html>\r\n`;
  res.writeHead(404, "Not Found", { Server: "awselb/2.0", "Content-Type": "text/html", "Content-Length": Buffer.byteLength(body) });
  res.end(body);
}

interface Chosen {
  readonly slot: Slot;
  readonly tg: TargetGroupRoutes;
  readonly setCookies: string[] | undefined;
}

/** Minimal ServerResponse stand-in writing to a raw socket (non-forward actions on Upgrade requests). */
class ServerResponseShim {
  readonly #socket: Duplex;
  headersSent = false;
  destroyed = false;
  writableEnded = false;
  constructor(socket: Duplex) {
    this.#socket = socket;
  }
  writeHead(status: number, headers: Record<string, string | number>): this {
    let head = `HTTP/1.1 ${status} ${errorTitle(status).replace(/^\d+ /, "") || "OK"}\r\n`;
    for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
    this.#socket.write(`${head}Connection: close\r\n\r\n`);
    this.headersSent = true;
    return this;
  }
  end(body?: string): void {
    this.writableEnded = true;
    this.#socket.end(body);
  }
}

type ResponseLike = Pick<ServerResponse, "writeHead" | "end"> | ServerResponseShim;

const CONTENT_TYPES = new Set(["text/plain", "text/css", "text/html", "application/javascript", "application/json"]);

function fixedResponse(res: ResponseLike, a: Extract<Action, { type: "fixed-response" }>): void {
  const body = a.messageBody ?? "";
  const type = a.contentType && CONTENT_TYPES.has(a.contentType) ? a.contentType : "text/plain";
  (res as ServerResponseShim).writeHead(Number(a.statusCode) || 200, {
    Server: "awselb/2.0",
    "Content-Type": `${type}; charset=utf-8`,
    "Content-Length": Buffer.byteLength(body),
  });
  (res as ServerResponseShim).end(body);
}

/**
 * Location for a redirect action with #{protocol} #{host} #{port} #{path} #{query} placeholders
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_RedirectActionConfig.html).
 */
export function redirectLocation(
  a: Extract<Action, { type: "redirect" }>,
  req: { url: string; host: string | undefined },
  listener: Pick<ListenerRoutes, "port" | "protocol">,
): string {
  const { path, query } = splitTarget(req.url);
  const values: Record<string, string> = {
    protocol: listener.protocol.toLowerCase(),
    host: hostWithoutPort(req.host),
    port: String(listener.port),
    path: path.replace(/^\//, ""),
    query,
  };
  const fill = (template: string) => template.replace(/#\{(protocol|host|port|path|query)\}/g, (_, k: string) => values[k]!);
  const protocol = fill(a.protocol ?? "#{protocol}").toLowerCase();
  const host = fill(a.host ?? "#{host}");
  const port = fill(a.port ?? "#{port}");
  let p = fill(a.path ?? "/#{path}");
  if (!p.startsWith("/")) p = `/${p}`;
  const q = fill(a.query ?? "#{query}");
  return `${protocol}://${host}:${port}${p}${q ? `?${q}` : ""}`;
}

function redirect(res: ResponseLike, req: IncomingMessage, listener: ListenerRoutes, a: Extract<Action, { type: "redirect" }>): void {
  const status = a.statusCode === "HTTP_301" ? 301 : 302;
  const location = redirectLocation(a, { url: req.url ?? "/", host: req.headers.host }, listener);
  const t = errorTitle(status);
  const body = `<html>\r\n<head><title>${t}</title></head>\r\n<body>\r\n<center><h1>${t}</h1></center>\r\n</body>\r\n</html>\r\n`;
  (res as ServerResponseShim).writeHead(status, {
    Server: "awselb/2.0",
    "Content-Type": "text/html",
    "Content-Length": Buffer.byteLength(body),
    Location: location,
  });
  (res as ServerResponseShim).end(body);
}

/** A keep-alive pool per target, protocol and source address. */
function poolKey(address: string, port: number, tls: boolean, source: string | undefined): string {
  return `${source ? `${source}>` : ""}${address}:${port}:${tls}`;
}
