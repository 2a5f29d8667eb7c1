import assert from "node:assert/strict";
import { test } from "node:test";
import { compileGlob, wildcardCount } from "./glob.ts";

test("* matches any run, ? one character when enabled, everything else literally", () => {
  const cases: [string, string, boolean, boolean?][] = [
    ["abc", "abc", true],
    ["abc", "abcd", false],
    ["*", "", true],
    ["*", "anything", true],
    ["a*", "a", true],
    ["a*c", "abbbc", true],
    ["a*c", "abbb", false],
    ["*.png", "/img/x.png", true],
    ["/*/*/*.png", "/a/b/c.png", true],
    ["/*/*/*.png", "/a/b.png", false],
    ["a*b*a", "aba", true],
    ["a*b*a", "ab", false],
    ["a*a", "a", false],
    ["a.b", "axb", false],
    ["(x)+[y]", "(x)+[y]", true],
    ["a?c", "abc", true, true],
    ["a?c", "abc", false, false],
    ["a?c", "a?c", true, false],
    ["*?", "", false, true],
    ["*?", "x", true, true],
    ["?*?", "xy", true, true],
  ];
  for (const [p, t, want, question] of cases) assert.equal(compileGlob(p, { question }).matches(t), want, `${p} ~ ${t}`);
});

test("case-insensitive matching folds both sides", () => {
  assert.equal(compileGlob("*.Example.COM", { caseInsensitive: true }).matches("api.example.com"), true);
  assert.equal(compileGlob("*.Example.COM").matches("api.example.com"), false);
});

test("hostile patterns and texts finish at once (no backtracking)", () => {
  const text = "/" + "a/".repeat(300) + "b";
  const started = process.hrtime.bigint();
  assert.equal(compileGlob("/*/*/*/*.png").matches(text), false);
  assert.equal(compileGlob("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", {}).matches("a".repeat(5000)), false);
  assert.equal(compileGlob(`${"*a".repeat(60)}*c`, { question: true }).matches("a".repeat(20_000)), false);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  // A hang guard, not a benchmark: a backtracking matcher takes minutes here.
  assert.ok(ms < 5000, `took ${ms} ms`);
});

test("wildcardCount counts * (and ? when it is a wildcard)", () => {
  assert.equal(wildcardCount("a*b?c*"), 2);
  assert.equal(wildcardCount("a*b?c*", { question: true }), 3);
});
