/**
 * Policy documents checked as IAM checks them before storing one, in IAM's order, the first
 * failure being the one reported (MalformedPolicyDocument, with IAM's texts):
 *   syntax → version → legacy parsing → unique Sids → actions → resource format → action vendors
 *   → per kind: identity policies need resources and name no principal; trust policies have no
 *   Resource, only sts:AssumeRole*-style actions, and principals that exist.
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_policy-validator.html
 */
import { knownService } from "./actions.ts";
import { parseDate, parseOperator } from "./conditions.ts";
import { isObject } from "./policy.ts";

export type PolicyKind = "identity" | "trust" | "resource";

export class PolicyInvalid extends Error {}

const TOP = new Set(["Version", "Id", "Statement"]);
const STATEMENT = new Set(["Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Principal", "NotPrincipal", "Condition"]);
const TRUST_ACTIONS = new Set([
  "sts:assumerole",
  "sts:assumerolewithsaml",
  "sts:assumerolewithwebidentity",
  "sts:tagsession",
  "sts:setsourceidentity",
  "sts:setcontext",
]);
const IAM_RESOURCE_PREFIXES = [
  "user/",
  "federated-user/",
  "role/",
  "group/",
  "instance-profile/",
  "mfa/",
  "server-certificate/",
  "policy/",
  "sms-mfa/",
  "saml-provider/",
  "oidc-provider/",
  "report/",
  "access-report/",
];

export interface ValidateOptions {
  /** Trust policies: whether a principal ARN names something that exists (users, roles, the account). */
  readonly principalExists?: (arn: string) => boolean;
}

/** Throws PolicyInvalid with IAM's message for the first problem; returns the parsed document. */
export function validatePolicy(text: string, kind: PolicyKind, opts: ValidateOptions = {}): Record<string, unknown> {
  const fail = (m: string): never => {
    throw new PolicyInvalid(m);
  };
  const syntax = "Syntax errors in policy.";
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return fail(kind === "trust" ? "This policy contains invalid Json" : syntax);
  }
  if (!isObject(doc)) return fail(kind === "trust" ? "This policy contains invalid Json" : syntax);

  // 1. Syntax: known elements of the right types.
  for (const k of Object.keys(doc)) if (!TOP.has(k)) fail(syntax);
  if (doc["Statement"] === undefined) fail("Missing required field Statement");
  if (doc["Version"] !== undefined && typeof doc["Version"] !== "string") fail(syntax);
  if (doc["Id"] !== undefined && typeof doc["Id"] !== "string") fail(syntax);
  const raw = doc["Statement"];
  if (Array.isArray(raw) && raw.length === 0) fail(syntax);
  const statements = (Array.isArray(raw) ? raw : [raw]) as unknown[];
  const stringOrList = (v: unknown) => typeof v === "string" || (Array.isArray(v) && v.every((x) => typeof x === "string"));
  for (const s of statements) {
    if (!isObject(s)) fail(syntax);
    const st = s as Record<string, unknown>;
    for (const k of Object.keys(st)) if (!STATEMENT.has(k)) fail(syntax);
    if (st["Effect"] === undefined || typeof st["Effect"] !== "string") fail(syntax);
    if (st["Sid"] !== undefined && typeof st["Sid"] !== "string") fail(syntax);
    if (st["Action"] !== undefined && st["NotAction"] !== undefined) fail(syntax);
    if (st["Resource"] !== undefined && st["NotResource"] !== undefined) fail(syntax);
    if (st["Principal"] !== undefined && st["NotPrincipal"] !== undefined) fail(syntax);
    for (const k of ["Action", "NotAction", "Resource", "NotResource"]) if (st[k] !== undefined && !stringOrList(st[k])) fail(syntax);
    for (const k of ["Principal", "NotPrincipal"]) if (st[k] !== undefined && st[k] !== "*" && !principalShape(st[k])) fail(syntax);
    if (st["Condition"] !== undefined) {
      if (!isObject(st["Condition"])) fail(syntax);
      for (const [op, block] of Object.entries(st["Condition"] as Record<string, unknown>)) {
        if (!isObject(block) || !parseOperator(op)) fail(syntax);
        for (const v of Object.values(block as Record<string, unknown>)) {
          const list = Array.isArray(v) ? v : [v];
          if (!list.every((x) => typeof x === "string" || typeof x === "number" || typeof x === "boolean")) fail(syntax);
        }
      }
    }
  }

  // 2. Version (identity policies: 2012-10-17 only).
  if (kind === "identity" && doc["Version"] !== "2012-10-17") fail("Policy document must be version 2012-10-17 or greater.");
  if (doc["Version"] !== undefined && doc["Version"] !== "2012-10-17" && doc["Version"] !== "2008-10-17") fail(syntax);

  // 3. The legacy parser: exact Effect, date values that parse, ARNs with all their parts.
  const legacy = "The policy failed legacy parsing";
  for (const s of statements as Record<string, unknown>[]) {
    if (s["Effect"] !== "Allow" && s["Effect"] !== "Deny") fail(legacy);
    for (const [op, block] of Object.entries((s["Condition"] ?? {}) as Record<string, Record<string, unknown>>)) {
      if (!parseOperator(op)!.base.startsWith("Date")) continue;
      for (const v of Object.values(block)) for (const x of Array.isArray(v) ? v : [v]) if (!String(x).includes("${") && parseDate(String(x)) === undefined) fail(legacy);
    }
    for (const r of list(s["Resource"] ?? s["NotResource"])) {
      if (r.startsWith("arn:") && (r.split(":").length < 6 || r.split(":")[2] === "")) fail(legacy);
    }
  }

  // 4. Sids unique.
  const sids = new Set<string>();
  for (const s of statements as Record<string, unknown>[]) {
    const sid = s["Sid"] as string | undefined;
    if (sid === undefined) continue;
    if (sids.has(sid)) fail("Statement IDs (SID) in a single policy must be unique.");
    sids.add(sid);
  }

  // 5. Every statement has actions.
  for (const s of statements as Record<string, unknown>[]) if (list(s["Action"] ?? s["NotAction"]).length === 0) fail("Policy statement must contain actions.");

  // 6. Resource formats.
  for (const s of statements as Record<string, unknown>[]) for (const r of list(s["Resource"] ?? s["NotResource"])) checkResource(r, fail);

  // 7. Action vendors.
  for (const s of statements as Record<string, unknown>[]) {
    for (const a of list(s["Action"] ?? s["NotAction"])) {
      if (a === "*") continue;
      const parts = a.split(":");
      if (parts.length < 2) fail("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.");
      if (parts.length > 2) fail("Actions/Condition can contain only one colon.");
      const vendor = parts[0]!;
      if (!/^[a-zA-Z0-9-]+$/.test(vendor) || !knownService(vendor.toLowerCase())) fail(`Vendor ${vendor} is not valid`);
    }
  }

  // 8. What each kind of policy must and must not have.
  for (const s of statements as Record<string, unknown>[]) {
    const hasPrincipal = s["Principal"] !== undefined || s["NotPrincipal"] !== undefined;
    if (kind === "identity") {
      if (hasPrincipal) fail("Policy document should not specify a principal.");
      if (s["Resource"] === undefined && s["NotResource"] === undefined) fail("Policy statement must contain resources.");
    } else if (kind === "trust") {
      if (s["Resource"] !== undefined || s["NotResource"] !== undefined) fail("Has prohibited field Resource.");
      for (const a of list(s["Action"] ?? s["NotAction"])) {
        if (!TRUST_ACTIONS.has(a.toLowerCase()) && !/^sts:\*$|^\*$|^sts:AssumeRole\*$/i.test(a)) {
          fail("Trust Policy statement actions can only be sts:AssumeRole, sts:AssumeRoleWithSAML,  and sts:AssumeRoleWithWebIdentity");
        }
      }
      if (s["NotPrincipal"] !== undefined) fail(syntax);
      if (s["Principal"] === undefined) fail("Missing required field Principal");
    } else if (!hasPrincipal) {
      fail("Missing required field Principal");
    }
  }

  // 9. Trust policies: principals that exist.
  if (kind === "trust") {
    for (const s of statements as Record<string, unknown>[]) {
      const p = s["Principal"];
      if (p === "*") fail('AssumeRolepolicy contained an invalid principal: "STAR":"*".');
      if (!isObject(p)) continue;
      for (const id of list(p["AWS"])) {
        if (id === "*") continue;
        if (/^\d{12}$/.test(id)) continue;
        const ok = /^arn:aws:(iam|sts)::\d{12}:(root|user\/.+|role\/.+|assumed-role\/[^/]+\/[^/]+|federated-user\/.+)$/.test(id) && !id.includes("*");
        if (!ok || (opts.principalExists && !opts.principalExists(id))) fail(`Invalid principal in policy: "AWS":"${id}"`);
      }
      for (const id of list(p["Federated"])) {
        if (opts.principalExists && id.startsWith("arn:") && !opts.principalExists(id)) fail(`Invalid principal in policy: "Federated":"${id}"`);
      }
    }
  }
  return doc;
}

