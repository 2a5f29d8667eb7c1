/**
 * Reading targets' HTTP/1.x responses: tolerant where mainstream proxies are tolerant, strict where
 * tolerance would let one response be read as two. The client side is NOT parsed here: requests go
 * through Node's strict parser (data-plane.ts), which refuses conflicting or duplicate framing
 * headers, obs-fold and invalid characters with 400.
 *
 * Accepted from targets (RFC 9112, https://www.rfc-editor.org/rfc/rfc9112):
 * - a bare LF as the line terminator of the status line, header lines, chunk-size lines and
 *   trailers (§2.2: "a recipient MAY recognize a single LF as a line terminator and ignore any
 *   preceding CR"); busybox httpd's CGI responses and many small embedded servers end their headers
 *   this way, and nginx, HAProxy, curl and browsers accept it;
 * - a body delimited by the connection closing (§6.3 rule 8: a response with neither
 *   Transfer-Encoding nor Content-Length ends when the server closes);
 * - obs-fold (a header line continued with leading whitespace), replaced by one space (§5.2: a proxy
 *   MUST either refuse the message with 502 or replace each obs-fold with SP);
 * - whitespace between a header name and its colon, removed (§5.1 tells proxies to remove it from
 *   responses);
 * - a status line without a reason phrase.
 *
 * Refused with 502 (the caller's "malformed response"):
 * - a status line that is not `HTTP/1.0` or `HTTP/1.1` and a three-digit status from 100 to 999,
 *   or a reason phrase with control characters (§4);
 * - header names that are not tokens, values with control characters other than HTAB (§5.5);
 * - Content-Length values that are not digits or disagree with each other (§6.3 rule 5: an
 *   unrecoverable error);
 * - more than 32 KB of response headers (ALB's limit).
 *
 * When a response has both Transfer-Encoding and Content-Length, Transfer-Encoding wins, the
 * Content-Length is dropped and the connection is not reused (§6.3 rule 3). A chunked body is
 * decoded here and re-framed by the client-facing server, so what reaches the client is always
 * consistently framed.
 */

export type Framing = "none" | "length" | "chunked" | "close";

export interface ResponseHead {
  readonly status: number;
  readonly reason: string;
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  readonly minor: number;
  /** Headers as received (after obs-fold and name whitespace repair), name/value pairs flattened. */
  readonly headers: readonly string[];
  readonly framing: Framing;
  /** Body length when framing is "length". */
  readonly length: number;
  /** The connection cannot carry another request after this response. */
  readonly close: boolean;
}

export type HeadResult =
  | { readonly ok: true; readonly head: ResponseHead; readonly consumed: number }
  | { readonly ok: false; readonly error: string }
  | undefined;

const LF = 10;
const CR = 13;
const SP = 32;
const HTAB = 9;

/** Token characters (RFC 9110 §5.6.2), by char code. */
const TOKEN = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") TOKEN[c.charCodeAt(0)] = 1;

const STATUS_LINE = /^HTTP\/1\.([01]) (\d{3})(?:[ \t](.*))?$/;

/** True when `s` holds no control character other than HTAB (obs-text, 0x80-0xFF, is allowed). */
export function validFieldText(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c < SP && c !== HTAB) || c === 0x7f || c > 0xff) return false;
  }
  return true;
}

function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || TOKEN[c] === 0) return false;
  }
  return true;
}

/**
 * Parses one response head starting at `start`. Undefined: more bytes are needed. `method` decides
 * whether a body follows (HEAD, and 1xx/204/304 responses, have none).
 */
