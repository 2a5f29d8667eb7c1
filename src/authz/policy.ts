/**
 * Policy documents compiled for evaluation: statements with their actions, resources, principals
 * and conditions parsed once (wildcards compiled, keys lower-cased), cached by document text so
 * that a policy attached to many principals is compiled once. Documents reach this module already
 * validated (validate.ts) or written by AWS (the managed policies); whatever is not understood in
 * a statement makes that statement match nothing rather than everything.
 *
 * Grammar: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
 */
import { compileGlob, type Glob } from "../core/glob.ts";
import { type ConditionClause, parseCondition } from "./conditions.ts";
import { hasVariables } from "./variables.ts";

export type Effect = "Allow" | "Deny";

/** A Principal / NotPrincipal element: `"*"` or the identifiers per kind. */
export interface PrincipalSpec {
  readonly any: boolean;
  readonly aws: readonly string[];
  readonly service: readonly string[];
  readonly federated: readonly string[];
  readonly canonicalUser: readonly string[];
}

/** A Resource/NotResource entry: compiled once, or a template with policy variables. */
export interface ResourcePattern {
  readonly source: string;
  readonly glob: Glob | undefined;
}

export interface Statement {
  /** 0-based position in the Statement list. */
  readonly index: number;
  readonly sid: string | undefined;
  readonly effect: Effect;
  readonly actions: readonly Glob[] | undefined;
  readonly notActions: readonly Glob[] | undefined;
  readonly resources: readonly ResourcePattern[] | undefined;
  readonly notResources: readonly ResourcePattern[] | undefined;
  readonly principal: PrincipalSpec | undefined;
  readonly notPrincipal: PrincipalSpec | undefined;
  readonly conditions: readonly ConditionClause[];
  /** False when the statement could not be understood: it then matches nothing. */
  readonly usable: boolean;
}

export interface Policy {
  readonly version: string;
  /** Policy variables are substituted only under 2012-10-17. */
  readonly variables: boolean;
  readonly statements: readonly Statement[];
}

const CACHE_LIMIT = 2000;
const cache = new Map<string, Policy>();

/** The compiled form of a policy document (cached by its text). */
export function compilePolicy(text: string): Policy {
  const hit = cache.get(text);
  if (hit) return hit;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    doc = undefined;
  }
  const policy = compileDocument(doc);
  if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  cache.set(text, policy);
  return policy;
}

export function compileDocument(doc: unknown): Policy {
  const obj = isObject(doc) ? doc : {};
  const version = typeof obj["Version"] === "string" ? obj["Version"] : "2008-10-17";
  const variables = version === "2012-10-17";
  const raw = obj["Statement"];
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  return { version, variables, statements: list.map((s, i) => compileStatement(s, i, variables)) };
}

function compileStatement(raw: unknown, index: number, variables: boolean): Statement {
  const s = isObject(raw) ? raw : {};
  let usable = isObject(raw);
  const effect = s["Effect"] === "Deny" ? "Deny" : "Allow";
  if (s["Effect"] !== "Allow" && s["Effect"] !== "Deny") usable = false;
  const strings = (v: unknown): string[] | undefined => {
    if (v === undefined) return undefined;
    const arr = Array.isArray(v) ? v : [v];
    if (!arr.every((x) => typeof x === "string")) {
      usable = false;
      return [];
    }
    return arr as string[];
  };
  const actionGlob = (a: string) => compileGlob(a, { question: true, caseInsensitive: true });
  const resource = (r: string): ResourcePattern =>
    variables && hasVariables(r) ? { source: r, glob: undefined } : { source: r, glob: compileGlob(r, { question: true }) };
  const conditions: ConditionClause[] = [];
  const cond = s["Condition"];
  if (cond !== undefined) {
    if (!isObject(cond)) usable = false;
    else {
      for (const [op, block] of Object.entries(cond)) {
        if (!isObject(block)) {
          usable = false;
          continue;
        }
        for (const [key, value] of Object.entries(block)) {
          const c = parseCondition(op, key, value);
          if (c) conditions.push(c);
          else usable = false;
        }
      }
    }
  }
  const principal = (v: unknown): PrincipalSpec | undefined => {
    if (v === undefined) return undefined;
    const p = parsePrincipal(v);
    if (!p) usable = false;
    return p ?? { any: false, aws: [], service: [], federated: [], canonicalUser: [] };
  };
  const actions = strings(s["Action"]);
  const notActions = strings(s["NotAction"]);
  const resources = strings(s["Resource"]);
  const notResources = strings(s["NotResource"]);
  if (actions === undefined && notActions === undefined) usable = false;
  return {
    index,
    sid: typeof s["Sid"] === "string" ? s["Sid"] : undefined,
    effect,
    actions: actions?.map(actionGlob),
    notActions: notActions?.map(actionGlob),
    resources: resources?.map(resource),
    notResources: notResources?.map(resource),
    principal: principal(s["Principal"]),
    notPrincipal: principal(s["NotPrincipal"]),
    conditions,
    usable,
  };
}

export function parsePrincipal(v: unknown): PrincipalSpec | undefined {
  if (v === "*") return { any: true, aws: [], service: [], federated: [], canonicalUser: [] };
  if (!isObject(v)) return undefined;
  const out = { any: false, aws: [] as string[], service: [] as string[], federated: [] as string[], canonicalUser: [] as string[] };
  for (const [kind, value] of Object.entries(v)) {
    const arr = Array.isArray(value) ? value : [value];
    if (!arr.every((x) => typeof x === "string")) return undefined;
    const ids = arr as string[];
    if (kind === "AWS") {
      if (ids.includes("*")) out.any = true;
      out.aws.push(...ids.filter((x) => x !== "*"));
    } else if (kind === "Service") out.service.push(...ids);
    else if (kind === "Federated") out.federated.push(...ids);
    else if (kind === "CanonicalUser") out.canonicalUser.push(...ids);
    else return undefined;
  }
  return out;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
