/**
 * The ECS service scheduler for the rolling update deployment type
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-ecs.html): keeps
 * desiredCount tasks running, replaces tasks that fail health checks, rolls a new deployment out
 * within minimumHealthyPercent and maximumPercent, registers tasks with their load balancer's
 * target groups, and writes AWS's service events. The deployment lifecycle itself (circuit
 * breaker, rollback, completion) is src/services/ecs/deployments.ts.
 *
 * Level-triggered: each pass reads the service and its task records and acts on the difference.
 * A pass is one synchronous store transaction, and writes only when something changed, so
 * re-running it is harmless. It never touches Docker: starting and stopping containers is the
 * task reconciler's job (it only sets task records' desired state).
 *
 * A pass runs these phases in order, each reading what the previous ones wrote:
 *   targets      register RUNNING tasks with their target groups, deregister stopping ones
 *   drain        (a deleted service) stop every task, then the service becomes INACTIVE
 *   circuit breaker   count the PRIMARY deployment's failed tasks; fail or roll back
 *   health       find PRIMARY tasks failing health checks (past the grace period)
 *   launch       start PRIMARY tasks up to desiredCount, within maximumPercent
 *   replace      stop the unhealthy tasks as minimumHealthyPercent allows
 *   roll out     stop older deployments' tasks, keeping minimumHealthyPercent; scale in
 *   retire       drop older deployments whose tasks have all stopped
 *   settle       complete the deployment, say "steady state", set deployments' desiredCount
 */
import type { LoadBalancer } from "@aws-sdk/client-ecs";
import { ServiceError } from "../aws/service-error.ts";
import { shortName } from "../core/arn.ts";
import type { Clock } from "../core/clock.ts";
import type { Scope } from "../core/arn.ts";
import { unimplementedNotice, unimplementedSettings } from "../services/ecs/unimplemented.ts";
import type { Reconciler, ReconcileResult } from "./controller.ts";
import type { Deployments, ServiceRef } from "../services/ecs/deployments.ts";
import type { Ecs } from "../services/ecs/ecs.ts";
import type { LoadBalancing, TaskTarget } from "../services/ecs/load-balancing.ts";
import { type DeploymentDoc, NO_HEALTHCHECK_HEALTHY_AFTER_MS } from "../services/ecs/model.ts";
import type { EcsRepo, ServiceRecord, TaskRecord } from "../services/ecs/repo.ts";
import { type ServiceEventLog, serviceEvents, stopReasons } from "../services/ecs/service-events.ts";
import type { TaskDefinitions } from "../services/ecs/task-definitions.ts";
import type { LaunchResult, Tasks } from "../services/ecs/tasks.ts";

const IN_PROGRESS_POLL_MS = 1000;
const STEADY_POLL_MS = 15_000;
/** How long STOPPED tasks stay in view of the scheduler (the circuit breaker counts them). */
const RECENT_STOPPED_MS = 3600_000;

/** What a pass reads of a service: where it lives and its settings, ECS's defaults applied. */
interface ServiceView extends ServiceRef {
  readonly arn: string;
  readonly desired: number;
  /** The most tasks (not STOPPED) a deployment may run: maximumPercent of desired, rounded down. */
  readonly maxTasks: number;
  /** The fewest healthy tasks a deployment keeps: minimumHealthyPercent of desired, rounded up. */
  readonly minHealthy: number;
  /** healthCheckGracePeriodSeconds: how long after RUNNING failing health checks are ignored. */
  readonly graceMs: number;
  readonly loadBalancers: readonly LoadBalancer[];
}

