import assert from "node:assert/strict";
import { Readable } from "node:stream";
import { afterEach, beforeEach, describe, test } from "node:test";
import type { RegistryError } from "./errcodes.ts";
import { deleteManifest, digestOf, pushManifest, resolveManifest } from "./images.ts";
import type { Registry } from "./registry.ts";
import { type RegistryFixture, registryFixture } from "./test-fixture.ts";

const scope = { accountId: "123456789012", region: "us-east-1" };
const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";

async function blob(r: Registry, repo: string, data: string): Promise<{ digest: string; size: number }> {
  const s = await r.uploads.start(scope, repo);
  return r.uploads.commit(scope, repo, s.uuid, digestOf(Buffer.from(data)), Readable.from([Buffer.from(data)]));
}

async function imageBody(r: Registry, repo: string, layer: string): Promise<Buffer> {
  const config = await blob(r, repo, `{"os":"linux","layer":"${layer}"}`);
  const l = await blob(r, repo, layer);
  return Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
      layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", ...l }],
    }),
  );
}

describe("images (manifest push/resolve/delete)", () => {
  let f: RegistryFixture;
  let r: Registry;
  beforeEach(() => {
    f = registryFixture();
    r = f.registry;
    r.meta.createRepository(scope, "app");
  });
  afterEach(() => f.close());

  test("push by tag stores exact bytes, size, refs; resolve by tag and digest; ECR-style listImages", async () => {
    const body = await imageBody(r, "app", "L1");
    const pushed = pushManifest(r.meta, scope, "app", { body, reference: "v1" });
    assert.equal(pushed.digest, digestOf(body));
    assert.deepEqual(resolveManifest(r.meta, scope, "app", "v1")?.body, body);
    assert.equal(resolveManifest(r.meta, scope, "app", pushed.digest)?.imageSize, 2);
    const [image] = r.meta.listImages(scope, "app");
    assert.deepEqual(image?.tags, ["v1"]);
    assert.equal(image?.mediaType, OCI_MANIFEST);
    assert.equal(r.meta.manifestRefs(scope, "app", pushed.digest).length, 2);
  });

  test("digest mismatch, missing blobs, unknown repository", async () => {
    const body = await imageBody(r, "app", "L2");
    assert.throws(() => pushManifest(r.meta, scope, "app", { body, reference: digestOf(Buffer.from("x")) }), (e: RegistryError) => e.code === "DIGEST_INVALID");
    r.meta.createRepository(scope, "empty");
    assert.throws(() => pushManifest(r.meta, scope, "empty", { body, reference: "v1" }), (e: RegistryError) => e.code === "MANIFEST_BLOB_UNKNOWN");
    assert.throws(() => pushManifest(r.meta, scope, "nope", { body, reference: "v1" }), (e: RegistryError) => e.code === "NAME_UNKNOWN");
  });

  test("IMMUTABLE repositories refuse to move a tag (same digest is fine)", async () => {
    r.meta.updateRepositoryDoc(scope, "app", { imageTagMutability: "IMMUTABLE" });
    const one = await imageBody(r, "app", "one");
    const two = await imageBody(r, "app", "two");
    pushManifest(r.meta, scope, "app", { body: one, reference: "v1" });
    pushManifest(r.meta, scope, "app", { body: one, reference: "v1" });
    assert.throws(() => pushManifest(r.meta, scope, "app", { body: two, reference: "v1" }), (e: RegistryError) => e.code === "TAG_INVALID");
  });

  test("index needs its children; delete by tag keeps the manifest, by digest removes it and its tags", async () => {
    const child = pushManifest(r.meta, scope, "app", { body: await imageBody(r, "app", "c"), reference: "child" });
    const index = Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests: [{ mediaType: OCI_MANIFEST, digest: child.digest, size: 1 }] }),
    );
    const idx = pushManifest(r.meta, scope, "app", { body: index, reference: "multi" });
    assert.equal(resolveManifest(r.meta, scope, "app", "multi")?.imageSize, 1);
    deleteManifest(r.meta, scope, "app", "multi");
    assert.ok(resolveManifest(r.meta, scope, "app", idx.digest));
    pushManifest(r.meta, scope, "app", { body: index, reference: "again" });
    deleteManifest(r.meta, scope, "app", idx.digest);
    assert.equal(resolveManifest(r.meta, scope, "app", "again"), undefined);
    assert.deepEqual(r.meta.listTags(scope, "app"), ["child"]);
    assert.throws(() => deleteManifest(r.meta, scope, "app", idx.digest), (e: RegistryError) => e.code === "MANIFEST_UNKNOWN");
  });
});
