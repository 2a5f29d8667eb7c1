/**
 * Metrics benchmarks, each side by side in one run:
 *
 *   store  PutMetricData ingest (series × minutes of 1-minute data, 1000 datums per call, 4 calls
 *          in flight) and GetMetricData latency (one series over the day; 50 series over the day)
 *          against `slipway up` and `moto_server`, raw JSON 1.0 requests (what the SDKs send).
 *   alb    ALB data-plane throughput with metrics counting on and off: wrk through two Slipway
 *          DataPlanes (one counting, one not) in front of the same nginx backends, alternating rounds.
 *   counters  the counting code path alone, in ns per request (what the alb part cannot resolve
 *          on a noisy machine).
 *   rss    RSS of an in-process Slipway (FakeRuntime, ManualClock) publishing the platform's
 *          metrics for 100 running tasks (Container Insights on) every simulated minute for 24 h.
 *
 *   node --expose-gc bench/metrics.ts [--part store|alb|counters|rss|all] [--series 1000] [--minutes 1440]
 *        [--duration 10] [--rounds 3] [--connections 50] [--tasks 100] [--hours 24]
 *
 * Every process is started here and ended by its PID.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { freePort, median, onExitStop, type Proc, rssKiB, sleep, startMoto, startSlipwayProcess, table } from "./lib.ts";

const { values: args } = parseArgs({
  options: {
    part: { type: "string", default: "all" },
    series: { type: "string", default: "1000" },
    minutes: { type: "string", default: "1440" },
    duration: { type: "string", default: "10" },
    rounds: { type: "string", default: "3" },
    connections: { type: "string", default: "50" },
    tasks: { type: "string", default: "100" },
    hours: { type: "string", default: "24" },
    serve: { type: "string" },
  },
});

// ---------------------------------------------------------------- store: ingest + GetMetricData

const agent = new Agent({ keepAlive: true, maxSockets: 8 });

function call(url: string, op: string, body: unknown, timeoutMs = 600_000): Promise<{ status: number; text: string }> {
  const payload = Buffer.from(JSON.stringify(body));
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        method: "POST",
        path: "/",
        agent,
        headers: {
          "content-type": "application/x-amz-json-1.0",
          "x-amz-target": `GraniteServiceVersion20100801.${op}`,
          "x-amzn-query-mode": "true",
          "content-length": payload.length,
          authorization: "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/monitoring/aws4_request, SignedHeaders=host, Signature=0",
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`timed out after ${timeoutMs / 1000} s`)));
    req.on("error", reject);
    req.end(payload);
  });
}

async function ingest(url: string, series: number, minutes: number, end: number): Promise<number> {
  const t0 = performance.now();
  let next = 0;
  const worker = async () => {
    for (;;) {
      const m = next++;
      if (m >= minutes) return;
      const ts = end / 1000 - (minutes - m) * 60;
      for (let first = 0; first < series; first += 1000) {
        const data = [];
        for (let i = first; i < Math.min(series, first + 1000); i++) {
          data.push({ MetricName: "Latency", Dimensions: [{ Name: "Series", Value: `s${i}` }], Timestamp: ts, Value: (i * 7 + m) % 100, Unit: "Milliseconds" });
        }
        const r = await call(url, "PutMetricData", { Namespace: "Bench", MetricData: data });
        if (r.status !== 200) throw new Error(`PutMetricData ${r.status}: ${r.text.slice(0, 300)}`);
      }
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
  return (series * minutes) / ((performance.now() - t0) / 1000);
}

async function gmd(url: string, n: number, end: number, timeoutMs = 600_000): Promise<{ ms: number; points: number }> {
  const queries = Array.from({ length: n }, (_, i) => ({
    Id: `m${i}`,
    MetricStat: { Metric: { Namespace: "Bench", MetricName: "Latency", Dimensions: [{ Name: "Series", Value: `s${i}` }] }, Period: 60, Stat: "Average" },
  }));
  const t0 = performance.now();
  const r = await call(url, "GetMetricData", { MetricDataQueries: queries, StartTime: end / 1000 - 86400, EndTime: end / 1000, MaxDatapoints: 100800 }, timeoutMs);
  const ms = performance.now() - t0;
  if (r.status !== 200) throw new Error(`GetMetricData ${r.status}: ${r.text.slice(0, 300)}`);
  const out = JSON.parse(r.text) as { MetricDataResults: { Values: number[] }[] };
  return { ms, points: out.MetricDataResults.reduce((a, x) => a + x.Values.length, 0) };
}

async function storePart(): Promise<void> {
  const series = Number(args.series);
  const minutes = Number(args.minutes);
  const procs: Proc[] = [];
  onExitStop(() => procs);
  const slipway = await startSlipwayProcess();
  procs.push(slipway);
  const moto = await startMoto();
  procs.push(moto);
  const end = Math.floor(Date.now() / 60_000) * 60_000;
  const rows: (string | number)[][] = [];
  const results: Record<string, { rate: number; one: number; fifty: number; points1: number; points50: number; rss: number }> = {};
  try {
    for (const [name, p] of [["slipway", slipway], ["moto", moto]] as const) {
      console.error(`# ${name}: ingesting ${series} series × ${minutes} minutes`);
      const rate = await ingest(p.url, series, minutes, end);
      // moto scans every stored datapoint per query: fewer repetitions, and a time limit.
      const reps = name === "moto" ? 1 : 5;
      const limit = 180_000;
      const one: number[] = [];
      const fifty: number[] = [];
      let points1 = 0;
      let points50 = 0;
      for (let i = 0; i < reps; i++) {
        const a = await gmd(p.url, 1, end, limit).catch(() => ({ ms: Number.POSITIVE_INFINITY, points: 0 }));
        one.push(a.ms);
        points1 = a.points;
        const b = await gmd(p.url, 50, end, limit).catch(() => ({ ms: Number.POSITIVE_INFINITY, points: 0 }));
        fifty.push(b.ms);
        points50 = b.points;
      }
      results[name] = { rate, one: median(one), fifty: median(fifty), points1, points50, rss: rssKiB(p.pid) / 1024 };
    }
    for (const [name, r] of Object.entries(results)) {
      rows.push([name, Math.round(r.rate), r.one, `${r.points1}`, r.fifty, `${r.points50}`, r.rss]);
    }
    console.log(`\nPutMetricData ingest and GetMetricData latency, ${series} series × ${minutes} one-minute datapoints`);
    console.log(table(["server", "ingest datapoints/s", "GMD 1 series ms", "points", "GMD 50 series ms", "points", "RSS MiB after"], rows));
    console.log("(GetMetricData: median of 5 calls for slipway, 1 call for moto, 180 s limit: Infinity = not answered in time)");
    const s = results.slipway!;
    const m = results.moto!;
    console.log(`ratios (slipway / moto): ingest ${(s.rate / m.rate).toFixed(2)}×, GMD 1 series ${(m.one / s.one).toFixed(2)}× faster, GMD 50 series ${(m.fifty / s.fifty).toFixed(2)}× faster`);
  } finally {
    for (const p of procs) await p.stop();
  }
}

// ---------------------------------------------------------------- alb: counting on vs off

async function serveDataPlane(spec: string): Promise<void> {
  const { DataPlane } = await import("../src/proxy/data-plane.ts");
  const { TrafficCounters } = await import("../src/proxy/traffic-counters.ts");
  const [listenPort, countingFlag, ...backends] = spec.split(",").map(Number);
  const health = { get: () => ({ state: "healthy" as const }), onChange: () => () => {} };
  const counters = new TrafficCounters();
  counters.enabled = countingFlag === 1;
  const dp = new DataPlane({ health, observer: counters });
  const lb = "arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/bench/0123456789abcdef";
  const tg = {
    arn: "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/bench/0123456789abcdef",
    protocol: "HTTP" as const,
    port: 80,
    targetType: "ip" as const,
    healthCheck: { enabled: true, protocol: "HTTP" as const, port: "traffic-port" as const, path: "/", intervalSeconds: 30, timeoutSeconds: 5, healthyThreshold: 5, unhealthyThreshold: 2, matcher: "200" },
    algorithm: "round_robin" as const,
    slowStartSeconds: 0,
    deregistrationDelaySeconds: 300,
    stickiness: { enabled: false, type: "lb_cookie" as const, durationSeconds: 86400 },
    targets: backends.map((p, i) => ({ id: `10.0.0.${i + 1}`, port: p!, address: "127.0.0.1", draining: false, registeredAt: 0 })),
    inUse: true,
  };
  dp.apply({
    listeners: new Map([
      [
        80,
        {
          listenerArn: "listener/bench",
          loadBalancerArn: lb,
          port: 80,
          hostPort: listenPort!,
          protocol: "HTTP",
          idleTimeoutSeconds: 60,
          xffMode: "append",
          xffClientPort: false,
          preserveHostHeader: false,
          rules: [{ ruleArn: "default", priority: "default", conditions: [], action: { type: "forward", targetGroups: [{ arn: tg.arn, weight: 1 }] } }],
        },
      ],
    ]),
    targetGroups: new Map([[tg.arn, tg]]),
  } as never);
  await dp.ready();
  // The publisher drains once a minute in Slipway; here as often, so the maps stay as small.
  setInterval(() => counters.drain(), 60_000).unref();
  console.log(`ready ${dp.boundPort("listener/bench")}`);
  process.on("SIGTERM", () => void dp.close().then(() => process.exit(0)));
}

function spawnReady(cmd: string, argv: string[], ready: RegExp | undefined, children: ChildProcess[]): Promise<ChildProcess> {
  const child = spawn(cmd, argv, { stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = "";
    const on = (d: Buffer) => {
      out += d.toString();
      if (ready?.test(out)) resolve(child);
    };
    child.stdout!.on("data", on);
    child.stderr!.on("data", on);
    child.once("exit", (code) => reject(new Error(`${cmd} exited (${code}):\n${out}`)));
    if (!ready) resolve(child);
  });
}

function wrk(port: number, seconds: number): { rps: number; p99: string; errors: string } {
  const out = execFileSync("wrk", ["-t2", `-c${args.connections}`, `-d${seconds}s`, "--latency", `http://127.0.0.1:${port}/`], { encoding: "utf8" });
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? Number.NaN),
    p99: /\s99%\s+(\S+)/.exec(out)?.[1] ?? "",
    errors: [/Socket errors:.*/.exec(out)?.[0], /Non-2xx.*/.exec(out)?.[0]].filter(Boolean).join("; "),
  };
}

