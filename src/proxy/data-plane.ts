/**
 * The ALB data plane: one node:http server per listener on 127.0.0.1, serving the current immutable
 * RoutingTable. `apply(table)` swaps the snapshot by reference (requests in flight finish on the
 * old one), opens and closes listeners as the table's listeners change, and aborts requests still
 * in flight to targets that left the table (deregistration delay over → 502). The request path
 * reads the snapshot once and never awaits the control plane.
 *
 * Host ports are the data plane's own business (host-ports.ts): each listener binds its port;
 * one that cannot (EACCES: privileged; EADDRINUSE: taken) moves to its fallback port by itself,
 * logged once, with no new table. `listeners()` reports where each listener is served.
 */
import { randomBytes } from "node:crypto";
import { type ClientRequest, type IncomingMessage, type Server, type ServerResponse, Agent, createServer } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { type Clock, monotonicMs, systemClock } from "../core/clock.ts";
import { Balancer, type Slot, pickWeighted, seededRandom, targetKey } from "./balancer.ts";
import { errorTitle, sendError, writeRawError } from "./error-pages.ts";
import {
  CONNECT_TIMEOUT_MS,
  TargetDeregisteredError,
  type Upstream,
  forwardHeaders,
  newTargetAgent,
  proxyRequest,
  proxyUpgrade,
} from "./forward.ts";
import { listenerHostPort, planHostPorts } from "./host-ports.ts";
import type { Action, ListenerRoutes, RoutingTable, TargetGroupRoutes } from "./routing-table.ts";
import { type CompiledRule, compileRules, hostWithoutPort, matchRule, splitTarget } from "./rules.ts";
import { APP_COOKIE, CookieCodec, LB_COOKIE, TG_COOKIE, readCookie, stickyCookies } from "./stickiness.ts";
import type { TargetHealthView } from "./target-health.ts";
import type { TrafficCounters } from "./traffic-counters.ts";

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
  /** Counters the load balancer metrics are computed from (none: nothing is counted). */
  readonly counters?: TrafficCounters;
}

/** Where one listener is served: what `/_slipway/listeners` reports. */
export interface ListenerBinding {
  readonly listenerArn: string;
  readonly loadBalancerArn: string;
  /** The port the listener was created with. */
  readonly port: number;
  /** The loopback port the data plane serves it on (its own port, or the fallback). */
  readonly hostPort: number;
  /** The port bound; null while binding or after a failure. */
  readonly boundPort: number | null;
}

interface CompiledListener {
  readonly routes: ListenerRoutes;
  readonly rules: readonly CompiledRule[];
}

interface Snapshot {
  readonly table: RoutingTable;
  /** By listener ARN. */
  readonly listeners: ReadonlyMap<string, CompiledListener>;
}

interface ListenerServer {
  readonly listenerArn: string;
  readonly hostPort: number;
  readonly server: Server;
  bound: number | undefined;
  failed: boolean;
  readonly listening: Promise<void>;
}

const EMPTY: Snapshot = { table: { listeners: new Map(), targetGroups: new Map() }, listeners: new Map() };

/** 64 KB of request headers in all (ALB: 16 K per line/header, 64 K in total → 400). */
const MAX_REQUEST_HEADER_BYTES = 64 * 1024;

export class DataPlane {
  readonly #opts: DataPlaneOptions;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #balancer: Balancer;
  readonly #cookies: CookieCodec;
  readonly #connectTimeoutMs: number;
  #snap: Snapshot = EMPTY;
  readonly #servers = new Map<string, ListenerServer>();
  /** Host ports that failed to bind (EACCES, EADDRINUSE): listeners wanting them move on. */
  readonly #unbindable = new Set<number>();
  /** The host port of each listener of the current table. */
  #hostPorts = new Map<string, number>();
  /** Keep-alive agents by `[source>]address:port` (a pooled socket is bound to its source). */
  readonly #agents = new Map<string, Agent>();
  /** Upstream requests in flight by target key (aborted when the target leaves the table). */
  readonly #inflight = new Map<string, Set<ClientRequest>>();
  #closed = false;

