/**
 * Wildcard patterns matched in linear time, never through a regular expression: `*` matches zero or
 * more characters, `?` exactly one (one UTF-16 code unit), every other character itself, and the
 * whole input must match. This is the wildcard grammar of ALB rule conditions
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/rule-condition-types.html),
 * EC2 filter values (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/Query-Requests.html#query-filtering)
 * and the wildcard terms of CloudWatch Logs filter patterns.
 *
 * Why not a RegExp: `^.*a.*a.*a.*b$` backtracks, so a pattern with a few stars against a long input
 * takes seconds, and a client controls both. Here the pattern is split at its stars into segments
 * once; the first segment must match at the start, the last at the end, and each middle segment is
 * taken at its first occurrence after the previous one (taking the leftmost occurrence never loses a
 * match, so there is nothing to backtrack into). Matching costs O(input × pattern) at worst and
 * usually one `startsWith` or `indexOf` per segment; nothing is cached per input.
 */

export interface Glob {
  /** The pattern as given. */
  readonly source: string;
  /** Number of `*` and `?` in the pattern. */
  readonly wildcards: number;
  test(input: string): boolean;
}

interface Segment {
  readonly text: string;
  /** True when the segment contains `?` (then it is compared character by character). */
  readonly anyChar: boolean;
}

/** Compiles `pattern`; with `caseInsensitive`, both sides are compared in lower case. */
export function compileGlob(pattern: string, caseInsensitive = false): Glob {
  const p = caseInsensitive ? pattern.toLowerCase() : pattern;
  const parts = p.split("*");
  const segments: Segment[] = parts.map((text) => ({ text, anyChar: text.includes("?") }));
  let wildcards = parts.length - 1;
  for (const s of segments) for (let i = 0; i < s.text.length; i++) if (s.text.charCodeAt(i) === QUESTION) wildcards++;
  const fold = caseInsensitive ? (s: string) => s.toLowerCase() : (s: string) => s;
  let test: (input: string) => boolean;
  if (segments.length === 1) {
    const only = segments[0]!;
    test = only.anyChar ? (s) => s.length === only.text.length && matchAt(s, 0, only) : (s) => s === only.text;
  } else {
    const first = segments[0]!;
    const last = segments[segments.length - 1]!;
    const middle = segments.slice(1, -1).filter((s) => s.text.length > 0);
    let minLength = first.text.length + last.text.length;
    for (const s of middle) minLength += s.text.length;
    test = (s) => {
      if (s.length < minLength) return false;
      if (!matchAt(s, 0, first)) return false;
      const end = s.length - last.text.length;
      if (!matchAt(s, end, last)) return false;
      let pos = first.text.length;
      for (const seg of middle) {
        const at = find(s, seg, pos, end - seg.text.length);
        if (at < 0) return false;
        pos = at + seg.text.length;
      }
      return true;
    };
  }
  return { source: pattern, wildcards, test: caseInsensitive ? (input) => test(fold(input)) : test };
}

/** True when `pattern` matches all of `input` (compiles each time: prefer compileGlob for reuse). */
export function globMatch(pattern: string, input: string, caseInsensitive = false): boolean {
  return compileGlob(pattern, caseInsensitive).test(input);
}

/** Number of wildcard characters (`*` and `?`) in `pattern`. */
export function countWildcards(pattern: string): number {
  let n = 0;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charCodeAt(i);
    if (c === STAR || c === QUESTION) n++;
  }
  return n;
}

const STAR = 42;
const QUESTION = 63;

function matchAt(s: string, at: number, seg: Segment): boolean {
  const t = seg.text;
  if (!seg.anyChar) return s.startsWith(t, at);
  if (at + t.length > s.length) return false;
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c !== QUESTION && c !== s.charCodeAt(at + i)) return false;
  }
  return true;
}

/** The first index in [from, to] where `seg` matches, or -1. */
function find(s: string, seg: Segment, from: number, to: number): number {
  if (to < from) return -1;
  if (!seg.anyChar) {
    const at = s.indexOf(seg.text, from);
    return at >= 0 && at <= to ? at : -1;
  }
  for (let i = from; i <= to; i++) if (matchAt(s, i, seg)) return i;
  return -1;
}
