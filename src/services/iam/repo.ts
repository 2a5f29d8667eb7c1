/**
 * All IAM/STS SQL. IAM is global: every row is scoped by account only. Entities (roles, users, groups,
 * instance profiles, customer-managed policies) keep their Get document (`doc`, the SDK shape without
 * tags, which live in the shared `tags` table); dates inside docs are revived by key name.
 */
import type { Group, InstanceProfile, Policy, Role, User } from "@aws-sdk/client-iam";
import { isSealed, type TextSealer } from "../../core/sealed-text.ts";
import type { Store } from "../../store/store.ts";

export type EntityTable = "iam_roles" | "iam_users" | "iam_groups" | "iam_instance_profiles" | "iam_policies" | "iam_oidc_providers";
export type PrincipalKind = "role" | "user" | "group";

interface EntityDocs {
  iam_roles: Role;
  iam_users: User;
  iam_groups: Group;
  iam_instance_profiles: InstanceProfile;
  iam_policies: Policy;
  iam_oidc_providers: OidcProviderDoc;
}

/** An IAM OIDC identity provider as stored (GetOpenIDConnectProvider without tags). */
export interface OidcProviderDoc {
  Arn: string;
  /** Without https://, as GetOpenIDConnectProvider returns it. */
  Url: string;
  ClientIDList: string[];
  ThumbprintList: string[];
  CreateDate: Date;
}

/** What an STS session acts as, beyond its keys. */
export interface SessionDoc {
  kind: "root" | "user" | "role";
  /** Roles: the role's ARN (with its path) and name; users: the user's name. */
  roleArn?: string;
  roleName?: string;
  userName?: string;
  sessionName?: string;
  /** Session policies: AssumeRole's Policy and PolicyArns. */
  policy?: string;
  policyArns?: string[];
  /** Session tags (they override the role's tags as aws:PrincipalTag). */
  tags?: Record<string, string>;
  transitiveTagKeys?: string[];
  sourceIdentity?: string;
  /** Web identity sessions: the OIDC provider's ARN (aws:FederatedProvider). */
  federatedProvider?: string;
  /** Epoch ms (aws:TokenIssueTime). */
  issuedAt: number;
}

const DATE_KEYS = new Set(["CreateDate", "UpdateDate", "LastUsedDate"]);

function parseDoc<T>(json: string): T {
  return JSON.parse(json, (k, v) => (DATE_KEYS.has(k) && typeof v === "string" ? new Date(v) : v)) as T;
}

export interface PolicyVersionRow {
  versionId: string;
  document: string;
  isDefault: boolean;
  createdAt: number;
}

export interface AccessKeyRow {
  accessKeyId: string;
  account: string;
  userName: string;
  secret: string;
  status: string;
  createdAt: number;
}

export interface SessionRow {
  accessKeyId: string;
  account: string;
  secret: string;
  sessionToken: string;
  arn: string;
  userId: string;
  expiresAt: number;
  doc?: SessionDoc | undefined;
}

/** Where a secret lives, as the label its sealed value is bound to. */
const keyLabel = (accessKeyId: string) => `iam/access-key/${accessKeyId}/secret`;
const sessionLabel = (accessKeyId: string, column: "secret" | "token") => `sts/session/${accessKeyId}/${column}`;

export class IamRepo {
  readonly store: Store;
  /** Secret access keys, session secrets and session tokens are sealed at rest with it. */
  readonly #sealer: TextSealer;
  constructor(store: Store, sealer: TextSealer) {
    this.store = store;
    this.#sealer = sealer;
  }

  // ---- entities (one shape for the five tables)
  get<T extends EntityTable>(table: T, account: string, name: string): EntityDocs[T] | undefined {
    const row = this.store.prepare(`SELECT doc FROM ${table} WHERE account = ? AND name = ?`).get(account, name) as
      | { doc: string }
      | undefined;
    return row ? parseDoc<EntityDocs[T]>(row.doc) : undefined;
  }
  getByArn<T extends EntityTable>(table: T, arn: string): EntityDocs[T] | undefined {
    const row = this.store.prepare(`SELECT doc FROM ${table} WHERE arn = ?`).get(arn) as { doc: string } | undefined;
    return row ? parseDoc<EntityDocs[T]>(row.doc) : undefined;
  }
  /** Entities of an account whose path starts with `pathPrefix`, by name. */
  list<T extends EntityTable>(table: T, account: string, pathPrefix = "/"): EntityDocs[T][] {
    const rows = this.store
      .prepare(`SELECT doc FROM ${table} WHERE account = ? AND substr(path, 1, ?) = ? ORDER BY name`)
      .all(account, pathPrefix.length, pathPrefix) as { doc: string }[];
    return rows.map((r) => parseDoc<EntityDocs[T]>(r.doc));
  }
  insert<T extends EntityTable>(table: T, account: string, name: string, arn: string, path: string, doc: EntityDocs[T]): void {
    this.store
      .prepare(`INSERT INTO ${table} (account, name, arn, path, doc) VALUES (?, ?, ?, ?, ?)`)
      .run(account, name, arn, path, JSON.stringify(doc));
  }
  update<T extends EntityTable>(table: T, account: string, name: string, doc: EntityDocs[T]): void {
    this.store.prepare(`UPDATE ${table} SET doc = ? WHERE account = ? AND name = ?`).run(JSON.stringify(doc), account, name);
  }
  remove(table: EntityTable, account: string, name: string): void {
    this.store.prepare(`DELETE FROM ${table} WHERE account = ? AND name = ?`).run(account, name);
  }

