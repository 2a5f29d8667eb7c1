/**
 * What every protocol checks before it parses a body: well-formed UTF-8, a bounded nesting depth
 * (JSON), a bounded number of form parameters and of dots in their names (query protocols). Each
 * check is one linear pass over the bytes, so a hostile body costs no more than reading it.
 */
import { isUtf8 } from "node:buffer";
export { jsonDeeperThan } from "../../core/json-depth.ts";

/** Deeper than any AWS model nests (a few levels; recursive shapes stay far below it). */
export const MAX_JSON_DEPTH = 64;
/** More than any AWS query call needs (EC2's largest filters and id lists are a few thousand). */
export const MAX_FORM_PARAMS = 20_000;
/** `Filter.1.Value.1` has 4 parts; the deepest EC2 inputs have under 10. */
export const MAX_FORM_KEY_PARTS = 32;

/** The offset of the first byte that is not part of well-formed UTF-8, or -1. */
export function invalidUtf8At(bytes: Uint8Array): number {
  if (isUtf8(bytes)) return -1;
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    const need = b < 0x80 ? 0 : b >= 0xc2 && b <= 0xdf ? 1 : b >= 0xe0 && b <= 0xef ? 2 : b >= 0xf0 && b <= 0xf4 ? 3 : -1;
    if (need < 0) return i;
    if (!isUtf8(bytes.subarray(i, i + need + 1))) return i;
    i += need + 1;
  }
  return -1;
}

export type FormResult = { readonly ok: true; readonly form: URLSearchParams } | { readonly ok: false; readonly reason: string };

/**
 * Parses `application/x-www-form-urlencoded` text (a body or a query string) as URLSearchParams
 * does (a `%` not followed by two hex digits stays as it is), except that percent-encoded bytes
 * must decode to well-formed UTF-8, and that the number of parameters and of dotted parts in a
 * name are bounded.
 */
export function parseForm(text: string, into = new URLSearchParams()): FormResult {
  if (text === "") return { ok: true, form: into };
  let count = 0;
  for (const part of text.split("&")) {
    if (part === "") continue;
    if (++count > MAX_FORM_PARAMS) return { ok: false, reason: `more than ${MAX_FORM_PARAMS} parameters` };
    const eq = part.indexOf("=");
    const key = percentDecode(eq < 0 ? part : part.slice(0, eq));
    const value = percentDecode(eq < 0 ? "" : part.slice(eq + 1));
    if (key === undefined || value === undefined) return { ok: false, reason: "percent-encoded bytes that are not UTF-8" };
    if (countDots(key) >= MAX_FORM_KEY_PARTS) return { ok: false, reason: `a parameter name with more than ${MAX_FORM_KEY_PARTS} parts` };
    into.append(key, value);
  }
  return { ok: true, form: into };
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

function percentDecode(s: string): string | undefined {
  if (!s.includes("%")) return s.includes("+") ? s.replaceAll("+", " ") : s;
  const bytes = Buffer.from(s.replaceAll("+", " "), "utf8");
  const out = Buffer.allocUnsafe(bytes.length);
  let n = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b === 0x25 && isHex(bytes[i + 1]) && isHex(bytes[i + 2])) {
      out[n++] = (hexValue(bytes[i + 1]!) << 4) | hexValue(bytes[i + 2]!);
      i += 2;
    } else {
      out[n++] = b;
    }
  }
  try {
    return utf8.decode(out.subarray(0, n));
  } catch {
    return undefined;
  }
}

function isHex(b: number | undefined): boolean {
  return b !== undefined && ((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66));
}

function hexValue(b: number): number {
  return b <= 0x39 ? b - 0x30 : (b & 0xdf) - 0x41 + 10;
}

function countDots(s: string): number {
  let n = 0;
  for (let i = s.indexOf("."); i >= 0; i = s.indexOf(".", i + 1)) n++;
  return n;
}

/** Deeper than any AWS model nests, as for JSON. */
export const MAX_CBOR_DEPTH = MAX_JSON_DEPTH;

/**
 * Why `bytes` is not one well-formed CBOR item (RFC 8949) a decoder can take without surprise, or
 * undefined: every length must fit in the bytes that follow, text strings must be UTF-8, integers
 * must be exact in a double (|n| < 2^53), nesting (arrays, maps, tags) at most MAX_CBOR_DEPTH,
 * indefinite-length items closed, nothing after the item. One pass, no allocation per item.
 */
