/**
 * IAM enforcement: the gateway's `authorize` seam. For each call it resolves who is asking
 * (the principal behind the access key), describes the call as IAM actions on resources
 * (requests.ts), evaluates every check (evaluate.ts) and throws the service's denial error with
 * AWS's text on the first one refused. The account's root is never refused except by an explicit
 * Deny in a resource policy.
 */
import type { AuthorizeCall } from "../aws/gateway.ts";
import type { Protocol } from "../aws/service.ts";
import type { ServiceError } from "../aws/service-error.ts";
import type { Scope } from "../core/arn.ts";
import type { Clock } from "../core/clock.ts";
import { type Context, type ContextValue, layered } from "./context.ts";
import { type Decision, evaluate, type PolicySource, type RequestPrincipal } from "./evaluate.ts";
import { denialError, denialMessage } from "./messages.ts";
import { compilePolicy } from "./policy.ts";
import { type AuthzCheck, type AuthzTarget, describeCall, type ResourceLookup } from "./requests.ts";

/** A principal with every policy that applies to it (built by IAM: src/services/iam/principals.ts). */
export interface AuthPrincipal {
  readonly principal: RequestPrincipal;
  readonly identity: readonly PolicySource[];
  readonly boundary?: PolicySource | undefined;
  readonly session?: readonly PolicySource[] | undefined;
  /** aws:Principal* keys, aws:userid, aws:username, aws:TokenIssueTime, aws:FederatedProvider… */
  readonly context: ReadonlyMap<string, ContextValue>;
}

export interface AuthorizerDeps {
  principals(accessKeyId: string | undefined, accountId: string): AuthPrincipal;
  readonly lookup: ResourceLookup;
  readonly clock: Clock;
}

/** Calls IAM policies do not govern here: identity, and the role assumptions STS evaluates itself (trust policies). */
const UNGOVERNED = new Set(["sts:GetCallerIdentity", "sts:AssumeRole", "sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML"]);

export interface Verdict {
  readonly decision: Decision;
  readonly check: AuthzCheck;
  readonly target: AuthzTarget;
}

export class Authorizer {
  readonly #deps: AuthorizerDeps;
  constructor(deps: AuthorizerDeps) {
    this.#deps = deps;
  }

