/**
 * KMS keys: how a request names one (key id, key ARN, alias name, alias ARN), their metadata and
 * lifecycle (Enabled, Disabled, PendingDeletion, then gone), policies, rotation, and the AWS managed
 * keys other services create on first use. Rules from the KMS API reference and the key-state table:
 * https://docs.aws.amazon.com/kms/latest/APIReference/API_DescribeKey.html
 * https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html
 * https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#aws-managed-key
 */
import { createSecretKey, type KeyObject, randomBytes } from "node:crypto";
import type * as kms from "@aws-sdk/client-kms";
import { arn, parseArn, type Scope } from "../../core/arn.ts";
import { DAY_MS, KEY_ID, type KmsDeps } from "./context.ts";
import {
  aliasNotFound,
  constraint,
  disabled,
  invalidArn,
  invalidKeyId,
  keyNotFound,
  malformedPolicy,
  notPendingDeletion,
  pendingDeletion,
  policyNotFound,
  unsupported,
  validation,
} from "./errors.ts";
import type { KeyRow, KmsRepo } from "./repo.ts";

/** The AWS managed keys Slipway's services create on first use, by alias. */
export const MANAGED_KEYS: Readonly<Record<string, string>> = {
  "alias/aws/ecr": "ECR",
  "alias/aws/secretsmanager": "Secrets Manager",
  "alias/aws/ssm": "SSM",
};

const MANAGED_ROTATION_DAYS = 365;
const DEFAULT_PENDING_WINDOW = 30;

export const keyArn = (scope: Scope, keyId: string) => arn("kms", scope, `key/${keyId}`);
export const aliasArn = (scope: Scope, name: string) => arn("kms", scope, name);
const scopeOf = (k: KeyRow): Scope => ({ accountId: k.account, region: k.region });

export function defaultPolicy(accountId: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Id: "key-default-1",
    Statement: [
      { Sid: "Enable IAM User Permissions", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${accountId}:root` }, Action: "kms:*", Resource: "*" },
    ],
  });
}

function managedPolicy(scope: Scope, service: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Id: `auto-${service}-1`,
    Statement: [
      {
        Sid: `Allow access through ${service} for all principals in the account that are authorized to use ${service}`,
        Effect: "Allow",
        Principal: { AWS: "*" },
        Action: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant", "kms:DescribeKey"],
        Resource: "*",
        Condition: { StringEquals: { "kms:CallerAccount": scope.accountId, "kms:ViaService": `${service}.${scope.region}.amazonaws.com` } },
      },
      {
        Sid: "Allow direct access to key metadata to the account",
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam::${scope.accountId}:root` },
        Action: ["kms:Describe*", "kms:Get*", "kms:List*", "kms:RevokeGrant"],
        Resource: "*",
      },
    ],
  });
}

export function checkPolicy(policy: string): void {
  if (policy.length < 1 || policy.length > 131072)
    throw constraint(undefined, "policy", "Member must have length less than or equal to 131072");
  let doc: unknown;
  try {
    doc = JSON.parse(policy);
  } catch {
    throw malformedPolicy("The new key policy will not allow you to update the key policy in the future.");
  }
  if (typeof doc !== "object" || doc === null || !("Statement" in doc)) throw malformedPolicy("Policy document is missing a Statement.");
}

export class Keys {
  readonly #deps: KmsDeps;
  readonly #repo: KmsRepo;
  /** Unwrapped key material, by key ARN and material id (unwrapping on every call would be wasted work). */
  readonly #materials = new Map<string, KeyObject>();

  constructor(deps: KmsDeps, repo: KmsRepo) {
    this.#deps = deps;
    this.#repo = repo;
  }

  // ---- naming a key ----