async function albPart(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "slipway-metrics-bench-"));
  const children: ChildProcess[] = [];
  const stop = async () => {
    for (const c of children.reverse()) if (c.exitCode === null && c.pid) process.kill(c.pid, "SIGTERM");
    await sleep(300);
  };
  process.once("SIGINT", () => void stop().then(() => process.exit(130)));
  try {
    const [b1, b2, off, on] = [await freePort(), await freePort(), await freePort(), await freePort()];
    writeFileSync(
      join(dir, "backends.conf"),
      `worker_processes 1; pid ${dir}/b.pid; error_log ${dir}/b.err.log; ${process.getuid?.() === 0 ? "user root;" : ""}
events { worker_connections 8192; }
http { access_log off; ${["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((t) => `${t}_temp_path ${dir}/${t};`).join(" ")} keepalive_requests 1000000;
  server { listen 127.0.0.1:${b1}; location / { return 200 "ok from 1\\n"; } }
  server { listen 127.0.0.1:${b2}; location / { return 200 "ok from 2\\n"; } } }`,
    );
    await spawnReady("nginx", ["-c", join(dir, "backends.conf"), "-g", "daemon off;"], undefined, children);
    await sleep(300);
    const self = new URL(import.meta.url).pathname;
    await spawnReady(process.execPath, [self, "--serve", `${off},0,${b1},${b2}`], /ready \d+/, children);
    await spawnReady(process.execPath, [self, "--serve", `${on},1,${b1},${b2}`], /ready \d+/, children);
    const seconds = Number(args.duration);
    wrk(off, 2);
    wrk(on, 2);
    const offRps: number[] = [];
    const onRps: number[] = [];
    const rows: (string | number)[][] = [];
    for (let r = 0; r < Number(args.rounds); r++) {
      // Alternate which goes first, so neither always runs on a warmer machine.
      const order = r % 2 === 0 ? [["off", off], ["on", on]] : [["on", on], ["off", off]];
      for (const [name, port] of order as [string, number][]) {
        const w = wrk(port, seconds);
        (name === "on" ? onRps : offRps).push(w.rps);
        rows.push([`round ${r + 1}`, name, Math.round(w.rps), w.p99, w.errors || "-"]);
      }
    }
    console.log(`\nALB data plane with metrics counting off vs on (wrk -t2 -c${args.connections} -d${seconds}s, 2 nginx backends)`);
    console.log(table(["round", "counting", "requests/s", "p99", "errors"], rows));
    const mOff = median(offRps);
    const mOn = median(onRps);
    console.log(`median requests/s: off ${Math.round(mOff)}, on ${Math.round(mOn)}; change ${(((mOn - mOff) / mOff) * 100).toFixed(1)} %`);
  } finally {
    await stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The counting itself, in isolation: what the data plane adds per forwarded request (two counter
 * look-ups, the counters record, two monotonic clock reads, the response-time histogram), in ns.
 */
async function countersPart(): Promise<void> {
  const { TrafficCounters } = await import("../src/proxy/traffic-counters.ts");
  const { monotonicMs } = await import("../src/core/clock.ts");
  const counters = new TrafficCounters();
  const lb = "arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/bench/0123456789abcdef";
  const tg = "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/bench/0123456789abcdef";
  const n = 5_000_000;
  const rounds: number[] = [];
  let sink = 0;
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      const c = counters.targetGroup(lb, tg);
      c.requests++;
      const measured = { lb: counters.loadBalancer(lb), tg: c, startedAt: monotonicMs() };
      measured.tg.response(200, (monotonicMs() - measured.startedAt) / 1000);
      sink += measured.startedAt > 0 ? 1 : 0;
    }
    rounds.push(((performance.now() - t0) * 1e6) / n);
    counters.drain();
  }
  console.log(`\nCounting cost per forwarded request, in process (median of 5 × ${n / 1e6} M): ${median(rounds).toFixed(0)} ns (${sink > 0 ? "ok" : ""})`);
}

