/**
 * Shared helpers for the benchmarks in bench/: starting `slipway up` and `moto_server` as child
 * processes on 127.0.0.1, an ECS client pointed at either, statistics and table printing.
 * Every process a benchmark starts is ended by its PID (never by name).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { Agent } from "node:http";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { ECSClient } from "@aws-sdk/client-ecs";
import { buildIsFresh } from "../bin/build-fresh.js";

export const ROOT = resolve(import.meta.dirname, "..");

export function ecsClient(endpoint: string, maxSockets = 64): ECSClient {
  return new ECSClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    maxAttempts: 1,
    requestHandler: { httpAgent: new Agent({ keepAlive: true, maxSockets }) },
  });
}

export function requireFreshBuild(root: string = ROOT): void {
  if (!buildIsFresh(root)) {
    throw new Error(`${root}: dist/ is missing or older than src/; run \`npm run build\` there first (benchmarks measure the build)`);
  }
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

export interface Proc {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly url: string;
  /** Milliseconds from spawn() to the ready signal. */
  readonly readyMs: number;
  stop(): Promise<void>;
}

/** Waits for `pattern` on stdout/stderr; resolves with the time from spawn. */
function waitForLine(child: ChildProcess, pattern: RegExp, t0: bigint, timeoutMs: number, what: string): Promise<number> {
  return new Promise((res, rej) => {
    let buf = "";
    const timer = setTimeout(() => rej(new Error(`${what}: not ready after ${timeoutMs} ms:\n${buf}`)), timeoutMs);
    const on = (d: Buffer) => {
      buf += d.toString();
      if (pattern.test(buf)) {
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        clearTimeout(timer);
        child.stdout?.off("data", on);
        child.stderr?.off("data", on);
        child.stdout?.resume();
        child.stderr?.resume();
        res(ms);
      }
    };
    child.stdout?.on("data", on);
    child.stderr?.on("data", on);
    child.once("exit", (code) => {
      clearTimeout(timer);
      rej(new Error(`${what} exited (${code}) before ready:\n${buf}`));
    });
  });
}

function stopper(child: ChildProcess, cleanup?: () => void): () => Promise<void> {
  return async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once("exit", () => r()));
      child.kill("SIGTERM");
      const t = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(t);
    }
    cleanup?.();
  };
}

/**
 * The V8 flags on bin/slipway.js's `#!/usr/bin/env -S node …` line: what the `slipway` command
 * runs with. The benchmarks pass them so they measure that (SLIPWAY_BENCH_NO_FLAGS=1 leaves them
 * out, to compare).
 */
export function slipwayNodeFlags(root: string = ROOT): string[] {
  if (process.env.SLIPWAY_BENCH_NO_FLAGS === "1") return [];
  const first = readFileSync(join(root, "bin/slipway.js"), "utf8").split("\n", 1)[0]!;
  const m = /^#!\S*env -S node(.*)$/.exec(first);
  return m ? m[1]!.trim().split(/\s+/).filter(Boolean) : [];
}

/**
 * `node <flags> bin/slipway.js up --port P --data-dir DIR`; ready when it prints "Slipway ready on".
 * `root`: another checkout to run (default this one); `nodeFlags`: added after its own V8 flags.
 */
export async function startSlipwayProcess(
  opts: { dataDir?: string; port?: number; env?: Record<string, string>; root?: string; nodeFlags?: string[] } = {},
): Promise<Proc & { dataDir: string }> {
  const root = opts.root ?? ROOT;
  requireFreshBuild(root);
  const port = opts.port ?? (await freePort());
  const ownDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), "slipway-bench-"));
  const t0 = process.hrtime.bigint();
  const child = spawn(process.execPath, [...slipwayNodeFlags(root), ...(opts.nodeFlags ?? []), join(root, "bin/slipway.js"), "up", "--port", String(port), "--data-dir", dataDir], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, SLIPWAY_TASK_ENDPOINT: process.env.SLIPWAY_TASK_ENDPOINT ?? "off", ...opts.env },
  });
  const readyMs = await waitForLine(child, /Slipway ready on/, t0, 20_000, "slipway");
  return {
    child,
    pid: child.pid!,
    url: `http://127.0.0.1:${port}`,
    readyMs,
    dataDir,
    stop: stopper(child, ownDir ? () => rmSync(dataDir, { recursive: true, force: true }) : undefined),
  };
}

