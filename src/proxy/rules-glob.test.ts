/** ALB's wildcard semantics through the shared matcher (src/core/glob.ts), as rules.ts compiles them. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compileGlob, wildcardCount } from "../core/glob.ts";

const alb = (pattern: string, caseInsensitive = false) => compileGlob(pattern, { question: true, caseInsensitive });

describe("ALB wildcards", () => {
  it("* is zero or more characters, ? exactly one, and the whole input must match", () => {
    const cases: [string, string, boolean][] = [
      ["/img/*", "/img/a/b.png", true],
      ["/img/*", "/img/", true],
      ["/img/*", "/img", false],
      ["/api", "/api", true],
      ["/api", "/api/x", false],
      ["/a?c", "/abc", true],
      ["/a?c", "/ac", false],
      ["*", "", true],
      ["**", "x", true],
      ["", "", true],
      ["", "x", false],
      ["*.png", "/a/b.png", true],
      ["*.png", "/a/b.png.txt", false],
      ["/*/*/*/*.png", "/a/b/c/d.png", true],
      ["/*/*/*/*.png", "/a/b/c.png", false],
      ["a*a", "a", false],
      ["a*a", "aa", true],
      ["*ab*ab*", "xabyab", true],
      ["*ab*ab*", "xab", false],
      ["?*?", "ab", true],
      ["?*?", "a", false],
      ["*a?c*", "xxabxabcyy", true],
      ["*a?c", "abcabd", false],
      ["/v1.0/(x)", "/v1.0/(x)", true],
      ["/v1.0", "/v1x0", false],
      ["[a-z]+", "[a-z]+", true],
      ["[a-z]+", "b", false],
    ];
    for (const [pattern, input, expected] of cases) assert.equal(alb(pattern).matches(input), expected, `${pattern} ~ ${input}`);
  });

  it("case-insensitive when asked, on both sides", () => {
    assert.ok(alb("*.Example.COM", true).matches("api.example.com"));
    assert.ok(!alb("*.Example.COM", false).matches("api.example.com"));
    assert.ok(alb("A?C", true).matches("abc"));
  });

  it("counts * and ? as ALB's wildcards", () => {
    assert.equal(wildcardCount("/a/*/b?c*", { question: true }), 3);
    assert.equal(wildcardCount("plain", { question: true }), 0);
  });

  it("matches hostile patterns against long inputs in linear time (no backtracking)", () => {
    const long = `/${"a/".repeat(300)}x`;
    const cases: [string, string][] = [
      ["/*/*/*/*.png", long],
      ["*a*a*a*a*a*a*a*a*a*b", "a".repeat(100_000)],
      ["*?*?*?*?*?*b", "a".repeat(100_000)],
      [`*${"a".repeat(50)}b*`, "a".repeat(100_000)],
    ];
    for (const [pattern, input] of cases) {
      const g = alb(pattern);
      const start = performance.now();
      assert.equal(g.matches(input), false);
      const ms = performance.now() - start;
      assert.ok(ms < 100, `${pattern} against ${input.length} characters took ${ms.toFixed(1)} ms`);
    }
  });
});
