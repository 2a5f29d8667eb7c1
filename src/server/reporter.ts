/**
 * What `slipway up` prints while it runs: one line when a service deployment starts, one when it
 * completes or fails, and one per task that fails (with ECS's stop code and reason). It follows
 * the store's change feed (service:/task: keys) and reads through a narrow port (ports.ts), so it
 * never waits on anything. Only changes seen while this process runs are reported: a deployment
 * that had finished before start-up, or a task that stopped before it, is not announced again.
 */
import type { Clock } from "../core/clock.ts";

export interface DeploymentSnapshot {
  readonly id: string;
  readonly status: string;
  readonly taskDefinition: string;
  readonly desiredCount: number;
  readonly runningCount: number;
  readonly failedTasks: number;
  readonly rolloutState: string | undefined;
  readonly rolloutStateReason: string | undefined;
  /** Epoch ms. */
  readonly createdAt: number;
}

export interface ServiceSnapshot {
  readonly serviceName: string;
  readonly clusterName: string;
  readonly deployments: readonly DeploymentSnapshot[];
}

export interface TaskSnapshot {
  readonly taskId: string;
  readonly clusterName: string;
  readonly serviceName: string | undefined;
  readonly taskDefinition: string;
  readonly lastStatus: string;
  readonly stopCode: string | undefined;
  readonly stoppedReason: string | undefined;
  /** Epoch ms. */
  readonly stoppedAt: number | undefined;
  /** The scheduler stopped it for failing health checks. */
  readonly failedHealth: boolean;
  readonly containers: readonly { name: string; essential: boolean; exitCode: number | undefined; reason: string | undefined }[];
}

/** How the reporter reads ECS (implemented in src/server/ports.ts). */
export interface ReporterSource {
  service(arn: string): ServiceSnapshot | undefined;
  task(arn: string): TaskSnapshot | undefined;
}

const revision = (arn: string) => arn.split("/").pop() ?? arn;

/** Did this stopped task fail (as opposed to being stopped by a user, a scale-in or a deployment)? */
export function taskFailed(t: TaskSnapshot): boolean {
  if (t.lastStatus !== "STOPPED") return false;
  if (t.stopCode === "TaskFailedToStart" || t.failedHealth) return true;
  if (t.stopCode === "EssentialContainerExited") return t.containers.some((c) => c.essential && c.exitCode !== 0);
  return false;
}

export class Reporter {
  readonly #source: ReporterSource;
  readonly #write: (line: string) => void;
  readonly #startedAt: number;
  /** Deployment id → the last rollout state reported (or seen, for deployments older than this process). */
  readonly #deployments = new Map<string, string>();
  readonly #reportedTasks = new Set<string>();

  constructor(opts: { source: ReporterSource; write: (line: string) => void; clock: Clock }) {
    this.#source = opts.source;
    this.#write = opts.write;
    this.#startedAt = opts.clock.now();
  }

  /** For the store's change feed. */
  changed(keys: ReadonlySet<string>): void {
    for (const k of keys) {
      try {
        if (k.startsWith("service:")) this.#service(k.slice("service:".length));
        else if (k.startsWith("task:")) this.#task(k.slice("task:".length));
      } catch {
        // Reporting must never disturb the change feed's other listeners.
      }
    }
  }

  #service(arn: string): void {
    const s = this.#source.service(arn);
    if (!s) return;
    const who = `service ${s.serviceName} (cluster ${s.clusterName})`;
    for (const d of s.deployments) {
      const state = d.rolloutState ?? "IN_PROGRESS";
      const before = this.#deployments.get(d.id);
      if (before === state) continue;
      this.#deployments.set(d.id, state);
      if (before === undefined) {
        if (state !== "IN_PROGRESS") continue;
        const how = d.createdAt >= this.#startedAt ? "started" : "in progress";
        this.#write(`deployment ${d.id} of ${who} ${how}: ${revision(d.taskDefinition)}, ${d.desiredCount} task${d.desiredCount === 1 ? "" : "s"}`);
      } else if (state === "COMPLETED") {
        this.#write(`deployment ${d.id} of ${who} completed: ${revision(d.taskDefinition)}, ${d.runningCount} of ${d.desiredCount} running`);
      } else if (state === "FAILED") {
        this.#write(`deployment ${d.id} of ${who} failed: ${d.rolloutStateReason ?? "no reason given"} (${d.failedTasks} failed task${d.failedTasks === 1 ? "" : "s"})`);
      }
    }
  }

  #task(arn: string): void {
    if (this.#reportedTasks.has(arn)) return;
    const t = this.#source.task(arn);
    if (t?.lastStatus !== "STOPPED") return;
    this.#reportedTasks.add(arn);
    if ((t.stoppedAt ?? 0) < this.#startedAt || !taskFailed(t)) return;
    const of = t.serviceName ? `service ${t.serviceName}, cluster ${t.clusterName}` : `cluster ${t.clusterName}`;
    const exits = t.containers
      .filter((c) => c.exitCode !== undefined || (c.reason && !(t.stoppedReason ?? "").includes(c.reason)))
      .map((c) => `${c.name}: ${c.reason ?? `exit code ${c.exitCode}`}`)
      .join("; ");
    this.#write(`task ${t.taskId} (${revision(t.taskDefinition)}, ${of}) failed: ${t.stopCode ? `${t.stopCode}: ` : ""}${t.stoppedReason ?? "stopped"}${exits ? ` [${exits}]` : ""}`);
  }
}
