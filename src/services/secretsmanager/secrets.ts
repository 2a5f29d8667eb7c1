/**
 * Secrets: how a request names one (name, full ARN, or partial ARN without the random suffix), and
 * their lifecycle: create, update, describe, list, delete with a recovery window (or at once),
 * restore. Rules from the API reference:
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_DeleteSecret.html
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_ListSecrets.html
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/troubleshoot.html#ARN_secretnamehyphen
 */
import type * as sm from "@aws-sdk/client-secrets-manager";
import { arn, parseArn, type Scope } from "../../core/arn.ts";
import { offsetPage } from "../common/paginate.ts";
import type { Tag, Tagging } from "../common/tagging.ts";
import { DAY_MS, type SecretsManagerDeps } from "./context.ts";
import {
  alreadyMarkedDeleted,
  constraint,
  invalidName,
  invalidNextToken,
  invalidParameter,
  invalidRequest,
  markedForDeletion,
  scheduledForDeletion,
  secretExists,
  secretNotFound,
  tokenInUse,
  tokenRequired,
} from "./errors.ts";
import type { SecretRow, SecretsRepo } from "./repo.ts";
import { type SecretValue, type Values, valueIn } from "./values.ts";

const NAME = /^[A-Za-z0-9/_+=.@-]+$/;
const SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const DEFAULT_RECOVERY_DAYS = 30;

export interface Rotation {
  lambdaArn?: string;
  rules?: sm.RotationRulesType;
  enabled: boolean;
  lastRotated?: number;
}

export function checkName(name: string | undefined, member = "name"): string {
  const n = name ?? "";
  if (n.length < 1 || n.length > 512) throw constraint(n, member, `Member must have length ${n.length < 1 ? "greater than or equal to 1" : "less than or equal to 512"}`);
  if (!NAME.test(n)) throw invalidName();
  return n;
}

/** ClientRequestToken: 32 to 64 characters, any text (Terraform sends "terraform-2026…"). */
export function checkToken(token: string | undefined, required: boolean): string | undefined {
  if (token === undefined) {
    if (required) throw tokenRequired();
    return undefined;
  }
  if (token.length < 32 || token.length > 64)
    throw constraint(token, "clientRequestToken", `Member must have length ${token.length < 32 ? "greater than or equal to 32" : "less than or equal to 64"}`);
  return token;
}

function checkDescription(d: string | undefined): void {
  if (d !== undefined && d.length > 2048) throw constraint(d, "description", "Member must have length less than or equal to 2048");
}

export class Secrets {
  readonly #deps: SecretsManagerDeps;
  readonly #repo: SecretsRepo;
  readonly #values: Values;
  readonly #tagging: Tagging;

  constructor(deps: SecretsManagerDeps, repo: SecretsRepo, values: Values, tagging: Tagging) {
    this.#deps = deps;
    this.#repo = repo;
    this.#values = values;
    this.#tagging = tagging;
  }

  // ---- naming a secret ----

  /** The secret a SecretId names, or undefined. Rules in order: exact ARN, exact name, partial ARN. */
  find(scope: Scope, secretId: string | undefined): SecretRow | undefined {
    const id = secretId ?? "";
    if (id.length < 1 || id.length > 2048)
      throw constraint(id, "secretId", `Member must have length ${id.length < 1 ? "greater than or equal to 1" : "less than or equal to 2048"}`);
    let row: SecretRow | undefined;
    if (id.startsWith("arn:")) {
      row = this.#repo.byArn(id);
      if (!row) {
        const p = parseArn(id);
        if (p?.service === "secretsmanager" && p.resource.startsWith("secret:"))
          row = this.#repo.byName({ accountId: p.accountId, region: p.region }, p.resource.slice("secret:".length));
      }
    } else {
      if (!NAME.test(id)) throw invalidName();
      row = this.#repo.byName(scope, id);
    }
    return row && this.#expire(row);
  }

  /** A secret whose recovery window has passed is deleted now (the periodic purge may not have run yet). */
  #expire(row: SecretRow): SecretRow | undefined {
    if (row.deletion_date === null || row.deletion_date > this.#deps.clock.now()) return row;
    this.#remove(row);
    return undefined;
  }