function serviceView(found: ServiceRecord & { scope: Scope; cluster: string }): ServiceView {
  const doc = found.doc;
  const dc = doc.deploymentConfiguration;
  return {
    scope: found.scope,
    cluster: found.cluster,
    name: doc.serviceName,
    arn: doc.serviceArn,
    desired: doc.desiredCount,
    maxTasks: Math.floor((doc.desiredCount * dc.maximumPercent) / 100),
    minHealthy: Math.ceil((doc.desiredCount * dc.minimumHealthyPercent) / 100),
    graceMs: (doc.healthCheckGracePeriodSeconds ?? 0) * 1000,
    loadBalancers: doc.loadBalancers,
  };
}

/** PRIMARY tasks failing health checks, with the stoppedReason each will get. */
type Unhealthy = ReadonlyMap<TaskRecord, string>;

export class ServiceReconciler implements Reconciler {
  readonly name = "service";
  readonly #ecs: Ecs;
  readonly #repo: EcsRepo;
  readonly #tasks: Tasks;
  readonly #taskDefinitions: TaskDefinitions;
  readonly #deployments: Deployments;
  readonly #events: ServiceEventLog;
  readonly #clock: Clock;
  readonly #lb: LoadBalancing | undefined;

  constructor(ecs: Ecs) {
    this.#ecs = ecs;
    this.#repo = ecs.repo;
    this.#tasks = ecs.tasks;
    this.#taskDefinitions = ecs.taskDefinitions;
    this.#deployments = ecs.deployments;
    this.#events = ecs.events;
    this.#clock = ecs.deps.clock;
    this.#lb = ecs.lb;
  }

  listKeys(): string[] {
    return this.#repo.liveServiceArns().map((a) => `service:${a}`);
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const arn = key.slice("service:".length);
    return this.#ecs.deps.store.tx(() => this.#pass(arn));
  }

  #pass(arn: string): ReconcileResult {
    const found = this.#repo.getServiceByArn(arn);
    if (!found || found.doc.status === "INACTIVE") return {};
    const rec: ServiceRecord = { doc: found.doc, state: found.state };
    const before = JSON.stringify(rec);
    const svc = serviceView(found);
    const now = this.#clock.now();
    const tasks = this.#repo.serviceTasks(svc.scope, svc.cluster, svc.name, now - RECENT_STOPPED_MS);

    if (this.#lb) this.#syncTargets(svc, rec, tasks, this.#lb, now);
    this.#reportFailedStarts(svc, rec, tasks);
    if (rec.doc.status === "DRAINING") return this.#drain(svc, rec, tasks, before);
    const current = rec.doc.deployments[0];
    if (!current) return {};

    const primary = this.#deployments.applyCircuitBreaker(svc, rec, current, tasks, now);
    const usesLb = this.#lb !== undefined && svc.loadBalancers.some((l) => l.targetGroupArn);
    const health = new TaskHealth(now, usesLb ? this.#lb : undefined);
    const unhealthy = this.#findUnhealthy(svc, rec, primary, tasks, health, now);
    const launched = this.#launch(svc, rec, primary, tasks, unhealthy, now);
    const all = [...tasks, ...launched];
    this.#replaceUnhealthy(svc, rec, primary, all, unhealthy, health);
    this.#rollOut(svc, rec, primary, all, unhealthy, health);
    this.#retireFinished(rec, primary, all, now);
    this.#settle(svc, rec, primary, all, unhealthy, health, now);

    this.#save(svc, rec, before);
    const settled = rec.state.steady && rec.doc.deployments.length === 1;
    return { requeueAfterMs: settled ? STEADY_POLL_MS : IN_PROGRESS_POLL_MS };
  }

  /**
   * Load balancer targets: a RUNNING task registers in its target groups once its address is
   * known; a task asked to stop is deregistered and may stop once the groups' deregistration
   * delay has passed (at once when its essential container exited or it never started).
   */
  #syncTargets(svc: ServiceView, rec: ServiceRecord, tasks: readonly TaskRecord[], lb: LoadBalancing, now: number): void {
    const registered = new Map<string, number>();
    const deregistered = new Map<string, number>();
    const drainingBySet = new Map<string, number>();
    for (const t of tasks) {
      if (t.doc.desiredStatus === "RUNNING" && t.doc.lastStatus === "RUNNING" && t.state.targets === undefined && rec.doc.status === "ACTIVE") {
        const targets = targetsOf(t, svc.loadBalancers, lb);
        if (targets === undefined) continue;
        for (const x of targets) {
          lb.register(x.targetGroupArn, { id: x.id, port: x.port });
          bump(registered, x.targetGroupArn);
        }
        t.state.targets = targets;
        this.#repo.putTask(svc.scope, svc.cluster, t);
      } else if (t.doc.desiredStatus === "STOPPED" && t.state.drainUntil === undefined) {
        let until = now;
        for (const x of t.state.targets ?? []) {
          try {
            until = Math.max(until, lb.deregister(x.targetGroupArn, { id: x.id, port: x.port }));
          } catch {
            // The target group is gone: nothing left to drain.
          }
          bump(deregistered, x.targetGroupArn);
        }
        if (t.doc.stopCode === "EssentialContainerExited" || t.doc.stopCode === "TaskFailedToStart") until = now;
        if (t.state.targets?.length) bump(drainingBySet, t.state.deploymentId ?? "");
        t.state.drainUntil = until;
        this.#repo.putTask(svc.scope, svc.cluster, t);
      }
    }
    for (const [tg, n] of registered) this.#events.add(rec.doc, serviceEvents.registeredTargets(svc.name, n, tg));
    for (const [tg, n] of deregistered) this.#events.add(rec.doc, serviceEvents.deregisteredTargets(svc.name, n, tg));
    for (const [set, n] of drainingBySet) this.#events.add(rec.doc, serviceEvents.beganDraining(svc.name, set, n));
  }

