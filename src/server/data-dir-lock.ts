/**
 * One `slipway up` per data directory. Two servers on one directory would run two sets of
 * reconcilers over the same tasks and containers (each starting the tasks the other stopped), and
 * each would serve what it cached from the store while the other changed it; `slipway clean` on a
 * directory in use would remove the containers and files from under a running server.
 *
 * The lock is SQLite's own file lock on <data-dir>/slipway.lock, taken in EXCLUSIVE locking mode
 * and held by an open connection for the life of the process: the kernel releases it when the
 * process ends, however it ends (kill -9 included), so there is no stale lock to clear. The
 * holder's pid is written beside it only to name it in the refusal.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { mkdirPrivate, PRIVATE_FILE, touchPrivate } from "../core/private-files.ts";

export const LOCK_FILE = "slipway.lock";
const PID_FILE = "slipway.pid";

export interface DataDirLock {
  release(): void;
}

/** Takes the data directory's lock, or throws an error naming the process that holds it. */
export function lockDataDir(dataDir: string): DataDirLock {
  const lock = take(dataDir);
  writeFileSync(join(dataDir, PID_FILE), `${process.pid}\n`, { mode: PRIVATE_FILE });
  return lock;
}

/** Whether a running Slipway holds an existing data directory's lock: why not to touch it, or undefined. */
export function dataDirInUse(dataDir: string): string | undefined {
  try {
    take(dataDir).release();
    return undefined;
  } catch (err) {
    if ((err as Error).name !== "DataDirInUse") throw err;
    return (err as Error).message;
  }
}

function take(dataDir: string): DataDirLock {
  mkdirPrivate(dataDir);
  const file = join(dataDir, LOCK_FILE);
  touchPrivate(file);
  const db = new DatabaseSync(file);
  try {
    db.exec("PRAGMA locking_mode = EXCLUSIVE");
    // The first write in EXCLUSIVE mode takes the exclusive lock and keeps it until close.
    db.exec("BEGIN EXCLUSIVE");
    db.exec("CREATE TABLE IF NOT EXISTS holder (pid INTEGER NOT NULL)");
    db.exec("DELETE FROM holder");
    db.prepare("INSERT INTO holder (pid) VALUES (?)").run(process.pid);
    db.exec("COMMIT");
  } catch (err) {
    db.close();
    if (!/locked|busy/i.test((err as Error).message)) throw err;
    throw Object.assign(new Error(`${dataDir} is in use by a running Slipway${holder(dataDir)}`), { name: "DataDirInUse" });
  }
  return { release: () => db.close() };
}

function holder(dataDir: string): string {
  try {
    const pid = Number(readFileSync(join(dataDir, PID_FILE), "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? ` (pid ${pid})` : "";
  } catch {
    return "";
  }
}
