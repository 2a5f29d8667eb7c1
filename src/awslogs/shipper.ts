/**
 * The awslogs log driver, done by Slipway (what ECS's awslogs driver does, see
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using_awslogs.html): containers keep
 * Docker's default logging driver; for every container whose task definition says
 * `logDriver: "awslogs"`, the shipper follows `docker logs --follow --timestamps` and appends the
 * lines to the log group `awslogs-group`, stream `<awslogs-stream-prefix>/<container>/<task id>`
 * (the container id without a prefix), in batches of up to `batchLines` lines or `batchMs`.
 *
 * Events: timestamp = the engine's line timestamp (ms), ingestionTime = when stored, message =
 * the line without its newline; stdout and stderr share the stream.
 *
 * Restart-safe: events live in SQLite, and a follower resumes with `since` = the newest stored
 * timestamp of its stream, skipping the lines at that exact millisecond that are already stored
 * (matched by message, as a multiset), so nothing is shipped twice and nothing is lost.
 *
 * A follower ends by itself when its container stops (after shipping every line); stop() and
 * close() cut followers short (what was read is still flushed).
 */
import type { LogConfiguration } from "@aws-sdk/client-ecs";
import { parseArn, type Scope } from "../core/arn.ts";
import type { Clock } from "../core/clock.ts";
import type { ContainerRuntime, LogLine } from "../runtime/runtime.ts";

/** What the driver writes through: CloudWatch Logs (src/services/logs/logs.ts), without AWS's request validation. */
export interface LogSink {
  /** True when the group exists; creates it when missing and `create` is set. */
  ensureGroup(scope: Scope, name: string, create: boolean): boolean;
  /** Creates the stream if missing; throws when the group is missing. */
  ensureStream(scope: Scope, group: string, stream: string): void;
  /** Appends lines (in order) with ingestionTime = now. */
  ingest(scope: Scope, group: string, stream: string, events: readonly { timestamp: number; message: string }[]): void;
  /** The newest timestamp stored in the stream and the messages at exactly that timestamp. */
  resumePoint(scope: Scope, group: string, stream: string): { ts: number; messages: string[] } | undefined;
}

export interface FollowContainer {
  /** The container name in the task definition. */
  name: string;
  /** The runtime's (Docker's) container id. */
  runtimeId: string;
  logConfiguration?: LogConfiguration;
}

export interface FollowTask {
  taskArn: string;
  /** The 32-hex last segment of the task ARN. */
  taskId: string;
  containers: FollowContainer[];
}

export interface LogShipperOptions {
  /** Longest a line waits before it is stored (default 200 ms, on the injected clock). */
  batchMs?: number;
  /** Lines that trigger a store at once (default 100). */
  batchLines?: number;
  /** Wait before re-following after the log stream failed (default 1000 ms). */
  retryMs?: number;
  log?: (msg: string) => void;
}

/** Where one container's lines go. */
export interface AwslogsTarget {
  group: string;
  stream: string;
  createGroup: boolean;
  region?: string;
}

/** The text a task fails with when its log group is missing and awslogs-create-group is not "true" (as on AWS). */
export const MISSING_GROUP_ERROR =
  "ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log group does not exist.";

/** The awslogs target of a container, or undefined when it does not use the awslogs driver. */
export function awslogsTarget(
  c: { name: string; runtimeId?: string; logConfiguration?: LogConfiguration },
  taskId: string,
): AwslogsTarget | undefined {
  const cfg = c.logConfiguration;
  if (!cfg || cfg.logDriver !== "awslogs") return undefined;
  const opts = cfg.options ?? {};
  const group = opts["awslogs-group"];
  if (!group) return undefined;
  const prefix = opts["awslogs-stream-prefix"];
  const stream = prefix ? `${prefix}/${c.name}/${taskId}` : (c.runtimeId ?? "");
  return { group, stream, createGroup: opts["awslogs-create-group"] === "true", region: opts["awslogs-region"] };
}

function scopeOf(taskArn: string): Scope {
  const p = parseArn(taskArn);
  if (!p) throw new Error(`not a task ARN: ${taskArn}`);
  return { accountId: p.accountId, region: p.region };
}

interface Follower {
  taskArn: string;
  ac: AbortController;
  done: Promise<void>;
}

export class LogShipper {
  readonly #deps: { readonly clock: Clock };
  readonly #logs: LogSink;
  readonly #rt: ContainerRuntime;
  readonly #batchMs: number;
  readonly #batchLines: number;
  readonly #retryMs: number;
  readonly #log: (msg: string) => void;
  /** Followers by `${taskArn}|${runtimeId}`. */
  readonly #followers = new Map<string, Follower>();

  constructor(deps: { readonly clock: Clock }, logs: LogSink, runtime: ContainerRuntime, opts: LogShipperOptions = {}) {
    this.#deps = deps;
    this.#logs = logs;
    this.#rt = runtime;
    this.#batchMs = opts.batchMs ?? 200;
    this.#batchLines = opts.batchLines ?? 100;
    this.#retryMs = opts.retryMs ?? 1000;
    this.#log = opts.log ?? (() => {});
  }

