/**
 * The registry answers malformed queries, headers and manifests with distribution's 4xx errors,
 * never a 500, through plain HTTP (fetch) as docker and skopeo speak it: page sizes that are not
 * numbers or are huge, manifests nested to exhaust a recursive reader or with descriptor fields
 * of the wrong type, odd Range and Content-Range headers.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { pushBlob, sha256, startTestRegistry, type TestRegistry } from "../registry/helpers.ts";

const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const SCOPE = { accountId: "123456789012", region: "us-east-1" };
let r: TestRegistry;

before(async () => {
  r = await startTestRegistry();
  r.slipway.registry.meta.createRepository(SCOPE, "app");
});
after(() => r.close());

async function errorOf(res: Response): Promise<{ status: number; code: string | undefined }> {
  const body = (await res.json()) as { errors?: Array<{ code: string }> };
  return { status: res.status, code: body.errors?.[0]?.code };
}

test("a page size that is not a whole number up to 10,000 is PAGINATION_NUMBER_INVALID", async () => {
  for (const n of ["99999999999999999999", "abc", "-1", "1e3", "10001"]) {
    for (const path of ["/v2/_catalog", "/v2/app/tags/list"]) {
      assert.deepEqual(await errorOf(await fetch(`${r.url}${path}?n=${n}`)), { status: 400, code: "PAGINATION_NUMBER_INVALID" }, `${path}?n=${n}`);
    }
  }
  assert.equal((await fetch(`${r.url}/v2/_catalog?n=10000`)).status, 200);
  assert.equal((await fetch(`${r.url}/v2/app/tags/list?n=0`)).status, 200);
});

test("manifests nested too deep, or with descriptor fields of the wrong type, are MANIFEST_INVALID", async () => {
  const layer = await pushBlob(r.url, "app", "layer");
  const config = await pushBlob(r.url, "app", "{}");
  const good = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: config, size: 2 },
    layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", digest: layer, size: 5 }],
  };
  const put = (body: string) => fetch(`${r.url}/v2/app/manifests/t1`, { method: "PUT", headers: { "content-type": OCI_MANIFEST }, body });
  const deep = JSON.stringify(good).replace('"application/vnd.oci.image.layer.v1.tar"', `${"[".repeat(50_000)}${"]".repeat(50_000)}`);
  const cases = [
    deep,
    JSON.stringify({ ...good, layers: [{ ...good.layers[0], mediaType: [["x"]] }] }),
    JSON.stringify({ ...good, layers: [{ ...good.layers[0], urls: [1] }] }),
    JSON.stringify({ ...good, mediaType: 7 }),
    JSON.stringify({ ...good, annotations: { a: { b: 1 } } }),
  ];
  for (const body of cases) assert.deepEqual(await errorOf(await put(body)), { status: 400, code: "MANIFEST_INVALID" }, body.slice(0, 120));
  const ok = await put(JSON.stringify(good));
  assert.equal(ok.status, 201, await ok.text());
});

test("odd Range and Content-Range headers get 4xx or the whole blob, never a 500", async () => {
  const digest = await pushBlob(r.url, "app", "0123456789");
  for (const range of ["bytes=99999999999999999999-", "bytes=5-1", "bytes=-0", "bytes=1-2,3-4", "bytes=x-y", "items=0-1"]) {
    const res = await fetch(`${r.url}/v2/app/blobs/${digest}`, { headers: { range } });
    assert.ok([200, 206, 416].includes(res.status), `${range}: ${res.status}`);
    await res.arrayBuffer();
  }
  const started = await fetch(`${r.url}/v2/app/blobs/uploads/`, { method: "POST" });
  const location = started.headers.get("location")!;
  for (const contentRange of ["99999999999999999999-99999999999999999999", "5-3", "x", "0-"]) {
    const res = await fetch(`${r.url}${location}`, { method: "PATCH", headers: { "content-range": contentRange }, body: "abc" });
    assert.ok(res.status >= 400 && res.status < 500, `${contentRange}: ${res.status}`);
    await res.arrayBuffer();
  }
  const done = await fetch(`${r.url}${location}?digest=${sha256("abc")}`, { method: "PUT", body: "abc" });
  assert.equal(done.status, 201);
});
