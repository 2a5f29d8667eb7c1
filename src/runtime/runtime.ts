/**
 * The container runtime seam. DockerRuntime (src/runtime/docker/) talks to the Docker Engine API;
 * FakeRuntime (src/runtime/fake-runtime.ts) backs deterministic unit tests. One contract suite
 * (test/contract/runtime.contract.ts) runs against both.
 *
 * The scheduler never remembers containers: it lists them by label and acts on what it finds,
 * so every container Slipway creates carries the labels in LABELS.
 */
export const LABELS = {
  managed: "slipway.managed",
  account: "slipway.account",
  region: "slipway.region",
  cluster: "slipway.cluster",
  taskArn: "slipway.task-arn",
  taskId: "slipway.task-id",
  container: "slipway.container-name",
  service: "slipway.service",
  /** The Slipway data directory that made the container, so two Slipways never touch each other's. */
  instance: "slipway.instance",
} as const;

export interface PortBinding {
  containerPort: number;
  /** 0 asks the runtime to pick a free host port. */
  hostPort: number;
  protocol: "tcp" | "udp";
  /** Host address to bind; Slipway binds published ports on loopback by default. */
  hostIp: string;
}

export interface HealthcheckSpec {
  /** Docker's form: ["CMD", ...] or ["CMD-SHELL", "cmd"], or ["NONE"] to disable an image's HEALTHCHECK. */
  test: string[];
  intervalMs?: number;
  timeoutMs?: number;
  retries?: number;
  startPeriodMs?: number;
}

export type NetworkSpec =
  | { mode: "bridge" }
  | { mode: "host" }
  | { mode: "none" }
  /**
   * A user-defined network (awsvpc tasks): the container gets its own IP on it, `ipv4Address`
   * when given (an ENI's address on its subnet's network), else one the runtime picks.
   */
  | { mode: "network"; name: string; aliases?: string[]; ipv4Address?: string }
  /** Share another container's network namespace (the other containers of an awsvpc task). */
  | { mode: "container"; id: string };

export interface ContainerSpec {
  name: string;
  image: string;
  labels: Record<string, string>;
  entrypoint?: string[];
  cmd?: string[];
  /** KEY=VALUE */
  env?: string[];
  user?: string;
  workingDir?: string;
  readonlyRootfs?: boolean;
  /** Run an init process (docker run --init). */
  init?: boolean;
  /** Seconds between SIGTERM and SIGKILL when stopped. */
  stopTimeoutSec?: number;
  memoryBytes?: number;
  memoryReservationBytes?: number;
  /** Relative CPU weight (ECS cpu units map 1:1 to Docker CPU shares). */
  cpuShares?: number;
  ulimits?: { name: string; soft: number; hard: number }[];
  healthcheck?: HealthcheckSpec;
  network: NetworkSpec;
  portBindings?: PortBinding[];
  extraHosts?: string[];
  /** The container's host name (an awsvpc task's ENI private DNS name). */
  hostname?: string;
}

/** A bridge network with a fixed address range (a VPC subnet on this host). */
export interface BridgeNetworkSpec {
  name: string;
  labels: Record<string, string>;
  /** The range, e.g. "10.0.1.0/24", and the host's address on it (the VPC router, base+1). */
  subnet: string;
  gateway: string;
  /** Addresses the runtime must never hand out (base+2, base+3). */
  auxAddresses?: Record<string, string>;
  /** The Linux bridge's name (at most 15 characters), so Slipway's filters can match it. */
  bridgeName?: string;
}

/** A network the runtime knows (its own or anyone's). */
export interface NetworkInfo {
  name: string;
  id: string;
  driver: string;
  /** IPv4 ranges of the network. */
  subnets: string[];
  labels: Record<string, string>;
  /** The Linux bridge, for bridge networks. */
  bridge?: string;
}

export type ContainerStatus = "created" | "running" | "paused" | "restarting" | "removing" | "exited" | "dead";

