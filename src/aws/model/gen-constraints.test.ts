import assert from "node:assert/strict";
import { test } from "node:test";
import { constraintsOf } from "./gen-constraints.ts";

test("constraints of the structures an input reaches: lengths, ranges, integer kinds, list and map elements", () => {
  const shapes = {
    OpRequest: { type: "structure", members: { Name: { shape: "Name" }, Count: { shape: "Count" }, Tags: { shape: "TagList" }, Attrs: { shape: "AttrMap" }, Free: { shape: "String" }, Inner: { shape: "Inner" } } },
    Inner: { type: "structure", members: { Ratio: { shape: "Ratio" } } },
    Unreached: { type: "structure", members: { X: { shape: "Name" } } },
    Name: { type: "string", min: 1, max: 64 },
    Count: { type: "integer", min: 0 },
    Ratio: { type: "double", max: 1 },
    String: { type: "string" },
    TagList: { type: "list", member: { shape: "Tag" }, max: 50 },
    Tag: { type: "string", max: 128 },
    AttrMap: { type: "map", key: { shape: "Name" }, value: { shape: "Count" } },
  };
  assert.deepEqual(constraintsOf(shapes, ["OpRequest"]), {
    OpRequest: {
      Name: { n: [1, 64] },
      Count: { t: "i", r: [0, null] },
      Tags: { n: [null, 50], m: { n: [null, 128] } },
      Attrs: { k: { n: [1, 64] }, m: { t: "i", r: [0, null] } },
    },
    Inner: { Ratio: { r: [null, 1] } },
  });
});
