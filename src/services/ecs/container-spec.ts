/**
 * Pure mapping from an ECS task definition (+ RunTask overrides) to runtime ContainerSpecs.
 * No I/O: the task reconciler calls this, fills in the network-namespace owner id for awsvpc
 * tasks, and creates the containers in the returned order.
 */
import type { ContainerDefinition, ContainerDependency, ContainerOverride, TaskDefinition, TaskOverride } from "@aws-sdk/client-ecs";
import { LABELS, type ContainerSpec, type HealthcheckSpec, type NetworkSpec, type PortBinding } from "../../runtime/runtime.ts";
import { clientError } from "./errors.ts";
import { parseCpuUnits, parseMemoryMiB } from "./fargate.ts";

const MIB = 1024 * 1024;

export interface TaskIdentity {
  account: string;
  region: string;
  clusterName: string;
  taskArn: string;
  taskId: string;
  serviceName?: string;
  /**
   * Docker id/name of a container that already owns the task's network namespace (e.g. a pause
   * container). When set, every container joins it (`{mode:"container", id}`) and opts.network is
   * not used for the task containers.
   */
  containerNetworkOwner?: string;
}

export interface ContainerSpecOptions {
  /** Network of the first returned container (awsvpc: `{mode:"network", name}`; bridge/host/none). */
  network: NetworkSpec;
  /** Host address published ports bind to (bridge mode). Default "127.0.0.1". */
  bindHostIp?: string;
  /** KEY=VALUE entries injected by the platform (metadata URI, AWS_REGION, ...); the task's own environment wins. */
  extraEnv?: string[];
  /** KEY=VALUE entries from each container's environmentFiles, by container name (env-files.ts). */
  envFiles?: ReadonlyMap<string, readonly string[]>;
  /** Platform variables of one container (the task endpoint's URIs); below the task's own. */
  containerEnv?: (containerName: string) => readonly string[];
  /** Each container's resolved `secrets` (secrets.ts): they override `environment` entries of the same name. */
  secrets?: ReadonlyMap<string, ReadonlyMap<string, string>>;
  /** The host name of the container that owns the network namespace (an ENI's private DNS name, as on Fargate). */
  hostname?: string;
}

export interface PlannedContainer {
  /** Docker container name: slipway-<taskId>-<containerName> (deterministic → idempotent creation). */
  name: string;
  /** The ECS container name from the task definition. */
  containerName: string;
  spec: ContainerSpec;
  essential: boolean;
  dependsOn: ContainerDependency[];
  /**
   * True when this container must share the network namespace of the first returned container:
   * spec.network is `{mode:"container", id:""}` and the caller fills in the id once that
   * container exists.
   */
  networkFromFirst: boolean;
}

export function dockerContainerName(taskId: string, containerName: string): string {
  return `slipway-${taskId}-${containerName}`;
}

/**
 * Topological order by dependsOn (a dependency comes before its dependents); ties keep definition
 * order. Throws ClientException on unknown dependencies and cycles.
 */
export function dependencyOrder<T extends { name?: string | undefined; dependsOn?: ContainerDependency[] | undefined }>(containers: readonly T[]): T[] {
  const byName = new Map<string, T>();
  for (const c of containers) if (c.name !== undefined) byName.set(c.name, c);
  for (const c of containers) {
    for (const d of c.dependsOn ?? []) {
      if (!d.containerName || !byName.has(d.containerName)) {
        throw clientError(`Invalid setting for container '${c.name}'. Container dependency '${d.containerName ?? ""}' does not exist in the task definition.`);
      }
      if (d.condition !== undefined && !["START", "COMPLETE", "SUCCESS", "HEALTHY"].includes(d.condition)) {
        throw clientError(`Invalid setting for container '${c.name}'. Invalid dependency condition '${d.condition}'.`);
      }
    }
  }
  const out: T[] = [];
  const state = new Map<T, "visiting" | "done">();
  const visit = (c: T, path: string[]): void => {
    const s = state.get(c);
    if (s === "done") return;
    if (s === "visiting") {
      throw clientError(`Circular dependency detected between containers: ${[...path, c.name ?? ""].join(" -> ")}.`);
    }
    state.set(c, "visiting");
    for (const d of c.dependsOn ?? []) visit(byName.get(d.containerName!)!, [...path, c.name ?? ""]);
    state.set(c, "done");
    out.push(c);
  };
  for (const c of containers) visit(c, []);
  return out;
}

/** Task-level cpu units and memory MiB (overrides > task definition > sum over containers). */
export function taskResources(taskDef: TaskDefinition, overrides: TaskOverride | undefined): { cpu: number; memoryMiB: number } {
  const containers = (taskDef.containerDefinitions ?? []).map((c) => applyOverride(c, findOverride(overrides, c.name)));
  const cpuText = overrides?.cpu ?? taskDef.cpu;
  const memText = overrides?.memory ?? taskDef.memory;
  const cpu = cpuText !== undefined ? parseCpuUnits(cpuText) : undefined;
  const mem = memText !== undefined ? parseMemoryMiB(memText) : undefined;
  return {
    cpu: cpu ?? containers.reduce((s, c) => s + (c.cpu ?? 0), 0),
    memoryMiB: mem ?? containers.reduce((s, c) => s + (c.memory || c.memoryReservation || 0), 0),
  };
}

function findOverride(overrides: TaskOverride | undefined, name: string | undefined): ContainerOverride | undefined {
  return overrides?.containerOverrides?.find((o) => o.name === name);
}