export interface ContainerState {
  id: string;
  name: string;
  image: string;
  labels: Record<string, string>;
  status: ContainerStatus;
  /** Set once the container has exited. */
  exitCode?: number;
  oomKilled?: boolean;
  /** Docker's error text when the container could not start. */
  error?: string;
  startedAt?: number;
  finishedAt?: number;
  /** Docker health: undefined when the container has no health check. */
  health?: "starting" | "healthy" | "unhealthy";
  /** IP address per network name. */
  ips: Record<string, string>;
  ports: { containerPort: number; hostPort: number; protocol: "tcp" | "udp"; hostIp: string }[];
  /** The image's id (sha256:…), when the runtime reports it. */
  imageId?: string;
  /** When the container was created (ms since the epoch). */
  createdAt?: number;
  restartCount?: number;
}

export interface ImageInfo {
  id: string;
  /** repo@sha256:... digests the engine knows for the image. */
  repoDigests: string[];
}

export interface RegistryAuth {
  username: string;
  password: string;
  serveraddress: string;
}

export interface HostInfo {
  name: string;
  cpus: number;
  memoryBytes: number;
  serverVersion: string;
  /** Negotiated Engine API version ("1.41"); "fake" for FakeRuntime. */
  apiVersion: string;
  /** Human-readable operating system, e.g. "Debian GNU/Linux 12 (bookworm)". */
  os: string;
  /** "linux" or "windows". */
  osType: string;
  architecture: string;
}

export interface RuntimeEvent {
  containerId: string;
  action: string;
  labels: Record<string, string>;
}

/** One line a container wrote, as `docker logs --timestamps` reports it. */
export interface LogLine {
  stream: "stdout" | "stderr";
  /** Milliseconds since the epoch: the engine's timestamp for the line. */
  timestamp: number;
  /** The line without its trailing newline. */
  message: string;
}

export interface LogsOptions {
  /** Keep the stream open for new lines until the container stops (docker logs --follow). */
  follow?: boolean;
  /** Only lines at or after this time (ms since the epoch). */
  sinceMs?: number;
  /** Ends the iteration (silently) when aborted. */
  signal?: AbortSignal;
}

export interface TerminalSize {
  cols: number;
  rows: number;
}

/** A process to start inside a running container (docker exec). */
export interface ExecOptions {
  cmd: string[];
  /** Allocate a pseudo-terminal: output is one raw stream, and resize() applies. */
  tty?: boolean;
  /** Attach stdin, so write() reaches the process. */
  stdin?: boolean;
  /** KEY=VALUE */
  env?: string[];
  /** Default: the container's user. */
  user?: string;
  workingDir?: string;
  /** The terminal's size at start (TTY only). */
  size?: TerminalSize;
}

/** Output of an exec'd process; with a TTY all of it is "stdout". */
export interface ExecOutput {
  stream: "stdout" | "stderr";
  data: Uint8Array;
}

/** A running exec'd process and its connection. */
export interface ExecProcess {
  /** Output in arrival order; ends when the process exits or close() is called. */
  readonly output: AsyncIterable<ExecOutput>;
  /** Sends bytes to the process's stdin (ignored without `stdin`). */
  write(data: string | Uint8Array): void;
  /** Closes stdin: the process reads end-of-file. */
  end(): void;
  /** Resizes the pseudo-terminal (TTY only). */
  resize(size: TerminalSize): Promise<void>;
  /** The exit code, once the process has exited; null when the connection closed first. */
  readonly exitCode: Promise<number | null>;
  /** Drops the connection (a shell on a TTY sees its terminal hang up). Idempotent. */
  close(): void;
}

/** Raised by exec() when the process cannot be started; `message` is the engine's own text. */
export class ExecError extends Error {
  override name = "ExecError";
}

/** How far a pull has got, summed over the image's layers (as the engine reports them). */
export interface PullProgress {
  readonly layers: number;
  readonly layersDone: number;
  readonly downloadedBytes: number;
  /** Bytes to download, over the layers whose size the engine has reported so far. */
  readonly totalBytes: number;
}

/**
 * A container's resource usage at one moment, read from a `stats()` sample (toContainerStats).
 * Counters are cumulative.
 */
export interface ContainerStats {
  /** CPU time used since the container started, in nanoseconds. */
  cpuTotalNs: number;
  /** Memory in use, without the page cache the kernel can reclaim (usage − inactive_file). */
  memoryBytes: number;
  networkRxBytes: number;
  networkTxBytes: number;
  blockReadBytes: number;
  blockWriteBytes: number;
}

