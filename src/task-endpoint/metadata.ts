/**
 * The task metadata endpoint's JSON (version 4 and 3), built from the task as ECS knows it and the
 * containers as Docker reports them. Field names, casing and formats follow
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-metadata-endpoint-v4-response.html
 * and https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-metadata-endpoint-v4-fargate-response.html:
 * PascalCase keys, Revision as a string, times in RFC 3339 with nanoseconds, Health with lower-case
 * keys. Not served: ClockDrift and EphemeralStorageMetrics (Slipway measures neither).
 */
import type { Container, Task } from "@aws-sdk/client-ecs";
import { parseArn } from "../core/arn.ts";
import type { ContainerState } from "../runtime/runtime.ts";
import type { TaskSnapshot } from "./ports.ts";

type Json = Record<string, unknown>;

/** RFC 3339 with nanoseconds, as the agent writes times (Go's time.RFC3339Nano, UTC). */
export function rfc3339Nano(ms: number | Date | undefined): string | undefined {
  if (ms === undefined) return undefined;
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 19)}.${iso.slice(20, 23)}000000Z`;
}

function revision(taskDefinitionArn: string | undefined): { family: string; revision: string } {
  const resource = parseArn(taskDefinitionArn ?? "")?.resource ?? "";
  const [family = "", rev = ""] = resource.replace(/^task-definition\//, "").split(":");
  return { family, revision: rev };
}

function clean(o: Json): Json {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

const isFargate = (t: Task) => t.launchType === "FARGATE";

export function containerMetadata(snap: TaskSnapshot, c: Container, docker: ContainerState | undefined): Json {
  const t = snap.task;
  const { family, revision: rev } = revision(t.taskDefinitionArn);
  const log = snap.logConfigurations.get(c.name ?? "");
  const limits = snap.limits.get(c.name ?? "");
  const mode = t.attachments?.some((a) => a.type === "ElasticNetworkInterface") ? "awsvpc" : "bridge";
  const ips = docker ? Object.values(docker.ips) : [];
  const ports = (c.networkBindings ?? []).map((b) =>
    clean({ ContainerPort: b.containerPort, Protocol: b.protocol ?? "tcp", HostPort: b.hostPort, HostIp: b.bindIP }),
  );
  const health =
    c.healthStatus && c.healthStatus !== "UNKNOWN"
      ? { status: c.healthStatus, statusSince: rfc3339Nano(docker?.startedAt), output: "" }
      : undefined;
  return clean({
    DockerId: c.runtimeId ?? docker?.id,
    Name: c.name,
    DockerName: docker?.name,
    Image: c.image,
    ImageID: docker?.imageId,
    Ports: ports.length ? ports : undefined,
    Labels: {
      "com.amazonaws.ecs.cluster": t.clusterArn,
      "com.amazonaws.ecs.container-name": c.name,
      "com.amazonaws.ecs.task-arn": t.taskArn,
      "com.amazonaws.ecs.task-definition-family": family,
      "com.amazonaws.ecs.task-definition-version": rev,
    },
    DesiredStatus: t.desiredStatus,
    KnownStatus: c.lastStatus,
    ExitCode: c.exitCode,
    Limits: { CPU: limits?.cpu ?? 0, Memory: limits?.memory ?? 0 },
    CreatedAt: rfc3339Nano(docker?.createdAt),
    StartedAt: rfc3339Nano(docker?.startedAt),
    FinishedAt: rfc3339Nano(docker?.finishedAt),
    Type: "NORMAL",
    LogDriver: log?.logDriver,
    LogOptions: log?.options,
    ContainerARN: c.containerArn,
    Health: health,
    Networks: ips.length ? [clean({ NetworkMode: mode, IPv4Addresses: ips, AttachmentIndex: mode === "awsvpc" ? 0 : undefined })] : undefined,
    RestartCount: docker?.restartCount,
  });
}

export function taskMetadata(snap: TaskSnapshot, docker: ReadonlyMap<string, ContainerState | undefined>, withTags = false): Json {
  const t = snap.task;
  const { family, revision: rev } = revision(t.taskDefinitionArn);
  const cpu = t.cpu !== undefined ? Number(t.cpu) : undefined;
  const memory = t.memory !== undefined ? Number(t.memory) : undefined;
  const cluster = isFargate(t) ? t.clusterArn : parseArn(t.clusterArn ?? "")?.resource.replace(/^cluster\//, "");
  const out = clean({
    Cluster: cluster,
    TaskARN: t.taskArn,
    Family: family,
    Revision: rev,
    DesiredStatus: t.desiredStatus,
    KnownStatus: t.lastStatus,
    Limits: cpu !== undefined || memory !== undefined ? clean({ CPU: cpu !== undefined ? cpu / 1024 : undefined, Memory: memory }) : undefined,
    PullStartedAt: rfc3339Nano(t.pullStartedAt),
    PullStoppedAt: rfc3339Nano(t.pullStoppedAt),
    ExecutionStoppedAt: rfc3339Nano(t.executionStoppedAt),
    AvailabilityZone: t.availabilityZone,
    LaunchType: t.launchType,
    ServiceName: snap.serviceName,
    FaultInjectionEnabled: false,
    Containers: (t.containers ?? []).map((c) => containerMetadata(snap, c, docker.get(c.name ?? ""))),
  });
  if (withTags) {
    out["TaskTags"] = Object.fromEntries(snap.tags.map((x) => [x.key, x.value]));
  }
  return out;
}

/** Docker's stats for one container plus network_rate_stats, computed from the previous sample. */
export function withNetworkRates(stats: Json, previous: Json | undefined): Json {
  const bytes = (s: Json | undefined, key: "rx_bytes" | "tx_bytes") =>
    Object.values((s?.["networks"] ?? {}) as Record<string, Record<string, number>>).reduce((sum, n) => sum + (n[key] ?? 0), 0);
  const at = (s: Json | undefined) => Date.parse(String(s?.["read"] ?? ""));
  const secs = (at(stats) - at(previous)) / 1000;
  const rate = (key: "rx_bytes" | "tx_bytes") => (previous && secs > 0 ? Math.max(0, (bytes(stats, key) - bytes(previous, key)) / secs) : 0);
  return { ...stats, network_rate_stats: { rx_bytes_per_sec: rate("rx_bytes"), tx_bytes_per_sec: rate("tx_bytes") } };
}
