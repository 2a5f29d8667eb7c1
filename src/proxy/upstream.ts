/**
 * The client side of the data plane's connections to targets: a keep-alive pool per target and one
 * request/response exchange at a time per connection, with responses read by http1.ts (tolerant of
 * bare LF and close-delimited bodies; see there for what is accepted and what is refused).
 *
 * Node's http.request is not used: its parser refuses the bare-LF framing many small servers send
 * (ALB, nginx and HAProxy accept it), and it costs an IncomingMessage, header objects and several
 * listeners per request. Here a connection carries four listeners for its whole life and dispatches
 * to the exchange in progress.
 */
import { type Socket, connect as netConnect, isIP } from "node:net";
import { tlsConnect } from "../core/node-tls.ts";
import { ChunkedDecoder, parseResponseHead, type ResponseHead } from "./http1.ts";

/** Largest upstream response header block ALB accepts: more than 32 KB of headers is a 502. */
export const MAX_RESPONSE_HEADER_BYTES = 32 * 1024;
export const CONNECT_TIMEOUT_MS = 10_000;
/** Free connections are dropped after 4 s, before a Node target's default 5 s keep-alive closes them. */
const FREE_SOCKET_MS = 4000;
const MAX_FREE = 512;

/** Why an exchange failed; the caller maps it to ALB's answer (502/504) or cuts the client. */
export type UpstreamFailure =
  /** The connection could not be made (refused, unreachable). */
  | "connect"
  /** No connection, or no response, within the timeout. */
  | "timeout"
  /** The target closed or reset the connection before the response was complete. */
  | "closed"
  /** The response could not be read (see http1.ts). */
  | "malformed"
  /** The target left the table (deregistration delay over) or the client went away. */
  | "aborted";

export interface ExchangeHandler {
  /** The response head (1xx interim responses are skipped, except 101 for upgrades). */
  head(head: ResponseHead): void;
  /** Body bytes; return false to pause the target until `resume()`. */
  data(chunk: Buffer): boolean;
  end(): void;
  /**
   * The exchange failed. `retryable`: a reused keep-alive connection was closed by the target before
   * a single response byte arrived (the request may be sent again on a fresh connection).
   */
  error(kind: UpstreamFailure, message: string, retryable: boolean): void;
  /** 101 Switching Protocols: the raw socket and any bytes after the head now belong to the caller. */
  upgrade?(head: ResponseHead, socket: Socket, rest: Buffer): void;
}

interface Conn {
  readonly socket: Socket;
  readonly pool: UpstreamPool;
  exchange: Exchange | undefined;
  /** Served at least one exchange before the current one. */
  reused: boolean;
  connected: boolean;
}

export interface TargetEndpoint {
  readonly address: string;
  readonly port: number;
  /** The local address to connect from (the load balancer's ENI address, routing-table.ts), when there is one. */
  readonly localAddress?: string;
  /** Connect with TLS (HTTPS target group); targets' certificates are not verified, as ALB does not. */
  readonly tls: boolean;
}

export class UpstreamPool {
  readonly target: TargetEndpoint;
  readonly #free: Conn[] = [];
  readonly #all = new Set<Conn>();
  #closed = false;

  constructor(target: TargetEndpoint) {
    this.target = target;
  }

