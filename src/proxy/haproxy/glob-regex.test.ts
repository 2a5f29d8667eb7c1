import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compileGlob } from "../../core/glob.ts";
import { globToPcre, queryPairToPcre } from "./glob-regex.ts";

/** JavaScript has no atomic groups; (?>X) behaves as (?=(X))\1 for these tests. */
function toJs(pcre: string): RegExp {
  let n = 0;
  // Rewrite each (?>BODY) into (?=(BODY))\k, counting groups.
  let out = "";
  let i = 0;
  while (i < pcre.length) {
    if (pcre.startsWith("(?s)", i)) {
      i += 4;
      continue;
    }
    if (pcre.startsWith("(?>", i)) {
      let depth = 1;
      let j = i + 3;
      while (depth > 0) {
        if (pcre[j] === "\\") j += 2;
        else {
          if (pcre[j] === "(") depth++;
          if (pcre[j] === ")") depth--;
          j++;
        }
      }
      n++;
      out += `(?=(${pcre.slice(i + 3, j - 1)}))\\${n}`;
      i = j;
      continue;
    }
    out += pcre[i];
    i++;
  }
  return new RegExp(out, "s");
}

describe("ALB wildcards as PCRE", () => {
  it("agree with the Node matcher", () => {
    const cases: [string, string][] = [
      ["/img/*", "/img/a/b.png"],
      ["/img/*", "/img"],
      ["/*/*/*/*.png", "/a/b/c/d.png"],
      ["/*/*/*/*.png", "/a/b/c.png"],
      ["*ab*ab*", "xabyab"],
      ["*ab*ab*", "xab"],
      ["/a?c", "/abc"],
      ["/a?c", "/ac"],
      ["/v1.0/(x)+[y]", "/v1.0/(x)+[y]"],
      ["/v1.0", "/v1x0"],
      ["*", ""],
      ["a*a", "a"],
      ["?*?", "ab"],
    ];
    for (const [g, s] of cases) assert.equal(toJs(globToPcre(g)).test(s), compileGlob(g, { question: true }).matches(s), `${g} ~ ${s}`);
  });

  it("query pairs: key and value globs within one pair", () => {
    const re = (k: string | undefined, v: string) => toJs(queryPairToPcre(k, v));
    assert.ok(re("v", "2").test("a=1&v=2"));
    assert.ok(!re("v", "2").test("v=21"));
    assert.ok(re(undefined, "x*").test("a=1&b=xyz"));
    assert.ok(!re("a", "1*").test("a=2&b=1"));
  });
});
