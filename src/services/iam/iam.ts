/**
 * The IAM domain, assembled: what the IAM and STS handlers share, plus the credential lookups the
 * gateway's SigV4 strict mode uses (`lookupSecret`) and STS's view of who is calling.
 */
import { createHash } from "node:crypto";
import type { Credentials } from "@aws-sdk/client-sts";
import { parseArn, type Scope } from "../../core/arn.ts";
import { type IamDeps, iamArn } from "./context.ts";
import { InstanceProfiles } from "./instance-profiles.ts";
import { Policies } from "./policies.ts";
import { IamRepo, type PrincipalKind, type SessionDoc } from "./repo.ts";
import { OidcProviders } from "./oidc-providers.ts";
import { Principals } from "./principals.ts";
import { Simulator } from "./simulator.ts";
import { Roles } from "./roles.ts";
import type { Tagging } from "../common/tagging.ts";
import { iamTagging } from "./tagging.ts";
import { ROOT_USER, Users } from "./users.ts";
import { ephemeralSealer } from "../../core/sealed-text.ts";
import { accessKeyId, checkName, checkPolicyDocument, encodeDocument, page, secretAccessKey, sessionToken } from "./util.ts";
import { noSuchEntity } from "./errors.ts";

export interface CallerIdentity {
  readonly UserId: string;
  readonly Account: string;
  readonly Arn: string;
}

export interface SecretLookup {
  readonly secretAccessKey: string;
  readonly accountId: string;
  /** Temporary credentials only: the token a request must carry (X-Amz-Security-Token). */
  readonly sessionToken?: string;
}

export class Iam {
  readonly deps: IamDeps;
  readonly repo: IamRepo;
  readonly roles: Roles;
  readonly policies: Policies;
  readonly users: Users;
  readonly instanceProfiles: InstanceProfiles;
  readonly tags: Tagging;
  readonly principals: Principals;
  readonly oidcProviders: OidcProviders;
  readonly simulator: Simulator;

  constructor(deps: IamDeps) {
    this.deps = deps;
    this.repo = new IamRepo(deps.store, deps.secrets ?? ephemeralSealer());
    const tags = iamTagging(deps.store, this.repo);
    this.tags = tags;
    this.roles = new Roles(deps, this.repo, tags);
    this.policies = new Policies(deps, this.repo, tags);
    this.users = new Users(deps, this.repo, tags);
    this.instanceProfiles = new InstanceProfiles(deps, this.repo, this.roles, tags);
    this.principals = new Principals(this);
    this.oidcProviders = new OidcProviders(deps, this.repo, tags);
    this.simulator = new Simulator(this);
    this.roles.principalExists = this.principalExists;
  }

  /**
   * Secrets of keys made here: active IAM access keys (CreateAccessKey) and unexpired STS temporary
   * credentials (AssumeRole, GetSessionToken), which need their session token. Anything else is
   * unknown (undefined).
   */
  lookupSecret = (id: string): SecretLookup | undefined => {
    const key = this.repo.accessKey(id);
    if (key) return key.status === "Active" ? { secretAccessKey: key.secret, accountId: key.account } : undefined;
    const session = this.repo.session(id);
    if (session && session.expiresAt > this.deps.clock.now())
      return { secretAccessKey: session.secret, accountId: session.account, sessionToken: session.sessionToken };
    return undefined;
  };

  /**
   * Who an access key belongs to: the IAM user of a key made by CreateAccessKey, the assumed role of
   * an STS session, else the root of the caller's account (static or unknown keys).
   */
  callerIdentity(id: string | undefined, scope: Scope): CallerIdentity {
    if (id) {
      const key = this.repo.accessKey(id);
      if (key && key.userName !== ROOT_USER) {
        const user = this.repo.get("iam_users", key.account, key.userName);
        if (user) return { UserId: user.UserId!, Account: key.account, Arn: user.Arn! };
      }
      if (key) return root(key.account);
      const session = this.repo.session(id);
      if (session && session.expiresAt > this.deps.clock.now()) return { UserId: session.userId, Account: session.account, Arn: session.arn };
    }
    return root(scope.accountId);
  }

  /** The IAM user name a key belongs to, if it is an IAM user's key (GetUser/CreateAccessKey without UserName). */
  callerUserName(id: string | undefined): string | undefined {
    const key = id ? this.repo.accessKey(id) : undefined;
    return key && key.userName !== ROOT_USER ? key.userName : undefined;
  }

