/**
 * Who a request's key acts as, with every policy that applies to it, ready for the evaluator:
 * an IAM user (its inline and managed policies and those of its groups, its boundary), a role
 * session (the role's inline and managed policies, its boundary, the session's policies and tags),
 * or the account's root. Views are cached per key and dropped whenever IAM changes (Iam.epoch).
 */
import { compilePolicy } from "../../authz/policy.ts";
import type { AuthPrincipal } from "../../authz/authorizer.ts";
import type { PolicySource } from "../../authz/evaluate.ts";
import type { ContextValue } from "../../authz/context.ts";
import type { Iam } from "./iam.ts";
import { managedPolicy } from "./managed-policies.ts";
import type { PrincipalKind, SessionDoc } from "./repo.ts";
import { ROOT_USER } from "./users.ts";

export type { AuthPrincipal };

const CACHE_LIMIT = 1000;

export class Principals {
  readonly #iam: Iam;
  #epoch = -1;
  readonly #cache = new Map<string, AuthPrincipal>();

  constructor(iam: Iam) {
    this.#iam = iam;
  }

  /** The principal behind an access key (root for the account's own and unknown keys). */
  forAccessKey(accessKeyId: string | undefined, accountId: string): AuthPrincipal {
    if (this.#epoch !== this.#iam.epoch) {
      this.#cache.clear();
      this.#epoch = this.#iam.epoch;
    }
    const cacheKey = `${accessKeyId ?? ""}|${accountId}`;
    const hit = this.#cache.get(cacheKey);
    if (hit) return hit;
    const p = this.#resolve(accessKeyId, accountId);
    if (this.#cache.size >= CACHE_LIMIT) this.#cache.delete(this.#cache.keys().next().value as string);
    this.#cache.set(cacheKey, p);
    return p;
  }

  #resolve(accessKeyId: string | undefined, accountId: string): AuthPrincipal {
    const repo = this.#iam.repo;
    if (accessKeyId) {
      const key = repo.accessKey(accessKeyId);
      if (key && key.userName !== ROOT_USER) return this.user(key.account, key.userName) ?? root(key.account);
      if (key) return root(key.account);
      const session = repo.session(accessKeyId);
      if (session) return this.#session(session.account, session.arn, session.userId, session.doc);
    }
    return root(accountId);
  }

  /** An IAM user with its groups' policies; undefined when there is no such user. */
  user(account: string, name: string): AuthPrincipal | undefined {
    const repo = this.#iam.repo;
    const user = repo.get("iam_users", account, name);
    if (!user) return undefined;
    const stored = user.UserName!;
    const identity = [...this.policiesOf(account, "user", stored)];
    for (const g of repo.groupsForUser(account, stored)) identity.push(...this.policiesOf(account, "group", g));
    const tags = this.#tags(user.Arn!);
    const context = new Map<string, ContextValue>([
      ["aws:principalarn", user.Arn!],
      ["aws:principalaccount", account],
      ["aws:principaltype", "User"],
      ["aws:userid", user.UserId!],
      ["aws:username", stored],
      ["aws:principalisawsservice", "false"],
    ]);
    for (const [k, v] of Object.entries(tags)) context.set(`aws:principaltag/${k.toLowerCase()}`, v);
    return {
      principal: { kind: "user", arn: user.Arn!, accountId: account },
      identity,
      boundary: this.#boundary(user.PermissionsBoundary?.PermissionsBoundaryArn, account),
      context,
    };
  }

