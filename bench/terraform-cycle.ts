/**
 * A full Terraform cycle (apply → plan -detailed-exitcode → destroy) of examples/terraform, Fargate
 * / awsvpc, against Slipway and against moto in the same run, side by side.
 *
 *   node bench/terraform-cycle.ts [--cycles 1] [--idle 30] [--order interleaved|grouped] [--keep] [--debug]
 *
 * Set-up: real terraform with hashicorp/aws from the offline filesystem mirror (/opt/tf-plugins, or
 * SLIPWAY_TF_PLUGIN_MIRROR), one working copy of examples/terraform per server (terraform init once,
 * not timed), variables as the e2e test passes them: endpoint, name, listener_port (a free loopback
 * port), launch_type FARGATE, network_mode awsvpc, image slipway-test/web:latest (a local tag: no
 * push, so the ECR repository stays empty). Slipway: `node bin/slipway.js up --port P --data-dir D`
 * (runs 2 real containers behind the ALB). moto: `moto_server -H 127.0.0.1 -p P` with
 * MOTO_IAM_LOAD_MANAGED_POLICIES=true (without it AttachRolePolicy of the AWS-managed
 * AmazonECSTaskExecutionRolePolicy fails); moto runs nothing: its service stays at 0 running.
 * Both servers stay up for the whole run.
 *
 * Per phase: wall time of the terraform command; the server's CPU time (utime+stime of its PID from
 * /proc/<pid>/stat, in CLK_TCK ticks) before and after; terraform's own CPU (this process's cutime +
 * cstime delta: terraform and the provider plugins it reaps); terraform exit code (plan with
 * -detailed-exitcode: 0 = no changes, 2 = changes/drift); the time to the first resource line
 * (Refreshing/Creating/Destroying...: provider start-ups before the first API call); the provider's
 * fixed waits as terraform reports them ("aws_lb.app: Creation complete after 1m0s", cluster 10 s).
 *
 * Idle CPU: each server's CPU over `--idle` seconds with nothing deployed, before the first cycle;
 * for Slipway also over `--idle` seconds with the stack deployed and its 2 tasks healthy (health
 * checks every 5 s, reconcilers), between plan and destroy. "net" server CPU = phase CPU − idle
 * rate × phase wall (empty-server rate for apply, deployed-stack rate for plan and destroy).
 *
 * Between plan and destroy (not timed): the ECS service's runningCount on each server, and for
 * Slipway a GET through the ALB listener until 2 distinct tasks answered.
 *
 * Output: tables on stdout, JSON with every sample in <workdir>/results.json; terraform's output in
 * <workdir>/<server>/terraform.log (the work dir is removed unless --keep or a step failed).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { appendFileSync, cpSync, globSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { DescribeServicesCommand } from "@aws-sdk/client-ecs";
import { ensureTestImages } from "../test/helpers/docker.ts";
import { albGet, terraformCliConfig } from "../test/helpers/terraform.ts";
import { cleanDataDir, instanceIdOf, managedContainers } from "../test/helpers/slipway-process.ts";
import { ecsClient, fmt, freePort, onExitStop, type Proc, ROOT, sleep, startMoto, startSlipwayProcess, table } from "./lib.ts";

const { values: opts } = parseArgs({
  options: {
    cycles: { type: "string", default: "1" },
    idle: { type: "string", default: "30" },
    order: { type: "string", default: "interleaved" },
    keep: { type: "boolean", default: false },
    debug: { type: "boolean", default: false },
    servers: { type: "string", default: "slipway,moto" },
  },
});
const CYCLES = Number(opts.cycles);
const SERVERS = opts.servers!.split(",") as ServerKey[];
const IDLE_S = Number(opts.idle);
const MIRROR = process.env.SLIPWAY_TF_PLUGIN_MIRROR ?? "/opt/tf-plugins";
const IMAGE = "slipway-test/web:latest";
const TICK = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
const TIMEOUT = { init: 120_000, apply: 400_000, plan: 180_000, destroy: 300_000 } as const;

const CLI_CONFIG = terraformCliConfig(MIRROR);

type ServerKey = "slipway" | "moto";
type Phase = "apply" | "plan" | "destroy";
const PHASES: Phase[] = ["apply", "plan", "destroy"];

interface PhaseSample {
  server: ServerKey;
  cycle: number;
  phase: Phase;
  wallS: number;
  code: number;
  serverCpuS: number;
  clientCpuS: number;
  firstResourceLineS: number;
  /** "resource: Creation complete after 1m0s" → seconds, per resource address. */
  completeAfter: Record<string, number>;
  driftLines?: string[];
}