export function cborProblem(bytes: Uint8Array): string | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Open containers: how many items each still needs (-1: indefinite, until a break).
  const open: number[] = [];
  // Indefinite strings accept only definite chunks of their own major type.
  const chunkOf: number[] = [];
  let at = 0;
  let items = 0;
  const done = (): void => {
    // One item completed: count it against the innermost definite container(s).
    for (;;) {
      const top = open.length - 1;
      if (top < 0) {
        items++;
        return;
      }
      if (open[top] === -1) return;
      open[top]!--;
      if (open[top]! > 0) return;
      open.pop();
      chunkOf.pop();
    }
  };
  while (at < bytes.length) {
    if (open.length === 0 && items > 0) return "bytes after the item";
    const b = bytes[at++]!;
    const major = b >> 5;
    const ai = b & 0x1f;
    if (b === 0xff) {
      if (open.length === 0 || open[open.length - 1] !== -1) return "a break outside an indefinite-length item";
      open.pop();
      chunkOf.pop();
      done();
      continue;
    }
    const inString = chunkOf.length > 0 ? chunkOf[chunkOf.length - 1]! : -1;
    if (inString >= 0 && (major !== inString || ai === 31)) return "an indefinite-length string with a chunk of another type";
    let arg = 0;
    if (ai < 24) arg = ai;
    else if (ai >= 24 && ai <= 27) {
      const size = 1 << (ai - 24);
      if (at + size > bytes.length) return "truncated";
      if (size === 1) arg = view.getUint8(at);
      else if (size === 2) arg = view.getUint16(at);
      else if (size === 4) arg = view.getUint32(at);
      else {
        const big = view.getBigUint64(at);
        if (major !== 7 && big > BigInt(Number.MAX_SAFE_INTEGER)) return "a length or integer beyond 2^53";
        arg = Number(big);
      }
      at += size;
    } else if (ai === 31) {
      if (major === 2 || major === 3) {
        if (open.length >= MAX_CBOR_DEPTH) return "nested too deep";
        open.push(-1);
        chunkOf.push(major);
        continue;
      }
      if (major === 4 || major === 5) {
        if (open.length >= MAX_CBOR_DEPTH) return "nested too deep";
        open.push(-1);
        chunkOf.push(-1);
        continue;
      }
      return "an indefinite length where none is allowed";
    } else return "a reserved additional information value";
    switch (major) {
      case 0:
      case 1:
        done();
        break;
      case 2:
      case 3:
        if (arg > bytes.length - at) return "a string longer than the bytes that follow";
        if (major === 3 && !isUtf8(bytes.subarray(at, at + arg))) return "a text string that is not UTF-8";
        at += arg;
        done();
        break;
      case 4:
      case 5: {
        const n = major === 4 ? arg : arg * 2;
        if (n > bytes.length - at) return "more items than the bytes that follow";
        if (n === 0) done();
        else {
          if (open.length >= MAX_CBOR_DEPTH) return "nested too deep";
          open.push(n);
          chunkOf.push(-1);
        }
        break;
      }
      case 6: {
        if (open.length >= MAX_CBOR_DEPTH) return "nested too deep";
        // What decoders expand (smithy's writes a decimal fraction's digits out, so an 8-byte
        // item with exponent 2^28 takes 500 MB): bignums only as short byte strings, decimal
        // fractions only with small exponents.
        const next = bytes[at];
        if ((arg === 2 || arg === 3) && (next === undefined || next >> 5 !== 2 || (next & 0x1f) > 24 || ((next & 0x1f) === 24 && (bytes[at + 1] ?? 0) > 32))) {
          return "a bignum that is not a byte string of at most 32 bytes";
        }
        if (arg === 4 || arg === 5) {
          const e = bytes[at + 1];
          const exponentOk = next === 0x82 && e !== undefined && (e >> 5 === 0 || e >> 5 === 1) && ((e & 0x1f) < 24 || ((e & 0x1f) === 24 && (bytes[at + 2] ?? 255) <= 200));
          if (!exponentOk) return "a decimal fraction or bigfloat whose exponent is not a small integer";
        }
        open.push(1);
        chunkOf.push(-1);
        break;
      }
      default:
        // Simple values and floats (their bytes were taken as the argument).
        done();
    }
  }
  if (open.length > 0) return "truncated";
  return items === 1 || bytes.length === 0 ? undefined : "no item";
}
