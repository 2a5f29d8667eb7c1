/**
 * What ECS publishes about running tasks, from real measurements: `docker stats` of each task's
 * containers, sampled once a minute.
 *
 * - AWS/ECS (always): CPUUtilization and MemoryUtilization per service (one sample per RUNNING
 *   task: used ÷ reserved × 100, so SampleCount counts the tasks), and per cluster (used and
 *   reserved against the host's capacity, with CPUReservation and MemoryReservation).
 *   https://docs.aws.amazon.com/AmazonECS/latest/developerguide/cloudwatch-metrics.html
 * - ECS/ContainerInsights, when the cluster's containerInsights setting (or the account default
 *   a new cluster inherited) is `enabled` or `enhanced`: CPU, memory, network and storage per
 *   task aggregated to cluster, service and task family; task, service and deployment counts; and
 *   the performance log events (embedded metric format) in /aws/ecs/containerinsights/<cluster>/performance.
 *   `enhanced` adds the TaskId dimension sets.
 *   https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Container-Insights-metrics-ECS.html
 *   https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Container-Insights-reference-performance-logs-ECS.html
 */
import type { Scope } from "../core/arn.ts";
import { type ContainerRuntime, type ContainerStats, toContainerStats } from "../runtime/runtime.ts";
import type { Dimension, Sample } from "../services/cloudwatch/index.ts";
import { bucketOfStatisticSet, bucketOfValues } from "../services/cloudwatch/statistics.ts";

export interface TelemetryContainer {
  readonly name: string;
  readonly runtimeId: string | undefined;
  readonly image: string;
  readonly lastStatus: string;
  /** CPU units and MiB the container definition reserves (0 when unset). */
  readonly cpu: number;
  readonly memoryMiB: number;
}

export interface TelemetryTask {
  readonly scope: Scope;
  readonly cluster: string;
  readonly service: string | undefined;
  readonly family: string;
  readonly revision: string;
  readonly taskArn: string;
  readonly taskId: string;
  readonly launchType: string;
  readonly availabilityZone: string | undefined;
  readonly containerInstanceId: string | undefined;
  readonly lastStatus: string;
  /** The task's CPU units and MiB (task level, else the sum of its containers; 0 when neither). */
  readonly cpu: number;
  readonly memoryMiB: number;
  readonly createdAt: number | undefined;
  readonly startedAt: number | undefined;
  readonly pullStartedAt: number | undefined;
  readonly pullStoppedAt: number | undefined;
  readonly containers: readonly TelemetryContainer[];
}

export interface TelemetryService {
  readonly scope: Scope;
  readonly cluster: string;
  readonly service: string;
  readonly desired: number;
  readonly running: number;
  readonly pending: number;
  readonly deployments: number;
}

export interface TelemetryCluster {
  readonly scope: Scope;
  readonly cluster: string;
  /** The containerInsights setting: "enabled", "enhanced" or "disabled". */
  readonly insights: string;
  readonly containerInstances: number;
}

/** ECS's state as the publisher reads it (src/server/ports.ts implements it over ECS). */
export interface EcsTelemetrySource {
  clusters(): TelemetryCluster[];
  services(): TelemetryService[];
  /** Tasks whose lastStatus is RUNNING (and PENDING ones, for the counts). */
  tasks(): TelemetryTask[];
}

/** Where the performance log events go (CloudWatch Logs). */
export interface PerformanceLogs {
  put(scope: Scope, group: string, stream: string, events: Array<{ timestamp: number; message: string }>): void;
}

export interface EcsMetricsDeps {
  readonly runtime: ContainerRuntime;
  readonly source: EcsTelemetrySource;
  readonly publish: (scope: Scope, samples: Sample[]) => void;
  readonly logs: PerformanceLogs;
  /** The host's capacity: the reservation of tasks that reserve nothing, and the cluster-level denominator. */
  readonly host: () => { cpus: number; memoryBytes: number } | undefined;
}

interface Previous {
  at: number;
  stats: ContainerStats;
}

