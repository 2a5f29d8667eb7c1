/**
 * Real `docker push` / `docker pull` against Slipway's registry (Docker treats 127.0.0.0/8 as an
 * insecure, plain-HTTP registry). Skipped, with the reason, when the Docker engine is unreachable.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { dockerAvailable, ensureTestImages, TEST_IMAGES } from "../helpers/docker.ts";
import { startTestRegistry, type TestRegistry } from "./helpers.ts";

const run = promisify(execFile);
const skip = await dockerAvailable();
if (skip) console.log(`# SKIP: ${skip}`);

async function docker(...args: string[]): Promise<string> {
  return dockerWith({}, ...args);
}

async function dockerWith(env: Record<string, string>, ...args: string[]): Promise<string> {
  const { stdout } = await run("docker", args, { maxBuffer: 16 * 1024 * 1024, env: { ...process.env, DOCKER_BUILDKIT: "0", ...env } });
  return stdout;
}

describe("docker push / pull", { skip: skip ?? false }, () => {
  let r: TestRegistry;
  const images: string[] = [];
  let buildDir: string | undefined;

  before(async () => {
    await ensureTestImages();
    r = await startTestRegistry({ autoCreateRepositories: true });
  });
  after(async () => {
    for (const ref of images) await docker("rmi", "-f", ref).catch(() => {});
    if (buildDir) rmSync(buildDir, { recursive: true, force: true });
    await r?.close();
  });

  test("push slipway-test/web, rmi, pull by tag and by digest", async () => {
    const ref = `127.0.0.1:${r.slipway.port}/team/web:v1`;
    images.push(ref);
    await docker("tag", TEST_IMAGES.web, ref);
    const out = await docker("push", ref);
    const digest = /digest: (sha256:[a-f0-9]{64})/.exec(out)?.[1];
    assert.ok(digest, `no digest in push output:\n${out}`);
    const head = await fetch(`${r.url}/v2/team/web/manifests/v1`, { method: "HEAD" });
    assert.equal(head.headers.get("docker-content-digest"), digest);
    assert.equal(head.headers.get("content-type"), "application/vnd.docker.distribution.manifest.v2+json");

    await docker("rmi", ref);
    await docker("pull", ref);
    const byDigest = `127.0.0.1:${r.slipway.port}/team/web@${digest}`;
    images.push(byDigest);
    await docker("pull", byDigest);
    const ids = await docker("image", "inspect", "-f", "{{.Id}}", ref, byDigest, TEST_IMAGES.web);
    assert.equal(new Set(ids.trim().split("\n")).size, 1, "pulled images are the original");
    // Pushing again is a no-op for the layers (HEAD finds them).
    const again = await docker("push", ref);
    assert.match(again, /already exists|Layer already exists/i);
  });

  test("multi-layer image (3 COPY layers) round-trips", async () => {
    buildDir = mkdtempSync(join(tmpdir(), "slipway-registry-build-"));
    const lines = [`FROM ${TEST_IMAGES.busybox}`];
    for (let i = 1; i <= 3; i++) {
      writeFileSync(join(buildDir, `f${i}.txt`), `layer ${i} ${"x".repeat(1000 * i)}\n`);
      lines.push(`COPY f${i}.txt /data/f${i}.txt`);
    }
    writeFileSync(join(buildDir, "Dockerfile"), lines.join("\n") + "\n");
    const local = `slipway-test/registry-multi:${r.slipway.port}`;
    const ref = `127.0.0.1:${r.slipway.port}/multi/layers:latest`;
    images.push(local, ref);
    await docker("build", "--force-rm", "-t", local, buildDir);
    await docker("tag", local, ref);
    await docker("push", ref);
    const manifest = (await (await fetch(`${r.url}/v2/multi/layers/manifests/latest`)).json()) as { layers: unknown[] };
    const baseLayers = Number((await docker("image", "inspect", "-f", "{{len .RootFS.Layers}}", TEST_IMAGES.busybox)).trim());
    assert.equal(manifest.layers.length, baseLayers + 3, "busybox layers + 3 COPY layers");
    const expected = (await docker("image", "inspect", "-f", "{{.Id}}", local)).trim();
    await docker("rmi", ref, local);
    await docker("pull", ref);
    assert.equal((await docker("image", "inspect", "-f", "{{.Id}}", ref)).trim(), expected);
    const out = await docker("run", "--rm", ref, "cat", "/data/f3.txt");
    assert.match(out, /^layer 3 x+/);
  });

  test("strict mode: docker login with an issued token, then push", async () => {
    const strict = await startTestRegistry({ strict: true, autoCreateRepositories: true });
    const config = mkdtempSync(join(tmpdir(), "slipway-docker-config-"));
    const env = { DOCKER_CONFIG: config };
    const ref = `127.0.0.1:${strict.slipway.port}/strict/web:v1`;
    try {
      const host = `127.0.0.1:${strict.slipway.port}`;
      images.push(ref);
      await docker("tag", TEST_IMAGES.web, ref);
      await assert.rejects(dockerWith(env, "push", ref), /no basic auth credentials|unauthorized|authentication required/i);
      const password = strict.slipway.registry.auth.issueToken({ accountId: "210987654321", region: "eu-west-1", expiresAt: Date.now() + 3600_000 });
      await run("sh", ["-c", `printf %s "$PW" | docker login --username AWS --password-stdin ${host}`], { env: { ...process.env, ...env, PW: password } });
      await dockerWith(env, "push", ref);
      const repo = strict.slipway.registry.meta.getRepository({ accountId: "210987654321", region: "eu-west-1" }, "strict/web");
      assert.ok(repo, "the repository belongs to the token's account and region");
      assert.equal(strict.slipway.registry.meta.listImages({ accountId: "210987654321", region: "eu-west-1" }, "strict/web")[0]?.tags[0], "v1");
    } finally {
      rmSync(config, { recursive: true, force: true });
      await strict.close();
    }
  });
});
