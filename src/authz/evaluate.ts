/**
 * The decision for one request within one account, as AWS documents it
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html):
 *
 * 1. An explicit Deny in any applicable policy (identity, resource, boundary, session) wins.
 * 2. An Allow in the resource's policy that names the caller itself (the user ARN, the session
 *    ARN, a service or an identity provider) is enough on its own.
 * 3. Otherwise an identity-based policy must allow, except when the resource policy names the
 *    caller's role (then boundary and session policies still cap it). KMS key policies and role
 *    trust policies must allow on their own; when they delegate to the account, the identity side
 *    must allow as well.
 * 4. A permissions boundary and session policies cap whatever was allowed.
 *
 * The account's root user is unrestricted except by an explicit Deny in a resource policy (and by a
 * key policy that gives the account nothing).
 */
import type { Context } from "./context.ts";
import { evalCondition } from "./conditions.ts";
import type { Policy, PrincipalSpec, ResourcePattern, Statement } from "./policy.ts";
import { compileGlob } from "../core/glob.ts";
import { substitute } from "./variables.ts";

export type PolicyType =
  | "identity-based policy"
  | "resource-based policy"
  | "permissions boundary"
  | "session policy"
  | "role trust policy";

export interface PolicySource {
  readonly policy: Policy;
  readonly type: PolicyType;
  /** The policy's name, ARN, or "PolicyInputList.1" in the simulator. */
  readonly id: string;
  /** Managed policies: their ARN (named after an explicit deny). */
  readonly arn?: string | undefined;
  /** The simulator's SourcePolicyType (user, group, role, aws-managed, user-managed, resource, IAM Policy). */
  readonly simType?: string | undefined;
  /** The original text (the simulator reports statement positions in it). */
  readonly text?: string | undefined;
}

/** Who is asking, with the identifiers a Principal element can name. */
export interface RequestPrincipal {
  readonly kind: "root" | "user" | "role" | "service" | "federated" | "anonymous";
  /** As denial messages show it: the user ARN, the session ARN (arn:aws:sts::…:assumed-role/R/S), root's ARN. */
  readonly arn: string;
  readonly accountId: string;
  readonly roleArn?: string | undefined;
  readonly service?: string | undefined;
  readonly federatedProvider?: string | undefined;
}

export interface EvalRequest {
  /** "service:Action" as IAM names it. */
  readonly action: string;
  /** The resource ARN, or "*". */
  readonly resource: string;
  readonly principal: RequestPrincipal;
  readonly context: Context;
  readonly identity: readonly PolicySource[];
  readonly resourcePolicy?: PolicySource | undefined;
  /** KMS key policies and trust policies: the resource policy must allow by itself or for the account. */
  readonly resourceMustAllow?: boolean;
  readonly boundary?: PolicySource | undefined;
  /** Session policies (AssumeRole's Policy and PolicyArns): their union caps the session. */
  readonly session?: readonly PolicySource[] | undefined;
  /** Collects the condition keys a matching statement read but the request lacked (simulator). */
  readonly missing?: Set<string>;
}

export type DecisionKind = "allowed" | "explicitDeny" | "implicitDeny";

export interface MatchedStatement {
  readonly source: PolicySource;
  readonly statement: Statement;
}

export interface Decision {
  readonly decision: DecisionKind;
  /** For a denial: the kind of policy the message names. */
  readonly type?: PolicyType | undefined;
  /** For an explicit deny by a managed policy or boundary: its ARN. */
  readonly policyArn?: string | undefined;
  /** The statements that decided: the denying ones, or the allowing ones. */
  readonly matched: readonly MatchedStatement[];
  /** Per policy type, its own verdict (the simulator's EvalDecisionDetails). */
  readonly details: Readonly<Partial<Record<PolicyType, DecisionKind>>>;
}

type Grant = "direct" | "role" | "account";
const GRANT_RANK: Record<Grant, number> = { account: 1, role: 2, direct: 3 };

export function evaluate(req: EvalRequest): Decision {
  const identityResult = scan(req.identity, req, false);
  const resourceResult = req.resourcePolicy ? scan([req.resourcePolicy], req, true) : EMPTY;
  const boundaryResult = req.boundary ? scan([req.boundary], req, false) : EMPTY;
  const sessionResult = req.session && req.session.length > 0 ? scan(req.session, req, false) : EMPTY;

  const details: Partial<Record<PolicyType, DecisionKind>> = {};
  const verdict = (r: ScanResult): DecisionKind => (r.denies.length > 0 ? "explicitDeny" : r.allows.length > 0 ? "allowed" : "implicitDeny");
  if (req.identity.length > 0) details["identity-based policy"] = verdict(identityResult);
  if (req.resourcePolicy) details[req.resourcePolicy.type] = verdict(resourceResult);
  if (req.boundary) details["permissions boundary"] = verdict(boundaryResult);
  if (req.session && req.session.length > 0) details["session policy"] = verdict(sessionResult);

  // 1. Explicit deny, named by the first kind of policy that has one.
  for (const r of [identityResult, resourceResult, boundaryResult, sessionResult]) {
    const first = r.denies[0];
    if (first) return { decision: "explicitDeny", type: first.source.type, policyArn: first.source.arn, matched: r.denies, details };
  }
  const deny = (type: PolicyType): Decision => ({ decision: "implicitDeny", type, matched: [], details });
  const allow = (matched: readonly MatchedStatement[]): Decision => ({ decision: "allowed", matched, details });

  const grant = resourceResult.grant;
  if (req.principal.kind === "root") {
    if (req.resourceMustAllow && !grant) return deny(req.resourcePolicy?.type ?? "resource-based policy");
    return allow([...identityResult.allows, ...resourceResult.allows]);
  }
  if (req.principal.kind === "service" || req.principal.kind === "federated" || req.principal.kind === "anonymous") {
    return grant ? allow(resourceResult.allows) : deny(req.resourcePolicy?.type ?? "resource-based policy");
  }
  // 2. The resource policy names the caller itself.
  if (grant === "direct") return allow(resourceResult.allows);
  // 3. The identity side.
  const identityAllows = identityResult.allows.length > 0;
  if (req.resourceMustAllow) {
    if (!grant) return deny(req.resourcePolicy?.type ?? "resource-based policy");
    if (grant === "account" && !identityAllows) return deny("identity-based policy");
  } else if (grant !== "role" && !identityAllows) {
    return deny("identity-based policy");
  }
  // 4. Caps.
  if (req.boundary && boundaryResult.allows.length === 0) return deny("permissions boundary");
  if (req.session && req.session.length > 0 && sessionResult.allows.length === 0) return deny("session policy");
  return allow([...identityResult.allows, ...resourceResult.allows]);
}

