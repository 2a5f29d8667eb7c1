/**
 * ALB data plane throughput: wrk (50 connections, ~10 s) through Slipway's DataPlane, HAProxy and
 * nginx, all in front of the same 2 backends (nginx static `return 200`), side by side in one run.
 * Prints requests/s, p50, p99 and the ratio to HAProxy. Every process is started here and ended by
 * its PID. Needs `wrk`, `haproxy` and `nginx` on PATH (apt-get install -y wrk haproxy nginx).
 *
 *   node bench/proxy-throughput.ts [--duration 10] [--rounds 2] [--connections 50] [--wrk-threads 2] [--proxy-threads 1]
 *
 * `--proxy-threads` sets HAProxy nbthread and nginx worker_processes (default 1: the Slipway data
 * plane is one Node.js event loop, so the comparison is one core against one core).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { freePort, sleep, table } from "./lib.ts";

const { values: args } = parseArgs({
  options: {
    duration: { type: "string", default: "10" },
    connections: { type: "string", default: "50" },
    "proxy-threads": { type: "string", default: "1" },
    "wrk-threads": { type: "string", default: "2" },
    rounds: { type: "string", default: "2" },
    serve: { type: "string" }, // internal: run the Slipway data plane in this process
  },
});

/** Child mode: a DataPlane forwarding to the given backend ports, all targets healthy. */
async function serveDataPlane(spec: string): Promise<void> {
  const { DataPlane } = await import("../src/proxy/data-plane.ts");
  const [listenPort, ...backends] = spec.split(",").map(Number);
  const health = { get: () => ({ state: "healthy" as const }), onChange: () => () => {} };
  const dp = new DataPlane({ health, preferredPort: () => listenPort! });
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
        "listener/bench",
        {
          listenerArn: "listener/bench",
          loadBalancerArn: "lb/bench",
          port: 80,
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
  });
  await dp.ready();
  const bound = dp.boundPort("listener/bench");
  if (bound === undefined) throw new Error(`data plane could not bind 127.0.0.1:${listenPort}`);
  console.log(`ready ${bound}`);
  process.on("SIGTERM", () => void dp.close().then(() => process.exit(0)));
}

interface Started {
  readonly name: string;
  readonly child: ChildProcess;
}

function start(name: string, cmd: string, argv: string[], ready?: RegExp): Promise<Started> {
  const child = spawn(cmd, argv, { stdio: ["ignore", "pipe", "pipe"] });
  started.push({ name, child });
  return new Promise((resolve, reject) => {
    let out = "";
    const on = (d: Buffer) => {
      out += d.toString();
      if (ready?.test(out)) resolve({ name, child });
    };
    child.stdout!.on("data", on);
    child.stderr!.on("data", on);
    child.once("exit", (code) => reject(new Error(`${name} exited (${code}):\n${out}`)));
    if (!ready) resolve({ name, child });
  });
}

