/**
 * Fuzzing the registry's routes (the OCI distribution API under /v2/) over HTTP: valid requests of
 * every route (base, catalog, tags, manifests, blobs with ranges, uploads monolithic, chunked and
 * by mount, referrers) against an image that exists, then mutated: names, references and digests,
 * query parameters (n, last, digest, mount, from), Range and Content-Range, Content-Type,
 * credentials, methods, manifest bodies (as JSON values and as bytes) and chunks. Every answer must
 * be a status below 500 with, for errors, the distribution error body ({"errors":[{"code",…}]});
 * nothing may hang or be logged as a registry failure.
 */
import { createHash } from "node:crypto";
import { systemClock } from "../../src/core/clock.ts";
import { mutateJsonCall } from "./mutate.ts";
import { hash32, Rng } from "./rng.ts";

export interface RegistryFuzzResult {
  readonly counts: { inputs: number; ok2xx: number; other3xx: number; err4xx: number; failures: number };
  readonly findings: Array<{ seed: number; input: number; what: string; request: string }>;
}

const sha = (b: Buffer | string) => `sha256:${createHash("sha256").update(b).digest("hex")}`;
const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";

export interface Image {
  readonly repo: string;
  readonly tag: string;
  readonly manifest: Buffer;
  readonly manifestDigest: string;
  readonly layer: Buffer;
  readonly layerDigest: string;
  readonly configDigest: string;
}

/** Pushes one small image (config, layer, manifest) with plain HTTP and returns what it is made of. */
export async function pushFuzzImage(url: string, repo = "fuzz", tag = "latest"): Promise<Image> {
  const layer = Buffer.from("fuzz layer bytes ".repeat(64));
  const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [sha(layer)] } }));
  for (const blob of [layer, config]) {
    const r = await fetch(`${url}/v2/${repo}/blobs/uploads/?digest=${sha(blob)}`, { method: "POST", body: new Uint8Array(blob) });
    if (r.status !== 201) throw new Error(`push blob: ${r.status} ${await r.text()}`);
  }
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: sha(config), size: config.length },
      layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", digest: sha(layer), size: layer.length }],
    }),
  );
  const r = await fetch(`${url}/v2/${repo}/manifests/${tag}`, { method: "PUT", headers: { "content-type": OCI_MANIFEST }, body: new Uint8Array(manifest) });
  if (r.status !== 201) throw new Error(`push manifest: ${r.status} ${await r.text()}`);
  return { repo, tag, manifest, manifestDigest: sha(manifest), layer, layerDigest: sha(layer), configDigest: sha(config) };
}

interface Req {
  method: string;
  path: string;
  query: Array<[string, string]>;
  headers: Record<string, string>;
  body?: Buffer;
}