/**
 * `moto_server -H 127.0.0.1 -p P`. moto prints its banner before the socket listens on some
 * versions, so "ready" is the first successful TCP connect (polled every 5 ms).
 */
export async function startMoto(opts: { port?: number } = {}): Promise<Proc> {
  const port = opts.port ?? (await freePort());
  const t0 = process.hrtime.bigint();
  const child = spawn(motoBinary(), ["-H", "127.0.0.1", "-p", String(port)], { stdio: ["ignore", "pipe", "pipe"] });
  child.stdout!.resume();
  child.stderr!.resume();
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  let exited = false;
  child.once("exit", () => (exited = true));
  for (;;) {
    if (exited) throw new Error("moto_server exited before listening");
    try {
      const r = await fetch(`${url}/moto-api/`, { signal: AbortSignal.timeout(2000) });
      await r.arrayBuffer();
      break;
    } catch {
      if (Date.now() > deadline) throw new Error("moto_server not listening after 30 s");
      await sleep(5);
    }
  }
  const readyMs = Number(process.hrtime.bigint() - t0) / 1e6;
  return { child, pid: child.pid!, url, readyMs, stop: stopper(child) };
}

let motoPath: string | undefined;
/** The real moto_server script (not the pyenv shim, whose bash start-up would count against moto). */
export function motoBinary(): string {
  if (motoPath) return motoPath;
  try {
    motoPath = execFileSync("pyenv", ["which", "moto_server"], { encoding: "utf8" }).trim();
  } catch {
    motoPath = "moto_server";
  }
  return motoPath;
}

/** VmRSS of one process, in KiB. */
export function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : NaN;
}

/** VmRSS and its two parts from /proc/<pid>/status (KiB): anonymous memory, and file-backed pages (the node binary's code and data). */
export function rssPartsKiB(pid: number): { rss: number; anon: number; file: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (name: string) => Number(new RegExp(`${name}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN);
  return { rss: field("VmRSS"), anon: field("RssAnon"), file: field("RssFile") };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? NaN : n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

export function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (typeof c === "number" ? fmt(c) : c)))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? "").length)));
  const line = (r: (string | number)[]) => "| " + r.map((c, i) => String(c).padEnd(widths[i]!)).join(" | ") + " |";
  return [line(cells[0]!), "| " + widths.map((w) => "-".repeat(w)).join(" | ") + " |", ...cells.slice(1).map(line)].join("\n");
}

export function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  if (Number.isInteger(n)) return String(n);
  if (Math.abs(n) >= 100) return n.toFixed(0);
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

/** Ends child processes we started if the benchmark is interrupted or crashes. */
export function onExitStop(procs: () => Proc[]): void {
  const handler = () => {
    for (const p of procs()) p.child.kill("SIGTERM");
    process.exit(130);
  };
  process.once("SIGINT", handler);
  process.once("SIGTERM", handler);
  // A crash (an uncaught exception) skips the benchmark's own clean-up: end the children on the way out.
  process.once("exit", () => {
    for (const p of procs()) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGTERM");
  });
}

/**
 * A trivial HTTP server in its own Node process that answers every request with `{}` as
 * application/x-amz-json-1.1: the ceiling the SDK client on this machine can reach.
 */
export async function startNullServer(): Promise<Proc> {
  const port = await freePort();
  const code = `const srv=require("node:http").createServer((q,s)=>{q.resume();q.on("end",()=>{s.writeHead(200,{"content-type":"application/x-amz-json-1.1","x-amzn-requestid":"x"});s.end("{}")})});srv.keepAliveTimeout=65000;srv.listen(${port},"127.0.0.1",()=>console.log("listening"))`;
  const t0 = process.hrtime.bigint();
  const child = spawn(process.execPath, ["-e", code], { stdio: ["ignore", "pipe", "pipe"] });
  const readyMs = await waitForLine(child, /listening/, t0, 10_000, "null server");
  return { child, pid: child.pid!, url: `http://127.0.0.1:${port}`, readyMs, stop: stopper(child) };
}
