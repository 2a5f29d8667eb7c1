/** Maps a ContainerSpec onto the Engine API's POST /containers/create body. */
import type { ContainerSpec, HealthcheckSpec, NetworkSpec } from "../runtime.ts";

const MS_TO_NS = 1_000_000;

export function networkMode(net: NetworkSpec): string {
  switch (net.mode) {
    case "bridge":
    case "host":
    case "none":
      return net.mode;
    case "network":
      return net.name;
    case "container":
      return `container:${net.id}`;
  }
}

export function healthcheckBody(hc: HealthcheckSpec): Record<string, unknown> {
  if (hc.test[0] === "NONE") return { Test: ["NONE"] };
  return {
    Test: hc.test,
    Interval: hc.intervalMs === undefined ? undefined : hc.intervalMs * MS_TO_NS,
    Timeout: hc.timeoutMs === undefined ? undefined : hc.timeoutMs * MS_TO_NS,
    Retries: hc.retries,
    StartPeriod: hc.startPeriodMs === undefined ? undefined : hc.startPeriodMs * MS_TO_NS,
  };
}

export function createBody(spec: ContainerSpec): Record<string, unknown> {
  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of spec.portBindings ?? []) {
    const key = `${p.containerPort}/${p.protocol}`;
    exposed[key] = {};
    (bindings[key] ??= []).push({ HostIp: p.hostIp, HostPort: p.hostPort ? String(p.hostPort) : "" });
  }
  const net = spec.network;
  return {
    Image: spec.image,
    Labels: spec.labels,
    Entrypoint: spec.entrypoint,
    Cmd: spec.cmd,
    Env: spec.env,
    User: spec.user,
    WorkingDir: spec.workingDir,
    Hostname: spec.hostname,
    StopTimeout: spec.stopTimeoutSec,
    Healthcheck: spec.healthcheck ? healthcheckBody(spec.healthcheck) : undefined,
    ExposedPorts: spec.portBindings?.length ? exposed : undefined,
    HostConfig: {
      ReadonlyRootfs: spec.readonlyRootfs,
      Init: spec.init,
      Memory: spec.memoryBytes,
      MemoryReservation: spec.memoryReservationBytes,
      CpuShares: spec.cpuShares,
      Ulimits: spec.ulimits?.map((u) => ({ Name: u.name, Soft: u.soft, Hard: u.hard })),
      PortBindings: spec.portBindings?.length ? bindings : undefined,
      NetworkMode: networkMode(net),
      ExtraHosts: spec.extraHosts,
    },
    NetworkingConfig:
      net.mode === "network"
        ? {
            EndpointsConfig: {
              [net.name]: { Aliases: net.aliases ?? [], ...(net.ipv4Address ? { IPAMConfig: { IPv4Address: net.ipv4Address } } : {}) },
            },
          }
        : undefined,
  };
}
