/**
 * OCI registry figures, Slipway side by side with the CNCF distribution registry
 * (`docker-registry`, filesystem storage in a temp dir on the same disk, 127.0.0.1):
 *
 *   node bench/registry.ts [--runs 3] [--layers 8] [--layer-mib 128] [--big-gib 2] [--conc 8] [--conc-mib 64]
 *
 * 1. Throughput: an OCI image layout written by this script (`--layers` uncompressed tar layers of
 *    `--layer-mib` MiB of random data each, media type application/vnd.oci.image.layer.v1.tar, plus
 *    an OCI config) is pushed with `skopeo copy --dest-tls-verify=false oci:<layout>:t
 *    docker://127.0.0.1:<port>/<repo>:t` and pulled back with `skopeo copy --src-tls-verify=false
 *    docker://… oci:<out>:t` into an empty directory. `--runs` rounds; each round pushes to a fresh
 *    repository and regenerates the layout with new random bytes (so skopeo's blob-info cache can
 *    never turn a push into a cross-repository mount); the registry order alternates per round.
 *    MiB/s = bytes of all blobs (layers + config) / wall time of the skopeo process.
 * 2. Memory: a fresh `slipway up` receives one `--big-gib` GiB layer, streamed from a generator
 *    (never buffered): first as a chunked upload (POST session, one PATCH with Transfer-Encoding:
 *    chunked, PUT ?digest=), then as a monolithic upload (POST ?digest= with Content-Length).
 *    VmRSS is polled every 50 ms; VmHWM is read at the end.
 * 3. Concurrency: `--conc` skopeo pushes of different images (one `--conc-mib` MiB layer each,
 *    different random content) in parallel, to different repositories; total wall time and errors,
 *    `--runs` rounds per registry, fresh content per round.
 *
 * Every process started here is ended by its PID; temp dirs are removed.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createHash, randomBytes, randomFillSync } from "node:crypto";
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { CreateRepositoryCommand, ECRClient } from "@aws-sdk/client-ecr";
import { freePort, median, type Proc, rssKiB, sleep, startSlipwayProcess, table } from "./lib.ts";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "3" },
    layers: { type: "string", default: "8" },
    "layer-mib": { type: "string", default: "128" },
    "big-gib": { type: "string", default: "2" },
    conc: { type: "string", default: "8" },
    "conc-mib": { type: "string", default: "64" },
    skip: { type: "string", default: "" }, // comma list of: throughput,memory,concurrency
  },
});
const RUNS = Number(values.runs);
const LAYERS = Number(values.layers);
const LAYER_MIB = Number(values["layer-mib"]);
const BIG_GIB = Number(values["big-gib"]);
const CONC = Number(values.conc);
const CONC_MIB = Number(values["conc-mib"]);
const SKIP = new Set(values.skip!.split(",").filter(Boolean));
if (CONC <= 0) SKIP.add("concurrency"); // --conc 0: no parallel pushes to measure
if (BIG_GIB <= 0) SKIP.add("memory");
const MiB = 1 << 20;
const SKOPEO_TIMEOUT_MS = 600_000;

const work = mkdtempSync(join(tmpdir(), "slipway-bench-registry-"));
const procs: Proc[] = [];
let ecr: ECRClient | undefined;

// Hard bound on the whole run.
const watchdog = setTimeout(() => {
  console.error("registry bench: 55 min bound reached, stopping");
  void cleanup().then(() => process.exit(2));
}, 55 * 60_000);
watchdog.unref();

async function cleanup(): Promise<void> {
  ecr?.destroy();
  for (const p of procs.splice(0)) await p.stop();
  rmSync(work, { recursive: true, force: true });
}
for (const sig of ["SIGINT", "SIGTERM"] as const) process.once(sig, () => void cleanup().then(() => process.exit(130)));
// A crash skips cleanup(): end the registries on the way out.
process.once("exit", () => {
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGTERM");
});

// ---------------------------------------------------------------------------------------------
// OCI layout writer

/** A 512-byte ustar header for one regular file. */
function tarHeader(name: string, size: number): Buffer {
  const h = Buffer.alloc(512);
  const put = (s: string, off: number, len: number) => h.write(s, off, len, "ascii");
  put(name, 0, 100);
  put("0000644\0", 100, 8);
  put("0000000\0", 108, 8);
  put("0000000\0", 116, 8);
  put(size.toString(8).padStart(11, "0") + "\0", 124, 12);
  put(Math.floor(Date.now() / 1000).toString(8).padStart(11, "0") + "\0", 136, 12);
  put("        ", 148, 8);
  put("0", 156, 1);
  put("ustar\0", 257, 6);
  put("00", 263, 2);
  let sum = 0;
  for (const b of h) sum += b;
  put(sum.toString(8).padStart(6, "0") + "\0 ", 148, 8);
  return h;
}

