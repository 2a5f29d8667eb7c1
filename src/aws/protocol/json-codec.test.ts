import assert from "node:assert/strict";
import { test } from "node:test";
import { Shape } from "../model/index.ts";
import { decodeJson, encodeJson } from "./json-codec.ts";

// A synthetic static structure schema: [3, ns, name, traits, names, schemas, requiredCount] with
// blob (21), timestamp (4), document (15), list of strings (64|0) and a nested struct.
const inner = [3, "test", "Inner", 0, ["n"], [1], 0];
const shape = Shape.of([3, "test", "Outer", 0, ["data", "at", "doc", "names", "inner"], [21, 4, 15, 64 | 0, inner], 0]);

test("blobs are base64 on the wire, timestamps epoch seconds, documents as-is", () => {
  const errors: string[] = [];
  const decoded = decodeJson(shape, { data: "aGk=", at: 1733318615.211, doc: { any: ["thing", 1] }, names: ["a"], inner: { n: 2 } }, "", errors);
  assert.deepEqual(errors, []);
  assert.deepEqual(decoded, {
    data: new Uint8Array(Buffer.from("hi")),
    at: new Date(1733318615211),
    doc: { any: ["thing", 1] },
    names: ["a"],
    inner: { n: 2 },
  });
  assert.deepEqual(encodeJson(shape, decoded), { data: "aGk=", at: 1733318615.211, doc: { any: ["thing", 1] }, names: ["a"], inner: { n: 2 } });
});

test("type mismatches are reported with their path; nulls are treated as absent", () => {
  const errors: string[] = [];
  const decoded = decodeJson(shape, { data: 5, at: "soon", names: "a", inner: { n: "2" }, doc: null }, "", errors);
  assert.deepEqual(decoded, { inner: {} });
  assert.deepEqual(errors, [
    "Unexpected number value at 'data', expected blob",
    "Unexpected string value at 'at', expected timestamp",
    "Unexpected string value at 'names', expected list",
    "Unexpected string value at 'inner.n', expected number",
  ]);
});

test("encoding drops null/undefined members and unknown keys", () => {
  assert.deepEqual(encodeJson(shape, { data: undefined, at: null, names: ["x"], extra: 1 }), { names: ["x"] });
});
