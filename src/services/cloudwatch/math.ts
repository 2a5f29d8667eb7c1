/**
 * Metric math (pure): the expression language of GetMetricData queries and math alarms, for the
 * functions listed below. A value is a scalar, a time series (period start → value) or an array of
 * time series. Arithmetic between two series keeps the timestamps both have.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html
 */

export type Series = Map<number, number>;
export interface Labeled {
  readonly label: string;
  readonly series: Series;
}
export type MathValue = number | Labeled | Labeled[];

export class MathError extends Error {}

/** What evaluation needs from the caller: other queries' values and the period (seconds). */
export interface MathEnv {
  ref(id: string): MathValue | undefined;
  /** All MetricStat results, for METRICS(). */
  metrics(filter: string | undefined): Labeled[];
  readonly period: number;
}

const SUPPORTED = new Set([
  "ABS", "AVG", "CEIL", "DATAPOINT_COUNT", "DIFF", "DIFF_TIME", "FILL", "FIRST", "FLOOR", "IF", "LAST", "MAX", "METRICS",
  "MIN", "PERIOD", "RATE", "STDDEV", "SUM",
]);
/** Functions CloudWatch has that Slipway does not evaluate: refused by name rather than answered empty. */
const KNOWN_UNSUPPORTED = new Set([
  "ANOMALY_DETECTION_BAND", "AVG_OVER_TIME", "CONCAT", "DATAPOINT_COUNT_OVER_TIME", "INSIGHT_RULE_METRIC", "LAMBDA", "LOG", "LOG10",
  "MAX_OVER_TIME", "MIN_OVER_TIME", "REMOVE_EMPTY", "RUNNING_SUM", "SEARCH", "SELECT", "SERVICE_QUOTA", "SLICE", "SORT", "SQRT", "TIME_SERIES",
]);

type Token = { t: "num"; v: number } | { t: "id"; v: string } | { t: "str"; v: string } | { t: "op"; v: string };

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const num = /^(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?/.exec(src.slice(i));
    if (num) {
      out.push({ t: "num", v: Number(num[0]) });
      i += num[0].length;
      continue;
    }
    const id = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (id) {
      out.push({ t: "id", v: id[0] });
      i += id[0].length;
      continue;
    }
    if (c === '"' || c === "'") {
      const end = src.indexOf(c, i + 1);
      if (end < 0) throw new MathError("Unterminated string");
      out.push({ t: "str", v: src.slice(i + 1, end) });
      i = end + 1;
      continue;
    }
    const op = /^(>=|<=|==|!=|&&|\|\||[-+*/^(),<>])/.exec(src.slice(i));
    if (!op) throw new MathError(`Unexpected character '${c}'`);
    out.push({ t: "op", v: op[0] });
    i += op[0].length;
  }
  return out;
}

type Node =
  | { k: "num"; v: number }
  | { k: "str"; v: string }
  | { k: "ref"; id: string }
  | { k: "neg"; a: Node }
  | { k: "bin"; op: string; a: Node; b: Node }
  | { k: "call"; fn: string; args: Node[] };

export function parse(src: string): Node {
  const toks = tokenize(src);
  let p = 0;
  const peek = () => toks[p];
  const isOp = (v: string) => peek()?.t === "op" && peek()!.v === v;
  const expect = (v: string) => {
    if (!isOp(v)) throw new MathError(`Expected '${v}'`);
    p++;
  };
  const levels: string[][] = [["||"], ["&&"], ["==", "!=", ">", "<", ">=", "<="], ["+", "-"], ["*", "/"]];
  const binary = (level: number): Node => {
    if (level === levels.length) return power();
    let left = binary(level + 1);
    for (let t = peek(); t?.t === "op" && levels[level]!.includes(t.v); t = peek()) {
      p++;
      const op = t.v;
      left = { k: "bin", op, a: left, b: binary(level + 1) };
    }
    return left;
  };
  const power = (): Node => {
    const base = unary();
    if (isOp("^")) {
      p++;
      return { k: "bin", op: "^", a: base, b: power() };
    }
    return base;
  };
  const unary = (): Node => {
    if (isOp("-")) {
      p++;
      return { k: "neg", a: unary() };
    }
    if (isOp("+")) {
      p++;
      return unary();
    }
    return primary();
  };
  const primary = (): Node => {
    const t = toks[p++];
    if (!t) throw new MathError("Unexpected end of expression");
    if (t.t === "num") return { k: "num", v: t.v };
    if (t.t === "str") return { k: "str", v: t.v };
    if (t.t === "op" && t.v === "(") {
      const e = binary(0);
      expect(")");
      return e;
    }
    if (t.t === "id") {
      if (isOp("(")) {
        p++;
        const fn = t.v.toUpperCase();
        if (KNOWN_UNSUPPORTED.has(fn)) throw new MathError(`The function ${fn} is not supported by Slipway`);
        if (!SUPPORTED.has(fn)) throw new MathError(`Unknown function ${t.v}`);
        const args: Node[] = [];
        if (!isOp(")")) {
          args.push(binary(0));
          while (isOp(",")) {
            p++;
            args.push(binary(0));
          }
        }
        expect(")");
        return { k: "call", fn, args };
      }
      if (t.v === "REPEAT" || t.v === "LINEAR") return { k: "str", v: t.v };
      return { k: "ref", id: t.v };
    }
    throw new MathError(`Unexpected token '${t.v}'`);
  };
  const root = binary(0);
  if (p < toks.length) throw new MathError(`Unexpected token '${toks[p]!.v}'`);
  return root;
}

