/**
 * Forwarding one request to one target over the target's keep-alive pool (upstream.ts): bodies
 * streamed both ways with backpressure, hop-by-hop headers stripped, X-Forwarded-* and
 * X-Amzn-Trace-Id set, ALB's error answers (502: refused, reset, malformed response, response
 * headers over 32 KB, target deregistered mid-request; 504: no connection within 10 s or no answer
 * within the idle timeout), and a client that goes away cancels the exchange. WebSocket upgrades
 * are piped socket to socket. See
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/x-forwarded-headers.html and
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-troubleshooting.html.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";
import { sendError, writeRawError } from "./error-pages.ts";
import type { ResponseHead } from "./http1.ts";
import type { DataPlaneObserver } from "./observer.ts";
import type { ListenerRoutes } from "./routing-table.ts";
import { normalizeIp } from "./rules.ts";
import type { Exchange, UpstreamFailure, UpstreamPool } from "./upstream.ts";

export { CONNECT_TIMEOUT_MS } from "./upstream.ts";

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


/** Response headers for the client: the target's, without hop-by-hop ones (and those Connection names), plus `extra` cookies. */
export function responseHeaders(raw: readonly string[], extra: readonly string[] | undefined): string[] {
  const out: string[] = [];
  let connection: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = name.toLowerCase();
    if (lower === "connection") connection = connection === undefined ? raw[i + 1]! : `${connection}, ${raw[i + 1]}`;
    if (HOP_BY_HOP.has(lower)) continue;
    out.push(name, raw[i + 1]!);
  }
  if (connection !== undefined) dropConnectionTokens(out, connection);
  if (extra) for (const c of extra) out.push("Set-Cookie", c);
  return out;
}

export interface ExchangeTracker {
  start(ex: Exchange): void;
  end(ex: Exchange): void;
}

export interface Upstream {
  readonly pool: UpstreamPool;
  readonly idleTimeoutMs: number;
  readonly connectTimeoutMs: number;
  /** Set-Cookie values added to the response (stickiness). */
  readonly setCookies?: readonly string[] | undefined;
  /** Inspects the target's response head and returns more Set-Cookie values (app cookie stickiness). */
  readonly onResponseHeaders?: ((head: ResponseHead) => readonly string[] | undefined) | undefined;
  /** Told when the exchange exists (in-flight tracking) and when it is over; one per target, reused. */
  readonly tracker: ExchangeTracker;
  /** The metrics hook, with the load balancer and target group this request is counted under. */
  readonly observer?: DataPlaneObserver | undefined;
  readonly loadBalancerArn: string;
  readonly targetGroupArn: string;
}

