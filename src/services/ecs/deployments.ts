/**
 * Service deployments of the rolling update type
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-ecs.html) and the
 * deployment circuit breaker with its rollback
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-circuit-breaker.html).
 *
 * A deployment's whole life is here. CreateService and UpdateService start one: it becomes the
 * PRIMARY and the others turn ACTIVE with desiredCount 0. The service scheduler counts the
 * PRIMARY's failed tasks; at the circuit breaker's threshold the deployment FAILS and, with
 * rollback, a new deployment of the last completed one starts. A deployment COMPLETES once all
 * its tasks are healthy and the older ones are gone, or is superseded by a newer one.
 * ListServiceDeployments and DescribeServiceDeployments read the history kept here.
 */
import type {
  DescribeServiceDeploymentsRequest,
  DescribeServiceDeploymentsResponse,
  ListServiceDeploymentsRequest,
  ListServiceDeploymentsResponse,
  ServiceDeployment,
} from "@aws-sdk/client-ecs";
import { arn, shortName, type Scope } from "../../core/arn.ts";
import { offsetPage } from "../common/paginate.ts";
import type { Clusters } from "./clusters.ts";
import { type EcsDeps, opt } from "./context.ts";
import { badNextToken, serviceNotFound } from "./errors.ts";
import type { DeploymentDoc, DeploymentRecord, DeploymentSpec } from "./model.ts";
import type { EcsRepo, ServiceRecord, TaskRecord } from "./repo.ts";
import { type ServiceEventLog, rolloutReasons, serviceEvents } from "./service-events.ts";

/** Where a service lives: what writing it and its tasks needs. */
export interface ServiceRef {
  readonly scope: Scope;
  readonly cluster: string;
  readonly name: string;
}

const SUPERSEDED = "Superseded by a newer deployment.";
/** How many deployments ListServiceDeployments can show per service (newest first). */
const KEPT_DEPLOYMENTS = 100;

/**
 * The circuit breaker's failure threshold: half the desired count, rounded up, at least 3 and
 * at most 200 (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-circuit-breaker.html).
 */
export function circuitBreakerThreshold(desired: number): number {
  return Math.min(200, Math.max(3, Math.ceil(0.5 * desired)));
}

/**
 * Whether a stopped task counts as a failed launch of its deployment: it failed to start, was
 * stopped for failing health checks, or its essential container exited before it was ever healthy.
 */
export function isFailedLaunch(t: TaskRecord): boolean {
  const neverHealthy = t.state.healthyAt === undefined;
  return t.state.failed === true || t.doc.stopCode === "TaskFailedToStart" || (t.doc.stopCode === "EssentialContainerExited" && neverHealthy);
}

export class Deployments {
  readonly #deps: EcsDeps;
  readonly #repo: EcsRepo;
  readonly #clusters: Clusters;
  readonly #events: ServiceEventLog;

  constructor(deps: EcsDeps, repo: EcsRepo, clusters: Clusters, events: ServiceEventLog) {
    this.#deps = deps;
    this.#repo = repo;
    this.#clusters = clusters;
    this.#events = events;
  }

