/**
 * The task endpoint: what a task container reaches at http://169.254.170.2 (address.ts says how).
 *
 *   GET /v2/credentials/<id>, /v1/credentials?id=<id>   task-role credentials (credentials.ts)
 *   GET /v4/<id>, /v4/<id>/task, /v4/<id>/taskWithTags, /v4/<id>/stats, /v4/<id>/task/stats
 *   GET /v3/<id>/…                                      task metadata (metadata.ts)
 *   anything else                                       the AWS API (AWS_ENDPOINT_URL points here)
 *
 * Each container gets, unless its task definition sets them: ECS_CONTAINER_METADATA_URI_V4,
 * ECS_CONTAINER_METADATA_URI, AWS_EXECUTION_ENV, AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (tasks
 * with a task role) and AWS_ENDPOINT_URL (switchable off), so an unmodified AWS SDK in the
 * container finds its credentials and talks to Slipway. Ids are random UUIDs, kept in SQLite so
 * containers that outlive a restart keep working.
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { createServer } from "../core/node-http.ts";
import type { Clock } from "../core/clock.ts";
import type { IdGen } from "../core/ids.ts";
import type { ContainerRuntime, ContainerState } from "../runtime/runtime.ts";
import type { Store } from "../store/store.ts";
import { type Run, setUpAddress, TASK_ENDPOINT_IP, TASK_ENDPOINT_PORT, tearDownAddress } from "./address.ts";
import { TaskCredentials } from "./credentials.ts";
import { containerMetadata, taskMetadata, withNetworkRates } from "./metadata.ts";
import type { RoleSessions, TaskSnapshot, TaskView } from "./ports.ts";
import { TaskEndpointRepo } from "./repo.ts";

export const ENDPOINT_URL = `http://${TASK_ENDPOINT_IP}`;

export interface TaskEndpointDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly ids: IdGen;
  readonly runtime: ContainerRuntime;
  readonly tasks: TaskView;
  readonly sessions: RoleSessions;
}

export interface TaskEndpointOptions {
  /** Inject AWS_ENDPOINT_URL (default true). */
  readonly endpointUrl?: boolean;
}

/** The task a container runs in, as the environment needs it. */
export interface TaskInfo {
  readonly taskArn: string;
  readonly taskRoleArn?: string;
  readonly launchType?: string;
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

const V_PATH = /^\/v([34])\/([^/?]+)(\/task|\/taskWithTags|\/stats|\/task\/stats)?\/?$/;

export class TaskEndpoint {
  readonly #deps: TaskEndpointDeps;
  readonly #opts: TaskEndpointOptions;
  readonly #repo: TaskEndpointRepo;
  readonly credentials: TaskCredentials;
  /** The last stats sample of each container (network rates are computed between two). */
  readonly #lastStats = new Map<string, Record<string, unknown>>();
  #server: Server | undefined;

  constructor(deps: TaskEndpointDeps, opts: TaskEndpointOptions = {}) {
    this.#deps = deps;
    this.#opts = opts;
    this.#repo = new TaskEndpointRepo(deps.store);
    this.credentials = new TaskCredentials(deps, this.#repo, deps.sessions);
  }

  /** Platform variables for one container (KEY=VALUE); the task's own variables win over them. */
  environment(task: TaskInfo, containerName: string): string[] {
    const endpointId = this.#deps.store.tx(() => {
      const existing = this.#repo.endpointOf(task.taskArn, containerName);
      if (existing) return existing.endpoint_id;
      const id = this.#deps.ids.uuid();
      this.#repo.insertEndpoint({ endpoint_id: id, task_arn: task.taskArn, container_name: containerName });
      return id;
    });
    const env = [
      `ECS_CONTAINER_METADATA_URI_V4=${ENDPOINT_URL}/v4/${endpointId}`,
      `ECS_CONTAINER_METADATA_URI=${ENDPOINT_URL}/v3/${endpointId}`,
      `AWS_EXECUTION_ENV=${task.launchType === "FARGATE" ? "AWS_ECS_FARGATE" : "AWS_ECS_EC2"}`,
    ];
    if (task.taskRoleArn) env.push(`AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=/v2/credentials/${this.credentials.idFor(task.taskArn, task.taskRoleArn)}`);
    if (this.#opts.endpointUrl ?? true) env.push(`AWS_ENDPOINT_URL=${ENDPOINT_URL}`);
    return env;
  }

