import assert from "node:assert/strict";
import { test } from "node:test";
import { invalidUtf8At, jsonDeeperThan, MAX_FORM_KEY_PARTS, MAX_FORM_PARAMS, parseForm } from "./input-limits.ts";

test("invalidUtf8At: the offset of the first byte that is not well-formed UTF-8", () => {
  assert.equal(invalidUtf8At(Buffer.from("plain ascii and é and 😀")), -1);
  assert.equal(invalidUtf8At(Buffer.from([0x61, 0xff, 0x62])), 1);
  assert.equal(invalidUtf8At(Buffer.from([0x61, 0xc0, 0x80])), 1, "overlong");
  assert.equal(invalidUtf8At(Buffer.from([0xed, 0xa0, 0x80])), 0, "a surrogate");
  assert.equal(invalidUtf8At(Buffer.from([0x61, 0x62, 0xe2, 0x82])), 2, "truncated");
});

test("jsonDeeperThan counts brackets outside strings only", () => {
  assert.equal(jsonDeeperThan('{"a":[[1]]}', 3), false);
  assert.equal(jsonDeeperThan('{"a":[[[1]]]}', 3), true);
  assert.equal(jsonDeeperThan(`{"a":"${"[".repeat(100)}\\"${"{".repeat(100)}"}`, 1), false);
  assert.equal(jsonDeeperThan("[".repeat(1_000_000), 64), true);
});

test("parseForm decodes as URLSearchParams does, but refuses invalid UTF-8 and oversized forms", () => {
  const ok = parseForm("Action=X&Name=a+b%20c&Odd=100%&Empty=&Flag");
  assert.ok(ok.ok);
  assert.deepEqual([...ok.form], [...new URLSearchParams("Action=X&Name=a+b%20c&Odd=100%&Empty=&Flag")]);
  assert.deepEqual(parseForm("a=%FF"), { ok: false, reason: "percent-encoded bytes that are not UTF-8" });
  assert.deepEqual(parseForm("a=%ED%A0%80"), { ok: false, reason: "percent-encoded bytes that are not UTF-8" });
  assert.equal(parseForm(Array.from({ length: MAX_FORM_PARAMS + 1 }, (_, i) => `k${i}=v`).join("&")).ok, false);
  assert.equal(parseForm(`${"a.".repeat(MAX_FORM_KEY_PARTS)}b=1`).ok, false);
  assert.equal(parseForm(`${"a.".repeat(MAX_FORM_KEY_PARTS - 1)}b=1`).ok, true);
});
