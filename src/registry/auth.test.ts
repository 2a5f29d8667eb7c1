import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { seededIds } from "../core/ids.ts";
import { RegistryAuth, TOKEN_TTL_MS } from "./auth.ts";
import { RegistryError } from "./errcodes.ts";

const dir = mkdtempSync(join(tmpdir(), "slipway-registry-auth-"));
const keyFile = join(dir, "registry", "token-key");
const defaultScope = { accountId: "000000000000", region: "us-east-1" };
const make = (strict: boolean) => new RegistryAuth({ keyFile, ids: seededIds("auth"), strict, defaultScope });
const basic = (pw: string) => `Basic ${Buffer.from(`AWS:${pw}`).toString("base64")}`;

describe("RegistryAuth", () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("issue/verify round trip; expiry; tampering; key persisted (0600) across instances", () => {
    const a = make(true);
    const now = Date.UTC(2026, 0, 1);
    const claims = { accountId: "123456789012", region: "eu-west-1", expiresAt: now + TOKEN_TTL_MS };
    const token = a.issueToken(claims);
    assert.deepEqual(a.verifyToken(token, now), claims);
    assert.equal(a.verifyToken(token, now + TOKEN_TTL_MS), undefined, "expired at expiresAt");
    assert.equal(a.verifyToken(token.slice(0, -2) + "xx", now), undefined);
    const forged = Buffer.from(JSON.stringify({ a: "999999999999", r: "eu-west-1", e: now + 1e9 })).toString("base64url") + token.slice(token.indexOf("."));
    assert.equal(a.verifyToken(forged, now), undefined);
    assert.equal(readFileSync(keyFile).length, 32);
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    const b = make(true);
    assert.deepEqual(b.verifyToken(token, now), claims, "a restarted server accepts earlier tokens");
    const ecrToken = Buffer.from(a.issueAuthorizationToken(claims), "base64").toString();
    assert.ok(ecrToken.startsWith("AWS:"));
  });

  test("authenticate: strict requires a token, non-strict falls back to the default scope", () => {
    const now = Date.UTC(2026, 0, 1);
    const strict = make(true);
    const lax = make(false);
    const token = strict.issueToken({ accountId: "123456789012", region: "eu-west-1", expiresAt: now + 1000 });
    assert.deepEqual(strict.authenticate(basic(token), now), { accountId: "123456789012", region: "eu-west-1" });
    assert.throws(() => strict.authenticate(undefined, now), (e: RegistryError) => e.code === "UNAUTHORIZED" && e.status === 401);
    assert.throws(() => strict.authenticate(basic("garbage"), now), RegistryError);
    assert.deepEqual(lax.authenticate(undefined, now), defaultScope);
    assert.deepEqual(lax.authenticate(basic("any-token"), now), defaultScope);
    assert.deepEqual(lax.authenticate(basic(token), now), { accountId: "123456789012", region: "eu-west-1" });
  });
});
