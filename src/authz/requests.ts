/**
 * An API call as IAM sees it: the action, the ARNs of the resources it touches, the resource
 * policies that apply and the service's condition keys. Which resource types an action touches
 * (and which condition keys it has) comes from the Service Authorization Reference (actions.ts);
 * this module only says how a resource type's ARN template is filled from a request: an ARN the
 * request names that fits the template is taken as is, otherwise the template's variables are
 * read from the request's fields (per service, below), and a variable with no value becomes `*`.
 */
import { arn as buildArn, parseArn, type Scope, shortName } from "../core/arn.ts";
import { compileGlob } from "../core/glob.ts";
import { actionInfo, fillTemplate, type ResourceTypeRef } from "./actions.ts";
import type { ContextValue } from "./context.ts";

/** What the authorizer needs to know of a resource beyond its ARN (resource policies, tags). */
export interface ResourceLookup {
  ecrRepository(scope: Scope, name: string): { policy?: string | undefined; tags: Record<string, string> } | undefined;
  secret(scope: Scope, id: string): { arn: string; policy?: string | undefined; tags: Record<string, string>; kmsKeyId?: string | undefined } | undefined;
  kmsKey(scope: Scope, id: string): { arn: string; policy: string; tags: Record<string, string> } | undefined;
  /** IAM entity ARNs (with their paths) by kind and name. */
  iamArn(scope: Scope, kind: "role" | "user" | "group" | "policy" | "instance-profile", name: string): string | undefined;
  /** Tags of an ARN in the shared tags table (aws:ResourceTag). */
  tags(arn: string): Record<string, string>;
}

export interface AuthzTarget {
  /** The resource ARN, or "*" for actions without a resource type. */
  readonly resource: string;
  /** As denial messages print it, when not the ARN (Secrets Manager echoes the SecretId given). */
  readonly shown?: string;
  readonly resourcePolicy?: { readonly text: string; readonly kind: "resource" | "kms" } | undefined;
  readonly tags?: Record<string, string> | undefined;
}

export interface AuthzCheck {
  /** "service:Action" with the reference's casing. */
  readonly action: string;
  /** The denial's text when the service words it itself (Secrets Manager's KMS refusal). */
  readonly message?: string;
  readonly targets: readonly AuthzTarget[];
  /** Service condition keys of this request (aws:* keys are added by the authorizer). */
  readonly context: ReadonlyMap<string, ContextValue>;
}

// biome-ignore lint: request inputs are the SDK's shapes; this module reads them generically.
type Input = Record<string, any>;

/** IAM's service prefix where it is not the SigV4 signing name. */
const IAM_PREFIX: Readonly<Record<string, string>> = { monitoring: "cloudwatch" };

/** The checks one API call needs: its own action, plus iam:PassRole for each role it passes. */
export function describeCall(signingName: string, operation: string, input: Input, scope: Scope, lookup: ResourceLookup): AuthzCheck[] {
  const service = IAM_PREFIX[signingName] ?? signingName;
  // KMS's ReEncrypt is two IAM actions; the destination key's (ReEncryptTo) is checked here. The
  // source key is named only inside the ciphertext, so ReEncryptFrom is not checked.
  if (service === "kms" && operation === "ReEncrypt") return describeCall("kms", "ReEncryptTo", { KeyId: input.DestinationKeyId }, scope, lookup);
  const info = actionInfo(service, operation);
  const action = info?.iamName ?? `${service}:${operation}`;
  const context = new Map<string, ContextValue>();
  const targets: AuthzTarget[] = [];
  const required = info?.resourceTypes.filter((t) => t.required) ?? [];
  for (const type of required) targets.push(...resolveType(service, type, input, scope, lookup, context));
  if (targets.length === 0) targets.push({ resource: "*" });
  serviceKeys(service, operation, input, scope, context, info?.conditionKeys ?? []);
  requestTags(input, context);
  const checks: AuthzCheck[] = [{ action, targets, context }];
  const decrypt = secretDecryption(service, operation, input, scope, lookup);
  if (decrypt) checks.push(decrypt);
  for (const pass of passedRoles(service, operation, input)) {
    const roleArn = pass.role.startsWith("arn:") ? pass.role : (lookup.iamArn(scope, "role", pass.role) ?? buildArn("iam", { accountId: scope.accountId, region: "" }, `role/${pass.role}`, { global: true }));
    checks.push({ action: "iam:PassRole", targets: [{ resource: roleArn }], context: new Map([["iam:passedtoservice", pass.to]]) });
  }
  return checks;
}

