/**
 * OCI distribution-spec flows over HTTP (fetch) against a real Slipway socket: uploads (monolithic,
 * chunked, out-of-order, digest mismatch, cancel, mount), manifests (missing blobs, malformed,
 * by digest), listings with Link pagination, Range reads, referrers, catalog, strict-mode auth.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { pushBlob, pushImage, putManifest, sha256, startTestRegistry, type TestRegistry } from "./helpers.ts";

const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
const SCOPE = { accountId: "123456789012", region: "us-east-1" };

async function errorCode(res: Response): Promise<string | undefined> {
  const body = (await res.json()) as { errors?: { code: string }[] };
  return body.errors?.[0]?.code;
}

describe("OCI distribution API", () => {
  let r: TestRegistry;
  let url: string;
  before(async () => {
    r = await startTestRegistry();
    url = r.url;
    for (const name of ["app", "team/app", "other", "tags", "refs", "ranges"]) r.slipway.registry.meta.createRepository(SCOPE, name);
  });
  after(() => r.close());

  test("GET /v2/ answers with the API version header", async () => {
    const res = await fetch(`${url}/v2/`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("docker-distribution-api-version"), "registry/2.0");
    assert.equal((await fetch(`${url}/v2`)).status, 200);
  });

  test("monolithic upload, then GET/HEAD the blob", async () => {
    const data = "hello registry";
    const digest = await pushBlob(url, "team/app", data);
    const head = await fetch(`${url}/v2/team/app/blobs/${digest}`, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get("content-length"), String(data.length));
    assert.equal(head.headers.get("docker-content-digest"), digest);
    assert.equal(head.headers.get("content-type"), "application/octet-stream");
    const get = await fetch(`${url}/v2/team/app/blobs/${digest}`);
    assert.equal(await get.text(), data);
    // Not linked into another repository.
    const other = await fetch(`${url}/v2/other/blobs/${digest}`);
    assert.equal(other.status, 404);
    assert.equal(await errorCode(other), "BLOB_UNKNOWN");
  });

  test("chunked upload: POST, PATCH with Content-Range, status, out-of-order 416, PUT with final chunk", async () => {
    const data = Buffer.from("0123456789abcdefghij");
    const start = await fetch(`${url}/v2/app/blobs/uploads/`, { method: "POST" });
    assert.equal(start.status, 202);
    const location = start.headers.get("location")!;
    assert.match(location, /^\/v2\/app\/blobs\/uploads\/[a-f0-9-]+$/);
    assert.equal(start.headers.get("range"), "0-0");
    assert.ok(start.headers.get("docker-upload-uuid"));

    const p1 = await fetch(url + location, { method: "PATCH", body: data.subarray(0, 8), headers: { "Content-Range": "0-7", "Content-Type": "application/octet-stream" } });
    assert.equal(p1.status, 202);
    assert.equal(p1.headers.get("range"), "0-7");
    const bad = await fetch(url + location, { method: "PATCH", body: data.subarray(12, 16), headers: { "Content-Range": "12-15" } });
    assert.equal(bad.status, 416);
    const p2 = await fetch(url + location, { method: "PATCH", body: data.subarray(8, 15) }); // streamed, no Content-Range
    assert.equal(p2.status, 202);
    assert.equal(p2.headers.get("range"), "0-14");
    const status = await fetch(url + location);
    assert.equal(status.status, 204);
    assert.equal(status.headers.get("range"), "0-14");

    const digest = sha256(data);
    const put = await fetch(`${url}${location}?digest=${digest}`, { method: "PUT", body: data.subarray(15), headers: { "Content-Range": "15-19" } });
    assert.equal(put.status, 201);
    assert.equal(put.headers.get("location"), `/v2/app/blobs/${digest}`);
    assert.equal(put.headers.get("docker-content-digest"), digest);
    assert.equal(Buffer.from(await (await fetch(`${url}/v2/app/blobs/${digest}`)).arrayBuffer()).toString(), data.toString());
    // The session is gone.
    assert.equal((await fetch(url + location)).status, 404);
  });

  test("digest mismatch → DIGEST_INVALID and nothing stored", async () => {
    const before = readdirSync(join(r.dataDir, "registry", "uploads"));
    const wrong = sha256("something else");
    const res = await fetch(`${url}/v2/app/blobs/uploads/?digest=${wrong}`, { method: "POST", body: "actual content" });
    assert.equal(res.status, 400);
    assert.equal(await errorCode(res), "DIGEST_INVALID");
    assert.equal((await fetch(`${url}/v2/app/blobs/${wrong}`, { method: "HEAD" })).status, 404);
    assert.equal((await fetch(`${url}/v2/app/blobs/${sha256("actual content")}`, { method: "HEAD" })).status, 404);
    assert.ok(!existsSync(r.slipway.registry.paths.blob(sha256("actual content"))));
    assert.deepEqual(readdirSync(join(r.dataDir, "registry", "uploads")), before);
  });

  test("cancel an upload", async () => {
    const start = await fetch(`${url}/v2/app/blobs/uploads/`, { method: "POST" });
    const location = start.headers.get("location")!;
    await fetch(url + location, { method: "PATCH", body: "partial" });
    const del = await fetch(url + location, { method: "DELETE" });
    assert.equal(del.status, 204);
    const again = await fetch(url + location);
    assert.equal(again.status, 404);
    assert.equal(await errorCode(again), "BLOB_UPLOAD_UNKNOWN");
  });

  test("cross-repository mount: 201 when the source has the blob, else a 202 session", async () => {
    const digest = await pushBlob(url, "app", "mount me");
    const mounted = await fetch(`${url}/v2/other/blobs/uploads/?mount=${digest}&from=app`, { method: "POST" });
    assert.equal(mounted.status, 201);
    assert.equal(mounted.headers.get("docker-content-digest"), digest);
    assert.equal((await fetch(`${url}/v2/other/blobs/${digest}`, { method: "HEAD" })).status, 200);
    const missing = sha256("not there");
    const fallback = await fetch(`${url}/v2/other/blobs/uploads/?mount=${missing}&from=app`, { method: "POST" });
    assert.equal(fallback.status, 202);
    assert.ok(fallback.headers.get("location"));
  });

  test("manifest referencing missing blobs → MANIFEST_BLOB_UNKNOWN; malformed → MANIFEST_INVALID; bad tag → TAG_INVALID", async () => {
    const manifest = {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: sha256("nope"), size: 4 },
      layers: [],
    };
    const missing = await putManifest(url, "app", "v1", manifest, OCI_MANIFEST);
    assert.equal(missing.status, 400);
    assert.equal(await errorCode(missing), "MANIFEST_BLOB_UNKNOWN");
    const malformed = await putManifest(url, "app", "v1", "{not json", OCI_MANIFEST);
    assert.equal(malformed.status, 400);
    assert.equal(await errorCode(malformed), "MANIFEST_INVALID");
    const badTag = await putManifest(url, "app", "-bad", manifest, OCI_MANIFEST);
    assert.equal(badTag.status, 400);
    assert.equal(await errorCode(badTag), "TAG_INVALID");
    const index = { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: OCI_MANIFEST, digest: sha256("x"), size: 1 }] };
    const missingChild = await putManifest(url, "app", "idx", index, OCI_INDEX);
    assert.equal(await errorCode(missingChild), "MANIFEST_BLOB_UNKNOWN");
  });

  test("manifest by tag and by digest, digest check, delete", async () => {
    const { digest, size } = await pushImage(url, "app", "v1");
    const byTag = await fetch(`${url}/v2/app/manifests/v1`, { headers: { Accept: OCI_MANIFEST } });
    assert.equal(byTag.status, 200);
    assert.equal(byTag.headers.get("content-type"), OCI_MANIFEST);
    assert.equal(byTag.headers.get("docker-content-digest"), digest);
    const bytes = Buffer.from(await byTag.arrayBuffer());
    assert.equal(bytes.length, size);
    assert.equal(sha256(bytes), digest);
    const head = await fetch(`${url}/v2/app/manifests/${digest}`, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get("content-length"), String(size));
    // PUT by digest: the body must hash to it.
    const wrongDigest = await putManifest(url, "app", sha256("other bytes"), bytes.toString(), OCI_MANIFEST);
    assert.equal(await errorCode(wrongDigest), "DIGEST_INVALID");
    const right = await putManifest(url, "app", digest, bytes.toString(), OCI_MANIFEST);
    assert.equal(right.status, 201);
    assert.equal(right.headers.get("location"), `/v2/app/manifests/${digest}`);
    // Delete by tag removes only the tag, by digest the manifest.
    await putManifest(url, "app", "v1-copy", bytes.toString(), OCI_MANIFEST);
    assert.equal((await fetch(`${url}/v2/app/manifests/v1-copy`, { method: "DELETE" })).status, 202);
    assert.equal((await fetch(`${url}/v2/app/manifests/v1-copy`)).status, 404);
    assert.equal((await fetch(`${url}/v2/app/manifests/v1`)).status, 200);
    assert.equal((await fetch(`${url}/v2/app/manifests/${digest}`, { method: "DELETE" })).status, 202);
    const gone = await fetch(`${url}/v2/app/manifests/v1`);
    assert.equal(gone.status, 404);
    assert.equal(await errorCode(gone), "MANIFEST_UNKNOWN");
  });

  test("unknown repository → NAME_UNKNOWN; invalid name → NAME_INVALID", async () => {
    const res = await fetch(`${url}/v2/nope/tags/list`);
    assert.equal(res.status, 404);
    assert.equal(await errorCode(res), "NAME_UNKNOWN");
    const push = await fetch(`${url}/v2/nope/blobs/uploads/`, { method: "POST" });
    assert.equal(push.status, 404);
    assert.equal(await errorCode(push), "NAME_UNKNOWN");
    const invalid = await fetch(`${url}/v2/UPPER/tags/list`);
    assert.equal(invalid.status, 400);
    assert.equal(await errorCode(invalid), "NAME_INVALID");
  });

  test("tags/list pagination with Link", async () => {
    const { digest } = await pushImage(url, "tags", "a");
    const body = Buffer.from(await (await fetch(`${url}/v2/tags/manifests/${digest}`)).arrayBuffer()).toString();
    for (const t of ["b", "c", "d", "e"]) assert.equal((await putManifest(url, "tags", t, body, OCI_MANIFEST)).status, 201);
    const all = await fetch(`${url}/v2/tags/tags/list`);
    assert.deepEqual(await all.json(), { name: "tags", tags: ["a", "b", "c", "d", "e"] });
    const p1 = await fetch(`${url}/v2/tags/tags/list?n=2`);
    assert.deepEqual(((await p1.json()) as { tags: string[] }).tags, ["a", "b"]);
    const link = p1.headers.get("link")!;
    assert.equal(link, '</v2/tags/tags/list?n=2&last=b>; rel="next"');
    const next = link.slice(1, link.indexOf(">"));
    const p2 = await fetch(url + next);
    assert.deepEqual(((await p2.json()) as { tags: string[] }).tags, ["c", "d"]);
    const p3 = await fetch(`${url}/v2/tags/tags/list?n=2&last=d`);
    assert.deepEqual(((await p3.json()) as { tags: string[] }).tags, ["e"]);
    assert.equal(p3.headers.get("link"), null);
  });

  test("catalog with pagination", async () => {
    const all = (await (await fetch(`${url}/v2/_catalog`)).json()) as { repositories: string[] };
    assert.deepEqual(all.repositories, ["app", "other", "ranges", "refs", "tags", "team/app"]);
    const p1 = await fetch(`${url}/v2/_catalog?n=4`);
    assert.deepEqual(((await p1.json()) as { repositories: string[] }).repositories, ["app", "other", "ranges", "refs"]);
    assert.equal(p1.headers.get("link"), '</v2/_catalog?n=4&last=refs>; rel="next"');
  });

  test("Range GET → 206 with Content-Range; unsatisfiable → 416", async () => {
    const data = "abcdefghijklmnopqrstuvwxyz";
    const digest = await pushBlob(url, "ranges", data);
    const part = await fetch(`${url}/v2/ranges/blobs/${digest}`, { headers: { Range: "bytes=2-5" } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get("content-range"), `bytes 2-5/${data.length}`);
    assert.equal(part.headers.get("content-length"), "4");
    assert.equal(await part.text(), "cdef");
    const tail = await fetch(`${url}/v2/ranges/blobs/${digest}`, { headers: { Range: "bytes=-3" } });
    assert.equal(await tail.text(), "xyz");
    const open = await fetch(`${url}/v2/ranges/blobs/${digest}`, { headers: { Range: "bytes=20-" } });
    assert.equal(await open.text(), "uvwxyz");
    const bad = await fetch(`${url}/v2/ranges/blobs/${digest}`, { headers: { Range: "bytes=100-200" } });
    assert.equal(bad.status, 416);
    await bad.arrayBuffer();
  });

  test("referrers API with artifactType filter", async () => {
    const subject = await pushImage(url, "refs", "base");
    const subjectDesc = { mediaType: OCI_MANIFEST, digest: subject.digest, size: subject.size };
    const sig = await pushImage(url, "refs", "sig", { layer: "signature", subject: subjectDesc, artifactType: "application/vnd.example.signature", annotations: { "org.example": "yes" } });
    const sbom = await pushImage(url, "refs", "sbom", { layer: "sbom", subject: subjectDesc, artifactType: "application/spdx+json" });
    const all = await fetch(`${url}/v2/refs/referrers/${subject.digest}`);
    assert.equal(all.status, 200);
    assert.equal(all.headers.get("content-type"), OCI_INDEX);
    const index = (await all.json()) as { manifests: { digest: string; artifactType: string; annotations?: Record<string, string> }[] };
    assert.deepEqual(index.manifests.map((m) => m.digest).sort(), [sig.digest, sbom.digest].sort());
    assert.deepEqual(index.manifests.find((m) => m.digest === sig.digest)?.annotations, { "org.example": "yes" });
    const filtered = await fetch(`${url}/v2/refs/referrers/${subject.digest}?artifactType=application/spdx%2Bjson`);
    assert.equal(filtered.headers.get("oci-filters-applied"), "artifactType");
    const f = (await filtered.json()) as { manifests: { digest: string }[] };
    assert.deepEqual(f.manifests.map((m) => m.digest), [sbom.digest]);
    const none = (await (await fetch(`${url}/v2/refs/referrers/${sha256("nothing")}`)).json()) as { manifests: unknown[] };
    assert.deepEqual(none.manifests, []);
  });

  test("OCI index of two platform images", async () => {
    const amd = await pushImage(url, "app", "amd64", { layer: "amd64 layer" });
    const arm = await pushImage(url, "app", "arm64", { layer: "arm64 layer" });
    const index = {
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: [
        { mediaType: OCI_MANIFEST, digest: amd.digest, size: amd.size, platform: { architecture: "amd64", os: "linux" } },
        { mediaType: OCI_MANIFEST, digest: arm.digest, size: arm.size, platform: { architecture: "arm64", os: "linux" } },
      ],
    };
    const res = await putManifest(url, "app", "multi", index, OCI_INDEX);
    assert.equal(res.status, 201);
    const got = await fetch(`${url}/v2/app/manifests/multi`, { headers: { Accept: "application/vnd.docker.distribution.manifest.v2+json" } });
    assert.equal(got.headers.get("content-type"), OCI_INDEX);
    const images = r.slipway.registry.meta.listImages(SCOPE, "app");
    const multi = images.find((i) => i.tags.includes("multi"))!;
    assert.equal(multi.imageSize, "amd64 layer".length + "arm64 layer".length);
  });

  test("blob DELETE unlinks it from the repository", async () => {
    const digest = await pushBlob(url, "other", "delete me");
    assert.equal((await fetch(`${url}/v2/other/blobs/${digest}`, { method: "DELETE" })).status, 202);
    assert.equal((await fetch(`${url}/v2/other/blobs/${digest}`, { method: "HEAD" })).status, 404);
  });
});

describe("OCI distribution API · strict auth and auto-create", () => {
  let r: TestRegistry;
  before(async () => {
    r = await startTestRegistry({ strict: true, autoCreateRepositories: true });
  });
  after(() => r.close());

  test("401 challenge without a token; a token scopes requests to its account and region", async () => {
    const res = await fetch(`${r.url}/v2/`);
    assert.equal(res.status, 401);
    assert.equal(res.headers.get("www-authenticate"), 'Basic realm="Slipway"');
    assert.equal(await errorCode(res), "UNAUTHORIZED");
    const bogus = Buffer.from("AWS:not-a-token").toString("base64");
    assert.equal((await fetch(`${r.url}/v2/`, { headers: { Authorization: `Basic ${bogus}` } })).status, 401);

    const auth = r.slipway.registry.auth;
    const now = Date.now();
    const expired = auth.issueAuthorizationToken({ accountId: "111111111111", region: "eu-west-1", expiresAt: now - 1 });
    assert.equal((await fetch(`${r.url}/v2/`, { headers: { Authorization: `Basic ${expired}` } })).status, 401);
    const token = auth.issueAuthorizationToken({ accountId: "111111111111", region: "eu-west-1", expiresAt: now + 3600_000 });
    const headers = { Authorization: `Basic ${token}` };
    assert.equal((await fetch(`${r.url}/v2/`, { headers })).status, 200);
    await pushBlob(r.url, "scoped/repo", "scoped", headers);
    assert.ok(r.slipway.registry.meta.getRepository({ accountId: "111111111111", region: "eu-west-1" }, "scoped/repo"));
    assert.equal(r.slipway.registry.meta.getRepository({ accountId: "123456789012", region: "us-east-1" }, "scoped/repo"), undefined);
    const catalog = (await (await fetch(`${r.url}/v2/_catalog`, { headers })).json()) as { repositories: string[] };
    assert.deepEqual(catalog.repositories, ["scoped/repo"]);
  });
});