interface Desc {
  mediaType: string;
  digest: string;
  size: number;
}

/** Writes one uncompressed tar layer holding `mib` MiB of fresh random data into the layout. */
function writeLayer(layout: string, name: string, mib: number, buf: Buffer): Desc {
  const tmp = join(layout, "blobs", "sha256", `.tmp-${name}`);
  const fd = openSync(tmp, "w");
  const hash = createHash("sha256");
  let size = 0;
  const out = (b: Buffer) => {
    hash.update(b);
    writeSync(fd, b);
    size += b.length;
  };
  out(tarHeader(name, mib * MiB));
  for (let left = mib * MiB; left > 0; left -= buf.length) out(randomFillSync(buf).subarray(0, Math.min(buf.length, left)));
  out(Buffer.alloc(1024)); // end-of-archive (the data is a multiple of 512 bytes)
  closeSync(fd);
  const hex = hash.digest("hex");
  renameSync(tmp, join(layout, "blobs", "sha256", hex));
  return { mediaType: "application/vnd.oci.image.layer.v1.tar", digest: `sha256:${hex}`, size };
}

function writeJsonBlob(layout: string, mediaType: string, value: unknown): Desc {
  const data = Buffer.from(JSON.stringify(value));
  const hex = createHash("sha256").update(data).digest("hex");
  writeFileSync(join(layout, "blobs", "sha256", hex), data);
  return { mediaType, digest: `sha256:${hex}`, size: data.length };
}

/** An OCI image layout at `dir` with one image tagged `t`; returns the total blob bytes. */
function writeLayout(dir: string, layers: number, mib: number): number {
  mkdirSync(join(dir, "blobs", "sha256"), { recursive: true });
  writeFileSync(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  const buf = Buffer.allocUnsafe(4 * MiB);
  const nonce = randomBytes(6).toString("hex");
  const ls: Desc[] = [];
  for (let i = 0; i < layers; i++) ls.push(writeLayer(dir, `layer${i}-${nonce}.bin`, mib, buf));
  const config = writeJsonBlob(dir, "application/vnd.oci.image.config.v1+json", {
    architecture: "amd64",
    os: "linux",
    config: {},
    rootfs: { type: "layers", diff_ids: ls.map((l) => l.digest) },
    history: ls.map(() => ({ created_by: "bench/registry.ts" })),
  });
  const manifest = writeJsonBlob(dir, "application/vnd.oci.image.manifest.v1+json", {
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config,
    layers: ls,
  });
  writeFileSync(
    join(dir, "index.json"),
    JSON.stringify({ schemaVersion: 2, manifests: [{ ...manifest, annotations: { "org.opencontainers.image.ref.name": "t" } }] }),
  );
  return ls.reduce((n, l) => n + l.size, config.size);
}

// ---------------------------------------------------------------------------------------------
// Registries

interface Registry {
  name: string;
  proc: Proc;
  host: string;
  createRepo(name: string): Promise<void>;
}

async function startCncf(): Promise<Registry> {
  const port = await freePort();
  const dir = join(work, "cncf");
  mkdirSync(join(dir, "storage"), { recursive: true });
  const cfg = join(dir, "config.yml");
  writeFileSync(
    cfg,
    [
      "version: 0.1",
      "log:",
      "  level: error",
      "  accesslog:",
      "    disabled: true",
      "storage:",
      "  filesystem:",
      `    rootdirectory: ${join(dir, "storage")}`,
      "  cache:",
      "    blobdescriptor: inmemory",
      "  delete:",
      "    enabled: true",
      "http:",
      `  addr: 127.0.0.1:${port}`,
      "",
    ].join("\n"),
  );
  const t0 = performance.now();
  const child = spawn("docker-registry", ["serve", cfg], { stdio: ["ignore", "pipe", "pipe"] });
  let spawnError: Error | undefined;
  child.once("error", (e) => (spawnError = e));
  let log = "";
  child.stdout!.on("data", (d) => (log = (log + d).slice(-4000)));
  child.stderr!.on("data", (d) => (log = (log + d).slice(-4000)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (spawnError) throw new Error(`cannot run docker-registry (${spawnError.message}); install it with apt-get install -y docker-registry`);
    if (child.exitCode !== null) throw new Error(`docker-registry exited: ${log}`);
    try {
      const r = await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(1000) });
      await r.arrayBuffer();
      if (r.status === 200) break;
    } catch {}
    if (Date.now() > deadline) throw new Error(`docker-registry not ready: ${log}`);
    await sleep(20);
  }
  const proc: Proc = {
    child,
    pid: child.pid!,
    url,
    readyMs: performance.now() - t0,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((r) => child.once("exit", () => r()));
        child.kill("SIGTERM");
        const t = setTimeout(() => child.kill("SIGKILL"), 5000);
        await exited;
        clearTimeout(t);
      }
    },
  };
  procs.push(proc);
  return { name: "CNCF distribution", proc, host: `127.0.0.1:${port}`, createRepo: async () => {} };
}