const started: Started[] = [];
async function stopAll(): Promise<void> {
  for (const s of started.reverse()) {
    if (s.child.exitCode !== null || s.child.pid === undefined) continue;
    const gone = new Promise((r) => s.child.once("exit", r));
    try {
      process.kill(s.child.pid, "SIGTERM");
      await Promise.race([gone, sleep(3000)]);
      if (s.child.exitCode === null) process.kill(s.child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

async function waitPort(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/`);
      await r.arrayBuffer();
      if (r.status === 200) return;
    } catch {
      // not yet
    }
    await sleep(25);
  }
  throw new Error(`port ${port} never answered 200`);
}

interface WrkResult {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: string;
}

function toMs(v: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(v.trim());
  if (!m) return NaN;
  const n = Number(m[1]);
  return m[2] === "us" ? n / 1000 : m[2] === "s" ? n * 1000 : n;
}

function wrk(port: number, seconds: number): WrkResult {
  const out = execFileSync(
    "wrk",
    [`-t${args["wrk-threads"]}`, `-c${args.connections}`, `-d${seconds}s`, "--latency", `http://127.0.0.1:${port}/`],
    { encoding: "utf8" },
  );
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
  const p50 = toMs(/\s50%\s+(\S+)/.exec(out)?.[1] ?? "");
  const p99 = toMs(/\s99%\s+(\S+)/.exec(out)?.[1] ?? "");
  const errors = [/Socket errors:.*/.exec(out)?.[0], /Non-2xx.*/.exec(out)?.[0]].filter(Boolean).join("; ");
  return { rps, p50, p99, errors };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "slipway-proxy-bench-"));
  const threads = Number(args["proxy-threads"]);
  const seconds = Number(args.duration);
  process.on("SIGINT", () => void stopAll().then(() => process.exit(130)));
  try {
    const [b1, b2, pSlip, pHa, pNginx] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
    const nginxCommon = (name: string) => `
pid ${dir}/${name}.pid;
error_log ${dir}/${name}.err.log;
${process.getuid?.() === 0 ? "user root;" : ""}
events { worker_connections 8192; }`;
    const tempPaths = (name: string) =>
      ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((t) => `${t}_temp_path ${dir}/${name}-${t};`).join(" ");
    writeFileSync(
      join(dir, "backends.conf"),
      `worker_processes 1;${nginxCommon("backends")}
http { access_log off; ${tempPaths("backends")} keepalive_requests 1000000;
  server { listen 127.0.0.1:${b1}; location / { return 200 "ok from 1\\n"; } }
  server { listen 127.0.0.1:${b2}; location / { return 200 "ok from 2\\n"; } } }`,
    );
    writeFileSync(
      join(dir, "proxy.conf"),
      `worker_processes ${threads};${nginxCommon("proxy")}
http { access_log off; ${tempPaths("proxy")} keepalive_requests 1000000;
  upstream b { server 127.0.0.1:${b1}; server 127.0.0.1:${b2}; keepalive 128; }
  server { listen 127.0.0.1:${pNginx};
    location / { proxy_pass http://b; proxy_http_version 1.1; proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for; } } }`,
    );
    writeFileSync(
      join(dir, "haproxy.cfg"),
      `global
  maxconn 4000
  nbthread ${threads}
defaults
  mode http
  timeout connect 10s
  timeout client 60s
  timeout server 60s
  option http-keep-alive
  option forwardfor
frontend f
  bind 127.0.0.1:${pHa}
  default_backend b
backend b
  balance roundrobin
  http-reuse always
  server s1 127.0.0.1:${b1}
  server s2 127.0.0.1:${b2}
`,
    );
    await start("backends (nginx)", "nginx", ["-e", `${dir}/backends.err.log`, "-p", dir, "-c", join(dir, "backends.conf"), "-g", "daemon off;"]);
    await waitPort(b1);
    await waitPort(b2);
    await start("slipway", process.execPath, [import.meta.filename, "--serve", [pSlip, b1, b2].join(",")], /ready \d+/);
    await start("haproxy", "haproxy", ["-db", "-f", join(dir, "haproxy.cfg")]);
    await start("nginx", "nginx", ["-e", `${dir}/proxy.err.log`, "-p", dir, "-c", join(dir, "proxy.conf"), "-g", "daemon off;"]);
    const targets: [string, number][] = [
      ["haproxy", pHa],
      ["slipway", pSlip],
      ["nginx", pNginx],
    ];
    for (const [, p] of targets) await waitPort(p);
    for (const [, port] of targets) wrk(port, 2); // warm-up (JIT, keep-alive pools)
    // Rounds interleave the proxies so that background load on a shared machine hits all of them alike.
    const rounds = Math.max(1, Number(args.rounds));
    const perRound = new Map<string, WrkResult[]>(targets.map(([n]) => [n, []]));
    for (let r = 0; r < rounds; r++) for (const [name, port] of targets) perRound.get(name)!.push(wrk(port, Math.max(1, Math.round(seconds / rounds))));
    const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor((xs.length - 1) / 2)]!;
    const results = new Map<string, WrkResult>(
      [...perRound].map(([name, rs]) => [
        name,
        {
          rps: rs.reduce((sum, x) => sum + x.rps, 0) / rs.length,
          p50: med(rs.map((x) => x.p50)),
          p99: Math.max(...rs.map((x) => x.p99)),
          errors: rs.map((x) => x.errors).filter(Boolean).join("; "),
        },
      ]),
    );
    const ha = results.get("haproxy")!.rps;
    console.log(
      `\nwrk -t${args["wrk-threads"]} -c${args.connections}, ${seconds} s per proxy in ${rounds} interleaved rounds (requests/s: mean; p50: median; p99: worst round),\n` +
        `2 nginx backends, HAProxy nbthread / nginx workers: ${threads} (Slipway: 1 event loop)\n`,
    );
    console.log(
      table(
        ["proxy", "requests/s", "p50 ms", "p99 ms", "× HAProxy", "errors"],
        [...results].map(([name, r]) => [name, r.rps.toFixed(0), r.p50.toFixed(2), r.p99.toFixed(2), (r.rps / ha).toFixed(2), r.errors || "-"]),
      ),
    );
  } catch (err) {
    for (const log of ["backends.err.log", "proxy.err.log"]) {
      try {
        console.error(`${log}:\n${readFileSync(join(dir, log), "utf8")}`);
      } catch {
        // not written
      }
    }
    throw err;
  } finally {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (args.serve) await serveDataPlane(args.serve);
else await main();
