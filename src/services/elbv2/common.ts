/** What ELBv2 domain code shares: dependencies, ARNs, scope checks, Marker pagination, tags. */
import type { Tag } from "@aws-sdk/client-elastic-load-balancing-v2";
import { ServiceError } from "../../aws/service-error.ts";
import { arn, parseArn, type Scope } from "../../core/arn.ts";
import type { Clock } from "../../core/clock.ts";
import type { IdGen } from "../../core/ids.ts";
import type { Store } from "../../store/store.ts";
import { setTags } from "../../store/tags.ts";
import { validation } from "./errors.ts";

export interface Elbv2Deps {
  readonly store: Store;
  readonly clock: Clock;
  readonly ids: IdGen;
}

export type ArnKind = "loadbalancer" | "targetgroup" | "listener" | "listener-rule";

const ARN_LABEL: Record<ArnKind, string> = {
  loadbalancer: "load balancer",
  targetgroup: "target group",
  listener: "listener",
  "listener-rule": "listener rule",
};

export const elbArn = (scope: Scope, resource: string) => arn("elasticloadbalancing", scope, resource);

/** The kind of an ELBv2 ARN, or undefined when it is not one. */
export function arnKind(value: string): ArnKind | undefined {
  const p = parseArn(value);
  if (!p || p.service !== "elasticloadbalancing") return undefined;
  const kind = p.resource.split("/")[0];
  return kind === "loadbalancer" || kind === "targetgroup" || kind === "listener" || kind === "listener-rule" ? kind : undefined;
}

/** ValidationError unless `value` is an ARN of `kind`; false when it names another account/region (not found). */
export function checkArn(value: string, kind: ArnKind, scope: Scope): boolean {
  const p = parseArn(value);
  if (!p || arnKind(value) !== kind) throw validation(`'${value}' is not a valid ${ARN_LABEL[kind]} ARN`);
  return p.accountId === scope.accountId && p.region === scope.region;
}

/** ELBv2 Marker pagination: NextMarker only when more items exist. PageSize 1-400. */
export function page<T>(items: readonly T[], pageSize: number | undefined, marker: string | undefined): { items: T[]; NextMarker?: string } {
  const size = pageSize ?? 400;
  if (!Number.isInteger(size) || size < 1 || size > 400) throw validation(`Page size '${size}' must be between 1 and 400`);
  let start = 0;
  if (marker !== undefined) {
    const decoded = Buffer.from(marker, "base64url").toString("utf8");
    const m = /^m:(\d+)$/.exec(decoded);
    if (!m) throw validation("The specified marker is not valid");
    start = Number(m[1]);
  }
  const next = start + size;
  const out = items.slice(start, next);
  return next < items.length ? { items: out, NextMarker: Buffer.from(`m:${next}`).toString("base64url") } : { items: out };
}

/** Name rules shared by load balancers and target groups. */
export function checkName(kind: "Load balancer" | "Target group", name: string | undefined): string {
  const n = name ?? "";
  if (n.length < 1 || n.length > 32) throw validation(`${kind} name '${n}' must be between 1 and 32 characters`);
  if (!/^[A-Za-z0-9-]+$/.test(n)) throw validation(`${kind} name '${n}' can only contain characters that are alphanumeric characters or hyphens(-)`);
  if (n.startsWith("-") || n.endsWith("-")) throw validation(`${kind} name '${n}' cannot begin or end with a hyphen`);
  if (kind === "Load balancer" && n.startsWith("internal-")) throw validation("Load balancer names cannot start with 'internal-'");
  return n;
}

export function checkTags(tags: readonly Tag[] | undefined): { key: string; value: string }[] {
  const out: { key: string; value: string }[] = [];
  const seen = new Set<string>();
  for (const t of tags ?? []) {
    const key = t.Key ?? "";
    if (key === "" || key.length > 128) throw validation("Tag keys must be between 1 and 128 characters");
    if ((t.Value ?? "").length > 256) throw validation("Tag values must be at most 256 characters");
    if (seen.has(key)) throw new ServiceError("DuplicateTagKeysException", `Tag key '${key}' is duplicated`);
    seen.add(key);
    out.push({ key, value: t.Value ?? "" });
  }
  if (out.length > 50) throw new ServiceError("TooManyTagsException", "The quota for the number of tags that can be assigned to a load balancer has been reached");
  return out;
}

export function applyTags(store: Store, resourceArn: string, tags: readonly Tag[] | undefined): void {
  const checked = checkTags(tags);
  if (checked.length > 0) setTags(store, resourceArn, checked);
}

export function port(value: number | undefined, what: string): number {
  if (value === undefined || !Number.isInteger(value) || value < 1 || value > 65535) {
    throw validation(`${what} '${value}' must be between 1 and 65535`);
  }
  return value;
}

/** The zone a subnet is placed in: the n-th subnet of a load balancer gets `<region>a`, `<region>b`, … */
export const zoneName = (region: string, index: number) => `${region}${"abcdefghijklmnopqrstuvwxyz"[index % 26]}`;
