/**
 * STS over the IAM domain: who is calling (GetCallerIdentity), temporary credentials (AssumeRole,
 * AssumeRoleWithWebIdentity, GetSessionToken) recorded so that strict SigV4 accepts them until
 * they expire, each session knowing what it acts as (its role, session policies and tags).
 *
 * AssumeRole evaluates the role's trust policy with IAM enforcement on (the account's root and the
 * open mode stay unrestricted); AssumeRoleWithWebIdentity always does, after verifying the token:
 * its issuer is an OIDC provider of the role's account, its signature checks against the issuer's
 * keys, its audience is one of the provider's client ids, and it has not expired.
 * https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
 * https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html
 */
import type {
  AssumeRoleRequest,
  AssumeRoleResponse,
  AssumeRoleWithWebIdentityRequest,
  AssumeRoleWithWebIdentityResponse,
  GetSessionTokenResponse,
} from "@aws-sdk/client-sts";
import type { Role as IamRole } from "@aws-sdk/client-iam";
import { compactVerify, createRemoteJWKSet, decodeJwt, decodeProtectedHeader, type JWTPayload } from "jose";
import type { AuthPrincipal } from "../../authz/authorizer.ts";
import { type ContextValue, layered } from "../../authz/context.ts";
import { evaluate } from "../../authz/evaluate.ts";
import { compilePolicy } from "../../authz/policy.ts";
import { PolicyInvalid, validatePolicy } from "../../authz/validate.ts";
import { ServiceError } from "../../aws/service-error.ts";
import { parseArn, type Scope } from "../../core/arn.ts";
import type { CallerIdentity, Iam } from "../iam/iam.ts";
import type { SessionDoc } from "../iam/repo.ts";
import type { OidcIssuer } from "../../oidc/issuer.ts";

const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;
const PACKED_POLICY_MAX = 2048;

const validation = (message: string) => new ServiceError("ValidationError", message, { status: 400 });
const accessDenied = (message: string) => new ServiceError("AccessDenied", message, { status: 403 });
const invalidToken = (message: string) => new ServiceError("InvalidIdentityTokenException", message);

export interface StsDeps {
  readonly iam: Iam;
  /** IAM enforcement: AssumeRole evaluates trust policies and the caller's permissions. */
  readonly enforce: boolean;
  /** Slipway's own OIDC issuer: tokens it signed verify against its key set, with no fetch. */
  readonly issuer?: OidcIssuer | undefined;
}

export class Sts {
  readonly #iam: Iam;
  readonly #enforce: boolean;
  readonly #issuer: OidcIssuer | undefined;
  readonly #remoteKeys = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

  constructor(deps: StsDeps) {
    this.#iam = deps.iam;
    this.#enforce = deps.enforce;
    this.#issuer = deps.issuer;
  }

  /** Who owns `accessKeyId`; the root of the caller's account for keys not made here. */
  callerIdentity(accessKeyId: string | undefined, scope: Scope): CallerIdentity {
    return this.#iam.callerIdentity(accessKeyId, scope);
  }