function validRequest(rng: Rng, img: Image, uploads: string[]): Req {
  const r = `/v2/${img.repo}`;
  const pick = rng.int(16);
  switch (pick) {
    case 0:
      return { method: rng.pick(["GET", "HEAD"]), path: "/v2/", query: [], headers: {} };
    case 1:
      return { method: "GET", path: "/v2/_catalog", query: [["n", String(1 + rng.int(3))], ["last", "a"]], headers: {} };
    case 2:
      return { method: "GET", path: `${r}/tags/list`, query: [["n", "1"]], headers: {} };
    case 3:
      return { method: rng.pick(["GET", "HEAD"]), path: `${r}/manifests/${rng.pick([img.tag, img.manifestDigest])}`, query: [], headers: { accept: OCI_MANIFEST } };
    case 4:
      return { method: "PUT", path: `${r}/manifests/${rng.pick(["t1", "t2", img.tag])}`, query: [], headers: { "content-type": OCI_MANIFEST }, body: img.manifest };
    case 5:
      return { method: rng.pick(["GET", "HEAD"]), path: `${r}/blobs/${img.layerDigest}`, query: [], headers: { range: `bytes=${rng.int(10)}-${10 + rng.int(100)}` } };
    case 6: {
      const data = Buffer.from(`chunk ${rng.int(1e6)}`);
      return { method: "POST", path: `${r}/blobs/uploads/`, query: [["digest", sha(data)]], headers: { "content-type": "application/octet-stream" }, body: data };
    }
    case 7:
      return { method: "POST", path: `${r}/blobs/uploads/`, query: [], headers: {} };
    case 8:
      return { method: "POST", path: `/v2/other/blobs/uploads/`, query: [["mount", img.layerDigest], ["from", img.repo]], headers: {} };
    case 9:
    case 10: {
      const u = uploads.length > 0 ? rng.pick(uploads) : "00000000-0000-4000-a000-000000000000";
      return { method: "PATCH", path: `${r}/blobs/uploads/${u}`, query: [], headers: { "content-type": "application/octet-stream", "content-range": "0-3" }, body: Buffer.from("abcd") };
    }
    case 11: {
      const u = uploads.length > 0 ? rng.pick(uploads) : "00000000-0000-4000-a000-000000000000";
      return { method: "PUT", path: `${r}/blobs/uploads/${u}`, query: [["digest", sha("abcd")]], headers: {} };
    }
    case 12: {
      const u = uploads.length > 0 ? rng.pick(uploads) : "00000000-0000-4000-a000-000000000000";
      return { method: rng.pick(["GET", "DELETE"]), path: `${r}/blobs/uploads/${u}`, query: [], headers: {} };
    }
    case 13:
      return { method: "GET", path: `${r}/referrers/${img.manifestDigest}`, query: [["artifactType", "application/x"]], headers: {} };
    case 14:
      return { method: "DELETE", path: `${r}/manifests/${rng.pick(["t1", "t2"])}`, query: [], headers: {} };
    default:
      return { method: "DELETE", path: `${r}/blobs/${sha(String(rng.int(5)))}`, query: [], headers: {} };
  }
}

const ODD = ["", "0", "-1", "99999999999999999999", "1e3", "abc", "%", "%FF", "..", "../..", "x".repeat(5000), "sha256:", "sha256:xyz", `sha512:${"a".repeat(128)}`, `sha256:${"A".repeat(64)}`, "\u0000", "é", "*", "latest"];

function mutate(req: Req, rng: Rng): Req {
  const out: Req = { ...req, query: [...req.query], headers: { ...req.headers } };
  const n = rng.chance(0.7) ? 1 : 2;
  for (let i = 0; i < n; i++) {
    const r = rng.next();
    if (r < 0.2) {
      const parts = out.path.split("/");
      const j = 2 + rng.int(Math.max(1, parts.length - 2));
      // (No ".." segments: fetch resolves them, and the request would leave the registry.)
      parts[j] = rng.pick(ODD.filter((o) => !o.includes("..")).concat(["UPPER", "a/b/c/d/e/f", "a".repeat(300), "_catalog", "blobs", "manifests", "uploads", "...", "a..b"]));
      out.path = parts.join("/");
    } else if (r < 0.35) {
      const key = rng.pick(["n", "last", "digest", "mount", "from", "artifactType", "x"]);
      if (rng.chance(0.5) && out.query.length > 0) out.query[rng.int(out.query.length)]![1] = rng.pick(ODD);
      else out.query.push([key, rng.pick(ODD)]);
    } else if (r < 0.5) {
      const h = rng.pick(["range", "content-range", "content-type", "authorization", "accept"]);
      out.headers[h] = rng.pick([
        "",
        "bytes=",
        "bytes=-",
        "bytes=5-1",
        "bytes=0-99999999999999999999",
        "bytes=-0",
        "bytes=1-2,3-4",
        "0-",
        "-5",
        "5-3",
        "99999999999999999999-99999999999999999999",
        "bytes 0-3/*",
        "Basic !!!",
        `Basic ${Buffer.from("AWS:x.y").toString("base64")}`,
        `Basic ${Buffer.from("AWS:").toString("base64")}`,
        "Bearer x",
        "application/vnd.docker.distribution.manifest.v2+json",
        "text/plain",
        "x".repeat(3000),
      ]);
    } else if (r < 0.6) {
      out.method = rng.pick(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);
    } else if (r < 0.85 && out.body && out.body[0] === 0x7b) {
      const m = mutateJsonCall({ method: out.method, url: out.path, headers: {}, body: out.body }, rng);
      out.body = m.body;
    } else {
      const len = rng.pick([0, 1, 100, 70_000]);
      out.body = rng.chance(0.5) ? Buffer.alloc(len, 0x61) : rng.bytes(Math.min(len, 4096));
    }
  }
  return out;
}

