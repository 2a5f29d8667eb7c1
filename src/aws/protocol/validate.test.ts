import assert from "node:assert/strict";
import { test } from "node:test";
import * as logs from "@aws-sdk/client-cloudwatch-logs";
import * as sts from "@aws-sdk/client-sts";
import { ServiceModel, Shape } from "../model/index.ts";
import { validate } from "./validate.ts";

const logsModel = new ServiceModel(logs);
const stsModel = new ServiceModel(sts);

test("nulls in lists and maps are refused unless the model marks them sparse", () => {
  const put = logsModel.operation("PutLogEvents")!.input;
  const v = validate(logsModel, put, { logGroupName: "g", logStreamName: "s", logEvents: [{ timestamp: 1, message: "m" }, undefined] }, "json");
  assert.deepEqual(v.missing, ["Value null at 'logEvents.2.member' failed to satisfy constraint: Member must not be null"]);
  // A synthetic structure with a sparse list and a dense map: [3, ns, name, traits, names, schemas, required].
  const sparseList = [1, "t", "Sparse", { sparse: 1 }, 0];
  const denseMap = [2, "t", "Dense", 0, 0, 0];
  const holder = Shape.of([3, "t", "Holder", 0, ["a", "b"], [sparseList, denseMap], 0]);
  const found = validate(logsModel, holder, { a: ["x", undefined], b: { k: undefined } }, "json");
  assert.deepEqual(found.missing, ["Value null at 'b.k' failed to satisfy constraint: Member must not be null"]);
});

test("length and range traits, and integers, from the generated tables", () => {
  const assume = stsModel.operation("AssumeRole")!.input;
  const base = { RoleArn: "arn:aws:iam::123456789012:role/r", RoleSessionName: "session" };
  assert.deepEqual(validate(stsModel, assume, { ...base, DurationSeconds: 100 }, "query").traits, [
    "Value '100' at 'DurationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900",
  ]);
  assert.deepEqual(validate(stsModel, assume, { ...base, DurationSeconds: 1.5 }, "query").types, [
    "Value '1.5' at 'DurationSeconds' failed to satisfy constraint: Member must be a 32-bit integer",
  ]);
  assert.deepEqual(validate(stsModel, assume, { ...base, RoleSessionName: "x".repeat(65) }, "query").traits.length, 1);
  // Characters, not UTF-16 units: 64 emoji are 64 characters.
  assert.deepEqual(validate(stsModel, assume, { ...base, RoleSessionName: "😀".repeat(64) }, "query").traits, []);
  assert.deepEqual(validate(stsModel, assume, { ...base, DurationSeconds: 100 }, "query", { traits: false }).traits, []);
});