async function startSlipway(dirName: string): Promise<Registry> {
  const dataDir = join(work, dirName);
  mkdirSync(dataDir);
  const proc = await startSlipwayProcess({ dataDir });
  procs.push(proc);
  const client = new ECRClient({
    endpoint: proc.url,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    maxAttempts: 1,
  });
  ecr = client;
  return {
    name: "Slipway",
    proc,
    host: proc.url.replace("http://", ""),
    createRepo: async (repositoryName) => void (await client.send(new CreateRepositoryCommand({ repositoryName }))),
  };
}

function skopeo(args: string[]): Promise<{ ms: number; ok: boolean; err: string }> {
  const t0 = performance.now();
  return new Promise((res) => {
    execFile("skopeo", args, { timeout: SKOPEO_TIMEOUT_MS, maxBuffer: 16 * MiB }, (e, _out, stderr) => {
      res({ ms: performance.now() - t0, ok: !e, err: e ? `${e.message}\n${stderr}`.slice(0, 2000) : "" });
    });
  });
}

const push = (layout: string, reg: Registry, repo: string) =>
  skopeo(["copy", "--quiet", "--dest-tls-verify=false", `oci:${layout}:t`, `docker://${reg.host}/${repo}:t`]);
const pull = (reg: Registry, repo: string, out: string) =>
  skopeo(["copy", "--quiet", "--src-tls-verify=false", `docker://${reg.host}/${repo}:t`, `oci:${out}:t`]);

const mibps = (bytes: number, ms: number) => bytes / MiB / (ms / 1000);

// ---------------------------------------------------------------------------------------------

const out: string[] = [];
const say = (s: string) => {
  console.log(s);
  out.push(s);
};

