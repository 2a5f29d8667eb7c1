/**
 * Why a packet was dropped, in Slipway's log: the drop rules log (rate-limited) to the kernel log
 * with this Slipway's prefix and the code of their reason (rules.ts); this reads /dev/kmsg, keeps
 * the lines with the prefix, and logs the flow with the reason (the rule, route or group that
 * refused it). A flow retried within a few seconds (TCP SYN retransmits) is said once.
 */
import { closeSync, constants, openSync, readFileSync, readSync } from "node:fs";

export interface DropLogDeps {
  readonly prefix: string;
  readonly reason: (code: string) => string | undefined;
  readonly log: (msg: string) => void;
  readonly now: () => number;
  readonly path?: string;
}

/** One kernel log record: "pri,seq,usec,flags;text". */
export function parseKmsg(line: string): { usec: number; text: string } | undefined {
  const semi = line.indexOf(";");
  if (semi < 0) return undefined;
  const head = line.slice(0, semi).split(",");
  const usec = Number(head[2]);
  return Number.isFinite(usec) ? { usec, text: line.slice(semi + 1) } : undefined;
}

/** "PREFIXcode IN=… SRC=a DST=b … PROTO=TCP SPT=1 DPT=2" → the flow and the code. */
export function parseDrop(text: string, prefix: string): { code: string; flow: string } | undefined {
  const at = text.indexOf(prefix);
  if (at < 0) return undefined;
  const code = text.slice(at + prefix.length).split(/\s/)[0] ?? "";
  const field = (k: string) => new RegExp(`\\b${k}=(\\S+)`).exec(text)?.[1];
  const proto = field("PROTO") ?? "?";
  const spt = field("SPT");
  const dpt = field("DPT");
  const flow = `${proto} ${field("SRC") ?? "?"}${spt ? `:${spt}` : ""} → ${field("DST") ?? "?"}${dpt ? `:${dpt}` : ""}`;
  return { code, flow };
}

export class DropLog {
  readonly #deps: DropLogDeps;
  #fd: number | undefined;
  #sinceUsec = 0;
  #buffered = "";
  readonly #buf = Buffer.alloc(16 * 1024);
  readonly #recent = new Map<string, number>();

  constructor(deps: DropLogDeps) {
    this.#deps = deps;
  }

  /**
   * Opens the kernel log (records older than now are skipped); poll() reads it. Does nothing where
   * it is not readable. The descriptor is non-blocking and read on the caller's tick: a blocking
   * read of /dev/kmsg would sit in libuv's thread pool until the next kernel message, and Node's
   * exit waits for that thread, so `slipway up` could not stop on a quiet host.
   */
  start(): void {
    try {
      this.#sinceUsec = Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]) * 1e6;
      this.#fd = openSync(this.#deps.path ?? "/dev/kmsg", constants.O_RDONLY | constants.O_NONBLOCK);
    } catch {
      this.#fd = undefined;
    }
  }

  /** Reads every record the kernel log holds now, without waiting (at most a bounded number per call). */
  poll(): void {
    for (let i = 0; i < 1000 && this.#fd !== undefined; i++) {
      let n: number;
      try {
        n = readSync(this.#fd, this.#buf, 0, this.#buf.length, null);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === "EAGAIN") return;
        // Records overwritten before they were read: /dev/kmsg goes on with the oldest one left.
        if (code === "EPIPE") continue;
        this.stop();
        return;
      }
      if (n <= 0) return;
      // /dev/kmsg gives one record per read; a plain file (tests) gives many lines at once.
      this.#buffered += this.#buf.toString("utf8", 0, n);
      let nl: number;
      while ((nl = this.#buffered.indexOf("\n")) >= 0) {
        const line = this.#buffered.slice(0, nl);
        this.#buffered = this.#buffered.slice(nl + 1);
        const rec = parseKmsg(line);
        if (rec && rec.usec >= this.#sinceUsec) this.handle(rec.text);
      }
      if (this.#buffered.length > 64 * 1024) this.#buffered = "";
    }
  }

  /** One kernel log line's text. */
  handle(text: string): void {
    const drop = parseDrop(text, this.#deps.prefix);
    if (!drop) return;
    const now = this.#deps.now();
    const key = `${drop.code} ${drop.flow.replace(/:\d+ →/, " →")}`;
    const last = this.#recent.get(key);
    if (last !== undefined && now - last < 5000) return;
    this.#recent.set(key, now);
    if (this.#recent.size > 1000) this.#recent.clear();
    const reason = this.#deps.reason(drop.code) ?? "a security group or route of this Slipway";
    this.#deps.log(`vpc: dropped ${drop.flow}: ${reason}`);
  }

  stop(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }
}