/** utime+stime (own threads) of one PID, in seconds. */
function cpuOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[11]) + Number(f[12])) / TICK;
}

/** cutime+cstime of this process: CPU of the children it has reaped (terraform and what it reaped). */
function reapedChildrenCpu(): number {
  const stat = readFileSync("/proc/self/stat", "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(f[13]) + Number(f[14])) / TICK;
}

function parseDuration(s: string): number {
  let total = 0;
  for (const m of s.matchAll(/(\d+)(h|m|s)/g)) total += Number(m[1]) * (m[2] === "h" ? 3600 : m[2] === "m" ? 60 : 1);
  return total;
}

class Stack {
  readonly dir: string;
  readonly stackDir: string;
  readonly log: string;
  readonly name: string;
  readonly key: ServerKey;
  readonly proc: Proc;
  readonly listenerPort: number;

  constructor(root: string, key: ServerKey, proc: Proc, listenerPort: number) {
    this.key = key;
    this.proc = proc;
    this.listenerPort = listenerPort;
    this.dir = join(root, key);
    this.stackDir = join(this.dir, "stack");
    this.log = join(this.dir, "terraform.log");
    this.name = `bench-tf-${key}`;
    mkdirSync(this.dir, { recursive: true });
    cpSync(join(ROOT, "examples", "terraform"), this.stackDir, { recursive: true, filter: (src) => !/(\.terraform|tfstate)/.test(src) });
    writeFileSync(join(this.dir, "terraformrc"), CLI_CONFIG);
    writeFileSync(
      join(this.stackDir, "bench.auto.tfvars.json"),
      JSON.stringify({ endpoint: proc.url, name: this.name, listener_port: listenerPort, launch_type: "FARGATE", network_mode: "awsvpc", image: IMAGE }, null, 2),
    );
  }

  /** Runs terraform; resolves with exit code, output, and the arrival time (s from start) of each output line. */
  terraform(args: string[], timeoutMs: number): Promise<{ code: number; out: string; lines: [number, string][]; wallS: number }> {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("AWS_") && !k.startsWith("TF_") && !k.startsWith("MOTO_")) env[k] = v;
    Object.assign(env, {
      TF_CLI_CONFIG_FILE: join(this.dir, "terraformrc"),
      TF_IN_AUTOMATION: "1",
      TF_INPUT: "0",
      CHECKPOINT_DISABLE: "1",
      AWS_CONFIG_FILE: "/dev/null",
      AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    });
    if (opts.debug) Object.assign(env, { TF_LOG: "DEBUG", TF_LOG_PATH: join(this.dir, "terraform-debug.log") });
    appendFileSync(this.log, `\n$ terraform ${args.join(" ")}   # ${new Date().toISOString()}\n`);
    return new Promise((resolve, reject) => {
      const t0 = process.hrtime.bigint();
      const since = () => Number(process.hrtime.bigint() - t0) / 1e9;
      const child: ChildProcess = spawn("terraform", [...args, "-no-color"], { cwd: this.stackDir, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      let partial = "";
      const lines: [number, string][] = [];
      const onData = (chunk: Buffer) => {
        const s = chunk.toString();
        out += s;
        const parts = (partial + s).split("\n");
        partial = parts.pop()!;
        const t = since();
        for (const l of parts) lines.push([t, l]);
        // Each complete line with its arrival time (s since the command started).
        if (parts.length) appendFileSync(this.log, parts.map((l) => `${t.toFixed(2).padStart(7)} ${l}\n`).join(""));
      };
      child.stdout!.on("data", onData);
      child.stderr!.on("data", onData);
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        try {
          process.kill(-child.pid!, "SIGTERM");
        } catch {}
      }, timeoutMs);
      child.once("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.once("close", (code) => {
        const wallS = since();
        clearTimeout(timer);
        if (partial) {
          lines.push([wallS, partial]);
          appendFileSync(this.log, `${wallS.toFixed(2).padStart(7)} ${partial}\n`);
        }
        appendFileSync(this.log, `${wallS.toFixed(2).padStart(7)} (exit ${code})\n`);
        if (timedOut) reject(new Error(`terraform ${args[0]} (${this.key}) timed out after ${timeoutMs / 1000} s; see ${this.log}`));
        else resolve({ code: code ?? -1, out, lines, wallS });
      });
    });
  }

  async phase(phase: Phase, cycle: number): Promise<PhaseSample> {
    const args =
      phase === "apply"
        ? ["apply", "-auto-approve", "-input=false", "-parallelism=10"]
        : phase === "plan"
          ? ["plan", "-detailed-exitcode", "-input=false", "-parallelism=10"]
          : ["destroy", "-auto-approve", "-input=false", "-parallelism=10"];
    const s0 = cpuOf(this.proc.pid);
    const c0 = reapedChildrenCpu();
    const r = await this.terraform(args, TIMEOUT[phase]);
    const s1 = cpuOf(this.proc.pid);
    const c1 = reapedChildrenCpu();
    const ok = phase === "plan" ? r.code === 0 || r.code === 2 : r.code === 0;
    if (!ok) throw new Error(`terraform ${phase} against ${this.key} exited ${r.code}; see ${this.log}\n${r.out.split("\n").slice(-30).join("\n")}`);
    const first = r.lines.find(([, l]) => /: (Refreshing state|Reading|Creating|Destroying|Modifying)\.\.\./.test(l));
    const completeAfter: Record<string, number> = {};
    for (const [, l] of r.lines) {
      const m = /^(\S+): (?:Creation|Destruction|Modifications|Read) complete after (\S+)/.exec(l);
      if (m) completeAfter[m[1]!] = parseDuration(m[2]!);
    }
    const sample: PhaseSample = {
      server: this.key,
      cycle,
      phase,
      wallS: r.wallS,
      code: r.code,
      serverCpuS: s1 - s0,
      clientCpuS: c1 - c0,
      firstResourceLineS: first ? first[0] : NaN,
      completeAfter,
    };
    if (phase === "plan") sample.driftLines = r.out.split("\n").filter((l) => /^\s+[~+-] |->|will be|must be|Plan:/.test(l)).slice(0, 20);
    return sample;
  }

  async outputs(): Promise<Record<string, string>> {
    const r = await this.terraform(["output", "-json"], 60_000);
    const raw = JSON.parse(r.out) as Record<string, { value: string }>;
    return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, v.value]));
  }
}