  /** A task that stopped before it ran says why, once, in the service's events. */
  #reportFailedStarts(svc: ServiceView, rec: ServiceRecord, tasks: readonly TaskRecord[]): void {
    for (const t of tasks) {
      if (t.doc.stopCode !== "TaskFailedToStart" || !t.doc.stoppedReason || t.state.failureReported) continue;
      this.#events.addUnlessLatest(rec.doc, serviceEvents.failedToStart(svc.name, t.doc.stoppedReason));
      t.state.failureReported = true;
      this.#repo.putTask(svc.scope, svc.cluster, t);
    }
  }

  /** A deleted (DRAINING) service stops every task; once all have stopped it is INACTIVE. */
  #drain(svc: ServiceView, rec: ServiceRecord, tasks: readonly TaskRecord[], before: string): ReconcileResult {
    const stopping = tasks.filter(isLive);
    const reason = stopReasons.scaling(rec.doc.deployments[0]?.id ?? "");
    for (const t of stopping) this.#stop(svc, t, reason);
    if (stopping.length) this.#events.add(rec.doc, serviceEvents.stopped(svc.name, stopping.map(taskId)));
    const done = !tasks.some(isNotStopped);
    if (done) {
      rec.doc.status = "INACTIVE";
      rec.doc.deployments = [];
    }
    this.#save(svc, rec, before);
    return done ? {} : { requeueAfterMs: IN_PROGRESS_POLL_MS };
  }

  /**
   * PRIMARY tasks RUNNING past the grace period whose container health check or load balancer
   * target is unhealthy. The event saying so is written once per task.
   */
  #findUnhealthy(svc: ServiceView, rec: ServiceRecord, primary: DeploymentDoc, tasks: readonly TaskRecord[], health: TaskHealth, now: number): Unhealthy {
    const unhealthy = new Map<TaskRecord, string>();
    for (const t of tasks) {
      if (t.state.deploymentId !== primary.id || !isLive(t) || t.doc.lastStatus !== "RUNNING") continue;
      if (t.state.runningAt !== undefined && now - t.state.runningAt < svc.graceMs) continue;
      const failure = health.failure(t, svc.name);
      if (!failure) continue;
      unhealthy.set(t, failure.reason);
      if (!t.state.unhealthyReported) {
        this.#events.add(rec.doc, failure.event);
        t.state.unhealthyReported = true;
        this.#repo.putTask(svc.scope, svc.cluster, t);
      }
    }
    return unhealthy;
  }

  /**
   * Launches PRIMARY tasks up to desiredCount (the unhealthy ones do not count: their
   * replacements start first), never above maximumPercent. Nothing is launched for a FAILED
   * deployment or while launches are throttled. Returns the tasks launched.
   */
  #launch(svc: ServiceView, rec: ServiceRecord, primary: DeploymentDoc, tasks: readonly TaskRecord[], unhealthy: Unhealthy, now: number): TaskRecord[] {
    if (primary.rolloutState === "FAILED" || this.#deployments.launchesThrottled(svc, rec, primary, now)) return [];
    const n = Math.min(svc.desired - staying(tasks, primary, unhealthy).length, svc.maxTasks - tasks.filter(isNotStopped).length);
    if (n <= 0) return [];
    const td = this.#taskDefinitions.byArn(primary.taskDefinition);
    const unimplemented = td ? unimplementedSettings(td) : [];
    if (td && unimplemented.length) this.#events.addOnce(rec.doc, serviceEvents.unimplemented(svc.name, unimplementedNotice(td.family, td.revision, unimplemented)));
    const launched: TaskRecord[] = [];
    for (let i = 0; td && i < n; i++) {
      let r: LaunchResult;
      try {
        r = this.#tasks.launch(svc.scope, svc.cluster, td, {
          ...(primary.launchType ? { launchType: primary.launchType } : {}),
          ...(primary.platformVersion ? { platformVersion: primary.platformVersion } : {}),
          ...(primary.networkConfiguration ? { networkConfiguration: primary.networkConfiguration } : {}),
          // A service's tasks take its ECS Exec setting as it is when they start.
          enableExecuteCommand: rec.doc.enableExecuteCommand ?? false,
          service: { name: svc.name, arn: svc.arn, deploymentId: primary.id },
        });
      } catch (err) {
        // The network configuration no longer holds (e.g. its security group was deleted).
        if (!(err instanceof ServiceError)) throw err;
        this.#events.addUnlessLatest(rec.doc, serviceEvents.failedToLaunch(svc.name, err.message));
        break;
      }
      if ("failure" in r) {
        this.#events.addUnlessLatest(rec.doc, serviceEvents.unableToPlace(svc.name, r.failure.reason ?? ""));
        break;
      }
      launched.push(r.task);
    }
    if (launched.length) {
      this.#events.add(rec.doc, serviceEvents.started(svc.name, launched.map(taskId)));
      rec.state.steady = false;
    }
    return launched;
  }

  /**
   * Stops the unhealthy PRIMARY tasks: all of them once minimumHealthyPercent holds without them;
   * else one at a time, and only when there is no room to start a replacement and none is starting.
   */
  #replaceUnhealthy(svc: ServiceView, rec: ServiceRecord, primary: DeploymentDoc, tasks: readonly TaskRecord[], unhealthy: Unhealthy, health: TaskHealth): void {
    if (unhealthy.size === 0) return;
    const healthyNow = tasks.filter((t) => health.healthy(t)).length;
    const room = svc.maxTasks - tasks.filter(isNotStopped).length > 0;
    const replacing = tasks.some((t) => t.state.deploymentId === primary.id && isLive(t) && !unhealthy.has(t) && !health.healthy(t));
    const victims = [...unhealthy];
    const stopNow = healthyNow >= svc.minHealthy ? victims : !room && !replacing ? victims.slice(0, 1) : [];
    for (const [t, reason] of stopNow) {
      this.#stop(svc, t, reason, true);
      this.#events.add(rec.doc, serviceEvents.stopped(svc.name, [taskId(t)]));
      rec.state.steady = false;
    }
  }

  /**
   * Stops older deployments' tasks (unhealthy ones first) while minimumHealthyPercent holds, and
   * PRIMARY tasks above desiredCount. With a FAILED PRIMARY only the tasks of other FAILED
   * deployments are stopped (a rollback replaces them). Says so when the deployment
   * configuration leaves no room to go on.
   */
  #rollOut(svc: ServiceView, rec: ServiceRecord, primary: DeploymentDoc, tasks: readonly TaskRecord[], unhealthy: Unhealthy, health: TaskHealth): void {
    const failedPrimary = primary.rolloutState === "FAILED";
    if (failedPrimary && rec.doc.deployments.length <= 1) return;
    const healthy = (t: TaskRecord) => health.healthy(t);
    const reason = stopReasons.scaling(primary.id);
    const stopped: string[] = [];

    let healthyCount = tasks.filter(healthy).length;
    const old = tasks.filter((t) => t.state.deploymentId !== primary.id && isLive(t)).sort((a, b) => Number(healthy(a)) - Number(healthy(b)));
    for (const t of old) {
      const fromFailed = rec.doc.deployments.find((d) => d.id === t.state.deploymentId)?.rolloutState === "FAILED";
      if (failedPrimary && !fromFailed) continue;
      if (!healthy(t)) {
        this.#stop(svc, t, reason);
        stopped.push(taskId(t));
      } else if (healthyCount - 1 >= svc.minHealthy || fromFailed) {
        this.#stop(svc, t, reason);
        healthyCount--;
        stopped.push(taskId(t));
      }
    }

    // Scale-in after desiredCount went down: unhealthy tasks first, then the newest.
    const surplus = staying(tasks, primary, unhealthy).length - svc.desired;
    if (surplus > 0) {
      const victims = staying(tasks, primary, unhealthy)
        .sort((a, b) => Number(healthy(a)) - Number(healthy(b)) || b.doc.createdAt.getTime() - a.doc.createdAt.getTime())
        .slice(0, surplus);
      for (const t of victims) {
        this.#stop(svc, t, reason);
        stopped.push(taskId(t));
      }
    }

    if (stopped.length) {
      this.#events.add(rec.doc, serviceEvents.stopped(svc.name, stopped));
      rec.state.steady = false;
    }
    const stuck =
      stopped.length === 0 &&
      old.length > 0 &&
      old.every(healthy) &&
      staying(tasks, primary, unhealthy).length < svc.desired &&
      svc.maxTasks - tasks.filter(isNotStopped).length <= 0;
    if (stuck) this.#events.addUnlessLatest(rec.doc, serviceEvents.unableToStopOrStart(svc.name));
  }

  /** Drops older deployments once all their tasks have stopped. */
  #retireFinished(rec: ServiceRecord, primary: DeploymentDoc, tasks: readonly TaskRecord[], now: number): void {
    const kept: DeploymentDoc[] = [];
    for (const d of rec.doc.deployments) {
      if (d.id === primary.id || tasks.some((t) => t.state.deploymentId === d.id && isNotStopped(t))) kept.push(d);
      else this.#deployments.retire(rec, d, now);
    }
    rec.doc.deployments = kept;
  }

  /**
   * With only the PRIMARY left and exactly desiredCount of its tasks RUNNING and healthy, the
   * deployment completes and the service reaches a steady state (said once per steady period).
   */
  #settle(svc: ServiceView, rec: ServiceRecord, primary: DeploymentDoc, tasks: readonly TaskRecord[], unhealthy: Unhealthy, health: TaskHealth, now: number): void {
    const mine = staying(tasks, primary, unhealthy);
    const allHealthy =
      mine.length === svc.desired &&
      mine.every((t) => health.healthy(t)) &&
      !tasks.some((t) => t.state.deploymentId === primary.id && isLive(t) && t.doc.lastStatus !== "RUNNING");
    if (rec.doc.deployments.length === 1 && allHealthy) {
      this.#deployments.complete(svc, rec, primary, now);
      if (!rec.state.steady && primary.rolloutState === "COMPLETED") {
        this.#events.add(rec.doc, serviceEvents.steady(svc.name));
        rec.state.steady = true;
      }
    }
    for (const d of rec.doc.deployments) d.desiredCount = d.id === primary.id ? svc.desired : 0;
  }

  #stop(svc: ServiceView, t: TaskRecord, reason: string, failed = false): void {
    this.#tasks.requestStop(svc.scope, svc.cluster, t, "ServiceSchedulerInitiated", reason, failed);
  }

  #save(svc: ServiceView, rec: ServiceRecord, before: string): void {
    if (JSON.stringify(rec) !== before) this.#repo.putService(svc.scope, svc.cluster, rec);
  }
}

