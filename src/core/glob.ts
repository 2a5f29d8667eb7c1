/**
 * Wildcard patterns (`*` any run of characters, `?` exactly one where enabled), matched without
 * regular expressions or backtracking: the pattern is split at each `*`, the first piece must
 * match at the start, the last at the end, and each middle piece at its leftmost place after the
 * previous one. Leftmost placement is always safe for `*`-separated pieces, so one left-to-right
 * pass decides: time O(text × longest piece), never exponential, whatever a client sends. Every
 * AWS API that takes such patterns caps their length, which keeps that product small.
 */
export interface GlobOptions {
  /** `?` matches exactly one character (ALB conditions, EC2 filters); otherwise it is literal. */
  readonly question?: boolean;
  /** Compare case-insensitively (ALB host-header conditions). */
  readonly caseInsensitive?: boolean;
}

export interface Glob {
  readonly source: string;
  matches(text: string): boolean;
}

export function compileGlob(pattern: string, opts: GlobOptions = {}): Glob {
  const fold = opts.caseInsensitive === true;
  const pieces = (fold ? pattern.toLowerCase() : pattern).split("*");
  const q = opts.question === true;
  const only = pieces.length === 1;
  return {
    source: pattern,
    matches(input: string): boolean {
      const text = fold ? input.toLowerCase() : input;
      const first = pieces[0] ?? "";
      if (only) return text.length === first.length && pieceAt(text, 0, first, q);
      const last = pieces[pieces.length - 1] ?? "";
      if (text.length < first.length + last.length) return false;
      if (!pieceAt(text, 0, first, q) || !pieceAt(text, text.length - last.length, last, q)) return false;
      let pos = first.length;
      const end = text.length - last.length;
      for (let i = 1; i < pieces.length - 1; i++) {
        const piece = pieces[i] ?? "";
        const at = find(text, piece, pos, end, q);
        if (at < 0) return false;
        pos = at + piece.length;
      }
      return true;
    },
  };
}

/** Number of `*` and `?` in a pattern (AWS limits wildcards per condition or filter). */
export function wildcardCount(pattern: string, opts: { question?: boolean } = {}): number {
  let n = 0;
  for (const c of pattern) if (c === "*" || (opts.question === true && c === "?")) n++;
  return n;
}

function pieceAt(text: string, at: number, piece: string, q: boolean): boolean {
  if (at + piece.length > text.length) return false;
  for (let i = 0; i < piece.length; i++) {
    const p = piece.charCodeAt(i);
    if (!(q && p === 63) && p !== text.charCodeAt(at + i)) return false;
  }
  return true;
}

/** Leftmost index ≥ from where `piece` fits before `end`, or -1. */
function find(text: string, piece: string, from: number, end: number, q: boolean): number {
  if (!q || !piece.includes("?")) {
    const at = text.indexOf(piece, from);
    return at >= 0 && at + piece.length <= end ? at : -1;
  }
  for (let at = from; at + piece.length <= end; at++) if (pieceAt(text, at, piece, q)) return at;
  return -1;
}
