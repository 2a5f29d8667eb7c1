/**
 * Policy variables: `${key}` in Resource and in condition values, replaced by the request's value
 * of that key; `${key, 'default'}` when the key may be absent; `${*}`, `${?}`, `${$}` for the
 * literal characters. A key that is absent (or multi-valued) with no default makes the value
 * match nothing. Only policies of Version 2012-10-17 substitute; older ones read `${…}` literally.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html
 */
import type { Context } from "./context.ts";

export const hasVariables = (s: string): boolean => s.includes("${");

/** `text` with every variable replaced, or undefined when one has no value. */
export function substitute(text: string, ctx: Context): string | undefined {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const at = text.indexOf("${", i);
    if (at < 0) break;
    const end = text.indexOf("}", at + 2);
    if (end < 0) break;
    out += text.slice(i, at);
    const inner = text.slice(at + 2, end);
    const value = variableValue(inner, ctx);
    if (value === undefined) return undefined;
    out += value;
    i = end + 1;
  }
  return out + text.slice(i);
}

function variableValue(inner: string, ctx: Context): string | undefined {
  if (inner === "*" || inner === "?" || inner === "$") return inner;
  const comma = inner.indexOf(",");
  const key = (comma < 0 ? inner : inner.slice(0, comma)).trim().toLowerCase();
  const v = ctx.get(key);
  if (typeof v === "string") return v;
  if (comma < 0) return undefined;
  const def = /^\s*'([^']*)'\s*$/.exec(inner.slice(comma + 1));
  return def ? def[1] : undefined;
}