export function parseResponseHead(buf: Buffer, start: number, method: string, maxBytes: number): HeadResult {
  const firstLf = buf.indexOf(LF, start);
  if (firstLf < 0) return buf.length - start > maxBytes ? { ok: false, error: "response headers too large" } : undefined;
  // Find the end of the head before doing any work: an empty line (LF LF, or LF CR LF).
  let end = -1;
  let scan = firstLf;
  while (scan >= 0) {
    const next = buf[scan + 1];
    if (next === LF) {
      end = scan + 2;
      break;
    }
    if (next === CR && buf[scan + 2] === LF) {
      end = scan + 3;
      break;
    }
    if (next === undefined || (next === CR && scan + 2 >= buf.length)) break;
    scan = buf.indexOf(LF, scan + 1);
  }
  if (end < 0) return buf.length - start > maxBytes ? { ok: false, error: "response headers too large" } : undefined;
  if (end - start > maxBytes) return { ok: false, error: "response headers too large" };

  const text = buf.toString("latin1", start, end);
  let lineStart = 0;
  let lineEnd = text.indexOf("\n");
  const statusLine = text.slice(0, lineEnd > 0 && text.charCodeAt(lineEnd - 1) === CR ? lineEnd - 1 : lineEnd);
  const m = STATUS_LINE.exec(statusLine);
  if (!m) return { ok: false, error: `malformed status line ${JSON.stringify(statusLine.slice(0, 64))}` };
  const minor = m[1] === "1" ? 1 : 0;
  const status = Number(m[2]);
  const reason = m[3] ?? "";
  if (status < 100) return { ok: false, error: `invalid status ${m[2]}` };
  if (!validFieldText(reason)) return { ok: false, error: "invalid character in the reason phrase" };

  const headers: string[] = [];
  let contentLength = -1;
  let transferEncoding: string | undefined;
  let connectionClose = minor === 0;
  for (;;) {
    lineStart = lineEnd + 1;
    lineEnd = text.indexOf("\n", lineStart);
    let stop = lineEnd;
    if (stop > lineStart && text.charCodeAt(stop - 1) === CR) stop--;
    if (stop === lineStart) break; // the empty line
    const c0 = text.charCodeAt(lineStart);
    if (c0 === SP || c0 === HTAB) {
      // obs-fold: continue the previous value with one space.
      if (headers.length === 0) return { ok: false, error: "obs-fold before any header" };
      const more = text.slice(lineStart, stop).trim();
      if (!validFieldText(more)) return { ok: false, error: "invalid character in a header value" };
      headers[headers.length - 1] = `${headers[headers.length - 1]} ${more}`.trim();
      continue;
    }
    const colon = text.indexOf(":", lineStart);
    if (colon < 0 || colon >= stop) return { ok: false, error: "header line without a colon" };
    const name = text.slice(lineStart, colon).trimEnd();
    if (!isToken(name)) return { ok: false, error: `invalid header name ${JSON.stringify(name.slice(0, 64))}` };
    const value = text.slice(colon + 1, stop).trim();
    if (!validFieldText(value)) return { ok: false, error: `invalid character in the ${name} header` };
    headers.push(name, value);
  }
  // Framing headers, looked at once all lines (including folded ones) are known.
  for (let i = 0; i < headers.length; i += 2) {
    const lower = headers[i]!.toLowerCase();
    if (lower === "content-length") {
      for (const part of headers[i + 1]!.split(",")) {
        const v = part.trim();
        if (!/^\d{1,15}$/.test(v)) return { ok: false, error: `invalid Content-Length ${JSON.stringify(headers[i + 1]!.slice(0, 32))}` };
        const n = Number(v);
        if (contentLength >= 0 && n !== contentLength) return { ok: false, error: "conflicting Content-Length values" };
        contentLength = n;
      }
    } else if (lower === "transfer-encoding") {
      transferEncoding = transferEncoding === undefined ? headers[i + 1]! : `${transferEncoding}, ${headers[i + 1]}`;
    } else if (lower === "connection") {
      for (const t of headers[i + 1]!.toLowerCase().split(",")) {
        const token = t.trim();
        if (token === "close") connectionClose = true;
        else if (token === "keep-alive" && minor === 0) connectionClose = false;
      }
    }
  }
  let framing: Framing;
  let length = 0;
  let close = connectionClose;
  if (method === "HEAD" || status < 200 || status === 204 || status === 304) framing = "none";
  else if (transferEncoding !== undefined) {
    const codings = transferEncoding.toLowerCase().split(",");
    framing = codings[codings.length - 1]!.trim() === "chunked" ? "chunked" : "close";
    if (contentLength >= 0 || framing === "close") close = true;
  } else if (contentLength >= 0) {
    framing = "length";
    length = contentLength;
  } else {
    framing = "close";
    close = true;
  }
  if (framing === "chunked" && contentLength >= 0) {
    // Transfer-Encoding wins; the Content-Length must not reach the client.
    for (let i = headers.length - 2; i >= 0; i -= 2) if (headers[i]!.toLowerCase() === "content-length") headers.splice(i, 2);
  }
  return { ok: true, head: { status, reason, minor, headers, framing, length, close }, consumed: end - start };
}

/**
 * Decodes a chunked body incrementally (RFC 9112 §7.1), accepting bare LF line ends. Chunk
 * extensions and trailer fields are read and dropped.
 */
export class ChunkedDecoder {
  #state: "size" | "data" | "data-end" | "trailer" | "done" = "size";
  #remaining = 0;
  #line = "";
  /** Bytes of size/trailer lines seen (bounded). */
  #lineBytes = 0;

  get done(): boolean {
    return this.#state === "done";
  }

  /**
   * Feeds `buf[offset..]`; calls `emit` with body data. Returns the bytes consumed (less than
   * offered only once done, when the rest belongs to whatever follows), or an error message.
   */
  push(buf: Buffer, offset: number, emit: (data: Buffer) => void): number | string {
    let i = offset;
    const n = buf.length;
    while (i < n && this.#state !== "done") {
      switch (this.#state) {
        case "data": {
          const take = Math.min(this.#remaining, n - i);
          emit(buf.subarray(i, i + take));
          i += take;
          this.#remaining -= take;
          if (this.#remaining === 0) this.#state = "data-end";
          break;
        }
        case "data-end": {
          const c = buf[i++]!;
          if (c === LF) this.#state = "size";
          else if (c !== CR) return "missing CRLF after chunk data";
          break;
        }
        default: {
          // "size" or "trailer": read a line.
          const lf = buf.indexOf(LF, i);
          const stop = lf < 0 ? n : lf;
          this.#lineBytes += stop - i;
          if (this.#lineBytes > 32 * 1024) return "chunk size or trailer lines too long";
          this.#line += buf.toString("latin1", i, stop);
          if (lf < 0) return n - offset;
          i = lf + 1;
          let line = this.#line;
          this.#line = "";
          if (line.endsWith("\r")) line = line.slice(0, -1);
          if (this.#state === "trailer") {
            if (line === "") this.#state = "done";
            continue;
          }
          this.#lineBytes = 0;
          const semi = line.indexOf(";");
          const hex = (semi >= 0 ? line.slice(0, semi) : line).trim();
          if (!/^[0-9a-fA-F]{1,12}$/.test(hex)) return `invalid chunk size ${JSON.stringify(hex.slice(0, 16))}`;
          const size = Number.parseInt(hex, 16);
          if (size === 0) this.#state = "trailer";
          else {
            this.#remaining = size;
            this.#state = "data";
          }
        }
      }
    }
    return i - offset;
  }
}
