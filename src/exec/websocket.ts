/**
 * The ECS Exec stream: a WebSocket at /_slipway/exec/<sessionId>?token=<tokenValue>[&cols=&rows=]
 * bridged to an interactive process (TTY, stdin) started with the runtime's exec.
 *
 * Protocol (Slipway's own; AWS's Session Manager data channel is not spoken):
 *   client → server  binary frame: bytes for the terminal's input
 *                    text frame:   {"type":"resize","cols":120,"rows":40}
 *   server → client  binary frame: terminal output
 *                    text frame:   {"type":"exit","exitCode":0} then close 1000, or
 *                                  {"type":"error","message":"…"} then close 1011
 *
 * Only loopback peers are served; a browser's Origin must be a loopback origin on this port.
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { createRequire } from "node:module";
import type { WebSocket, WebSocketServer } from "ws";
import { shellWords } from "../core/shell-words.ts";
import type { ContainerRuntime, ExecProcess } from "../runtime/runtime.ts";
import { isLoopbackAddress, isOwnOrigin } from "../console/guard.ts";
import type { ExecSessions, ExecTarget } from "./sessions.ts";

// `ws` (with the parts of node:https, node:tls and node:crypto it pulls in) costs ~25 ms and a few
// MiB to load; it is required on the first exec upgrade, not at start-up.
const require = createRequire(import.meta.url);

export const EXEC_PATH = "/_slipway/exec/";
/** A client that lets this much output queue up is too slow to keep. */
const MAX_BUFFERED = 8 * 1024 * 1024;
const MAX_ACTIVE = 64;

export class ExecStreams {
  readonly #sessions: ExecSessions;
  readonly #runtime: ContainerRuntime;
  readonly #port: () => number;
  readonly #log: (msg: string) => void;
  #wss: WebSocketServer | undefined;
  readonly #active = new Set<{ ws: WebSocket; proc?: ExecProcess }>();

  constructor(opts: { sessions: ExecSessions; runtime: ContainerRuntime; port: () => number; log: (msg: string) => void }) {
    this.#sessions = opts.sessions;
    this.#runtime = opts.runtime;
    this.#port = opts.port;
    this.#log = opts.log;
  }

  /** For the HTTP server's 'upgrade' event on EXEC_PATH. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const refuse = (status: number, reason: string) => {
      socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (!isLoopbackAddress(req.socket.remoteAddress)) {
      refuse(403, "Forbidden");
      return;
    }
    if (req.headers.origin !== undefined && !isOwnOrigin(req.headers.origin, this.#port())) {
      refuse(403, "Forbidden");
      return;
    }
    let url: URL;
    let sessionId: string;
    try {
      url = new URL(req.url ?? "/", "http://localhost");
      sessionId = decodeURIComponent(url.pathname.slice(EXEC_PATH.length));
    } catch {
      refuse(400, "Bad Request");
      return;
    }
    const target = this.#sessions.claim(sessionId, url.searchParams.get("token") ?? "");
    if (!target) {
      refuse(404, "Not Found");
      return;
    }
    if (this.#active.size >= MAX_ACTIVE) {
      refuse(503, "Service Unavailable");
      return;
    }
    const cols = clampSize(url.searchParams.get("cols"), 80);
    const rows = clampSize(url.searchParams.get("rows"), 24);
    this.#wss ??= new (require("ws") as typeof import("ws")).WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
    this.#wss.handleUpgrade(req, socket, head, (ws) => void this.#bridge(ws, sessionId, target, { cols, rows }));
  }

  get active(): number {
    return this.#active.size;
  }

  close(): void {
    for (const a of this.#active) {
      a.proc?.close();
      a.ws.terminate();
    }
    this.#active.clear();
    this.#wss?.close();
  }

  async #bridge(ws: WebSocket, sessionId: string, target: ExecTarget, size: { cols: number; rows: number }): Promise<void> {
    const entry: { ws: WebSocket; proc?: ExecProcess } = { ws };
    this.#active.add(entry);
    const what = `exec session ${sessionId} (task ${target.taskArn.split("/").pop()}, container ${target.containerName}, ${JSON.stringify(target.command)})`;
    let proc: ExecProcess;
    try {
      proc = await this.#runtime.exec(target.runtimeContainer, { cmd: shellWords(target.command), tty: true, stdin: true, size });
    } catch (err) {
      this.#active.delete(entry);
      if (ws.readyState === ws.OPEN) {
        ws.send(JSON.stringify({ type: "error", message: (err as Error).message }));
        ws.close(1011, "exec failed");
      }
      this.#log(`${what} could not start: ${(err as Error).message}`);
      return;
    }
    entry.proc = proc;
    this.#log(`${what} started`);
    if (target.warning) this.#log(`warning: ${target.warning}`);
    if (ws.readyState !== ws.OPEN) proc.close();
    ws.on("message", (data, isBinary) => {
      if (isBinary) {
        proc.write(Buffer.isBuffer(data) ? data : Buffer.concat(data as Buffer[]));
        return;
      }
      try {
        const msg = JSON.parse(String(data)) as { type?: string; cols?: unknown; rows?: unknown };
        if (msg.type === "resize") void proc.resize({ cols: clampSize(msg.cols, 80), rows: clampSize(msg.rows, 24) }).catch(() => {});
      } catch {
        // Not a control message: ignored.
      }
    });
    ws.on("close", () => proc.close());
    ws.on("error", () => proc.close());
    for await (const chunk of proc.output) {
      if (ws.readyState !== ws.OPEN) break;
      if (ws.bufferedAmount > MAX_BUFFERED) {
        ws.close(1013, "client too slow");
        proc.close();
        break;
      }
      ws.send(chunk.data, { binary: true });
    }
    const exitCode = await proc.exitCode;
    this.#active.delete(entry);
    if (ws.readyState === ws.OPEN) {
      ws.send(JSON.stringify({ type: "exit", exitCode }));
      ws.close(1000, "exited");
    }
    this.#log(`${what} ended${exitCode === null ? " (connection closed)" : ` with exit code ${exitCode}`}`);
  }
}

function clampSize(v: unknown, fallback: number): number {
  const n = Number(v);
  return Number.isInteger(n) && n >= 1 && n <= 1000 ? n : fallback;
}
