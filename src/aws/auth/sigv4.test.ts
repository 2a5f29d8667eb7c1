import assert from "node:assert/strict";
import { test } from "node:test";
import { Sha256 } from "@smithy/core/checksum";
import { SignatureV4 } from "@smithy/signature-v4";
import type { WireRequest } from "../protocol/index.ts";
import { verifySigV4 } from "./sigv4.ts";

const secret = { secretAccessKey: "s3cr3t", accountId: "111122223333" };
const lookup = (id: string) => (id === "AKID" ? secret : undefined);
const signingDate = new Date(Date.UTC(2025, 0, 2, 3, 4, 5));
/** The verifier's clock: a minute after signing. */
const now = signingDate.getTime() + 60_000;

async function signed(secretAccessKey: string, body: string): Promise<WireRequest> {
  const signer = new SignatureV4({ credentials: { accessKeyId: "AKID", secretAccessKey }, region: "us-east-1", service: "ec2", sha256: Sha256 });
  const out = await signer.sign(
    { method: "POST", protocol: "http:", hostname: "localhost", path: "/", query: {}, headers: { host: "localhost:4566", "content-type": "application/x-www-form-urlencoded" }, body },
    { signingDate },
  );
  return { method: "POST", path: "/", query: new URLSearchParams(), headers: out.headers, body: new Uint8Array(Buffer.from(body)), form: undefined };
}

test("header-signed request: correct secret passes, wrong secret and unknown key fail", async () => {
  const ok = await verifySigV4(await signed("s3cr3t", "Action=DescribeVpcs"), lookup, now);
  assert.deepEqual(ok.ok && { account: ok.accountId, region: ok.scope.region }, { account: "111122223333", region: "us-east-1" });
  assert.deepEqual(await verifySigV4(await signed("wrong", "Action=DescribeVpcs"), lookup, now), { ok: false, failure: "mismatch" });
  assert.deepEqual(await verifySigV4(await signed("s3cr3t", "Action=X"), () => undefined, now), { ok: false, failure: "unknown-key" });
});

test("presigned query: verified by re-presigning", async () => {
  const signer = new SignatureV4({ credentials: { accessKeyId: "AKID", secretAccessKey: "s3cr3t" }, region: "us-east-1", service: "ec2", sha256: Sha256 });
  const out = await signer.presign(
    { method: "GET", protocol: "http:", hostname: "localhost", path: "/", query: { Action: "DescribeVpcs", Version: "2016-11-15" }, headers: { host: "localhost:4566" } },
    { signingDate, expiresIn: 300 },
  );
  const query = new URLSearchParams();
  for (const [k, v] of Object.entries(out.query ?? {})) query.append(k, String(v));
  const wire: WireRequest = { method: "GET", path: "/", query, headers: { host: "localhost:4566" }, body: new Uint8Array(), form: undefined };
  assert.equal((await verifySigV4(wire, lookup, now)).ok, true);
  query.set("Action", "DeleteVpc");
  assert.equal((await verifySigV4(wire, lookup, now)).ok, false);
});

test("no signature at all → missing", async () => {
  const wire: WireRequest = { method: "POST", path: "/", query: new URLSearchParams(), headers: {}, body: new Uint8Array(), form: undefined };
  assert.deepEqual(await verifySigV4(wire, lookup, now), { ok: false, failure: "missing" });
});