  /** Opens an exchange: `head` is the serialized request head (and any body already known). */
  request(head: string, method: string, handler: ExchangeHandler, timeouts: { idleMs: number; connectMs: number }, upgrade = false): Exchange {
    let conn: Conn | undefined;
    while ((conn = this.#free.pop())) {
      if (!conn.socket.destroyed && conn.socket.writable) break;
      this.#drop(conn);
    }
    if (!conn) conn = this.#open(timeouts.connectMs);
    else conn.reused = true;
    const ex = new Exchange(conn, method, handler, timeouts.idleMs, upgrade);
    conn.exchange = ex;
    if (conn.connected) conn.socket.setTimeout(timeouts.idleMs);
    conn.socket.write(head, "latin1");
    return ex;
  }

  /** Free connections (for tests). */
  get idle(): number {
    return this.#free.length;
  }

  close(): void {
    this.#closed = true;
    for (const c of this.#all) c.socket.destroy();
    this.#all.clear();
    this.#free.length = 0;
  }

  #open(connectMs: number): Conn {
    const { address, port, localAddress } = this.target;
    const from = localAddress ? { localAddress } : {};
    const socket = this.target.tls
      ? tlsConnect({ host: address, port, ...from, rejectUnauthorized: false, ...(isIP(address) ? {} : { servername: address }), ALPNProtocols: ["http/1.1"] })
      : netConnect({ host: address, port, ...from });
    socket.setNoDelay(true);
    const conn: Conn = { socket, pool: this, exchange: undefined, reused: false, connected: false };
    this.#all.add(conn);
    socket.setTimeout(connectMs);
    socket.once(this.target.tls ? "secureConnect" : "connect", () => {
      conn.connected = true;
      if (conn.exchange) socket.setTimeout(conn.exchange.idleMs);
    });
    socket.on("data", (chunk: Buffer) => {
      if (conn.exchange) conn.exchange.onData(chunk);
      else socket.destroy(); // bytes on an idle connection: not a response to anything
    });
    socket.on("timeout", () => {
      if (conn.exchange) conn.exchange.fail("timeout", conn.connected ? "no response within the idle timeout" : "no connection within the connect timeout");
      else socket.destroy();
    });
    socket.on("error", (err: NodeJS.ErrnoException) => {
      conn.exchange?.onSocketError(err);
    });
    socket.on("close", () => {
      this.#drop(conn);
      conn.exchange?.onClose();
    });
    return conn;
  }

  /** The exchange on `conn` finished cleanly: keep the connection for the next request, or end it. */
  release(conn: Conn, reusable: boolean): void {
    conn.exchange = undefined;
    if (!reusable || this.#closed || this.#free.length >= MAX_FREE || conn.socket.destroyed) {
      conn.socket.destroy();
      return;
    }
    conn.socket.setTimeout(FREE_SOCKET_MS);
    this.#free.push(conn);
  }

  /** The connection leaves the pool for good (an upgraded connection belongs to the caller). */
  detach(conn: Conn): void {
    this.#drop(conn);
  }

  #drop(conn: Conn): void {
    this.#all.delete(conn);
    const i = this.#free.indexOf(conn);
    if (i >= 0) this.#free.splice(i, 1);
  }
}

/** One request and its response on one connection. */
export class Exchange {
  readonly #conn: Conn;
  readonly #method: string;
  readonly #handler: ExchangeHandler;
  readonly idleMs: number;
  readonly #upgrade: boolean;
  #pending: Buffer | undefined;
  #head: ResponseHead | undefined;
  #remaining = 0;
  #chunked: ChunkedDecoder | undefined;
  #gotBytes = false;
  #done = false;
  #requestDone = false;
  #paused = false;

  constructor(conn: Conn, method: string, handler: ExchangeHandler, idleMs: number, upgrade: boolean) {
    this.#conn = conn;
    this.#method = method;
    this.#handler = handler;
    this.idleMs = idleMs;
    this.#upgrade = upgrade;
  }

  get socket(): Socket {
    return this.#conn.socket;
  }

