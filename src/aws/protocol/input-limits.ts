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