interface ScanResult {
  readonly denies: MatchedStatement[];
  readonly allows: MatchedStatement[];
  grant: Grant | undefined;
}

const EMPTY: ScanResult = { denies: [], allows: [], grant: undefined };

function scan(sources: readonly PolicySource[], req: EvalRequest, resourcePolicy: boolean): ScanResult {
  const out: ScanResult = { denies: [], allows: [], grant: undefined };
  const action = req.action.toLowerCase();
  for (const source of sources) {
    const policy = source.policy;
    for (const st of policy.statements) {
      if (!st.usable) continue;
      if (!actionMatches(st, action)) continue;
      if (!resourceMatches(st, req.resource, req.context, policy.variables, resourcePolicy)) continue;
      let grant: Grant | undefined;
      if (resourcePolicy) {
        grant = principalMatches(st, req.principal);
        if (!grant) continue;
      }
      if (!conditionsHold(st, req.context, policy.variables, req.missing)) continue;
      if (st.effect === "Deny") out.denies.push({ source, statement: st });
      else {
        out.allows.push({ source, statement: st });
        if (grant && (!out.grant || GRANT_RANK[grant] > GRANT_RANK[out.grant])) out.grant = grant;
      }
    }
  }
  return out;
}

function actionMatches(st: Statement, action: string): boolean {
  if (st.actions) return st.actions.some((g) => g.matches(action));
  if (st.notActions) return !st.notActions.some((g) => g.matches(action));
  return false;
}

function resourceMatches(st: Statement, resource: string, ctx: Context, variables: boolean, resourcePolicy: boolean): boolean {
  if (st.resources) return st.resources.some((r) => patternMatches(r, resource, ctx, variables));
  if (st.notResources) return !st.notResources.some((r) => patternMatches(r, resource, ctx, variables));
  // A resource policy's statement without Resource applies to the resource it is attached to (trust policies).
  return resourcePolicy;
}

const templateCache = new Map<string, ReturnType<typeof compileGlob>>();

function patternMatches(p: ResourcePattern, resource: string, ctx: Context, variables: boolean): boolean {
  if (p.glob) return p.glob.matches(resource);
  if (!variables) return compileGlob(p.source, { question: true }).matches(resource);
  const s = substitute(p.source, ctx);
  if (s === undefined) return false;
  let g = templateCache.get(s);
  if (!g) {
    if (templateCache.size > 5000) templateCache.clear();
    g = compileGlob(s, { question: true });
    templateCache.set(s, g);
  }
  return g.matches(resource);
}

function conditionsHold(st: Statement, ctx: Context, variables: boolean, missing: Set<string> | undefined): boolean {
  let ok = true;
  for (const c of st.conditions) {
    if (missing && c.base !== "Null" && ctx.get(c.key) === undefined) missing.add(c.keyName);
    if (!evalCondition(c, ctx, variables)) {
      ok = false;
      if (!missing) return false;
    }
  }
  return ok;
}

/** How a resource policy's statement names the caller: itself, its role, its account, or not at all. */
function principalMatches(st: Statement, p: RequestPrincipal): Grant | undefined {
  if (st.principal) return principalIn(st.principal, p);
  if (st.notPrincipal) return principalIn(st.notPrincipal, p) ? undefined : "direct";
  return undefined;
}

export function principalIn(spec: PrincipalSpec, p: RequestPrincipal): Grant | undefined {
  if (spec.any) return "direct";
  let best: Grant | undefined;
  const take = (g: Grant) => {
    if (!best || GRANT_RANK[g] > GRANT_RANK[best]) best = g;
  };
  for (const id of spec.aws) {
    if (id === p.accountId || id === `arn:aws:iam::${p.accountId}:root`) {
      if (p.kind === "user" || p.kind === "role" || p.kind === "root") take("account");
    } else if (id === p.arn && (p.kind === "user" || p.kind === "role")) take("direct");
    else if (p.roleArn && id === p.roleArn) take("role");
  }
  if (p.service && spec.service.includes(p.service)) take("direct");
  if (p.federatedProvider && spec.federated.includes(p.federatedProvider)) take("direct");
  return best;
}