function applyOverride(c: ContainerDefinition, o: ContainerOverride | undefined): ContainerDefinition {
  if (!o) return c;
  const out: ContainerDefinition = { ...c };
  if (o.command !== undefined) out.command = o.command;
  if (o.cpu !== undefined) out.cpu = o.cpu;
  if (o.memory !== undefined) out.memory = o.memory;
  if (o.memoryReservation !== undefined) out.memoryReservation = o.memoryReservation;
  if (o.environment !== undefined) out.environment = [...(c.environment ?? []), ...o.environment];
  return out;
}

/** Platform variables, then environment files, then `environment`, then `secrets` (the agent's precedence). */
function envList(extra: readonly string[], c: ContainerDefinition, secrets?: ReadonlyMap<string, string>): string[] {
  const map = new Map<string, string>();
  for (const e of extra) {
    const eq = e.indexOf("=");
    map.set(eq < 0 ? e : e.slice(0, eq), eq < 0 ? "" : e.slice(eq + 1));
  }
  for (const kv of c.environment ?? []) if (kv.name !== undefined) map.set(kv.name, kv.value ?? "");
  for (const [k, v] of secrets ?? []) map.set(k, v);
  return [...map].map(([k, v]) => `${k}=${v}`);
}

function healthcheck(c: ContainerDefinition): HealthcheckSpec {
  const hc = c.healthCheck;
  if (!hc || !hc.command || hc.command.length === 0) return { test: ["NONE"] };
  return {
    test: [...hc.command],
    intervalMs: (hc.interval ?? 30) * 1000,
    timeoutMs: (hc.timeout ?? 5) * 1000,
    retries: hc.retries ?? 3,
    startPeriodMs: (hc.startPeriod ?? 0) * 1000,
  };
}

function portBindings(c: ContainerDefinition, network: NetworkSpec, hostIp: string): PortBinding[] | undefined {
  if (network.mode !== "bridge") return undefined;
  const out: PortBinding[] = [];
  for (const pm of c.portMappings ?? []) {
    if (pm.containerPort === undefined) continue; // containerPortRange: not published
    out.push({ containerPort: pm.containerPort, hostPort: pm.hostPort ?? 0, protocol: pm.protocol === "udp" ? "udp" : "tcp", hostIp });
  }
  return out.length > 0 ? out : undefined;
}

export function toContainerSpecs(
  task: TaskIdentity,
  taskDef: TaskDefinition,
  overrides: TaskOverride | undefined,
  opts: ContainerSpecOptions,
): PlannedContainer[] {
  const hostIp = opts.bindHostIp ?? "127.0.0.1";
  const ordered = dependencyOrder(taskDef.containerDefinitions ?? []);
  const sharesFirst = opts.network.mode === "network";
  return ordered.map((def, index): PlannedContainer => {
    const c = applyOverride(def, findOverride(overrides, def.name));
    const containerName = c.name!;
    const name = dockerContainerName(task.taskId, containerName);

    let network: NetworkSpec;
    let networkFromFirst = false;
    if (task.containerNetworkOwner !== undefined) network = { mode: "container", id: task.containerNetworkOwner };
    else if (index === 0 || !sharesFirst) network = opts.network;
    else {
      network = { mode: "container", id: "" };
      networkFromFirst = true;
    }

    const labels: Record<string, string> = {
      ...(c.dockerLabels ?? {}),
      [LABELS.managed]: "true",
      [LABELS.account]: task.account,
      [LABELS.region]: task.region,
      [LABELS.cluster]: task.clusterName,
      [LABELS.taskArn]: task.taskArn,
      [LABELS.taskId]: task.taskId,
      [LABELS.container]: containerName,
    };
    if (task.serviceName !== undefined) labels[LABELS.service] = task.serviceName;

    const spec: ContainerSpec = {
      name,
      image: c.image!,
      labels,
      network,
      env: envList(
        [...(opts.extraEnv ?? []), ...(opts.containerEnv?.(containerName) ?? []), ...(opts.envFiles?.get(containerName) ?? [])],
        c,
        opts.secrets?.get(containerName),
      ),
      healthcheck: healthcheck(c),
      stopTimeoutSec: c.stopTimeout ?? 30,
    };
    if (c.entryPoint !== undefined && c.entryPoint.length > 0) spec.entrypoint = [...c.entryPoint];
    if (c.command !== undefined && c.command.length > 0) spec.cmd = [...c.command];
    if (c.user) spec.user = c.user;
    if (c.workingDirectory) spec.workingDir = c.workingDirectory;
    if (c.readonlyRootFilesystem !== undefined) spec.readonlyRootfs = c.readonlyRootFilesystem;
    if (c.linuxParameters?.initProcessEnabled !== undefined) spec.init = c.linuxParameters.initProcessEnabled;
    if (c.memory) spec.memoryBytes = c.memory * MIB;
    if (c.memoryReservation) spec.memoryReservationBytes = c.memoryReservation * MIB;
    if (c.cpu) spec.cpuShares = Math.max(2, c.cpu);
    if (c.ulimits && c.ulimits.length > 0) {
      spec.ulimits = c.ulimits.map((u) => ({ name: u.name!, soft: u.softLimit ?? 0, hard: u.hardLimit ?? 0 }));
    }
    const bindings = portBindings(c, network, hostIp);
    if (bindings) spec.portBindings = bindings;
    const hosts = (c.extraHosts ?? []).filter((h) => h.hostname && h.ipAddress).map((h) => `${h.hostname}:${h.ipAddress}`);
    if (hosts.length > 0) spec.extraHosts = hosts;
    if (opts.hostname && network.mode === "network") spec.hostname = opts.hostname;

    return { name, containerName, spec, essential: c.essential ?? true, dependsOn: [...(c.dependsOn ?? [])], networkFromFirst };
  });
}
