/**
 * Starting the schedulers after a (re)start: once the container runtime answers, containers of
 * unknown or stopped tasks are removed and stopped tasks' ENIs released, then both controllers
 * start (every live key is reconciled, adopting running containers) and Docker's events wake
 * task keys early.
 */
import type { Clock } from "../core/clock.ts";
import type { ContainerRuntime } from "../runtime/runtime.ts";
import type { Controller } from "./controller.ts";
import { watchRuntimeEvents } from "./runtime-events.ts";
import type { ServiceReconciler } from "./service-reconciler.ts";
import type { TaskReconciler } from "./task-reconciler.ts";

export async function startSchedulers(deps: {
  runtimeReady: Promise<void>;
  runtime: ContainerRuntime;
  clock: Clock;
  tasks: Controller<TaskReconciler>;
  services: Controller<ServiceReconciler>;
  signal: AbortSignal;
  log: (msg: string) => void;
}): Promise<void> {
  const { tasks, services, log } = deps;
  await deps.runtimeReady;
  if (deps.signal.aborted) return;
  try {
    const removed = await tasks.reconciler.collectOrphans();
    if (removed) log(`removed ${removed} orphaned container(s)`);
    const enis = tasks.reconciler.collectOrphanNetworkInterfaces();
    if (enis) log(`released ${enis} network interface(s) of stopped tasks`);
  } catch (err) {
    log(`orphan collection failed: ${(err as Error).message}`);
  }
  if (deps.signal.aborted) return;
  tasks.start();
  services.start();
  void watchRuntimeEvents(deps.runtime, deps.clock, deps.signal, (arn) => tasks.enqueue(`task:${arn}`));
}
