import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ManualClock } from "../core/clock.ts";
import { FakeRuntime } from "../runtime/fake-runtime.ts";
import { startSlipway } from "../server/slipway.ts";
import { OidcIssuer } from "./issuer.ts";

test("open touches nothing; ready() makes the key (mode 0600), and a second open reads the same key", async () => {
  const dir = mkdtempSync(join(tmpdir(), "slipway-oidc-issuer-"));
  try {
    const file = join(dir, "keys", "oidc-signing-key.json");
    const issuer = OidcIssuer.open("https://token.actions.githubusercontent.com/", file);
    assert.equal(issuer.url, "https://token.actions.githubusercontent.com");
    await issuer.settled();
    assert.equal(existsSync(join(dir, "keys")), false, "no key is made before something needs it");
    await issuer.ready();
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const again = OidcIssuer.open("https://token.actions.githubusercontent.com", file);
    assert.deepEqual(await again.jwks(), await issuer.jwks());
    assert.deepEqual(readdirSync(join(dir, "keys")), ["oidc-signing-key.json"], "no temporary file is left");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("two issuers making the key at once (slipway up and slipway oidc-token) end up signing with the same one", async () => {
  const dir = mkdtempSync(join(tmpdir(), "slipway-oidc-issuer-"));
  try {
    const file = join(dir, "oidc-signing-key.json");
    const issuers = Array.from({ length: 4 }, () => OidcIssuer.open("https://issuer.example", file));
    const sets = await Promise.all(issuers.map((i) => i.jwks()));
    for (const s of sets.slice(1)) assert.deepEqual(s, sets[0]);
    const fromFile = await OidcIssuer.open("https://issuer.example", file).jwks();
    assert.deepEqual(fromFile, sets[0]);
    assert.deepEqual(readdirSync(dir), ["oidc-signing-key.json"]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a key file that is not JSON is an error naming it, and is not replaced", async () => {
  const dir = mkdtempSync(join(tmpdir(), "slipway-oidc-issuer-"));
  try {
    const file = join(dir, "oidc-signing-key.json");
    writeFileSync(file, "{truncated", { mode: 0o600 });
    const issuer = OidcIssuer.open("https://issuer.example", file);
    await assert.rejects(issuer.jwks(), (err: Error) => err.message.includes(file) && err.message.includes("not a JSON Web Key"));
    assert.equal(readFileSync(file, "utf8"), "{truncated");
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

test("a Slipway that never used OIDC makes no key; closing one whose key is being made waits for it, so removing the directory afterwards leaves nothing behind", async () => {
  const clock = new ManualClock(Date.now());
  const unused = mkdtempSync(join(tmpdir(), "slipway-oidc-close-"));
  const s0 = await startSlipway({ port: 0, dataDir: unused, runtime: new FakeRuntime({ clock }), clock, log: () => {} });
  await s0.close();
  assert.equal(existsSync(join(unused, "oidc-signing-key.json")), false);
  rmSync(unused, { recursive: true, force: true });

  const dir = mkdtempSync(join(tmpdir(), "slipway-oidc-close-"));
  const s = await startSlipway({ port: 0, dataDir: dir, runtime: new FakeRuntime({ clock }), clock, log: () => {} });
  const jwks = s.oidc.jwks(); // starts making the key; not awaited before close
  await s.close();
  assert.ok(existsSync(join(dir, "oidc-signing-key.json")), "the key was written before close resolved");
  rmSync(dir, { recursive: true, force: true });
  assert.equal((await jwks).keys.length, 1);
  assert.equal(existsSync(dir), false);
});
