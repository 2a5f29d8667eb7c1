/**
 * The CloudWatch SQL (tables from migration 30 "cloudwatch"). Metrics are one row per
 * (namespace, name, dimension set); datapoints are aggregated buckets per (metric, resolution,
 * period start, unit), so storage grows with series × retained periods, never with samples.
 * Synchronous; callers own transactions.
 */
import type { StatementSync } from "node:sqlite";
import { mergePacked } from "./statistics.ts";
import type { Scope } from "../../core/arn.ts";
import type { Store } from "../../store/store.ts";

export interface MetricRow {
  id: number;
  namespace: string;
  name: string;
  /** Canonical JSON: [[name, value], …] sorted by name then value. */
  dims: string;
  last_ts: number;
}

export interface BucketRow {
  metric_id: number;
  ts: number;
  unit: string;
  count: number;
  sum: number;
  min: number;
  max: number;
  vals: Uint8Array | null;
}

export interface HistoryRow {
  id: number;
  alarm: string;
  alarm_type: string;
  ts: number;
  type: string;
  summary: string;
  data: string;
}

export class CloudWatchRepo {
  readonly store: Store;
  readonly #stmts = new Map<string, StatementSync>();

  constructor(store: Store) {
    this.store = store;
    // Merges two bucket value lists inside SQLite, so adding to a bucket is one upsert.
    store.db.function("cw_merge_vals", { deterministic: true }, (a, b) => mergePacked(a as Uint8Array | null, b as Uint8Array | null));
  }

