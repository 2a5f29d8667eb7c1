/** The CloudWatch Logs SQL (tables from migration 6 "logs"). Synchronous; callers own transactions. */
import type { StatementSync } from "node:sqlite";
import type { Scope } from "../../core/arn.ts";
import type { Store } from "../../store/store.ts";

export interface GroupRow {
  id: number;
  account: string;
  region: string;
  name: string;
  created_at: number;
  retention_days: number | null;
  log_group_class: string;
}

export interface StreamRow {
  id: number;
  group_id: number;
  name: string;
  created_at: number;
  first_event: number | null;
  last_event: number | null;
  last_ingestion: number | null;
  next_seq: number;
  stored_bytes: number;
}

export interface EventRow {
  stream_id: number;
  seq: number;
  timestamp: number;
  ingestion_time: number;
  message: string;
}

export interface NewEvent {
  timestamp: number;
  message: string;
}

/** A position in one stream's (timestamp, seq) order. */
export interface Key {
  ts: number;
  seq: number;
}

/** A position in a group's (timestamp, stream id, seq) order. */
export interface GroupKey {
  ts: number;
  stream: number;
  seq: number;
}

export class LogsRepo {
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

  // ---- groups ----

  getGroup(scope: Scope, name: string): GroupRow | undefined {
    return this.#q("SELECT * FROM logs_groups WHERE account = ? AND region = ? AND name = ?").get(scope.accountId, scope.region, name) as
      | GroupRow
      | undefined;
  }