/** Distinct hostnames answering through the ALB (up to 90 s). */
async function albHosts(dnsName: string, port: number, want: number): Promise<{ hosts: number; afterS: number }> {
  const t0 = Date.now();
  let best = 0;
  while (Date.now() - t0 < 90_000) {
    const hosts = new Set<string>();
    for (let i = 0; i < 8; i++) {
      try {
        const r = await albGet(dnsName, port);
        if (r.status === 200) hosts.add(r.body.split("\n")[0]!);
      } catch {}
    }
    best = Math.max(best, hosts.size);
    if (hosts.size >= want) break;
    await sleep(500);
  }
  return { hosts: best, afterS: (Date.now() - t0) / 1000 };
}

async function runningCount(s: Stack): Promise<{ running: number; pending: number; desired: number }> {
  const client = ecsClient(s.proc.url, 4);
  try {
    const r = await client.send(new DescribeServicesCommand({ cluster: `${s.name}-cluster`, services: [`${s.name}-svc`] }));
    const svc = r.services?.[0];
    return { running: svc?.runningCount ?? -1, pending: svc?.pendingCount ?? -1, desired: svc?.desiredCount ?? -1 };
  } finally {
    client.destroy();
  }
}

/** CPU rate (s per s) of each PID over `seconds` of doing nothing. */
async function idleRate(pids: number[], seconds: number): Promise<number[]> {
  const c0 = pids.map(cpuOf);
  const t0 = process.hrtime.bigint();
  await sleep(seconds * 1000);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  return pids.map((p, i) => (cpuOf(p) - c0[i]!) / wall);
}

// ------------------------------------------------------------------------------------------------

const providers = globSync(join(MIRROR, "registry.terraform.io", "hashicorp", "aws", "*", "*", "terraform-provider-aws*"));
if (!providers.length) throw new Error(`no hashicorp/aws provider in ${MIRROR}`);
await ensureTestImages();

