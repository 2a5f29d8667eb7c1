/**
 * Why a packet was dropped, in Slipway's log: the drop rules log (rate-limited) to the kernel log
 * with this Slipway's prefix and the code of their reason (rules.ts); this reads /dev/kmsg, keeps
 * the lines with the prefix, and logs the flow with the reason (the rule, route or group that
 * refused it). A flow retried within a few seconds (TCP SYN retransmits) is said once.
 */
import { createReadStream, readFileSync, type ReadStream } from "node:fs";

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
  #stream: ReadStream | undefined;
  readonly #recent = new Map<string, number>();

  constructor(deps: DropLogDeps) {
    this.#deps = deps;
  }

  /** Starts following the kernel log (records older than now are skipped). Fails silently where it is not readable. */
  start(): void {
    let sinceUsec = 0;
    try {
      sinceUsec = Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]) * 1e6;
    } catch {
      return;
    }
    try {
      this.#stream = createReadStream(this.#deps.path ?? "/dev/kmsg", { encoding: "utf8" });
    } catch {
      return;
    }
    let buffered = "";
    this.#stream.on("error", () => this.stop());
    this.#stream.on("data", (chunk: string | Buffer) => {
      buffered += chunk.toString();
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        const rec = parseKmsg(line);
        if (rec && rec.usec >= sinceUsec) this.handle(rec.text);
      }
    });
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
    this.#stream?.destroy();
    this.#stream = undefined;
  }
}