  /**
   * Makes a new PRIMARY deployment (synchronously: UpdateService's response must show it) and
   * demotes the others to ACTIVE with desiredCount 0. `rollback` names the failed deployment a
   * rollback replaces and the completed one it goes back to.
   */
  start(scope: Scope, cluster: string, rec: ServiceRecord, spec: DeploymentSpec, rollback?: { fromId: string; toId: string }): DeploymentDoc {
    const doc = rec.doc;
    const now = new Date(this.#deps.clock.now());
    const num = this.#deps.ids.digits(19);
    const id = `ecs-svc/${num}`;
    for (const d of doc.deployments) {
      d.status = "ACTIVE";
      d.desiredCount = 0;
      d.updatedAt = now;
    }
    const dep: DeploymentDoc = {
      id,
      status: "PRIMARY",
      taskDefinition: spec.taskDefinition,
      desiredCount: doc.desiredCount,
      pendingCount: 0,
      runningCount: 0,
      failedTasks: 0,
      createdAt: now,
      updatedAt: now,
      ...opt("launchType", doc.launchType),
      ...opt("capacityProviderStrategy", doc.capacityProviderStrategy),
      ...opt("platformVersion", spec.platformVersion),
      ...(spec.launchType === "FARGATE" ? { platformFamily: "Linux" } : {}),
      ...opt("networkConfiguration", spec.networkConfiguration),
      rolloutState: "IN_PROGRESS",
      rolloutStateReason: rollback ? rolloutReasons.rollingBack(rollback.toId) : rolloutReasons.inProgress(id),
    };
    doc.deployments = [dep, ...doc.deployments];
    doc.taskDefinition = spec.taskDefinition;
    if (spec.networkConfiguration) doc.networkConfiguration = spec.networkConfiguration;
    const record: DeploymentRecord = {
      id,
      status: "IN_PROGRESS",
      serviceDeploymentArn: arn("ecs", scope, `service-deployment/${cluster}/${doc.serviceName}/${this.#deps.ids.hex(10)}`),
      serviceRevisionArn: arn("ecs", scope, `service-revision/${cluster}/${doc.serviceName}/${num}`),
      sourceRevisionArns: rec.state.history.filter((h) => doc.deployments.some((d) => d.id === h.id && d.id !== id)).map((h) => h.serviceRevisionArn),
      spec,
      createdAt: now.getTime(),
      startedAt: now.getTime(),
      ...(rollback ? { rollbackFrom: rollback.fromId } : {}),
    };
    for (const h of rec.state.history) {
      if (h.status === "IN_PROGRESS" || h.status === "PENDING") {
        h.status = "STOPPED";
        h.statusReason = SUPERSEDED;
        h.finishedAt = now.getTime();
      }
    }
    rec.state.history = [record, ...rec.state.history].slice(0, KEPT_DEPLOYMENTS);
    doc.currentServiceDeployment = record.serviceDeploymentArn;
    rec.state.steady = false;
    return dep;
  }

  /**
   * The circuit breaker, for one pass of the scheduler: counts the PRIMARY's newly stopped failed
   * tasks (each once), and at the threshold fails the deployment and, when asked and a completed
   * deployment exists, rolls back to it. Returns the PRIMARY deployment afterwards.
   */
  applyCircuitBreaker(svc: ServiceRef, rec: ServiceRecord, primary: DeploymentDoc, tasks: readonly TaskRecord[], now: number): DeploymentDoc {
    for (const t of tasks) {
      if (t.state.deploymentId !== primary.id || t.doc.lastStatus !== "STOPPED" || t.state.countedFailure) continue;
      if (!isFailedLaunch(t)) continue;
      t.state.countedFailure = true;
      this.#repo.putTask(svc.scope, svc.cluster, t);
      primary.failedTasks += 1;
      primary.updatedAt = new Date(now);
    }
    const cb = rec.doc.deploymentConfiguration.deploymentCircuitBreaker;
    if (cb.enable && primary.rolloutState === "IN_PROGRESS" && primary.failedTasks >= circuitBreakerThreshold(rec.doc.desiredCount)) {
      return this.#fail(svc, rec, primary, cb.rollback === true, now);
    }
    return primary;
  }

  /**
   * Launch back-off for a crash-looping deployment without a circuit breaker (ECS's "service
   * throttle logic"): after 3 failed tasks, at most one launch per min(5 s·2^(n-3), 5 min).
   */
  launchesThrottled(svc: ServiceRef, rec: ServiceRecord, primary: DeploymentDoc, now: number): boolean {
    const failed = primary.failedTasks;
    if (failed < 3 || rec.doc.deploymentConfiguration.deploymentCircuitBreaker.enable) return false;
    const delay = Math.min(300_000, 5000 * 2 ** (failed - 3));
    if (now - primary.updatedAt.getTime() < delay) {
      this.#events.addOnce(rec.doc, serviceEvents.cannotStartConsistently(svc.name));
      return true;
    }
    return false;
  }

  /** The PRIMARY reached its desired count of healthy tasks with no older deployment left. */
  complete(svc: ServiceRef, rec: ServiceRecord, primary: DeploymentDoc, now: number): void {
    if (primary.rolloutState !== "IN_PROGRESS") return;
    primary.rolloutState = "COMPLETED";
    primary.rolloutStateReason = rolloutReasons.completed(primary.id);
    primary.updatedAt = new Date(now);
    rec.state.lastCompletedId = primary.id;
    const h = rec.state.history.find((x) => x.id === primary.id);
    if (h) {
      h.status = "SUCCESSFUL";
      h.finishedAt = now;
      const failed = h.rollbackFrom === undefined ? undefined : rec.state.history.find((x) => x.id === h.rollbackFrom);
      if (failed) {
        failed.status = "ROLLBACK_SUCCESSFUL";
        failed.finishedAt = now;
      }
    }
    this.#events.add(rec.doc, serviceEvents.deploymentCompleted(svc.name, primary.id));
  }

  /** An older deployment whose tasks have all stopped leaves the service; its history entry ends. */
  retire(rec: ServiceRecord, d: DeploymentDoc, now: number): void {
    const h = rec.state.history.find((x) => x.id === d.id);
    if (h && h.finishedAt === undefined && h.status === "IN_PROGRESS") {
      h.status = "STOPPED";
      h.statusReason = SUPERSEDED;
      h.finishedAt = now;
    }
  }

  list(scope: Scope, input: ListServiceDeploymentsRequest): ListServiceDeploymentsResponse {
    const cluster = this.#clusters.require(scope, input.cluster);
    const rec = this.#repo.getService(scope, cluster.clusterName, shortName(input.service ?? ""));
    if (!rec) throw serviceNotFound();
    let history = rec.state.history;
    const statuses: readonly string[] | undefined = input.status;
    if (statuses?.length) history = history.filter((h) => statuses.includes(h.status));
    const after = input.createdAt?.after?.getTime();
    const before = input.createdAt?.before?.getTime();
    if (after !== undefined) history = history.filter((h) => h.createdAt >= after);
    if (before !== undefined) history = history.filter((h) => h.createdAt <= before);
    const page = offsetPage(history, input.maxResults ?? 20, input.nextToken, badNextToken);
    return {
      serviceDeployments: page.items.map((h) => ({
        serviceDeploymentArn: h.serviceDeploymentArn,
        serviceArn: rec.doc.serviceArn,
        clusterArn: rec.doc.clusterArn,
        startedAt: new Date(h.startedAt),
        createdAt: new Date(h.createdAt),
        ...(h.finishedAt !== undefined ? { finishedAt: new Date(h.finishedAt) } : {}),
        targetServiceRevisionArn: h.serviceRevisionArn,
        status: h.status as ServiceDeployment["status"],
        ...opt("statusReason", h.statusReason),
      })),
      ...opt("nextToken", page.next),
    };
  }

  describe(scope: Scope, input: DescribeServiceDeploymentsRequest): DescribeServiceDeploymentsResponse {
    const out: ServiceDeployment[] = [];
    const failures: { arn: string; reason: string }[] = [];
    for (const ref of input.serviceDeploymentArns ?? []) {
      const parts = ref.split(":").pop()?.split("/") ?? [];
      const [, clusterName, serviceName] = parts;
      const rec = clusterName && serviceName ? this.#repo.getService(scope, clusterName, serviceName) : undefined;
      const h = rec?.state.history.find((x) => x.serviceDeploymentArn === ref);
      if (!rec || !h) {
        failures.push({ arn: ref, reason: "MISSING" });
        continue;
      }
      const dep = rec.doc.deployments.find((d) => d.id === h.id);
      out.push({
        serviceDeploymentArn: h.serviceDeploymentArn,
        serviceArn: rec.doc.serviceArn,
        clusterArn: rec.doc.clusterArn,
        createdAt: new Date(h.createdAt),
        startedAt: new Date(h.startedAt),
        ...(h.finishedAt !== undefined ? { finishedAt: new Date(h.finishedAt) } : {}),
        updatedAt: new Date(h.finishedAt ?? h.startedAt),
        sourceServiceRevisions: h.sourceRevisionArns.map((a) => ({ arn: a })),
        targetServiceRevision: {
          arn: h.serviceRevisionArn,
          requestedTaskCount: dep?.desiredCount ?? 0,
          runningTaskCount: dep?.runningCount ?? 0,
          pendingTaskCount: dep?.pendingCount ?? 0,
        },
        status: h.status as ServiceDeployment["status"],
        ...opt("statusReason", h.statusReason),
        deploymentConfiguration: rec.doc.deploymentConfiguration,
        ...(h.rollbackFrom ? { rollback: { reason: rolloutReasons.failed(), startedAt: new Date(h.startedAt), serviceRevisionArn: h.serviceRevisionArn } } : {}),
      });
    }
    return { serviceDeployments: out, failures };
  }

  /** The circuit breaker tripped: the deployment FAILED; roll back when asked and possible. */
  #fail(svc: ServiceRef, rec: ServiceRecord, primary: DeploymentDoc, rollback: boolean, now: number): DeploymentDoc {
    primary.rolloutState = "FAILED";
    primary.rolloutStateReason = rolloutReasons.failed();
    primary.updatedAt = new Date(now);
    this.#events.add(rec.doc, serviceEvents.deploymentFailed(svc.name, primary.id));
    const h = rec.state.history.find((x) => x.id === primary.id);
    const target = rec.state.history.find((x) => x.id === rec.state.lastCompletedId);
    if (rollback && target) {
      if (h) {
        h.status = "ROLLBACK_IN_PROGRESS";
        h.statusReason = rolloutReasons.failed();
      }
      this.#events.add(rec.doc, serviceEvents.rollingBack(svc.name, target.id));
      return this.start(svc.scope, svc.cluster, rec, target.spec, { fromId: primary.id, toId: target.id });
    }
    if (h) {
      h.status = rollback ? "ROLLBACK_FAILED" : "STOPPED";
      h.statusReason = rolloutReasons.failed();
      h.finishedAt = now;
    }
    return primary;
  }
}
