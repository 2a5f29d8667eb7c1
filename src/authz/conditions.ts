/**
 * Condition operators: the String, Numeric, Date, Bool, Binary, IP address, ARN and Null families,
 * each with its `…IfExists` form and the `ForAnyValue:` / `ForAllValues:` set qualifiers.
 *
 * Rules (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html,
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html):
 * - several values for one key: any may match (for a negated operator: none may match);
 * - a key absent from the request: a positive operator fails, a negated one holds, `IfExists` holds;
 * - `ForAllValues`: every value of the request's set must match (an absent or empty set holds);
 *   `ForAnyValue`: at least one must (an absent or empty set fails);
 * - `Null`: "true" holds when the key is absent, "false" when it is present.
 */
import { BlockList, isIP } from "node:net";
import { compileGlob, type Glob } from "../core/glob.ts";
import type { Context } from "./context.ts";
import { hasVariables, substitute } from "./variables.ts";

type Test = (requestValue: string, policyValue: string, clause: ConditionClause) => boolean;

interface OperatorDef {
  readonly test: Test;
  readonly negated: boolean;
}

export interface ConditionClause {
  /** As written, e.g. "ForAnyValue:StringLikeIfExists". */
  readonly operator: string;
  readonly base: string;
  readonly set: "any" | "all" | undefined;
  readonly ifExists: boolean;
  /** Lower-cased condition key. */
  readonly key: string;
  /** As written (the simulator reports missing keys by this name). */
  readonly keyName: string;
  readonly values: readonly string[];
  readonly def: OperatorDef | undefined;
  /** Compiled patterns and networks, filled on first use. */
  readonly memo: Map<string, Glob | BlockList | number | undefined>;
}

const str = (f: (a: string, b: string) => boolean, negated = false): OperatorDef => ({ test: (a, b) => f(a, b), negated });
const num = (f: (a: number, b: number) => boolean, negated = false): OperatorDef => ({
  test: (a, b) => {
    const x = Number(a);
    const y = Number(b);
    return a.trim() !== "" && b.trim() !== "" && !Number.isNaN(x) && !Number.isNaN(y) && f(x, y);
  },
  negated,
});
const date = (f: (a: number, b: number) => boolean, negated = false): OperatorDef => ({
  test: (a, b, c) => {
    const x = parseDate(a);
    const y = memoDate(c, b);
    return x !== undefined && y !== undefined && f(x, y);
  },
  negated,
});
const like = (negated: boolean): OperatorDef => ({ test: (a, b, c) => memoGlob(c, b).matches(a), negated });
const arn = (negated: boolean): OperatorDef => ({ test: (a, b, c) => arnLike(a, b, c), negated });
const ip = (negated: boolean): OperatorDef => ({
  test: (a, b, c) => {
    const family = isIP(a);
    const list = memoNetwork(c, b);
    return family !== 0 && list !== undefined && list.check(a, family === 6 ? "ipv6" : "ipv4");
  },
  negated,
});

export const OPERATORS: Readonly<Record<string, OperatorDef>> = {
  StringEquals: str((a, b) => a === b),
  StringNotEquals: str((a, b) => a === b, true),
  StringEqualsIgnoreCase: str((a, b) => a.toLowerCase() === b.toLowerCase()),
  StringNotEqualsIgnoreCase: str((a, b) => a.toLowerCase() === b.toLowerCase(), true),
  StringLike: like(false),
  StringNotLike: like(true),
  NumericEquals: num((a, b) => a === b),
  NumericNotEquals: num((a, b) => a === b, true),
  NumericLessThan: num((a, b) => a < b),
  NumericLessThanEquals: num((a, b) => a <= b),
  NumericGreaterThan: num((a, b) => a > b),
  NumericGreaterThanEquals: num((a, b) => a >= b),
  DateEquals: date((a, b) => a === b),
  DateNotEquals: date((a, b) => a === b, true),
  DateLessThan: date((a, b) => a < b),
  DateLessThanEquals: date((a, b) => a <= b),
  DateGreaterThan: date((a, b) => a > b),
  DateGreaterThanEquals: date((a, b) => a >= b),
  Bool: str((a, b) => a.toLowerCase() === b.toLowerCase()),
  BinaryEquals: str((a, b) => a === b),
  IpAddress: ip(false),
  NotIpAddress: ip(true),
  ArnEquals: arn(false),
  ArnLike: arn(false),
  ArnNotEquals: arn(true),
  ArnNotLike: arn(true),
  Null: str(() => false),
};

