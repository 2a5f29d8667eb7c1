/**
 * The ECS service scheduler (../shared/spec/ecs-semantics.md §2.4-2.11): keeps desiredCount,
 * rolls deployments within minimumHealthyPercent/maximumPercent, replaces failed tasks, runs
 * the deployment circuit breaker, and writes AWS's service events.
 *
 * Level-triggered: each pass reads the service and its task records and acts on the difference.
 * A pass is one synchronous store transaction, and writes only when something changed, so
 * re-running it is harmless. It never touches Docker: starting and stopping containers is the
 * task reconciler's job (it only sets task records' desired state).
 */
import type { Deployment, LoadBalancer } from "@aws-sdk/client-ecs";
import { ServiceError } from "../aws/service-error.ts";
import { parseArn } from "../core/arn.ts";
import type { Clock } from "../core/clock.ts";
import type { Reconciler, ReconcileResult } from "./controller.ts";
import { NO_HEALTHCHECK_HEALTHY_AFTER_MS } from "../services/ecs/model.ts";
import type { EcsRepo, ServiceRecord, TaskRecord } from "../services/ecs/repo.ts";
import { rolloutReasons, serviceEvents, stopReasons } from "../services/ecs/service-events.ts";
import type { Services } from "../services/ecs/services.ts";
import type { Tasks } from "../services/ecs/tasks.ts";
import { getTaskDefinitionByArn } from "../services/ecs/task-definitions.ts";
import type { EcsDeps } from "../services/ecs/context.ts";
import type { LoadBalancing, TaskTarget } from "../services/ecs/load-balancing.ts";

const IN_PROGRESS_POLL_MS = 1000;
const STEADY_POLL_MS = 15_000;

export function circuitBreakerThreshold(desired: number): number {
  return Math.min(200, Math.max(3, Math.ceil(0.5 * desired)));
}

export class ServiceReconciler implements Reconciler {
  readonly name = "service";
  readonly #deps: EcsDeps;
  readonly #repo: EcsRepo;
  readonly #services: Services;
  readonly #tasks: Tasks;
  readonly #clock: Clock;
  readonly #lb: LoadBalancing | undefined;

  constructor(deps: EcsDeps, repo: EcsRepo, services: Services, tasks: Tasks, lb?: LoadBalancing) {
    this.#deps = deps;
    this.#repo = repo;
    this.#services = services;
    this.#tasks = tasks;
    this.#clock = deps.clock;
    this.#lb = lb;
  }

  listKeys(): string[] {
    return this.#repo.liveServiceArns().map((a) => `service:${a}`);
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const arn = key.slice("service:".length);
    return this.#deps.store.tx(() => this.#pass(arn));
  }

