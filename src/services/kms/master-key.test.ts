import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { openBlob, readHeader, sealBlob } from "./ciphertext.ts";
import { MasterKey } from "./master-key.ts";

test("the master key file is created 0600, reloaded, and narrowed to 0600 when it was wider", () => {
  const dir = mkdtempSync(join(tmpdir(), "slipway-mk-"));
  try {
    const path = join(dir, "kms-master.key");
    const logs: string[] = [];
    const a = MasterKey.fromFile(path, (m) => logs.push(m));
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const wrapped = a.wrap(Buffer.from("material-material-material-12345"), "label");
    const b = MasterKey.fromFile(path, (m) => logs.push(m));
    assert.equal(b.unwrap(wrapped, "label").toString(), "material-material-material-12345");
    assert.throws(() => b.unwrap(wrapped, "other label"), /cannot be unwrapped/);
    chmodSync(path, 0o644);
    MasterKey.fromFile(path, (m) => logs.push(m));
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.match(logs.join("\n"), /narrowed to 0600/);
    assert.throws(() => MasterKey.ephemeral().unwrap(wrapped, "label"), /does not match/);
    writeFileSync(join(dir, "short"), "abc");
    assert.throws(() => MasterKey.fromFile(join(dir, "short"), () => {}), /not a Slipway master key/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("ciphertext blobs name their key and material, and are bound to the context", () => {
  const material = Buffer.alloc(32, 7);
  const header = { keyId: "11111111-2222-4333-8444-555555555555", materialId: "ab".repeat(32) };
  const blob = sealBlob(header, material, Buffer.from("hi"), { b: "2", a: "1" });
  assert.deepEqual({ ...readHeader(blob), headerBytes: undefined }, { ...header, headerBytes: undefined });
  assert.equal(openBlob(blob, material, { a: "1", b: "2" })?.toString(), "hi");
  assert.equal(openBlob(blob, material, { a: "1" }), undefined);
  assert.equal(openBlob(blob, Buffer.alloc(32, 8), { a: "1", b: "2" }), undefined);
  assert.equal(readHeader(Buffer.from("garbage")), undefined);
});