// ---------------------------------------------------------------- rss: 24 h of simulated minutes

async function rssPart(): Promise<void> {
  const { ManualClock } = await import("../src/core/clock.ts");
  const { seededIds } = await import("../src/core/ids.ts");
  const { FakeRuntime } = await import("../src/runtime/fake-runtime.ts");
  const { startSlipway } = await import("../src/server/slipway.ts");
  const clock = new ManualClock(Math.floor(Date.now() / 60_000) * 60_000);
  const rt = new FakeRuntime({ clock, cpus: 64, memoryBytes: 256 * 1024 ** 3 });
  rt.addImage("web:1");
  const dir = mkdtempSync(join(tmpdir(), "slipway-rss-bench-"));
  const s = await startSlipway({ port: 0, dataDir: dir, runtime: rt, clock, ids: seededIds("rss"), log: () => {} });
  const scope = { accountId: "000000000000", region: "us-east-1", principalArn: "arn:aws:iam::000000000000:root" };
  try {
    s.ecs.clusters.create(scope, { clusterName: "bench", settings: [{ name: "containerInsights", value: "enabled" }] });
    const tasks = Number(args.tasks);
    const services = Math.max(1, Math.round(tasks / 10));
    const td = await (await fetch(`${s.url}/`, {
      method: "POST",
      headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": "AmazonEC2ContainerServiceV20141113.RegisterTaskDefinition" },
      body: JSON.stringify({ family: "web", cpu: "256", memory: "512", containerDefinitions: [{ name: "web", image: "web:1" }] }),
    })).json() as { taskDefinition: { taskDefinitionArn: string } };
    for (let i = 0; i < services; i++) {
      const r = await fetch(`${s.url}/`, {
        method: "POST",
        headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": "AmazonEC2ContainerServiceV20141113.CreateService" },
        body: JSON.stringify({ cluster: "bench", serviceName: `svc${i}`, taskDefinition: td.taskDefinition.taskDefinitionArn, desiredCount: Math.round(tasks / services) }),
      });
      if (r.status !== 200) throw new Error(await r.text());
    }
    for (let i = 0; i < 20; i++) {
      await s.idle();
      await sleep(10);
    }
    const containers = (await rt.list({})).filter((c) => c.status === "running");
    console.error(`# ${containers.length} running containers`);
    const hours = Number(args.hours);
    const rows: (string | number)[][] = [];
    const gc = (globalThis as { gc?: () => void }).gc;
    const t0 = performance.now();
    for (let minute = 1; minute <= hours * 60; minute++) {
      for (const c of containers) rt.setUsage(c.id, { cpuCores: 0.05 + ((minute + c.id.charCodeAt(0)) % 10) / 100, memoryBytes: (100 + (minute % 50)) * 1024 * 1024 });
      clock.advance(60_000);
      await s.metricsMinute();
      if (minute % 120 === 0 || minute === 10) {
        gc?.();
        const mem = process.memoryUsage();
        rows.push([
          `${(minute / 60).toFixed(1)} h`,
          Math.round(mem.rss / 1024 / 1024),
          Math.round(mem.heapUsed / 1024 / 1024),
          Math.round(mem.external / 1024 / 1024),
          Math.round((performance.now() - t0) / 1000),
        ]);
      }
    }
    console.log(`\nRSS of an in-process Slipway publishing metrics for ${containers.length} tasks (Container Insights on), one simulated minute at a time`);
    console.log(table(["simulated time", "RSS MiB", "heap used MiB", "external MiB", "wall s"], rows));
  } finally {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (args.serve) await serveDataPlane(args.serve);
else {
  console.log(`# machine: ${execFileSync("nproc", { encoding: "utf8" }).trim()} cores; node ${process.version}; ${new Date().toISOString()}`);
  const part = args.part;
  if (part === "store" || part === "all") await storePart();
  if (part === "alb" || part === "all") await albPart();
  if (part === "counters" || part === "all") await countersPart();
  if (part === "rss" || part === "all") await rssPart();
}
