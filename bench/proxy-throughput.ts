/**
 * ALB data plane throughput, side by side in one run, with wrk (50 connections):
 *
 *   HTTP    Slipway's Node data plane, Slipway's HAProxy data plane, plain HAProxy and nginx,
 *           all in front of the same two nginx backends (ratios to plain HAProxy)
 *   HTTPS   the Node data plane and the HAProxy data plane terminating TLS (one listener, an ECDSA
 *           P-256 certificate, ELBSecurityPolicy-TLS13-1-2-2021-06) against plain HAProxy
 *           terminating TLS itself with the same certificate (keep-alive: the handshake is paid
 *           once per connection)
 *   deploy  for each Slipway data plane, wrk runs while the target group is deployed over and
 *           over (two new targets registered and made healthy, the two old ones deregistered,
 *           drained for 2 s, then removed); every non-2xx answer or socket error is a failure
 *
 * Every process is started here and ended by its PID. Needs `wrk`, `haproxy`, `nginx` and
 * `openssl` on PATH (apt-get install -y wrk haproxy nginx openssl).
 *
 *   node bench/proxy-throughput.ts [--duration 10] [--rounds 2] [--connections 50] [--wrk-threads 2]
 *                                  [--proxy-threads 1] [--deploy-seconds 20] [--only http,https,deploy]
 *
 * `--proxy-threads` sets nbthread of both HAProxys and nginx worker_processes (default 1: the Node
 * data plane is one event loop, so the comparison is one core against one core).
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
    "deploy-seconds": { type: "string", default: "20" },
    only: { type: "string", default: "http,https,deploy" },
    serve: { type: "string" }, // internal: run a Slipway data plane in this process
  },
});

// ---- child mode: one Slipway data plane serving an HTTP and an HTTPS listener

interface ServeSpec {
  mode: "node" | "haproxy";
  http: number;
  https: number;
  certDir: string;
  backends: number[];
  /** Backends of the second deployment version (deploy mode). */
  next: number[];
  deploy: boolean;
  threads: number;
}

