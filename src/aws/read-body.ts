/**
 * Reads a request body up to a limit, hashing it (SHA-256) as it arrives when asked, so a signature
 * can be checked without a second pass. Past the limit it stops buffering (the rest is never kept);
 * a body that stops arriving for `idleMs` is given up (the socket's own inactivity timer, so a slow
 * but moving upload is fine); a client that goes away mid-body is reported as such, not as an error.
 */
import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";

export type BodyResult =
  | { readonly ok: true; readonly body: Buffer; readonly sha256: string | undefined }
  | { readonly ok: false; readonly reason: "too-large" | "stalled" | "aborted" };

export interface ReadBodyOptions {
  /** Compute the SHA-256 of the body while reading it. */
  readonly hash?: boolean;
  /** Give up when no byte arrives for this long (0: never). */
  readonly idleMs?: number;
}

export function readBody(req: IncomingMessage, maxBytes: number, opts: ReadBodyOptions = {}): Promise<BodyResult> {
  const declared = Number(req.headers["content-length"] ?? "0");
  if (declared > maxBytes) return Promise.resolve({ ok: false, reason: "too-large" });
  return new Promise((resolve) => {
    const hash = opts.hash ? createHash("sha256") : undefined;
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (result: BodyResult): void => {
      if (settled) return;
      settled = true;
      chunks.length = 0;
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("close", onClose);
      req.off("timeout", onStall);
      // Hand the socket back without our inactivity timer (keep-alive has its own).
      if (opts.idleMs) req.socket?.setTimeout(0);
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) {
        finish({ ok: false, reason: "too-large" });
        return;
      }
      hash?.update(chunk);
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      if (settled) return;
      const body = Buffer.concat(chunks, size);
      finish({ ok: true, body, sha256: hash?.digest("hex") });
    };
    const onClose = (): void => finish({ ok: false, reason: "aborted" });
    const onStall = (): void => finish({ ok: false, reason: "stalled" });
    req.on("data", onData);
    req.on("end", onEnd);
    // 'close' before 'end' is a client that went away; 'error' (ECONNRESET "aborted") comes with it.
    req.on("close", onClose);
    req.on("error", () => {});
    if (opts.idleMs) req.setTimeout(opts.idleMs, onStall);
  });
}