/** The request head sent to the target. */
function requestHead(method: string, url: string, headers: readonly string[]): string {
  let head = `${method} ${url} HTTP/1.1\r\n`;
  for (let i = 0; i < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
  return `${head}\r\n`;
}

function hasBody(req: IncomingMessage): "none" | "length" | "chunked" {
  if (req.headers["transfer-encoding"] !== undefined) return "chunked";
  const cl = req.headers["content-length"];
  return cl === undefined || cl === "0" ? "none" : "length";
}

function idempotent(method: string | undefined): boolean {
  return method === "GET" || method === "HEAD" || method === "OPTIONS";
}

const statusFor = (kind: UpstreamFailure) => (kind === "timeout" ? 504 : 502);

/** Proxies `req` to the target and streams the answer into `res`. */
export function proxyRequest(req: IncomingMessage, res: ServerResponse, headers: readonly string[], t: Upstream, retry = true): void {
  const method = req.method ?? "GET";
  const body = hasBody(req);
  let responded = false;
  let finished = false;
  const started = t.observer ? performance.now() : 0;
  const finish = () => {
    if (finished) return;
    finished = true;
    t.tracker.end(ex);
  };
  const ex: Exchange = t.pool.request(
    requestHead(method, req.url ?? "/", headers),
    method,
    {
      head: (h) => {
        responded = true;
        if (res.destroyed) return ex.abort("client gone");
        t.observer?.targetResponse(t.loadBalancerArn, t.targetGroupArn, h.status, (performance.now() - started) / 1000);
        const extra = t.onResponseHeaders?.(h);
        const cookies = extra ? [...(t.setCookies ?? []), ...extra] : t.setCookies;
        try {
          res.writeHead(h.status, h.reason, responseHeaders(h.headers, cookies));
        } catch {
          // Whatever Node's own validation refuses is a malformed response too.
          responded = false;
          ex.abort("response not relayable");
          res.statusMessage = "";
          sendError(res, 502);
        }
      },
      data: (chunk) => {
        if (res.write(chunk)) return true;
        res.once("drain", () => ex.resume());
        return false;
      },
      end: () => {
        res.end();
        finish();
      },
      error: (kind, _message, retryable) => {
        finish();
        if (responded) {
          // Headers went out: the only honest signal left is cutting the client connection.
          t.observer?.targetFailure(t.loadBalancerArn, t.targetGroupArn, kind);
          res.destroy();
          return;
        }
        if (retry && retryable && body === "none" && idempotent(method) && !res.destroyed) {
          // A keep-alive connection the target closed just as we reused it: once more, on another.
          proxyRequest(req, res, headers, t, false);
          return;
        }
        if (kind === "aborted" && res.destroyed) return;
        t.observer?.targetFailure(t.loadBalancerArn, t.targetGroupArn, kind);
        t.observer?.loadBalancerResponse(t.loadBalancerArn, statusFor(kind));
        sendError(res, statusFor(kind));
      },
    },
    { idleMs: t.idleTimeoutMs, connectMs: t.connectTimeoutMs },
  );
  t.tracker.start(ex);
  res.on("close", () => {
    // The client went away before the answer was complete: cancel the exchange.
    if (!res.writableFinished) ex.abort("client gone");
  });
  if (body === "none" || req.readableEnded) {
    ex.requestEnded();
    if (body === "none") req.resume();
    return;
  }
  const socket = ex.socket;
  const chunked = body === "chunked";
  req.on("data", (chunk: Buffer) => {
    let ok: boolean;
    if (chunked) {
      socket.cork();
      ex.write(`${chunk.length.toString(16)}\r\n`);
      ex.write(chunk);
      ok = ex.write("\r\n");
      process.nextTick(() => socket.uncork());
    } else ok = ex.write(chunk);
    if (!ok) {
      req.pause();
      socket.once("drain", () => req.resume());
    }
  });
  req.on("end", () => {
    if (chunked) ex.write("0\r\n\r\n");
    ex.requestEnded();
  });
}

function rawHead(status: number, message: string, headers: readonly string[]): string {
  let head = `HTTP/1.1 ${status} ${message}\r\n`;
  for (let i = 0; i < headers.length; i += 2) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
  return `${head}\r\n`;
}

/** Proxies a WebSocket (or other Upgrade) handshake, then pipes both sockets. */
export function proxyUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, headers: readonly string[], t: Upstream): void {
  socket.on("error", () => socket.destroy());
  let done = false;
  const end = () => {
    if (done) return;
    done = true;
    t.tracker.end(ex);
  };
  const cookiesFor = (h: ResponseHead) => {
    const extra = t.onResponseHeaders?.(h);
    return extra ? [...(t.setCookies ?? []), ...extra] : t.setCookies;
  };
  let relaying = false;
  const ex: Exchange = t.pool.request(
    requestHead(req.method ?? "GET", req.url ?? "/", headers),
    req.method ?? "GET",
    {
      upgrade: (h, upSocket: Socket, rest: Buffer) => {
        const out = [...h.headers];
        const cookies = cookiesFor(h);
        if (cookies) for (const c of cookies) out.push("Set-Cookie", c);
        socket.write(rawHead(h.status, h.reason || "Switching Protocols", out));
        if (rest.length) socket.write(rest);
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
        upSocket.resume();
      },
      head: (h) => {
        // The target refused the upgrade: relay its answer, then close.
        relaying = true;
        const hs = responseHeaders(h.headers, cookiesFor(h)).filter((_, i, a) => (i % 2 === 0 ? a[i]!.toLowerCase() !== "content-length" : a[i - 1]!.toLowerCase() !== "content-length"));
        hs.push("Connection", "close");
        socket.write(rawHead(h.status, h.reason, hs));
      },
      data: (chunk) => socket.write(chunk),
      end: () => {
        socket.end();
        end();
      },
      error: (kind) => {
        end();
        if (relaying) return void socket.destroy();
        writeRawError(socket, statusFor(kind));
      },
    },
    { idleMs: Math.min(t.idleTimeoutMs, t.connectTimeoutMs), connectMs: t.connectTimeoutMs },
    true,
  );
  t.tracker.start(ex);
  ex.requestEnded();
  socket.on("close", () => {
    if (!done && !relaying) ex.abort("client gone");
  });
}
