import assert from "node:assert/strict";
import { test } from "node:test";
import { toRegistryImage } from "./image-ref.ts";

const D = `sha256:${"ab".repeat(32)}`;
const opts = { port: 4566, accountId: "000000000000", region: "us-east-1", hostsAccount: (a: string) => a === "000000000000" || a === "111111111111" };

test("Slipway registry references are pulled from 127.0.0.1:<port>", () => {
  assert.deepEqual(toRegistryImage("localhost:4566/web:v1", opts), {
    accountId: "000000000000", region: "us-east-1", name: "web", reference: "v1",
    registryHost: "127.0.0.1:4566", repository: "127.0.0.1:4566/web", pullRef: "127.0.0.1:4566/web:v1",
  });
  assert.equal(toRegistryImage("127.0.0.1:4566/team/web", opts)?.pullRef, "127.0.0.1:4566/team/web:latest");
  const ecr = toRegistryImage("111111111111.dkr.ecr.eu-west-1.amazonaws.com/team/web:latest", opts);
  assert.equal(ecr?.pullRef, "127.0.0.1:4566/team/web:latest");
  assert.deepEqual([ecr?.accountId, ecr?.region], ["111111111111", "eu-west-1"]);
  assert.equal(toRegistryImage(`000000000000.dkr.ecr.us-east-1.amazonaws.com/web@${D}`, opts)?.pullRef, `127.0.0.1:4566/web@${D}`);
  assert.equal(toRegistryImage(`localhost:4566/web:v1@${D}`, opts)?.reference, D);
});

test("other registries and accounts Slipway does not host are left alone", () => {
  assert.equal(toRegistryImage("busybox", opts), undefined);
  assert.equal(toRegistryImage("nginx:1.27", opts), undefined);
  assert.equal(toRegistryImage("docker.io/library/nginx:1.27", opts), undefined);
  assert.equal(toRegistryImage("localhost:5000/web:v1", opts), undefined);
  assert.equal(toRegistryImage("222222222222.dkr.ecr.us-east-1.amazonaws.com/web:v1", opts), undefined);
  assert.equal(toRegistryImage("localhost:4566/Web:v1", opts), undefined);
});
