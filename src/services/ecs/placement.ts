/**
 * Capacity: the Docker host is each cluster's one container instance, with its real CPU and
 * memory. A task that does not fit fails placement with AWS's reasons (RESOURCE:CPU,
 * RESOURCE:MEMORY, RESOURCE:PORTS).
 */
import type { TaskRecord } from "./repo.ts";

export interface HostCapacity {
  /** CPU units (1024 per core). */
  cpu: number;
  memoryMiB: number;
}

export interface Demand {
  cpu: number;
  memoryMiB: number;
  hostPorts: readonly number[];
}

export function usage(tasks: readonly TaskRecord[]): { cpu: number; memoryMiB: number; ports: Set<number> } {
  let cpu = 0;
  let memoryMiB = 0;
  const ports = new Set<number>();
  for (const t of tasks) {
    cpu += t.state.cpu;
    memoryMiB += t.state.memoryMiB;
    for (const p of t.state.hostPorts) ports.add(p);
  }
  return { cpu, memoryMiB, ports };
}

/** undefined when the demand fits, else the AWS failure reason. */
export function placementFailure(host: HostCapacity, active: readonly TaskRecord[], demand: Demand): string | undefined {
  const used = usage(active);
  if (used.cpu + demand.cpu > host.cpu) return "RESOURCE:CPU";
  if (used.memoryMiB + demand.memoryMiB > host.memoryMiB) return "RESOURCE:MEMORY";
  if (demand.hostPorts.some((p) => used.ports.has(p))) return "RESOURCE:PORTS";
  return undefined;
}
