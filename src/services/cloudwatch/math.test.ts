import assert from "node:assert/strict";
import { test } from "node:test";
import { evaluate, type Labeled, MathError, type MathValue, parse, references } from "./math.ts";

const series = (label: string, pts: Record<number, number>): Labeled => ({ label, series: new Map(Object.entries(pts).map(([t, v]) => [Number(t), v])) });
const env = (vars: Record<string, MathValue>) => ({
  ref: (id: string) => vars[id],
  metrics: () => Object.values(vars).filter((v): v is Labeled => typeof v === "object" && !Array.isArray(v)),
  period: 60,
});
const values = (v: MathValue) => (typeof v === "object" && !Array.isArray(v) ? [...v.series.entries()] : v);

test("arithmetic keeps the timestamps both series have; precedence and unary minus", () => {
  const e = env({ a: series("a", { 0: 10, 60: 20, 120: 30 }), b: series("b", { 60: 4, 120: 5 }) });
  assert.deepEqual(values(evaluate(parse("a / b * 2"), e)), [[60, 10], [120, 12]]);
  assert.deepEqual(values(evaluate(parse("-a + 2 ^ 3"), e)), [[0, -2], [60, -12], [120, -22]]);
  assert.deepEqual([...references(parse("100 * (a - b) / a"))], ["a", "b"]);
});

test("functions: SUM over METRICS(), AVG of one series, FILL, IF, RATE, DIFF", () => {
  const e = env({ a: series("a", { 0: 1, 120: 3 }), b: series("b", { 0: 10, 120: 30 }) });
  assert.deepEqual(values(evaluate(parse("SUM(METRICS())"), e)), [[0, 11], [120, 33]]);
  assert.equal(evaluate(parse("AVG(a)"), e), 2);
  assert.deepEqual(values(evaluate(parse("FILL(a, 0)"), e)), [[0, 1], [60, 0], [120, 3]]);
  assert.deepEqual(values(evaluate(parse("FILL(a, LINEAR)"), e)), [[0, 1], [60, 2], [120, 3]]);
  assert.deepEqual(values(evaluate(parse("IF(b > 20, 1, 0)"), e)), [[0, 0], [120, 1]]);
  assert.deepEqual(values(evaluate(parse("RATE(b)"), e)), [[120, 20 / 120]]);
  assert.deepEqual(values(evaluate(parse("DIFF(b)"), e)), [[120, 20]]);
});

test("unsupported functions are named; syntax errors say where", () => {
  assert.throws(() => parse("SEARCH('{AWS/EC2} CPUUtilization', 'Average', 300)"), (err: Error) => err instanceof MathError && err.message === "The function SEARCH is not supported by Slipway");
  assert.throws(() => parse("a +"), MathError);
  assert.throws(() => parse("NOPE(a)"), /Unknown function NOPE/);
});