  constructor(opts: DataPlaneOptions) {
    this.#opts = opts;
    this.#clock = opts.clock ?? systemClock;
    this.#random = opts.random ?? seededRandom(randomBytes(16));
    this.#cookies = new CookieCodec(opts.cookieSecret ?? randomBytes(32));
    this.#connectTimeoutMs = opts.connectTimeoutMs ?? CONNECT_TIMEOUT_MS;
    this.#balancer = new Balancer({ health: opts.health, clock: this.#clock, random: this.#random });
  }

  apply(table: RoutingTable): void {
    if (this.#closed) return;
    if (table === this.#snap.table && ![...this.#servers.values()].some((s) => s.failed)) return;
    const listeners = new Map<string, CompiledListener>();
    for (const [arn, routes] of table.listeners) listeners.set(arn, { routes, rules: compileRules(routes.rules) });
    this.#snap = { table, listeners };
    this.#balancer.setGroups(table.targetGroups);
    this.#reconcileServers(table);
    this.#dropRemovedTargets(table);
  }

  /** The port a listener is bound to (undefined while binding or after a bind failure). */
  boundPort(listenerArn: string): number | undefined {
    return this.#servers.get(listenerArn)?.bound;
  }

  /** Where each listener of the current table is served, in table order. */
  listeners(): ListenerBinding[] {
    return [...this.#snap.table.listeners.values()].map((l) => ({
      listenerArn: l.listenerArn,
      loadBalancerArn: l.loadBalancerArn,
      port: l.port,
      hostPort: this.#hostPorts.get(l.listenerArn) ?? l.port,
      boundPort: this.#servers.get(l.listenerArn)?.bound ?? null,
    }));
  }

