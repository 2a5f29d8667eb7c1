/**
 * Nothing in the data directory is readable by other local users: the directory and every folder
 * in it 0700, every file 0600 (database, its WAL and SHM, registry blobs, uploads and token key,
 * the instance id), made that way from the start whatever the umask; a data directory left open
 * by an older Slipway is tightened when Slipway opens it. Driven through real clients: the ECS SDK
 * (database writes) and fetch against the registry (blobs and an upload in progress).
 */
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import * as ecs from "@aws-sdk/client-ecs";
import { systemClock } from "../../src/core/clock.ts";
import { FakeRuntime } from "../../src/runtime/fake-runtime.ts";
import { startSlipway } from "../../src/server/slipway.ts";
import { pushBlob } from "../registry/helpers.ts";

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Every entry under `root` (itself included) with its permission bits. */
function modes(root: string): Array<{ path: string; dir: boolean; mode: number }> {
  const out = [{ path: root, dir: true, mode: statSync(root).mode & 0o777 }];
  for (const e of readdirSync(root, { withFileTypes: true, recursive: true })) {
    const path = join(e.parentPath, e.name);
    out.push({ path, dir: e.isDirectory(), mode: statSync(path).mode & 0o777 });
  }
  return out;
}

function assertPrivate(root: string): void {
  const loose = modes(root).filter((m) => m.mode !== (m.dir ? 0o700 : 0o600));
  assert.deepEqual(loose.map((m) => `${m.path} ${m.mode.toString(8)}`), []);
}

async function exercise(dataDir: string): Promise<void> {
  const s = await startSlipway({ port: 0, dataDir, runtime: new FakeRuntime({ clock: systemClock }), registry: { autoCreateRepositories: true }, log: () => {} });
  const client = new ecs.ECSClient({ region: "us-east-1", endpoint: s.url, credentials: { accessKeyId: "test", secretAccessKey: "test" }, maxAttempts: 1 });
  try {
    await client.send(new ecs.CreateClusterCommand({ clusterName: "modes" }));
    await pushBlob(s.url, "app", "layer bytes");
    // An upload left in progress: its file lives in registry/uploads.
    const started = await fetch(`${s.url}/v2/app/blobs/uploads/`, { method: "POST" });
    assert.equal(started.status, 202);
    const patched = await fetch(`${s.url}${started.headers.get("location")}`, { method: "PATCH", body: "partial" });
    assert.equal(patched.status, 202);
    const names = modes(dataDir).map((m) => m.path.slice(dataDir.length));
    for (const expected of ["/slipway.db", "/slipway.db-wal", "/slipway.db-shm", "/instance-id", "/registry/token-key", "/registry/uploads"]) {
      assert.ok(names.includes(expected), `${expected} exists`);
    }
    assert.ok(names.some((n) => n.startsWith("/registry/blobs/sha256/")), "a blob exists");
    assertPrivate(dataDir);
  } finally {
    client.destroy();
    await s.close();
  }
}

test("a new data directory is owner-only, whatever the umask", async () => {
  const parent = mkdtempSync(join(tmpdir(), "slipway-modes-"));
  dirs.push(parent);
  const previous = process.umask(0o000);
  try {
    await exercise(join(parent, "data"));
  } finally {
    process.umask(previous);
  }
});

test("a data directory left open by an older Slipway is tightened when it is opened", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "slipway-modes-old-"));
  dirs.push(dataDir);
  mkdirSync(join(dataDir, "registry", "blobs"), { recursive: true });
  writeFileSync(join(dataDir, "instance-id"), "old\n");
  writeFileSync(join(dataDir, "registry", "blobs", "stray"), "x");
  for (const p of [dataDir, join(dataDir, "registry"), join(dataDir, "registry", "blobs")]) chmodSync(p, 0o755);
  for (const p of [join(dataDir, "instance-id"), join(dataDir, "registry", "blobs", "stray")]) chmodSync(p, 0o644);
  await exercise(dataDir);
});
