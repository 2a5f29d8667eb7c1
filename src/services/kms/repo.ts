/** The KMS SQL (tables from migration 20 "kms"). Synchronous; callers own transactions. */
import type { Scope } from "../../core/arn.ts";
import type { Store } from "../../store/store.ts";

export type KeyState = "Enabled" | "Disabled" | "PendingDeletion";

export interface KeyRow {
  account: string;
  region: string;
  key_id: string;
  arn: string;
  /** CUSTOMER or AWS. */
  manager: string;
  description: string;
  key_usage: string;
  key_spec: string;
  origin: string;
  state: KeyState;
  created_at: number;
  deletion_date: number | null;
  pending_window: number | null;
  policy: string;
  /** Days between automatic rotations; null when rotation is off. */
  rotation_period: number | null;
  next_rotation: number | null;
  current_material: string;
}

export interface MaterialRow {
  key_arn: string;
  material_id: string;
  wrapped: Uint8Array;
  created_at: number;
  rotation_type: string | null;
}

export interface AliasRow {
  account: string;
  region: string;
  name: string;
  target_key_id: string;
  created_at: number;
  updated_at: number;
}

export class KmsRepo {
  readonly store: Store;

  constructor(store: Store) {
    this.store = store;
  }

  // ---- keys ----

  key(scope: Scope, keyId: string): KeyRow | undefined {
    return this.store.prepare("SELECT * FROM kms_keys WHERE account = ? AND region = ? AND key_id = ?").get(scope.accountId, scope.region, keyId) as
      | KeyRow
      | undefined;
  }

  keyByArn(arn: string): KeyRow | undefined {
    return this.store.prepare("SELECT * FROM kms_keys WHERE arn = ?").get(arn) as KeyRow | undefined;
  }

  insertKey(k: KeyRow): void {
    this.store
      .prepare(
        `INSERT INTO kms_keys (account, region, key_id, arn, manager, description, key_usage, key_spec, origin, state, created_at,
           deletion_date, pending_window, policy, rotation_period, next_rotation, current_material)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(k.account, k.region, k.key_id, k.arn, k.manager, k.description, k.key_usage, k.key_spec, k.origin, k.state, k.created_at,
        k.deletion_date, k.pending_window, k.policy, k.rotation_period, k.next_rotation, k.current_material);
  }

  /** Keys of a scope in creation order. */
  keys(scope: Scope): KeyRow[] {
    return this.store.prepare("SELECT * FROM kms_keys WHERE account = ? AND region = ? ORDER BY created_at, key_id").all(scope.accountId, scope.region) as unknown as KeyRow[];
  }

  setState(arn: string, state: KeyState, deletionDate: number | null, pendingWindow: number | null): void {
    this.store.prepare("UPDATE kms_keys SET state = ?, deletion_date = ?, pending_window = ? WHERE arn = ?").run(state, deletionDate, pendingWindow, arn);
  }

  setDescription(arn: string, description: string): void {
    this.store.prepare("UPDATE kms_keys SET description = ? WHERE arn = ?").run(description, arn);
  }

  setPolicy(arn: string, policy: string): void {
    this.store.prepare("UPDATE kms_keys SET policy = ? WHERE arn = ?").run(policy, arn);
  }

  setRotation(arn: string, period: number | null, next: number | null): void {
    this.store.prepare("UPDATE kms_keys SET rotation_period = ?, next_rotation = ? WHERE arn = ?").run(period, next, arn);
  }

  setCurrentMaterial(arn: string, materialId: string): void {
    this.store.prepare("UPDATE kms_keys SET current_material = ? WHERE arn = ?").run(materialId, arn);
  }

  /** Keys whose automatic rotation is due at `now`. */
  rotationsDue(now: number): KeyRow[] {
    return this.store.prepare("SELECT * FROM kms_keys WHERE state = 'Enabled' AND next_rotation IS NOT NULL AND next_rotation <= ?").all(now) as unknown as KeyRow[];
  }

  /** Keys whose deletion date has passed. */
  deletionsDue(now: number): KeyRow[] {
    return this.store.prepare("SELECT * FROM kms_keys WHERE state = 'PendingDeletion' AND deletion_date <= ?").all(now) as unknown as KeyRow[];
  }

  deleteKey(arn: string): void {
    // Material goes with the key (ON DELETE CASCADE): what it encrypted can never be read again.
    this.store.prepare("DELETE FROM kms_keys WHERE arn = ?").run(arn);
  }

  // ---- key material ----

  material(keyArn: string, materialId: string): MaterialRow | undefined {
    return this.store.prepare("SELECT * FROM kms_key_material WHERE key_arn = ? AND material_id = ?").get(keyArn, materialId) as MaterialRow | undefined;
  }

  materials(keyArn: string): MaterialRow[] {
    return this.store.prepare("SELECT * FROM kms_key_material WHERE key_arn = ? ORDER BY created_at, rowid").all(keyArn) as unknown as MaterialRow[];
  }

  insertMaterial(m: MaterialRow): void {
    this.store
      .prepare("INSERT INTO kms_key_material (key_arn, material_id, wrapped, created_at, rotation_type) VALUES (?, ?, ?, ?, ?)")
      .run(m.key_arn, m.material_id, m.wrapped, m.created_at, m.rotation_type);
  }

  // ---- aliases ----

  alias(scope: Scope, name: string): AliasRow | undefined {
    return this.store.prepare("SELECT * FROM kms_aliases WHERE account = ? AND region = ? AND name = ?").get(scope.accountId, scope.region, name) as
      | AliasRow
      | undefined;
  }

  aliases(scope: Scope): AliasRow[] {
    return this.store.prepare("SELECT * FROM kms_aliases WHERE account = ? AND region = ? ORDER BY name").all(scope.accountId, scope.region) as unknown as AliasRow[];
  }

  aliasesOf(scope: Scope, keyId: string): AliasRow[] {
    return this.store
      .prepare("SELECT * FROM kms_aliases WHERE account = ? AND region = ? AND target_key_id = ? ORDER BY name")
      .all(scope.accountId, scope.region, keyId) as unknown as AliasRow[];
  }

  insertAlias(a: AliasRow): void {
    this.store
      .prepare("INSERT INTO kms_aliases (account, region, name, target_key_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)")
      .run(a.account, a.region, a.name, a.target_key_id, a.created_at, a.updated_at);
  }

  retarget(scope: Scope, name: string, keyId: string, at: number): void {
    this.store
      .prepare("UPDATE kms_aliases SET target_key_id = ?, updated_at = ? WHERE account = ? AND region = ? AND name = ?")
      .run(keyId, at, scope.accountId, scope.region, name);
  }

  deleteAlias(scope: Scope, name: string): void {
    this.store.prepare("DELETE FROM kms_aliases WHERE account = ? AND region = ? AND name = ?").run(scope.accountId, scope.region, name);
  }

  deleteAliasesOf(scope: Scope, keyId: string): void {
    this.store.prepare("DELETE FROM kms_aliases WHERE account = ? AND region = ? AND target_key_id = ?").run(scope.accountId, scope.region, keyId);
  }
}
