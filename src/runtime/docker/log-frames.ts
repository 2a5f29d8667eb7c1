/**
 * Decoding `GET /containers/{id}/logs?timestamps=1`.
 *
 * For containers without a TTY the engine multiplexes stdout and stderr into frames: an 8-byte
 * header `[stream, 0, 0, 0, size(uint32 BE)]` then `size` payload bytes (stream 1 = stdout,
 * 2 = stderr, 0 = stdin). Every log message is written as one frame, prefixed with its RFC 3339
 * nano timestamp and a space. Messages longer than the driver's buffer (16 KiB for json-file)
 * arrive as several frames, each with its own timestamp, and only the last ends in "\n"; the
 * parts are joined here under the first part's timestamp. With a TTY the stream is raw text.
 */
import { StringDecoder } from "node:string_decoder";
import type { LogLine } from "../runtime.ts";

export interface Frame {
  /** 0 stdin, 1 stdout, 2 stderr. */
  stream: number;
  payload: Buffer;
}

const HEADER = 8;

/** Splits a byte stream into frames; bytes of an incomplete frame are kept for the next push. */
export class FrameDecoder {
  #buf: Buffer = Buffer.alloc(0);

  push(chunk: Uint8Array): Frame[] {
    this.#buf = this.#buf.length ? Buffer.concat([this.#buf, chunk]) : Buffer.from(chunk);
    const frames: Frame[] = [];
    let off = 0;
    while (this.#buf.length - off >= HEADER) {
      const size = this.#buf.readUInt32BE(off + 4);
      if (this.#buf.length - off - HEADER < size) break;
      frames.push({ stream: this.#buf[off]!, payload: this.#buf.subarray(off + HEADER, off + HEADER + size) });
      off += HEADER + size;
    }
    this.#buf = off === this.#buf.length ? Buffer.alloc(0) : Buffer.from(this.#buf.subarray(off));
    return frames;
  }

  /** Bytes held back (an incomplete frame). */
  get pending(): number {
    return this.#buf.length;
  }
}

const TS = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2}) /;

/** "2024-01-02T03:04:05.123456789Z message" → [ms, "message"], or undefined without a timestamp. */
export function splitTimestamp(line: string): [number, string] | undefined {
  const m = TS.exec(line);
  if (!m) return undefined;
  const frac = (m[2] ?? "").padEnd(3, "0").slice(0, 3);
  const ms = Date.parse(`${m[1]}.${frac}${m[3]}`);
  if (Number.isNaN(ms)) return undefined;
  return [ms, line.slice(m[0].length)];
}

interface Partial {
  ts: number;
  text: string;
}

/** Turns frames (or raw TTY text) into LogLines. */
export class LogLineParser {
  readonly #decoders = new Map<number, StringDecoder>();
  readonly #partial = new Map<number, Partial>();
  readonly #raw = new Map<number, string>();
  #lastTs = 0;

  /** One multiplexed frame: one message, or one part of a long one. */
  pushFrame(frame: Frame): LogLine[] {
    if (frame.stream !== 1 && frame.stream !== 2) return [];
    const text = this.#decoder(frame.stream).write(frame.payload);
    const out: LogLine[] = [];
    const segments = text.split("\n");
    const endsWithNewline = text.endsWith("\n");
    if (endsWithNewline) segments.pop();
    segments.forEach((seg, i) => {
      const last = i === segments.length - 1;
      const parsed = splitTimestamp(seg);
      const prev = this.#partial.get(frame.stream);
      let ts: number;
      let msg: string;
      if (prev && i === 0) {
        // continuation of a long message: drop this part's own timestamp
        this.#partial.delete(frame.stream);
        ts = prev.ts;
        msg = prev.text + (parsed ? parsed[1] : seg);
      } else if (parsed) [ts, msg] = parsed;
      else [ts, msg] = [this.#lastTs, seg];
      this.#lastTs = ts;
      if (last && !endsWithNewline) this.#partial.set(frame.stream, { ts, text: msg });
      else out.push({ stream: frame.stream === 2 ? "stderr" : "stdout", timestamp: ts, message: msg });
    });
    return out;
  }

  /** Raw (TTY) text: arbitrary chunks of "TIMESTAMP line\r\n" lines, all stdout. */
  pushRaw(chunk: Uint8Array): LogLine[] {
    const buf = (this.#raw.get(1) ?? "") + this.#decoder(1).write(Buffer.from(chunk));
    const parts = buf.split("\n");
    this.#raw.set(1, parts.pop()!);
    return parts.map((p) => this.#rawLine(p.endsWith("\r") ? p.slice(0, -1) : p));
  }

  /** Whatever is left at the end of the stream (a last line without "\n"). */
  end(): LogLine[] {
    const out: LogLine[] = [];
    for (const [stream, p] of this.#partial) out.push({ stream: stream === 2 ? "stderr" : "stdout", timestamp: p.ts, message: p.text });
    this.#partial.clear();
    const rest = this.#raw.get(1);
    if (rest) out.push(this.#rawLine(rest));
    this.#raw.clear();
    return out;
  }

  #rawLine(line: string): LogLine {
    const parsed = splitTimestamp(line);
    if (parsed) this.#lastTs = parsed[0];
    return { stream: "stdout", timestamp: parsed ? parsed[0] : this.#lastTs, message: parsed ? parsed[1] : line };
  }

  #decoder(stream: number): StringDecoder {
    let d = this.#decoders.get(stream);
    if (!d) {
      d = new StringDecoder("utf8");
      this.#decoders.set(stream, d);
    }
    return d;
  }
}
