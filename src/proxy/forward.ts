/**
 * Forwarding one request to one target: keep-alive agent per target, bodies streamed both ways,
 * hop-by-hop headers stripped, X-Forwarded-* and X-Amzn-Trace-Id set, ALB error codes (502
 * refused/reset/malformed/oversized response headers/deregistered, 504 connect or idle timeout),
 * client abort cancels the upstream request. WebSocket upgrades are piped socket to socket.
 * See https://docs.aws.amazon.com/elasticloadbalancing/latest/application/x-forwarded-headers.html and
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-troubleshooting.html.
 */
import { type ClientRequest, type IncomingMessage, type ServerResponse, Agent, request } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { monotonicMs } from "../core/clock.ts";
import { sendError, writeRawError } from "./error-pages.ts";
import type { LoadBalancerCounters, TargetGroupCounters } from "./traffic-counters.ts";
import type { ListenerRoutes } from "./routing-table.ts";
import { normalizeIp } from "./rules.ts";

/** Largest upstream response header block ALB accepts: a target response with more than 32 KB of headers is a 502. */
export const MAX_RESPONSE_HEADER_BYTES = 32 * 1024;
export const CONNECT_TIMEOUT_MS = 10_000;
/** Errors that mean no connection to the target was established (TargetConnectionErrorCount). */
const CONNECT_ERRORS = new Set(["ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "EADDRNOTAVAIL", "ETIMEDOUT"]);

/** Thrown into an upstream request when its target leaves the table (deregistration delay over). */
export class TargetDeregisteredError extends Error {
  override readonly name = "TargetDeregisteredError";
}

export function newTargetAgent(): Agent {
  // Free sockets are dropped after 4 s, before Node's default 5 s server keep-alive closes them.
  return new Agent({ keepAlive: true, maxSockets: Infinity, maxFreeSockets: 512, scheduling: "lifo", timeout: 4000 });
}

const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"]);

export interface ForwardHeaderInput {
  readonly rawHeaders: readonly string[];
  readonly listener: ListenerRoutes;
  readonly clientIp: string;
  readonly clientPort: number;
  /** A fresh `Root=1-…` value, called only when the request carries no trace id. */
  readonly newTraceId: () => string;
  /** Keep Connection/Upgrade (WebSocket handshake). */
  readonly upgrade: boolean;
}

/** The request headers sent to the target, as a flat [name, value, …] list. */
export function forwardHeaders(input: ForwardHeaderInput): string[] {
  const { rawHeaders: raw, listener } = input;
  const out: string[] = [];
  let xff: string | undefined;
  let trace = false;
  let host: string | undefined;
  let connection: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    const lower = name.toLowerCase();
    switch (lower) {
      case "host":
        if (host === undefined) host = value;
        continue;
      case "x-forwarded-for":
        xff = xff === undefined ? value : `${xff}, ${value}`;
        continue;
      case "x-forwarded-proto":
      case "x-forwarded-port":
        continue;
      case "x-amzn-trace-id":
        trace = true;
        break;
      case "connection":
        connection = connection === undefined ? value : `${connection}, ${value}`;
        if (!input.upgrade) continue;
        out.push("Connection", "Upgrade");
        continue;
      case "upgrade":
        if (input.upgrade) out.push(name, value);
        continue;
      case "transfer-encoding":
        // Keep chunked framing: Node's client then chunk-encodes the streamed body itself.
        if (!input.upgrade && /chunked/i.test(value)) out.push("Transfer-Encoding", "chunked");
        continue;
      default:
        if (HOP_BY_HOP.has(lower)) continue;
    }
    out.push(name, value);
  }
  if (connection !== undefined) dropConnectionTokens(out, connection);
  if (host !== undefined) {
    const standard = listener.protocol === "HTTPS" ? 443 : 80;
    if (!listener.preserveHostHeader && listener.port !== standard && !hasPort(host)) host = `${host}:${listener.port}`;
    out.push("Host", host);
  }
  const ip = normalizeIp(input.clientIp);
  const entry = listener.xffClientPort ? (ip.includes(":") ? `[${ip}]:${input.clientPort}` : `${ip}:${input.clientPort}`) : ip;
  if (listener.xffMode === "append") out.push("X-Forwarded-For", xff === undefined ? entry : `${xff}, ${entry}`);
  else if (listener.xffMode === "preserve" && xff !== undefined) out.push("X-Forwarded-For", xff);
  out.push("X-Forwarded-Proto", listener.protocol === "HTTPS" ? "https" : "http");
  out.push("X-Forwarded-Port", String(listener.port));
  if (!trace) out.push("X-Amzn-Trace-Id", input.newTraceId());
  return out;
}

function hasPort(host: string): boolean {
  if (host.startsWith("[")) return host.includes("]:");
  return host.includes(":");
}

/** Removes headers named in Connection (RFC 9110 §7.6.1), other than the standard tokens. */
function dropConnectionTokens(out: string[], connection: string): void {
  const names = connection
    .split(",")
    .map((t) => t.trim().toLowerCase())
    .filter((t) => t && t !== "close" && t !== "keep-alive" && t !== "upgrade");
  if (names.length === 0) return;
  for (let i = out.length - 2; i >= 0; i -= 2) {
    if (names.includes(out[i]!.toLowerCase())) out.splice(i, 2);
  }
}

/** Response headers for the client: upstream headers without hop-by-hop ones, plus `extra`. */
export function responseHeaders(raw: readonly string[], extra: readonly string[] | undefined): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (HOP_BY_HOP.has(name.toLowerCase())) continue;
    out.push(name, raw[i + 1]!);
  }
  if (extra) for (const c of extra) out.push("Set-Cookie", c);
  return out;
}