  #pass(arn: string): ReconcileResult {
    const found = this.#repo.getServiceByArn(arn);
    if (!found || found.doc.status === "INACTIVE") return {};
    const { scope, cluster } = found;
    const rec: ServiceRecord = { doc: found.doc, state: found.state };
    const before = JSON.stringify(rec);
    const doc = rec.doc;
    const name = doc.serviceName!;
    const now = this.#clock.now();
    const grace = (doc.healthCheckGracePeriodSeconds ?? 0) * 1000;
    const tasks = this.#repo.serviceTasks(scope, cluster, name, now - 3600_000);
    const live = (t: TaskRecord) => t.doc.desiredStatus === "RUNNING";
    const notStopped = (t: TaskRecord) => t.doc.lastStatus !== "STOPPED";
    const usesLb = (doc.loadBalancers ?? []).some((l) => l.targetGroupArn) && this.#lb !== undefined;
    const targetsHealthy = (t: TaskRecord) =>
      (t.state.targets?.length ?? 0) > 0 && t.state.targets!.every((x) => this.#lb!.health(x.targetGroupArn, x.id, x.port)?.state === "healthy");
    // §2.4: with a load balancer the targets must be healthy (and container health checks too);
    // without one, container health, or 40 s after RUNNING when there is no health check.
    const healthy = (t: TaskRecord) =>
      live(t) &&
      t.doc.lastStatus === "RUNNING" &&
      (usesLb
        ? targetsHealthy(t) && (!t.state.hasHealthChecks || t.doc.healthStatus === "HEALTHY")
        : t.state.hasHealthChecks
          ? t.doc.healthStatus === "HEALTHY"
          : t.state.runningAt !== undefined && now - t.state.runningAt >= NO_HEALTHCHECK_HEALTHY_AFTER_MS);
    const stopTask = (t: TaskRecord, code: string, reason: string, failed = false) => {
      this.#tasks.requestStop(scope, cluster, t, code, reason, failed);
    };

    if (this.#lb) this.#syncTargets(rec, tasks, now);

    if (doc.status === "DRAINING") {
      const stopping = tasks.filter(live);
      for (const t of stopping) stopTask(t, "ServiceSchedulerInitiated", stopReasons.scaling(doc.deployments?.[0]?.id ?? ""));
      if (stopping.length) this.#services.addEvent(rec, serviceEvents.stopped(name, stopping.map(taskId)));
      if (!tasks.some(notStopped)) {
        doc.status = "INACTIVE";
        doc.deployments = [];
      }
      this.#save(scope, cluster, rec, before);
      return doc.status === "INACTIVE" ? {} : { requeueAfterMs: IN_PROGRESS_POLL_MS };
    }

    let primary = doc.deployments?.[0];
    if (!primary) return {};
    const D = doc.desiredCount ?? 0;
    const dc = doc.deploymentConfiguration ?? {};
    const maxTasks = Math.floor((D * (dc.maximumPercent ?? 200)) / 100);
    const minHealthy = Math.ceil((D * (dc.minimumHealthyPercent ?? 100)) / 100);

    // 1. Circuit-breaker accounting: PRIMARY tasks that failed to start or never became healthy.
    for (const t of tasks) {
      if (t.state.deploymentId !== primary.id || notStopped(t) || t.state.countedFailure) continue;
      const neverHealthy = t.state.healthyAt === undefined;
      const failed = t.state.failed === true || t.doc.stopCode === "TaskFailedToStart" || (t.doc.stopCode === "EssentialContainerExited" && neverHealthy);
      if (!failed) continue;
      t.state.countedFailure = true;
      this.#repo.putTask(scope, cluster, t);
      primary.failedTasks = (primary.failedTasks ?? 0) + 1;
      primary.updatedAt = new Date(now);
    }
    const cb = dc.deploymentCircuitBreaker;
    if (cb?.enable && primary.rolloutState === "IN_PROGRESS" && (primary.failedTasks ?? 0) >= circuitBreakerThreshold(D)) {
      primary = this.#trip(scope, cluster, rec, primary, cb.rollback === true, now);
    }

    // 2. PRIMARY tasks failing container or load-balancer health checks (past the grace period)
    //    are replaced: replacements start first (within maximumPercent), and the unhealthy tasks
    //    stop once minimumHealthyPercent holds without them, or one at a time when there is no
    //    room to start a replacement (§2.8).
    const unhealthy = new Map<TaskRecord, { reason: string }>();
    for (const t of tasks) {
      if (t.state.deploymentId !== primary.id || !live(t) || t.doc.lastStatus !== "RUNNING") continue;
      if (t.state.runningAt !== undefined && now - t.state.runningAt < grace) continue;
      let reason: string | undefined;
      let event: string | undefined;
      if (t.doc.healthStatus === "UNHEALTHY") {
        reason = stopReasons.containerHealth;
        event = serviceEvents.containerUnhealthy(name, taskId(t));
      } else if (usesLb) {
        const bad = t.state.targets?.find((x) => this.#lb!.health(x.targetGroupArn, x.id, x.port)?.state === "unhealthy");
        if (bad) {
          const h = this.#lb!.health(bad.targetGroupArn, bad.id, bad.port);
          reason = stopReasons.elbHealth(bad.targetGroupArn);
          event = serviceEvents.targetUnhealthy(name, taskId(t), bad.port, bad.targetGroupArn, h?.description ?? "Health checks failed");
        }
      }
      if (!reason || !event) continue;
      unhealthy.set(t, { reason });
      if (!t.state.unhealthyReported) {
        this.#services.addEvent(rec, event);
        t.state.unhealthyReported = true;
        this.#repo.putTask(scope, cluster, t);
      }
    }

    // 3. Launch PRIMARY tasks within maximumPercent.
    // PRIMARY tasks that stay: live and not being replaced for failing health checks.
    const primaryLive = () => tasks.filter((t) => t.state.deploymentId === primary!.id && live(t) && !unhealthy.has(t));
    if (primary.rolloutState !== "FAILED" && !this.#throttled(rec, primary, now)) {
      const n = Math.min(D - primaryLive().length, maxTasks - tasks.filter(notStopped).length);
      if (n > 0) {
        const td = getTaskDefinitionByArn(this.#deps, primary.taskDefinition!);
        const started: string[] = [];
        for (let i = 0; td && i < n; i++) {
          let r;
          try {
            r = this.#tasks.launch(scope, cluster, td, {
              ...(primary.launchType ? { launchType: primary.launchType } : {}),
              ...(primary.platformVersion ? { platformVersion: primary.platformVersion } : {}),
              ...(primary.networkConfiguration ? { networkConfiguration: primary.networkConfiguration } : {}),
              // A service's tasks take its ECS Exec setting as it is when they start.
              enableExecuteCommand: doc.enableExecuteCommand ?? false,
              service: { name, arn: doc.serviceArn!, deploymentId: primary.id! },
            });
          } catch (err) {
            // The network configuration no longer holds (e.g. its security group was deleted).
            if (!(err instanceof ServiceError)) throw err;
            const msg = serviceEvents.failedToLaunch(name, err.message);
            if (doc.events?.[0]?.message !== msg) this.#services.addEvent(rec, msg);
            break;
          }
          if ("failure" in r) {
            const msg = serviceEvents.unableToPlace(name, r.failure.reason ?? "");
            if (doc.events?.[0]?.message !== msg) this.#services.addEvent(rec, msg);
            break;
          }
          tasks.push(r.task);
          started.push(taskId(r.task));
        }
        if (started.length) {
          this.#services.addEvent(rec, serviceEvents.started(name, started));
          rec.state.steady = false;
        }
      }
    }

    if (unhealthy.size > 0) {
      const healthyNow = tasks.filter(healthy).length;
      const room = maxTasks - tasks.filter(notStopped).length > 0;
      const replacing = tasks.some((t) => t.state.deploymentId === primary!.id && live(t) && !unhealthy.has(t) && !healthy(t));
      const victims = [...unhealthy.keys()];
      const stopNow = healthyNow >= minHealthy ? victims : !room && !replacing ? victims.slice(0, 1) : [];
      for (const t of stopNow) {
        stopTask(t, "ServiceSchedulerInitiated", unhealthy.get(t)!.reason, true);
        this.#services.addEvent(rec, serviceEvents.stopped(name, [taskId(t)]));
        rec.state.steady = false;
      }
    }

    // 4. Stop tasks of older deployments, keeping minimumHealthyPercent healthy.
    if (primary.rolloutState !== "FAILED" || (doc.deployments ?? []).length > 1) {
      let healthyCount = tasks.filter(healthy).length;
      const old = tasks
        .filter((t) => t.state.deploymentId !== primary!.id && live(t))
        .sort((a, b) => Number(healthy(a)) - Number(healthy(b)));
      const failedPrimary = primary.rolloutState === "FAILED";
      const stopped: string[] = [];
      for (const t of old) {
        const fromFailed = (doc.deployments ?? []).find((d) => d.id === t.state.deploymentId)?.rolloutState === "FAILED";
        if (failedPrimary && !fromFailed) continue;
        if (!healthy(t)) {
          stopTask(t, "ServiceSchedulerInitiated", stopReasons.scaling(primary.id!));
          stopped.push(taskId(t));
        } else if (healthyCount - 1 >= minHealthy || fromFailed) {
          stopTask(t, "ServiceSchedulerInitiated", stopReasons.scaling(primary.id!));
          healthyCount--;
          stopped.push(taskId(t));
        }
      }
      // 5. Scale-in of PRIMARY when desiredCount went down.
      const surplus = primaryLive().length - D;
      if (surplus > 0) {
        const victims = primaryLive()
          .sort((a, b) => Number(healthy(a)) - Number(healthy(b)) || (b.doc.createdAt?.getTime() ?? 0) - (a.doc.createdAt?.getTime() ?? 0))
          .slice(0, surplus);
        for (const t of victims) {
          stopTask(t, "ServiceSchedulerInitiated", stopReasons.scaling(primary.id!));
          stopped.push(taskId(t));
        }
      }
      if (stopped.length) {
        this.#services.addEvent(rec, serviceEvents.stopped(name, stopped));
        rec.state.steady = false;
      }
      const stuck =
        stopped.length === 0 &&
        old.length > 0 &&
        old.every(healthy) &&
        primaryLive().length < D &&
        maxTasks - tasks.filter(notStopped).length <= 0;
      if (stuck) {
        const msg = serviceEvents.unableToStopOrStart(name);
        if (doc.events?.[0]?.message !== msg) this.#services.addEvent(rec, msg);
      }
    }

    // 6. Drop older deployments once all their tasks have stopped.
    const kept: Deployment[] = [];
    for (const d of doc.deployments ?? []) {
      if (d.id === primary.id || tasks.some((t) => t.state.deploymentId === d.id && notStopped(t))) kept.push(d);
      else this.#finishHistory(rec, d, now);
    }
    doc.deployments = kept;

    // 7. Completion and steady state.
    const pl = primaryLive();
    const allHealthy = pl.length === D && pl.every(healthy) && !tasks.some((t) => t.state.deploymentId === primary!.id && live(t) && t.doc.lastStatus !== "RUNNING");
    if (kept.length === 1 && allHealthy) {
      if (primary.rolloutState === "IN_PROGRESS") {
        primary.rolloutState = "COMPLETED";
        primary.rolloutStateReason = rolloutReasons.completed(primary.id!);
        primary.updatedAt = new Date(now);
        rec.state.lastCompletedId = primary.id!;
        const h = rec.state.history.find((x) => x.id === primary!.id);
        if (h) {
          h.status = "SUCCESSFUL";
          h.finishedAt = now;
          if (h.rollbackFrom) {
            const failedH = rec.state.history.find((x) => x.id === h.rollbackFrom);
            if (failedH) {
              failedH.status = "ROLLBACK_SUCCESSFUL";
              failedH.finishedAt = now;
            }
          }
        }
        this.#services.addEvent(rec, serviceEvents.deploymentCompleted(name, primary.id!));
      }
      if (!rec.state.steady && primary.rolloutState === "COMPLETED") {
        this.#services.addEvent(rec, serviceEvents.steady(name));
        rec.state.steady = true;
      }
    }
    for (const d of kept) d.desiredCount = d.id === primary.id ? D : 0;

    this.#save(scope, cluster, rec, before);
    const settled = rec.state.steady && kept.length === 1;
    return { requeueAfterMs: settled ? STEADY_POLL_MS : IN_PROGRESS_POLL_MS };
  }

  /** Circuit breaker tripped: mark the deployment FAILED and roll back when asked and possible. */
  #trip(scope: { accountId: string; region: string }, cluster: string, rec: ServiceRecord, primary: Deployment, rollback: boolean, now: number): Deployment {
    const name = rec.doc.serviceName!;
    primary.rolloutState = "FAILED";
    primary.rolloutStateReason = rolloutReasons.failed();
    primary.updatedAt = new Date(now);
    this.#services.addEvent(rec, serviceEvents.deploymentFailed(name, primary.id!));
    const h = rec.state.history.find((x) => x.id === primary.id);
    const target = rec.state.history.find((x) => x.id === rec.state.lastCompletedId);
    if (rollback && target) {
      if (h) {
        h.status = "ROLLBACK_IN_PROGRESS";
        h.statusReason = rolloutReasons.failed();
      }
      this.#services.addEvent(rec, serviceEvents.rollingBack(name, target.id));
      return this.#services.startDeployment(scope, cluster, rec, target.spec, { fromId: primary.id!, toId: target.id });
    }
    if (h) {
      h.status = rollback ? "ROLLBACK_FAILED" : "STOPPED";
      h.statusReason = rolloutReasons.failed();
      h.finishedAt = now;
    }
    return primary;
  }