export async function fuzzRegistry(opts: {
  url: string;
  image: Image;
  seed: number;
  inputs: number;
  logged: () => readonly string[];
  hangMs?: number;
  progress?: (done: number) => void;
}): Promise<RegistryFuzzResult> {
  const counts = { inputs: 0, ok2xx: 0, other3xx: 0, err4xx: 0, failures: 0 };
  const findings: RegistryFuzzResult["findings"] = [];
  const seed = (opts.seed ^ hash32("registry")) >>> 0;
  const root = new Rng(seed);
  const uploads: string[] = [];
  for (let i = 0; i < opts.inputs; i++) {
    const rng = root.fork(i);
    const valid = validRequest(rng, opts.image, uploads);
    const req = rng.chance(0.85) ? mutate(valid, rng) : valid;
    const qs = req.query.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join("&");
    const target = `${opts.url}${encodePath(req.path)}${qs ? `?${qs}` : ""}`;
    const logBefore = opts.logged().length;
    const stop = new AbortController();
    let what: string | undefined;
    let status = 0;
    try {
      const hasBody = req.body !== undefined && req.method !== "GET" && req.method !== "HEAD";
      const send = () =>
        fetch(target, {
          method: req.method,
          headers: req.headers,
          body: hasBody ? new Uint8Array(req.body!) : undefined,
          signal: AbortSignal.any([stop.signal, AbortSignal.timeout(opts.hangMs ?? 10_000)]),
          redirect: "manual",
        });
      // A pooled connection the server closed while idle fails at once: one retry on a fresh one.
      const res = await send().catch((err: Error) => (err.name === "TimeoutError" ? Promise.reject(err) : send()));
      status = res.status;
      const text = await res.text();
      const uuid = res.headers.get("docker-upload-uuid");
      if (uuid && uploads.length < 50) uploads.push(uuid);
      if (status >= 500) what = `status ${status}: ${text.slice(0, 300)}`;
      else if (status >= 400 && req.method !== "HEAD") {
        try {
          const body = JSON.parse(text) as { errors?: Array<{ code?: unknown }> };
          if (typeof body.errors?.[0]?.code !== "string") what = `error without a distribution error body: ${text.slice(0, 200)}`;
        } catch {
          what = `unparseable error body (${status}): ${text.slice(0, 200)}`;
        }
      }
    } catch (err) {
      what = (err as Error).name === "TimeoutError" ? `no answer within ${opts.hangMs ?? 10_000} ms` : `request failed: ${(err as Error).message}`;
    } finally {
      stop.abort();
    }
    await settle();
    const logged = opts.logged().slice(logBefore).find((l) => l.startsWith("registry:"));
    if (!what && logged) what = `logged: ${logged.slice(0, 300)}`;
    counts.inputs++;
    if (what) {
      counts.failures++;
      findings.push({ seed, input: i, what: `${req.method} ${req.path.slice(0, 100)}: ${what}`, request: `${req.method} ${target.slice(0, 300)} ${JSON.stringify(req.headers).slice(0, 300)} body ${req.body?.length ?? 0} bytes` });
    } else if (status < 300) counts.ok2xx++;
    else if (status < 400) counts.other3xx++;
    else counts.err4xx++;
    if ((i + 1) % 1000 === 0) opts.progress?.(i + 1);
  }
  return { counts, findings };
}

/** Percent-encodes what fetch would refuse or normalize away, keeping `/` as the separator. */
function encodePath(path: string): string {
  return path
    .split("/")
    .map((seg) => (seg === "." || seg === ".." ? seg.replaceAll(".", "%2E") : encodeURIComponent(seg).replaceAll("%25", "%")))
    .join("/");
}

/** Lets the server finish with the request (a handler may log after the answer). */
async function settle(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
  await systemClock.sleep(0);
}