function list(v: unknown): string[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === "string");
}

function principalShape(v: unknown): boolean {
  if (!isObject(v)) return false;
  for (const [k, ids] of Object.entries(v)) {
    if (!["AWS", "Service", "Federated", "CanonicalUser"].includes(k)) return false;
    if (!(typeof ids === "string" || (Array.isArray(ids) && ids.length > 0 && ids.every((x) => typeof x === "string")))) return false;
  }
  return true;
}

function checkResource(r: string, fail: (m: string) => never): void {
  if (r === "*" || r.includes("${")) return;
  if (!r.startsWith("arn:")) fail(`Resource ${r} must be in ARN format or "*".`);
  const parts = r.split(":");
  const [, partition, service, region] = parts;
  if (partition !== "aws" && partition !== "aws-cn" && partition !== "aws-us-gov" && partition !== "*") fail(`Partition "${partition}" is not valid for resource "${r}".`);
  if (!/^[a-z0-9-]+$/.test(service ?? "")) fail("Resource vendor must be fully qualified and cannot contain regexes.");
  if (service === "iam") {
    if (region !== "") fail(`IAM resource ${r} cannot contain region information.`);
    const res = parts.slice(5).join(":");
    if (res !== "*" && res !== "root" && !IAM_RESOURCE_PREFIXES.some((p) => res.startsWith(p)) && !res.startsWith("*")) {
      fail(
        'IAM resource path must either be "*" or start with user/, federated-user/, role/, group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, oidc-provider/, report/, access-report/.',
      );
    }
  }
  if (service === "s3" && region !== "") fail(`Resource ${r} can not contain region information.`);
}

/** IAM counts a policy's size without whitespace. */
export function policySize(text: string): number {
  let n = 0;
  for (const c of text) if (c !== " " && c !== "\n" && c !== "\r" && c !== "\t") n++;
  return n;
}
