/** The SSM Parameter Store SQL (tables from migration 22 "ssm"). Synchronous; callers own transactions. */
import type { Scope } from "../../core/arn.ts";
import type { Store } from "../../store/store.ts";

export interface ParameterRow {
  account: string;
  region: string;
  /** The name without its leading "/". */
  key: string;
  /** The name as first written. */
  name: string;
  /** The latest version. */
  version: number;
}

export interface VersionRow {
  account: string;
  region: string;
  key: string;
  version: number;
  type: string;
  /** String and StringList values; null for SecureString. */
  value: string | null;
  /** SecureString values: KMS ciphertext. */
  blob: Uint8Array | null;
  key_id: string | null;
  description: string | null;
  allowed_pattern: string | null;
  tier: string;
  data_type: string;
  modified_at: number;
  modified_user: string;
}

export class SsmRepo {
  readonly store: Store;

  constructor(store: Store) {
    this.store = store;
  }

  parameter(scope: Scope, key: string): ParameterRow | undefined {
    return this.store.prepare("SELECT * FROM ssm_parameters WHERE account = ? AND region = ? AND key = ?").get(scope.accountId, scope.region, key) as
      | ParameterRow
      | undefined;
  }

  /** Parameters of a scope in key order. */
  parameters(scope: Scope): ParameterRow[] {
    return this.store.prepare("SELECT * FROM ssm_parameters WHERE account = ? AND region = ? ORDER BY key").all(scope.accountId, scope.region) as unknown as ParameterRow[];
  }

  /** Parameters whose key starts with `prefix` (a path), in key order. */
  under(scope: Scope, prefix: string): ParameterRow[] {
    if (prefix === "") return this.parameters(scope);
    return this.store
      .prepare("SELECT * FROM ssm_parameters WHERE account = ? AND region = ? AND key >= ? AND key < ? ORDER BY key")
      .all(scope.accountId, scope.region, prefix, `${prefix}\uffff`) as unknown as ParameterRow[];
  }

  upsertParameter(scope: Scope, key: string, name: string, version: number): void {
    this.store
      .prepare(
        "INSERT INTO ssm_parameters (account, region, key, name, version) VALUES (?, ?, ?, ?, ?) ON CONFLICT (account, region, key) DO UPDATE SET version = excluded.version",
      )
      .run(scope.accountId, scope.region, key, name, version);
  }

  deleteParameter(scope: Scope, key: string): void {
    this.store.prepare("DELETE FROM ssm_parameters WHERE account = ? AND region = ? AND key = ?").run(scope.accountId, scope.region, key);
  }

  version(scope: Scope, key: string, version: number): VersionRow | undefined {
    return this.store
      .prepare("SELECT * FROM ssm_versions WHERE account = ? AND region = ? AND key = ? AND version = ?")
      .get(scope.accountId, scope.region, key, version) as VersionRow | undefined;
  }

  /** Every version of a parameter, oldest first. */
  versions(scope: Scope, key: string): VersionRow[] {
    return this.store
      .prepare("SELECT * FROM ssm_versions WHERE account = ? AND region = ? AND key = ? ORDER BY version")
      .all(scope.accountId, scope.region, key) as unknown as VersionRow[];
  }

  insertVersion(v: VersionRow): void {
    this.store
      .prepare(
        `INSERT INTO ssm_versions (account, region, key, version, type, value, blob, key_id, description, allowed_pattern, tier, data_type, modified_at, modified_user)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(v.account, v.region, v.key, v.version, v.type, v.value, v.blob, v.key_id, v.description, v.allowed_pattern, v.tier, v.data_type, v.modified_at, v.modified_user);
  }

  deleteVersion(scope: Scope, key: string, version: number): void {
    this.store.prepare("DELETE FROM ssm_versions WHERE account = ? AND region = ? AND key = ? AND version = ?").run(scope.accountId, scope.region, key, version);
  }

  /** Label → version for one parameter. */
  labels(scope: Scope, key: string): Map<string, number> {
    const rows = this.store
      .prepare("SELECT label, version FROM ssm_labels WHERE account = ? AND region = ? AND key = ? ORDER BY label")
      .all(scope.accountId, scope.region, key) as { label: string; version: number }[];
    return new Map(rows.map((r) => [r.label, r.version]));
  }

  setLabel(scope: Scope, key: string, label: string, version: number): void {
    this.store
      .prepare(
        "INSERT INTO ssm_labels (account, region, key, label, version) VALUES (?, ?, ?, ?, ?) ON CONFLICT (account, region, key, label) DO UPDATE SET version = excluded.version",
      )
      .run(scope.accountId, scope.region, key, label, version);
  }

  removeLabel(scope: Scope, key: string, label: string): void {
    this.store.prepare("DELETE FROM ssm_labels WHERE account = ? AND region = ? AND key = ? AND label = ?").run(scope.accountId, scope.region, key, label);
  }
}