  /**
   * §5.12: register RUNNING tasks in their target groups; deregister stopping tasks and let them
   * drain for the group's deregistration delay (no wait when the essential container exited).
   */
  #syncTargets(rec: ServiceRecord, tasks: TaskRecord[], now: number): void {
    const lb = this.#lb!;
    const doc = rec.doc;
    const name = doc.serviceName!;
    const scope = parseArn(doc.serviceArn!)!;
    const cluster = doc.clusterArn!.split("/").pop()!;
    const registered = new Map<string, number>();
    const deregistered = new Map<string, number>();
    const drainingBySet = new Map<string, number>();
    for (const t of tasks) {
      if (t.doc.desiredStatus === "RUNNING" && t.doc.lastStatus === "RUNNING" && t.state.targets === undefined && doc.status === "ACTIVE") {
        const targets = targetsOf(t, doc.loadBalancers ?? [], lb);
        if (targets === undefined) continue;
        for (const x of targets) {
          lb.register(x.targetGroupArn, { id: x.id, port: x.port });
          registered.set(x.targetGroupArn, (registered.get(x.targetGroupArn) ?? 0) + 1);
        }
        t.state.targets = targets;
        this.#repo.putTask({ accountId: scope.accountId, region: scope.region }, cluster, t);
      } else if (t.doc.desiredStatus === "STOPPED" && t.state.drainUntil === undefined) {
        let until = now;
        for (const x of t.state.targets ?? []) {
          try {
            const end = lb.deregister(x.targetGroupArn, { id: x.id, port: x.port });
            until = Math.max(until, end);
          } catch {
            // The target group is gone: nothing left to drain.
          }
          deregistered.set(x.targetGroupArn, (deregistered.get(x.targetGroupArn) ?? 0) + 1);
        }
        if (t.doc.stopCode === "EssentialContainerExited" || t.doc.stopCode === "TaskFailedToStart") until = now;
        if (t.state.targets?.length) {
          const set = t.state.deploymentId ?? "";
          drainingBySet.set(set, (drainingBySet.get(set) ?? 0) + 1);
        }
        t.state.drainUntil = until;
        this.#repo.putTask({ accountId: scope.accountId, region: scope.region }, cluster, t);
      }
    }
    for (const [tg, n] of registered) this.#services.addEvent(rec, serviceEvents.registeredTargets(name, n, tg));
    for (const [tg, n] of deregistered) this.#services.addEvent(rec, serviceEvents.deregisteredTargets(name, n, tg));
    for (const [set, n] of drainingBySet) this.#services.addEvent(rec, serviceEvents.beganDraining(name, set, n));
  }

  #finishHistory(rec: ServiceRecord, d: Deployment, now: number): void {
    const h = rec.state.history.find((x) => x.id === d.id);
    if (h && h.finishedAt === undefined && h.status === "IN_PROGRESS") {
      h.status = "STOPPED";
      h.statusReason = "Superseded by a newer deployment.";
      h.finishedAt = now;
    }
  }

  /**
   * Launch back-off for a crash-looping deployment without a circuit breaker ("service
   * throttle logic"): after 3 failures, at most one launch per min(5 s·2^(n-3), 5 min).
   */
  #throttled(rec: ServiceRecord, primary: Deployment, now: number): boolean {
    const failed = primary.failedTasks ?? 0;
    if (failed < 3 || rec.doc.deploymentConfiguration?.deploymentCircuitBreaker?.enable) return false;
    const delay = Math.min(300_000, 5000 * 2 ** (failed - 3));
    const last = primary.updatedAt?.getTime() ?? 0;
    if (now - last < delay) {
      const msg = serviceEvents.cannotStartConsistently(rec.doc.serviceName!);
      if (!rec.doc.events?.some((e) => e.message === msg)) this.#services.addEvent(rec, msg);
      return true;
    }
    return false;
  }

  #save(scope: { accountId: string; region: string }, cluster: string, rec: ServiceRecord, before: string): void {
    if (JSON.stringify(rec) !== before) this.#repo.putService(scope, cluster, rec);
  }
}

