/**
 * An in-memory, deterministic ContainerRuntime for unit tests. No process ever runs: tests drive
 * what a real container would do with exit(), setHealth() and the image controls. Behaviour follows
 * the Docker engine where the contract suite can observe it (idempotent stop/remove, IPs only while
 * running, container-mode networking needs a running peer, host-port conflicts).
 */
import { createHash } from "node:crypto";
import type { Clock } from "../core/clock.ts";
import { startFakeProcess } from "./fake-shell.ts";
import {
  ExecError,
  LABELS,
  PullError,
  type ExecOptions,
  type ExecProcess,
  type BridgeNetworkSpec,
  type ContainerRuntime,
  type ContainerSpec,
  type ContainerState,
  type HostInfo,
  type ImageInfo,
  type LogLine,
  type LogsOptions,
  type PullProgress,
  type NetworkInfo,
  type RegistryAuth,
  type RuntimeEvent,
} from "./runtime.ts";

export interface FakeRuntimeOptions {
  clock: Clock;
  cpus?: number;
  memoryBytes?: number;
  name?: string;
}

interface FakeContainer {
  state: ContainerState;
  spec: ContainerSpec;
  /** What a test made the container "use" (setUsage). */
  usage?: { cpuCores: number; memoryBytes: number; since: number; cpuNsBefore: number };
}

interface Subscriber {
  push(ev: RuntimeEvent): void;
}

const BRIDGE_SUBNET = "172.17";
const FIRST_DYNAMIC_PORT = 32768;

