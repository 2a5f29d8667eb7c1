/**
 * ECS service events: AWS's texts (DescribeServices `events`), as listed in
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-event-messages.html and
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-unhealthy-event-messages.html,
 * the reasons a deployment and a stopped task give, and the service's event log.
 */
import type { Clock } from "../../core/clock.ts";
import type { IdGen } from "../../core/ids.ts";
import type { ServiceDoc } from "./model.ts";

/** How many events a service keeps (newest first). */
const KEPT_EVENTS = 100;

/** Appends events to a service document, newest first. */
export class ServiceEventLog {
  readonly #clock: Clock;
  readonly #ids: IdGen;

  constructor(deps: { readonly clock: Clock; readonly ids: IdGen }) {
    this.#clock = deps.clock;
    this.#ids = deps.ids;
  }

  add(doc: ServiceDoc, message: string): void {
    const ev = { id: this.#ids.uuid(), createdAt: new Date(this.#clock.now()), message };
    doc.events = [ev, ...doc.events].slice(0, KEPT_EVENTS);
  }

  /** For a condition that lasts across passes: said again only once something else was said. */
  addUnlessLatest(doc: ServiceDoc, message: string): void {
    if (doc.events[0]?.message !== message) this.add(doc, message);
  }

  /** Said once for as long as the service keeps the event. */
  addOnce(doc: ServiceDoc, message: string): void {
    if (!doc.events.some((e) => e.message === message)) this.add(doc, message);
  }
}

const tasks = (ids: readonly string[]) => ids.map((id) => `(task ${id})`).join(" ");

export const serviceEvents = {
  started: (s: string, ids: readonly string[]) => `(service ${s}) has started ${ids.length} tasks: ${tasks(ids)}.`,
  stopped: (s: string, ids: readonly string[]) => `(service ${s}) has stopped ${ids.length} running tasks: ${tasks(ids)}.`,
  deploymentCompleted: (s: string, dep: string) => `(service ${s}) (deployment ${dep}) deployment completed.`,
  steady: (s: string) => `(service ${s}) has reached a steady state.`,
  deploymentFailed: (s: string, dep: string) => `(service ${s}) (deployment ${dep}) deployment failed: tasks failed to start.`,
  rollingBack: (s: string, dep: string) => `(service ${s}) rolling back to deployment ${dep}.`,
  registeredTargets: (s: string, n: number, tg: string) => `(service ${s}) registered ${n} targets in (target-group ${tg})`,
  deregisteredTargets: (s: string, n: number, tg: string) => `(service ${s}) deregistered ${n} targets in (target-group ${tg})`,
  beganDraining: (s: string, taskSet: string, n: number) => `(service ${s}, taskSet ${taskSet}) has begun draining connections on ${n} tasks.`,
  targetUnhealthy: (s: string, id: string, port: number, tg: string, reason: string) =>
    `(service ${s}) (task ${id}) (port ${port}) is unhealthy in (target-group ${tg}) due to (reason ${reason}).`,
  containerUnhealthy: (s: string, id: string) => `(service ${s}) (task ${id}) failed container health checks.`,
  unableToPlace: (s: string, reason: string) =>
    `(service ${s}) was unable to place a task because no container instance met all of its requirements. ${placementDetail(reason)}`,
  failedToLaunch: (s: string, error: string) => `(service ${s}) failed to launch a task with (error ${error}).`,
  /** A task of the service stopped before it ran (TaskFailedToStart): its reason, as ECS reports it. */
  failedToStart: (s: string, reason: string) => `(service ${s}) was unable to place a task. Reason: ${reason.replace(/\.$/, "")}.`,
  unableToStopOrStart: (s: string) =>
    `(service ${s}) was unable to stop or start tasks during a deployment because of the service deployment configuration. Update the minimumHealthyPercent or maximumPercent value and try again.`,
  cannotStartConsistently: (s: string) => `(service ${s}) is unable to consistently start tasks successfully.`,
  /** Slipway's own: the definition uses settings Slipway stores but does not apply (src/services/ecs/unimplemented.ts). */
  unimplemented: (s: string, notice: string) => `(service ${s}) ${notice}.`,
};

function placementDetail(reason: string): string {
  switch (reason) {
    case "RESOURCE:CPU":
      return "The closest matching container-instance has insufficient CPU units available.";
    case "RESOURCE:MEMORY":
      return "The closest matching container-instance has insufficient memory available.";
    case "RESOURCE:PORTS":
      return "The closest matching container-instance is already using a port required by your task.";
    default:
      return `Reason: ${reason}.`;
  }
}

export const rolloutReasons = {
  inProgress: (dep: string) => `ECS deployment ${dep} in progress.`,
  completed: (dep: string) => `ECS deployment ${dep} completed.`,
  failed: () => "ECS deployment circuit breaker: tasks failed to start.",
  rollingBack: (dep: string) => `ECS deployment circuit breaker: rolling back to deploymentId ${dep}.`,
};

export const stopReasons = {
  scaling: (dep: string) => `Scaling activity initiated by (deployment ${dep})`,
  containerHealth: "Task failed container health checks",
  elbHealth: (tg: string) => `Task failed ELB health checks in (target-group ${tg})`,
  essentialExited: "Essential container in task exited",
};
