/**
 * The policy simulator (SimulatePrincipalPolicy, SimulateCustomPolicy and the context-key
 * companions) on the same evaluator that enforces requests (src/authz/evaluate.ts): each action on
 * each resource gets its decision, the statements that decided it (with their positions in the
 * policy text as stored), the condition keys the request lacked, and per-policy-type details.
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulatePrincipalPolicy.html
 */
import type {
  ContextEntry,
  EvaluationResult,
  SimulateCustomPolicyRequest,
  SimulatePolicyResponse,
  SimulatePrincipalPolicyRequest,
  Statement as SimStatement,
} from "@aws-sdk/client-iam";
import type { AuthPrincipal } from "../../authz/authorizer.ts";
import { type ContextValue, contextOf, layered } from "../../authz/context.ts";
import { type Decision, evaluate, type PolicySource, type RequestPrincipal } from "../../authz/evaluate.ts";
import { compilePolicy } from "../../authz/policy.ts";
import { PolicyInvalid, validatePolicy } from "../../authz/validate.ts";
import { parseArn, type Scope } from "../../core/arn.ts";
import { invalidInput, malformedPolicy, noSuchEntity } from "./errors.ts";
import type { Iam } from "./iam.ts";
import { page } from "./util.ts";

export class Simulator {
  readonly #iam: Iam;
  constructor(iam: Iam) {
    this.#iam = iam;
  }

  principalPolicy(scope: Scope, input: SimulatePrincipalPolicyRequest): SimulatePolicyResponse {
    const source = this.#source(scope, input.PolicySourceArn!);
    const extra = inputPolicies(input.PolicyInputList, "PolicyInputList", "IAM Policy");
    const boundaries = inputPolicies(input.PermissionsBoundaryPolicyInputList, "PermissionsBoundaryPolicyInputList", "IAM Policy").map((p) => ({ ...p, type: "permissions boundary" as const }));
    const callerArn = input.CallerArn ?? (source.principal.kind === "user" ? source.principal.arn : undefined);
    if (input.ResourcePolicy !== undefined && !callerArn) throw invalidInput("CallerArn must be provided when ResourcePolicy is specified and PolicySourceArn is not an IAM user.");
    return this.#run(scope, {
      principal: callerArn ? { ...source.principal, arn: callerArn } : source.principal,
      identity: [...source.identity, ...extra],
      boundary: boundaries[0] ?? source.boundary,
      context: source.context,
      input,
    });
  }

  customPolicy(scope: Scope, input: SimulateCustomPolicyRequest): SimulatePolicyResponse {
    const identity = inputPolicies(input.PolicyInputList, "PolicyInputList", "IAM Policy");
    const boundaries = inputPolicies(input.PermissionsBoundaryPolicyInputList, "PermissionsBoundaryPolicyInputList", "IAM Policy").map((p) => ({ ...p, type: "permissions boundary" as const }));
    const arn = input.CallerArn ?? `arn:aws:iam::${scope.accountId}:user/SimulatedUser`;
    return this.#run(scope, {
      principal: { kind: "user", arn, accountId: scope.accountId },
      identity,
      boundary: boundaries[0],
      context: new Map(),
      input,
    });
  }

  /** The condition keys the principal's policies (and the extra ones) read. */
  contextKeysForPrincipal(scope: Scope, arn: string, extra: readonly string[] | undefined): string[] {
    const source = this.#source(scope, arn);
    return contextKeys([...source.identity.map((p) => p.text ?? ""), ...(extra ?? [])]);
  }

  contextKeysForCustom(documents: readonly string[]): string[] {
    return contextKeys(documents);
  }

  #source(scope: Scope, arn: string): AuthPrincipal {
    const p = parseArn(arn);
    const kind = p?.resource.split("/")[0];
    const name = p?.resource.split("/").at(-1) ?? "";
    const principals = this.#iam.principals;
    if (p?.service === "iam" && kind === "user") {
      const u = principals.user(scope.accountId, name);
      if (!u) throw noSuchEntity(`The user with name ${name} cannot be found.`);
      return u;
    }
    if (p?.service === "iam" && kind === "role") {
      const role = this.#iam.roles.require(scope, name);
      return principals.role(scope.accountId, role.RoleName!, role.Arn!, role.RoleId!);
    }
    if (p?.service === "iam" && kind === "group") {
      const g = this.#iam.users.requireGroup(scope, name);
      return {
        principal: { kind: "user", arn: g.Arn!, accountId: scope.accountId },
        identity: principals.policiesOf(scope.accountId, "group", g.GroupName!),
        context: new Map(),
      };
    }
    throw invalidInput(`Invalid ARN: ${arn}.`);
  }

  #run(
    _scope: Scope,
    o: {
      principal: RequestPrincipal;
      identity: PolicySource[];
      boundary: PolicySource | undefined;
      context: ReadonlyMap<string, ContextValue>;
      input: SimulatePrincipalPolicyRequest | SimulateCustomPolicyRequest;
    },
  ): SimulatePolicyResponse {
    const { input } = o;
    const actions = input.ActionNames ?? [];
    const resources = input.ResourceArns && input.ResourceArns.length > 0 ? input.ResourceArns : ["*"];
    const given = contextOf((input.ContextEntries ?? []).map((e) => [e.ContextKeyName ?? "", contextValue(e)] as const));
    const now = this.#iam.deps.clock.now();
    const defaults = contextOf([
      ["aws:currenttime", new Date(now).toISOString()],
      ["aws:epochtime", String(Math.floor(now / 1000))],
    ]);
    const context = layered(given, layered(defaults, o.context));
    const resourcePolicy: PolicySource | undefined =
      input.ResourcePolicy !== undefined ? { policy: compilePolicy(input.ResourcePolicy), type: "resource-based policy", id: "ResourcePolicy", simType: "resource", text: input.ResourcePolicy } : undefined;
    if (input.ResourcePolicy !== undefined) checkDocument(input.ResourcePolicy, "resource");
    const results: EvaluationResult[] = [];
    for (const action of actions) {
      for (const resource of resources) {
        const missing = new Set<string>();
        const d = evaluate({
          action,
          resource,
          principal: o.principal,
          context,
          identity: o.identity,
          resourcePolicy,
          boundary: o.boundary,
          missing,
        });
        results.push(result(action, resource, d, missing, o.boundary !== undefined, resourcePolicy !== undefined));
      }
    }
    const p = page(results, input.MaxItems, input.Marker);
    return { EvaluationResults: p.items, IsTruncated: p.IsTruncated, ...(p.Marker ? { Marker: p.Marker } : {}) };
  }
}