  /** The task stopped: its credentials are revoked and its ids forgotten. */
  release(taskArn: string): void {
    this.#deps.store.tx(() => {
      this.credentials.revoke(taskArn);
      this.#repo.deleteTask(taskArn);
    });
  }

  /** Releases what tasks that are gone or STOPPED still hold (a crash between stop and release). */
  sweep(): number {
    let n = 0;
    for (const arn of this.#repo.taskArns()) {
      if (this.#deps.tasks.isLive(arn)) continue;
      this.release(arn);
      n++;
    }
    return n;
  }

  /** The HTTP handler; `api` answers what is not a metadata or credentials path. */
  handler(api: Handler): Handler {
    return async (req, res) => {
      const url = req.url ?? "/";
      const path = url.split("?")[0]!;
      if (req.method === "GET" || req.method === "HEAD") {
        // The agent does not clean paths: "//v2/credentials/…" is not the credentials path.
        if (/^\/\/+v\d/.test(path)) return json(res, 404, "404 page not found");
        if (path === "/v2/credentials" || path === "/v2/credentials/" || path.startsWith("/v2/credentials/")) {
          const a = this.credentials.answer(path.slice("/v2/credentials/".length) || undefined, "V2");
          return json(res, a.status, a.body);
        }
        if (path === "/v1/credentials") {
          const a = this.credentials.answer(new URLSearchParams(url.split("?")[1] ?? "").get("id") ?? undefined, "V1");
          return json(res, a.status, a.body);
        }
        const m = V_PATH.exec(path);
        if (m) return this.#metadata(res, m[1] as "3" | "4", m[2]!, m[3] ?? "");
      }
      return api(req, res);
    };
  }

  async #metadata(res: ServerResponse, version: "3" | "4", endpointId: string, what: string): Promise<void> {
    const row = this.#repo.endpoint(endpointId);
    const snap = row && this.#deps.tasks.task(row.task_arn);
    if (!row || !snap) {
      return json(res, 404, `V${version} container metadata handler: unable to get task arn from request: unable to get task arn from v${version} endpoint ID: ${endpointId}`);
    }
    const containers = snap.task.containers ?? [];
    if (what === "/stats" || what === "/task/stats") {
      const picked = what === "/stats" ? containers.filter((c) => c.name === row.container_name) : containers;
      const out: Record<string, unknown> = {};
      for (const c of picked) {
        if (!c.runtimeId) continue;
        const stats = await this.#deps.runtime.stats(c.runtimeId);
        if (!stats) continue;
        const sample = withNetworkRates(stats, this.#lastStats.get(c.runtimeId));
        this.#lastStats.set(c.runtimeId, stats);
        out[c.runtimeId] = sample;
      }
      if (what === "/stats") return json(res, 200, Object.values(out)[0] ?? {});
      return json(res, 200, out);
    }
    const docker = await this.#docker(snap);
    if (what === "") {
      const c = containers.find((x) => x.name === row.container_name);
      return json(res, 200, c ? containerMetadata(snap, c, docker.get(row.container_name)) : {});
    }
    return json(res, 200, taskMetadata(snap, docker, what === "/taskWithTags"));
  }

  async #docker(snap: TaskSnapshot): Promise<Map<string, ContainerState | undefined>> {
    const out = new Map<string, ContainerState | undefined>();
    for (const c of snap.task.containers ?? []) out.set(c.name ?? "", c.runtimeId ? await this.#deps.runtime.inspect(c.runtimeId) : undefined);
    return out;
  }

  /** Listens on 169.254.170.2:80 (the address must be set up first); rejects when it cannot bind. */
  async listen(handler: Handler, host = TASK_ENDPOINT_IP, port = TASK_ENDPOINT_PORT): Promise<number> {
    const server = createServer((req, res) => void handler(req, res));
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    this.#server = server;
    return (server.address() as { port: number }).port;
  }

  async close(): Promise<void> {
    const s = this.#server;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
    this.#server = undefined;
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": String(Buffer.byteLength(text)) });
  res.end(text);
}

/**
 * Brings the endpoint up: the address and isolation chain (address.ts), then the listener. Says
 * once, at start-up, why it cannot (no root, address taken, port in use) and what will not work.
 * Returns whether the endpoint serves (containers get its variables only then).
 */
export async function startTaskEndpoint(
  endpoint: TaskEndpoint,
  opts: { stateFile: string; api: Handler; log: (msg: string) => void; run?: Run; isRoot?: boolean },
): Promise<boolean> {
  const off = (why: string) => {
    opts.log(
      `task endpoint off: ${why}. Task containers get no ECS_CONTAINER_METADATA_URI_V4 (task metadata), no AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (task-role credentials) and no AWS_ENDPOINT_URL, so an AWS SDK inside a task finds neither credentials nor Slipway. Run Slipway as root (it adds ${TASK_ENDPOINT_IP} to lo and listens on port ${TASK_ENDPOINT_PORT} there), or start it with --task-endpoint off to silence this.`,
    );
    return false;
  };
  if (!(opts.isRoot ?? process.getuid?.() === 0)) return off("Slipway is not running as root");
  const setup = await setUpAddress(opts.stateFile, opts.run);
  if (setup.failure) return off(setup.failure);
  for (const w of setup.warnings) opts.log(`task endpoint: ${w}`);
  try {
    await endpoint.listen(endpoint.handler(opts.api));
  } catch (err) {
    await tearDownAddress(opts.stateFile, opts.run);
    const code = (err as NodeJS.ErrnoException).code;
    return off(code === "EADDRINUSE" ? `${TASK_ENDPOINT_IP}:${TASK_ENDPOINT_PORT} is in use (another Slipway, or an ECS agent, serves it)` : `cannot listen on ${TASK_ENDPOINT_IP}:${TASK_ENDPOINT_PORT} (${code ?? (err as Error).message})`);
  }
  opts.log(`task endpoint on http://${TASK_ENDPOINT_IP}:${TASK_ENDPOINT_PORT} (metadata, task-role credentials, AWS API for containers)`);
  return true;
}