async function serveDataPlane(spec: ServeSpec): Promise<void> {
  const { DataPlane } = await import("../src/proxy/data-plane.ts");
  const { HaproxyDataPlane } = await import("../src/proxy/haproxy/haproxy-data-plane.ts");
  const { sslPolicy } = await import("../src/services/elbv2/ssl-policies.ts");
  type State = "healthy" | "initial";
  const states = new Map<string, State>();
  const listeners = new Set<(a: string, id: string, p: number, h: { state: State }) => void>();
  const health = {
    get: (_tg: string, id: string) => ({ state: states.get(id) ?? ("initial" as State) }),
    onChange: (l: (a: string, id: string, p: number, h: { state: State }) => void) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
  const setHealth = (id: string, port: number, state: State) => {
    states.set(id, state);
    for (const l of listeners) l(TG, id, port, { state });
  };
  const ports = new Map([
    [80, spec.http],
    [443, spec.https],
  ]);
  const dp =
    spec.mode === "haproxy"
      ? new HaproxyDataPlane({ health, preferredPort: (p) => ports.get(p)!, threads: spec.threads, log: (m) => console.error(m) })
      : new DataPlane({ health, preferredPort: (p) => ports.get(p)! });
  const TG = "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/bench/0123456789abcdef";
  const policy = sslPolicy("ELBSecurityPolicy-TLS13-1-2-2021-06")!;
  const cert = {
    arn: "arn:aws:acm:us-east-1:000000000000:certificate/bench",
    certificatePem: readFileSync(join(spec.certDir, "cert.pem"), "utf8"),
    chainPem: "",
    privateKeyPem: readFileSync(join(spec.certDir, "key.pem"), "utf8"),
    names: ["bench.example.test"],
  };
  const listener = (port: number, protocol: "HTTP" | "HTTPS") => ({
    listenerArn: `listener/${port}`,
    loadBalancerArn: "lb/bench",
    loadBalancerName: "bench",
    dnsName: "bench-00000000.us-east-1.elb.localhost",
    port,
    protocol,
    ...(protocol === "HTTPS" ? { tls: { policy: { name: policy.name, protocols: policy.protocols, ciphers: policy.ciphers }, certificates: [cert] } } : {}),
    idleTimeoutSeconds: 60,
    xffMode: "append" as const,
    xffClientPort: false,
    preserveHostHeader: false,
    rules: [{ ruleArn: "default", priority: "default" as const, conditions: [], action: { type: "forward" as const, targetGroups: [{ arn: TG, weight: 1 }] } }],
  });
  const tableWith = (targets: { id: string; port: number; draining: boolean }[]) => ({
    listeners: new Map([
      ["listener/80", listener(80, "HTTP")],
      ["listener/443", listener(443, "HTTPS")],
    ]),
    targetGroups: new Map([
      [
        TG,
        {
          arn: TG,
          protocol: "HTTP" as const,
          port: 80,
          targetType: "ip" as const,
          healthCheck: { enabled: true, protocol: "HTTP" as const, port: "traffic-port" as const, path: "/", intervalSeconds: 30, timeoutSeconds: 5, healthyThreshold: 5, unhealthyThreshold: 2, matcher: "200" },
          algorithm: "round_robin" as const,
          slowStartSeconds: 0,
          deregistrationDelaySeconds: 2,
          stickiness: { enabled: false, type: "lb_cookie" as const, durationSeconds: 86400 },
          targets: targets.map((t) => ({ id: t.id, port: t.port, address: "127.0.0.1", draining: t.draining, registeredAt: 0 })),
          inUse: true,
        },
      ],
    ]),
  });
  let current = spec.backends.map((port, i) => ({ id: `a${i}`, port, draining: false }));
  for (const t of current) setHealth(t.id, t.port, "healthy");
  dp.apply(tableWith(current));
  await dp.ready();
  console.log("ready");
  let deployments = 0;
  if (spec.deploy) {
    // Deploy forever: new targets registered (initial), healthy, old ones draining, then gone.
    void (async () => {
      let version = 0;
      for (;;) {
        version++;
        const pool = version % 2 === 1 ? spec.next : spec.backends;
        const fresh = pool.map((port, i) => ({ id: `v${version}-${i}`, port, draining: false }));
        dp.apply(tableWith([...current, ...fresh]));
        await sleep(500);
        for (const t of fresh) setHealth(t.id, t.port, "healthy");
        await sleep(500);
        dp.apply(tableWith([...current.map((t) => ({ ...t, draining: true })), ...fresh]));
        await sleep(2000);
        dp.apply(tableWith(fresh));
        current = fresh;
        deployments++;
        await sleep(500);
      }
    })();
  }
  process.on("SIGTERM", () => {
    console.log(`deployments ${deployments}`);
    void dp.close().then(() => process.exit(0));
  });
}

// ---- parent mode

interface Started {
  readonly name: string;
  readonly child: ChildProcess;
  output(): string;
}

const started: Started[] = [];

function start(name: string, cmd: string, argv: string[], ready?: RegExp): Promise<Started> {
  const child = spawn(cmd, argv, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const s: Started = { name, child, output: () => out };
  started.push(s);
  return new Promise((resolve, reject) => {
    const on = (d: Buffer) => {
      out += d.toString();
      if (ready?.test(out)) resolve(s);
    };
    child.stdout!.on("data", on);
    child.stderr!.on("data", on);
    child.once("exit", (code) => reject(new Error(`${name} exited (${code}):\n${out}`)));
    if (!ready) resolve(s);
  });
}

async function stop(s: Started): Promise<void> {
  if (s.child.exitCode !== null || s.child.pid === undefined) return;
  const gone = new Promise((r) => s.child.once("exit", r));
  try {
    process.kill(s.child.pid, "SIGTERM");
    await Promise.race([gone, sleep(5000)]);
    if (s.child.exitCode === null) process.kill(s.child.pid, "SIGKILL");
  } catch {
    // already gone
  }
}

async function stopAll(): Promise<void> {
  for (const s of started.reverse()) await stop(s);
}

async function waitPort(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      const out = execFileSync("curl", ["-sk", "-o", "/dev/null", "-w", "%{http_code}", url], { encoding: "utf8", timeout: 5000 });
      if (out === "200") return;
    } catch {
      // not yet
    }
    await sleep(25);
  }
  throw new Error(`${url} never answered 200`);
}

interface WrkResult {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly requests: number;
  readonly failures: number;
  readonly errors: string;
}

function toMs(v: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(v.trim());
  if (!m) return Number.NaN;
  const n = Number(m[1]);
  return m[2] === "us" ? n / 1000 : m[2] === "s" ? n * 1000 : n;
}