/**
 * Reading a secret's value makes Secrets Manager decrypt it with the secret's KMS key on the
 * caller's behalf: the caller needs kms:Decrypt on that key through Secrets Manager
 * (kms:ViaService), and the key policy must allow it. Secrets Manager words the refusal itself.
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html
 */
function secretDecryption(service: string, operation: string, input: Input, scope: Scope, lookup: ResourceLookup): AuthzCheck | undefined {
  if (service !== "secretsmanager" || operation !== "GetSecretValue" || typeof input.SecretId !== "string") return undefined;
  const secret = lookup.secret(scope, input.SecretId);
  if (!secret) return undefined;
  const key = lookup.kmsKey(scope, secret.kmsKeyId ?? "alias/aws/secretsmanager");
  if (!key) return undefined;
  return {
    action: "kms:Decrypt",
    message: "Access to KMS is not allowed",
    targets: [{ resource: key.arn, resourcePolicy: { text: key.policy, kind: "kms" }, tags: key.tags }],
    context: new Map<string, ContextValue>([
      ["kms:viaservice", `secretsmanager.${scope.region}.amazonaws.com`],
      ["kms:calleraccount", scope.accountId],
    ]),
  };
}

/** Roles a call hands to a service (iam:PassRole): https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html */
function passedRoles(service: string, operation: string, input: Input): { role: string; to: string }[] {
  if (service !== "ecs") return [];
  const out: { role: string; to: string }[] = [];
  const add = (v: unknown, to: string) => {
    if (typeof v === "string" && v !== "") out.push({ role: v, to });
  };
  if (operation === "RegisterTaskDefinition") {
    add(input.taskRoleArn, "ecs-tasks.amazonaws.com");
    add(input.executionRoleArn, "ecs-tasks.amazonaws.com");
  }
  if (operation === "RunTask" || operation === "StartTask") {
    add(input.overrides?.taskRoleArn, "ecs-tasks.amazonaws.com");
    add(input.overrides?.executionRoleArn, "ecs-tasks.amazonaws.com");
  }
  if (operation === "CreateService") add(input.role, "ecs.amazonaws.com");
  return out;
}

const templateGlobs = new Map<string, ReturnType<typeof compileGlob>>();

function resolveType(service: string, type: ResourceTypeRef, input: Input, scope: Scope, lookup: ResourceLookup, context: Map<string, ContextValue>): AuthzTarget[] {
  // An ARN in the request that fits the template is the resource.
  let glob = templateGlobs.get(type.arn);
  if (!glob) {
    glob = compileGlob(type.arn.replace(/\$\{[^}]+\}/g, "*"));
    templateGlobs.set(type.arn, glob);
  }
  const named = namedArns(input).filter((a) => glob.matches(a) && parseArn(a)?.service === service);
  const vars = (name: string) => variable(service, type.name, name, input, scope);
  const arns = named.length > 0 ? named : fillTemplate(type.arn, (v) => (v === "Partition" ? "aws" : v === "Region" ? scope.region : v === "Account" ? scope.accountId : vars(v)));
  return arns.map((a) => withResourceFacts(service, type.name, a, input, scope, lookup, context));
}

/** Top-level string (or string list) fields of the request that are ARNs. */
function namedArns(input: Input): string[] {
  const out: string[] = [];
  for (const v of Object.values(input)) {
    if (typeof v === "string" && v.startsWith("arn:")) out.push(v);
    else if (Array.isArray(v)) for (const x of v) if (typeof x === "string" && x.startsWith("arn:")) out.push(x);
  }
  return out;
}

const names = (v: unknown): string | string[] | undefined =>
  typeof v === "string" ? shortName(v) : Array.isArray(v) ? v.filter((x): x is string => typeof x === "string").map(shortName) : undefined;

