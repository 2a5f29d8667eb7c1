/**
 * Crash trials: `kill -9` of `slipway up` at random moments while a rolling ECS deployment (real
 * Docker containers) and registry pushes are in flight, then a restart on the same data dir and
 * port, and checks.
 *
 *   node bench/crash-trials.ts [--trials 200] [--seed 1] [--max-kill-ms 2500]
 *
 * Set-up (once): cluster `crash`, two task definitions (slipway-test/web:latest and :v2, bridge,
 * hostPort 0, a 5 s wget health check), service `web` with desiredCount 2 (max 200 %, min 100 %), ECR
 * repository `crash/app`.
 *
 * Each trial, on the running Slipway:
 *   - UpdateService flips the service to the other task definition (a rolling deployment starts);
 *   - a writer sends CreateCluster calls with unique names, two at a time, and records each name
 *     it got a 200 for (acknowledged writes);
 *   - a pusher pushes images over the registry API (blob: POST session, PATCH, PUT ?digest=; then a
 *     config blob and a manifest under a unique tag), one after the other, each layer 64 KiB to
 *     4 MiB of random bytes, and records each manifest it got a 201 for;
 *   - after a random delay (uniform in 0..--max-kill-ms ms from the UpdateService), SIGKILL.
 * Then `slipway up` starts again on the same data dir and port and the trial checks:
 *   1. lost acknowledged writes: every acknowledged cluster is ACTIVE (DescribeClusters), every
 *      acknowledged manifest resolves by tag to the same digest and each of its blobs reads back
 *      with the right sha256 (corrupt or missing blob = lost write);
 *   2. the service converges: one deployment, COMPLETED, runningCount 2, pendingCount 0, on the
 *      task definition of the last acknowledged UpdateService or of the one in flight at the kill;
 *   3. containers: the managed containers of this instance settle to exactly the RUNNING tasks of
 *      the service: no orphan (a container whose task is not RUNNING), no duplicate (two containers
 *      for one task, or more RUNNING tasks than desired), no ghost (a RUNNING task with no running
 *      container).
 * Each check that does not hold within its time bound counts as a failure of that kind; the
 * trial goes on. At the end the figures are printed. Slipway's process is ended by its PID and the
 * containers it created (selected by its instance label) are removed with the data dir.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DescribeClustersCommand,
  DescribeServicesCommand,
  type ECSClient,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
} from "@aws-sdk/client-ecs";
import { CreateRepositoryCommand, ECRClient } from "@aws-sdk/client-ecr";
import { cleanDataDir, managedContainers } from "../test/helpers/slipway-process.ts";
import { ecsClient, freePort, median, requireFreshBuild, ROOT, sleep, table } from "./lib.ts";

const { values } = parseArgs({
  options: {
    trials: { type: "string", default: "200" },
    seed: { type: "string", default: "1" },
    "max-kill-ms": { type: "string", default: "2500" },
  },
});
const TRIALS = Number(values.trials);
const MAX_KILL_MS = Number(values["max-kill-ms"]);

// mulberry32: a seeded PRNG, so a run can be repeated.
let seed = Number(values.seed) >>> 0;
function rand(): number {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

const sha256 = (b: Buffer | string) => `sha256:${createHash("sha256").update(b).digest("hex")}`;

interface Running {
  child: ChildProcess;
  url: string;
  out: () => string;
}

async function start(dataDir: string, port: number): Promise<{ proc: Running; ms: number }> {
  requireFreshBuild();
  const t0 = performance.now();
  const child = spawn(process.execPath, [join(ROOT, "bin/slipway.js"), "up", "--port", String(port), "--data-dir", dataDir], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, SLIPWAY_TASK_ENDPOINT: "off" },
  });
  let out = "";
  await new Promise<void>((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`not ready after 30 s:\n${out}`)), 30_000);
    const on = (d: Buffer) => {
      out += d.toString();
      if (out.length > 200_000) out = out.slice(-100_000);
      if (out.includes("Slipway ready on")) {
        clearTimeout(timer);
        res();
      }
    };
    child.stdout!.on("data", on);
    child.stderr!.on("data", on);
    child.once("exit", (code, sig) => {
      clearTimeout(timer);
      rej(new Error(`slipway exited (${code ?? sig}) before ready:\n${out}`));
    });
  });
  return { proc: { child, url: `http://127.0.0.1:${port}`, out: () => out }, ms: performance.now() - t0 };
}

function kill(p: Running, signal: NodeJS.Signals): Promise<void> {
  return new Promise((res) => {
    if (p.child.exitCode !== null || p.child.signalCode !== null) return res();
    p.child.once("exit", () => res());
    process.kill(p.child.pid!, signal);
  });
}

async function pollUntil<T>(probe: () => Promise<T | undefined>, timeoutMs: number, intervalMs = 200): Promise<T | undefined> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch {
      // retry until the deadline
    }
    if (Date.now() > end) return undefined;
    await sleep(intervalMs);
  }
}

const taskDef = (family: string, image: string) => ({
  family,
  networkMode: "bridge" as const,
  containerDefinitions: [
    {
      name: "web",
      image,
      essential: true,
      memory: 64,
      stopTimeout: 2,
      portMappings: [{ containerPort: 8080, hostPort: 0, protocol: "tcp" as const }],
      // Without a health check ECS counts a task healthy only after 40 s; a 5 s check (ECS's
      // shortest interval) lets a deployment complete in seconds.
      healthCheck: { command: ["CMD-SHELL", "wget -q -O /dev/null http://127.0.0.1:8080/health || exit 1"], interval: 5, timeout: 2, retries: 2 },
    },
  ],
});

interface Pushed {
  tag: string;
  digest: string;
  blobs: { digest: string; data: Buffer }[];
}

async function pushImage(url: string, repo: string, tag: string, signal: AbortSignal): Promise<Pushed> {
  const layer = randomBytes(64 * 1024 + Math.floor(rand() * 4 * 1024 * 1024));
  const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [sha256(layer)] }, n: tag }));
  const blobs = [
    { digest: sha256(layer), data: layer },
    { digest: sha256(config), data: config },
  ];
  for (const b of blobs) {
    const s = await fetch(`${url}/v2/${repo}/blobs/uploads/`, { method: "POST", signal });
    await s.arrayBuffer();
    if (s.status !== 202) throw new Error(`POST upload ${s.status}`);
    const loc = new URL(s.headers.get("location")!, url).toString();
    const p = await fetch(loc, { method: "PATCH", body: new Uint8Array(b.data), headers: { "content-type": "application/octet-stream" }, signal });
    await p.arrayBuffer();
    if (p.status !== 202) throw new Error(`PATCH ${p.status}`);
    const loc2 = new URL(p.headers.get("location") ?? loc, url);
    loc2.searchParams.set("digest", b.digest);
    const put = await fetch(loc2, { method: "PUT", signal });
    await put.arrayBuffer();
    if (put.status !== 201) throw new Error(`PUT blob ${put.status}`);
  }
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: blobs[1]!.digest, size: config.length },
      layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar", digest: blobs[0]!.digest, size: layer.length }],
    }),
  );
  const m = await fetch(`${url}/v2/${repo}/manifests/${tag}`, {
    method: "PUT",
    body: new Uint8Array(manifest),
    headers: { "content-type": "application/vnd.oci.image.manifest.v1+json" },
    signal,
  });
  await m.arrayBuffer();
  if (m.status !== 201) throw new Error(`PUT manifest ${m.status}`);
  return { tag, digest: sha256(manifest), blobs };
}

/** Every acknowledged manifest of this trial: tag → same digest, each blob's bytes hash right. */
async function checkManifests(url: string, repo: string, pushed: Pushed[]): Promise<string[]> {
  const lost: string[] = [];
  for (const p of pushed) {
    const m = await fetch(`${url}/v2/${repo}/manifests/${p.tag}`, { headers: { accept: "application/vnd.oci.image.manifest.v1+json" } });
    const body = Buffer.from(await m.arrayBuffer());
    if (m.status !== 200 || sha256(body) !== p.digest) {
      lost.push(`manifest ${p.tag}: ${m.status}`);
      continue;
    }
    for (const b of p.blobs) {
      const r = await fetch(`${url}/v2/${repo}/blobs/${b.digest}`);
      const got = Buffer.from(await r.arrayBuffer());
      if (r.status !== 200 || sha256(got) !== b.digest) lost.push(`blob ${b.digest} of ${p.tag}: ${r.status}, ${got.length} bytes`);
    }
  }
  return lost;
}