function wrk(url: string, seconds: number): WrkResult {
  const out = execFileSync("wrk", [`-t${args["wrk-threads"]}`, `-c${args.connections}`, `-d${seconds}s`, "--latency", url], { encoding: "utf8" });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? Number.NaN);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const failures = non2xx + (socket ? Number(socket[1]) + Number(socket[2]) + Number(socket[3]) + Number(socket[4]) : 0);
  const errors = [/Socket errors:.*/.exec(out)?.[0], /Non-2xx.*/.exec(out)?.[0]].filter(Boolean).join("; ");
  return { rps, p50: toMs(/\s50%\s+(\S+)/.exec(out)?.[1] ?? ""), p99: toMs(/\s99%\s+(\S+)/.exec(out)?.[1] ?? ""), requests, failures, errors };
}

/** Interleaved rounds (background load hits every proxy alike); mean req/s, median p50, worst p99. */
function measure(targets: [string, string][], seconds: number, rounds: number): Map<string, WrkResult> {
  for (const [, url] of targets) wrk(url, 2); // warm-up: JIT, keep-alive pools, TLS sessions
  const per = new Map<string, WrkResult[]>(targets.map(([n]) => [n, []]));
  for (let r = 0; r < rounds; r++) for (const [name, url] of targets) per.get(name)!.push(wrk(url, Math.max(1, Math.round(seconds / rounds))));
  const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor((xs.length - 1) / 2)]!;
  return new Map(
    [...per].map(([name, rs]) => [
      name,
      {
        rps: rs.reduce((s, x) => s + x.rps, 0) / rs.length,
        p50: med(rs.map((x) => x.p50)),
        p99: Math.max(...rs.map((x) => x.p99)),
        requests: rs.reduce((s, x) => s + x.requests, 0),
        failures: rs.reduce((s, x) => s + x.failures, 0),
        errors: rs.map((x) => x.errors).filter(Boolean).join("; "),
      },
    ]),
  );
}