/** A template variable's value from the request, per service. */
function variable(service: string, typeName: string, name: string, input: Input, _scope: Scope): string | string[] | undefined {
  switch (service) {
    case "ecs":
      return ecsVariable(name, input);
    case "ecr":
      return name === "RepositoryName" ? input.repositoryName : undefined;
    case "secretsmanager":
      return name === "SecretId" ? (input.SecretId ?? input.Name) : undefined;
    case "ssm":
      if (name !== "ParameterNameWithoutLeadingSlash") return undefined;
      return strip(input.Name ?? input.Names ?? input.Path);
    case "kms":
      if (name === "Alias") return typeof input.AliasName === "string" ? input.AliasName.replace(/^alias\//, "") : undefined;
      return name === "KeyId" ? input.KeyId : undefined;
    case "logs":
      if (name === "LogGroupName") return input.logGroupName ?? input.logGroupIdentifier;
      if (name === "LogStreamName") return input.logStreamName;
      return undefined;
    case "iam":
      return iamVariable(name, typeName, input);
    case "sts":
      return name === "RoleNameWithPath" && typeof input.RoleArn === "string" ? parseArn(input.RoleArn)?.resource.replace(/^role\//, "") : undefined;
    default:
      return generic(name, input);
  }
}

function strip(v: unknown): string | string[] | undefined {
  const one = (s: string) => s.replace(/^\//, "");
  if (typeof v === "string") return one(v);
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === "string").map(one);
  return undefined;
}

function ecsVariable(name: string, input: Input): string | string[] | undefined {
  switch (name) {
    case "ClusterName":
      return names(input.cluster ?? input.clusterName ?? input.clusters) ?? "default";
    case "ServiceName":
      return names(input.service ?? input.serviceName ?? input.services);
    case "TaskId":
      return names(input.task ?? input.tasks);
    case "ContainerInstanceId":
      return names(input.containerInstance ?? input.containerInstances);
    case "CapacityProviderName":
      return names(input.capacityProvider ?? input.name);
    case "TaskDefinitionFamilyName": {
      const td = typeof input.taskDefinition === "string" ? shortName(input.taskDefinition) : input.family;
      return typeof td === "string" ? td.split(":")[0] : undefined;
    }
    case "TaskDefinitionRevisionNumber": {
      const td = typeof input.taskDefinition === "string" ? shortName(input.taskDefinition) : undefined;
      return td?.includes(":") ? td.split(":")[1] : undefined;
    }
    default:
      return undefined;
  }
}

function iamVariable(name: string, typeName: string, input: Input): string | undefined {
  const withPath = (n: unknown, path: unknown) => (typeof n === "string" ? `${typeof path === "string" ? path.replace(/^\//, "") : ""}${n}` : undefined);
  switch (name) {
    case "RoleNameWithPath":
      return withPath(input.RoleName, input.Path);
    case "RoleName":
      return input.RoleName;
    case "UserNameWithPath":
      return withPath(input.UserName, input.Path);
    case "UserName":
      return input.UserName;
    case "GroupNameWithPath":
      return withPath(input.GroupName, input.Path);
    case "PolicyNameWithPath":
      return typeof input.PolicyArn === "string" ? parseArn(input.PolicyArn)?.resource.replace(/^policy\//, "") : withPath(input.PolicyName, input.Path);
    case "InstanceProfileNameWithPath":
      return withPath(input.InstanceProfileName, input.Path);
    case "OidcProviderName":
      if (typeof input.OpenIDConnectProviderArn === "string") return parseArn(input.OpenIDConnectProviderArn)?.resource.replace(/^oidc-provider\//, "");
      return typeof input.Url === "string" ? input.Url.replace(/^https:\/\//, "") : undefined;
    default:
      return typeName === "user" && name === "UserNameWithPath" ? input.UserName : undefined;
  }
}

/** Other services: a field named as the variable (VpcId, SubnetId, LoadBalancerName…). */
function generic(name: string, input: Input): string | string[] | undefined {
  for (const key of [name, name[0]!.toLowerCase() + name.slice(1), `${name}s`]) {
    const v = input[key];
    if (typeof v === "string") return v;
    if (Array.isArray(v) && v.every((x) => typeof x === "string")) return v as string[];
  }
  return undefined;
}

/** The resource's policy and tags, and what messages print for it. */
function withResourceFacts(service: string, typeName: string, resource: string, input: Input, scope: Scope, lookup: ResourceLookup, context: Map<string, ContextValue>): AuthzTarget {
  if (service === "ecr" && typeName === "repository") {
    const repo = lookup.ecrRepository(scope, resource.slice(resource.indexOf(":repository/") + ":repository/".length));
    return { resource, resourcePolicy: repo?.policy ? { text: repo.policy, kind: "resource" } : undefined, tags: repo?.tags };
  }
  if (service === "secretsmanager" && typeName === "Secret") {
    const id = input.SecretId as string | undefined;
    const secret = id ? lookup.secret(scope, id) : undefined;
    if (secret) context.set("secretsmanager:secretid", secret.arn);
    return {
      resource: secret?.arn ?? resource,
      ...(id ? { shown: id } : {}),
      resourcePolicy: secret?.policy ? { text: secret.policy, kind: "resource" } : undefined,
      tags: secret?.tags,
    };
  }
  if (service === "kms" && typeName === "key") {
    const id = input.KeyId as string | undefined;
    const key = id ? lookup.kmsKey(scope, id) : undefined;
    return { resource: key?.arn ?? resource, resourcePolicy: key ? { text: key.policy, kind: "kms" } : undefined, tags: key?.tags };
  }
  if (service === "iam") {
    const kind = typeName === "role" || typeName === "user" || typeName === "group" || typeName === "policy" || typeName === "instance-profile" ? typeName : undefined;
    const name = kind ? resource.split("/").at(-1) : undefined;
    const real = kind && name && !resource.includes("*") ? lookup.iamArn(scope, kind, name) : undefined;
    const at = real ?? resource;
    return { resource: at, tags: lookup.tags(at) };
  }
  return { resource, tags: resource.includes("*") ? undefined : lookup.tags(resource) };
}

/** The service's own condition keys, where the action declares them. */
function serviceKeys(service: string, operation: string, input: Input, scope: Scope, ctx: Map<string, ContextValue>, declared: readonly string[]): void {
  const has = (k: string) => declared.some((d) => d.toLowerCase() === k);
  if (service === "ecs") {
    const cluster = input.cluster ?? (operation === "CreateCluster" ? input.clusterName : undefined);
    const clusterArn = typeof cluster === "string" ? (cluster.startsWith("arn:") ? cluster : buildArn("ecs", scope, `cluster/${cluster}`)) : buildArn("ecs", scope, "cluster/default");
    ctx.set("ecs:cluster", clusterArn);
    if (typeof input.taskDefinition === "string") {
      const td = input.taskDefinition;
      ctx.set("ecs:task-definition", td.startsWith("arn:") ? td : buildArn("ecs", scope, `task-definition/${td}`));
    }
    if (has("ecs:enable-execute-command") && typeof input.enableExecuteCommand === "boolean") ctx.set("ecs:enable-execute-command", String(input.enableExecuteCommand));
    const subnets = input.networkConfiguration?.awsvpcConfiguration?.subnets;
    if (has("ecs:subnet") && Array.isArray(subnets)) ctx.set("ecs:subnet", subnets);
  }
  if (service === "secretsmanager") {
    if (typeof input.VersionStage === "string") ctx.set("secretsmanager:versionstage", input.VersionStage);
    if (typeof input.VersionId === "string") ctx.set("secretsmanager:versionid", input.VersionId);
    if (typeof input.Name === "string") ctx.set("secretsmanager:name", input.Name);
    if (typeof input.KmsKeyId === "string") ctx.set("secretsmanager:kmskeyid", input.KmsKeyId);
  }
  if (service === "kms") ctx.set("kms:calleraccount", scope.accountId);
  if (service === "iam" && typeof input.PolicyArn === "string") ctx.set("iam:policyarn", input.PolicyArn);
  if (service === "iam" && typeof input.PermissionsBoundary === "string") ctx.set("iam:permissionsboundary", input.PermissionsBoundary);
}

/** aws:RequestTag/<k> and aws:TagKeys from the request's tags (any of the SDKs' spellings). */
function requestTags(input: Input, ctx: Map<string, ContextValue>): void {
  const raw = input.Tags ?? input.tags;
  const pairs: [string, string][] = [];
  if (Array.isArray(raw)) {
    for (const t of raw) {
      const k = t?.Key ?? t?.key;
      const v = t?.Value ?? t?.value;
      if (typeof k === "string") pairs.push([k, typeof v === "string" ? v : ""]);
    }
  } else if (raw && typeof raw === "object") {
    for (const [k, v] of Object.entries(raw)) if (typeof v === "string") pairs.push([k, v]);
  }
  if (pairs.length === 0) return;
  for (const [k, v] of pairs) ctx.set(`aws:requesttag/${k.toLowerCase()}`, v);
  ctx.set("aws:tagkeys", pairs.map(([k]) => k));
}