  #remove(row: SecretRow): void {
    this.#deps.store.tx(() => {
      this.#repo.delete(row.arn);
      this.#tagging.clear(row.arn);
    });
  }

  /** The secret, or ResourceNotFoundException; one scheduled for deletion is refused unless `deleted` allows it. */
  get(scope: Scope, secretId: string | undefined, opts: { deleted?: boolean } = {}): SecretRow {
    const row = this.find(scope, secretId);
    if (!row) throw secretNotFound();
    if (row.deletion_date !== null && !opts.deleted) throw markedForDeletion();
    return row;
  }

  #newArn(scope: Scope, name: string): string {
    const bytes = Buffer.from(this.#deps.ids.hex(6), "hex");
    const suffix = [...bytes].map((b) => SUFFIX_ALPHABET[b % SUFFIX_ALPHABET.length]).join("");
    return arn("secretsmanager", scope, `secret:${name}-${suffix}`);
  }

  // ---- lifecycle ----

  create(scope: Scope, input: sm.CreateSecretRequest, tags: readonly Tag[]): sm.CreateSecretResponse {
    const name = checkName(input.Name);
    checkDescription(input.Description);
    if (input.AddReplicaRegions?.length) throw invalidRequest("Slipway does not replicate secrets to other Regions (AddReplicaRegions).");
    const value = valueIn(input);
    const token = checkToken(input.ClientRequestToken, value !== undefined);
    return this.#deps.store.tx(() => {
      const existing = this.find(scope, name);
      if (existing) {
        if (existing.deletion_date !== null) throw scheduledForDeletion();
        // A retry of the same request (same token, same value) succeeds with what it made.
        const v = token !== undefined && value ? this.#repo.version(existing.arn, token) : undefined;
        if (v && value && this.#values.same(existing, v, value)) return { ARN: existing.arn, Name: existing.name, VersionId: v.version_id };
        throw secretExists(name);
      }
      const now = this.#deps.clock.now();
      const row: SecretRow = {
        account: scope.accountId,
        region: scope.region,
        name,
        arn: this.#newArn(scope, name),
        description: input.Description ?? null,
        kms_key_id: input.KmsKeyId ?? null,
        policy: null,
        rotation: null,
        created_at: now,
        last_changed: now,
        last_accessed: null,
        deletion_date: null,
      };
      this.#repo.insert(row);
      this.#tagging.set(row.arn, tags);
      if (value && token) {
        this.#values.add(row, token, value, undefined);
        return { ARN: row.arn, Name: name, VersionId: token };
      }
      return { ARN: row.arn, Name: name };
    });
  }

  /** PutSecretValue / UpdateSecret with a value: a new version, or the same one again for a retried token. */
  putValue(row: SecretRow, token: string, value: SecretValue, stages: readonly string[] | undefined): { versionId: string; stages: string[] } {
    return this.#deps.store.tx(() => {
      const existing = this.#repo.version(row.arn, token);
      if (existing && existing.kind !== "none") {
        if (!this.#values.same(row, existing, value)) throw tokenInUse(token, row.arn);
        return { versionId: token, stages: this.#values.stagesOf(row.arn, token) };
      }
      this.#values.add(row, token, value, stages);
      this.#repo.update(row.arn, { last_changed: this.#deps.clock.now() });
      return { versionId: token, stages: this.#values.stagesOf(row.arn, token) };
    });
  }

  update(scope: Scope, input: sm.UpdateSecretRequest): sm.UpdateSecretResponse {
    checkDescription(input.Description);
    const value = valueIn(input);
    const token = checkToken(input.ClientRequestToken, value !== undefined);
    return this.#deps.store.tx(() => {
      const before = this.get(scope, input.SecretId);
      const after: SecretRow = { ...before };
      if (input.Description !== undefined) after.description = input.Description;
      // An empty KmsKeyId switches the secret back to the AWS managed key aws/secretsmanager.
      if (input.KmsKeyId !== undefined) after.kms_key_id = input.KmsKeyId === "" ? null : input.KmsKeyId;
      after.last_changed = this.#deps.clock.now();
      if (after.kms_key_id !== before.kms_key_id) this.#values.reencrypt(before, after);
      this.#repo.update(before.arn, { description: after.description, kms_key_id: after.kms_key_id, last_changed: after.last_changed });
      if (value && token) {
        const { versionId } = this.putValue(after, token, value, undefined);
        return { ARN: before.arn, Name: before.name, VersionId: versionId };
      }
      return { ARN: before.arn, Name: before.name };
    });
  }

  delete(scope: Scope, input: sm.DeleteSecretRequest): sm.DeleteSecretResponse {
    const force = input.ForceDeleteWithoutRecovery ?? false;
    if (force && input.RecoveryWindowInDays !== undefined)
      throw invalidParameter("You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.");
    const days = input.RecoveryWindowInDays ?? DEFAULT_RECOVERY_DAYS;
    if (!Number.isInteger(days) || days < 7 || days > 30) throw invalidParameter("The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).");
    const now = this.#deps.clock.now();
    return this.#deps.store.tx(() => {
      const row = this.find(scope, input.SecretId);
      if (!row) {
        // Forced deletion of a secret that does not exist succeeds (DeleteSecret's documented rule).
        if (!force) throw secretNotFound();
        const id = input.SecretId ?? "";
        return id.startsWith("arn:") ? { ARN: id, DeletionDate: new Date(now) } : { Name: id, DeletionDate: new Date(now) };
      }
      if (force) {
        this.#remove(row);
        return { ARN: row.arn, Name: row.name, DeletionDate: new Date(now) };
      }
      if (row.deletion_date !== null) throw alreadyMarkedDeleted();
      const deletionDate = now + days * DAY_MS;
      this.#repo.update(row.arn, { deletion_date: deletionDate });
      return { ARN: row.arn, Name: row.name, DeletionDate: new Date(deletionDate) };
    });
  }

  restore(scope: Scope, secretId: string | undefined): sm.RestoreSecretResponse {
    return this.#deps.store.tx(() => {
      const row = this.get(scope, secretId, { deleted: true });
      if (row.deletion_date !== null) this.#repo.update(row.arn, { deletion_date: null });
      return { ARN: row.arn, Name: row.name };
    });
  }

  /** One pass of the periodic job: secrets whose recovery window has passed are deleted. */
  purgeDeleted(): number {
    const due = this.#repo.deletionsDue(this.#deps.clock.now());
    for (const row of due) this.#remove(row);
    return due.length;
  }

  // ---- reading metadata ----

  describe(scope: Scope, secretId: string | undefined): sm.DescribeSecretResponse {
    const row = this.get(scope, secretId, { deleted: true });
    const out = this.#entry(row) as sm.DescribeSecretResponse & { SecretVersionsToStages?: unknown };
    const stages = out.SecretVersionsToStages as Record<string, string[]> | undefined;
    delete out.SecretVersionsToStages;
    if (stages) out.VersionIdsToStages = stages;
    return out;
  }

  /** The fields DescribeSecret and ListSecrets share (ListSecrets names the version map SecretVersionsToStages). */
  #entry(row: SecretRow): sm.SecretListEntry {
    const e: sm.SecretListEntry = { ARN: row.arn, Name: row.name };
    if (row.description !== null) e.Description = row.description;
    // The default key is not named (KmsKeyId is absent); a key the caller named is echoed as given.
    if (row.kms_key_id !== null) e.KmsKeyId = row.kms_key_id;
    const rotation = row.rotation ? (JSON.parse(row.rotation) as Rotation) : undefined;
    if (rotation) {
      e.RotationEnabled = rotation.enabled;
      if (rotation.lambdaArn) e.RotationLambdaARN = rotation.lambdaArn;
      if (rotation.rules) e.RotationRules = rotation.rules;
      if (rotation.lastRotated !== undefined) e.LastRotatedDate = new Date(rotation.lastRotated);
    }
    e.LastChangedDate = new Date(row.last_changed);
    if (row.last_accessed !== null) e.LastAccessedDate = new Date(row.last_accessed);
    if (row.deletion_date !== null) e.DeletedDate = new Date(row.deletion_date);
    const tags = this.#tagging.of(row.arn);
    if (tags.length) e.Tags = tags.map((t) => ({ Key: t.key, Value: t.value }));
    const stages = this.#values.stagesByVersion(row.arn);
    if (stages.size) e.SecretVersionsToStages = Object.fromEntries(stages);
    e.CreatedDate = new Date(row.created_at);
    return e;
  }

  list(scope: Scope, input: sm.ListSecretsRequest): sm.ListSecretsResponse {
    const max = input.MaxResults ?? 100;
    if (!Number.isInteger(max) || max < 1 || max > 100)
      throw constraint(max, "maxResults", `Member must have value ${max < 1 ? "greater than or equal to 1" : "less than or equal to 100"}`);
    const rows = this.matching(scope, input.Filters, input.IncludePlannedDeletion ?? false);
    const key = sortKey(input.SortBy ?? "created-date");
    const dir = input.SortOrder === "desc" ? -1 : 1;
    rows.sort((a, b) => {
      const x = key(a);
      const y = key(b);
      return x < y ? -dir : x > y ? dir : 0;
    });
    const page = offsetPage(rows, max, input.NextToken, invalidNextToken);
    const SecretList = page.items.map((r) => this.#entry(r));
    return page.next ? { SecretList, NextToken: page.next } : { SecretList };
  }

  /** Secrets of a scope that pass every filter (values of one filter are alternatives; "!" negates). */
  matching(scope: Scope, filters: readonly sm.Filter[] | undefined, includeDeleted: boolean): SecretRow[] {
    if ((filters?.length ?? 0) > 10) throw constraint(undefined, "filters", "Member must have length less than or equal to 10");
    const now = this.#deps.clock.now();
    return this.#repo.list(scope).filter((row) => {
      if (row.deletion_date !== null && (!includeDeleted || row.deletion_date <= now)) return false;
      return (filters ?? []).every((f) => this.#passes(row, f));
    });
  }

  #passes(row: SecretRow, f: sm.Filter): boolean {
    const values = f.Values ?? [];
    if (values.length > 10) throw constraint(undefined, "filters.member.values", "Member must have length less than or equal to 10");
    const tags = this.#tagging.of(row.arn);
    const matchesOne = (raw: string): boolean => {
      const negate = raw.startsWith("!");
      const v = negate ? raw.slice(1) : raw;
      let hit: boolean;
      switch (f.Key) {
        case "name":
          hit = row.name.startsWith(v);
          break;
        case "description":
          hit = (row.description ?? "").toLowerCase().startsWith(v.toLowerCase());
          break;
        case "tag-key":
          hit = tags.some((t) => t.key.startsWith(v));
          break;
        case "tag-value":
          hit = tags.some((t) => t.value.startsWith(v));
          break;
        case "primary-region":
          hit = row.region.startsWith(v);
          break;
        case "owning-service":
          hit = false;
          break;
        default: {
          const attrs = [row.name, row.description ?? "", ...tags.flatMap((t) => [t.key, t.value])].flatMap(words);
          hit = words(v).every((w) => attrs.some((a) => a.startsWith(w)));
        }
      }
      return negate ? !hit : hit;
    };
    return values.some(matchesOne);
  }

  // ---- versions listing ----

  listVersionIds(scope: Scope, input: sm.ListSecretVersionIdsRequest): sm.ListSecretVersionIdsResponse {
    const max = input.MaxResults ?? 100;
    if (!Number.isInteger(max) || max < 1 || max > 100)
      throw constraint(max, "maxResults", `Member must have value ${max < 1 ? "greater than or equal to 1" : "less than or equal to 100"}`);
    const row = this.get(scope, input.SecretId, { deleted: true });
    const stages = this.#values.stagesByVersion(row.arn);
    const versions = this.#repo
      .versions(row.arn)
      .filter((v) => input.IncludeDeprecated || stages.has(v.version_id))
      .map((v) => {
        const e: sm.SecretVersionsListEntry = { VersionId: v.version_id };
        const s = stages.get(v.version_id);
        if (s) e.VersionStages = s;
        if (v.last_accessed !== null) e.LastAccessedDate = new Date(v.last_accessed);
        e.CreatedDate = new Date(v.created_at);
        if (v.key_label !== null) e.KmsKeyIds = [v.key_label];
        return e;
      });
    const page = offsetPage(versions, max, input.NextToken, invalidNextToken);
    const out: sm.ListSecretVersionIdsResponse = { Versions: page.items, ARN: row.arn, Name: row.name };
    if (page.next) out.NextToken = page.next;
    return out;
  }

  /** Rotation state, written by RotateSecret / CancelRotateSecret. */
  setRotation(row: SecretRow, rotation: Rotation): void {
    this.#repo.update(row.arn, { rotation: JSON.stringify(rotation) });
  }

  setPolicy(row: SecretRow, policy: string | null): void {
    this.#repo.update(row.arn, { policy });
  }
}

function sortKey(by: string): (r: SecretRow) => string | number {
  switch (by) {
    case "name":
      return (r) => r.name;
    case "last-accessed-date":
      return (r) => r.last_accessed ?? 0;
    case "last-changed-date":
      return (r) => r.last_changed;
    default:
      return (r) => r.created_at;
  }
}

/** Search words: split at punctuation, case changes and letter/digit boundaries; lower case. */
function words(s: string): string[] {
  return s
    .split(/[^A-Za-z0-9]+|(?<=[a-z])(?=[A-Z])|(?<=[A-Za-z])(?=[0-9])|(?<=[0-9])(?=[A-Za-z])/)
    .filter(Boolean)
    .map((w) => w.toLowerCase());
}