  #q(sql: string): StatementSync {
    let s = this.#stmts.get(sql);
    if (!s) {
      s = this.store.prepare(sql);
      this.#stmts.set(sql, s);
    }
    return s;
  }

  // ---- metrics ----

  metricId(scope: Scope, namespace: string, name: string, dims: string): number | undefined {
    const row = this.#q("SELECT id FROM cw_metrics WHERE account = ? AND region = ? AND namespace = ? AND name = ? AND dims = ?").get(
      scope.accountId,
      scope.region,
      namespace,
      name,
      dims,
    ) as { id: number } | undefined;
    return row?.id;
  }

  /** The metric's id, created if new; `ts` (seconds) moves its last-seen time forward. */
  touchMetric(scope: Scope, namespace: string, name: string, dims: string, ts: number): number {
    const row = this.#q(
      `INSERT INTO cw_metrics (account, region, namespace, name, dims, last_ts) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (account, region, namespace, name, dims) DO UPDATE SET last_ts = MAX(last_ts, excluded.last_ts)
       RETURNING id`,
    ).get(scope.accountId, scope.region, namespace, name, dims, ts) as { id: number };
    return row.id;
  }

  /** Metrics of a scope, optionally of one namespace and/or name, ordered for stable paging. */
  listMetrics(scope: Scope, namespace: string | undefined, name: string | undefined): MetricRow[] {
    return this.#q(
      `SELECT id, namespace, name, dims, last_ts FROM cw_metrics
       WHERE account = ?1 AND region = ?2 AND (?3 IS NULL OR namespace = ?3) AND (?4 IS NULL OR name = ?4)
       ORDER BY namespace, name, dims`,
    ).all(scope.accountId, scope.region, namespace ?? null, name ?? null) as unknown as MetricRow[];
  }

  // ---- buckets ----

  /** Adds an aggregate to a bucket (created when new): counts and sums add, min/max widen, values merge. */
  addToBucket(metricId: number, res: number, ts: number, unit: string, b: Omit<BucketRow, "metric_id" | "ts" | "unit">): void {
    this.#q(
      `INSERT INTO cw_buckets (metric_id, res, ts, unit, count, sum, min, max, vals) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (metric_id, res, ts, unit) DO UPDATE SET count = count + excluded.count, sum = sum + excluded.sum,
         min = MIN(min, excluded.min), max = MAX(max, excluded.max), vals = cw_merge_vals(vals, excluded.vals)`,
    ).run(metricId, res, ts, unit, b.count, b.sum, b.min, b.max, b.vals);
  }

  /** Buckets of every metric at one resolution with start in [from, to), for roll-ups. */
  bucketsBetween(res: number, from: number, to: number): BucketRow[] {
    return this.#q("SELECT * FROM cw_buckets WHERE res = ? AND ts >= ? AND ts < ? ORDER BY metric_id, ts").all(res, from, to) as unknown as BucketRow[];
  }

  oldestBucket(res: number): number | undefined {
    const row = this.#q("SELECT MIN(ts) AS ts FROM cw_buckets WHERE res = ?").get(res) as { ts: number | null };
    return row.ts ?? undefined;
  }

  meta(key: string): number | undefined {
    return (this.#q("SELECT value FROM cw_meta WHERE key = ?").get(key) as { value: number } | undefined)?.value;
  }

  setMeta(key: string, value: number): void {
    this.#q("INSERT INTO cw_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(key, value);
  }

  /** Buckets of one metric at one resolution with start in [from, to) seconds, ascending. */
  buckets(metricId: number, res: number, from: number, to: number): BucketRow[] {
    return this.#q("SELECT * FROM cw_buckets WHERE metric_id = ? AND res = ? AND ts >= ? AND ts < ? ORDER BY ts").all(
      metricId,
      res,
      from,
      to,
    ) as unknown as BucketRow[];
  }

  /** Deletes buckets of resolution `res` that started before `cutoff` (seconds); returns how many. */
  expireBuckets(res: number, cutoff: number): number {
    return Number(this.#q("DELETE FROM cw_buckets WHERE res = ? AND ts < ?").run(res, cutoff).changes);
  }

  /** Forgets metrics without any bucket left. */
  dropEmptyMetrics(): number {
    return Number(this.#q("DELETE FROM cw_metrics WHERE NOT EXISTS (SELECT 1 FROM cw_buckets b WHERE b.metric_id = cw_metrics.id)").run().changes);
  }

  // ---- alarms ----

  getAlarm(scope: Scope, name: string): string | undefined {
    const row = this.#q("SELECT doc FROM cw_alarms WHERE account = ? AND region = ? AND name = ?").get(scope.accountId, scope.region, name) as
      | { doc: string }
      | undefined;
    return row?.doc;
  }

  putAlarm(scope: Scope, name: string, doc: string): void {
    this.#q("INSERT INTO cw_alarms (account, region, name, doc) VALUES (?, ?, ?, ?) ON CONFLICT (account, region, name) DO UPDATE SET doc = excluded.doc").run(
      scope.accountId,
      scope.region,
      name,
      doc,
    );
  }

  deleteAlarm(scope: Scope, name: string): boolean {
    return Number(this.#q("DELETE FROM cw_alarms WHERE account = ? AND region = ? AND name = ?").run(scope.accountId, scope.region, name).changes) > 0;
  }

  /** Alarm documents of a scope in name order. */
  listAlarms(scope: Scope): string[] {
    return (this.#q("SELECT doc FROM cw_alarms WHERE account = ? AND region = ? ORDER BY name").all(scope.accountId, scope.region) as { doc: string }[]).map(
      (r) => r.doc,
    );
  }

  /** Every alarm of every scope (the evaluator). */
  allAlarms(): Array<{ account: string; region: string; doc: string }> {
    return this.#q("SELECT account, region, doc FROM cw_alarms ORDER BY account, region, name").all() as unknown as Array<{
      account: string;
      region: string;
      doc: string;
    }>;
  }

  // ---- alarm history ----

  addHistory(scope: Scope, alarm: string, alarmType: string, ts: number, type: string, summary: string, data: string): void {
    this.#q("INSERT INTO cw_alarm_history (account, region, alarm, alarm_type, ts, type, summary, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)").run(
      scope.accountId,
      scope.region,
      alarm,
      alarmType,
      ts,
      type,
      summary,
      data,
    );
  }

  /** History of a scope (optionally one alarm) within [from, to] ms, newest first. */
  history(scope: Scope, alarm: string | undefined, from: number, to: number): HistoryRow[] {
    return this.#q(
      `SELECT id, alarm, alarm_type, ts, type, summary, data FROM cw_alarm_history
       WHERE account = ?1 AND region = ?2 AND (?3 IS NULL OR alarm = ?3) AND ts >= ?4 AND ts <= ?5
       ORDER BY ts DESC, id DESC`,
    ).all(scope.accountId, scope.region, alarm ?? null, from, to) as unknown as HistoryRow[];
  }

  expireHistory(cutoff: number): number {
    return Number(this.#q("DELETE FROM cw_alarm_history WHERE ts < ?").run(cutoff).changes);
  }
}
