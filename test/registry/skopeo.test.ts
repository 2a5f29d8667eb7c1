/**
 * skopeo (containers/image) against Slipway's registry: copy from the Docker daemon, a
 * multi-architecture OCI index copied with --all from an `oci:` layout built by hand, inspect,
 * copy between repositories (cross-repository mount) and delete. Skipped, with the reason, when
 * skopeo or Docker is missing.
 */
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { dockerAvailable, ensureTestImages, TEST_IMAGES } from "../helpers/docker.ts";
import { startTestRegistry, type TestRegistry } from "./helpers.ts";

const run = promisify(execFile);
const noSkopeo = spawnSync("skopeo", ["--version"], { encoding: "utf8" }).status !== 0 ? "skopeo is not on PATH (apt-get install -y skopeo)" : undefined;
const noDocker = noSkopeo ? undefined : await dockerAvailable();
const skip = noSkopeo ?? noDocker;
if (skip) console.log(`# SKIP: ${skip}`);

const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX = "application/vnd.oci.image.index.v1+json";

async function skopeo(...args: string[]): Promise<string> {
  const { stdout } = await run("skopeo", ["--insecure-policy", ...args], { maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

function digestOf(data: Buffer): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

/** An OCI image layout with a two-platform index tagged `multi`. */
function buildOciLayout(dir: string): { indexDigest: string; childDigests: string[] } {
  mkdirSync(join(dir, "blobs", "sha256"), { recursive: true });
  const put = (data: Buffer): { digest: string; size: number } => {
    const digest = digestOf(data);
    writeFileSync(join(dir, "blobs", "sha256", digest.slice(7)), data);
    return { digest, size: data.length };
  };
  const manifests = [];
  for (const arch of ["amd64", "arm64"]) {
    const layerTar = Buffer.alloc(1024, 0);
    Buffer.from(`hello ${arch}`).copy(layerTar, 0);
    const layer = put(gzipSync(layerTar));
    const config = put(Buffer.from(JSON.stringify({ architecture: arch, os: "linux", rootfs: { type: "layers", diff_ids: [digestOf(layerTar)] }, config: {} })));
    const manifest = put(
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: OCI_MANIFEST,
          config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
          layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", ...layer }],
        }),
      ),
    );
    manifests.push({ mediaType: OCI_MANIFEST, ...manifest, platform: { architecture: arch, os: "linux" } });
  }
  const index = put(Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests })));
  writeFileSync(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  writeFileSync(
    join(dir, "index.json"),
    JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: OCI_INDEX, ...index, annotations: { "org.opencontainers.image.ref.name": "multi" } }] }),
  );
  return { indexDigest: index.digest, childDigests: manifests.map((m) => m.digest) };
}

describe("skopeo", { skip: skip ?? false }, () => {
  let r: TestRegistry;
  let host: string;
  let work: string;

  before(async () => {
    await ensureTestImages();
    r = await startTestRegistry({ autoCreateRepositories: true });
    host = r.host;
    work = mkdtempSync(join(tmpdir(), "slipway-skopeo-"));
  });
  after(async () => {
    rmSync(work, { recursive: true, force: true });
    await r?.close();
  });

  test("copy from docker-daemon, inspect", async () => {
    await skopeo("copy", "--dest-tls-verify=false", `docker-daemon:${TEST_IMAGES.web}`, `docker://${host}/skopeo/web:x`);
    const info = JSON.parse(await skopeo("inspect", "--tls-verify=false", `docker://${host}/skopeo/web:x`)) as { Digest: string; Layers: string[]; RepoTags: string[] };
    assert.ok(info.Layers.length > 0);
    assert.deepEqual(info.RepoTags, ["x"]);
    const head = await fetch(`${r.url}/v2/skopeo/web/manifests/x`, { method: "HEAD" });
    assert.equal(head.headers.get("docker-content-digest"), info.Digest);
  });

  test("multi-architecture OCI index with --all", async () => {
    const layout = join(work, "layout");
    const { indexDigest, childDigests } = buildOciLayout(layout);
    await skopeo("copy", "--all", "--preserve-digests", "--dest-tls-verify=false", `oci:${layout}:multi`, `docker://${host}/skopeo/multi:latest`);
    const rawText = await skopeo("inspect", "--raw", "--tls-verify=false", `docker://${host}/skopeo/multi:latest`);
    const raw = JSON.parse(rawText) as { mediaType: string; manifests: { digest: string }[] };
    assert.equal(raw.mediaType, OCI_INDEX);
    assert.deepEqual(raw.manifests.map((m) => m.digest), childDigests);
    // skopeo re-serializes the index it pushes (so its digest may differ from the layout's), but the
    // registry serves exactly the bytes it was given, under their sha256.
    const head = await fetch(`${r.url}/v2/skopeo/multi/manifests/latest`, { method: "HEAD" });
    assert.equal(head.headers.get("docker-content-digest"), digestOf(Buffer.from(rawText)));
    assert.equal(head.headers.get("content-type"), OCI_INDEX);
    assert.ok(indexDigest.startsWith("sha256:"));
    const arm = JSON.parse(await skopeo("inspect", "--override-arch", "arm64", "--tls-verify=false", `docker://${host}/skopeo/multi:latest`)) as { Architecture: string; Digest: string };
    assert.equal(arm.Architecture, "arm64");
    assert.equal(arm.Digest, head.headers.get("docker-content-digest"), "skopeo reports the digest of what the tag names");
    // Each platform image is there by digest, with its config.
    const child = await fetch(`${r.url}/v2/skopeo/multi/manifests/${childDigests[1]}`);
    assert.equal(child.status, 200);
    assert.equal(child.headers.get("content-type"), OCI_MANIFEST);
  });

  test("copy between repositories (mount), then delete", async () => {
    const registry = r.slipway.registry as { handle: typeof r.slipway.registry.handle };
    const handle = registry.handle;
    const seen: string[] = [];
    registry.handle = (req, res) => {
      res.on("finish", () => seen.push(`${req.method} ${req.url} ${res.statusCode}`));
      return handle(req, res);
    };
    try {
      await skopeo("copy", "--src-tls-verify=false", "--dest-tls-verify=false", `docker://${host}/skopeo/web:x`, `docker://${host}/skopeo/copy:y`);
    } finally {
      registry.handle = handle;
    }
    // Every layer is mounted from the source repository (skopeo uploads the small config itself).
    const layers = (JSON.parse(await skopeo("inspect", "--tls-verify=false", `docker://${host}/skopeo/web:x`)) as { Layers: string[] }).Layers;
    const mounted = seen.filter((l) => l.startsWith("POST /v2/skopeo/copy/blobs/uploads/?") && l.includes("mount=") && l.endsWith(" 201"));
    assert.equal(mounted.length, layers.length, seen.join("\n"));
    const a = JSON.parse(await skopeo("inspect", "--tls-verify=false", `docker://${host}/skopeo/web:x`)) as { Digest: string };
    const b = JSON.parse(await skopeo("inspect", "--tls-verify=false", `docker://${host}/skopeo/copy:y`)) as { Digest: string };
    assert.equal(a.Digest, b.Digest);

    await skopeo("delete", "--tls-verify=false", `docker://${host}/skopeo/copy:y`);
    const gone = await fetch(`${r.url}/v2/skopeo/copy/manifests/y`);
    assert.equal(gone.status, 404);
    assert.equal((await fetch(`${r.url}/v2/skopeo/web/manifests/x`)).status, 200);
  });
});
