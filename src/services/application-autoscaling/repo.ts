/**
 * The Application Auto Scaling SQL (tables from migration 31): scalable targets, scaling policies,
 * scheduled actions and scaling activities, each stored as the document its Describe call returns.
 * Synchronous; callers own transactions.
 */
import type { StatementSync } from "node:sqlite";
import type { Scope } from "../../core/arn.ts";
import type { Store } from "../../store/store.ts";

/** A scalable target's identity. */
export interface TargetKey {
  readonly namespace: string;
  readonly resourceId: string;
  readonly dimension: string;
}

export class AasRepo {
  readonly store: Store;
  readonly #stmts = new Map<string, StatementSync>();

  constructor(store: Store) {
    this.store = store;
  }

  #q(sql: string): StatementSync {
    let s = this.#stmts.get(sql);
    if (!s) {
      s = this.store.prepare(sql);
      this.#stmts.set(sql, s);
    }
    return s;
  }

  // ---- targets ----

  getTarget(scope: Scope, k: TargetKey): string | undefined {
    const row = this.#q("SELECT doc FROM aas_targets WHERE account = ? AND region = ? AND namespace = ? AND resource_id = ? AND dimension = ?").get(
      scope.accountId,
      scope.region,
      k.namespace,
      k.resourceId,
      k.dimension,
    ) as { doc: string } | undefined;
    return row?.doc;
  }

  targetByArn(arn: string): { account: string; region: string; doc: string } | undefined {
    return this.#q("SELECT account, region, doc FROM aas_targets WHERE arn = ?").get(arn) as { account: string; region: string; doc: string } | undefined;
  }

  putTarget(scope: Scope, k: TargetKey, arn: string, doc: string): void {
    this.#q(
      `INSERT INTO aas_targets (account, region, namespace, resource_id, dimension, arn, doc) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (account, region, namespace, resource_id, dimension) DO UPDATE SET doc = excluded.doc`,
    ).run(scope.accountId, scope.region, k.namespace, k.resourceId, k.dimension, arn, doc);
  }

  deleteTarget(scope: Scope, k: TargetKey): void {
    const args = [scope.accountId, scope.region, k.namespace, k.resourceId, k.dimension];
    const where = "account = ? AND region = ? AND namespace = ? AND resource_id = ? AND dimension = ?";
    this.#q(`DELETE FROM aas_targets WHERE ${where}`).run(...args);
    this.#q(`DELETE FROM aas_policies WHERE ${where}`).run(...args);
    this.#q(`DELETE FROM aas_scheduled_actions WHERE ${where}`).run(...args);
  }

  listTargets(scope: Scope, namespace: string): string[] {
    return (
      this.#q("SELECT doc FROM aas_targets WHERE account = ? AND region = ? AND namespace = ? ORDER BY resource_id, dimension").all(
        scope.accountId,
        scope.region,
        namespace,
      ) as { doc: string }[]
    ).map((r) => r.doc);
  }

  // ---- policies ----

  getPolicy(scope: Scope, k: TargetKey, name: string): string | undefined {
    const row = this.#q(
      "SELECT doc FROM aas_policies WHERE account = ? AND region = ? AND namespace = ? AND resource_id = ? AND dimension = ? AND name = ?",
    ).get(scope.accountId, scope.region, k.namespace, k.resourceId, k.dimension, name) as { doc: string } | undefined;
    return row?.doc;
  }

  policyByArn(arn: string): { account: string; region: string; doc: string } | undefined {
    return this.#q("SELECT account, region, doc FROM aas_policies WHERE arn = ?").get(arn) as { account: string; region: string; doc: string } | undefined;
  }

  putPolicy(scope: Scope, k: TargetKey, name: string, arn: string, createdAt: number, doc: string): void {
    this.#q(
      `INSERT INTO aas_policies (account, region, namespace, resource_id, dimension, name, arn, created_at, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (account, region, namespace, resource_id, dimension, name) DO UPDATE SET doc = excluded.doc`,
    ).run(scope.accountId, scope.region, k.namespace, k.resourceId, k.dimension, name, arn, createdAt, doc);
  }

  deletePolicy(scope: Scope, k: TargetKey, name: string): void {
    this.#q("DELETE FROM aas_policies WHERE account = ? AND region = ? AND namespace = ? AND resource_id = ? AND dimension = ? AND name = ?").run(
      scope.accountId,
      scope.region,
      k.namespace,
      k.resourceId,
      k.dimension,
      name,
    );
  }

  /** Policies of a namespace (optionally one resource) in creation order. */
  listPolicies(scope: Scope, namespace: string, resourceId: string | undefined): string[] {
    return (
      this.#q(
        `SELECT doc FROM aas_policies WHERE account = ?1 AND region = ?2 AND namespace = ?3 AND (?4 IS NULL OR resource_id = ?4)
         ORDER BY created_at, name`,
      ).all(scope.accountId, scope.region, namespace, resourceId ?? null) as { doc: string }[]
    ).map((r) => r.doc);
  }

  // ---- scheduled actions ----

  getScheduled(scope: Scope, k: TargetKey, name: string): string | undefined {
    const row = this.#q(
      "SELECT doc FROM aas_scheduled_actions WHERE account = ? AND region = ? AND namespace = ? AND resource_id = ? AND dimension = ? AND name = ?",
    ).get(scope.accountId, scope.region, k.namespace, k.resourceId, k.dimension, name) as { doc: string } | undefined;
    return row?.doc;
  }

  putScheduled(scope: Scope, k: TargetKey, name: string, createdAt: number, nextRun: number | null, doc: string): void {
    this.#q(
      `INSERT INTO aas_scheduled_actions (account, region, namespace, resource_id, dimension, name, created_at, next_run, doc)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (account, region, namespace, resource_id, dimension, name) DO UPDATE SET doc = excluded.doc, next_run = excluded.next_run`,
    ).run(scope.accountId, scope.region, k.namespace, k.resourceId, k.dimension, name, createdAt, nextRun, doc);
  }

  deleteScheduled(scope: Scope, k: TargetKey, name: string): boolean {
    const res = this.#q(
      "DELETE FROM aas_scheduled_actions WHERE account = ? AND region = ? AND namespace = ? AND resource_id = ? AND dimension = ? AND name = ?",
    ).run(scope.accountId, scope.region, k.namespace, k.resourceId, k.dimension, name);
    return Number(res.changes) > 0;
  }

  listScheduled(scope: Scope, namespace: string, resourceId: string | undefined): string[] {
    return (
      this.#q(
        `SELECT doc FROM aas_scheduled_actions WHERE account = ?1 AND region = ?2 AND namespace = ?3 AND (?4 IS NULL OR resource_id = ?4)
         ORDER BY created_at, name`,
      ).all(scope.accountId, scope.region, namespace, resourceId ?? null) as { doc: string }[]
    ).map((r) => r.doc);
  }

  /** Scheduled actions due at `now` (ms), every scope. */
  dueScheduled(now: number): Array<{ account: string; region: string; doc: string }> {
    return this.#q("SELECT account, region, doc FROM aas_scheduled_actions WHERE next_run IS NOT NULL AND next_run <= ? ORDER BY next_run").all(
      now,
    ) as unknown as Array<{ account: string; region: string; doc: string }>;
  }

  // ---- activities ----

  addActivity(scope: Scope, k: TargetKey, id: string, startTime: number, scaled: boolean, doc: string): void {
    this.#q(
      `INSERT INTO aas_activities (id, account, region, namespace, resource_id, dimension, start_time, scaled, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET doc = excluded.doc`,
    ).run(id, scope.accountId, scope.region, k.namespace, k.resourceId, k.dimension, startTime, scaled ? 1 : 0, doc);
  }

  /** Activities newest first. */
  listActivities(scope: Scope, namespace: string, resourceId: string | undefined, includeNotScaled: boolean): string[] {
    return (
      this.#q(
        `SELECT doc FROM aas_activities WHERE account = ?1 AND region = ?2 AND namespace = ?3 AND (?4 IS NULL OR resource_id = ?4)
         AND (?5 = 1 OR scaled = 1) ORDER BY start_time DESC, rowid DESC`,
      ).all(scope.accountId, scope.region, namespace, resourceId ?? null, includeNotScaled ? 1 : 0) as { doc: string }[]
    ).map((r) => r.doc);
  }

  expireActivities(cutoff: number): number {
    return Number(this.#q("DELETE FROM aas_activities WHERE start_time < ?").run(cutoff).changes);
  }
}