  // ---- policy versions
  nextPolicyVersion(arn: string): number {
    const row = this.store.prepare("SELECT next_version AS n FROM iam_policies WHERE arn = ?").get(arn) as { n: number };
    this.store.prepare("UPDATE iam_policies SET next_version = next_version + 1 WHERE arn = ?").run(arn);
    return row.n;
  }
  policyVersions(arn: string): PolicyVersionRow[] {
    const rows = this.store
      .prepare("SELECT version_id, document, is_default, created_at FROM iam_policy_versions WHERE policy_arn = ? ORDER BY seq DESC")
      .all(arn) as { version_id: string; document: string; is_default: number; created_at: number }[];
    return rows.map((r) => ({ versionId: r.version_id, document: r.document, isDefault: r.is_default === 1, createdAt: r.created_at }));
  }
  putPolicyVersion(arn: string, seq: number, document: string, isDefault: boolean, createdAt: number): void {
    if (isDefault) this.store.prepare("UPDATE iam_policy_versions SET is_default = 0 WHERE policy_arn = ?").run(arn);
    this.store
      .prepare("INSERT INTO iam_policy_versions (policy_arn, version_id, seq, document, is_default, created_at) VALUES (?, ?, ?, ?, ?, ?)")
      .run(arn, `v${seq}`, seq, document, isDefault ? 1 : 0, createdAt);
  }
  setDefaultVersion(arn: string, versionId: string): void {
    this.store.prepare("UPDATE iam_policy_versions SET is_default = (version_id = ?) WHERE policy_arn = ?").run(versionId, arn);
  }
  deletePolicyVersion(arn: string, versionId: string): void {
    this.store.prepare("DELETE FROM iam_policy_versions WHERE policy_arn = ? AND version_id = ?").run(arn, versionId);
  }

  // ---- managed policy attachments
  attachedPolicies(account: string, kind: PrincipalKind, principal: string): string[] {
    const rows = this.store
      .prepare("SELECT policy_arn FROM iam_attachments WHERE account = ? AND kind = ? AND principal = ? ORDER BY position")
      .all(account, kind, principal) as { policy_arn: string }[];
    return rows.map((r) => r.policy_arn);
  }
  attach(account: string, kind: PrincipalKind, principal: string, policyArn: string): void {
    const max = this.store.prepare("SELECT COALESCE(MAX(position), 0) AS p FROM iam_attachments WHERE account = ?").get(account) as {
      p: number;
    };
    this.store
      .prepare(
        "INSERT INTO iam_attachments (account, kind, principal, policy_arn, position) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
      )
      .run(account, kind, principal, policyArn, max.p + 1);
  }
  /** True when something was detached. */
  detach(account: string, kind: PrincipalKind, principal: string, policyArn: string): boolean {
    const r = this.store
      .prepare("DELETE FROM iam_attachments WHERE account = ? AND kind = ? AND principal = ? AND policy_arn = ?")
      .run(account, kind, principal, policyArn);
    return Number(r.changes) > 0;
  }
  attachmentCount(account: string, policyArn: string): number {
    const row = this.store
      .prepare("SELECT COUNT(*) AS n FROM iam_attachments WHERE account = ? AND policy_arn = ?")
      .get(account, policyArn) as { n: number };
    return row.n;
  }
  entitiesForPolicy(account: string, policyArn: string): { kind: PrincipalKind; principal: string }[] {
    return this.store
      .prepare("SELECT kind, principal FROM iam_attachments WHERE account = ? AND policy_arn = ? ORDER BY position")
      .all(account, policyArn) as { kind: PrincipalKind; principal: string }[];
  }

