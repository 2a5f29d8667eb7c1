/**
 * A thin Docker Engine API client over node:http (unix socket by default). It negotiates the API
 * version like the docker CLI: GET /version, then prefixes every path with /v<min(ours, server)>.
 * JSON in and out; streaming endpoints (pull progress, events) are newline-delimited JSON.
 */
import type http from "node:http";
import { Agent, request } from "../../core/node-http.ts";
import type { Duplex } from "node:stream";

/** The newest Engine API version this client speaks. */
export const MAX_API_VERSION = "1.45";
export const DEFAULT_SOCKET = "/var/run/docker.sock";

export type Json = Record<string, unknown>;
export type Query = Record<string, string | number | boolean | undefined>;

/** A non-2xx answer from the engine; `message` is the engine's own text. */
export class EngineError extends Error {
  override name = "EngineError";
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

interface Target {
  socketPath?: string;
  host?: string;
  port?: number;
}

/** DOCKER_HOST: unix:///path (default /var/run/docker.sock) or tcp://host:port (plain HTTP). */
export function targetFromDockerHost(dockerHost = process.env.DOCKER_HOST): Target {
  if (!dockerHost) return { socketPath: DEFAULT_SOCKET };
  if (dockerHost.startsWith("unix://")) return { socketPath: dockerHost.slice("unix://".length) };
  if (dockerHost.startsWith("tcp://") || dockerHost.startsWith("http://")) {
    const url = new URL(dockerHost.replace(/^tcp:/, "http:"));
    return { host: url.hostname, port: Number(url.port || 2375) };
  }
  throw new Error(`unsupported DOCKER_HOST ${dockerHost}`);
}

/** Compares "1.41"-style versions numerically. */
export function compareApiVersions(a: string, b: string): number {
  const [amaj = 0, amin = 0] = a.split(".").map(Number);
  const [bmaj = 0, bmin = 0] = b.split(".").map(Number);
  return amaj - bmaj || amin - bmin;
}

function toSearch(query: Query | undefined): string {
  if (!query) return "";
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
  const s = params.toString();
  return s ? `?${s}` : "";
}

function parseJson(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function engineMessage(body: unknown, status: number): string {
  if (body && typeof body === "object" && "message" in body && typeof body.message === "string") return body.message;
  if (typeof body === "string" && body.trim()) return body.trim();
  return `Docker engine answered HTTP ${status}`;
}

export class EngineClient {
  readonly #target: Target;
  readonly #agent: http.Agent;
  #version: Promise<string> | undefined;

  constructor(opts: { dockerHost?: string; socketPath?: string } = {}) {
    this.#target = opts.socketPath ? { socketPath: opts.socketPath } : targetFromDockerHost(opts.dockerHost);
    this.#agent = new Agent({ keepAlive: true, maxSockets: 16 });
  }

  /** The negotiated API version (min of ours and the server's); cached after the first call. */
  apiVersion(): Promise<string> {
    this.#version ??= this.#raw("GET", "/version", {}).then(({ status, body }) => {
      if (status !== 200) throw new EngineError(status, engineMessage(body, status));
      const server = (body as Json | undefined)?.ApiVersion;
      if (typeof server !== "string") return MAX_API_VERSION;
      return compareApiVersions(server, MAX_API_VERSION) < 0 ? server : MAX_API_VERSION;
    });
    this.#version.catch(() => (this.#version = undefined));
    return this.#version;
  }

  /** A versioned JSON request; any status outside 2xx/304 throws EngineError. */
  async request<T = unknown>(method: string, path: string, opts: RequestOptions = {}): Promise<{ status: number; body: T }> {
    const version = await this.apiVersion();
    const res = await this.#raw(method, `/v${version}${path}${toSearch(opts.query)}`, opts);
    if (res.status >= 400) throw new EngineError(res.status, engineMessage(res.body, res.status));
    return res as { status: number; body: T };
  }

