/** IAM value helpers: unique ids, access keys, names, paths, policy documents, Marker pagination. */
import { createHash } from "node:crypto";
import type { IdGen } from "../../core/ids.ts";
import { offsetPage } from "../common/paginate.ts";
import { PolicyInvalid, policySize, validatePolicy } from "../../authz/validate.ts";
import { limitExceeded, malformedPolicy, validation } from "./errors.ts";

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** `n` uppercase base32 characters (A-Z, 2-7) from the injected id generator. */
export function upperAlnum(ids: IdGen, n: number): string {
  const bytes = Buffer.from(ids.hex(n), "hex");
  let out = "";
  for (const b of bytes) out += BASE32[b & 31];
  return out;
}

/** IAM unique ids: a 4-letter type prefix (AROA role, AIDA user, AGPA group, ANPA policy, AIPA profile) + 17. */
export const uniqueId = (ids: IdGen, prefix: string): string => prefix + upperAlnum(ids, 17);

/** A stable unique id for a built-in object (AWS-managed policies), derived from its name. */
export function stableId(prefix: string, name: string): string {
  const bytes = createHash("sha256").update(name).digest();
  let out = "";
  for (let i = 0; i < 17; i++) out += BASE32[bytes[i]! & 31];
  return prefix + out;
}

/** Access key id: AKIA (long-term) or ASIA (temporary) + 16. */
export const accessKeyId = (ids: IdGen, prefix: "AKIA" | "ASIA"): string => prefix + upperAlnum(ids, 16);

/** A 40-character secret access key (base64 alphabet, as AWS issues them). */
export const secretAccessKey = (ids: IdGen): string => Buffer.from(ids.hex(30), "hex").toString("base64");

/** An opaque session token. */
export const sessionToken = (ids: IdGen): string => "IQoJb3JpZ2luX2Vj" + Buffer.from(ids.hex(96), "hex").toString("base64");

const NAME = /^[\w+=,.@-]+$/;

/** Role/user/group/policy names: `[\w+=,.@-]+` up to `max` characters. */
export function checkName(value: string, member: string, max: number): void {
  if (value.length < 1 || value.length > max || !NAME.test(value)) {
    throw validation(
      `1 validation error detected: Value '${value}' at '${member}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+` +
        (value.length > max ? ` and Member must have length less than or equal to ${max}` : ""),
    );
  }
}

/** IAM paths begin and end with "/" (default "/"). */
export function checkPath(path: string | undefined): string {
  const p = path ?? "/";
  if (!/^\/([\x21-\x7e]*\/)?$/.test(p) || p.length > 512) {
    throw validation(
      "The specified value for path is invalid. It must begin and end with / and contain only alphanumeric characters and/or / characters.",
    );
  }
  return p;
}

/** Where a policy document goes: its kind and IAM's size quota for it (non-whitespace characters). */
export type PolicyUse =
  | { kind: "managed" }
  | { kind: "inline"; principal: "user" | "group" | "role" }
  | { kind: "trust"; principalExists: (arn: string) => boolean };

const QUOTAS = {
  managed: ["PolicySize", 6144],
  user: ["UserPolicySize", 2048],
  group: ["GroupPolicySize", 5120],
  role: ["RolePolicySize", 10240],
  trust: ["ACLSizePerRole", 2048],
} as const;

/**
 * Validates a policy document as IAM does before storing it (src/authz/validate.ts):
 * MalformedPolicyDocument with IAM's message, or LimitExceeded past the quota for its use.
 */
export function checkPolicyDocument(document: string, use: PolicyUse = { kind: "managed" }): void {
  try {
    validatePolicy(document, use.kind === "trust" ? "trust" : "identity", use.kind === "trust" ? { principalExists: use.principalExists } : {});
  } catch (err) {
    if (err instanceof PolicyInvalid) throw malformedPolicy(err.message);
    throw err;
  }
  const [name, max] = QUOTAS[use.kind === "inline" ? use.principal : use.kind];
  if (policySize(document) > max) throw limitExceeded(`Cannot exceed quota for ${name}: ${max}`);
}

/** Policy documents are returned URL-encoded (RFC 3986), as AWS does. */
export const encodeDocument = (document: string): string => encodeURIComponent(document);

/** A page as IAM answers it: the items, IsTruncated, and a Marker only when truncated. */
export interface Page<T> {
  items: T[];
  IsTruncated: boolean;
  Marker?: string;
}

/**
 * IAM's Marker/MaxItems pagination over the shared `offsetPage` (MaxItems 1-1000, default 100; the
 * marker is opaque, and one IAM did not issue is a ValidationError).
 */
export function page<T>(items: readonly T[], maxItems: number | undefined, marker: string | undefined): Page<T> {
  const max = maxItems ?? 100;
  if (!Number.isInteger(max) || max < 1 || max > 1000) {
    throw validation(
      `1 validation error detected: Value '${max}' at 'maxItems' failed to satisfy constraint: Member must have value ${max < 1 ? "greater than or equal to 1" : "less than or equal to 1000"}`,
    );
  }
  const p = offsetPage(items, max, marker, () => validation("Invalid Marker."));
  return p.next ? { items: p.items, IsTruncated: true, Marker: p.next } : { items: p.items, IsTruncated: false };
}
