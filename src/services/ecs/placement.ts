/**
 * Capacity: the Docker host is each cluster's one container instance, with its real CPU and
 * memory. A task that does not fit fails placement with AWS's reasons (RESOURCE:CPU,
 * RESOURCE:MEMORY, RESOURCE:PORTS).
 */

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

/** What the host's non-stopped tasks reserve (EcsRepo.hostUsage computes it in SQL). */
export interface Usage {
  cpu: number;
  memoryMiB: number;
  ports: ReadonlySet<number>;
}

/** undefined when the demand fits, else the AWS failure reason. */
export function placementFailure(host: HostCapacity, used: Usage, demand: Demand): string | undefined {
  if (used.cpu + demand.cpu > host.cpu) return "RESOURCE:CPU";
  if (used.memoryMiB + demand.memoryMiB > host.memoryMiB) return "RESOURCE:MEMORY";
  if (demand.hostPorts.some((p) => used.ports.has(p))) return "RESOURCE:PORTS";
  return undefined;
}