  assumeRole(accessKeyId: string | undefined, scope: Scope, input: AssumeRoleRequest): AssumeRoleResponse {
    const caller = this.callerIdentity(accessKeyId, scope);
    const roleArn = input.RoleArn!;
    const sessionName = checkSessionName(input.RoleSessionName!);
    if (input.ExternalId !== undefined && !EXTERNAL_ID.test(input.ExternalId)) {
      throw validation(
        `1 validation error detected: Value '${input.ExternalId}' at 'externalId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@:\\/-]*`,
      );
    }
    const tags = checkTags(input.Tags);
    const duration = checkDuration(input.DurationSeconds);
    const denied = () => accessDenied(`User: ${caller.Arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`);
    const role = this.#role(roleArn);
    if (!role) throw denied();
    const principal = this.#iam.principals.forAccessKey(accessKeyId, scope.accountId);
    const chained = principal.principal.kind === "role";
    if (chained && duration > 3600) throw validation("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.");
    if (duration > (role.MaxSessionDuration ?? 3600)) throw validation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.");
    const packed = this.#sessionPolicy(input.Policy, input.PolicyArns?.map((p) => p.arn!) ?? []);

    // Session tags: the request's, plus the caller's transitive ones.
    const callerDoc = accessKeyId ? this.#iam.repo.session(accessKeyId)?.doc : undefined;
    const transitive = Object.fromEntries(Object.entries(callerDoc?.tags ?? {}).filter(([k]) => callerDoc?.transitiveTagKeys?.includes(k)));
    const sessionTags = { ...transitive, ...tags };

    if (this.#enforce && principal.principal.kind !== "root") {
      const context = new Map<string, ContextValue>([["sts:rolesessionname", sessionName]]);
      if (input.ExternalId !== undefined) context.set("sts:externalid", input.ExternalId);
      if (input.SourceIdentity !== undefined) context.set("sts:sourceidentity", input.SourceIdentity);
      if (input.TransitiveTagKeys) context.set("sts:transitivetagkeys", input.TransitiveTagKeys);
      for (const [k, v] of Object.entries(tags)) context.set(`aws:requesttag/${k.toLowerCase()}`, v);
      if (Object.keys(tags).length > 0) context.set("aws:tagkeys", Object.keys(tags));
      if (!this.#trusts(role, principal, "sts:AssumeRole", context)) throw denied();
      if (Object.keys(tags).length > 0 && !this.#trusts(role, principal, "sts:TagSession", context)) {
        throw accessDenied(`User: ${caller.Arn} is not authorized to perform: sts:TagSession on resource: ${roleArn}`);
      }
      if (input.SourceIdentity !== undefined && !this.#trusts(role, principal, "sts:SetSourceIdentity", context)) {
        throw accessDenied(`User: ${caller.Arn} is not authorized to perform: sts:SetSourceIdentity on resource: ${roleArn}`);
      }
    }
    const account = parseArn(role.Arn!)!.accountId;
    const assumed: CallerIdentity = {
      UserId: `${role.RoleId}:${sessionName}`,
      Account: account,
      Arn: `arn:aws:sts::${account}:assumed-role/${role.RoleName}/${sessionName}`,
    };
    const doc: Omit<SessionDoc, "issuedAt"> = {
      kind: "role",
      roleArn: role.Arn!,
      roleName: role.RoleName!,
      sessionName,
      ...(input.Policy ? { policy: input.Policy } : {}),
      ...(input.PolicyArns?.length ? { policyArns: input.PolicyArns.map((p) => p.arn!) } : {}),
      ...(Object.keys(sessionTags).length > 0 ? { tags: sessionTags } : {}),
      ...(input.TransitiveTagKeys?.length ? { transitiveTagKeys: input.TransitiveTagKeys } : {}),
      ...(input.SourceIdentity ? { sourceIdentity: input.SourceIdentity } : {}),
    };
    const credentials = this.#iam.issueSession(assumed, duration, doc);
    return {
      Credentials: credentials,
      AssumedRoleUser: { AssumedRoleId: assumed.UserId, Arn: assumed.Arn },
      PackedPolicySize: packed,
      ...(input.SourceIdentity ? { SourceIdentity: input.SourceIdentity } : {}),
    };
  }

  async assumeRoleWithWebIdentity(input: AssumeRoleWithWebIdentityRequest, now: number): Promise<AssumeRoleWithWebIdentityResponse> {
    const roleArn = input.RoleArn!;
    const sessionName = checkSessionName(input.RoleSessionName!);
    const duration = checkDuration(input.DurationSeconds);
    const token = input.WebIdentityToken!;
    let payload: JWTPayload;
    let alg: string | undefined;
    try {
      payload = decodeJwt(token);
      alg = decodeProtectedHeader(token).alg;
    } catch {
      throw invalidToken("Couldn't parse the provided web identity token.");
    }
    if (!alg || !/^(RS|ES|PS)(256|384|512)$/.test(alg)) throw invalidToken("Couldn't parse the provided web identity token.");
    const iss = typeof payload.iss === "string" ? payload.iss : "";
    const parsedRole = parseArn(roleArn);
    const account = parsedRole?.accountId ?? "";
    const provider = iss ? this.#iam.oidcProviders.forIssuer(account, iss) : undefined;
    if (!provider) throw invalidToken(`No OpenIDConnect provider found in your account for ${iss}`);

    // The signature, against the issuer's keys.
    const keys = this.#keysFor(iss);
    try {
      await compactVerify(token, keys);
    } catch (err) {
      const code = (err as { code?: string }).code ?? "";
      if (code === "ERR_JWKS_TIMEOUT" || code === "ERR_JOSE_GENERIC" || code === "ERR_JWKS_INVALID" || (err as Error).name === "TypeError") {
        throw new ServiceError(
          "IDPCommunicationErrorException",
          "Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements",
        );
      }
      throw invalidToken("Signature verification failed.");
    }

    // Audience, then expiry.
    const auds = typeof payload.aud === "string" ? [payload.aud] : Array.isArray(payload.aud) ? payload.aud : [];
    const audience = auds.find((a) => provider.ClientIDList.includes(a));
    if (!audience) throw invalidToken("Incorrect token audience");
    const nowS = Math.floor(now / 1000);
    if (typeof payload.exp !== "number" || payload.exp <= nowS) {
      throw new ServiceError("ExpiredTokenException", `Token expired: current date/time ${nowS} must be before the expiration date/time ${payload.exp ?? 0}`);
    }
    if (typeof payload.nbf === "number" && payload.nbf > nowS + 300) throw invalidToken("Token is not valid yet.");

    const role = this.#role(roleArn);
    const notAuthorized = () => accessDenied("Not authorized to perform sts:AssumeRoleWithWebIdentity");
    if (!role) throw notAuthorized();
    if (duration > (role.MaxSessionDuration ?? 3600)) throw validation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.");
    const packed = this.#sessionPolicy(input.Policy, input.PolicyArns?.map((p) => p.arn!) ?? []);

    // The trust policy, with the token's claims as <provider>:<claim> keys.
    const host = provider.Url;
    const context = new Map<string, ContextValue>([
      ["sts:rolesessionname", sessionName],
      ["aws:federatedprovider", provider.Arn],
      [`${host}:aud`.toLowerCase(), audience],
    ]);
    for (const [k, v] of Object.entries(payload)) {
      if (k === "aud") continue;
      if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") context.set(`${host}:${k}`.toLowerCase(), String(v));
      else if (Array.isArray(v) && v.every((x) => typeof x === "string")) context.set(`${host}:${k}`.toLowerCase(), v as string[]);
    }
    const claimTags = sessionTagsFromClaims(payload);
    for (const [k, v] of Object.entries(claimTags.tags)) context.set(`aws:requesttag/${k.toLowerCase()}`, v);
    if (Object.keys(claimTags.tags).length > 0) context.set("aws:tagkeys", Object.keys(claimTags.tags));
    const principal: AuthPrincipal = {
      principal: { kind: "federated", arn: provider.Arn, accountId: account, federatedProvider: provider.Arn },
      identity: [],
      context: new Map(),
    };
    if (!this.#trusts(role, principal, "sts:AssumeRoleWithWebIdentity", context)) throw notAuthorized();
    if (Object.keys(claimTags.tags).length > 0 && !this.#trusts(role, principal, "sts:TagSession", context)) throw notAuthorized();

    const assumed: CallerIdentity = {
      UserId: `${role.RoleId}:${sessionName}`,
      Account: account,
      Arn: `arn:aws:sts::${account}:assumed-role/${role.RoleName}/${sessionName}`,
    };
    const credentials = this.#iam.issueSession(assumed, duration, {
      kind: "role",
      roleArn: role.Arn!,
      roleName: role.RoleName!,
      sessionName,
      federatedProvider: provider.Arn,
      ...(input.Policy ? { policy: input.Policy } : {}),
      ...(input.PolicyArns?.length ? { policyArns: input.PolicyArns.map((p) => p.arn!) } : {}),
      ...(Object.keys(claimTags.tags).length > 0 ? { tags: claimTags.tags } : {}),
      ...(claimTags.transitive.length > 0 ? { transitiveTagKeys: claimTags.transitive } : {}),
    });
    return {
      Credentials: credentials,
      SubjectFromWebIdentityToken: typeof payload.sub === "string" ? payload.sub : "",
      AssumedRoleUser: { AssumedRoleId: assumed.UserId, Arn: assumed.Arn },
      PackedPolicySize: packed,
      Provider: iss,
      Audience: audience,
    };
  }

  sessionToken(accessKeyId: string | undefined, scope: Scope, durationSeconds: number | undefined): GetSessionTokenResponse {
    const caller = this.callerIdentity(accessKeyId, scope);
    const duration = durationSeconds ?? 43200;
    if (duration < 900 || duration > 129600) {
      throw validation(
        `1 validation error detected: Value '${duration}' at 'durationSeconds' failed to satisfy constraint: Member must have value ${duration < 900 ? "greater than or equal to 900" : "less than or equal to 129600"}`,
      );
    }
    return { Credentials: this.#iam.issueSession(caller, duration) };
  }

  /** GetAccessKeyInfo: the account a key belongs to (the caller's account for keys not made here). */
  accessKeyAccount(accessKeyId: string, scope: Scope): string {
    return this.#iam.lookupSecret(accessKeyId)?.accountId ?? scope.accountId;
  }

  /** The role an ARN names (path included), if it exists. */
  #role(roleArn: string): IamRole | undefined {
    const parsed = parseArn(roleArn);
    const name = parsed?.service === "iam" && parsed.resource.startsWith("role/") ? parsed.resource.split("/").at(-1) : undefined;
    const role = parsed && name ? this.#iam.repo.get("iam_roles", parsed.accountId, name) : undefined;
    return role && role.Arn === roleArn ? role : undefined;
  }

  /** The role's trust policy (and, for IAM principals, their own permissions) allow `action`. */
  #trusts(role: IamRole, p: AuthPrincipal, action: string, context: Map<string, ContextValue>): boolean {
    const text = decodeURIComponent(role.AssumeRolePolicyDocument ?? "");
    const now = this.#iam.deps.clock.now();
    context.set("aws:currenttime", new Date(now).toISOString());
    context.set("aws:epochtime", String(Math.floor(now / 1000)));
    const decision = evaluate({
      action,
      resource: role.Arn!,
      principal: p.principal,
      context: layered(context, p.context),
      identity: p.identity,
      resourcePolicy: { policy: compilePolicy(text), type: "role trust policy", id: "trust" },
      resourceMustAllow: true,
      boundary: p.boundary,
      session: p.session,
    });
    return decision.decision === "allowed";
  }