function result(action: string, resource: string, d: Decision, missing: Set<string>, boundary: boolean, resourcePolicy: boolean): EvaluationResult {
  const decision = d.decision === "allowed" ? "allowed" : d.decision === "explicitDeny" ? "explicitDeny" : "implicitDeny";
  const matched = d.decision === "implicitDeny" ? [] : d.matched.map((m) => matchedStatement(m.source, m.statement.index));
  const details: Record<string, "allowed" | "explicitDeny" | "implicitDeny"> = {};
  if (resourcePolicy) {
    for (const [type, v] of Object.entries(d.details)) details[type === "identity-based policy" ? "IAM Policy" : type === "resource-based policy" ? "ResourcePolicy" : type] = v;
  }
  return {
    EvalActionName: action,
    EvalResourceName: resource,
    EvalDecision: decision,
    MatchedStatements: matched,
    MissingContextValues: [...missing],
    ...(Object.keys(details).length > 0 ? { EvalDecisionDetails: details } : {}),
    ...(boundary ? { PermissionsBoundaryDecisionDetail: { AllowedByPermissionsBoundary: d.details["permissions boundary"] === "allowed" } } : {}),
    ResourceSpecificResults: [],
  };
}

function matchedStatement(source: PolicySource, index: number): SimStatement {
  const span = statementSpans(source.text ?? "")[index];
  return {
    SourcePolicyId: source.id,
    SourcePolicyType: (source.simType ?? "none") as SimStatement["SourcePolicyType"],
    ...(span ? { StartPosition: span.start, EndPosition: span.end } : {}),
  };
}

function inputPolicies(list: readonly string[] | undefined, name: string, simType: string): PolicySource[] {
  return (list ?? []).map((text, i) => {
    checkDocument(text, "identity");
    return { policy: compilePolicy(text), type: "identity-based policy" as const, id: `${name}.${i + 1}`, simType, text };
  });
}

function checkDocument(text: string, kind: "identity" | "resource"): void {
  try {
    validatePolicy(text, kind);
  } catch (err) {
    if (err instanceof PolicyInvalid) throw malformedPolicy(err.message);
    throw err;
  }
}

function contextValue(e: ContextEntry): ContextValue | undefined {
  const values = e.ContextKeyValues ?? [];
  if ((e.ContextKeyType ?? "").endsWith("List")) return values;
  return values[0];
}

/** Condition keys named in the documents, in first-seen order (the context-key APIs). */
function contextKeys(documents: readonly string[]): string[] {
  const seen = new Map<string, string>();
  for (const text of documents) {
    for (const st of compilePolicy(text).statements) for (const c of st.conditions) if (!seen.has(c.key)) seen.set(c.key, c.keyName);
  }
  return [...seen.values()];
}

interface Position {
  Line: number;
  Column: number;
}

/**
 * Where each element of the top-level Statement (an array, or one object) starts and ends in the
 * text, 1-based, as the simulator reports it. A small scanner over the JSON (strings, nesting).
 */
export function statementSpans(text: string): { start: Position; end: Position }[] {
  const pos = (i: number): Position => {
    let line = 1;
    let col = 1;
    for (let k = 0; k < i; k++) {
      if (text[k] === "\n") {
        line++;
        col = 1;
      } else col++;
    }
    return { Line: line, Column: col };
  };
  // Find the "Statement" key at depth 1.
  let depth = 0;
  let i = 0;
  let valueAt = -1;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '"') {
      const end = stringEnd(text, i);
      if (depth === 1 && text.slice(i + 1, end) === "Statement") {
        let j = end + 1;
        while (j < text.length && /\s|:/.test(text[j]!)) j++;
        valueAt = j;
        break;
      }
      i = end + 1;
      continue;
    }
    if (ch === "{" || ch === "[") depth++;
    else if (ch === "}" || ch === "]") depth--;
    i++;
  }
  if (valueAt < 0) return [];
  if (text[valueAt] === "{") return [{ start: pos(valueAt), end: pos(valueEnd(text, valueAt) + 1) }];
  const spans: { start: Position; end: Position }[] = [];
  i = valueAt + 1;
  while (i < text.length && text[i] !== "]") {
    if (text[i] === "{") {
      const end = valueEnd(text, i);
      spans.push({ start: pos(i), end: pos(end + 1) });
      i = end + 1;
    } else i++;
  }
  return spans;
}

function stringEnd(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length && text[i] !== '"') i += text[i] === "\\" ? 2 : 1;
  return i;
}

/** Index of the bracket closing the object/array that opens at `start`. */
function valueEnd(text: string, start: number): number {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '"') i = stringEnd(text, i);
    else if (ch === "{" || ch === "[") depth++;
    else if (ch === "}" || ch === "]") {
      depth--;
      if (depth === 0) return i;
    }
  }
  return text.length - 1;
}
