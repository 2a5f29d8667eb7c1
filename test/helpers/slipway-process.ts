/**
 * End-to-end helpers: run `slipway up` as a real child process, drive it with the AWS CLI,
 * inspect Docker with the docker CLI, poll conditions with a deadline, and clean up only the
 * containers of one Slipway data directory (other suites may run Slipway in parallel).
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { DockerRuntime } from "../../src/runtime/docker/docker-runtime.ts";
import { VPC_STATE_FILE } from "../../src/vpc/data-plane.ts";
import { tearDownVpcKernel } from "../../src/vpc/kernel.ts";
import { SubnetNetworks } from "../../src/vpc/subnet-networks.ts";

const run = promisify(execFile);
export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(REPO_ROOT, "bin", "slipway.js");

export const AWS_ENV = {
  AWS_ACCESS_KEY_ID: "test",
  AWS_SECRET_ACCESS_KEY: "test",
  AWS_DEFAULT_REGION: "us-east-1",
  AWS_PAGER: "",
  AWS_CONFIG_FILE: "/dev/null",
  AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
} as const;

/** Undefined when `aws --version` works; otherwise why CLI tests must be skipped. */
export async function awsCliAvailable(): Promise<string | undefined> {
  try {
    await run("aws", ["--version"], { timeout: 20_000 });
    return undefined;
  } catch (err) {
    return `AWS CLI not usable (aws --version failed: ${(err as Error).message.split("\n")[0]})`;
  }
}

export function tempDataDir(prefix = "slipway-e2e-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

export interface SlipwayProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly port: number;
  readonly url: string;
  readonly dataDir: string;
  /** Everything the process wrote to stdout and stderr so far (for failure messages). */
  output(): string;
  /** SIGKILL (crash) or SIGTERM (graceful); resolves once the process has exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Spawns `node bin/slipway.js up --port P --data-dir DIR [args]` and waits for "Slipway ready on". */
export async function startSlipwayProcess(opts: {
  dataDir: string;
  port?: number;
  timeoutMs?: number;
  taskEndpoint?: "auto" | "off";
  env?: Record<string, string>;
  args?: string[];
}): Promise<SlipwayProcess> {
  const port = opts.port ?? (await freePort());
  const child = spawn(process.execPath, [BIN, "up", "--port", String(port), "--data-dir", opts.dataDir, ...(opts.args ?? [])], {
    cwd: REPO_ROOT,
    stdio: ["ignore", "pipe", "pipe"],
    // The task endpoint (169.254.170.2:80, one per host) only for the suites that ask for it, so
    // suites running in parallel do not race for it.
    env: { ...process.env, SLIPWAY_TASK_ENDPOINT: opts.taskEndpoint ?? "off", ...opts.env },
  });
  let out = "";
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  let ready!: () => void;
  let failed!: (err: Error) => void;
  const readyP = new Promise<void>((res, rej) => {
    ready = res;
    failed = rej;
  });
  const onData = (chunk: Buffer) => {
    out += chunk.toString();
    if (out.includes(`Slipway ready on http://127.0.0.1:${port}`)) ready();
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  child.once("exit", (code, signal) => failed(new Error(`slipway up exited early (code ${code}, signal ${signal}):\n${out}`)));
  const timeoutMs = opts.timeoutMs ?? 20_000;
  const timer = setTimeout(() => failed(new Error(`slipway up not ready after ${timeoutMs} ms:\n${out}`)), timeoutMs);
  try {
    await readyP;
  } catch (err) {
    child.kill("SIGKILL");
    throw err;
  } finally {
    clearTimeout(timer);
  }
  return {
    child,
    pid: child.pid!,
    port,
    url: `http://127.0.0.1:${port}`,
    dataDir: opts.dataDir,
    output: () => out,
    kill: async (signal: NodeJS.Signals = "SIGTERM") => {
      if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, signal);
      await exited;
    },
  };
}

export class AwsCliError extends Error {
  readonly stderr: string;
  constructor(args: string[], stderr: string, code: unknown) {
    super(`aws ${args.join(" ")} failed (${String(code)}): ${stderr.trim()}`);
    this.stderr = stderr;
  }
}

/** Runs `aws <args> --endpoint-url <url> --output json`; returns the parsed JSON (or {} when empty). */
export async function aws<T = any>(endpoint: string, args: string[], timeoutMs = 240_000): Promise<T> {
  const full = [...args, "--endpoint-url", endpoint, "--output", "json"];
  try {
    const { stdout } = await run("aws", full, { env: { ...process.env, ...AWS_ENV }, timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024 });
    return (stdout.trim() ? JSON.parse(stdout) : {}) as T;
  } catch (err) {
    const e = err as { stderr?: string; code?: unknown; signal?: unknown };
    throw new AwsCliError(full, e.stderr ?? String(err), e.code ?? e.signal);
  }
}

/** Writes `value` as JSON to a temp file and returns a `file://` argument for the CLI. */
export function jsonFileArg(dir: string, name: string, value: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(value, null, 2));
  return `file://${path}`;
}