/** The ids an expression reads (to order evaluation and detect unknown ids). */
export function references(node: Node, into: Set<string> = new Set()): Set<string> {
  switch (node.k) {
    case "ref":
      into.add(node.id);
      break;
    case "neg":
      references(node.a, into);
      break;
    case "bin":
      references(node.a, into);
      references(node.b, into);
      break;
    case "call":
      for (const a of node.args) references(a, into);
      break;
  }
  return into;
}

export function evaluate(node: Node, env: MathEnv): MathValue {
  switch (node.k) {
    case "num":
      return node.v;
    case "str":
      throw new MathError(`Unexpected string "${node.v}"`);
    case "ref": {
      const v = env.ref(node.id);
      if (v === undefined) throw new MathError(`Unrecognized id ${node.id}`);
      return v;
    }
    case "neg":
      return map1(evaluate(node.a, env), (x) => -x);
    case "bin":
      return binaryOp(node.op, evaluate(node.a, env), evaluate(node.b, env));
    case "call":
      return call(node.fn, node.args, env);
  }
}

function map1(v: MathValue, f: (x: number) => number): MathValue {
  if (typeof v === "number") return f(v);
  if (Array.isArray(v)) return v.map((s) => ({ label: s.label, series: mapSeries(s.series, f) }));
  return { label: v.label, series: mapSeries(v.series, f) };
}

function mapSeries(s: Series, f: (x: number) => number): Series {
  const out: Series = new Map();
  for (const [t, x] of s) out.set(t, f(x));
  return out;
}

const OPS: Record<string, (a: number, b: number) => number> = {
  "+": (a, b) => a + b,
  "-": (a, b) => a - b,
  "*": (a, b) => a * b,
  "/": (a, b) => a / b,
  "^": (a, b) => a ** b,
  ">": (a, b) => Number(a > b),
  "<": (a, b) => Number(a < b),
  ">=": (a, b) => Number(a >= b),
  "<=": (a, b) => Number(a <= b),
  "==": (a, b) => Number(a === b),
  "!=": (a, b) => Number(a !== b),
  "&&": (a, b) => Number(a !== 0 && b !== 0),
  "||": (a, b) => Number(a !== 0 || b !== 0),
};

function binaryOp(op: string, a: MathValue, b: MathValue): MathValue {
  const f = OPS[op]!;
  if (typeof a === "number" && typeof b === "number") return f(a, b);
  if (typeof a === "number") return map1(b, (x) => f(a, x));
  if (typeof b === "number") return map1(a, (x) => f(x, b));
  if (Array.isArray(a) || Array.isArray(b)) {
    const as = Array.isArray(a) ? a : [a];
    const bs = Array.isArray(b) ? b : [b];
    if (as.length !== bs.length && as.length !== 1 && bs.length !== 1) throw new MathError("Arrays of different sizes");
    const n = Math.max(as.length, bs.length);
    return Array.from({ length: n }, (_, i) => {
      const x = as[as.length === 1 ? 0 : i]!;
      const y = bs[bs.length === 1 ? 0 : i]!;
      return { label: x.label, series: zip(x.series, y.series, f) };
    });
  }
  return { label: a.label, series: zip(a.series, b.series, f) };
}

function zip(a: Series, b: Series, f: (x: number, y: number) => number): Series {
  const out: Series = new Map();
  for (const [t, x] of a) {
    const y = b.get(t);
    if (y !== undefined) out.set(t, f(x, y));
  }
  return out;
}

function seriesArg(v: MathValue, fn: string): Labeled {
  if (typeof v === "number" || Array.isArray(v)) throw new MathError(`${fn} expects a time series`);
  return v;
}

const REDUCE: Record<string, (xs: number[]) => number> = {
  SUM: (xs) => xs.reduce((a, c) => a + c, 0),
  AVG: (xs) => xs.reduce((a, c) => a + c, 0) / xs.length,
  MIN: (xs) => Math.min(...xs),
  MAX: (xs) => Math.max(...xs),
  STDDEV: (xs) => {
    const m = xs.reduce((a, c) => a + c, 0) / xs.length;
    return Math.sqrt(xs.reduce((a, c) => a + (c - m) ** 2, 0) / xs.length);
  },
};