  /**
   * The key a request names. `aliases` says whether alias names and alias ARNs are accepted
   * (crypto operations and DescribeKey) or only key ids and key ARNs (lifecycle operations).
   * A predefined AWS alias (alias/aws/…) that has no key yet gets its AWS managed key now, as
   * KMS does when such an alias is first used.
   */
  resolve(scope: Scope, keyId: string | undefined, opts: { aliases: boolean }): KeyRow {
    const id = keyId ?? "";
    if (id.length < 1 || id.length > 2048) throw constraint(id, "keyId", "Member must have length between 1 and 2048");
    let s = scope;
    let ref = id;
    if (id.startsWith("arn:")) {
      const p = parseArn(id);
      if (p?.service !== "kms" || !(p.resource.startsWith("key/") || p.resource.startsWith("alias/"))) throw invalidKeyId(id);
      if (p.region !== scope.region) throw invalidArn(p.region);
      s = { accountId: p.accountId, region: p.region };
      ref = p.resource.startsWith("key/") ? p.resource.slice(4) : p.resource;
    }
    if (ref.startsWith("alias/")) {
      if (!opts.aliases) throw invalidKeyId(id);
      const target = this.#repo.alias(s, ref)?.target_key_id;
      if (target === undefined) {
        if (MANAGED_KEYS[ref] !== undefined && s.accountId === scope.accountId) return this.managed(s, ref);
        throw aliasNotFound(aliasArn(s, ref));
      }
      const k = this.#live(s, target);
      if (!k) throw keyNotFound(keyArn(s, target));
      return k;
    }
    if (!KEY_ID.test(ref)) throw invalidKeyId(id);
    const k = this.#live(s, ref);
    if (!k) throw keyNotFound(keyArn(s, ref));
    return k;
  }

  /** A key that exists and whose deletion date (if any) has not passed. */
  #live(scope: Scope, keyId: string): KeyRow | undefined {
    const k = this.#repo.key(scope, keyId);
    if (!k) return undefined;
    if (k.state === "PendingDeletion" && k.deletion_date !== null && k.deletion_date <= this.#deps.clock.now()) return undefined;
    return k;
  }

  /** The key if it may encrypt and decrypt now; else DisabledException / KMSInvalidStateException. */
  usable(k: KeyRow): KeyRow {
    if (k.state === "Disabled") throw disabled(k.arn);
    if (k.state === "PendingDeletion") throw pendingDeletion(k.arn);
    return k;
  }

