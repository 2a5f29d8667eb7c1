/** What ELBv2 domain code shares: dependencies, ARNs, scope checks, Marker pagination, tags. */
import type { Tag as ElbTag } from "@aws-sdk/client-elastic-load-balancing-v2";
import { arn, parseArn, type Scope } from "../../core/arn.ts";
import type { Clock } from "../../core/clock.ts";
import type { IdGen } from "../../core/ids.ts";
import type { Store } from "../../store/store.ts";
import { offsetPage, type Page } from "../common/paginate.ts";
import { type Tag, type Tagging, tagShape } from "../common/tagging.ts";
import { duplicateTagKeys, tooManyTags, validation } from "./errors.ts";

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

/**
 * ELBv2 Marker pagination over the shared `offsetPage`: PageSize 1-400 (default 400), the next
 * page's marker (answered as NextMarker) only when more items exist, ValidationError for a marker
 * ELBv2 did not issue.
 */
export function page<T>(items: readonly T[], pageSize: number | undefined, marker: string | undefined): Page<T> {
  const size = pageSize ?? 400;
  if (!Number.isInteger(size) || size < 1 || size > 400) throw validation(`Page size '${size}' must be between 1 and 400`);
  return offsetPage(items, size, marker, () => validation("The specified marker is not valid"));
}

/** `{ NextMarker }` when there is a next page, else nothing. */
export const nextMarker = (p: Page<unknown>): { NextMarker?: string } => (p.next ? { NextMarker: p.next } : {});

/** Name rules shared by load balancers and target groups. */
export function checkName(kind: "Load balancer" | "Target group", name: string | undefined): string {
  const n = name ?? "";
  if (n.length < 1 || n.length > 32) throw validation(`${kind} name '${n}' must be between 1 and 32 characters`);
  if (!/^[A-Za-z0-9-]+$/.test(n)) throw validation(`${kind} name '${n}' can only contain characters that are alphanumeric characters or hyphens(-)`);
  if (n.startsWith("-") || n.endsWith("-")) throw validation(`${kind} name '${n}' cannot begin or end with a hyphen`);
  if (kind === "Load balancer" && n.startsWith("internal-")) throw validation("Load balancer names cannot start with 'internal-'");
  return n;
}

/** ELBv2 spells tags `{ Key, Value }`. */
export const elbTags = tagShape("Key", "Value");

/**
 * A resource holds at most 50 tags
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-limits.html).
 */
export const MAX_TAGS = 50;

/** Tags given in a request, checked as ELBv2 checks them: key 1-128, value up to 256, no key twice, at most 50. */
export function checkTags(tags: readonly ElbTag[] | undefined): Tag[] {
  const out = elbTags.read(tags);
  const seen = new Set<string>();
  for (const t of out) {
    if (t.key === "" || t.key.length > 128) throw validation("Tag keys must be between 1 and 128 characters");
    if (t.value.length > 256) throw validation("Tag values must be at most 256 characters");
    if (seen.has(t.key)) throw duplicateTagKeys(t.key);
    seen.add(t.key);
  }
  if (out.length > MAX_TAGS) throw tooManyTags();
  return out;
}

/** The tags of a resource being created: its earlier namesake's are dropped, the request's set. */
export function tagNew(tagging: Tagging, resourceArn: string, tags: readonly Tag[]): void {
  tagging.clear(resourceArn);
  tagging.set(resourceArn, tags);
}

export function port(value: number | undefined, what: string): number {
  if (value === undefined || !Number.isInteger(value) || value < 1 || value > 65535) {
    throw validation(`${what} '${value}' must be between 1 and 65535`);
  }
  return value;
}

/** The zone a subnet is placed in: the n-th subnet of a load balancer gets `<region>a`, `<region>b`, … */
export const zoneName = (region: string, index: number) => `${region}${"abcdefghijklmnopqrstuvwxyz"[index % 26]}`;