  insertGroup(scope: Scope, name: string, createdAt: number, logGroupClass: string): GroupRow {
    this.#q("INSERT INTO logs_groups (account, region, name, created_at, log_group_class) VALUES (?, ?, ?, ?, ?)").run(
      scope.accountId,
      scope.region,
      name,
      createdAt,
      logGroupClass,
    );
    return this.getGroup(scope, name)!;
  }

  deleteGroup(id: number): void {
    // Events first: one indexed delete, rather than a per-stream cascade.
    this.#q("DELETE FROM logs_events WHERE group_id = ?").run(id);
    this.#q("DELETE FROM logs_streams WHERE group_id = ?").run(id);
    this.#q("DELETE FROM logs_groups WHERE id = ?").run(id);
  }

  setRetention(id: number, days: number | null): void {
    this.#q("UPDATE logs_groups SET retention_days = ? WHERE id = ?").run(days, id);
  }

  /** Groups of a scope in ASCII name order (SQLite's default BINARY collation). */
  listGroups(scope: Scope, prefix?: string): GroupRow[] {
    const rows = this.#q("SELECT * FROM logs_groups WHERE account = ? AND region = ? ORDER BY name").all(
      scope.accountId,
      scope.region,
    ) as unknown as GroupRow[];
    return prefix === undefined ? rows : rows.filter((r) => r.name.startsWith(prefix));
  }

  groupsWithRetention(): GroupRow[] {
    return this.#q("SELECT * FROM logs_groups WHERE retention_days IS NOT NULL").all() as unknown as GroupRow[];
  }

  groupStoredBytes(id: number): number {
    return (this.#q("SELECT COALESCE(SUM(stored_bytes), 0) AS b FROM logs_streams WHERE group_id = ?").get(id) as { b: number }).b;
  }

  // ---- streams ----

  getStream(groupId: number, name: string): StreamRow | undefined {
    return this.#q("SELECT * FROM logs_streams WHERE group_id = ? AND name = ?").get(groupId, name) as StreamRow | undefined;
  }

  insertStream(groupId: number, name: string, createdAt: number): StreamRow {
    this.#q("INSERT INTO logs_streams (group_id, name, created_at) VALUES (?, ?, ?)").run(groupId, name, createdAt);
    return this.getStream(groupId, name)!;
  }

  deleteStream(id: number): void {
    this.#q("DELETE FROM logs_events WHERE stream_id = ?").run(id);
    this.#q("DELETE FROM logs_streams WHERE id = ?").run(id);
  }

  listStreams(groupId: number): StreamRow[] {
    return this.#q("SELECT * FROM logs_streams WHERE group_id = ? ORDER BY name").all(groupId) as unknown as StreamRow[];
  }

  // ---- events ----

  /** Appends events (already validated) to a stream; returns the seq of the first one. */
  appendEvents(stream: StreamRow, events: readonly NewEvent[], ingestionTime: number): number {
    if (events.length === 0) return stream.next_seq;
    const ins = this.#q("INSERT INTO logs_events (group_id, stream_id, seq, timestamp, ingestion_time, message) VALUES (?, ?, ?, ?, ?, ?)");
    const first = stream.next_seq;
    let seq = first;
    let bytes = 0;
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (const e of events) {
      ins.run(stream.group_id, stream.id, seq++, e.timestamp, ingestionTime, e.message);
      bytes += Buffer.byteLength(e.message) + 26;
      if (e.timestamp < min) min = e.timestamp;
      if (e.timestamp > max) max = e.timestamp;
    }
    this.#q(
      `UPDATE logs_streams SET next_seq = ?, stored_bytes = stored_bytes + ?, last_ingestion = ?,
         first_event = MIN(COALESCE(first_event, ?), ?), last_event = MAX(COALESCE(last_event, ?), ?)
       WHERE id = ?`,
    ).run(seq, bytes, ingestionTime, min, min, max, max, stream.id);
    stream.next_seq = seq;
    return first;
  }

  /** Events of one stream after `after` (exclusive), ascending, within [start, end). */
  eventsAfter(streamId: number, after: Key, start: number, end: number, limit: number): EventRow[] {
    return this.#q(
      `SELECT stream_id, seq, timestamp, ingestion_time, message FROM logs_events
       WHERE stream_id = ? AND (timestamp, seq) > (?, ?) AND timestamp >= ? AND timestamp < ?
       ORDER BY timestamp, seq LIMIT ?`,
    ).all(streamId, after.ts, after.seq, start, end, limit) as unknown as EventRow[];
  }

  /** Events of one stream before `before` (exclusive), the `limit` latest, returned ascending. */
  eventsBefore(streamId: number, before: Key, start: number, end: number, limit: number): EventRow[] {
    const rows = this.#q(
      `SELECT stream_id, seq, timestamp, ingestion_time, message FROM logs_events
       WHERE stream_id = ? AND (timestamp, seq) < (?, ?) AND timestamp >= ? AND timestamp < ?
       ORDER BY timestamp DESC, seq DESC LIMIT ?`,
    ).all(streamId, before.ts, before.seq, start, end, limit) as unknown as EventRow[];
    return rows.reverse();
  }

  /** Iterates a group's events after `after` in (timestamp, stream, seq) order within [start, end]. */
  *scanGroup(groupId: number, after: GroupKey, start: number, end: number): Generator<EventRow> {
    const it = this.#q(
      `SELECT stream_id, seq, timestamp, ingestion_time, message FROM logs_events
       WHERE group_id = ? AND (timestamp, stream_id, seq) > (?, ?, ?) AND timestamp >= ? AND timestamp <= ?
       ORDER BY timestamp, stream_id, seq`,
    ).iterate(groupId, after.ts, after.stream, after.seq, start, end);
    for (const row of it) yield row as unknown as EventRow;
  }

  /** Messages stored at exactly `ts` in a stream (the shipper's resume de-duplication). */
  messagesAt(streamId: number, ts: number): string[] {
    return (this.#q("SELECT message FROM logs_events WHERE stream_id = ? AND timestamp = ? ORDER BY seq").all(streamId, ts) as { message: string }[]).map(
      (r) => r.message,
    );
  }

  /** Deletes a group's events older than `cutoff`; returns how many. */
  purgeBefore(groupId: number, cutoff: number): number {
    const res = this.#q("DELETE FROM logs_events WHERE group_id = ? AND timestamp < ?").run(groupId, cutoff);
    if (Number(res.changes) > 0) {
      this.#q(
        `UPDATE logs_streams SET
           stored_bytes = (SELECT COALESCE(SUM(LENGTH(CAST(message AS BLOB)) + 26), 0) FROM logs_events e WHERE e.stream_id = logs_streams.id)
         WHERE group_id = ?`,
      ).run(groupId);
    }
    return Number(res.changes);
  }

  // ---- metric filters (migration 32) ----

  metricFilters(scope: Scope, group: string | undefined): Array<{ group_name: string; name: string; created_at: number; doc: string }> {
    return this.#q(
      `SELECT group_name, name, created_at, doc FROM logs_metric_filters WHERE account = ?1 AND region = ?2 AND (?3 IS NULL OR group_name = ?3)
       ORDER BY name, group_name`,
    ).all(scope.accountId, scope.region, group ?? null) as unknown as Array<{ group_name: string; name: string; created_at: number; doc: string }>;
  }

  putMetricFilter(scope: Scope, group: string, name: string, createdAt: number, doc: string): void {
    this.#q(
      `INSERT INTO logs_metric_filters (account, region, group_name, name, created_at, doc) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (account, region, group_name, name) DO UPDATE SET doc = excluded.doc`,
    ).run(scope.accountId, scope.region, group, name, createdAt, doc);
  }

  deleteMetricFilter(scope: Scope, group: string, name: string): boolean {
    const res = this.#q("DELETE FROM logs_metric_filters WHERE account = ? AND region = ? AND group_name = ? AND name = ?").run(
      scope.accountId,
      scope.region,
      group,
      name,
    );
    return Number(res.changes) > 0;
  }

  deleteMetricFiltersOf(scope: Scope, group: string): void {
    this.#q("DELETE FROM logs_metric_filters WHERE account = ? AND region = ? AND group_name = ?").run(scope.accountId, scope.region, group);
  }
}
