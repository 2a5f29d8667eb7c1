/** A Slipway (fake container runtime) serving the registry on 127.0.0.1:<random>, plus push helpers. */
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { systemClock } from "../../src/core/clock.ts";
import { FakeRuntime } from "../../src/runtime/fake-runtime.ts";
import { type Slipway, startSlipway } from "../../src/server/slipway.ts";

export interface TestRegistry {
  slipway: Slipway;
  url: string;
  /** `127.0.0.1:<port>` for docker/skopeo references. */
  host: string;
  dataDir: string;
  close(): Promise<void>;
}

export async function startTestRegistry(registry: { strict?: boolean; autoCreateRepositories?: boolean } = {}): Promise<TestRegistry> {
  const dataDir = mkdtempSync(join(tmpdir(), "slipway-registry-"));
  const slipway = await startSlipway({
    port: 0,
    dataDir,
    runtime: new FakeRuntime({ clock: systemClock }),
    accountId: "123456789012",
    region: "us-east-1",
    registry,
    log: () => {},
  });
  return {
    slipway,
    url: slipway.url,
    host: `127.0.0.1:${slipway.port}`,
    dataDir,
    close: async () => {
      await slipway.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export function sha256(data: Buffer | string): string {
  return `sha256:${createHash("sha256").update(data).digest("hex")}`;
}

/** Monolithic blob push (POST ?digest=). */
export async function pushBlob(url: string, repo: string, data: Buffer | string, headers: Record<string, string> = {}): Promise<string> {
  const digest = sha256(data);
  const res = await fetch(`${url}/v2/${repo}/blobs/uploads/?digest=${digest}`, {
    method: "POST",
    body: typeof data === "string" ? data : new Uint8Array(data),
    headers: { "Content-Type": "application/octet-stream", ...headers },
  });
  if (res.status !== 201) throw new Error(`blob push: ${res.status} ${await res.text()}`);
  return digest;
}

export async function putManifest(url: string, repo: string, ref: string, manifest: unknown, mediaType: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}/v2/${repo}/manifests/${ref}`, {
    method: "PUT",
    body: typeof manifest === "string" ? manifest : JSON.stringify(manifest),
    headers: { "Content-Type": mediaType, ...headers },
  });
}

/** Pushes a config + one layer and an OCI image manifest; returns its digest and bytes. */
export async function pushImage(url: string, repo: string, tag: string, opts: { layer?: string; subject?: { digest: string; size: number; mediaType: string }; artifactType?: string; annotations?: Record<string, string> } = {}): Promise<{ digest: string; size: number }> {
  const config = JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [] } });
  const layer = opts.layer ?? `layer of ${repo}:${tag}`;
  const configDigest = await pushBlob(url, repo, config);
  const layerDigest = await pushBlob(url, repo, layer);
  const manifest = {
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    ...(opts.artifactType ? { artifactType: opts.artifactType } : {}),
    config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: configDigest, size: Buffer.byteLength(config) },
    layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: layerDigest, size: Buffer.byteLength(layer) }],
    ...(opts.subject ? { subject: opts.subject } : {}),
    ...(opts.annotations ? { annotations: opts.annotations } : {}),
  };
  const body = JSON.stringify(manifest);
  const res = await putManifest(url, repo, tag, body, manifest.mediaType);
  if (res.status !== 201) throw new Error(`manifest push: ${res.status} ${await res.text()}`);
  return { digest: sha256(body), size: Buffer.byteLength(body) };
}
