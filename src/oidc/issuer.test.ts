import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ManualClock } from "../core/clock.ts";
import { FakeRuntime } from "../runtime/fake-runtime.ts";
import { startSlipway } from "../server/slipway.ts";
import { OidcIssuer } from "./issuer.ts";

test("open returns before the key exists; ready() resolves once it is made (mode 0600), and a second open reads the same key", async () => {
  const dir = mkdtempSync(join(tmpdir(), "slipway-oidc-issuer-"));
  try {
    const file = join(dir, "keys", "oidc-signing-key.json");
    const issuer = OidcIssuer.open("https://token.actions.githubusercontent.com/", file);
    assert.equal(issuer.url, "https://token.actions.githubusercontent.com");
    await issuer.ready();
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const again = OidcIssuer.open("https://token.actions.githubusercontent.com", file);
    assert.deepEqual(await again.jwks(), await issuer.jwks());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a key that cannot be made rejects ready(), mint and jwks, with no unhandled rejection", async () => {
  const dir = mkdtempSync(join(tmpdir(), "slipway-oidc-issuer-"));
  try {
    // A file where the key's folder should be: mkdir fails once the key is generated.
    const issuer = OidcIssuer.open("https://issuer.example", join(dir, "oidc-signing-key.json", "x", "key.json"));
    writeFileSync(join(dir, "oidc-signing-key.json"), "not a folder");
    await assert.rejects(issuer.ready());
    await assert.rejects(issuer.jwks());
    await assert.rejects(issuer.mint({ claims: { sub: "x" }, now: Date.now() }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("closing a Slipway on a fresh data dir waits for the signing key, so removing the directory afterwards leaves nothing behind", async () => {
  const dir = mkdtempSync(join(tmpdir(), "slipway-oidc-close-"));
  const clock = new ManualClock(Date.now());
  const s = await startSlipway({ port: 0, dataDir: dir, runtime: new FakeRuntime({ clock }), clock, log: () => {} });
  await s.close();
  assert.ok(existsSync(join(dir, "oidc-signing-key.json")), "the key was written before close resolved");
  rmSync(dir, { recursive: true, force: true });
  await s.oidc.ready();
  assert.equal(existsSync(dir), false);
});