  /**
   * Before a task's containers are created: makes the awslogs groups that have
   * `awslogs-create-group: "true"`; returns the error text the task must stop with when a group
   * is missing otherwise (undefined when every group is there).
   */
  ensureGroupForTask(task: { taskArn: string; containers: readonly { name: string; logConfiguration?: LogConfiguration }[] }): string | undefined {
    const scope = scopeOf(task.taskArn);
    for (const c of task.containers) {
      const t = awslogsTarget(c, "");
      if (!t) continue;
      if (!this.#logs.ensureGroup(scope, t.group, t.createGroup)) return MISSING_GROUP_ERROR;
    }
    return undefined;
  }

  /**
   * When a task's containers have started: creates each awslogs stream (so it is listed before any
   * output) and follows the container's logs. Idempotent per container; safe to call again after a
   * restart (resumes where the stored events end).
   */
  follow(task: FollowTask): void {
    const scope = scopeOf(task.taskArn);
    for (const c of task.containers) {
      const target = awslogsTarget(c, task.taskId);
      if (!target) continue;
      const key = `${task.taskArn}|${c.runtimeId}`;
      if (this.#followers.has(key)) continue;
      try {
        if (!this.#logs.ensureGroup(scope, target.group, target.createGroup)) {
          this.#log(`awslogs: log group ${target.group} does not exist; not shipping ${c.name} of ${task.taskArn}`);
          continue;
        }
        this.#logs.ensureStream(scope, target.group, target.stream);
      } catch (err) {
        this.#log(`awslogs: cannot create stream ${target.stream} in ${target.group}: ${String(err)}`);
        continue;
      }
      const ac = new AbortController();
      const follower: Follower = { taskArn: task.taskArn, ac, done: Promise.resolve() };
      follower.done = this.#run(scope, target, c.runtimeId, ac.signal)
        .catch((err: unknown) => this.#log(`awslogs: follower for ${c.runtimeId} failed: ${String(err)}`))
        .finally(() => {
          if (this.#followers.get(key) === follower) this.#followers.delete(key);
        });
      this.#followers.set(key, follower);
    }
  }

  /** True while some container of the task is being followed. */
  following(taskArn: string): boolean {
    for (const f of this.#followers.values()) if (f.taskArn === taskArn) return true;
    return false;
  }

  /** Stops following a task's containers (lines already read are stored). */
  async stop(taskArn: string): Promise<void> {
    const mine = [...this.#followers.values()].filter((f) => f.taskArn === taskArn);
    for (const f of mine) f.ac.abort();
    await Promise.all(mine.map((f) => f.done));
  }

  /** Stops every follower. */
  async close(): Promise<void> {
    const all = [...this.#followers.values()];
    for (const f of all) f.ac.abort();
    await Promise.all(all.map((f) => f.done));
  }

  async #run(scope: Scope, t: AwslogsTarget, containerId: string, signal: AbortSignal): Promise<void> {
    let buffer: LogLine[] = [];
    let timer: AbortController | undefined;
    const flush = () => {
      timer?.abort();
      timer = undefined;
      if (buffer.length === 0) return;
      const batch = buffer;
      buffer = [];
      try {
        this.#logs.ingest(
          scope,
          t.group,
          t.stream,
          batch.map((l) => ({ timestamp: l.timestamp, message: l.message })),
        );
      } catch (err) {
        this.#log(`awslogs: dropped ${batch.length} line(s) for ${t.group}/${t.stream}: ${String(err)}`);
      }
    };
    const schedule = () => {
      if (timer) return;
      const ac = new AbortController();
      timer = ac;
      this.#deps.clock.sleep(this.#batchMs, ac.signal).then(
        () => {
          if (timer === ac) flush();
        },
        () => {},
      );
    };

    try {
      while (!signal.aborted) {
        const resume = this.#logs.resumePoint(scope, t.group, t.stream);
        const seen = [...(resume?.messages ?? [])];
        let ended = false;
        try {
          for await (const line of this.#rt.logs(containerId, { follow: true, sinceMs: resume?.ts, signal })) {
            if (resume && line.timestamp < resume.ts) continue;
            if (resume && line.timestamp === resume.ts && seen.length) {
              const i = seen.indexOf(line.message);
              if (i >= 0) {
                seen.splice(i, 1);
                continue;
              }
            }
            buffer.push(line);
            if (buffer.length >= this.#batchLines) flush();
            else schedule();
          }
          ended = true;
        } catch (err) {
          if (signal.aborted) break;
          flush();
          const state = await this.#rt.inspect(containerId).catch(() => undefined);
          if (!state) return;
          this.#log(`awslogs: log stream of ${containerId} failed, re-following: ${String(err)}`);
          try {
            await this.#deps.clock.sleep(this.#retryMs, signal);
          } catch {
            break;
          }
          continue;
        }
        if (ended) break;
      }
    } finally {
      flush();
    }
  }
}