const root = mkdtempSync(join(tmpdir(), "slipway-bench-tf-"));
const procs: Proc[] = [];
onExitStop(() => procs);
let failed = false;
const samples: PhaseSample[] = [];
const extra: Record<string, unknown>[] = [];
let slipwayDataDir = "";
try {
  slipwayDataDir = join(root, "slipway-data");
  const slipway = await startSlipwayProcess({ dataDir: slipwayDataDir });
  procs.push(slipway);
  process.env.MOTO_IAM_LOAD_MANAGED_POLICIES = "true";
  const moto = await startMoto();
  procs.push(moto);
  delete process.env.MOTO_IAM_LOAD_MANAGED_POLICIES;
  const stacks: Record<ServerKey, Stack> = {
    slipway: new Stack(root, "slipway", slipway, await freePort()),
    moto: new Stack(root, "moto", moto, await freePort()),
  };
  for (const s of Object.values(stacks)) {
    const r = await s.terraform(["init", "-input=false"], TIMEOUT.init);
    if (r.code !== 0) throw new Error(`terraform init (${s.key}) exited ${r.code}: ${r.out}`);
  }
  console.log(`# work dir ${root}; slipway pid ${slipway.pid} ${slipway.url}, moto pid ${moto.pid} ${moto.url}; CLK_TCK ${TICK}`);

  const [slipIdle, motoIdle] = await idleRate([slipway.pid, moto.pid], IDLE_S);
  console.log(`# idle CPU over ${IDLE_S} s, nothing deployed: slipway ${fmt(slipIdle! * 1000)} ms/s, moto ${fmt(motoIdle! * 1000)} ms/s`);
  const stackIdle: number[] = [];

  const order: ServerKey[][] = [];
  for (let c = 0; c < CYCLES; c++) order.push(SERVERS);
  const schedule: [ServerKey, number][] =
    opts.order === "grouped"
      ? SERVERS.flatMap((k) => order.map((_, c) => [k, c + 1] as [ServerKey, number]))
      : order.flatMap((pair, c) => pair.map((k) => [k, c + 1] as [ServerKey, number]));

  for (const [key, cycle] of schedule) {
    const s = stacks[key];
    const apply = await s.phase("apply", cycle);
    samples.push(apply);
    const afterApply = await runningCount(s);
    console.log(`# ${key} #${cycle} apply ${fmt(apply.wallS)} s, server CPU ${fmt(apply.serverCpuS)} s; service right after apply: ${JSON.stringify(afterApply)}`);
    const plan = await s.phase("plan", cycle);
    samples.push(plan);
    console.log(`# ${key} #${cycle} plan ${fmt(plan.wallS)} s, exit ${plan.code}, server CPU ${fmt(plan.serverCpuS)} s${plan.code === 2 ? `; changes:\n#   ${plan.driftLines!.join("\n#   ")}` : ""}`);
    // Not timed: is anything running behind the ALB?
    const afterPlan = await runningCount(s);
    const info: Record<string, unknown> = { server: key, cycle, afterApply, afterPlan };
    if (key === "slipway") {
      const out = await s.outputs();
      const alb = await albHosts(out.alb_dns_name!, s.listenerPort, 2);
      const containers = (await managedContainers(instanceIdOf(slipwayDataDir))).filter((c) => c.state === "running").length;
      Object.assign(info, { albDnsName: out.alb_dns_name, albDistinctHosts: alb.hosts, albWaitS: alb.afterS, runningContainers: containers, afterAlb: await runningCount(s) });
      const [rate] = await idleRate([slipway.pid], IDLE_S);
      stackIdle.push(rate!);
      info.stackIdleMsPerS = rate! * 1000;
    }
    console.log(`# ${key} #${cycle} between plan and destroy: ${JSON.stringify(info)}`);
    extra.push(info);
    const destroy = await s.phase("destroy", cycle);
    samples.push(destroy);
    console.log(`# ${key} #${cycle} destroy ${fmt(destroy.wallS)} s, server CPU ${fmt(destroy.serverCpuS)} s`);
    if (key === "slipway") {
      await sleep(2000);
      const left = (await managedContainers(instanceIdOf(slipwayDataDir))).filter((c) => c.state === "running").length;
      info.runningContainersAfterDestroy = left;
    }
  }

  // ---------------------------------------------------------------------------------------------
  const stackIdleRate = stackIdle.length ? stackIdle.reduce((a, b) => a + b, 0) / stackIdle.length : slipIdle!;
  const idleFor = (key: ServerKey, phase: Phase) => (key === "moto" ? motoIdle! : phase === "apply" ? slipIdle! : stackIdleRate);
  const net = (x: PhaseSample) => x.serverCpuS - idleFor(x.server, x.phase) * x.wallS;

  const rows: (string | number)[][] = [];
  for (let c = 1; c <= CYCLES; c++) {
    for (const phase of PHASES) {
      const sl = samples.find((x) => x.server === "slipway" && x.cycle === c && x.phase === phase);
      const mo = samples.find((x) => x.server === "moto" && x.cycle === c && x.phase === phase);
      if (!sl || !mo) continue;
      rows.push([
        c,
        phase,
        fmt(sl.wallS),
        fmt(mo.wallS),
        fmt(sl.wallS / mo.wallS),
        fmt(sl.serverCpuS),
        fmt(net(sl)),
        fmt(mo.serverCpuS),
        fmt(sl.clientCpuS),
        fmt(mo.clientCpuS),
        fmt(sl.firstResourceLineS),
        fmt(mo.firstResourceLineS),
        phase === "plan" ? `${sl.code} / ${mo.code}` : "",
      ]);
    }
    const sum = (k: ServerKey, f: (x: PhaseSample) => number) => samples.filter((x) => x.server === k && x.cycle === c).reduce((a, x) => a + f(x), 0);
    rows.push([
      c,
      "cycle",
      fmt(sum("slipway", (x) => x.wallS)),
      fmt(sum("moto", (x) => x.wallS)),
      fmt(sum("slipway", (x) => x.wallS) / sum("moto", (x) => x.wallS)),
      fmt(sum("slipway", (x) => x.serverCpuS)),
      fmt(sum("slipway", net)),
      fmt(sum("moto", (x) => x.serverCpuS)),
      fmt(sum("slipway", (x) => x.clientCpuS)),
      fmt(sum("moto", (x) => x.clientCpuS)),
      "",
      "",
      "",
    ]);
  }
  console.log("\nWall time and server CPU per phase (s)\n");
  console.log(
    table(
      ["cycle", "phase", "wall slipway", "wall moto", "slipway/moto", "CPU slipway", "CPU slipway net", "CPU moto", "terraform CPU (sl)", "terraform CPU (moto)", "1st resource line sl", "1st resource line moto", "plan exit sl / moto"],
      rows,
    ),
  );
  console.log(`\nidle CPU: slipway empty ${fmt(slipIdle! * 1000)} ms/s, slipway with the stack deployed ${stackIdle.map((r) => fmt(r * 1000)).join(", ")} ms/s, moto ${fmt(motoIdle! * 1000)} ms/s`);

  console.log("\nProvider-reported durations (\"… complete after\"), s\n");
  const waitRows: (string | number)[][] = [];
  for (const x of samples.filter((x) => x.phase !== "plan")) {
    const top = Object.entries(x.completeAfter)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 4)
      .map(([r, s]) => `${r} ${s}`)
      .join(", ");
    waitRows.push([x.server, x.cycle, x.phase, top]);
  }
  console.log(table(["server", "cycle", "phase", "longest resources"], waitRows));

  writeFileSync(
    join(root, "results.json"),
    JSON.stringify({ date: new Date().toISOString(), clkTck: TICK, idleS: IDLE_S, idle: { slipwayEmpty: slipIdle, slipwayStack: stackIdle, moto: motoIdle }, samples, extra }, null, 2),
  );
  console.log(`\nresults: ${join(root, "results.json")}`);
} catch (err) {
  failed = true;
  console.error(err);
  // Best effort: remove what the failed cycle left (listeners, containers).
  process.exitCode = 1;
} finally {
  for (const p of procs) await p.stop();
  if (slipwayDataDir) await cleanDataDir(slipwayDataDir).catch(() => undefined);
  if (!opts.keep && !failed) rmSync(root, { recursive: true, force: true });
  else console.log(`# kept ${root}`);
}