  /**
   * A versioned request whose answer is a stream of JSON lines; yields each object. Ends when the
   * engine closes the stream or, silently, when the signal aborts.
   */
  async *stream(method: string, path: string, opts: RequestOptions = {}): AsyncGenerator<Json> {
    const version = await this.apiVersion();
    const { signal } = opts;
    if (signal?.aborted) return;
    const req = this.#send(method, `/v${version}${path}${toSearch(opts.query)}`, opts);
    const onAbort = () => req.destroy();
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
        req.once("response", resolve);
        req.once("error", reject);
      });
      if ((res.statusCode ?? 500) >= 400) {
        const text = await readAll(res);
        throw new EngineError(res.statusCode ?? 500, engineMessage(parseJson(text), res.statusCode ?? 500));
      }
      res.setEncoding("utf8");
      let buf = "";
      for await (const chunk of res as AsyncIterable<string>) {
        buf += chunk;
        let nl: number;
        while ((nl = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (line) yield JSON.parse(line) as Json;
        }
      }
      if (buf.trim()) yield JSON.parse(buf) as Json;
    } catch (err) {
      if (signal?.aborted) return;
      throw err;
    } finally {
      signal?.removeEventListener("abort", onAbort);
      req.destroy();
    }
  }

  /**
   * A versioned request whose answer is returned as the raw response stream (docker logs' byte
   * frames). Status ≥ 400 throws EngineError. Aborting the signal destroys the response.
   */
  async open(method: string, path: string, opts: RequestOptions = {}): Promise<http.IncomingMessage> {
    const version = await this.apiVersion();
    const { signal } = opts;
    signal?.throwIfAborted();
    const req = this.#send(method, `/v${version}${path}${toSearch(opts.query)}`, opts);
    const onAbort = () => req.destroy();
    signal?.addEventListener("abort", onAbort, { once: true });
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      req.once("response", resolve);
      req.once("error", reject);
    }).catch((err: unknown) => {
      signal?.removeEventListener("abort", onAbort);
      throw err;
    });
    res.once("close", () => signal?.removeEventListener("abort", onAbort));
    if ((res.statusCode ?? 500) >= 400) {
      const text = await readAll(res);
      throw new EngineError(res.statusCode ?? 500, engineMessage(parseJson(text), res.statusCode ?? 500));
    }
    return res;
  }

  /**
   * A versioned request the engine answers by hijacking the connection (`101 UPGRADED`, as for
   * POST /exec/{id}/start): returns the raw bidirectional socket. Any other status throws
   * EngineError with the engine's message.
   */
  async hijack(method: string, path: string, opts: RequestOptions = {}): Promise<Duplex> {
    const version = await this.apiVersion();
    const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const headers: Record<string, string> = { ...opts.headers, connection: "Upgrade", upgrade: "tcp" };
    if (payload !== undefined) {
      headers["content-type"] = "application/json";
      headers["content-length"] = String(Buffer.byteLength(payload));
    }
    // No keep-alive agent: the connection becomes the process's stream and is never reused.
    const req = request({ ...this.#target, agent: false, method, path: `/v${version}${path}${toSearch(opts.query)}`, headers });
    req.end(payload);
    return new Promise<Duplex>((resolve, reject) => {
      req.once("upgrade", (_res, socket, head) => {
        if (head.length) socket.unshift(head);
        resolve(socket);
      });
      req.once("response", (res) => {
        readAll(res).then(
          (text) => reject(new EngineError(res.statusCode ?? 500, engineMessage(parseJson(text), res.statusCode ?? 500))),
          reject,
        );
      });
      req.once("error", reject);
    });
  }

  close(): void {
    this.#agent.destroy();
  }

  #send(method: string, path: string, opts: RequestOptions): http.ClientRequest {
    const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const headers: Record<string, string> = { ...opts.headers };
    if (payload !== undefined) {
      headers["content-type"] = "application/json";
      headers["content-length"] = String(Buffer.byteLength(payload));
    }
    const req = request({ ...this.#target, agent: this.#agent, method, path, headers });
    req.end(payload);
    return req;
  }

  #raw(method: string, path: string, opts: RequestOptions): Promise<{ status: number; body: unknown }> {
    return new Promise((resolve, reject) => {
      const req = this.#send(method, path, opts);
      const { signal } = opts;
      const onAbort = () => req.destroy(signal?.reason instanceof Error ? signal.reason : new Error("aborted"));
      signal?.addEventListener("abort", onAbort, { once: true });
      req.once("error", (err) => {
        signal?.removeEventListener("abort", onAbort);
        reject(err);
      });
      req.once("response", (res) => {
        readAll(res).then((text) => {
          signal?.removeEventListener("abort", onAbort);
          resolve({ status: res.statusCode ?? 500, body: parseJson(text) });
        }, reject);
      });
    });
  }
}

async function readAll(res: http.IncomingMessage): Promise<string> {
  res.setEncoding("utf8");
  let text = "";
  for await (const chunk of res as AsyncIterable<string>) text += chunk;
  return text;
}