function call(fn: string, args: Node[], env: MathEnv): MathValue {
  if (fn === "METRICS") {
    const filter = args[0]?.k === "str" ? args[0].v : undefined;
    return env.metrics(filter);
  }
  if (fn === "PERIOD") {
    return map1(evaluate(args[0]!, env), () => env.period);
  }
  const vals = args.map((a) => (a.k === "str" ? a.v : evaluate(a, env)));
  const v0 = vals[0];
  if (v0 === undefined) throw new MathError(`${fn} needs an argument`);
  if (typeof v0 === "string") throw new MathError(`Unexpected string "${v0}"`);
  switch (fn) {
    case "ABS":
      return map1(v0, Math.abs);
    case "CEIL":
      return map1(v0, Math.ceil);
    case "FLOOR":
      return map1(v0, Math.floor);
    case "SUM":
    case "AVG":
    case "MIN":
    case "MAX":
    case "STDDEV": {
      const reduce = REDUCE[fn]!;
      if (typeof v0 === "number") return v0;
      if (Array.isArray(v0)) {
        // Across series, per timestamp (over the timestamps any series has).
        const stamps = new Set<number>();
        for (const s of v0) for (const t of s.series.keys()) stamps.add(t);
        const out: Series = new Map();
        for (const t of [...stamps].sort((a, b) => a - b)) {
          const xs = v0.map((s) => s.series.get(t)).filter((x): x is number => x !== undefined);
          if (xs.length > 0) out.set(t, reduce(xs));
        }
        return { label: "", series: out };
      }
      const xs = [...v0.series.values()];
      return xs.length === 0 ? Number.NaN : reduce(xs);
    }
    case "DATAPOINT_COUNT":
      return Array.isArray(v0) ? v0.map((s) => countOf(s)) : countOf(seriesArg(v0, fn));
    case "FIRST":
    case "LAST": {
      const arr = Array.isArray(v0) ? v0 : [seriesArg(v0, fn)];
      const s = fn === "FIRST" ? arr[0] : arr[arr.length - 1];
      if (!s) throw new MathError(`${fn} of an empty array`);
      return s;
    }
    case "RATE":
    case "DIFF":
    case "DIFF_TIME":
      return perSeries(v0, fn, (s) => {
        const out: Series = new Map();
        let prev: [number, number] | undefined;
        for (const [t, x] of sorted(s)) {
          if (prev) out.set(t, fn === "DIFF" ? x - prev[1] : fn === "DIFF_TIME" ? t - prev[0] : (x - prev[1]) / (t - prev[0]));
          prev = [t, x];
        }
        return out;
      });
    case "FILL": {
      const how = vals[1];
      if (how === undefined) throw new MathError("FILL needs a value");
      return perSeries(v0, fn, (s) => fill(s, how, env.period));
    }
    case "IF": {
      const [, a, b] = vals;
      if (a === undefined || typeof a === "string" || (typeof b === "string")) throw new MathError("IF needs a condition and a value");
      const cond = v0;
      if (typeof cond === "number") return cond !== 0 ? a : (b ?? Number.NaN);
      return perSeries(cond, fn, (s) => {
        const out: Series = new Map();
        for (const [t, c] of s) {
          const pick = c !== 0 ? a : b;
          if (pick === undefined) continue;
          const x = typeof pick === "number" ? pick : Array.isArray(pick) ? pick[0]?.series.get(t) : pick.series.get(t);
          if (x !== undefined) out.set(t, x);
        }
        return out;
      });
    }
  }
  throw new MathError(`Unknown function ${fn}`);
}

function countOf(s: Labeled): Labeled {
  const out: Series = new Map();
  for (const t of s.series.keys()) out.set(t, 1);
  return { label: s.label, series: out };
}

function perSeries(v: MathValue, fn: string, f: (s: Series) => Series): MathValue {
  if (typeof v === "number") throw new MathError(`${fn} expects a time series`);
  if (Array.isArray(v)) return v.map((s) => ({ label: s.label, series: f(s.series) }));
  return { label: v.label, series: f(v.series) };
}

function sorted(s: Series): Array<[number, number]> {
  return [...s].sort((a, b) => a[0] - b[0]);
}

/** Timestamps of the series' span on its period grid (filled where missing). */
function fill(s: Series, how: string | MathValue, period: number): Series {
  const pts = sorted(s);
  if (pts.length === 0 || period <= 0) return new Map(s);
  const out: Series = new Map();
  const first = pts[0]![0];
  const last = pts[pts.length - 1]![0];
  let i = 0;
  let prev: [number, number] | undefined;
  for (let t = first; t <= last; t += period) {
    const x = s.get(t);
    if (x !== undefined) {
      out.set(t, x);
      prev = [t, x];
      while (i < pts.length && pts[i]![0] <= t) i++;
      continue;
    }
    if (how === "REPEAT") {
      if (prev) out.set(t, prev[1]);
    } else if (how === "LINEAR") {
      const next = pts[i];
      if (prev && next) out.set(t, prev[1] + ((next[1] - prev[1]) * (t - prev[0])) / (next[0] - prev[0]));
    } else if (typeof how === "number") out.set(t, how);
    else throw new MathError("FILL expects a number, REPEAT or LINEAR");
  }
  return out;
}