  /** The AWS managed key behind a predefined alias, created (with its alias) on first use. */
  managed(scope: Scope, alias: string): KeyRow {
    const service = MANAGED_KEYS[alias];
    if (service === undefined) throw aliasNotFound(aliasArn(scope, alias));
    return this.#deps.store.tx(() => {
      const existing = this.#repo.alias(scope, alias);
      if (existing) {
        const k = this.#live(scope, existing.target_key_id);
        if (k) return k;
      }
      const now = this.#deps.clock.now();
      const k = this.#insert(scope, {
        manager: "AWS",
        description: `Default key that protects my ${service} data when no other key is defined`,
        policy: managedPolicy(scope, alias.slice("alias/aws/".length)),
        rotationPeriod: MANAGED_ROTATION_DAYS,
      });
      if (existing) this.#repo.retarget(scope, alias, k.key_id, now);
      else this.#repo.insertAlias({ account: scope.accountId, region: scope.region, name: alias, target_key_id: k.key_id, created_at: now, updated_at: now });
      return k;
    });
  }

  // ---- lifecycle ----

  create(scope: Scope, input: kms.CreateKeyRequest): KeyRow {
    const spec = input.KeySpec ?? input.CustomerMasterKeySpec ?? "SYMMETRIC_DEFAULT";
    if (input.KeySpec !== undefined && input.CustomerMasterKeySpec !== undefined)
      throw validation("You cannot specify KeySpec and CustomerMasterKeySpec in the same request. CustomerMasterKeySpec is deprecated.");
    if (spec !== "SYMMETRIC_DEFAULT")
      throw unsupported(`Slipway's KMS makes only symmetric encryption keys (KeySpec SYMMETRIC_DEFAULT); KeySpec ${spec} is not supported.`);
    const usage = input.KeyUsage ?? "ENCRYPT_DECRYPT";
    if (usage !== "ENCRYPT_DECRYPT") throw validation(`KeyUsage ${usage} is not compatible with KeySpec SYMMETRIC_DEFAULT`);
    if ((input.Origin ?? "AWS_KMS") !== "AWS_KMS")
      throw unsupported(`Slipway's KMS makes only keys with Origin AWS_KMS; Origin ${input.Origin} (imported or external key material) is not supported.`);
    if (input.CustomKeyStoreId !== undefined || input.XksKeyId !== undefined)
      throw unsupported("Slipway's KMS has no custom key stores (CustomKeyStoreId, XksKeyId).");
    if (input.MultiRegion) throw unsupported("Slipway's KMS does not make multi-Region keys (MultiRegion true).");
    const description = input.Description ?? "";
    if (description.length > 8192) throw constraint(description, "description", "Member must have length less than or equal to 8192");
    if (input.Policy !== undefined) checkPolicy(input.Policy);
    return this.#insert(scope, { manager: "CUSTOMER", description, policy: input.Policy ?? defaultPolicy(scope.accountId), rotationPeriod: null });
  }

  #insert(scope: Scope, o: { manager: string; description: string; policy: string; rotationPeriod: number | null }): KeyRow {
    const now = this.#deps.clock.now();
    const keyId = this.#deps.ids.uuid();
    const materialId = randomBytes(32).toString("hex");
    const row: KeyRow = {
      account: scope.accountId,
      region: scope.region,
      key_id: keyId,
      arn: keyArn(scope, keyId),
      manager: o.manager,
      description: o.description,
      key_usage: "ENCRYPT_DECRYPT",
      key_spec: "SYMMETRIC_DEFAULT",
      origin: "AWS_KMS",
      state: "Enabled",
      created_at: now,
      deletion_date: null,
      pending_window: null,
      policy: o.policy,
      rotation_period: o.rotationPeriod,
      next_rotation: o.rotationPeriod === null ? null : now + o.rotationPeriod * DAY_MS,
      current_material: materialId,
    };
    this.#deps.store.tx(() => {
      this.#repo.insertKey(row);
      this.#addMaterial(row.arn, materialId, null);
    });
    return row;
  }

  #addMaterial(keyArnValue: string, materialId: string, rotationType: string | null): void {
    const material = randomBytes(32);
    this.#repo.insertMaterial({
      key_arn: keyArnValue,
      material_id: materialId,
      wrapped: this.#deps.masterKey.wrap(material, `${keyArnValue}/${materialId}`),
      created_at: this.#deps.clock.now(),
      rotation_type: rotationType,
    });
    this.#materials.set(`${keyArnValue}/${materialId}`, createSecretKey(material));
  }

  /** The plaintext material of a key's version, or undefined when that key never had it. */
  material(k: KeyRow, materialId: string): KeyObject | undefined {
    const label = `${k.arn}/${materialId}`;
    const cached = this.#materials.get(label);
    if (cached) return cached;
    const row = this.#repo.material(k.arn, materialId);
    if (!row) return undefined;
    const m = createSecretKey(this.#deps.masterKey.unwrap(row.wrapped, label));
    this.#materials.set(label, m);
    return m;
  }

  describe(scope: Scope, keyId: string | undefined): kms.KeyMetadata {
    return this.metadata(this.resolve(scope, keyId, { aliases: true }));
  }

  metadata(k: KeyRow): kms.KeyMetadata {
    const md: kms.KeyMetadata = {
      AWSAccountId: k.account,
      KeyId: k.key_id,
      Arn: k.arn,
      CreationDate: new Date(k.created_at),
      Enabled: k.state === "Enabled",
      Description: k.description,
      KeyUsage: k.key_usage as kms.KeyUsageType,
      KeyState: k.state,
    };
    if (k.deletion_date !== null) md.DeletionDate = new Date(k.deletion_date);
    Object.assign(md, {
      Origin: k.origin,
      KeyManager: k.manager,
      CustomerMasterKeySpec: k.key_spec,
      KeySpec: k.key_spec,
      EncryptionAlgorithms: ["SYMMETRIC_DEFAULT"],
      MultiRegion: false,
    });
    if (k.pending_window !== null) md.PendingDeletionWindowInDays = k.pending_window;
    md.CurrentKeyMaterialId = k.current_material;
    return md;
  }

  list(scope: Scope): KeyRow[] {
    const now = this.#deps.clock.now();
    return this.#repo.keys(scope).filter((k) => !(k.state === "PendingDeletion" && k.deletion_date !== null && k.deletion_date <= now));
  }

  #customer(scope: Scope, keyId: string | undefined, operation: string): KeyRow {
    const k = this.resolve(scope, keyId, { aliases: false });
    if (k.manager === "AWS") throw unsupported(`${operation} is not allowed on the AWS managed key ${k.arn}.`);
    return k;
  }

  enable(scope: Scope, keyId: string | undefined): void {
    this.#deps.store.tx(() => {
      const k = this.#customer(scope, keyId, "EnableKey");
      if (k.state === "PendingDeletion") throw pendingDeletion(k.arn);
      this.#repo.setState(k.arn, "Enabled", null, null);
    });
  }

  disable(scope: Scope, keyId: string | undefined): void {
    this.#deps.store.tx(() => {
      const k = this.#customer(scope, keyId, "DisableKey");
      if (k.state === "PendingDeletion") throw pendingDeletion(k.arn);
      this.#repo.setState(k.arn, "Disabled", null, null);
    });
  }

  scheduleDeletion(scope: Scope, input: kms.ScheduleKeyDeletionRequest): kms.ScheduleKeyDeletionResponse {
    const days = input.PendingWindowInDays ?? DEFAULT_PENDING_WINDOW;
    if (!Number.isInteger(days) || days < 7 || days > 30)
      throw constraint(days, "pendingWindowInDays", `Member must have value ${days < 7 ? "greater than or equal to 7" : "less than or equal to 30"}`);
    return this.#deps.store.tx(() => {
      const k = this.#customer(scope, input.KeyId, "ScheduleKeyDeletion");
      if (k.state === "PendingDeletion") throw pendingDeletion(k.arn);
      const deletionDate = this.#deps.clock.now() + days * DAY_MS;
      this.#repo.setState(k.arn, "PendingDeletion", deletionDate, days);
      return { KeyId: k.arn, DeletionDate: new Date(deletionDate), KeyState: "PendingDeletion", PendingWindowInDays: days };
    });
  }

  /** A cancelled deletion leaves the key Disabled, not Enabled (CancelKeyDeletion's documented rule). */
  cancelDeletion(scope: Scope, keyId: string | undefined): string {
    return this.#deps.store.tx(() => {
      const k = this.#customer(scope, keyId, "CancelKeyDeletion");
      if (k.state !== "PendingDeletion") throw notPendingDeletion(k.arn);
      this.#repo.setState(k.arn, "Disabled", null, null);
      return k.arn;
    });
  }

  updateDescription(scope: Scope, keyId: string | undefined, description: string | undefined): void {
    const d = description ?? "";
    if (d.length > 8192) throw constraint(d, "description", "Member must have length less than or equal to 8192");
    this.#deps.store.tx(() => {
      const k = this.#customer(scope, keyId, "UpdateKeyDescription");
      if (k.state === "PendingDeletion") throw pendingDeletion(k.arn);
      this.#repo.setDescription(k.arn, d);
    });
  }

  // ---- policy ----

  getPolicy(scope: Scope, keyId: string | undefined, policyName: string | undefined): kms.GetKeyPolicyResponse {
    const k = this.resolve(scope, keyId, { aliases: false });
    checkPolicyName(policyName);
    return { Policy: k.policy, PolicyName: "default" };
  }

  putPolicy(scope: Scope, input: kms.PutKeyPolicyRequest): void {
    checkPolicyName(input.PolicyName);
    checkPolicy(input.Policy ?? "");
    this.#deps.store.tx(() => {
      const k = this.#customer(scope, input.KeyId, "PutKeyPolicy");
      if (k.state === "PendingDeletion") throw pendingDeletion(k.arn);
      this.#repo.setPolicy(k.arn, input.Policy!);
    });
  }

  // ---- rotation ----

  #rotatable(k: KeyRow): void {
    if (k.state === "Disabled") throw disabled(k.arn);
    if (k.state === "PendingDeletion") throw pendingDeletion(k.arn);
  }

  enableRotation(scope: Scope, keyId: string | undefined, period: number | undefined): void {
    const days = period ?? 365;
    if (!Number.isInteger(days) || days < 90 || days > 2560)
      throw constraint(days, "rotationPeriodInDays", `Member must have value ${days < 90 ? "greater than or equal to 90" : "less than or equal to 2560"}`);
    this.#deps.store.tx(() => {
      const k = this.#customer(scope, keyId, "EnableKeyRotation");
      this.#rotatable(k);
      this.#repo.setRotation(k.arn, days, this.#deps.clock.now() + days * DAY_MS);
    });
  }

  disableRotation(scope: Scope, keyId: string | undefined): void {
    this.#deps.store.tx(() => {
      const k = this.#customer(scope, keyId, "DisableKeyRotation");
      this.#rotatable(k);
      this.#repo.setRotation(k.arn, null, null);
    });
  }

  rotationStatus(scope: Scope, keyId: string | undefined): kms.GetKeyRotationStatusResponse {
    const k = this.resolve(scope, keyId, { aliases: false });
    if (k.state === "PendingDeletion") throw pendingDeletion(k.arn);
    const out: kms.GetKeyRotationStatusResponse = { KeyId: k.arn, KeyRotationEnabled: k.rotation_period !== null };
    if (k.rotation_period !== null) {
      out.RotationPeriodInDays = k.rotation_period;
      out.NextRotationDate = new Date(k.next_rotation!);
    }
    return out;
  }

  rotateOnDemand(scope: Scope, keyId: string | undefined): string {
    return this.#deps.store.tx(() => {
      const k = this.#customer(scope, keyId, "RotateKeyOnDemand");
      this.#rotatable(k);
      this.#rotate(k, "ON_DEMAND");
      return k.arn;
    });
  }

  #rotate(k: KeyRow, type: "AUTOMATIC" | "ON_DEMAND"): void {
    const materialId = randomBytes(32).toString("hex");
    this.#addMaterial(k.arn, materialId, type);
    this.#repo.setCurrentMaterial(k.arn, materialId);
  }

  rotations(scope: Scope, keyId: string | undefined): kms.RotationsListEntry[] {
    const k = this.resolve(scope, keyId, { aliases: false });
    return this.#repo
      .materials(k.arn)
      .filter((m) => m.rotation_type !== null)
      .map((m) => ({ KeyId: k.arn, KeyMaterialId: m.material_id, RotationDate: new Date(m.created_at), RotationType: m.rotation_type as kms.RotationType }));
  }

  /** One pass (scheduled by src/server/background.ts): rotates keys whose rotation date has come. */
  rotateDue(): number {
    const now = this.#deps.clock.now();
    let n = 0;
    this.#deps.store.tx(() => {
      for (const k of this.#repo.rotationsDue(now)) {
        this.#rotate(k, "AUTOMATIC");
        this.#repo.setRotation(k.arn, k.rotation_period, k.next_rotation! + k.rotation_period! * DAY_MS);
        n++;
      }
    });
    return n;
  }

  /** One pass: deletes keys (material, aliases) whose deletion date has passed. */
  purgeDeleted(): number {
    const now = this.#deps.clock.now();
    let n = 0;
    this.#deps.store.tx(() => {
      for (const k of this.#repo.deletionsDue(now)) {
        this.#repo.deleteAliasesOf(scopeOf(k), k.key_id);
        this.#repo.deleteKey(k.arn);
        for (const label of [...this.#materials.keys()]) if (label.startsWith(`${k.arn}/`)) this.#materials.delete(label);
        n++;
      }
    });
    return n;
  }
}

function checkPolicyName(name: string | undefined): void {
  // "default" is the only policy name a key has.
  if (name !== undefined && name !== "default") throw policyNotFound(name);
}