export interface Upstream {
  readonly address: string;
  readonly port: number;
  /** The local address to connect from (the load balancer's ENI address), when there is one. */
  readonly localAddress?: string;
  readonly agent: Agent;
  readonly idleTimeoutMs: number;
  readonly connectTimeoutMs: number;
  /** Set-Cookie values added to the response (stickiness). */
  readonly setCookies?: readonly string[];
  /** Inspect the upstream response headers and return more Set-Cookie values (app cookie stickiness). */
  readonly onResponseHeaders?: (res: IncomingMessage) => readonly string[] | undefined;
  /** Called when the upstream request exists (in-flight tracking) and when it is over. */
  readonly onStart: (up: ClientRequest) => void;
  readonly onEnd: (up: ClientRequest) => void;
  /** Metric counters (traffic-counters.ts): target responses and times, errors the proxy answers. */
  readonly counters?: { readonly lb: LoadBalancerCounters; readonly tg: TargetGroupCounters; readonly startedAt: number };
}

function isIdempotentWithoutBody(req: IncomingMessage): boolean {
  const m = req.method;
  return (
    (m === "GET" || m === "HEAD" || m === "OPTIONS") &&
    req.headers["transfer-encoding"] === undefined &&
    (req.headers["content-length"] === undefined || req.headers["content-length"] === "0")
  );
}

/** Proxies `req` to the target and streams the answer into `res`. */
export function proxyRequest(req: IncomingMessage, res: ServerResponse, headers: string[], t: Upstream, retry = true): void {
  let timedOut = false;
  let responded = false;
  let ended = false;
  const up = request({
    host: t.address,
    port: t.port,
    ...(t.localAddress ? { localAddress: t.localAddress } : {}),
    method: req.method,
    path: req.url,
    headers,
    agent: t.agent,
    setHost: false,
    maxHeaderSize: MAX_RESPONSE_HEADER_BYTES,
  });
  t.onStart(up);
  const end = () => {
    if (ended) return;
    ended = true;
    t.onEnd(up);
  };
  up.setTimeout(t.idleTimeoutMs, () => {
    timedOut = true;
    up.destroy();
  });
  if (t.idleTimeoutMs > t.connectTimeoutMs) {
    up.once("socket", (s: Socket) => {
      if (!s.connecting) return;
      const onTimeout = () => {
        timedOut = true;
        up.destroy();
      };
      s.setTimeout(t.connectTimeoutMs);
      s.once("timeout", onTimeout);
      s.once("connect", () => s.off("timeout", onTimeout));
    });
  }
  up.on("response", (ur) => {
    responded = true;
    if (res.destroyed) {
      ur.destroy();
      up.destroy();
      return end();
    }
    const extra = t.onResponseHeaders?.(ur);
    const cookies = extra ? [...(t.setCookies ?? []), ...extra] : t.setCookies;
    if (t.counters) t.counters.tg.response(ur.statusCode ?? 0, (monotonicMs() - t.counters.startedAt) / 1000);
    res.writeHead(ur.statusCode ?? 502, ur.statusMessage, responseHeaders(ur.rawHeaders, cookies));
    // Hand-rolled pipe (fewer listeners than Readable.pipe on the hot path), with backpressure.
    const resume = () => ur.resume();
    ur.on("data", (chunk: Buffer) => {
      if (!res.write(chunk)) {
        ur.pause();
        res.once("drain", resume);
      }
    });
    ur.on("end", () => res.end());
    ur.on("close", () => {
      // The target closed mid-response (or we aborted it): cut the client connection.
      if (!ur.complete) res.destroy();
      end();
    });
  });
  up.on("error", (err: NodeJS.ErrnoException) => {
    if (responded) {
      res.destroy();
      return end();
    }
    if (
      retry &&
      !timedOut &&
      !(err instanceof TargetDeregisteredError) &&
      (up as ClientRequest & { reusedSocket?: boolean }).reusedSocket &&
      (err.code === "ECONNRESET" || err.code === "EPIPE") &&
      isIdempotentWithoutBody(req) &&
      !res.destroyed
    ) {
      // A keep-alive connection the target closed just as we reused it: try once on a fresh one.
      end();
      proxyRequest(req, res, headers, t, false);
      return;
    }
    end();
    if (t.counters) {
      if (CONNECT_ERRORS.has(err.code ?? "") || (timedOut && (up.socket as Socket | null)?.connecting !== false)) t.counters.tg.targetConnectionErrors++;
      t.counters.lb.countElb(timedOut ? 504 : 502);
    }
    sendError(res, timedOut ? 504 : 502);
  });
  res.on("close", () => {
    // Client went away before the answer was complete: cancel the upstream request.
    if (!res.writableFinished && !up.destroyed) up.destroy();
  });
  if (req.readableEnded || isIdempotentWithoutBody(req)) up.end();
  else req.pipe(up);
}

