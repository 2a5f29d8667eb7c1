/**
 * The task definition settings Slipway accepts and stores (DescribeTaskDefinition echoes them) but
 * does not act on. Nothing is ignored silently: registration logs them, a service says them in an
 * event before it starts tasks, and the README lists them. Everything not named here is
 * implemented (see container-spec.ts, env-files.ts, secrets.ts and the task endpoint).
 */
import type { ContainerDefinition, LinuxParameters, RegisterTaskDefinitionRequest, TaskDefinition } from "@aws-sdk/client-ecs";

/** Container settings Slipway does not apply to the Docker container. */
const CONTAINER_FIELDS = [
  "links",
  "restartPolicy",
  "mountPoints",
  "volumesFrom",
  "startTimeout",
  "hostname",
  "disableNetworking",
  "privileged",
  "dnsServers",
  "dnsSearchDomains",
  "dockerSecurityOptions",
  "interactive",
  "pseudoTerminal",
  "systemControls",
  "resourceRequirements",
  "firelensConfiguration",
  "credentialSpecs",
  "versionConsistency",
] as const satisfies readonly (keyof ContainerDefinition)[];

/** linuxParameters members other than initProcessEnabled (which is applied). */
const LINUX_FIELDS = ["capabilities", "devices", "sharedMemorySize", "tmpfs", "maxSwap", "swappiness"] as const satisfies readonly (keyof LinuxParameters)[];

/** Task-level settings Slipway does not apply. */
const TASK_FIELDS = [
  "volumes",
  "placementConstraints",
  "pidMode",
  "ipcMode",
  "proxyConfiguration",
  "inferenceAccelerators",
  "ephemeralStorage",
  "runtimePlatform",
  "enableFaultInjection",
] as const satisfies readonly (keyof RegisterTaskDefinitionRequest)[];

/** Log drivers Slipway runs: awslogs (its own shipper). Others leave Docker's default driver in place. */
const LOG_DRIVERS = new Set(["awslogs"]);

const isSet = (v: unknown): boolean =>
  v !== undefined && v !== null && v !== false && !(Array.isArray(v) && v.length === 0) && !(typeof v === "object" && !Array.isArray(v) && Object.keys(v).length === 0);

/** The settings of a task definition that Slipway does not implement, as paths (empty when none). */
export function unimplementedSettings(td: TaskDefinition | RegisterTaskDefinitionRequest): string[] {
  const out: string[] = [];
  for (const f of TASK_FIELDS) if (isSet((td as Record<string, unknown>)[f])) out.push(f);
  for (const c of td.containerDefinitions ?? []) {
    const at = `containerDefinitions[${c.name ?? ""}]`;
    for (const f of CONTAINER_FIELDS) if (isSet(c[f])) out.push(`${at}.${f}`);
    for (const f of LINUX_FIELDS) if (isSet(c.linuxParameters?.[f])) out.push(`${at}.linuxParameters.${f}`);
    if ((c.portMappings ?? []).some((p) => p.containerPortRange !== undefined)) out.push(`${at}.portMappings.containerPortRange`);
    const driver = c.logConfiguration?.logDriver;
    if (driver && !LOG_DRIVERS.has(driver)) out.push(`${at}.logConfiguration.logDriver ${driver}`);
  }
  return out;
}

/** One line naming them, for the log and for service events. */
export function unimplementedNotice(family: string, revision: number | undefined, settings: readonly string[]): string {
  const name = revision === undefined ? family : `${family}:${revision}`;
  return `task definition ${name} uses settings Slipway does not implement (stored, not applied): ${settings.join(", ")}`;
}
