import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { Readable } from "node:stream";
import { afterEach, beforeEach, describe, test } from "node:test";
import type { Registry } from "./registry.ts";
import { UPLOAD_IDLE_MS } from "./gc.ts";
import { type RegistryFixture, registryFixture } from "./test-fixture.ts";

const scope = { accountId: "123456789012", region: "us-east-1" };
const digest = (s: string) => `sha256:${createHash("sha256").update(s).digest("hex")}`;

async function pushBlob(r: Registry, repo: string, data: string): Promise<string> {
  const s = await r.uploads.start(scope, repo);
  return (await r.uploads.commit(scope, repo, s.uuid, digest(data), Readable.from([Buffer.from(data)]))).digest;
}

function pushManifest(r: Registry, repo: string, tag: string, config: string, layers: string[]): string {
  const body = Buffer.from(JSON.stringify({ config, layers }));
  const d = `sha256:${createHash("sha256").update(body).digest("hex")}`;
  r.meta.putManifest(
    scope,
    repo,
    {
      digest: d,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      size: body.length,
      body,
      configDigest: config,
      subjectDigest: null,
      artifactType: null,
      imageSize: 0,
      refs: [{ kind: "config", digest: config }, ...layers.map((l) => ({ kind: "layer" as const, digest: l }))],
    },
    tag,
  );
  return d;
}

describe("collectGarbage", () => {
  let f: RegistryFixture;
  let r: Registry;
  beforeEach(() => {
    f = registryFixture();
    r = f.registry;
    r.meta.createRepository(scope, "app");
    r.meta.createRepository(scope, "gone");
  });
  afterEach(() => f.close());

  test("keeps referenced blobs, deletes unreferenced ones (after the grace period)", async () => {
    const config = await pushBlob(r, "app", "config");
    const layer = await pushBlob(r, "app", "layer");
    const loose = await pushBlob(r, "app", "loose");
    pushManifest(r, "app", "v1", config, [layer]);

    const early = await r.collectGarbage();
    assert.deepEqual(early.deletedBlobs, [], "a fresh blob is kept during the grace period (a push in progress)");
    f.clock.advance(2 * 3600_000);
    const result = await r.collectGarbage();
    assert.deepEqual(result.deletedBlobs, [loose]);
    assert.ok(existsSync(r.paths.blob(config)) && existsSync(r.paths.blob(layer)));
    assert.ok(!existsSync(r.paths.blob(loose)));
    assert.equal(r.meta.linkedBlob(scope, "app", loose), undefined);
  });

  test("a blob referenced from another repository survives; blobs of a deleted repository go", async () => {
    const shared = await pushBlob(r, "app", "shared");
    await pushBlob(r, "gone", "shared");
    const own = await pushBlob(r, "gone", "own");
    pushManifest(r, "app", "v1", shared, []);
    pushManifest(r, "gone", "v1", shared, [own]);
    assert.equal(r.meta.deleteRepository(scope, "gone"), "not-empty");
    assert.equal(r.meta.deleteRepository(scope, "gone", { force: true }), "deleted");
    const result = await r.collectGarbage({ graceMs: 0 });
    assert.deepEqual(result.deletedBlobs, [own]);
    assert.ok(existsSync(r.paths.blob(shared)));
  });

  test("never deletes a blob whose commit is in flight; sweeps files without metadata", async () => {
    const orphan = digest("orphan");
    mkdirSync(dirname(r.paths.blob(orphan)), { recursive: true });
    writeFileSync(r.paths.blob(orphan), "orphan");
    // A commit that is between rename and metadata is pinned: run GC inside its link step.
    const s = await r.uploads.start(scope, "app");
    await r.uploads.append(scope, "app", s.uuid, Readable.from([Buffer.from("inflight")]));
    const blobs = r.blobs as unknown as { commit: Registry["blobs"]["commit"] };
    const commit = blobs.commit.bind(r.blobs);
    let during: Promise<{ deletedBlobs: string[] }> | undefined;
    blobs.commit = (file, d, link) =>
      commit(file, d, () => {
        assert.ok(r.blobs.isPinned(d));
        during = r.collectGarbage({ graceMs: 0 });
        return link();
      });
    await r.uploads.commit(scope, "app", s.uuid, digest("inflight"));
    const result = await during!;
    assert.ok(!result.deletedBlobs.includes(digest("inflight")));
    assert.ok(existsSync(r.paths.blob(digest("inflight"))));
    assert.ok(r.meta.linkedBlob(scope, "app", digest("inflight")));
    assert.ok(result.deletedBlobs.includes(orphan));
    assert.ok(!existsSync(r.paths.blob(orphan)));
  });

  test("stale and orphaned upload sessions are removed, live ones kept", async () => {
    const stale = await r.uploads.start(scope, "app");
    f.clock.advance(25 * 3600_000);
    const live = await r.uploads.start(scope, "app");
    const orphan = await r.uploads.start(scope, "gone");
    r.meta.deleteRepository(scope, "gone");
    const result = await r.collectGarbage();
    assert.deepEqual(result.deletedUploads.sort(), [stale.uuid, orphan.uuid].sort());
    assert.ok(existsSync(r.paths.upload(live.uuid)));
    assert.ok(!existsSync(r.paths.upload(stale.uuid)));
  });

  test("an upload idle for 30 minutes is abandoned; one that keeps receiving data is not, however old", async () => {
    const idle = await r.uploads.start(scope, "app");
    const busy = await r.uploads.start(scope, "app");
    for (let i = 0; i < 4; i++) {
      f.clock.advance(20 * 60_000);
      await r.uploads.append(scope, "app", busy.uuid, Readable.from([Buffer.from(`chunk ${i}`)]));
    }
    // 80 minutes after both started: busy received data 20 minutes ago, idle never did.
    assert.deepEqual(await r.purgeUploads(), [idle.uuid]);
    assert.ok(!existsSync(r.paths.upload(idle.uuid)));
    assert.equal((await r.uploads.status(scope, "app", busy.uuid)).size, 28);
    f.clock.advance(UPLOAD_IDLE_MS + 1);
    assert.deepEqual(await r.purgeUploads(), [busy.uuid]);
  });
});