/** "busybox" and "busybox:latest" name the same image, as in Docker. */
export function normalizeRef(ref: string): string {
  if (ref.includes("@")) return ref;
  const slash = ref.lastIndexOf("/");
  return ref.lastIndexOf(":") > slash ? ref : `${ref}:latest`;
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

export class FakeRuntime implements ContainerRuntime {
  readonly #clock: Clock;
  readonly #host: HostInfo;
  readonly #images = new Map<string, ImageInfo>();
  readonly #remote = new Map<string, string | undefined>();
  readonly #pullFailures = new Map<string, string>();
  readonly #containers = new Map<string, FakeContainer>();
  /** Indexes so large fake hosts (benchmarks) stay fast: name → id, task ARN → ids. */
  readonly #byName = new Map<string, string>();
  readonly #byTask = new Map<string, Set<string>>();
  readonly #networks = new Map<string, { index: number; labels: Record<string, string>; nextHost: number; subnet?: string; bridge?: string }>();
  readonly #subscribers = new Set<Subscriber>();
  /** Lines containers "wrote" (emitLog), by container id, and the followers waiting for more. */
  readonly #logLines = new Map<string, { lines: LogLine[]; waiters: Set<() => void> }>();
  #seq = 0;
  #nextPort = FIRST_DYNAMIC_PORT;
  #nextBridgeHost = 2;
  /** Every image reference pull() was asked for, in order. */
  readonly pulls: string[] = [];
  /** Every process exec() started, in order. */
  readonly execs: { containerId: string; cmd: string[] }[] = [];
  /** Exec'd processes still running, by container id (they end when the container stops). */
  readonly #procs = new Map<string, Set<ExecProcess>>();

  constructor(opts: FakeRuntimeOptions) {
    this.#clock = opts.clock;
    this.#host = {
      name: opts.name ?? "fake-host",
      cpus: opts.cpus ?? 4,
      memoryBytes: opts.memoryBytes ?? 8 * 1024 ** 3,
      serverVersion: "fake",
      apiVersion: "fake",
      os: "FakeOS",
      osType: "linux",
      architecture: "x86_64",
    };
  }

  // ---- test controls ----

  /** Makes an image present locally. */
  addImage(ref: string, digest = `sha256:${sha256(ref)}`): ImageInfo {
    const repo = normalizeRef(ref).replace(/[:@][^/]*$/, "");
    const info = { id: `sha256:${sha256(`image:${ref}`)}`, repoDigests: [`${repo}@${digest}`] };
    this.#images.set(normalizeRef(ref), info);
    return info;
  }

  /** Makes an image available to pull() (a registry has it) without it being local. */
  addRemoteImage(ref: string, digest?: string): void {
    this.#remote.set(normalizeRef(ref), digest);
  }

  /** Makes pull() of this image fail with the given engine message. */
  failPull(ref: string, message = `pull access denied for ${ref}, repository does not exist or may require 'docker login'`): void {
    this.#pullFailures.set(normalizeRef(ref), message);
  }

  removeImage(ref: string): void {
    this.#images.delete(normalizeRef(ref));
  }

  setHostResources(res: { cpus?: number; memoryBytes?: number }): void {
    if (res.cpus !== undefined) this.#host.cpus = res.cpus;
    if (res.memoryBytes !== undefined) this.#host.memoryBytes = res.memoryBytes;
  }

  /** Simulates the container's main process exiting (or being OOM-killed). */
  exit(id: string, code: number, opts: { oomKilled?: boolean } = {}): void {
    const c = this.#get(id);
    if (c.state.status !== "running") throw new Error(`container ${id} is not running`);
    this.#terminate(c, code, opts.oomKilled ?? false);
  }

  /** Sets the health status Docker's health checker would report. */
  setHealth(id: string, status: "healthy" | "unhealthy"): void {
    const c = this.#get(id);
    if (c.state.health === undefined) throw new Error(`container ${id} has no health check`);
    c.state.health = status;
    this.#emit(c, `health_status: ${status}`);
  }

  /** Simulates a container writing a line (timestamp defaults to the clock's now). */
  emitLog(id: string, message: string, opts: { stream?: "stdout" | "stderr"; timestamp?: number } = {}): void {
    const c = this.#get(id);
    const log = this.#logOf(c.state.id);
    log.lines.push({ stream: opts.stream ?? "stdout", timestamp: opts.timestamp ?? this.#clock.now(), message });
    this.#wakeLogs(c.state.id);
  }

  /** The spec a container was created from (for asserting what the scheduler asked for). */
  specOf(id: string): ContainerSpec | undefined {
    return this.#find(id)?.spec;
  }

  // ---- ContainerRuntime ----

  async info(): Promise<HostInfo> {
    return { ...this.#host };
  }

  async inspectImage(image: string): Promise<ImageInfo | undefined> {
    const info = this.#images.get(normalizeRef(image));
    return info && structuredClone(info);
  }

  /** The registry credentials each pull carried (tests of private-registry auth). */
  readonly pullAuths = new Map<string, RegistryAuth | undefined>();

  async pull(image: string, auth?: RegistryAuth, signal?: AbortSignal, onProgress?: (p: PullProgress) => void): Promise<ImageInfo> {
    this.pullAuths.set(image, auth);
    const ref = normalizeRef(image);
    this.pulls.push(image);
    if (signal?.aborted) throw new PullError(`pull of ${image} aborted`);
    const failure = this.#pullFailures.get(ref);
    if (failure) throw new PullError(failure);
    if (this.#remote.has(ref)) {
      onProgress?.({ layers: 1, layersDone: 1, downloadedBytes: 1024, totalBytes: 1024 });
      return this.addImage(ref, this.#remote.get(ref));
    }
    const local = this.#images.get(ref);
    if (local) return structuredClone(local);
    throw new PullError(`pull access denied for ${image}, repository does not exist or may require 'docker login'`);
  }

  async create(spec: ContainerSpec): Promise<string> {
    if (!this.#images.has(normalizeRef(spec.image))) throw new Error(`No such image: ${spec.image}`);
    const clash = this.#byName.get(spec.name);
    if (clash) throw new Error(`Conflict. The container name "/${spec.name}" is already in use by container "${clash}".`);
    if (spec.network.mode === "network" && !this.#networks.has(spec.network.name))
      throw new Error(`network ${spec.network.name} not found`);
    const id = sha256(`container-${++this.#seq}`);
    const hasHealth = spec.healthcheck !== undefined && spec.healthcheck.test[0] !== "NONE";
    const state: ContainerState = {
      id,
      name: spec.name,
      image: spec.image,
      labels: { ...spec.labels },
      status: "created",
      health: hasHealth ? "starting" : undefined,
      ips: {},
      ports: [],
    };
    const c = { state, spec: structuredClone(spec) };
    this.#containers.set(id, c);
    this.#byName.set(spec.name, id);
    const task = spec.labels[LABELS.taskArn];
    if (task) this.#byTask.set(task, (this.#byTask.get(task) ?? new Set()).add(id));
    this.#emit(c, "create");
    return id;
  }

  async start(id: string): Promise<void> {
    const c = this.#get(id);
    if (c.state.status === "running") return;
    const net = c.spec.network;
    if (net.mode === "container") {
      const peer = this.#find(net.id);
      if (!peer || peer.state.status !== "running")
        throw new Error(`cannot join network of a non running container: ${net.id}`);
    }
    const ports = this.#allocatePorts(c);
    const s = c.state;
    s.status = "running";
    s.exitCode = undefined;
    s.oomKilled = undefined;
    s.finishedAt = undefined;
    s.startedAt = this.#clock.now();
    s.ports = ports;
    s.ips = this.#allocateIps(net);
    if (s.health !== undefined) s.health = "starting";
    this.#emit(c, "start");
  }

  async stop(id: string, _graceSec: number): Promise<void> {
    const c = this.#find(id);
    if (!c || c.state.status !== "running") return;
    this.#emit(c, "kill");
    this.#terminate(c, 143, false);
    this.#emit(c, "stop");
  }

  async remove(id: string): Promise<void> {
    const c = this.#find(id);
    if (!c) return;
    if (c.state.status === "running") {
      this.#emit(c, "kill");
      this.#terminate(c, 137, false);
    }
    this.#containers.delete(c.state.id);
    this.#byName.delete(c.state.name);
    this.#byTask.get(c.state.labels[LABELS.taskArn] ?? "")?.delete(c.state.id);
    this.#emit(c, "destroy");
  }

  async list(labels: Record<string, string>): Promise<ContainerState[]> {
    const task = labels[LABELS.taskArn];
    const candidates =
      task === undefined
        ? [...this.#containers.values()]
        : [...(this.#byTask.get(task) ?? [])].map((id) => this.#containers.get(id)!);
    return candidates
      .filter((c) => Object.entries(labels).every(([k, v]) => c.state.labels[k] === v))
      .map((c) => structuredClone(c.state));
  }

  async inspect(id: string): Promise<ContainerState | undefined> {
    const c = this.#find(id);
    return c && structuredClone(c.state);
  }

  /**
   * Makes a container "use" `cpuCores` cores from now on (CPU time grows with the clock) and
   * `memoryBytes` of memory, as `docker stats` would report them.
   */
  setUsage(id: string, usage: { cpuCores: number; memoryBytes: number }): void {
    const c = this.#find(id);
    if (!c) throw new Error(`no container ${id}`);
    const now = this.#clock.now();
    const before = c.usage ? c.usage.cpuNsBefore + (now - c.usage.since) * 1e6 * c.usage.cpuCores : 0;
    c.usage = { cpuCores: usage.cpuCores, memoryBytes: usage.memoryBytes, since: now, cpuNsBefore: before };
  }

  /** A sample in Docker's ContainerStats shape (read, cpu_stats, memory_stats), with what setUsage set. */
  async stats(id: string): Promise<Record<string, unknown> | undefined> {
    const c = this.#find(id);
    if (!c) return undefined;
    const u = c.usage;
    const cpu = u ? u.cpuNsBefore + (this.#clock.now() - u.since) * 1e6 * u.cpuCores : 0;
    return {
      read: new Date(this.#clock.now()).toISOString(),
      name: `/${c.state.name}`,
      id: c.state.id,
      cpu_stats: { cpu_usage: { total_usage: cpu }, system_cpu_usage: 0, online_cpus: 1 },
      precpu_stats: { cpu_usage: { total_usage: 0 }, system_cpu_usage: 0, online_cpus: 1 },
      memory_stats: { usage: u?.memoryBytes ?? 0, limit: c.spec.memoryBytes ?? 0 },
      networks: {},
    };
  }

  async ensureNetwork(name: string, labels: Record<string, string>): Promise<void> {
    if (this.#networks.has(name)) return;
    this.#networks.set(name, { index: this.#networks.size + 1, labels: { ...labels }, nextHost: 2 });
  }

  /** Like Docker: a range overlapping another network's is refused with the engine's text. */
  async createNetwork(spec: BridgeNetworkSpec): Promise<void> {
    if (this.#networks.has(spec.name)) return;
    const mine = cidrRange(spec.subnet);
    for (const n of this.#networks.values()) {
      if (!n.subnet) continue;
      const other = cidrRange(n.subnet);
      if (mine.start <= other.end && other.start <= mine.end) throw new Error("Pool overlaps with other one on this address space");
    }
    this.#networks.set(spec.name, {
      index: this.#networks.size + 1,
      labels: { ...spec.labels },
      nextHost: 2,
      subnet: spec.subnet,
      ...(spec.bridgeName ? { bridge: spec.bridgeName } : {}),
    });
  }

  async networks(): Promise<NetworkInfo[]> {
    return [...this.#networks].map(([name, n]) => ({
      name,
      id: sha256(`network:${name}`),
      driver: "bridge",
      subnets: n.subnet ? [n.subnet] : [`10.99.${n.index}.0/24`],
      labels: { ...n.labels },
      bridge: n.bridge ?? `br-${sha256(`network:${name}`).slice(0, 12)}`,
    }));
  }

  async removeNetwork(name: string): Promise<void> {
    if (!this.#networks.has(name)) return;
    for (const c of this.#containers.values())
      if (c.state.status === "running" && c.spec.network.mode === "network" && c.spec.network.name === name)
        throw new Error(`error while removing network: network ${name} has active endpoints`);
    this.#networks.delete(name);
  }

  async *logs(id: string, opts: LogsOptions = {}): AsyncIterable<LogLine> {
    const c = this.#get(id);
    const cid = c.state.id;
    const { signal } = opts;
    let i = 0;
    while (!signal?.aborted) {
      const log = this.#logOf(cid);
      while (i < log.lines.length) {
        const line = log.lines[i++]!;
        if (opts.sinceMs === undefined || line.timestamp >= opts.sinceMs) yield { ...line };
        if (signal?.aborted) return;
      }
      const current = this.#containers.get(cid);
      if (!opts.follow || !current || current.state.status !== "running") return;
      await new Promise<void>((resolve) => {
        const done = () => {
          log.waiters.delete(done);
          signal?.removeEventListener("abort", done);
          resolve();
        };
        log.waiters.add(done);
        signal?.addEventListener("abort", done, { once: true });
      });
    }
  }

  /** A few shell builtins stand in for the process (see fake-shell.ts); it ends when the container stops. */
  async exec(id: string, opts: ExecOptions): Promise<ExecProcess> {
    const c = this.#find(id);
    if (!c) throw new ExecError(`No such container: ${id}`);
    if (c.state.status !== "running") throw new ExecError(`Container ${c.state.id} is not running`);
    this.execs.push({ containerId: c.state.id, cmd: [...opts.cmd] });
    const proc = startFakeProcess(opts);
    const procs = this.#procs.get(c.state.id) ?? new Set();
    this.#procs.set(c.state.id, procs.add(proc));
    void proc.exitCode.then(() => procs.delete(proc));
    return proc;
  }

  async *events(signal: AbortSignal): AsyncIterable<RuntimeEvent> {
    const queue: RuntimeEvent[] = [];
    let wake: (() => void) | undefined;
    const sub: Subscriber = {
      push: (ev) => {
        queue.push(ev);
        wake?.();
      },
    };
    const onAbort = () => wake?.();
    this.#subscribers.add(sub);
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      while (!signal.aborted) {
        const ev = queue.shift();
        if (ev) {
          yield ev;
          continue;
        }
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    } finally {
      this.#subscribers.delete(sub);
      signal.removeEventListener("abort", onAbort);
    }
  }

  // ---- internals ----

  #find(idOrName: string): FakeContainer | undefined {
    const byId = this.#containers.get(idOrName) ?? this.#containers.get(this.#byName.get(idOrName) ?? "");
    if (byId) return byId;
    for (const c of this.#containers.values()) if (c.state.name === idOrName || c.state.id.startsWith(idOrName)) return c;
    return undefined;
  }

  #get(id: string): FakeContainer {
    const c = this.#find(id);
    if (!c) throw new Error(`No such container: ${id}`);
    return c;
  }

  #logOf(id: string): { lines: LogLine[]; waiters: Set<() => void> } {
    let log = this.#logLines.get(id);
    if (!log) {
      log = { lines: [], waiters: new Set() };
      this.#logLines.set(id, log);
    }
    return log;
  }

  #wakeLogs(id: string): void {
    for (const w of [...(this.#logLines.get(id)?.waiters ?? [])]) w();
  }

  #terminate(c: FakeContainer, code: number, oomKilled: boolean): void {
    queueMicrotask(() => this.#wakeLogs(c.state.id));
    for (const p of this.#procs.get(c.state.id) ?? []) p.close();
    this.#procs.delete(c.state.id);
    const s = c.state;
    s.status = "exited";
    s.exitCode = code;
    s.oomKilled = oomKilled || undefined;
    s.finishedAt = this.#clock.now();
    s.ips = {};
    s.ports = [];
    if (oomKilled) this.#emit(c, "oom");
    this.#emit(c, "die");
  }

  #allocatePorts(c: FakeContainer): ContainerState["ports"] {
    if (c.spec.network.mode === "host" || c.spec.network.mode === "none") return [];
    const inUse = new Set<string>();
    for (const o of this.#containers.values()) for (const p of o.state.ports) inUse.add(`${p.hostPort}/${p.protocol}`);
    return (c.spec.portBindings ?? []).map((p) => {
      let hostPort = p.hostPort;
      if (hostPort === 0) while (inUse.has(`${(hostPort = this.#nextPort++)}/${p.protocol}`));
      else if (inUse.has(`${hostPort}/${p.protocol}`))
        throw new Error(`Bind for ${p.hostIp || "0.0.0.0"}:${hostPort} failed: port is already allocated`);
      inUse.add(`${hostPort}/${p.protocol}`);
      return { containerPort: p.containerPort, hostPort, protocol: p.protocol, hostIp: p.hostIp };
    });
  }

  #allocateIps(net: ContainerSpec["network"]): Record<string, string> {
    if (net.mode === "bridge") return { bridge: `${BRIDGE_SUBNET}.${ipTail(this.#nextBridgeHost++)}` };
    if (net.mode !== "network") return {};
    const n = this.#networks.get(net.name);
    if (!n) throw new Error(`network ${net.name} not found`);
    if (net.ipv4Address) {
      for (const c of this.#containers.values()) {
        if (c.state.status === "running" && c.state.ips[net.name] === net.ipv4Address) throw new Error(`Address already in use`);
      }
      return { [net.name]: net.ipv4Address };
    }
    return { [net.name]: `10.99.${n.index}.${ipTail(n.nextHost++)}` };
  }

  #emit(c: FakeContainer, action: string): void {
    if (c.state.labels[LABELS.managed] !== "true") return;
    const ev = { containerId: c.state.id, action, labels: { ...c.state.labels } };
    for (const s of this.#subscribers) s.push(ev);
  }
}

/** Host part of a /24 (wraps past 254 into the third octet is not needed for tests). */
function ipTail(n: number): string {
  return String(((n - 2) % 253) + 2);
}

/** The first and last address of an IPv4 CIDR, as numbers. */
function cidrRange(cidr: string): { start: number; end: number } {
  const [ip = "", len = "32"] = cidr.split("/");
  const n = ip.split(".").reduce((a, b) => a * 256 + Number(b), 0);
  const size = 2 ** (32 - Number(len));
  const start = n - (n % size);
  return { start, end: start + size - 1 };
}
