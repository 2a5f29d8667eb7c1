import assert from "node:assert/strict";
import { test } from "node:test";
import { linearRegExp } from "./linear-regexp.ts";

const full = (pattern: string) => {
  const re = linearRegExp(`^(?:${pattern})$`);
  assert.ok(re, `${pattern} compiles`);
  return (text: string) => re.test(text);
};

test("the patterns AllowedPattern is used with match as a RegExp would", () => {
  const cases: Array<[string, string[], string[]]> = [
    ["\\d{1,20}", ["0", "12345678901234567890"], ["", "123456789012345678901", "12a"]],
    ["[a-zA-Z0-9_.-]+", ["my.param-1_x"], ["has space", ""]],
    ["(dev|prod)-[a-z]+", ["dev-api", "prod-x"], ["test-api", "dev-API"]],
    ["^https?://[^\\s/$.?#].[^\\s]*$", ["https://example.com/a"], ["ftp://x", "http:// x"]],
    ["[^@]+@[^@]+\\.[a-z]{2,}", ["a@b.io"], ["a@b", "a@@b.io"]],
    ["\\bword\\b.*", ["word here"], ["swordfish"]],
    ["a{3}", ["aaa"], ["aa", "aaaa"]],
    ["(?:ab)*c?", ["", "abab", "ababc"], ["aba"]],
    ["\\x41\\u00e9\\.", ["Aé."], ["AéX"]],
    ["[\\d\\-]+", ["12-3"], ["12a"]],
    ["(a|b|)c", ["ac", "bc", "c"], ["abc"]],
    ["😀+", ["😀😀"], ["x"]],
  ];
  for (const [pattern, yes, no] of cases) {
    const m = full(pattern);
    const js = new RegExp(`^(?:${pattern})$`, "u");
    for (const t of yes) assert.equal(m(t), true, `${pattern} ~ ${t}`);
    for (const t of no) assert.equal(m(t), false, `${pattern} !~ ${t}`);
    for (const t of [...yes, ...no]) assert.equal(m(t), js.test(t), `${pattern} on ${t} as RegExp`);
  }
});

test("unanchored search, and anchors inside", () => {
  assert.equal(linearRegExp("b+")?.test("aabbcc"), true);
  assert.equal(linearRegExp("^b")?.test("ab"), false);
  assert.equal(linearRegExp("c$")?.test("abc"), true);
});

test("catastrophic patterns cost time in proportion to the input", () => {
  // A backtracking engine takes exponential time on each of these; 100,000 characters would never finish.
  const long = "a".repeat(100_000);
  for (const p of ["(a+)+b", "(a|a)*b", "(a*)*b", "(a|aa)+$b", "(\\w+\\s?)+$x"]) {
    const re = linearRegExp(`^(?:${p})$`);
    assert.ok(re, p);
    assert.equal(re.test(long), false, p);
  }
});

test("what needs backtracking, or is not valid, or is too large, is refused", () => {
  for (const p of ["(a)\\1", "a(?=b)", "a(?!b)", "(?<=a)b", "(?<name>a)", "\\k<x>", "(unclosed", "a)", "*a", "a{5,2}", "[z-a]", "[a-z&&[aeiou]]", "\\p{L}", "\\Qa\\E", "(?i)a", "((a{1000}){1000})", "(".repeat(100) + "a" + ")".repeat(100)]) {
    assert.equal(linearRegExp(p), undefined, p);
  }
});
