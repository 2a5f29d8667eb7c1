/** ContainerRuntime on the Docker Engine API (see engine-client.ts for transport and versioning). */
import { Channel } from "../../core/channel.ts";
import { systemClock } from "../../core/clock.ts";
import {
  ExecError,
  LABELS,
  PullError,
  type ExecOptions,
  type ExecOutput,
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
} from "../runtime.ts";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { createBody } from "./create-body.ts";
import { toContainerState, type DockerInspect } from "./container-state.ts";
import { compareApiVersions, EngineClient, EngineError, type Json } from "./engine-client.ts";
import { FrameDecoder, LogLineParser } from "./log-frames.ts";

/** Event attributes that are not container labels. */
const NON_LABEL_ATTRS = new Set(["image", "name", "exitCode", "signal", "execID"]);

/** Splits an image reference into the fromImage/tag pair POST /images/create expects. */
export function splitImageRef(ref: string): { fromImage: string; tag: string } {
  const at = ref.indexOf("@");
  if (at >= 0) return { fromImage: ref.slice(0, at), tag: ref.slice(at + 1) };
  const slash = ref.lastIndexOf("/");
  const colon = ref.lastIndexOf(":");
  if (colon > slash) return { fromImage: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { fromImage: ref, tag: "latest" };
}

/**
 * One pull progress line into the per-layer table: "Pulling fs layer" adds a layer, "Downloading"
 * reports bytes, "Download complete", "Pull complete" and "Already exists" finish it.
 */
function trackLayer(
  layers: Map<string, { current: number; total: number; done: boolean }>,
  id: string,
  status: string,
  detail: { current?: number; total?: number } | undefined,
): void {
  if (!/^[0-9a-f]{12,}$/.test(id)) return;
  const l = layers.get(id) ?? { current: 0, total: 0, done: false };
  if (status === "Downloading" && detail) {
    l.current = detail.current ?? l.current;
    l.total = detail.total ?? l.total;
  } else if (status === "Download complete" || status === "Pull complete" || status === "Already exists") {
    l.done = true;
    if (l.total) l.current = l.total;
  }
  layers.set(id, l);
}

function summarize(layers: Map<string, { current: number; total: number; done: boolean }>): PullProgress {
  let layersDone = 0;
  let downloadedBytes = 0;
  let totalBytes = 0;
  for (const l of layers.values()) {
    if (l.done) layersDone++;
    downloadedBytes += l.current;
    totalBytes += l.total;
  }
  return { layers: layers.size, layersDone, downloadedBytes, totalBytes };
}

/** The engine decodes X-Registry-Auth as padded base64url JSON. */
export function registryAuthHeader(auth: RegistryAuth): string {
  return Buffer.from(JSON.stringify(auth)).toString("base64").replace(/\+/g, "-").replace(/\//g, "_");
}

function labelFilter(labels: Record<string, string>): string[] {
  return Object.entries(labels).map(([k, v]) => `${k}=${v}`);
}

function ignoreStatus(err: unknown, ...statuses: number[]): void {
  if (err instanceof EngineError && statuses.includes(err.status)) return;
  throw err;
}

export class DockerRuntime implements ContainerRuntime {
  readonly client: EngineClient;
  readonly #networkCreates = new Map<string, Promise<void>>();

  constructor(client: EngineClient = new EngineClient()) {
    this.client = client;
  }

  async info(): Promise<HostInfo> {
    const { body } = await this.client.request<Json>("GET", "/info");
    return {
      name: String(body.Name ?? ""),
      cpus: Number(body.NCPU ?? 0),
      memoryBytes: Number(body.MemTotal ?? 0),
      serverVersion: String(body.ServerVersion ?? ""),
      apiVersion: await this.client.apiVersion(),
      os: String(body.OperatingSystem ?? ""),
      osType: String(body.OSType ?? ""),
      architecture: String(body.Architecture ?? ""),
    };
  }

  async inspectImage(image: string): Promise<ImageInfo | undefined> {
    try {
      const { body } = await this.client.request<{ Id: string; RepoDigests?: string[] | null }>(
        "GET",
        `/images/${encodeURIComponent(image)}/json`,
      );
      return { id: body.Id, repoDigests: body.RepoDigests ?? [] };
    } catch (err) {
      ignoreStatus(err, 404);
      return undefined;
    }
  }

  async pull(image: string, auth?: RegistryAuth, signal?: AbortSignal, onProgress?: (p: PullProgress) => void): Promise<ImageInfo> {
    const headers = auth ? { "x-registry-auth": registryAuthHeader(auth) } : undefined;
    const layers = new Map<string, { current: number; total: number; done: boolean }>();
    try {
      for await (const line of this.client.stream("POST", "/images/create", {
        query: splitImageRef(image),
        headers,
        signal,
      })) {
        const detail = line.errorDetail as { message?: string } | undefined;
        if (line.error !== undefined || detail) throw new PullError(String(detail?.message ?? line.error));
        if (onProgress && typeof line.id === "string" && typeof line.status === "string") {
          trackLayer(layers, line.id, line.status, line.progressDetail as { current?: number; total?: number } | undefined);
          onProgress(summarize(layers));
        }
      }
    } catch (err) {
      if (err instanceof PullError) throw err;
      throw new PullError(err instanceof Error ? err.message : String(err), { cause: err });
    }
    if (signal?.aborted) throw new PullError(`pull of ${image} aborted`);
    const info = await this.inspectImage(image);
    if (!info) throw new PullError(`image ${image} not present after pull`);
    return info;
  }

  async create(spec: ContainerSpec): Promise<string> {
    const { body } = await this.client.request<{ Id: string }>("POST", "/containers/create", {
      query: { name: spec.name },
      body: createBody(spec),
    });
    return body.Id;
  }

  async start(id: string): Promise<void> {
    await this.client.request("POST", `/containers/${encodeURIComponent(id)}/start`);
  }

  async stop(id: string, graceSec: number): Promise<void> {
    try {
      await this.client.request("POST", `/containers/${encodeURIComponent(id)}/stop`, {
        query: { t: Math.max(0, Math.round(graceSec)) },
      });
    } catch (err) {
      ignoreStatus(err, 404);
    }
  }

  async remove(id: string): Promise<void> {
    try {
      await this.client.request("DELETE", `/containers/${encodeURIComponent(id)}`, { query: { force: true, v: true } });
    } catch (err) {
      if (err instanceof EngineError && err.status === 409 && /already in progress/i.test(err.message)) return;
      ignoreStatus(err, 404);
    }
  }

  async list(labels: Record<string, string>): Promise<ContainerState[]> {
    const { body } = await this.client.request<{ Id: string }[]>("GET", "/containers/json", {
      query: { all: true, filters: JSON.stringify({ label: labelFilter(labels) }) },
    });
    const states = await Promise.all(body.map((c) => this.inspect(c.Id)));
    return states.filter((s): s is ContainerState => s !== undefined);
  }

  async inspect(id: string): Promise<ContainerState | undefined> {
    try {
      const { body } = await this.client.request<DockerInspect>("GET", `/containers/${encodeURIComponent(id)}/json`);
      return toContainerState(body);
    } catch (err) {
      ignoreStatus(err, 404);
      return undefined;
    }
  }

  async stats(id: string): Promise<Record<string, unknown> | undefined> {
    try {
      // one-shot: the engine answers at once instead of waiting a second for a second CPU sample.
      const { body } = await this.client.request<Record<string, unknown>>("GET", `/containers/${encodeURIComponent(id)}/stats`, {
        query: { stream: "false", "one-shot": "true" },
      });
      return body;
    } catch (err) {
      ignoreStatus(err, 404);
      return undefined;
    }
  }

  /** Serialized per name in this process; a 409 from a concurrent creator elsewhere means it exists. */
  ensureNetwork(name: string, labels: Record<string, string>): Promise<void> {
    const pending = this.#networkCreates.get(name);
    if (pending !== undefined) return pending;
    const p = this.#ensureNetwork(name, labels).finally(() => this.#networkCreates.delete(name));
    this.#networkCreates.set(name, p);
    return p;
  }

  async #ensureNetwork(name: string, labels: Record<string, string>): Promise<void> {
    const { body } = await this.client.request<{ Name: string }[]>("GET", "/networks", {
      query: { filters: JSON.stringify({ name: [name] }) },
    });
    if (body.some((n) => n.Name === name)) return;
    try {
      await this.client.request("POST", "/networks/create", {
        body: { Name: name, Driver: "bridge", CheckDuplicate: true, Labels: labels },
      });
    } catch (err) {
      ignoreStatus(err, 409);
    }
  }

  async createNetwork(spec: BridgeNetworkSpec): Promise<void> {
    const { body } = await this.client.request<{ Name: string }[]>("GET", "/networks", {
      query: { filters: JSON.stringify({ name: [spec.name] }) },
    });
    if (body.some((n) => n.Name === spec.name)) return;
    try {
      await this.client.request("POST", "/networks/create", {
        body: {
          Name: spec.name,
          Driver: "bridge",
          CheckDuplicate: true,
          Labels: spec.labels,
          IPAM: { Driver: "default", Config: [{ Subnet: spec.subnet, Gateway: spec.gateway, AuxiliaryAddresses: spec.auxAddresses ?? {} }] },
          Options: spec.bridgeName ? { "com.docker.network.bridge.name": spec.bridgeName } : {},
        },
      });
    } catch (err) {
      // Made by a concurrent caller in the meantime: the same network.
      if (err instanceof EngineError && err.status === 409) return;
      throw err;
    }
  }

  async networks(): Promise<NetworkInfo[]> {
    const { body } = await this.client.request<
      { Name: string; Id: string; Driver: string; Labels?: Record<string, string> | null; Options?: Record<string, string> | null; IPAM?: { Config?: { Subnet?: string }[] | null } }[]
    >("GET", "/networks");
    return body.map((n) => {
      const bridge = n.Options?.["com.docker.network.bridge.name"] ?? (n.Driver === "bridge" ? (n.Name === "bridge" ? "docker0" : `br-${n.Id.slice(0, 12)}`) : undefined);
      return {
        name: n.Name,
        id: n.Id,
        driver: n.Driver,
        subnets: (n.IPAM?.Config ?? []).map((c) => c.Subnet ?? "").filter((c) => c && !c.includes(":")),
        labels: n.Labels ?? {},
        ...(bridge ? { bridge } : {}),
      };
    });
  }

  async removeNetwork(name: string): Promise<void> {
    try {
      await this.client.request("DELETE", `/networks/${encodeURIComponent(name)}`);
    } catch (err) {
      ignoreStatus(err, 404);
    }
  }

  /** GET /containers/{id}/logs with timestamps; multiplexed frames unless the container has a TTY. */
  async *logs(id: string, opts: LogsOptions = {}): AsyncIterable<LogLine> {
    const { signal } = opts;
    if (signal?.aborted) return;
    const { body } = await this.client.request<{ Config?: { Tty?: boolean } }>("GET", `/containers/${encodeURIComponent(id)}/json`);
    const tty = body.Config?.Tty === true;
    const query: Record<string, string | number | boolean> = { stdout: 1, stderr: 1, timestamps: 1, follow: opts.follow ? 1 : 0 };
    if (opts.sinceMs !== undefined && opts.sinceMs > 0) {
      const sec = Math.floor(opts.sinceMs / 1000);
      query.since = `${sec}.${String(opts.sinceMs - sec * 1000).padStart(3, "0")}000000`;
    }
    let res: IncomingMessage;
    try {
      res = await this.client.open("GET", `/containers/${encodeURIComponent(id)}/logs`, { query, signal });
    } catch (err) {
      if (signal?.aborted) return;
      throw err;
    }
    const frames = new FrameDecoder();
    const parser = new LogLineParser();
    try {
      for await (const chunk of res as AsyncIterable<Buffer>) {
        if (tty) yield* parser.pushRaw(chunk);
        else for (const f of frames.push(chunk)) yield* parser.pushFrame(f);
      }
      yield* parser.end();
    } catch (err) {
      if (signal?.aborted) return;
      throw err;
    } finally {
      res.destroy();
    }
  }

  /**
   * POST /containers/{id}/exec, then POST /exec/{id}/start hijacked into a raw stream (multiplexed
   * frames without a TTY). The exit code comes from GET /exec/{id}/json once the stream ends.
   */
  async exec(id: string, opts: ExecOptions): Promise<ExecProcess> {
    const tty = opts.tty ?? false;
    // ConsoleSize (API 1.42+) sizes the terminal before the process starts; older engines get a resize.
    const sizeAtStart = tty && opts.size && compareApiVersions(await this.client.apiVersion(), "1.42") >= 0;
    const consoleSize = sizeAtStart && opts.size ? { ConsoleSize: [opts.size.rows, opts.size.cols] } : {};
    let execId: string;
    try {
      const { body } = await this.client.request<{ Id: string }>("POST", `/containers/${encodeURIComponent(id)}/exec`, {
        body: {
          AttachStdin: opts.stdin ?? false,
          AttachStdout: true,
          AttachStderr: true,
          Tty: tty,
          Cmd: opts.cmd,
          ...(opts.env ? { Env: opts.env } : {}),
          ...(opts.user ? { User: opts.user } : {}),
          ...(opts.workingDir ? { WorkingDir: opts.workingDir } : {}),
          ...consoleSize,
        },
      });
      execId = body.Id;
    } catch (err) {
      if (err instanceof EngineError) throw new ExecError(err.message);
      throw err;
    }
    const path = `/exec/${encodeURIComponent(execId)}`;
    let socket: Duplex;
    try {
      socket = await this.client.hijack("POST", `${path}/start`, { body: { Detach: false, Tty: tty, ...consoleSize } });
    } catch (err) {
      if (err instanceof EngineError) throw new ExecError(err.message);
      throw err;
    }
    const output = new Channel<ExecOutput>();
    const frames = new FrameDecoder();
    let closedByUs = false;
    socket.on("data", (chunk: Buffer) => {
      if (tty) output.push({ stream: "stdout", data: new Uint8Array(chunk) });
      else for (const f of frames.push(chunk)) if (f.stream !== 0) output.push({ stream: f.stream === 2 ? "stderr" : "stdout", data: new Uint8Array(f.payload) });
    });
    const ended = new Promise<void>((resolve) => {
      socket.once("close", () => resolve());
      socket.once("error", () => resolve());
    });
    const exitCode = ended.then(async () => {
      output.close();
      // The engine records the exit code just after it closes the stream.
      for (let attempt = 0; attempt < 40; attempt++) {
        try {
          const { body } = await this.client.request<{ Running?: boolean; ExitCode?: number | null }>("GET", `${path}/json`);
          if (!body.Running) return typeof body.ExitCode === "number" ? body.ExitCode : null;
          if (closedByUs) return null;
        } catch {
          return null;
        }
        await systemClock.sleep(25);
      }
      return null;
    });
    const proc: ExecProcess = {
      output,
      write: (data) => {
        if (!socket.destroyed && socket.writable) socket.write(data);
      },
      end: () => {
        if (!socket.destroyed && socket.writable) socket.end();
      },
      resize: async (size) => {
        if (!tty) return;
        await this.client.request("POST", `${path}/resize`, { query: { h: size.rows, w: size.cols } });
      },
      exitCode,
      close: () => {
        closedByUs = true;
        socket.destroy();
      },
    };
    if (tty && opts.size && !sizeAtStart) await proc.resize(opts.size).catch(() => {});
    return proc;
  }

  async *events(signal: AbortSignal): AsyncIterable<RuntimeEvent> {
    const filters = JSON.stringify({ type: ["container"], label: [`${LABELS.managed}=true`] });
    for await (const ev of this.client.stream("GET", "/events", { query: { filters }, signal })) {
      const actor = (ev.Actor ?? {}) as { ID?: string; Attributes?: Record<string, string> };
      const labels: Record<string, string> = {};
      for (const [k, v] of Object.entries(actor.Attributes ?? {})) if (!NON_LABEL_ATTRS.has(k)) labels[k] = v;
      yield { containerId: String(actor.ID ?? ev.id ?? ""), action: String(ev.Action ?? ev.status ?? ""), labels };
    }
  }
}