export async function docker(args: string[]): Promise<string> {
  const { stdout } = await run("docker", args, { timeout: 60_000, maxBuffer: 32 * 1024 * 1024 });
  return stdout;
}

export interface ContainerRow {
  id: string;
  image: string;
  state: string;
  taskArn: string;
  cluster: string;
}

/** `docker ps -a` for the managed containers of one Slipway instance (data dir). */
export async function managedContainers(instanceId: string, extraFilters: string[] = []): Promise<ContainerRow[]> {
  const filters = ["label=slipway.managed=true", `label=slipway.instance=${instanceId}`, ...extraFilters].flatMap((f) => ["--filter", f]);
  const out = await docker([
    "ps",
    "-a",
    ...filters,
    "--format",
    '{{.ID}}\t{{.Image}}\t{{.State}}\t{{.Label "slipway.task-arn"}}\t{{.Label "slipway.cluster"}}',
  ]);
  return out
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [id, image, state, taskArn, cluster] = line.split("\t");
      return { id: id!, image: image!, state: state!, taskArn: taskArn!, cluster: cluster! };
    });
}

export function instanceIdOf(dataDir: string): string {
  return readFileSync(join(dataDir, "instance-id"), "utf8").trim();
}

/**
 * Removes every container this data dir's Slipway instance created, its subnet networks and the
 * kernel state its VPC data plane recorded (a Slipway killed mid-test leaves them), then the data
 * dir. Scoped by the instance, so Slipways of other suites running in parallel are untouched.
 */
export async function cleanDataDir(dataDir: string): Promise<void> {
  let instanceId: string | undefined;
  try {
    instanceId = instanceIdOf(dataDir);
  } catch {
    instanceId = undefined;
  }
  if (instanceId) {
    const rows = await managedContainers(instanceId);
    if (rows.length) await docker(["rm", "-f", "-v", ...rows.map((r) => r.id)]).catch(() => "");
    await new SubnetNetworks({ runtime: new DockerRuntime(), instanceId }).removeAll().catch(() => 0);
  }
  await tearDownVpcKernel(join(dataDir, VPC_STATE_FILE)).catch(() => []);
  rmSync(dataDir, { recursive: true, force: true });
}

export interface PollOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** Included in the timeout error. */
  what: string;
}

/**
 * Calls `probe` until it returns a value other than undefined/false, or throws after the deadline
 * with the last value/error seen. Never a fixed sleep: the interval is only the retry cadence.
 */
export async function pollUntil<T>(probe: () => Promise<T | undefined | false>, opts: PollOptions): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() >= deadline) {
      const detail = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${opts.what} (last: ${detail})`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 500));
  }
}

/** GET http://host:port/ and return the body text (with a short timeout). */
export async function httpGet(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
  return { status: res.status, body: await res.text() };
}

/**
 * A /16 in 10.100.0.0–10.199.255.255 that no Docker network and no host route on this host
 * overlaps, for a test's own VPC (suites in parallel, and other Slipways, must not collide: a
 * subnet's range is used as is on the host).
 */
export async function freeVpcCidr(): Promise<string> {
  const taken = new Set<number>();
  for (const line of (await docker(["network", "inspect", "--format", "{{range .IPAM.Config}}{{.Subnet}} {{end}}", ...(await docker(["network", "ls", "-q"])).split("\n").filter(Boolean)])).split(/\s+/)) {
    const m = /^10\.(\d+)\./.exec(line);
    if (m) taken.add(Number(m[1]));
  }
  const { stdout } = await run("ip", ["-4", "route", "show"]);
  for (const m of stdout.matchAll(/^10\.(\d+)\./gm)) taken.add(Number(m[1]));
  for (let i = 0; i < 100; i++) {
    const second = 100 + ((process.pid + i * 37) % 100);
    if (!taken.has(second)) return `10.${second}.0.0/16`;
  }
  throw new Error("no free 10.1xx.0.0/16 on this host");
}
