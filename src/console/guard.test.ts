import assert from "node:assert/strict";
import { test } from "node:test";
import { toolOf } from "./activity.ts";
import { audienceOf } from "./feed.ts";
import { checkSameOrigin, isLoopbackAddress, isLoopbackHost, isOwnOrigin } from "./guard.ts";

test("loopback peers and host names", () => {
  for (const a of ["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"]) assert.ok(isLoopbackAddress(a), a);
  for (const a of ["10.0.0.1", "::ffff:10.0.0.1", "", undefined]) assert.equal(isLoopbackAddress(a), false, String(a));
  for (const h of ["127.0.0.1:4566", "localhost:4566", "LOCALHOST:4566", "[::1]:4566"]) assert.ok(isLoopbackHost(h, 4566), h);
  for (const h of ["127.0.0.1:4567", "evil.example:4566", "127.0.0.1.evil.example:4566", "localhost", undefined]) assert.equal(isLoopbackHost(h, 4566), false, String(h));
  assert.ok(isLoopbackHost("localhost", 80));
});

test("own origin: http, loopback name, our port, nothing else", () => {
  assert.ok(isOwnOrigin("http://127.0.0.1:4566", 4566));
  assert.ok(isOwnOrigin("http://localhost:4566", 4566));
  for (const o of ["https://127.0.0.1:4566", "http://127.0.0.1:4567", "http://evil.example", "null", "", undefined, "http://127.0.0.1:4566/path"]) {
    assert.equal(isOwnOrigin(o, 4566), false, String(o));
  }
});

test("state-changing requests need origin, site and token", () => {
  const ok = { origin: "http://127.0.0.1:4566", "x-slipway-token": "t0ken", "sec-fetch-site": "same-origin" };
  assert.equal(checkSameOrigin(ok, 4566, "t0ken"), undefined);
  assert.equal(checkSameOrigin({ ...ok, "sec-fetch-site": "same-site" }, 4566, "t0ken")?.status, 403);
  assert.equal(checkSameOrigin({ ...ok, "x-slipway-token": "other" }, 4566, "t0ken")?.status, 403);
  assert.equal(checkSameOrigin({ ...ok, origin: undefined }, 4566, "t0ken")?.status, 403);
});

test("topic keys belong to one account and region", () => {
  assert.deepEqual(audienceOf("service:arn:aws:ecs:eu-west-1:111122223333:service/c/s"), { accountId: "111122223333", region: "eu-west-1" });
  assert.deepEqual(audienceOf("registry:111122223333:us-east-1:repo/name"), { accountId: "111122223333", region: "us-east-1" });
  assert.deepEqual(audienceOf("api:000000000000:us-east-1:ecs:UpdateService"), { accountId: "000000000000", region: "us-east-1" });
  assert.equal(audienceOf("weird"), undefined);
  assert.equal(audienceOf("logs:not-an-account:x"), undefined);
});

test("the tool behind a call, from its User-Agent", () => {
  assert.equal(toolOf("aws-cli/1.36.2 md/Botocore#1.35.2 ua/2.0 os/linux"), "aws-cli/1.36.2");
  assert.equal(toolOf("APN/1.0 HashiCorp/1.0 Terraform/1.9.8 (+https://www.terraform.io) terraform-provider-aws/5.0"), "Terraform/1.9.8");
  assert.equal(toolOf("aws-sdk-js/3.1164.0 ua/2.1 os/linux#6 lang/js md/nodejs#24 api/ecs#3 slipway-console"), "slipway-console");
  assert.equal(toolOf(undefined), undefined);
});