  /** A role acting under `sessionArn` (a session, or the simulator's view of the role itself). */
  role(account: string, roleName: string, sessionArn: string, userId: string, doc?: SessionDoc): AuthPrincipal {
    const repo = this.#iam.repo;
    const role = repo.get("iam_roles", account, roleName);
    const roleArn = role?.Arn ?? doc?.roleArn ?? `arn:aws:iam::${account}:role/${roleName}`;
    const identity = role ? this.policiesOf(account, "role", role.RoleName!) : [];
    const context = new Map<string, ContextValue>([
      ["aws:principalarn", roleArn],
      ["aws:principalaccount", account],
      ["aws:principaltype", "AssumedRole"],
      ["aws:userid", userId],
      ["aws:principalisawsservice", "false"],
    ]);
    const tags = { ...(role ? this.#tags(role.Arn!) : {}), ...(doc?.tags ?? {}) };
    for (const [k, v] of Object.entries(tags)) context.set(`aws:principaltag/${k.toLowerCase()}`, v);
    if (doc?.issuedAt !== undefined) context.set("aws:tokenissuetime", new Date(doc.issuedAt).toISOString());
    if (doc?.federatedProvider) context.set("aws:federatedprovider", doc.federatedProvider);
    if (doc?.sourceIdentity) context.set("aws:sourceidentity", doc.sourceIdentity);
    const session: PolicySource[] = [];
    if (doc?.policy) session.push({ policy: compilePolicy(doc.policy), type: "session policy", id: "session policy", text: doc.policy });
    for (const arn of doc?.policyArns ?? []) {
      const text = this.managedDocument(account, arn);
      if (text !== undefined) session.push({ policy: compilePolicy(text), type: "session policy", id: arn, arn, text });
    }
    return {
      principal: { kind: "role", arn: sessionArn, accountId: account, roleArn },
      identity,
      boundary: this.#boundary(role?.PermissionsBoundary?.PermissionsBoundaryArn, account),
      ...(doc?.policy || doc?.policyArns?.length ? { session } : {}),
      context,
    };
  }

  #session(account: string, arn: string, userId: string, doc: SessionDoc | undefined): AuthPrincipal {
    if (doc?.kind === "role" && doc.roleName) return this.role(account, doc.roleName, arn, userId, doc);
    if (doc?.kind === "user" && doc.userName) {
      const u = this.user(account, doc.userName);
      if (u) return u;
    }
    // A session of a role recorded before sessions carried their doc: the ARN names the role.
    const m = /^arn:aws:sts::\d{12}:assumed-role\/([^/]+)\//.exec(arn);
    if (m) return this.role(account, m[1]!, arn, userId, doc);
    return root(account);
  }

  /** Inline then managed policies of a user, group or role (stored name). */
  policiesOf(account: string, kind: PrincipalKind, name: string): PolicySource[] {
    const repo = this.#iam.repo;
    const out: PolicySource[] = [];
    for (const policyName of repo.inlinePolicyNames(account, kind, name)) {
      const text = repo.getInlinePolicy(account, kind, name, policyName)!;
      out.push({ policy: compilePolicy(text), type: "identity-based policy", id: policyName, simType: kind, text });
    }
    for (const arn of repo.attachedPolicies(account, kind, name)) {
      const text = this.managedDocument(account, arn);
      if (text === undefined) continue;
      out.push({
        policy: compilePolicy(text),
        type: "identity-based policy",
        id: arn.split("/").at(-1)!,
        arn,
        simType: managedPolicy(arn) ? "aws-managed" : "user-managed",
        text,
      });
    }
    return out;
  }

  /** The default version of a managed policy (AWS's or the account's). */
  managedDocument(account: string, arn: string): string | undefined {
    const m = managedPolicy(arn);
    if (m) return m.document;
    if (!arn.startsWith(`arn:aws:iam::${account}:policy/`)) return undefined;
    return this.#iam.repo.policyVersions(arn).find((v) => v.isDefault)?.document;
  }

  #boundary(arn: string | undefined, account: string): PolicySource | undefined {
    if (!arn) return undefined;
    const text = this.managedDocument(account, arn) ?? '{"Statement":[]}';
    return { policy: compilePolicy(text), type: "permissions boundary", id: arn.split("/").at(-1)!, arn, text };
  }

  #tags(arn: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const t of this.#iam.tags.of(arn)) out[t.key] = t.value;
    return out;
  }
}

export function root(account: string): AuthPrincipal {
  const arn = `arn:aws:iam::${account}:root`;
  return {
    principal: { kind: "root", arn, accountId: account },
    identity: [],
    context: new Map<string, ContextValue>([
      ["aws:principalarn", arn],
      ["aws:principalaccount", account],
      ["aws:principaltype", "Account"],
      ["aws:userid", account],
      ["aws:principalisawsservice", "false"],
    ]),
  };
}