  /** The stored name of a role/user/group (NoSuchEntity when missing). */
  principal(scope: Scope, kind: PrincipalKind, name: string): string {
    if (kind === "role") return this.roles.require(scope, name).RoleName!;
    if (kind === "user") return this.users.require(scope, name).UserName!;
    return this.users.requireGroup(scope, name).GroupName!;
  }

  attachPolicy(scope: Scope, kind: PrincipalKind, name: string, policyArn: string): void {
    this.deps.store.tx(() => this.policies.attach(scope, kind, this.principal(scope, kind, name), policyArn));
  }

  detachPolicy(scope: Scope, kind: PrincipalKind, name: string, policyArn: string): void {
    this.deps.store.tx(() => this.policies.detach(scope, kind, this.principal(scope, kind, name), policyArn));
  }

  attachedPolicies(scope: Scope, kind: PrincipalKind, name: string, input: { PathPrefix?: string | undefined; MaxItems?: number | undefined; Marker?: string | undefined }) {
    const all = this.policies.attached(scope, kind, this.principal(scope, kind, name), input.PathPrefix ?? "/");
    const p = page(all, input.MaxItems, input.Marker);
    return { AttachedPolicies: p.items, IsTruncated: p.IsTruncated, ...(p.Marker ? { Marker: p.Marker } : {}) };
  }

  // ---- inline policies of users and groups (roles': roles.ts)
  putInlinePolicy(scope: Scope, kind: "user" | "group", name: string, policyName: string, document: string): void {
    checkName(policyName, "policyName", 128);
    checkPolicyDocument(document, { kind: "inline", principal: kind });
    this.deps.store.tx(() => this.repo.putInlinePolicy(scope.accountId, kind, this.principal(scope, kind, name), policyName, document));
  }

  getInlinePolicy(scope: Scope, kind: "user" | "group", name: string, policyName: string): { PolicyName: string; PolicyDocument: string } {
    const stored = this.principal(scope, kind, name);
    const doc = this.repo.getInlinePolicy(scope.accountId, kind, stored, policyName);
    if (doc === undefined) throw noSuchEntity(`The ${kind} policy with name ${policyName} cannot be found.`);
    return { PolicyName: policyName, PolicyDocument: encodeDocument(doc) };
  }

  deleteInlinePolicy(scope: Scope, kind: "user" | "group", name: string, policyName: string): void {
    this.deps.store.tx(() => {
      if (!this.repo.deleteInlinePolicy(scope.accountId, kind, this.principal(scope, kind, name), policyName)) {
        throw noSuchEntity(`The ${kind} policy with name ${policyName} cannot be found.`);
      }
    });
  }

  inlinePolicyNames(scope: Scope, kind: "user" | "group", name: string): string[] {
    return this.repo.inlinePolicyNames(scope.accountId, kind, this.principal(scope, kind, name));
  }

  /** Whether a trust policy's principal ARN names something that exists (IAM's "Invalid principal in policy"). */
  principalExists = (arn: string): boolean => {
    const p = parseArn(arn);
    if (!p) return false;
    if (p.resource === "root") return true;
    if (p.service === "sts") {
      const m = /^assumed-role\/([^/]+)\//.exec(p.resource);
      return m !== null && this.repo.get("iam_roles", p.accountId, m[1]!) !== undefined;
    }
    if (p.resource.startsWith("role/")) return this.repo.getByArn("iam_roles", arn) !== undefined;
    if (p.resource.startsWith("user/")) return this.repo.getByArn("iam_users", arn) !== undefined;
    if (p.resource.startsWith("oidc-provider/")) return this.repo.getByArn("iam_oidc_providers", arn) !== undefined;
    return p.resource.startsWith("saml-provider/");
  };

  /** ListEntitiesForPolicy. */
  entitiesForPolicy(scope: Scope, policyArn: string) {
    this.policies.require(scope, policyArn);
    const rows = this.repo.entitiesForPolicy(scope.accountId, policyArn);
    const roles = rows.filter((r) => r.kind === "role").flatMap((r) => this.repo.get("iam_roles", scope.accountId, r.principal) ?? []);
    const users = rows.filter((r) => r.kind === "user").flatMap((r) => this.repo.get("iam_users", scope.accountId, r.principal) ?? []);
    const groups = rows.filter((r) => r.kind === "group").flatMap((r) => this.repo.get("iam_groups", scope.accountId, r.principal) ?? []);
    return {
      PolicyRoles: roles.map((r) => ({ RoleName: r.RoleName!, RoleId: r.RoleId! })),
      PolicyUsers: users.map((u) => ({ UserName: u.UserName!, UserId: u.UserId! })),
      PolicyGroups: groups.map((g) => ({ GroupName: g.GroupName!, GroupId: g.GroupId! })),
      IsTruncated: false,
    };
  }