interface TaskUsage {
  task: TelemetryTask;
  /** CPU units used on average over the minute. */
  cpuUsed: number;
  memoryMiB: number;
  cpuReserved: number;
  memoryReserved: number;
  rxPerSecond: number;
  txPerSecond: number;
  readBytes: number;
  writeBytes: number;
  storageRead: number;
  storageWrite: number;
  containers: Array<{ c: TelemetryContainer; cpuUsed: number; memoryMiB: number; stats: ContainerStats }>;
}

const MIB = 1024 * 1024;

export class EcsMetrics {
  readonly #d: EcsMetricsDeps;
  /** The last sample of each container (bounded: containers not seen in a round are forgotten). */
  #previous = new Map<string, Previous>();

  constructor(deps: EcsMetricsDeps) {
    this.#d = deps;
  }

  /** Samples every RUNNING task and publishes the minute that started at `minute` (ms); `now` is the sampling time. */
  async publishMinute(minute: number, now: number): Promise<void> {
    const host = this.#d.host();
    const hostCpu = (host?.cpus ?? 1) * 1024;
    const hostMemMiB = (host?.memoryBytes ?? 0) / MIB;
    const tasks = this.#d.source.tasks();
    const seen = new Map<string, Previous>();
    const usages: TaskUsage[] = [];
    for (const task of tasks) {
      if (task.lastStatus !== "RUNNING") continue;
      const u: TaskUsage = {
        task,
        cpuUsed: 0,
        memoryMiB: 0,
        cpuReserved: task.cpu > 0 ? task.cpu : hostCpu,
        memoryReserved: task.memoryMiB > 0 ? task.memoryMiB : hostMemMiB,
        rxPerSecond: 0,
        txPerSecond: 0,
        readBytes: 0,
        writeBytes: 0,
        storageRead: 0,
        storageWrite: 0,
        containers: [],
      };
      for (const c of task.containers) {
        if (!c.runtimeId) continue;
        let stats: ContainerStats | undefined;
        try {
          const raw = await this.#d.runtime.stats(c.runtimeId);
          stats = raw ? toContainerStats(raw) : undefined;
        } catch {
          stats = undefined;
        }
        if (!stats) continue;
        const prev = this.#previous.get(c.runtimeId);
        const since = prev?.at ?? task.startedAt ?? now - 60_000;
        const seconds = Math.max((now - since) / 1000, 1);
        const cpuNs = stats.cpuTotalNs - (prev?.stats.cpuTotalNs ?? 0);
        const cpuUsed = Math.max(0, (cpuNs / 1e9 / seconds) * 1024);
        const memoryMiB = stats.memoryBytes / MIB;
        u.cpuUsed += cpuUsed;
        u.memoryMiB += memoryMiB;
        u.rxPerSecond += Math.max(0, stats.networkRxBytes - (prev?.stats.networkRxBytes ?? 0)) / seconds;
        u.txPerSecond += Math.max(0, stats.networkTxBytes - (prev?.stats.networkTxBytes ?? 0)) / seconds;
        u.storageRead += Math.max(0, stats.blockReadBytes - (prev?.stats.blockReadBytes ?? 0));
        u.storageWrite += Math.max(0, stats.blockWriteBytes - (prev?.stats.blockWriteBytes ?? 0));
        u.readBytes += stats.blockReadBytes;
        u.writeBytes += stats.blockWriteBytes;
        u.containers.push({ c, cpuUsed, memoryMiB, stats });
        seen.set(c.runtimeId, { at: now, stats });
      }
      if (u.containers.length > 0) usages.push(u);
    }
    this.#previous = seen;

    const out = new Map<string, { scope: Scope; samples: Sample[] }>();
    const sink = (scope: Scope) => {
      const key = `${scope.accountId} ${scope.region}`;
      let e = out.get(key);
      if (!e) {
        e = { scope, samples: [] };
        out.set(key, e);
      }
      return e.samples;
    };
    const sample = (scope: Scope, namespace: string, name: string, dimensions: Dimension[], unit: string, values: number[]) => {
      if (values.length === 0) return;
      sink(scope).push({ namespace, name, dimensions, timestamp: minute, unit, bucket: bucketOfValues(values, values.map(() => 1)) });
    };
    const single = (scope: Scope, namespace: string, name: string, dimensions: Dimension[], unit: string, v: number) =>
      sink(scope).push({ namespace, name, dimensions, timestamp: minute, unit, bucket: bucketOfStatisticSet({ SampleCount: 1, Sum: v, Minimum: v, Maximum: v }) });

    // AWS/ECS per service: one sample per running task.
    const byService = group(usages.filter((u) => u.task.service), (u) => `${key(u.task.scope)} ${u.task.cluster} ${u.task.service}`);
    for (const list of byService.values()) {
      const t = list[0]!.task;
      const dims = [
        { Name: "ClusterName", Value: t.cluster },
        { Name: "ServiceName", Value: t.service! },
      ];
      sample(t.scope, "AWS/ECS", "CPUUtilization", dims, "Percent", list.map((u) => (u.cpuUsed / u.cpuReserved) * 100));
      sample(t.scope, "AWS/ECS", "MemoryUtilization", dims, "Percent", list.map((u) => (u.memoryMiB / u.memoryReserved) * 100));
    }
    // AWS/ECS per cluster: against the host's capacity.
    const byCluster = group(usages, (u) => `${key(u.task.scope)} ${u.task.cluster}`);
    for (const list of byCluster.values()) {
      const t = list[0]!.task;
      const dims = [{ Name: "ClusterName", Value: t.cluster }];
      const cpuUsed = list.reduce((a, u) => a + u.cpuUsed, 0);
      const memUsed = list.reduce((a, u) => a + u.memoryMiB, 0);
      const cpuRes = list.reduce((a, u) => a + u.cpuReserved, 0);
      const memRes = list.reduce((a, u) => a + u.memoryReserved, 0);
      single(t.scope, "AWS/ECS", "CPUUtilization", dims, "Percent", (cpuUsed / hostCpu) * 100);
      if (hostMemMiB > 0) single(t.scope, "AWS/ECS", "MemoryUtilization", dims, "Percent", (memUsed / hostMemMiB) * 100);
      single(t.scope, "AWS/ECS", "CPUReservation", dims, "Percent", (cpuRes / hostCpu) * 100);
      if (hostMemMiB > 0) single(t.scope, "AWS/ECS", "MemoryReservation", dims, "Percent", (memRes / hostMemMiB) * 100);
    }

    // Container Insights.
    const clusters = this.#d.source.clusters().filter((c) => c.insights === "enabled" || c.insights === "enhanced");
    if (clusters.length === 0) {
      for (const { scope, samples } of out.values()) this.#d.publish(scope, samples);
      return;
    }
    const allTasks = group(tasks, (t) => `${key(t.scope)} ${t.cluster}`);
    const services = group(this.#d.source.services(), (s) => `${key(s.scope)} ${s.cluster}`);
    for (const c of clusters) {
      const ck = `${key(c.scope)} ${c.cluster}`;
      const enhanced = c.insights === "enhanced";
      const NS = "ECS/ContainerInsights";
      const running = byCluster.get(ck) ?? [];
      const C = { Name: "ClusterName", Value: c.cluster };
      const events: Array<{ stream: string; message: Record<string, unknown> }> = [];
      const perTask = (u: TaskUsage): Dimension[][] => {
        const t = u.task;
        const F = { Name: "TaskDefinitionFamily", Value: t.family };
        const sets: Dimension[][] = [[C], [C, F]];
        if (t.service) sets.push([C, { Name: "ServiceName", Value: t.service }]);
        if (enhanced) {
          const id = { Name: "TaskId", Value: t.taskId };
          sets.push([C, F, id]);
          if (t.service) sets.push([C, { Name: "ServiceName", Value: t.service }, id]);
        }
        return sets;
      };
      // Every task contributes one sample to each dimension set it belongs to.
      const metrics: Array<[string, string, (u: TaskUsage) => number]> = [
        ["CpuUtilized", "None", (u) => u.cpuUsed],
        ["CpuReserved", "None", (u) => u.cpuReserved],
        ["MemoryUtilized", "Megabytes", (u) => u.memoryMiB],
        ["MemoryReserved", "Megabytes", (u) => u.memoryReserved],
        ["NetworkRxBytes", "Bytes/Second", (u) => u.rxPerSecond],
        ["NetworkTxBytes", "Bytes/Second", (u) => u.txPerSecond],
        ["StorageReadBytes", "Bytes", (u) => u.storageRead],
        ["StorageWriteBytes", "Bytes", (u) => u.storageWrite],
      ];
      const byDims = new Map<string, { dims: Dimension[]; tasks: TaskUsage[] }>();
      for (const u of running) {
        for (const dims of perTask(u)) {
          const k = JSON.stringify(dims);
          const e = byDims.get(k) ?? { dims, tasks: [] };
          e.tasks.push(u);
          byDims.set(k, e);
        }
      }
      for (const { dims, tasks: list } of byDims.values()) {
        for (const [name, unit, f] of metrics) sample(c.scope, NS, name, dims, unit, list.map(f));
        if (enhanced) {
          sample(c.scope, NS, "TaskCpuUtilization", dims, "Percent", list.map((u) => (u.cpuUsed / u.cpuReserved) * 100));
          sample(c.scope, NS, "TaskMemoryUtilization", dims, "Percent", list.map((u) => (u.memoryMiB / u.memoryReserved) * 100));
        }
      }
      const svcs = services.get(ck) ?? [];
      for (const s of svcs) {
        const dims = [C, { Name: "ServiceName", Value: s.service }];
        single(c.scope, NS, "RunningTaskCount", dims, "Count", s.running);
        single(c.scope, NS, "PendingTaskCount", dims, "Count", s.pending);
        single(c.scope, NS, "DesiredTaskCount", dims, "Count", s.desired);
        single(c.scope, NS, "DeploymentCount", dims, "Count", s.deployments);
        single(c.scope, NS, "TaskSetCount", dims, "Count", 0);
        events.push({
          stream: `ServiceTelemetry-${s.service}`,
          message: emf(minute, "Service", { ServiceName: s.service, ClusterName: c.cluster, DesiredTaskCount: s.desired, RunningTaskCount: s.running, PendingTaskCount: s.pending, DeploymentCount: s.deployments, TaskSetCount: 0 }, [["ClusterName", "ServiceName"]], [
            ["DesiredTaskCount", "Count"], ["RunningTaskCount", "Count"], ["PendingTaskCount", "Count"], ["DeploymentCount", "Count"], ["TaskSetCount", "Count"],
          ]),
        });
      }
      const taskCount = (allTasks.get(ck) ?? []).filter((t) => t.lastStatus === "RUNNING").length;
      single(c.scope, NS, "TaskCount", [C], "Count", taskCount);
      single(c.scope, NS, "ServiceCount", [C], "Count", svcs.length);
      single(c.scope, NS, "ContainerInstanceCount", [C], "Count", c.containerInstances);
      events.push({
        stream: `ClusterTelemetry-${c.cluster}`,
        message: emf(minute, "Cluster", { ClusterName: c.cluster, TaskCount: taskCount, ContainerInstanceCount: c.containerInstances, ServiceCount: svcs.length }, [["ClusterName"]], [
          ["TaskCount", "Count"], ["ContainerInstanceCount", "Count"], ["ServiceCount", "Count"],
        ]),
      });
      for (const u of running) {
        const t = u.task;
        const stream = t.launchType === "FARGATE" ? `FargateTelemetry-${fargateSlot(t.taskId)}` : `AgentTelemetry-${t.containerInstanceId ?? "slipway"}`;
        const ids = {
          TaskId: t.taskId,
          TaskDefinitionFamily: t.family,
          TaskDefinitionRevision: t.revision,
          ClusterName: c.cluster,
          ...(t.service ? { ServiceName: t.service } : {}),
          ...(t.containerInstanceId ? { ContainerInstanceId: t.containerInstanceId } : {}),
        };
        const taskDims = [["ClusterName"], ["ClusterName", "TaskDefinitionFamily"], ...(t.service ? [["ClusterName", "ServiceName"]] : [])];
        events.push({
          stream,
          message: emf(minute, "Task", {
            ...ids,
            AccountID: t.scope.accountId,
            Region: t.scope.region,
            ...(t.availabilityZone ? { AvailabilityZone: t.availabilityZone } : {}),
            KnownStatus: t.lastStatus,
            LaunchType: t.launchType,
            ...(t.pullStartedAt ? { PullStartedAt: t.pullStartedAt } : {}),
            ...(t.pullStoppedAt ? { PullStoppedAt: t.pullStoppedAt } : {}),
            ...(t.createdAt ? { CreatedAt: t.createdAt } : {}),
            ...(t.startedAt ? { StartedAt: t.startedAt } : {}),
            CpuUtilized: u.cpuUsed,
            CpuReserved: u.cpuReserved,
            MemoryUtilized: Math.round(u.memoryMiB),
            MemoryReserved: Math.round(u.memoryReserved),
            StorageReadBytes: u.readBytes,
            StorageWriteBytes: u.writeBytes,
            NetworkRxBytes: Math.round(u.rxPerSecond),
            NetworkTxBytes: Math.round(u.txPerSecond),
          }, taskDims, [["CpuUtilized", "None"], ["CpuReserved", "None"], ["MemoryUtilized", "Megabytes"], ["MemoryReserved", "Megabytes"], ["StorageReadBytes", "Bytes/Second"], ["StorageWriteBytes", "Bytes/Second"], ["NetworkRxBytes", "Bytes/Second"], ["NetworkTxBytes", "Bytes/Second"]]),
        });
        for (const x of u.containers) {
          events.push({
            stream,
            message: emf(minute, "Container", {
              ContainerName: x.c.name,
              ...ids,
              Image: x.c.image,
              ContainerKnownStatus: x.c.lastStatus,
              CpuUtilized: x.cpuUsed,
              CpuReserved: x.c.cpu,
              MemoryUtilized: Math.round(x.memoryMiB),
              MemoryReserved: x.c.memoryMiB,
              StorageReadBytes: x.stats.blockReadBytes,
              StorageWriteBytes: x.stats.blockWriteBytes,
              NetworkRxBytes: x.stats.networkRxBytes,
              NetworkTxBytes: x.stats.networkTxBytes,
            }, [], []),
          });
        }
      }
      const byStream = group(events, (e) => e.stream);
      for (const [stream, list] of byStream) {
        this.#d.logs.put(c.scope, `/aws/ecs/containerinsights/${c.cluster}/performance`, stream, list.map((e) => ({ timestamp: minute, message: JSON.stringify(e.message) })));
      }
    }
    for (const { scope, samples } of out.values()) this.#d.publish(scope, samples);
  }
}

/** A performance event: `Version`, `Type`, the fields, and the metric directive at the top level as Container Insights writes it. */
function emf(minute: number, type: string, fields: Record<string, unknown>, dimensions: string[][], metrics: Array<[string, string]>): Record<string, unknown> {
  return {
    Version: "0",
    Type: type,
    ...fields,
    Timestamp: String(minute),
    ...(metrics.length > 0
      ? { CloudWatchMetrics: [{ Namespace: "ECS/ContainerInsights", Metrics: metrics.map(([Name, Unit]) => ({ Name, Unit })), Dimensions: dimensions }] }
      : {}),
  };
}

function fargateSlot(taskId: string): string {
  return String(Number.parseInt(taskId.slice(0, 6), 16) % 10000).padStart(4, "0");
}

function key(s: Scope): string {
  return `${s.accountId} ${s.region}`;
}

function group<T>(items: readonly T[], by: (x: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const x of items) {
    const k = by(x);
    const list = out.get(k);
    if (list) list.push(x);
    else out.set(k, [x]);
  }
  return out;
}