function rawHead(status: number, message: string, headers: readonly string[]): string {
  let head = `HTTP/1.1 ${status} ${message}\r\n`;
  for (let i = 0; i < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
  return head + "\r\n";
}

/** Proxies a WebSocket (or other Upgrade) handshake, then pipes both sockets. */
export function proxyUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, headers: string[], t: Upstream): void {
  socket.on("error", () => socket.destroy());
  const up = request({
    host: t.address,
    port: t.port,
    ...(t.localAddress ? { localAddress: t.localAddress } : {}),
    method: req.method,
    path: req.url,
    headers,
    agent: false,
    setHost: false,
    maxHeaderSize: MAX_RESPONSE_HEADER_BYTES,
  });
  t.onStart(up);
  let done = false;
  const end = () => {
    if (done) return;
    done = true;
    t.onEnd(up);
  };
  let timedOut = false;
  up.setTimeout(Math.min(t.idleTimeoutMs, t.connectTimeoutMs), () => {
    timedOut = true;
    up.destroy();
  });
  up.on("upgrade", (ur, upSocket: Socket, upHead: Buffer) => {
    const extra = t.onResponseHeaders?.(ur);
    const cookies = extra ? [...(t.setCookies ?? []), ...extra] : t.setCookies;
    const out: string[] = [];
    for (let i = 0; i < ur.rawHeaders.length; i += 2) out.push(ur.rawHeaders[i]!, ur.rawHeaders[i + 1]!);
    if (cookies) for (const c of cookies) out.push("Set-Cookie", c);
    socket.write(rawHead(ur.statusCode ?? 101, ur.statusMessage ?? "Switching Protocols", out));
    if (upHead.length) socket.write(upHead);
    if (head.length) upSocket.write(head);
    upSocket.setTimeout(t.idleTimeoutMs, () => upSocket.destroy());
    (socket as Socket).setTimeout?.(t.idleTimeoutMs, () => socket.destroy());
    upSocket.on("error", () => upSocket.destroy());
    upSocket.on("close", () => {
      socket.destroy();
      end();
    });
    socket.on("close", () => upSocket.destroy());
    upSocket.pipe(socket);
    socket.pipe(upSocket);
  });
  up.on("response", (ur) => {
    // The target refused the upgrade: relay its answer and close.
    const extra = t.onResponseHeaders?.(ur);
    const cookies = extra ? [...(t.setCookies ?? []), ...extra] : t.setCookies;
    const all = responseHeaders(ur.rawHeaders, cookies);
    const hs: string[] = [];
    // The body is relayed decoded and close-delimited: drop its original length.
    for (let i = 0; i < all.length; i += 2) if (all[i]!.toLowerCase() !== "content-length") hs.push(all[i]!, all[i + 1]!);
    hs.push("Connection", "close");
    socket.write(rawHead(ur.statusCode ?? 502, ur.statusMessage ?? "", hs));
    ur.pipe(socket);
    ur.on("close", end);
  });
  up.on("error", () => {
    end();
    writeRawError(socket, timedOut ? 504 : 502);
  });
  socket.on("close", () => {
    if (!done) up.destroy();
  });
  up.end();
}