  // ---- inline policies
  inlinePolicyNames(account: string, kind: PrincipalKind, principal: string): string[] {
    const rows = this.store
      .prepare("SELECT name FROM iam_inline_policies WHERE account = ? AND kind = ? AND principal = ? ORDER BY name")
      .all(account, kind, principal) as { name: string }[];
    return rows.map((r) => r.name);
  }
  getInlinePolicy(account: string, kind: PrincipalKind, principal: string, name: string): string | undefined {
    const row = this.store
      .prepare("SELECT document FROM iam_inline_policies WHERE account = ? AND kind = ? AND principal = ? AND name = ?")
      .get(account, kind, principal, name) as { document: string } | undefined;
    return row?.document;
  }
  putInlinePolicy(account: string, kind: PrincipalKind, principal: string, name: string, document: string): void {
    this.store
      .prepare(
        `INSERT INTO iam_inline_policies (account, kind, principal, name, document) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (account, kind, principal, name) DO UPDATE SET document = excluded.document`,
      )
      .run(account, kind, principal, name, document);
  }
  deleteInlinePolicy(account: string, kind: PrincipalKind, principal: string, name: string): boolean {
    const r = this.store
      .prepare("DELETE FROM iam_inline_policies WHERE account = ? AND kind = ? AND principal = ? AND name = ?")
      .run(account, kind, principal, name);
    return Number(r.changes) > 0;
  }

  // ---- group membership
  groupMembers(account: string, group: string): string[] {
    const rows = this.store
      .prepare("SELECT user_name FROM iam_group_members WHERE account = ? AND group_name = ? ORDER BY position")
      .all(account, group) as { user_name: string }[];
    return rows.map((r) => r.user_name);
  }
  groupsForUser(account: string, user: string): string[] {
    const rows = this.store
      .prepare("SELECT group_name FROM iam_group_members WHERE account = ? AND user_name = ? ORDER BY group_name")
      .all(account, user) as { group_name: string }[];
    return rows.map((r) => r.group_name);
  }
  addGroupMember(account: string, group: string, user: string): void {
    const max = this.store.prepare("SELECT COALESCE(MAX(position), 0) AS p FROM iam_group_members WHERE account = ?").get(account) as {
      p: number;
    };
    this.store
      .prepare("INSERT INTO iam_group_members (account, group_name, user_name, position) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING")
      .run(account, group, user, max.p + 1);
  }
  removeGroupMember(account: string, group: string, user: string): boolean {
    const r = this.store
      .prepare("DELETE FROM iam_group_members WHERE account = ? AND group_name = ? AND user_name = ?")
      .run(account, group, user);
    return Number(r.changes) > 0;
  }

  // ---- instance profile roles
  profileRoles(account: string, profile: string): string[] {
    const rows = this.store
      .prepare("SELECT role FROM iam_instance_profile_roles WHERE account = ? AND profile = ? ORDER BY role")
      .all(account, profile) as { role: string }[];
    return rows.map((r) => r.role);
  }
  profilesForRole(account: string, role: string): string[] {
    const rows = this.store
      .prepare("SELECT profile FROM iam_instance_profile_roles WHERE account = ? AND role = ? ORDER BY profile")
      .all(account, role) as { profile: string }[];
    return rows.map((r) => r.profile);
  }
  addProfileRole(account: string, profile: string, role: string): void {
    this.store.prepare("INSERT INTO iam_instance_profile_roles (account, profile, role) VALUES (?, ?, ?)").run(account, profile, role);
  }
  removeProfileRole(account: string, profile: string, role: string): boolean {
    const r = this.store
      .prepare("DELETE FROM iam_instance_profile_roles WHERE account = ? AND profile = ? AND role = ?")
      .run(account, profile, role);
    return Number(r.changes) > 0;
  }

