import assert from "node:assert/strict";
import { test } from "node:test";
import { cborProblem, invalidUtf8At, jsonDeeperThan, MAX_FORM_KEY_PARTS, MAX_FORM_PARAMS, parseForm } from "./input-limits.ts";

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

test("cborProblem: well-formed CBOR passes; lengths past the end, bad text, lossy integers, depth, leftovers do not", async () => {
  const { cbor, dateToTag } = await import("@smithy/core/cbor");
  const good = cbor.serialize({ Namespace: "App", MetricData: [{ MetricName: "m", Value: 1.5, Timestamp: dateToTag(new Date(0)), Counts: [1, 2], Unit: "Count" }], Blob: new Uint8Array([1, 2]), n: -7, big: 2 ** 40 });
  assert.equal(cborProblem(good), undefined);
  assert.equal(cborProblem(new Uint8Array(0)), undefined);
  assert.equal(cborProblem(Buffer.from([0x9f, 0x01, 0x7f, 0x61, 0x61, 0xff, 0xff])), undefined, "indefinite array and text");
  assert.equal(cborProblem(Buffer.from([0xc4, 0x82, 0x21, 0x19, 0x6a, 0xb3])), undefined, "273.15 as a decimal fraction");
  assert.equal(cborProblem(Buffer.from([0xc2, 0x49, 1, 0, 0, 0, 0, 0, 0, 0, 0])), undefined, "2^64 as a bignum");
  const bad: Array<[number[], string]> = [
    [[0x5b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], "a length or integer beyond 2^53"],
    [[0x7a, 0x00, 0x00, 0x10, 0x00, 0x61], "a string longer than the bytes that follow"],
    [[0x9a, 0x00, 0x01, 0x00, 0x00, 0x01], "more items than the bytes that follow"],
    [[0x63, 0xff, 0xfe, 0xfd], "a text string that is not UTF-8"],
    [[0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], "a length or integer beyond 2^53"],
    [[0x9f, 0x01], "truncated"],
    [[0x82, 0x01], "more items than the bytes that follow"],
    [[0x82, 0x01, 0x9f], "truncated"],
    [[0xff], "a break outside an indefinite-length item"],
    [[0x1c], "a reserved additional information value"],
    [[0x01, 0x02], "bytes after the item"],
    [[0x5f, 0x61, 0x61, 0xff], "an indefinite-length string with a chunk of another type"],
    [[...Array(65).fill(0x81), 0x01], "nested too deep"],
    [[0xc4, 0x82, 0x1a, 0x0f, 0xff, 0xff, 0xff, 0x01], "a decimal fraction or bigfloat whose exponent is not a small integer"],
    [[0xc2, 0xfb, 0x41, 0xda, 0x55, 0x6e, 0x40, 0x07, 0xdf, 0x3b], "a bignum that is not a byte string of at most 32 bytes"],
    [[0xc2, 0x58, 0x40, ...Array(64).fill(1)], "a bignum that is not a byte string of at most 32 bytes"],
  ];
  for (const [bytes, reason] of bad) assert.equal(cborProblem(Buffer.from(bytes)), reason, Buffer.from(bytes).toString("hex"));
});