const taskId = (t: TaskRecord) => t.doc.taskArn!.split("/").pop()!;

/**
 * The targets a RUNNING task registers: its IP and container port for `ip` groups (awsvpc), the
 * container instance and host port for `instance` groups (bridge/host). undefined while the
 * address is not known yet.
 */
function targetsOf(t: TaskRecord, lbs: readonly LoadBalancer[], lb: LoadBalancing): TaskTarget[] | undefined {
  const out: TaskTarget[] = [];
  for (const l of lbs) {
    if (!l.targetGroupArn || !l.containerName || l.containerPort === undefined) continue;
    const tg = lb.targetGroup(l.targetGroupArn);
    if (!tg) continue;
    const c = t.doc.containers?.find((x) => x.name === l.containerName);
    if (!c) return undefined;
    if (tg.targetType === "ip") {
      const ip = c.networkInterfaces?.[0]?.privateIpv4Address;
      if (!ip) return undefined;
      out.push({ targetGroupArn: tg.arn, id: ip, port: l.containerPort });
    } else {
      const instanceId = t.state.instanceId;
      const binding = c.networkBindings?.find((b) => b.containerPort === l.containerPort);
      if (!instanceId || !binding?.hostPort) return undefined;
      out.push({ targetGroupArn: tg.arn, id: instanceId, port: binding.hostPort });
    }
  }
  return out;
}