  /** Request body bytes (already framed by the caller); false when the caller should wait for drain. */
  write(chunk: Buffer | string): boolean {
    if (this.#done) return true;
    return this.#conn.socket.write(chunk);
  }

  /** The whole request has been written: the connection may be reused once the response ends. */
  requestEnded(): void {
    this.#requestDone = true;
  }

  pause(): void {
    if (!this.#paused) {
      this.#paused = true;
      this.#conn.socket.pause();
    }
  }

  resume(): void {
    if (this.#paused) {
      this.#paused = false;
      this.#conn.socket.resume();
    }
  }

  /** Cancels the exchange (client gone, target deregistered): the connection is destroyed. */
  abort(message = "aborted"): void {
    this.fail("aborted", message);
  }

  fail(kind: UpstreamFailure, message: string): void {
    if (this.#done) return;
    this.#done = true;
    this.#conn.exchange = undefined;
    this.#conn.socket.destroy();
    this.#handler.error(kind, message, false);
  }

  onSocketError(err: NodeJS.ErrnoException): void {
    if (this.#done) return;
    const retryable = this.#conn.reused && !this.#gotBytes && (err.code === "ECONNRESET" || err.code === "EPIPE");
    const kind: UpstreamFailure = !this.#conn.connected ? (err.code === "ETIMEDOUT" ? "timeout" : "connect") : "closed";
    this.#done = true;
    this.#conn.exchange = undefined;
    this.#conn.socket.destroy();
    this.#handler.error(kind, `${err.code ?? err.message}`, retryable);
  }

  onClose(): void {
    if (this.#done) return;
    if (this.#head && this.#head.framing === "close") {
      // The body was delimited by the connection closing: that is its end.
      this.#done = true;
      this.#conn.exchange = undefined;
      this.#handler.end();
      return;
    }
    this.#done = true;
    this.#conn.exchange = undefined;
    const retryable = this.#conn.reused && !this.#gotBytes;
    this.#handler.error(this.#conn.connected ? "closed" : "connect", this.#head ? "connection closed mid-response" : "connection closed before a response", retryable);
  }

  onData(chunk: Buffer): void {
    if (this.#done) return;
    this.#gotBytes = true;
    if (!this.#head) {
      const buf = this.#pending ? Buffer.concat([this.#pending, chunk]) : chunk;
      this.#pending = undefined;
      this.#readHead(buf, 0);
      return;
    }
    this.#body(chunk, 0);
  }

  #readHead(buf: Buffer, offset: number): void {
    for (;;) {
      const r = parseResponseHead(buf, offset, this.#method, MAX_RESPONSE_HEADER_BYTES);
      if (r === undefined) {
        this.#pending = offset === 0 ? buf : buf.subarray(offset);
        return;
      }
      if (!r.ok) {
        this.fail("malformed", r.error);
        return;
      }
      offset += r.consumed;
      const h = r.head;
      if (h.status === 101 && this.#upgrade && this.#handler.upgrade) {
        this.#done = true;
        const socket = this.#conn.socket;
        socket.setTimeout(0);
        socket.removeAllListeners("data");
        socket.removeAllListeners("timeout");
        socket.removeAllListeners("close");
        socket.removeAllListeners("error");
        this.#conn.exchange = undefined;
        this.#conn.pool.detach(this.#conn);
        this.#handler.upgrade(h, socket, buf.subarray(offset));
        return;
      }
      if (h.status < 200) continue; // 100 Continue, 103 Early Hints: interim, not relayed
      this.#head = h;
      this.#handler.head(h);
      if (this.#done) return; // the handler gave up (client gone)
      switch (h.framing) {
        case "none":
          this.#finish(offset === buf.length);
          return;
        case "length":
          this.#remaining = h.length;
          if (h.length === 0) {
            this.#finish(offset === buf.length);
            return;
          }
          break;
        case "chunked":
          this.#chunked = new ChunkedDecoder();
          break;
        case "close":
          break;
      }
      if (offset < buf.length) this.#body(buf, offset);
      return;
    }
  }

  #body(buf: Buffer, offset: number): void {
    const h = this.#head!;
    if (h.framing === "length") {
      const avail = buf.length - offset;
      const take = Math.min(avail, this.#remaining);
      this.#remaining -= take;
      const more = this.#handler.data(offset === 0 && take === buf.length ? buf : buf.subarray(offset, offset + take));
      if (this.#remaining === 0) this.#finish(take === avail);
      else if (!more) this.pause();
      return;
    }
    if (h.framing === "close") {
      if (!this.#handler.data(offset === 0 ? buf : buf.subarray(offset))) this.pause();
      return;
    }
    let more = true;
    const n = this.#chunked!.push(buf, offset, (d) => {
      if (!this.#handler.data(d)) more = false;
    });
    if (typeof n === "string") {
      this.fail("malformed", n);
      return;
    }
    if (this.#chunked!.done) this.#finish(offset + n === buf.length);
    else if (!more) this.pause();
  }

  /** The response is complete; `clean`: nothing followed it on the connection. */
  #finish(clean: boolean): void {
    if (this.#done) return;
    this.#done = true;
    const reusable = clean && this.#requestDone && !this.#head!.close && !this.#paused;
    this.#conn.pool.release(this.#conn, reusable);
    this.#handler.end();
  }
}