/** Raised by pull() when an image cannot be pulled; `message` is the engine's own text. */
export class PullError extends Error {
  override name = "PullError";
}

export interface ContainerRuntime {
  info(): Promise<HostInfo>;
  /** Local image lookup; undefined when the image is not present. */
  inspectImage(image: string): Promise<ImageInfo | undefined>;
  /** Pulls an image; throws PullError on failure. `onProgress` hears each progress report. */
  pull(image: string, auth?: RegistryAuth, signal?: AbortSignal, onProgress?: (p: PullProgress) => void): Promise<ImageInfo>;
  /** Creates (not starts) a container; returns its id. */
  create(spec: ContainerSpec): Promise<string>;
  start(id: string): Promise<void>;
  /** Idempotent: stopping a stopped or missing container is fine. */
  stop(id: string, graceSec: number): Promise<void>;
  /** Idempotent: removing a missing container is fine. Forces removal of a running one. */
  remove(id: string): Promise<void>;
  /** Containers (running or not) whose labels include every given label. */
  list(labels: Record<string, string>): Promise<ContainerState[]>;
  inspect(id: string): Promise<ContainerState | undefined>;
  /** One sample of the engine's resource statistics (Docker's ContainerStats JSON); undefined when missing. */
  stats(id: string): Promise<Record<string, unknown> | undefined>;
  /** Creates the network if missing (idempotent). */
  ensureNetwork(name: string, labels: Record<string, string>): Promise<void>;
  /**
   * Creates a bridge network with a fixed range; a network of that name already there is kept.
   * Throws with the runtime's text when the range overlaps another network's.
   */
  createNetwork(spec: BridgeNetworkSpec): Promise<void>;
  /** Every network of the runtime, with its ranges. */
  networks(): Promise<NetworkInfo[]>;
  removeNetwork(name: string): Promise<void>;
  /**
   * A container's stdout and stderr lines with their timestamps, oldest first. With `follow`, the
   * iteration ends when the container stops (or the signal aborts); without, after the lines so far.
   * Throws when the container does not exist.
   */
  logs(id: string, opts?: LogsOptions): AsyncIterable<LogLine>;
  /**
   * Starts a process in a running container (docker exec). Throws ExecError when the container is
   * missing or not running.
   */
  exec(id: string, opts: ExecOptions): Promise<ExecProcess>;
  /** Container events, used only to wake reconcilers early; ends when the signal aborts. */
  events(signal: AbortSignal): AsyncIterable<RuntimeEvent>;
}

/** The parts of the Engine API's stats document usage is read from (cgroup v1 and v2). */
interface DockerStats {
  cpu_stats?: { cpu_usage?: { total_usage?: number } };
  memory_stats?: { usage?: number; stats?: Record<string, number> };
  networks?: Record<string, { rx_bytes?: number; tx_bytes?: number }>;
  blkio_stats?: { io_service_bytes_recursive?: Array<{ op?: string; value?: number }> | null };
}

/** CPU time, memory without reclaimable page cache, network and block I/O of a stats() sample. */
export function toContainerStats(raw: Record<string, unknown>): ContainerStats | undefined {
  const s = raw as DockerStats;
  if (!s.cpu_stats?.cpu_usage || s.memory_stats?.usage === undefined) return undefined;
  const mem = s.memory_stats.stats ?? {};
  const cache = mem["inactive_file"] ?? mem["total_inactive_file"] ?? 0;
  let rx = 0;
  let tx = 0;
  for (const n of Object.values(s.networks ?? {})) {
    rx += n.rx_bytes ?? 0;
    tx += n.tx_bytes ?? 0;
  }
  let read = 0;
  let write = 0;
  for (const e of s.blkio_stats?.io_service_bytes_recursive ?? []) {
    const op = (e.op ?? "").toLowerCase();
    if (op === "read") read += e.value ?? 0;
    else if (op === "write") write += e.value ?? 0;
  }
  return {
    cpuTotalNs: s.cpu_stats.cpu_usage.total_usage ?? 0,
    memoryBytes: Math.max(0, s.memory_stats.usage - cache),
    networkRxBytes: rx,
    networkTxBytes: tx,
    blockReadBytes: read,
    blockWriteBytes: write,
  };
}