  /** Session policies: validated, and their packed size as a percentage of the allowance. */
  #sessionPolicy(policy: string | undefined, arns: readonly string[]): number {
    if (arns.length > 10) {
      throw validation(`1 validation error detected: Value at 'policyArns' failed to satisfy constraint: Member must have length less than or equal to 10`);
    }
    if (policy === undefined) return arns.length > 0 ? Math.ceil((arns.join("").length / PACKED_POLICY_MAX) * 100) : 0;
    try {
      validatePolicy(policy, "identity");
    } catch (err) {
      if (err instanceof PolicyInvalid) throw new ServiceError("MalformedPolicyDocumentException", err.message);
      throw err;
    }
    const percent = Math.ceil(((policy.replace(/\s/g, "").length + arns.join("").length) / PACKED_POLICY_MAX) * 100);
    if (percent > 100) throw new ServiceError("PackedPolicyTooLargeException", `Packed policy consumes ${percent}% of allotted space, please use smaller policy for assume role.`);
    return percent;
  }

  /** The key set for an issuer: Slipway's own (no fetch), else the JWKS its discovery document names (fetched once). */
  #keysFor(iss: string): Parameters<typeof compactVerify>[1] {
    const base = iss.replace(/\/$/, "");
    if (this.#issuer && base === this.#issuer.url) return this.#issuer.keySet();
    return async (header, token) => {
      let jwks = this.#remoteKeys.get(base);
      if (!jwks) {
        const res = await fetch(`${base}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(5000) });
        const { jwks_uri } = (await res.json()) as { jwks_uri?: string };
        if (!jwks_uri) throw new TypeError("the discovery document names no jwks_uri");
        jwks = createRemoteJWKSet(new URL(jwks_uri), { timeoutDuration: 5000 });
        this.#remoteKeys.set(base, jwks);
      }
      return jwks(header, token);
    };
  }
}

function checkSessionName(name: string): string {
  if (!SESSION_NAME.test(name)) {
    throw validation(
      `1 validation error detected: Value '${name}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`,
    );
  }
  return name;
}

function checkDuration(seconds: number | undefined): number {
  const duration = seconds ?? 3600;
  if (duration < 900) {
    throw validation(
      `1 validation error detected: Value '${duration}' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900`,
    );
  }
  return duration;
}

function checkTags(tags: readonly { Key?: string | undefined; Value?: string | undefined }[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!tags) return out;
  if (tags.length > 50) throw validation("1 validation error detected: Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50");
  const seen = new Set<string>();
  for (const t of tags) {
    const k = t.Key ?? "";
    if (seen.has(k.toLowerCase())) throw validation("Duplicate tag keys found. Please note that Tag keys are case insensitive.");
    seen.add(k.toLowerCase());
    out[k] = t.Value ?? "";
  }
  return out;
}

/** Session tags a token carries in its https://aws.amazon.com/tags claim. */
function sessionTagsFromClaims(payload: JWTPayload): { tags: Record<string, string>; transitive: string[] } {
  const claim = payload["https://aws.amazon.com/tags"] as { principal_tags?: Record<string, unknown>; transitive_tag_keys?: unknown } | undefined;
  const tags: Record<string, string> = {};
  for (const [k, v] of Object.entries(claim?.principal_tags ?? {})) {
    const value = Array.isArray(v) ? v[0] : v;
    if (typeof value === "string") tags[k] = value;
  }
  const transitive = Array.isArray(claim?.transitive_tag_keys) ? (claim.transitive_tag_keys as unknown[]).filter((x): x is string => typeof x === "string") : [];
  return { tags, transitive };
}
