import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isRegistryPath, matchRoute, NAME_RE } from "./routes.ts";

describe("registry routes", () => {
  test("names with slashes, most specific route first", () => {
    assert.deepEqual(matchRoute("/v2/"), { route: "base" });
    assert.deepEqual(matchRoute("/v2/_catalog"), { route: "catalog" });
    assert.deepEqual(matchRoute("/v2/a/b/c/tags/list"), { route: "tags", name: "a/b/c" });
    assert.deepEqual(matchRoute("/v2/a/b/manifests/v1"), { route: "manifest", name: "a/b", ref: "v1" });
    assert.deepEqual(matchRoute("/v2/a/blobs/uploads/"), { route: "blob-upload", name: "a" });
    assert.deepEqual(matchRoute("/v2/a/blobs/uploads"), { route: "blob-upload", name: "a" });
    assert.deepEqual(matchRoute("/v2/a/b/blobs/uploads/1234-abcd"), { route: "blob-upload-chunk", name: "a/b", ref: "1234-abcd" });
    assert.deepEqual(matchRoute("/v2/blobs/blobs/sha256:ab"), { route: "blob", name: "blobs", ref: "sha256:ab" });
    assert.deepEqual(matchRoute("/v2/x/referrers/sha256:ab"), { route: "referrers", name: "x", ref: "sha256:ab" });
    assert.equal(matchRoute("/v2/x/unknown"), undefined);
  });

  test("repository name grammar and the /v2 prefix", () => {
    for (const ok of ["a", "team/app", "a.b_c__d--e/f0"]) assert.ok(NAME_RE.test(ok), ok);
    for (const bad of ["A", "-a", "a/", "a//b", "a..b"]) assert.ok(!NAME_RE.test(bad), bad);
    assert.ok(isRegistryPath("/v2") && isRegistryPath("/v2/") && isRegistryPath("/v2/_catalog?n=1"));
    assert.ok(!isRegistryPath("/") && !isRegistryPath("/v2x") && !isRegistryPath("/_slipway/health"));
  });
});
