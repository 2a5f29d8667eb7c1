/** Maps GET /containers/{id}/json onto ContainerState. */
import type { ContainerState, ContainerStatus } from "../runtime.ts";

/** The slice of the engine's inspect answer we read. */
export interface DockerInspect {
  Id: string;
  Name?: string;
  Image?: string;
  Created?: string;
  RestartCount?: number;
  Config?: { Image?: string; Labels?: Record<string, string> | null };
  State?: {
    Status?: string;
    ExitCode?: number;
    OOMKilled?: boolean;
    Error?: string;
    StartedAt?: string;
    FinishedAt?: string;
    Health?: { Status?: string };
  };
  NetworkSettings?: {
    Networks?: Record<string, { IPAddress?: string }> | null;
    Ports?: Record<string, { HostIp?: string; HostPort?: string }[] | null> | null;
  };
}

const STATUSES: readonly ContainerStatus[] = ["created", "running", "paused", "restarting", "removing", "exited", "dead"];

/** Docker's zero time ("0001-01-01T00:00:00Z") and empty strings mean "never". */
export function dockerTime(value: string | undefined): number | undefined {
  if (!value || value.startsWith("0001-01-01")) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

function health(status: string | undefined): ContainerState["health"] {
  return status === "starting" || status === "healthy" || status === "unhealthy" ? status : undefined;
}

export function toContainerState(c: DockerInspect): ContainerState {
  const st = c.State ?? {};
  const status = (STATUSES as readonly string[]).includes(st.Status ?? "") ? (st.Status as ContainerStatus) : "dead";
  const ips: Record<string, string> = {};
  for (const [name, n] of Object.entries(c.NetworkSettings?.Networks ?? {})) if (n.IPAddress) ips[name] = n.IPAddress;
  const ports: ContainerState["ports"] = [];
  for (const [key, binds] of Object.entries(c.NetworkSettings?.Ports ?? {})) {
    const [port = "0", proto = "tcp"] = key.split("/");
    for (const b of binds ?? []) {
      if (!b.HostPort) continue;
      ports.push({
        containerPort: Number(port),
        hostPort: Number(b.HostPort),
        protocol: proto === "udp" ? "udp" : "tcp",
        hostIp: b.HostIp ?? "",
      });
    }
  }
  const exited = status === "exited" || status === "dead";
  const startedAt = dockerTime(st.StartedAt);
  let finishedAt = dockerTime(st.FinishedAt);
  // Docker quirk: a container that exits within a few ms can report FinishedAt before StartedAt.
  if (startedAt !== undefined && finishedAt !== undefined && finishedAt < startedAt) finishedAt = startedAt;
  return {
    id: c.Id,
    name: (c.Name ?? "").replace(/^\//, ""),
    image: c.Config?.Image ?? "",
    labels: c.Config?.Labels ?? {},
    status,
    exitCode: exited ? (st.ExitCode ?? 0) : undefined,
    oomKilled: st.OOMKilled || undefined,
    error: st.Error || undefined,
    startedAt,
    finishedAt,
    health: health(st.Health?.Status),
    ips,
    ports,
    ...(c.Image ? { imageId: c.Image } : {}),
    ...(dockerTime(c.Created) !== undefined ? { createdAt: dockerTime(c.Created) } : {}),
    ...(c.RestartCount !== undefined ? { restartCount: c.RestartCount } : {}),
  };
}