async function checkClusters(ecs: ECSClient, names: string[]): Promise<string[]> {
  const lost: string[] = [];
  for (let i = 0; i < names.length; i += 100) {
    const batch = names.slice(i, i + 100);
    const r = await ecs.send(new DescribeClustersCommand({ clusters: batch }));
    const ok = new Set((r.clusters ?? []).filter((c) => c.status === "ACTIVE").map((c) => c.clusterName));
    for (const n of batch) if (!ok.has(n)) lost.push(`cluster ${n}`);
  }
  return lost;
}

const dataDir = mkdtempSync(join(tmpdir(), "slipway-crash-"));
const port = await freePort();
let current: Running | undefined;
const stopAll = async () => {
  if (current) await kill(current, "SIGTERM");
};
process.once("SIGINT", () => void stopAll().then(() => process.exit(130)));

interface TrialResult {
  killMs: number;
  acked: number;
  ackedManifests: number;
  lost: string[];
  converged: boolean;
  orphan: number;
  duplicate: number;
  ghost: number;
  restartMs: number;
  convergeMs: number;
  detail?: string;
}
const results: TrialResult[] = [];
const t00 = Date.now();

try {
  let s = await start(dataDir, port);
  current = s.proc;
  const instanceId = readFileSync(join(dataDir, "instance-id"), "utf8").trim();
  let ecs = ecsClient(current.url, 8);
  const cluster = "crash";
  await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
  const v1 = (await ecs.send(new RegisterTaskDefinitionCommand(taskDef("crash-web", "slipway-test/web:latest")))).taskDefinition!.taskDefinitionArn!;
  const v2 = (await ecs.send(new RegisterTaskDefinitionCommand(taskDef("crash-web", "slipway-test/web:v2")))).taskDefinition!.taskDefinitionArn!;
  await ecs.send(
    new CreateServiceCommand({
      cluster,
      serviceName: "web",
      taskDefinition: v1,
      desiredCount: 2,
      launchType: "EC2",
      deploymentConfiguration: { maximumPercent: 200, minimumHealthyPercent: 100 },
    }),
  );
  const ecr = new ECRClient({ endpoint: current.url, region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" }, maxAttempts: 1 });
  await ecr.send(new CreateRepositoryCommand({ repositoryName: "crash/app" }));
  ecr.destroy();
  let serviceTd = v1;

  const describe = async () => (await ecs.send(new DescribeServicesCommand({ cluster, services: ["web"] }))).services![0]!;
  const settled = async (allowed: Set<string>) => {
    const sv = await describe();
    const d = sv.deployments ?? [];
    return d.length === 1 && d[0]!.rolloutState === "COMPLETED" && sv.runningCount === 2 && sv.pendingCount === 0 && allowed.has(sv.taskDefinition!) ? sv : undefined;
  };
  if (!(await pollUntil(() => settled(new Set([v1])), 120_000))) throw new Error("the service never became stable before the first trial");

  for (let trial = 1; trial <= TRIALS; trial++) {
    const target = serviceTd === v1 ? v2 : v1;
    const abort = new AbortController();
    const ackedClusters: string[] = [];
    const pushed: Pushed[] = [];
    let stop = false;
    // The writer: CreateCluster, two in flight.
    const writer = async (lane: number) => {
      for (let i = 0; !stop; i++) {
        const name = `ack-${trial}-${lane}-${i}`;
        try {
          await ecs.send(new CreateClusterCommand({ clusterName: name }), { abortSignal: abort.signal });
          ackedClusters.push(name);
        } catch {
          return;
        }
      }
    };
    const pusher = async () => {
      for (let i = 0; !stop; i++) {
        try {
          pushed.push(await pushImage(current!.url, "crash/app", `t${trial}-${i}`, abort.signal));
        } catch {
          return;
        }
      }
    };
    let updateAcked = false;
    const update = ecs
      .send(new UpdateServiceCommand({ cluster, service: "web", taskDefinition: target }), { abortSignal: abort.signal })
      .then(() => (updateAcked = true))
      .catch(() => {});
    const lanes = [writer(0), writer(1), pusher()];
    const killMs = Math.floor(rand() * MAX_KILL_MS);
    await sleep(killMs);
    await kill(current, "SIGKILL");
    stop = true;
    abort.abort();
    await Promise.allSettled([update, ...lanes]);
    ecs.destroy();

    s = await start(dataDir, port);
    current = s.proc;
    ecs = ecsClient(current.url, 8);
    const r: TrialResult = {
      killMs,
      acked: ackedClusters.length + pushed.length,
      ackedManifests: pushed.length,
      lost: [],
      converged: false,
      orphan: 0,
      duplicate: 0,
      ghost: 0,
      restartMs: s.ms,
      convergeMs: NaN,
    };
    try {
      r.lost.push(...(await checkClusters(ecs, ackedClusters)));
      r.lost.push(...(await checkManifests(current.url, "crash/app", pushed)));
    } catch (e) {
      r.lost.push(`check failed: ${(e as Error).message}`);
    }
    // The update may or may not have landed if it was not acknowledged.
    const allowed = new Set(updateAcked ? [target] : [target, serviceTd]);
    const t0 = Date.now();
    const sv = await pollUntil(() => settled(allowed), 120_000, 250);
    r.converged = sv !== undefined;
    if (sv) {
      serviceTd = sv.taskDefinition!;
      r.convergeMs = Date.now() - t0;
      // Containers settle to exactly the RUNNING tasks (stopped tasks' containers are removed
      // just after they stop, so allow up to 30 s).
      let last = { orphan: 0, duplicate: 0, ghost: 0, detail: "" };
      const ok = await pollUntil(async () => {
        const tasks = new Set((await ecs.send(new ListTasksCommand({ cluster, serviceName: "web", desiredStatus: "RUNNING" }))).taskArns ?? []);
        const rows = await managedContainers(instanceId);
        const byTask = new Map<string, number>();
        for (const c of rows) byTask.set(c.taskArn, (byTask.get(c.taskArn) ?? 0) + 1);
        const orphan = rows.filter((c) => !tasks.has(c.taskArn)).length;
        const duplicate = [...byTask.values()].filter((n) => n > 1).length + Math.max(0, tasks.size - 2);
        const ghost = [...tasks].filter((t) => !rows.some((c) => c.taskArn === t && c.state === "running")).length;
        last = { orphan, duplicate, ghost, detail: JSON.stringify({ tasks: [...tasks], rows }) };
        return orphan + duplicate + ghost === 0 ? true : undefined;
      }, 30_000, 250);
      if (!ok) Object.assign(r, last);
    } else {
      serviceTd = (await describe().catch(() => undefined))?.taskDefinition ?? serviceTd;
      r.detail = JSON.stringify(await describe().catch((e) => String(e)));
    }
    results.push(r);
    const bad = r.lost.length || !r.converged || r.orphan || r.duplicate || r.ghost;
    console.error(
      `trial ${trial}: kill at ${killMs} ms, ${ackedClusters.length} clusters + ${pushed.length} manifests acknowledged, update ${updateAcked ? "acked" : "not acked"}, restart ${s.ms.toFixed(0)} ms, converged ${r.converged ? `${r.convergeMs} ms` : "NO"}${bad ? ` FAIL lost=${r.lost.length} orphan=${r.orphan} dup=${r.duplicate} ghost=${r.ghost} ${r.lost.slice(0, 3).join("; ")} ${r.detail ?? ""}` : ""}`,
    );
  }
  ecs.destroy();
} finally {
  await stopAll();
  await cleanDataDir(dataDir);
}

const sum = (f: (r: TrialResult) => number) => results.reduce((a, r) => a + f(r), 0);
console.log(`\nCrash trials: ${results.length} kill -9 of \`slipway up\` during rolling deployments with registry pushes and API writes in flight (seed ${values.seed}, ${((Date.now() - t00) / 60000).toFixed(1)} min)\n`);
console.log(
  table(
    ["trials", "acknowledged writes", "of them manifests", "lost", "not converged", "orphan", "duplicate", "ghost", "restart median ms", "converge median ms"],
    [
      [
        results.length,
        sum((r) => r.acked),
        sum((r) => r.ackedManifests),
        sum((r) => r.lost.length),
        results.filter((r) => !r.converged).length,
        sum((r) => r.orphan),
        sum((r) => r.duplicate),
        sum((r) => r.ghost),
        median(results.map((r) => r.restartMs)),
        median(results.filter((r) => r.converged).map((r) => r.convergeMs)),
      ],
    ],
  ),
);
