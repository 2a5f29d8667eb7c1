/**
 * The store seam: embedded SQLite (node:sqlite) in WAL mode. A transaction is in the WAL before the
 * API call that made it is answered, so a crash of the process (kill -9) loses no acknowledged
 * write. synchronous=NORMAL skips the fsync per commit (SQLite: "durable across application
 * crashes"); a power loss can lose the last commits. `{ fsync: true }` fsyncs every commit.
 * Everything is synchronous on purpose: a transaction never awaits, so handlers and reconcilers
 * cannot interleave inside one.
 *
 * After a transaction commits, the keys it marked with `changed()` are delivered to listeners
 * (the scheduler enqueues them; later the proxy rebuilds its routing snapshot).
 */
import { existsSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { mkdirPrivate, touchPrivate } from "../core/private-files.ts";
import { migrate } from "./migrate.ts";
import { migrations } from "./migrations.ts";

export type ChangeListener = (keys: ReadonlySet<string>) => void;

export class Store {
  readonly db: DatabaseSync;
  #depth = 0;
  #pending = new Set<string>();
  #listeners: ChangeListener[] = [];
  #rollbackListeners: (() => void)[] = [];
  readonly #statements = new Map<string, StatementSync>();

  /** `path` ":memory:" gives a throwaway store (unit tests). */
  constructor(path: string, opts: { fsync?: boolean } = {}) {
    if (path !== ":memory:") {
      // Owner-only from the start: SQLite gives the -wal and -shm files the database file's mode.
      mkdirPrivate(dirname(path));
      touchPrivate(path);
    }
    this.db = new DatabaseSync(path);
    this.db.exec("PRAGMA journal_mode = WAL");
    if (path !== ":memory:") for (const f of [`${path}-wal`, `${path}-shm`]) if (existsSync(f)) touchPrivate(f);
    this.db.exec(`PRAGMA synchronous = ${opts.fsync ? "FULL" : "NORMAL"}`);
    this.db.exec("PRAGMA foreign_keys = ON");
    this.db.exec("PRAGMA busy_timeout = 5000");
    migrate(this.db, migrations);
  }

  /** A prepared statement, compiled once per SQL text and reused (repos call this, not db.prepare). */
  prepare(sql: string): StatementSync {
    let st = this.#statements.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.#statements.set(sql, st);
    }
    return st;
  }

  /** Runs `fn` in one IMMEDIATE transaction (nested calls join the outer one). */
  tx<T>(fn: () => T): T {
    if (this.#depth > 0) {
      this.#depth++;
      try {
        return fn();
      } finally {
        this.#depth--;
      }
    }
    this.db.exec("BEGIN IMMEDIATE");
    this.#depth = 1;
    let result: T;
    try {
      result = fn();
      this.db.exec("COMMIT");
    } catch (err) {
      this.db.exec("ROLLBACK");
      this.#pending.clear();
      for (const l of this.#rollbackListeners) l();
      throw err;
    } finally {
      this.#depth = 0;
    }
    this.#flush();
    return result;
  }

  /** Marks a key as changed; listeners hear it once the surrounding transaction commits. */
  changed(key: string): void {
    this.#pending.add(key);
    if (this.#depth === 0) this.#flush();
  }

  onChange(listener: ChangeListener): () => void {
    this.#listeners.push(listener);
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
    };
  }

  /** Called after a transaction rolled back (in-memory caches of store rows must be dropped). */
  onRollback(listener: () => void): void {
    this.#rollbackListeners.push(listener);
  }

  /**
   * Rewrites the database without its free pages and empties the WAL: what an UPDATE replaced
   * (say, a secret now sealed) no longer lingers in the files. Slow on a big database; for rare,
   * one-time changes.
   */
  compact(): void {
    this.db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    this.db.exec("VACUUM");
    this.db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }

  close(): void {
    this.db.close();
  }

  #flush(): void {
    if (this.#pending.size === 0) return;
    const keys = this.#pending;
    this.#pending = new Set();
    for (const l of this.#listeners) l(keys);
  }
}