try {
  if (!SKIP.has("throughput") || !SKIP.has("concurrency")) {
    const slip = await startSlipway("slipway-data");
    const cncf = await startCncf();
    const regs = [slip, cncf];

    if (!SKIP.has("throughput")) {
      const res = new Map<string, { push: number[]; pull: number[] }>(regs.map((r) => [r.name, { push: [], pull: [] }]));
      const rows: (string | number)[][] = [];
      let bytes = 0;
      for (let run = 1; run <= RUNS; run++) {
        const order = run % 2 ? regs : [...regs].reverse();
        for (const reg of order) {
          const layout = join(work, `layout-${run}`);
          const dest = join(work, `pulled-${run}`);
          bytes = writeLayout(layout, LAYERS, LAYER_MIB);
          const repo = `bench/tp-${run}`;
          await reg.createRepo(repo);
          await sleep(1000);
          const p = await push(layout, reg, repo);
          if (!p.ok) throw new Error(`${reg.name} push failed: ${p.err}`);
          rmSync(layout, { recursive: true, force: true });
          await sleep(1000);
          const g = await pull(reg, repo, dest);
          if (!g.ok) throw new Error(`${reg.name} pull failed: ${g.err}`);
          rmSync(dest, { recursive: true, force: true });
          const r = res.get(reg.name)!;
          r.push.push(mibps(bytes, p.ms));
          r.pull.push(mibps(bytes, g.ms));
          rows.push([run, reg.name, (p.ms / 1000).toFixed(2), mibps(bytes, p.ms), (g.ms / 1000).toFixed(2), mibps(bytes, g.ms), rssKiB(reg.proc.pid) / 1024]);
          console.log(rows.at(-1)!.join("  "));
        }
      }
      say(`\n### Throughput: ${LAYERS} × ${LAYER_MIB} MiB uncompressed tar layers (${(bytes / MiB).toFixed(1)} MiB of blobs), skopeo copy, ${RUNS} rounds`);
      say(table(["round", "registry", "push s", "push MiB/s", "pull s", "pull MiB/s", "RSS after MiB"], rows));
      const s = res.get(slip.name)!;
      const c = res.get(cncf.name)!;
      say(
        "\n" +
          table(
            ["", "Slipway median MiB/s", "CNCF median MiB/s", "Slipway/CNCF"],
            [
              ["push", median(s.push), median(c.push), (median(s.push) / median(c.push)).toFixed(2)],
              ["pull", median(s.pull), median(c.pull), (median(s.pull) / median(c.pull)).toFixed(2)],
            ],
          ),
      );
    }

    if (!SKIP.has("concurrency")) {
      const rows: (string | number)[][] = [];
      const times = new Map<string, number[]>(regs.map((r) => [r.name, []]));
      const errs = new Map<string, number>(regs.map((r) => [r.name, 0]));
      for (let run = 1; run <= RUNS; run++) {
        const order = run % 2 ? regs : [...regs].reverse();
        for (const reg of order) {
          const layouts: string[] = [];
          let bytes = 0;
          for (let i = 0; i < CONC; i++) {
            const l = join(work, `conc-${i}`);
            bytes += writeLayout(l, 1, CONC_MIB);
            layouts.push(l);
            await reg.createRepo(`bench/conc-${run}-${i}`);
          }
          await sleep(1000);
          const t0 = performance.now();
          const results = await Promise.all(layouts.map((l, i) => push(l, reg, `bench/conc-${run}-${i}`)));
          const ms = performance.now() - t0;
          for (const l of layouts) rmSync(l, { recursive: true, force: true });
          // Check every image is there: its manifest answers 200.
          let missing = 0;
          for (let i = 0; i < CONC; i++) {
            const r = await fetch(`${reg.proc.url}/v2/bench/conc-${run}-${i}/manifests/t`, {
              method: "HEAD",
              headers: { Accept: "application/vnd.oci.image.manifest.v1+json" },
            });
            if (r.status !== 200) missing++;
          }
          const failed = results.filter((r) => !r.ok);
          for (const f of failed.slice(0, 2)) console.log(`${reg.name} concurrent push error: ${f.err}`);
          errs.set(reg.name, errs.get(reg.name)! + failed.length + missing);
          times.get(reg.name)!.push(ms);
          rows.push([
            run,
            reg.name,
            (ms / 1000).toFixed(2),
            mibps(bytes, ms),
            (Math.max(...results.map((r) => r.ms)) / 1000).toFixed(2),
            failed.length,
            missing,
          ]);
          console.log(rows.at(-1)!.join("  "));
        }
      }
      say(`\n### Concurrency: ${CONC} parallel skopeo pushes of different images (1 × ${CONC_MIB} MiB layer each), ${RUNS} rounds`);
      say(table(["round", "registry", "total s", "aggregate MiB/s", "slowest push s", "failed pushes", "manifests missing"], rows));
      say(
        "\n" +
          table(
            ["registry", "median total s", "errors (all rounds)"],
            regs.map((r) => [r.name, (median(times.get(r.name)!) / 1000).toFixed(2), errs.get(r.name)!]),
          ),
      );
    }
    for (const p of procs.splice(0)) await p.stop();
    ecr?.destroy();
    ecr = undefined;
    rmSync(join(work, "slipway-data"), { recursive: true, force: true });
    rmSync(join(work, "cncf"), { recursive: true, force: true });
  }

  if (!SKIP.has("memory")) {
    const slip = await startSlipway("slipway-mem");
    const repo = "bench/big";
    await slip.createRepo(repo);
    await sleep(2000);
    const pid = slip.proc.pid;
    const baseline = rssKiB(pid);
    const total = BIG_GIB * 1024 * MiB;
    const block = randomBytes(8 * MiB);

    /** The stream: the same random 8 MiB block with the block index in its first 8 bytes. */
    function* chunks(): Generator<Buffer> {
      for (let i = 0; i * block.length < total; i++) {
        const b = Buffer.from(block);
        b.writeBigUInt64BE(BigInt(i), 0);
        yield b.subarray(0, Math.min(block.length, total - i * block.length));
      }
    }

    function sampler() {
      let peak = 0;
      const timer = setInterval(() => {
        try {
          peak = Math.max(peak, rssKiB(pid));
        } catch {}
      }, 50);
      return () => (clearInterval(timer), peak);
    }

    function send(method: string, path: string, headers: Record<string, string | number>, body?: () => Generator<Buffer>) {
      return new Promise<{ status: number; headers: Record<string, any>; text: string }>((res, rej) => {
        const req = request(`${slip.proc.url}${path}`, { method, headers, timeout: 600_000 }, (r) => {
          let text = "";
          r.setEncoding("utf8");
          r.on("data", (d) => (text += d));
          r.on("end", () => res({ status: r.statusCode!, headers: r.headers, text }));
        });
        req.on("error", rej);
        req.on("timeout", () => req.destroy(new Error("timeout")));
        if (!body) return req.end();
        (async () => {
          for (const c of body()) if (!req.write(c)) await new Promise((r) => req.once("drain", r));
          req.end();
        })().catch(rej);
      });
    }

    const hash = () => {
      const h = createHash("sha256");
      for (const c of chunks()) h.update(c);
      return `sha256:${h.digest("hex")}`;
    };

    const rows: (string | number)[][] = [];
    // Chunked upload: POST, one streamed PATCH (Transfer-Encoding: chunked), PUT ?digest=.
    {
      const stop = sampler();
      const t0 = performance.now();
      const start = await send("POST", `/v2/${repo}/blobs/uploads/`, { "Content-Length": 0 });
      if (start.status !== 202) throw new Error(`POST ${start.status} ${start.text}`);
      const loc = new URL(start.headers.location, slip.proc.url);
      const h = createHash("sha256");
      const patch = await send("PATCH", loc.pathname + loc.search, { "Content-Type": "application/octet-stream", "Transfer-Encoding": "chunked" }, function* () {
        for (const c of chunks()) {
          h.update(c);
          yield c;
        }
      });
      if (patch.status !== 202) throw new Error(`PATCH ${patch.status} ${patch.text}`);
      const digest = `sha256:${h.digest("hex")}`;
      const loc2 = new URL(patch.headers.location, slip.proc.url);
      loc2.searchParams.set("digest", digest);
      const put = await send("PUT", loc2.pathname + loc2.search, { "Content-Length": 0 });
      if (put.status !== 201) throw new Error(`PUT ${put.status} ${put.text}`);
      const ms = performance.now() - t0;
      const peak = stop();
      rows.push(["chunked (POST, PATCH stream, PUT ?digest=)", baseline / 1024, peak / 1024, mibps(total, ms)]);
      console.log(rows.at(-1)!.join("  "));
    }
    // Monolithic: POST ?digest= with the whole body (the digest of a second, different stream).
    {
      await sleep(2000);
      const before = rssKiB(pid);
      const saved = block[100]!;
      block[100] = saved ^ 0xff; // different content from the chunked upload
      const digest = hash();
      const stop = sampler();
      const t0 = performance.now();
      const r = await send("POST", `/v2/${repo}/blobs/uploads/?digest=${digest}`, { "Content-Type": "application/octet-stream", "Content-Length": total }, chunks);
      if (r.status !== 201) throw new Error(`monolithic POST ${r.status} ${r.text}`);
      const ms = performance.now() - t0;
      const peak = stop();
      rows.push(["monolithic (POST ?digest=, Content-Length)", before / 1024, peak / 1024, mibps(total, ms)]);
      console.log(rows.at(-1)!.join("  "));
    }
    const hwm = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024;
    say(`\n### Memory: Slipway receiving one ${BIG_GIB} GiB layer (VmRSS polled every 50 ms)`);
    say(table(["upload", "RSS before MiB", "peak RSS MiB", "MiB/s"], rows));
    say(`VmHWM of the Slipway process at the end (lifetime peak): ${hwm.toFixed(1)} MiB`);
  }
} finally {
  await cleanup();
  clearTimeout(watchdog);
}
writeFileSync(join(tmpdir(), "bench-registry-result.md"), out.join("\n") + "\n");