/**
 * When the scheduler counts a task healthy. With a load balancer, its targets must be healthy
 * (and its container health checks too, if it has any); without one, its container health
 * checks, or 40 s of RUNNING when it has none.
 */
class TaskHealth {
  readonly #now: number;
  /** Set when the service uses a load balancer. */
  readonly #lb: LoadBalancing | undefined;

  constructor(now: number, lb: LoadBalancing | undefined) {
    this.#now = now;
    this.#lb = lb;
  }

  healthy(t: TaskRecord): boolean {
    if (!isLive(t) || t.doc.lastStatus !== "RUNNING") return false;
    if (this.#lb) return this.#targetsHealthy(t, this.#lb) && (!t.state.hasHealthChecks || t.doc.healthStatus === "HEALTHY");
    if (t.state.hasHealthChecks) return t.doc.healthStatus === "HEALTHY";
    return t.state.runningAt !== undefined && this.#now - t.state.runningAt >= NO_HEALTHCHECK_HEALTHY_AFTER_MS;
  }

  /** Why a task fails its health checks (its stoppedReason and the event saying so), or undefined. */
  failure(t: TaskRecord, service: string): { reason: string; event: string } | undefined {
    if (t.doc.healthStatus === "UNHEALTHY") {
      return { reason: stopReasons.containerHealth, event: serviceEvents.containerUnhealthy(service, taskId(t)) };
    }
    if (!this.#lb) return undefined;
    for (const x of t.state.targets ?? []) {
      const h = this.#lb.health(x.targetGroupArn, x.id, x.port);
      if (h?.state !== "unhealthy") continue;
      return {
        reason: stopReasons.elbHealth(x.targetGroupArn),
        event: serviceEvents.targetUnhealthy(service, taskId(t), x.port, x.targetGroupArn, h.description ?? "Health checks failed"),
      };
    }
    return undefined;
  }

  #targetsHealthy(t: TaskRecord, lb: LoadBalancing): boolean {
    const targets = t.state.targets ?? [];
    return targets.length > 0 && targets.every((x) => lb.health(x.targetGroupArn, x.id, x.port)?.state === "healthy");
  }
}

/** Asked to run (desiredStatus RUNNING). */
const isLive = (t: TaskRecord) => t.doc.desiredStatus === "RUNNING";
const isNotStopped = (t: TaskRecord) => t.doc.lastStatus !== "STOPPED";
const taskId = (t: TaskRecord) => shortName(t.doc.taskArn);
const bump = (counts: Map<string, number>, key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);

/** The PRIMARY tasks that stay: asked to run and not being replaced for failing health checks. */
function staying(tasks: readonly TaskRecord[], primary: DeploymentDoc, unhealthy: Unhealthy): TaskRecord[] {
  return tasks.filter((t) => t.state.deploymentId === primary.id && isLive(t) && !unhealthy.has(t));
}

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
    const c = t.doc.containers.find((x) => x.name === l.containerName);
    if (!c) return undefined;
    if (tg.targetType === "ip") {
      const ip = c.networkInterfaces[0]?.privateIpv4Address;
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
