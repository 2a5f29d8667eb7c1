import assert from "node:assert/strict";
import { test } from "node:test";
import type { ObservedCall } from "../aws/gateway.ts";
import { Activity } from "./activity.ts";

const call = (n: number, region = "us-east-1", userAgent = "aws-cli/1.36.2 Python/3.11"): ObservedCall => ({
  requestId: `r${n}`,
  at: n,
  service: "ecs",
  operation: `Op${n}`,
  accountId: "000000000000",
  region,
  accessKeyId: undefined,
  status: 200,
  errorCode: undefined,
  latencyMs: 1,
  userAgent,
});

test("the activity ring keeps the last `capacity` calls, oldest first, per account and region", () => {
  const a = new Activity(3);
  for (let n = 1; n <= 2; n++) a.record(call(n));
  assert.deepEqual(a.recent("000000000000", "us-east-1").map((e) => e.operation), ["Op1", "Op2"]);
  for (let n = 3; n <= 7; n++) a.record(call(n, n === 6 ? "eu-west-1" : "us-east-1"));
  assert.deepEqual(a.recent("000000000000", "us-east-1").map((e) => e.operation), ["Op5", "Op7"]);
  assert.deepEqual(a.recent("000000000000", "eu-west-1").map((e) => e.operation), ["Op6"]);
  assert.deepEqual(a.recent("000000000000", "us-east-1").map((e) => e.seq), [5, 7]);
});

test("each entry names the calling tool from its own User-Agent", () => {
  const a = new Activity();
  a.record(call(1, "us-east-1", "aws-cli/1.36.2 Python/3.11"));
  a.record(call(2, "us-east-1", "APN/1.0 HashiCorp/1.0 Terraform/1.9.0 (+https://www.terraform.io)"));
  a.record(call(3, "us-east-1", "aws-cli/1.36.2 Python/3.11"));
  assert.deepEqual(a.recent("000000000000", "us-east-1").map((e) => e.tool), ["aws-cli/1.36.2", "Terraform/1.9.0", "aws-cli/1.36.2"]);
});