  /** The gateway hook: throws the protocol's denial when a check fails. */
  authorizeCall = (call: AuthorizeCall): void => {
    const { ctx } = call;
    if (UNGOVERNED.has(`${ctx.service}:${ctx.operation}`)) return;
    const p = this.#deps.principals(ctx.accessKeyId, ctx.accountId);
    const scope = { accountId: ctx.accountId, region: ctx.region };
    const checks = describeCall(ctx.service, ctx.operation, (call.input ?? {}) as Record<string, unknown>, scope, this.#deps.lookup);
    const extra = new Map<string, ContextValue>([["aws:requestedregion", ctx.region]]);
    if (call.sourceIp) extra.set("aws:sourceip", call.sourceIp);
    const denied = this.firstDenial(p, checks, scope, extra);
    if (denied) throw this.error(call.protocol, p, denied);
  };

  /** Evaluates the checks in order; the first refused one, if any. */
  firstDenial(p: AuthPrincipal, checks: readonly AuthzCheck[], scope: Scope, extra?: ReadonlyMap<string, ContextValue>): Verdict | undefined {
    for (const check of checks) {
      for (const target of check.targets) {
        const decision = this.evaluate(p, check.action, target, check.context, scope, extra);
        if (decision.decision !== "allowed") return { decision, check, target };
      }
    }
    return undefined;
  }

  /** One action on one resource, for this principal. */
  evaluate(
    p: AuthPrincipal,
    action: string,
    target: AuthzTarget,
    requestContext: ReadonlyMap<string, ContextValue>,
    scope: Scope,
    extra?: ReadonlyMap<string, ContextValue>,
    missing?: Set<string>,
  ): Decision {
    const context = this.context(p, action, target, requestContext, scope, extra);
    const rp = target.resourcePolicy;
    return evaluate({
      action,
      resource: target.resource,
      principal: p.principal,
      context,
      identity: p.identity,
      resourcePolicy: rp ? { policy: compilePolicy(rp.text), type: "resource-based policy", id: "ResourcePolicy", simType: "resource", text: rp.text } : undefined,
      resourceMustAllow: rp?.kind === "kms",
      boundary: p.boundary,
      session: p.session,
      ...(missing ? { missing } : {}),
    });
  }

  /** The request context: the principal's keys, the request's, the resource's tags, the time. */
  context(
    p: AuthPrincipal,
    action: string,
    target: AuthzTarget,
    requestContext: ReadonlyMap<string, ContextValue>,
    scope: Scope,
    extra?: ReadonlyMap<string, ContextValue>,
  ): Context {
    const now = this.#deps.clock.now();
    const m = new Map<string, ContextValue>(requestContext);
    if (extra) for (const [k, v] of extra) m.set(k, v);
    m.set("aws:currenttime", new Date(now).toISOString());
    m.set("aws:epochtime", String(Math.floor(now / 1000)));
    m.set("aws:securetransport", "false");
    m.set("aws:viaawsservice", "false");
    m.set("aws:resourceaccount", scope.accountId);
    if (!m.has("aws:requestedregion")) m.set("aws:requestedregion", scope.region);
    if (target.tags) {
      const service = action.slice(0, action.indexOf(":"));
      for (const [k, v] of Object.entries(target.tags)) {
        m.set(`aws:resourcetag/${k.toLowerCase()}`, v);
        m.set(`${service}:resourcetag/${k.toLowerCase()}`, v);
      }
    }
    return layered(m, p.context);
  }

  /** The denial text of an API call made by `p` (the ECS agent's calls as the execution role), or undefined. */
  denialFor(p: AuthPrincipal, service: string, operation: string, input: Record<string, unknown>, scope: Scope): string | undefined {
    const checks = describeCall(service, operation, input, scope, this.#deps.lookup);
    const v = this.firstDenial(p, checks, scope);
    if (!v) return undefined;
    return v.check.message ?? denialMessage(p.principal.arn, v.check.action, v.target.shown ?? v.target.resource, v.decision);
  }

  /**
   * The registry's check (docker push/pull): `action` on the repository for the key its token was
   * issued to; the denial text, or undefined. With a repository policy that grants nothing, the
   * text names the resource-based policy, as ECR's does.
   */
  registryDenial(accessKeyId: string | undefined, scope: Scope, action: string, repository: string): string | undefined {
    const p = this.#deps.principals(accessKeyId, scope.accountId);
    const resource = `arn:aws:ecr:${scope.region}:${scope.accountId}:repository/${repository}`;
    const repo = this.#deps.lookup.ecrRepository(scope, repository);
    const target: AuthzTarget = { resource, resourcePolicy: repo?.policy ? { text: repo.policy, kind: "resource" } : undefined, tags: repo?.tags };
    const d = this.evaluate(p, action, target, new Map(), scope);
    if (d.decision === "allowed") return undefined;
    const decision = d.decision === "implicitDeny" && target.resourcePolicy ? { ...d, type: "resource-based policy" as const } : d;
    return denialMessage(p.principal.arn, action, resource, decision);
  }

  error(protocol: Protocol, p: AuthPrincipal, v: Verdict): ServiceError {
    const ec2 = protocol === "ec2Query";
    const shown = v.target.shown ?? v.target.resource;
    // EC2 leaves the resource out for actions without one (the Describe calls).
    const resource = ec2 && shown === "*" ? undefined : shown;
    const message = v.check.message ?? denialMessage(p.principal.arn, v.check.action, resource, v.decision);
    const encoded = ec2 && resource !== undefined ? encodeAuthorizationMessage(p, v) : undefined;
    return denialError(protocol, message, encoded);
  }
}

/**
 * EC2's "Encoded authorization failure message": here the decision's facts as base64url JSON
 * (STS DecodeAuthorizationMessage gives the JSON back), with AWS's decoded layout.
 * https://docs.aws.amazon.com/STS/latest/APIReference/API_DecodeAuthorizationMessage.html
 */
export function encodeAuthorizationMessage(p: AuthPrincipal, v: Verdict): string {
  const doc = {
    allowed: false,
    explicitDeny: v.decision.decision === "explicitDeny",
    matchedStatements: { items: v.decision.matched.map((m) => ({ statementId: m.statement.sid ?? "", effect: m.statement.effect })) },
    failures: { items: [] },
    context: {
      principal: { id: String(p.context.get("aws:userid") ?? ""), arn: p.principal.arn },
      action: v.check.action,
      resource: v.target.resource,
      conditions: { items: [] },
    },
  };
  return `slipway1.${Buffer.from(JSON.stringify(doc)).toString("base64url")}`;
}

/** The JSON of a message made by encodeAuthorizationMessage, or undefined. */
export function decodeAuthorizationMessage(encoded: string): string | undefined {
  if (!encoded.startsWith("slipway1.")) return undefined;
  try {
    const json = Buffer.from(encoded.slice("slipway1.".length), "base64url").toString("utf8");
    JSON.parse(json);
    return json;
  } catch {
    return undefined;
  }
}