  /**
   * Resolves once every listener of the last applied table has bound, moved past the ports it
   * could not bind, or failed for another reason.
   */
  async ready(): Promise<void> {
    let servers: ListenerServer[];
    do {
      servers = [...this.#servers.values()];
      await Promise.all(servers.map((s) => s.listening));
    } while (servers.some((s) => this.#servers.get(s.listenerArn) !== s) || this.#servers.size !== servers.length);
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
    for (const set of this.#inflight.values()) for (const up of set) up.destroy();
    const closing = servers.map((s) => this.#closeServer(s));
    for (const s of servers) s.server.closeAllConnections();
    await Promise.all(closing);
    for (const a of this.#agents.values()) a.destroy();
    this.#agents.clear();
  }

  #reconcileServers(table: RoutingTable): void {
    const preferred = this.#opts.preferredPort ?? ((port: number) => port);
    const hostPorts = planHostPorts(table.listeners.values(), (port) => listenerHostPort(preferred(port), this.#unbindable));
    this.#hostPorts = hostPorts;
    for (const [arn, s] of this.#servers) {
      if (!table.listeners.has(arn) || hostPorts.get(arn) !== s.hostPort || s.failed) {
        this.#servers.delete(arn);
        void this.#closeServer(s);
      }
    }
    for (const [arn, routes] of table.listeners) {
      const existing = this.#servers.get(arn);
      if (existing) this.#tune(existing.server, routes);
      else this.#servers.set(arn, this.#open(arn, hostPorts.get(arn)!, routes));
    }
  }

  #tune(server: Server, routes: ListenerRoutes): void {
    const idleMs = routes.idleTimeoutSeconds * 1000;
    server.keepAliveTimeout = idleMs;
    server.headersTimeout = Math.min(60_000, idleMs + 1000);
  }

  #open(listenerArn: string, hostPort: number, routes: ListenerRoutes): ListenerServer {
    const server = createServer({ maxHeaderSize: MAX_REQUEST_HEADER_BYTES, requestTimeout: 0, keepAlive: true });
    this.#tune(server, routes);
    let resolve!: () => void;
    const listening = new Promise<void>((r) => (resolve = r));
    const ls: ListenerServer = { listenerArn, hostPort, server, bound: undefined, failed: false, listening };
    server.on("request", (req, res) => this.#handle(ls, req, res));
    const counters = this.#opts.counters;
    if (counters) server.on("connection", (socket: Socket) => counters.enabled && counters.connection(routes.loadBalancerArn, socket));
    server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => this.#handleUpgrade(ls, req, socket, head));
    server.on("clientError", (err: NodeJS.ErrnoException, socket: Duplex) => {
      if (err.code === "ECONNRESET" || !socket.writable) return socket.destroy();
      // Malformed request line or headers, oversized headers: ALB answers 400 and closes.
      writeRawError(socket, 400);
    });
    server.once("error", (err: NodeJS.ErrnoException) => {
      ls.failed = true;
      if (this.#servers.get(listenerArn) === ls && !this.#closed) this.#bindFailed(ls, err);
      resolve();
    });
    server.listen(hostPort, this.#opts.host ?? "127.0.0.1", () => {
      ls.bound = (server.address() as { port: number }).port;
      resolve();
      this.#opts.log?.(`listener ${listenerArn} on http://127.0.0.1:${ls.bound}`);
    });
    return ls;
  }

  /**
   * A listener could not bind its host port. Privileged or taken: the port joins the unbindable
   * ones and the listener (with any other that wanted the port) moves to its fallback now. Anything
   * else is logged and retried on the next table.
   */
  #bindFailed(ls: ListenerServer, err: NodeJS.ErrnoException): void {
    const at = `127.0.0.1:${ls.hostPort}`;
    if (err.code !== "EACCES" && err.code !== "EADDRINUSE") {
      this.#opts.log?.(`listener ${ls.listenerArn} cannot bind ${at} (${err.code ?? err.message})`);
      return;
    }
    this.#unbindable.add(ls.hostPort);
    this.#reconcileServers(this.#snap.table);
    this.#opts.log?.(`listener ${ls.listenerArn} cannot bind ${at} (${err.code}); moving it to 127.0.0.1:${this.#hostPorts.get(ls.listenerArn)}`);
  }

  #closeServer(s: ListenerServer): Promise<void> {
    return new Promise((resolve) => {
      if (!s.server.listening) return resolve();
      s.server.close(() => resolve());
      s.server.closeIdleConnections();
      // Connections still serving a request finish it; keep-alive then ends with the server.
    });
  }

  #dropRemovedTargets(table: RoutingTable): void {
    const addresses = new Set<string>();
    const keys = new Set<string>();
    for (const tg of table.targetGroups.values()) {
      for (const t of tg.targets) {
        keys.add(targetKey(tg.arn, t.id, t.port));
        addresses.add(agentKey(t.address, t.port, t.sourceAddress));
      }
    }
    for (const [key, set] of this.#inflight) {
      if (keys.has(key)) continue;
      this.#inflight.delete(key);
      for (const up of set) up.destroy(new TargetDeregisteredError("target deregistered"));
    }
    for (const [addr, agent] of this.#agents) {
      if (addresses.has(addr)) continue;
      this.#agents.delete(addr);
      agent.destroy();
    }
  }

  #agent(address: string, port: number, source: string | undefined): Agent {
    const key = agentKey(address, port, source);
    let a = this.#agents.get(key);
    if (!a) {
      a = newTargetAgent();
      this.#agents.set(key, a);
    }
    return a;
  }

  #traceId = (): string => {
    const secs = Math.floor(this.#clock.now() / 1000).toString(16).padStart(8, "0");
    let rand = "";
    for (let i = 0; i < 3; i++) rand += Math.floor(this.#random() * 0x100000000).toString(16).padStart(8, "0");
    return `Root=1-${secs}-${rand}`;
  };

  #route(ls: ListenerServer, req: IncomingMessage): { snap: Snapshot; listener: CompiledListener; action: Action } | undefined {
    const snap = this.#snap;
    const listener = snap.listeners.get(ls.listenerArn);
    if (!listener) return undefined;
    const rule = matchRule(listener.rules, {
      method: req.method ?? "GET",
      url: req.url ?? "/",
      headers: req.headers,
      sourceIp: req.socket.remoteAddress ?? "",
    });
    return rule ? { snap, listener, action: rule.action } : undefined;
  }

  #handle(ls: ListenerServer, req: IncomingMessage, res: ServerResponse): void {
    const counters = this.#opts.counters?.enabled ? this.#opts.counters : undefined;
    const routed = this.#route(ls, req);
    if (!routed) {
      const lbArn = counters && this.#snap.listeners.get(ls.listenerArn)?.routes.loadBalancerArn;
      if (lbArn) counters.loadBalancer(lbArn).countElb(503);
      return sendError(res, 503);
    }
    const { snap, listener, action } = routed;
    switch (action.type) {
      case "fixed-response":
        counters?.loadBalancer(listener.routes.loadBalancerArn).countElb(Number(action.statusCode) || 200);
        return fixedResponse(res, action);
      case "redirect":
        counters?.loadBalancer(listener.routes.loadBalancerArn).countElb(action.statusCode === "HTTP_301" ? 301 : 302);
        return redirect(res, req, listener.routes, action);
      case "forward": {
        const chosen = this.#choose(snap, action, req);
        if (!chosen) {
          counters?.loadBalancer(listener.routes.loadBalancerArn).countElb(503);
          return sendError(res, 503);
        }
        return proxyRequest(req, res, this.#headers(req, listener.routes, false), this.#upstream(listener.routes, chosen, counters));
      }
    }
  }

  #handleUpgrade(ls: ListenerServer, req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on("error", () => socket.destroy());
    const routed = this.#route(ls, req);
    if (!routed) return writeRawError(socket, 503);
    const { snap, listener, action } = routed;
    if (action.type !== "forward") {
      // Answer like a plain request, on a throwaway response bound to this socket.
      const res = new ServerResponseShim(socket);
      if (action.type === "fixed-response") fixedResponse(res, action);
      else redirect(res, req, listener.routes, action);
      return;
    }
    const chosen = this.#choose(snap, action, req);
    if (!chosen) return writeRawError(socket, 503);
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

  #upstream(routes: ListenerRoutes, chosen: Chosen, counters?: TrafficCounters): Upstream {
    const { slot, tg, setCookies } = chosen;
    let measured: Upstream["counters"];
    if (counters) {
      const tgc = counters.targetGroup(routes.loadBalancerArn, tg.arn);
      tgc.requests++;
      measured = { lb: counters.loadBalancer(routes.loadBalancerArn), tg: tgc, startedAt: monotonicMs() };
    }
    const key = slot.key;
    const r = slot.route;
    const appCookie = tg.stickiness.enabled && tg.stickiness.type === "app_cookie" ? tg.stickiness : undefined;
    return {
      address: r.address,
      port: r.port,
      ...(r.sourceAddress ? { localAddress: r.sourceAddress } : {}),
      agent: this.#agent(r.address, r.port, r.sourceAddress),
      idleTimeoutMs: routes.idleTimeoutSeconds * 1000,
      connectTimeoutMs: this.#connectTimeoutMs,
      setCookies,
      counters: measured,
      onResponseHeaders: appCookie
        ? (ur) => {
            // The application set its cookie: bind the client to this target with AWSALBAPP-0.
            const sc = ur.headers["set-cookie"];
            const name = appCookie.appCookieName;
            if (!sc || !name || !sc.some((c) => c.startsWith(`${name}=`))) return undefined;
            const v = this.#cookies.encode(tg.arn, `${r.id}\n${r.port}`);
            return stickyCookies(APP_COOKIE, v, this.#clock.now() + appCookie.durationSeconds * 1000, false);
          }
        : undefined,
      onStart: (up) => {
        this.#balancer.acquire(key);
        let set = this.#inflight.get(key);
        if (!set) {
          set = new Set();
          this.#inflight.set(key, set);
        }
        set.add(up);
      },
      onEnd: (up) => {
        this.#balancer.release(key);
        const set = this.#inflight.get(key);
        if (set) {
          set.delete(up);
          if (set.size === 0) this.#inflight.delete(key);
        }
      },
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
    this.#socket.write(head + "Connection: close\r\n\r\n");
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

/** A keep-alive pool per target and source address. */
function agentKey(address: string, port: number, source: string | undefined): string {
  return `${source ? `${source}>` : ""}${address}:${port}`;
}
