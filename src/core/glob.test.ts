import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compileGlob, countWildcards, globMatch } from "./glob.ts";

describe("glob", () => {
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
    for (const [pattern, input, expected] of cases) assert.equal(globMatch(pattern, input), expected, `${pattern} ~ ${input}`);
  });

  it("case-insensitive when asked, on both sides", () => {
    assert.ok(compileGlob("*.Example.COM", true).test("api.example.com"));
    assert.ok(!compileGlob("*.Example.COM", false).test("api.example.com"));
    assert.ok(compileGlob("A?C", true).test("abc"));
  });

  it("counts wildcards", () => {
    assert.equal(countWildcards("/a/*/b?c*"), 3);
    assert.equal(compileGlob("/a/*/b?c*").wildcards, 3);
    assert.equal(countWildcards("plain"), 0);
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
      const g = compileGlob(pattern);
      const start = performance.now();
      assert.equal(g.test(input), false);
      const ms = performance.now() - start;
      assert.ok(ms < 100, `${pattern} against ${input.length} characters took ${ms.toFixed(1)} ms`);
    }
  });
});