/** The parts of an operator name, or undefined for a name IAM does not know. */
export function parseOperator(operator: string): { base: string; set: "any" | "all" | undefined; ifExists: boolean } | undefined {
  let rest = operator;
  let set: "any" | "all" | undefined;
  if (rest.startsWith("ForAnyValue:")) {
    set = "any";
    rest = rest.slice("ForAnyValue:".length);
  } else if (rest.startsWith("ForAllValues:")) {
    set = "all";
    rest = rest.slice("ForAllValues:".length);
  }
  let ifExists = false;
  if (rest.endsWith("IfExists") && rest !== "IfExists") {
    ifExists = true;
    rest = rest.slice(0, -"IfExists".length);
  }
  if (!Object.hasOwn(OPERATORS, rest)) return undefined;
  if (rest === "Null" && ifExists) return undefined;
  return { base: rest, set, ifExists };
}

/** One `operator: { key: value(s) }` entry; undefined when the operator or a value is not valid. */
export function parseCondition(operator: string, key: string, value: unknown): ConditionClause | undefined {
  const parsed = parseOperator(operator);
  if (!parsed) return undefined;
  const list = Array.isArray(value) ? value : [value];
  const values: string[] = [];
  for (const v of list) {
    if (typeof v === "string") values.push(v);
    else if (typeof v === "number" || typeof v === "boolean") values.push(String(v));
    else return undefined;
  }
  return { operator, ...parsed, key: key.toLowerCase(), keyName: key, values, def: OPERATORS[parsed.base], memo: new Map() };
}

/** Whether the clause holds for the request (`variables`: substitute policy variables in values). */
export function evalCondition(c: ConditionClause, ctx: Context, variables: boolean): boolean {
  const raw = ctx.get(c.key);
  const values: readonly string[] = raw === undefined ? [] : typeof raw === "string" ? [raw] : raw;
  if (c.base === "Null") {
    const absent = values.length === 0;
    return c.values.some((v) => (v.toLowerCase() === "true") === absent);
  }
  const def = c.def;
  if (!def) return false;
  if (raw === undefined && c.ifExists) return true;
  const policyValues = variables ? resolveValues(c.values, ctx) : c.values;
  const one = (v: string): boolean => {
    const hit = policyValues.some((pv) => def.test(v, pv, c));
    return def.negated ? !hit : hit;
  };
  if (c.set === "all") return values.every(one);
  if (c.set === "any") return values.some(one);
  if (values.length === 0) return def.negated;
  return def.negated ? values.every(one) : values.some(one);
}

function resolveValues(values: readonly string[], ctx: Context): readonly string[] {
  if (!values.some(hasVariables)) return values;
  const out: string[] = [];
  for (const v of values) {
    const s = substitute(v, ctx);
    if (s !== undefined) out.push(s);
  }
  return out;
}

/** ISO 8601 dates or epoch seconds, in milliseconds. */
export function parseDate(v: string): number | undefined {
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? undefined : ms;
}

function memoDate(c: ConditionClause, v: string): number | undefined {
  if (c.memo.has(v)) return c.memo.get(v) as number | undefined;
  const d = parseDate(v);
  c.memo.set(v, d);
  return d;
}

function memoGlob(c: ConditionClause, pattern: string): Glob {
  let g = c.memo.get(pattern) as Glob | undefined;
  if (!g) {
    g = compileGlob(pattern, { question: true });
    c.memo.set(pattern, g);
  }
  return g;
}

function memoNetwork(c: ConditionClause, cidr: string): BlockList | undefined {
  if (c.memo.has(cidr)) return c.memo.get(cidr) as BlockList | undefined;
  const list = network(cidr);
  c.memo.set(cidr, list);
  return list;
}

/** A CIDR block (or one address) as a BlockList; undefined when it is not one. */
export function network(cidr: string): BlockList | undefined {
  const [addr, bits] = cidr.split("/");
  const family = isIP(addr ?? "");
  if (family === 0) return undefined;
  const type = family === 6 ? "ipv6" : "ipv4";
  const max = family === 6 ? 128 : 32;
  const prefix = bits === undefined ? max : Number(bits);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > max) return undefined;
  const list = new BlockList();
  list.addSubnet(addr!, prefix, type);
  return list;
}

/** ARN comparison segment by segment (partition, service, region, account, resource), `*`/`?` within each. */
function arnLike(value: string, pattern: string, c: ConditionClause): boolean {
  const v = splitArn(value);
  const p = splitArn(pattern);
  if (!v || !p) return false;
  for (let i = 0; i < 6; i++) {
    const key = `arn#${i}#${p[i]}`;
    let g = c.memo.get(key) as Glob | undefined;
    if (!g) {
      g = compileGlob(p[i]!, { question: true });
      c.memo.set(key, g);
    }
    if (!g.matches(v[i]!)) return false;
  }
  return true;
}

function splitArn(s: string): string[] | undefined {
  const parts = s.split(":");
  if (parts.length < 6) return parts.length === 1 && s === "*" ? ["*", "*", "*", "*", "*", "*"] : undefined;
  return [...parts.slice(0, 5), parts.slice(5).join(":")];
}
