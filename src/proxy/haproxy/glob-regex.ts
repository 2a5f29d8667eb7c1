/**
 * ALB wildcards as PCRE patterns HAProxy matches without backtracking blow-ups: `*` and `?` as in
 * src/core/glob.ts, compiled so that each middle segment is found at its first occurrence and
 * committed with an atomic group, `^A(?>.*?B)(?>.*?C).*Z$`, which is the same leftmost strategy as
 * the Node matcher (linear per segment, never exponential). Patterns go into ACL pattern files,
 * one per line, so nothing needs escaping for HAProxy's configuration syntax.
 */

const SPECIAL = /[\\^$.|?*+()[\]{}]/g;

function segment(text: string, anyChar: string): string {
  let out = "";
  for (const ch of text) out += ch === "?" ? anyChar : ch.replace(SPECIAL, "\\$&");
  return out;
}

/** A whole-input match of `glob` (e.g. a path pattern or a host pattern). */
export function globToPcre(glob: string): string {
  const parts = glob.split("*");
  if (parts.length === 1) return `(?s)^${segment(glob, ".")}$`;
  let re = `(?s)^${segment(parts[0]!, ".")}`;
  for (const middle of parts.slice(1, -1)) if (middle) re += `(?>.*?${segment(middle, ".")})`;
  return `${re}.*${segment(parts[parts.length - 1]!, ".")}$`;
}

/**
 * A query-string condition value ({key?, value}) as a match over the decoded query: some
 * `key=value` pair (or any key, without one) where both globs match. Wildcards do not cross `&`.
 */
export function queryPairToPcre(key: string | undefined, value: string): string {
  const part = (g: string, stopAt: string) => {
    const parts = g.split("*");
    return parts.map((p) => segment(p, `[^${stopAt}]`)).join(`[^${stopAt}]*`);
  };
  const k = key === undefined ? "[^&=]*" : part(key, "&=");
  return `(?s)(?:^|&)${k}=${part(value, "&")}(?:&|$)`;
}