function report(title: string, results: Map<string, WrkResult>, baseline: string): void {
  const base = results.get(baseline)!.rps;
  console.log(`\n${title}\n`);
  console.log(
    table(
      ["proxy", "requests/s", "p50 ms", "p99 ms", `× ${baseline}`, "errors"],
      [...results].map(([name, r]) => [name, r.rps.toFixed(0), r.p50.toFixed(2), r.p99.toFixed(2), (r.rps / base).toFixed(2), r.errors || "-"]),
    ),
  );
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "slipway-proxy-bench-"));
  const threads = Number(args["proxy-threads"]);
  const seconds = Number(args.duration);
  const rounds = Math.max(1, Number(args.rounds));
  const only = new Set(args.only.split(","));
  process.on("SIGINT", () => void stopAll().then(() => process.exit(130)));
  try {
    execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", "/CN=bench.example.test", "-addext", "subjectAltName=DNS:bench.example.test", "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")], { stdio: "ignore" });
    writeFileSync(join(dir, "bundle.pem"), readFileSync(join(dir, "cert.pem"), "utf8") + readFileSync(join(dir, "key.pem"), "utf8"));
    const [b1, b2, b3, b4] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const [haHttp, haHttps, ngx] = [await freePort(), await freePort(), await freePort()];
    const nodePorts = [await freePort(), await freePort()];
    const hapPorts = [await freePort(), await freePort()];
    const nginxCommon = (name: string) => `
pid ${dir}/${name}.pid;
error_log ${dir}/${name}.err.log;
${process.getuid?.() === 0 ? "user root;" : ""}
events { worker_connections 8192; }`;
    const tempPaths = (name: string) => ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((t) => `${t}_temp_path ${dir}/${name}-${t};`).join(" ");
    writeFileSync(
      join(dir, "backends.conf"),
      `worker_processes 1;${nginxCommon("backends")}
http { access_log off; ${tempPaths("backends")} keepalive_requests 1000000;
${[b1, b2, b3, b4].map((p, i) => `  server { listen 127.0.0.1:${p}; location / { return 200 "ok from ${i + 1}\\n"; } }`).join("\n")} }`,
    );
    writeFileSync(
      join(dir, "proxy.conf"),
      `worker_processes ${threads};${nginxCommon("proxy")}
http { access_log off; ${tempPaths("proxy")} keepalive_requests 1000000;
  upstream b { server 127.0.0.1:${b1}; server 127.0.0.1:${b2}; keepalive 128; }
  server { listen 127.0.0.1:${ngx};
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
  bind 127.0.0.1:${haHttp}
  bind 127.0.0.1:${haHttps} ssl crt ${dir}/bundle.pem alpn http/1.1 ssl-min-ver TLSv1.2
  default_backend b
backend b
  balance roundrobin
  http-reuse always
  server s1 127.0.0.1:${b1}
  server s2 127.0.0.1:${b2}
`,
    );
    await start("backends (nginx)", "nginx", ["-e", `${dir}/backends.err.log`, "-p", dir, "-c", join(dir, "backends.conf"), "-g", "daemon off;"]);
    for (const p of [b1, b2, b3, b4]) await waitPort(`http://127.0.0.1:${p}/`);
    const serve = (mode: "node" | "haproxy", ports: number[], deploy: boolean) =>
      start(
        `slipway ${mode}${deploy ? " (deploying)" : ""}`,
        process.execPath,
        [import.meta.filename, "--serve", JSON.stringify({ mode, http: ports[0], https: ports[1], certDir: dir, backends: [b1, b2], next: [b3, b4], deploy, threads })],
        /ready/,
      );

    if (only.has("http") || only.has("https")) {
      const slipNode = await serve("node", nodePorts, false);
      const slipHap = await serve("haproxy", hapPorts, false);
      const plain = await start("haproxy", "haproxy", ["-db", "-f", join(dir, "haproxy.cfg")]);
      const nginx = await start("nginx", "nginx", ["-e", `${dir}/proxy.err.log`, "-p", dir, "-c", join(dir, "proxy.conf"), "-g", "daemon off;"]);
      const http: [string, string][] = [
        ["haproxy", `http://127.0.0.1:${haHttp}/`],
        ["slipway node", `http://127.0.0.1:${nodePorts[0]}/`],
        ["slipway haproxy", `http://127.0.0.1:${hapPorts[0]}/`],
        ["nginx", `http://127.0.0.1:${ngx}/`],
      ];
      const https: [string, string][] = [
        ["haproxy tls", `https://127.0.0.1:${haHttps}/`],
        ["slipway node tls", `https://127.0.0.1:${nodePorts[1]}/`],
        ["slipway haproxy tls", `https://127.0.0.1:${hapPorts[1]}/`],
      ];
      for (const [, url] of [...http, ...https]) await waitPort(url);
      console.log(`wrk -t${args["wrk-threads"]} -c${args.connections}, ${seconds} s per proxy in ${rounds} interleaved rounds (requests/s: mean; p50: median; p99: worst round); proxies: ${threads} thread(s) each, the Node data plane 1 event loop`);
      if (only.has("http")) report("HTTP, 2 nginx backends", measure(http, seconds, rounds), "haproxy");
      if (only.has("https")) report("HTTPS (TLS 1.3, ECDSA P-256, keep-alive)", measure(https, seconds, rounds), "haproxy tls");
      for (const s of [nginx, plain, slipHap, slipNode]) await stop(s);
    }

    if (only.has("deploy")) {
      const deploySeconds = Number(args["deploy-seconds"]);
      const rows: string[][] = [];
      for (const mode of ["node", "haproxy"] as const) {
        const s = await serve(mode, mode === "node" ? nodePorts : hapPorts, true);
        const r = wrk(`http://127.0.0.1:${(mode === "node" ? nodePorts : hapPorts)[0]}/`, deploySeconds);
        await stop(s);
        const deployments = /deployments (\d+)/.exec(s.output())?.[1] ?? "?";
        rows.push([`slipway ${mode}`, String(deployments), String(r.requests), String(r.failures), r.rps.toFixed(0), r.p99.toFixed(2)]);
      }
      console.log(`\nZero downtime: wrk -c${args.connections} for ${deploySeconds} s while the target group is redeployed continuously (register 2, healthy, drain the old 2 for 2 s, remove)\n`);
      console.log(table(["data plane", "deployments", "requests", "failed", "requests/s", "p99 ms"], rows));
    }
  } catch (err) {
    for (const s of started) console.error(`--- ${s.name}:\n${s.output().slice(-2000)}`);
    throw err;
  } finally {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (args.serve) await serveDataPlane(JSON.parse(args.serve) as ServeSpec);
else await main();