  // ---- access keys
  accessKey(accessKeyId: string): AccessKeyRow | undefined {
    const row = this.store.prepare("SELECT * FROM iam_access_keys WHERE access_key_id = ?").get(accessKeyId) as KeyRow | undefined;
    return row ? this.#toKey(row) : undefined;
  }
  accessKeys(account: string, userName: string): AccessKeyRow[] {
    const rows = this.store
      .prepare("SELECT * FROM iam_access_keys WHERE account = ? AND user_name = ? ORDER BY created_at, access_key_id")
      .all(account, userName) as unknown as KeyRow[];
    return rows.map((r) => this.#toKey(r));
  }
  insertAccessKey(k: AccessKeyRow): void {
    this.store
      .prepare("INSERT INTO iam_access_keys (access_key_id, account, user_name, secret, status, created_at) VALUES (?, ?, ?, ?, ?, ?)")
      .run(k.accessKeyId, k.account, k.userName, this.#sealer.seal(k.secret, keyLabel(k.accessKeyId)), k.status, k.createdAt);
  }
  setAccessKeyStatus(accessKeyId: string, status: string): void {
    this.store.prepare("UPDATE iam_access_keys SET status = ? WHERE access_key_id = ?").run(status, accessKeyId);
  }
  deleteAccessKey(accessKeyId: string): void {
    this.store.prepare("DELETE FROM iam_access_keys WHERE access_key_id = ?").run(accessKeyId);
  }

  // ---- STS sessions (temporary credentials)
  session(accessKeyId: string): SessionRow | undefined {
    const r = this.store.prepare("SELECT * FROM sts_sessions WHERE access_key_id = ?").get(accessKeyId) as
      | { access_key_id: string; account: string; secret: string; session_token: string; arn: string; user_id: string; expires_at: number; doc: string | null }
      | undefined;
    return r
      ? {
          accessKeyId: r.access_key_id,
          account: r.account,
          secret: this.#sealer.open(r.secret, sessionLabel(r.access_key_id, "secret")),
          sessionToken: this.#sealer.open(r.session_token, sessionLabel(r.access_key_id, "token")),
          arn: r.arn,
          userId: r.user_id,
          expiresAt: r.expires_at,
          doc: r.doc ? (JSON.parse(r.doc) as SessionDoc) : undefined,
        }
      : undefined;
  }
  insertSession(s: SessionRow): void {
    this.store
      .prepare(
        "INSERT INTO sts_sessions (access_key_id, account, secret, session_token, arn, user_id, expires_at, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      )
      .run(
        s.accessKeyId,
        s.account,
        this.#sealer.seal(s.secret, sessionLabel(s.accessKeyId, "secret")),
        this.#sealer.seal(s.sessionToken, sessionLabel(s.accessKeyId, "token")),
        s.arn,
        s.userId,
        s.expiresAt,
        s.doc ? JSON.stringify(s.doc) : null,
      );
  }

  /**
   * Seals the secrets an older Slipway stored in plaintext (run once at start-up), then compacts
   * the database so the replaced plaintext does not linger in free pages or the WAL; the number of
   * rows sealed.
   */
  sealPlaintextSecrets(): number {
    let n = 0;
    this.store.tx(() => {
      for (const r of this.store.prepare("SELECT access_key_id, secret FROM iam_access_keys").all() as Array<{ access_key_id: string; secret: string }>) {
        if (isSealed(r.secret)) continue;
        this.store.prepare("UPDATE iam_access_keys SET secret = ? WHERE access_key_id = ?").run(this.#sealer.seal(r.secret, keyLabel(r.access_key_id)), r.access_key_id);
        n++;
      }
      const sessions = this.store.prepare("SELECT access_key_id, secret, session_token FROM sts_sessions").all() as Array<{ access_key_id: string; secret: string; session_token: string }>;
      for (const r of sessions) {
        if (isSealed(r.secret) && isSealed(r.session_token)) continue;
        this.store
          .prepare("UPDATE sts_sessions SET secret = ?, session_token = ? WHERE access_key_id = ?")
          .run(
            this.#sealer.seal(this.#sealer.open(r.secret, sessionLabel(r.access_key_id, "secret")), sessionLabel(r.access_key_id, "secret")),
            this.#sealer.seal(this.#sealer.open(r.session_token, sessionLabel(r.access_key_id, "token")), sessionLabel(r.access_key_id, "token")),
            r.access_key_id,
          );
        n++;
      }
    });
    if (n > 0) this.store.compact();
    return n;
  }

  #toKey(r: KeyRow): AccessKeyRow {
    return {
      accessKeyId: r.access_key_id,
      account: r.account,
      userName: r.user_name,
      secret: this.#sealer.open(r.secret, keyLabel(r.access_key_id)),
      status: r.status,
      createdAt: r.created_at,
    };
  }

  /** The doc of the latest session with this identity (a session asking for another session). */
  sessionByArn(account: string, arn: string, userId: string): SessionDoc | undefined {
    const r = this.store
      .prepare("SELECT doc FROM sts_sessions WHERE account = ? AND arn = ? AND user_id = ? AND doc IS NOT NULL ORDER BY expires_at DESC LIMIT 1")
      .get(account, arn, userId) as { doc: string } | undefined;
    return r ? (JSON.parse(r.doc) as SessionDoc) : undefined;
  }
  purgeSessions(before: number): void {
    this.store.prepare("DELETE FROM sts_sessions WHERE expires_at < ?").run(before);
  }
  deleteSession(accessKeyId: string): void {
    this.store.prepare("DELETE FROM sts_sessions WHERE access_key_id = ?").run(accessKeyId);
  }
}

interface KeyRow {
  access_key_id: string;
  account: string;
  user_name: string;
  secret: string;
  status: string;
  created_at: number;
}