  /**
   * The credentials ECS gives a task for its task role: an STS session of the role with the task
   * id as session name (arn:aws:sts::<acct>:assumed-role/<role>/<task id>). A role IAM does not know
   * (an ARN written in a script) still gets a session, with a role id derived from its ARN.
   */
  roleSession(roleArn: string, sessionName: string, durationSeconds: number): Required<Omit<Credentials, never>> {
    const p = parseArn(roleArn);
    const account = p?.accountId ?? "";
    const roleName = p?.resource.split("/").at(-1) ?? roleArn;
    const role = this.repo.get("iam_roles", account, roleName);
    const roleId = role?.RoleId ?? `AROA${createHash("sha256").update(roleArn).digest("hex").toUpperCase().slice(0, 17)}`;
    return this.issueSession(
      { UserId: `${roleId}:${sessionName}`, Account: account, Arn: `arn:aws:sts::${account}:assumed-role/${role?.RoleName ?? roleName}/${sessionName}` },
      durationSeconds,
      { kind: "role", roleArn: role?.Arn ?? roleArn, roleName: role?.RoleName ?? roleName, sessionName },
    );
  }

  /** An unexpired STS session by its access key id. */
  session(accessKeyId: string): { secretAccessKey: string; sessionToken: string; expiresAt: number } | undefined {
    const s = this.repo.session(accessKeyId);
    return s && s.expiresAt > this.deps.clock.now() ? { secretAccessKey: s.secret, sessionToken: s.sessionToken, expiresAt: s.expiresAt } : undefined;
  }

  /** Ends STS sessions before their expiry (a task that stopped). */
  revokeSessions(accessKeyIds: readonly string[]): void {
    this.deps.store.tx(() => {
      for (const id of accessKeyIds) this.repo.deleteSession(id);
    });
  }

  /** Bumped by every IAM write: cached views of principals' policies are dropped when it moves. */
  epoch = 0;

  /** What a session issued to `identity` (GetSessionToken) acts as: the user, or root. */
  #sessionDocOf(identity: CallerIdentity): Omit<SessionDoc, "issuedAt"> {
    const existing = this.repo.sessionByArn(identity.Account, identity.Arn, identity.UserId);
    return sessionDocFor(identity, (account, arn) => this.repo.list("iam_users", account).find((u) => u.Arn === arn)?.UserName, existing);
  }

  /** Issues and records temporary credentials for `identity`; strict auth accepts them until they expire. */
  issueSession(identity: CallerIdentity, durationSeconds: number, doc?: Omit<SessionDoc, "issuedAt">): Required<Omit<Credentials, never>> {
    const now = this.deps.clock.now();
    const session = {
      accessKeyId: accessKeyId(this.deps.ids, "ASIA"),
      account: identity.Account,
      secret: secretAccessKey(this.deps.ids),
      sessionToken: sessionToken(this.deps.ids),
      arn: identity.Arn,
      userId: identity.UserId,
      expiresAt: now + durationSeconds * 1000,
      doc: { ...(doc ?? this.#sessionDocOf(identity)), issuedAt: now },
    };
    this.deps.store.tx(() => {
      this.repo.purgeSessions(now);
      this.repo.insertSession(session);
    });
    return {
      AccessKeyId: session.accessKeyId,
      SecretAccessKey: session.secret,
      SessionToken: session.sessionToken,
      Expiration: new Date(session.expiresAt),
    };
  }
}

/** What a session made from `identity` acts as (GetSessionToken: the caller itself). */
function sessionDocFor(identity: CallerIdentity, lookupUser: (account: string, arn: string) => string | undefined, session?: SessionDoc): Omit<SessionDoc, "issuedAt"> {
  if (session) return session;
  const p = parseArn(identity.Arn);
  if (p?.resource === "root") return { kind: "root" };
  const user = lookupUser(identity.Account, identity.Arn);
  return user ? { kind: "user", userName: user } : { kind: "root" };
}

const root = (accountId: string): CallerIdentity => ({ UserId: accountId, Account: accountId, Arn: iamArn({ accountId }, "root") });
