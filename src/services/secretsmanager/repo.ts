/** The Secrets Manager SQL (tables from migration 21 "secretsmanager"). Synchronous; callers own transactions. */
import type { Scope } from "../../core/arn.ts";
import type { Store } from "../../store/store.ts";

export interface SecretRow {
  account: string;
  region: string;
  name: string;
  arn: string;
  description: string | null;
  /** As the caller named it; null means the AWS managed key aws/secretsmanager. */
  kms_key_id: string | null;
  policy: string | null;
  /** JSON of Rotation, once rotation was ever configured. */
  rotation: string | null;
  created_at: number;
  last_changed: number;
  last_accessed: number | null;
  /** Set while the secret is scheduled for deletion: when it will be deleted. */
  deletion_date: number | null;
}

export interface VersionRow {
  secret_arn: string;
  version_id: string;
  seq: number;
  created_at: number;
  last_accessed: number | null;
  /** "string", "binary", or "none" (a version made by RotateSecret before its value exists). */
  kind: string;
  /** What ListSecretVersionIds shows in KmsKeyIds ("DefaultEncryptionKey" for the default key). */
  key_label: string | null;
  /** The data key, as KMS ciphertext. */
  data_key: Uint8Array | null;
  /** iv | ciphertext | tag of the value under the data key. */
  sealed: Uint8Array | null;
}

export class SecretsRepo {
  readonly store: Store;

  constructor(store: Store) {
    this.store = store;
  }

  // ---- secrets ----

  byName(scope: Scope, name: string): SecretRow | undefined {
    return this.store.prepare("SELECT * FROM sm_secrets WHERE account = ? AND region = ? AND name = ?").get(scope.accountId, scope.region, name) as
      | SecretRow
      | undefined;
  }

  byArn(arn: string): SecretRow | undefined {
    return this.store.prepare("SELECT * FROM sm_secrets WHERE arn = ?").get(arn) as SecretRow | undefined;
  }

  list(scope: Scope): SecretRow[] {
    return this.store.prepare("SELECT * FROM sm_secrets WHERE account = ? AND region = ? ORDER BY created_at, rowid").all(scope.accountId, scope.region) as unknown as SecretRow[];
  }

  insert(r: SecretRow): void {
    this.store
      .prepare(
        `INSERT INTO sm_secrets (account, region, name, arn, description, kms_key_id, policy, rotation, created_at, last_changed, last_accessed, deletion_date)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(r.account, r.region, r.name, r.arn, r.description, r.kms_key_id, r.policy, r.rotation, r.created_at, r.last_changed, r.last_accessed, r.deletion_date);
  }

  update(arn: string, fields: Partial<Pick<SecretRow, "description" | "kms_key_id" | "policy" | "rotation" | "last_changed" | "last_accessed" | "deletion_date">>): void {
    const keys = Object.keys(fields) as (keyof typeof fields)[];
    if (keys.length === 0) return;
    this.store.prepare(`UPDATE sm_secrets SET ${keys.map((k) => `${k} = ?`).join(", ")} WHERE arn = ?`).run(...keys.map((k) => fields[k] ?? null), arn);
  }

  delete(arn: string): void {
    this.store.prepare("DELETE FROM sm_secrets WHERE arn = ?").run(arn);
  }

  deletionsDue(now: number): SecretRow[] {
    return this.store.prepare("SELECT * FROM sm_secrets WHERE deletion_date IS NOT NULL AND deletion_date <= ?").all(now) as unknown as SecretRow[];
  }

  // ---- versions ----

  version(secretArn: string, versionId: string): VersionRow | undefined {
    return this.store.prepare("SELECT * FROM sm_versions WHERE secret_arn = ? AND version_id = ?").get(secretArn, versionId) as VersionRow | undefined;
  }

  /** Versions in creation order. */
  versions(secretArn: string): VersionRow[] {
    return this.store.prepare("SELECT * FROM sm_versions WHERE secret_arn = ? ORDER BY seq").all(secretArn) as unknown as VersionRow[];
  }

  nextSeq(secretArn: string): number {
    return (this.store.prepare("SELECT COALESCE(MAX(seq), 0) + 1 AS n FROM sm_versions WHERE secret_arn = ?").get(secretArn) as { n: number }).n;
  }

  insertVersion(v: VersionRow): void {
    this.store
      .prepare(
        "INSERT INTO sm_versions (secret_arn, version_id, seq, created_at, last_accessed, kind, key_label, data_key, sealed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      )
      .run(v.secret_arn, v.version_id, v.seq, v.created_at, v.last_accessed, v.kind, v.key_label, v.data_key, v.sealed);
  }

  setValue(secretArn: string, versionId: string, kind: string, keyLabel: string, dataKey: Uint8Array, sealed: Uint8Array): void {
    this.store
      .prepare("UPDATE sm_versions SET kind = ?, key_label = ?, data_key = ?, sealed = ? WHERE secret_arn = ? AND version_id = ?")
      .run(kind, keyLabel, dataKey, sealed, secretArn, versionId);
  }

  touchVersion(secretArn: string, versionId: string, day: number): void {
    this.store.prepare("UPDATE sm_versions SET last_accessed = ? WHERE secret_arn = ? AND version_id = ?").run(day, secretArn, versionId);
  }

  deleteVersion(secretArn: string, versionId: string): void {
    this.store.prepare("DELETE FROM sm_versions WHERE secret_arn = ? AND version_id = ?").run(secretArn, versionId);
  }

  // ---- staging labels ----

  /** Label → version id. */
  stages(secretArn: string): Map<string, string> {
    const rows = this.store.prepare("SELECT stage, version_id FROM sm_stages WHERE secret_arn = ? ORDER BY stage").all(secretArn) as {
      stage: string;
      version_id: string;
    }[];
    return new Map(rows.map((r) => [r.stage, r.version_id]));
  }

  stageHolder(secretArn: string, stage: string): string | undefined {
    return (this.store.prepare("SELECT version_id FROM sm_stages WHERE secret_arn = ? AND stage = ?").get(secretArn, stage) as { version_id: string } | undefined)
      ?.version_id;
  }

  setStage(secretArn: string, stage: string, versionId: string): void {
    this.store
      .prepare("INSERT INTO sm_stages (secret_arn, stage, version_id) VALUES (?, ?, ?) ON CONFLICT (secret_arn, stage) DO UPDATE SET version_id = excluded.version_id")
      .run(secretArn, stage, versionId);
  }

  removeStage(secretArn: string, stage: string): void {
    this.store.prepare("DELETE FROM sm_stages WHERE secret_arn = ? AND stage = ?").run(secretArn, stage);
  }
}
