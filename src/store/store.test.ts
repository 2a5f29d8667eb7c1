import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { describe, test } from "node:test";
import { migrate } from "./migrate.ts";
import { Store } from "./store.ts";

describe("Store", () => {
  test("opens in WAL mode with synchronous=NORMAL and applies migrations once", () => {
    const dir = mkdtempSync(join(tmpdir(), "slipway-store-"));
    try {
      const s = new Store(join(dir, "db.sqlite"));
      assert.equal((s.db.prepare("PRAGMA journal_mode").get() as { journal_mode: string }).journal_mode, "wal");
      assert.equal((s.db.prepare("PRAGMA synchronous").get() as { synchronous: number }).synchronous, 1);
      const versions = s.db.prepare("SELECT version FROM schema_migrations").all();
      s.close();
      const again = new Store(join(dir, "db.sqlite"));
      assert.deepEqual(again.db.prepare("SELECT version FROM schema_migrations").all(), versions);
      again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("refuses a database written by a newer schema", () => {
    const db = new DatabaseSync(":memory:");
    migrate(db, [{ version: 1, name: "a", sql: "CREATE TABLE a (x)" }, { version: 2, name: "b", sql: "CREATE TABLE b (x)" }]);
    assert.throws(() => migrate(db, [{ version: 1, name: "a", sql: "CREATE TABLE a (x)" }]), /newer Slipway/);
  });

  test("a migration numbered below the newest applied one still runs", () => {
    const db = new DatabaseSync(":memory:");
    migrate(db, [{ version: 2, name: "b", sql: "CREATE TABLE b (x)" }]);
    migrate(db, [
      { version: 1, name: "a", sql: "CREATE TABLE a (x)" },
      { version: 2, name: "b", sql: "CREATE TABLE b (x)" },
    ]);
    assert.deepEqual(
      (db.prepare("SELECT version FROM schema_migrations ORDER BY version").all() as { version: number }[]).map((r) => r.version),
      [1, 2],
    );
  });

  test("a failed migration rolls back and leaves the version unchanged", () => {
    const db = new DatabaseSync(":memory:");
    assert.throws(() => migrate(db, [{ version: 1, name: "bad", sql: "CREATE TABLE a (x); SELECT * FROM missing" }]));
    assert.equal((db.prepare("SELECT COUNT(*) AS n FROM schema_migrations").get() as { n: number }).n, 0);
  });

  test("change keys are delivered after commit, and not at all on rollback", () => {
    const s = new Store(":memory:");
    const seen: string[][] = [];
    s.onChange((keys) => seen.push([...keys]));
    s.tx(() => {
      s.changed("a");
      s.tx(() => s.changed("b"));
      assert.equal(seen.length, 0, "nothing before commit");
    });
    assert.deepEqual(seen, [["a", "b"]]);
    assert.throws(() =>
      s.tx(() => {
        s.changed("c");
        throw new Error("boom");
      }),
    );
    assert.deepEqual(seen, [["a", "b"]]);
    s.close();
  });

  test("kill -9 loses no acknowledged write", async () => {
    const dir = mkdtempSync(join(tmpdir(), "slipway-kill-"));
    const path = join(dir, "db.sqlite");
    try {
      // A child writes tags one transaction at a time and prints each id once committed.
      const code = `
        const { Store } = await import(${JSON.stringify(new URL("./store.ts", import.meta.url).href)});
        const s = new Store(${JSON.stringify(path)});
        for (let i = 0; ; i++) {
          s.tx(() => s.db.prepare("INSERT INTO tags (arn, key, value, position) VALUES ('a', ?, 'v', ?)").run("k" + i, i));
          // Wait for the acknowledgement to be written out: a loop that never yields lets a busy
          // machine buffer acknowledgements in memory, unseen by the parent.
          await new Promise((resolve) => process.stdout.write(i + "\\n", resolve));
        }`;
      const child = spawn(process.execPath, ["--input-type=module", "-e", code], { stdio: ["ignore", "pipe", "inherit"] });
      let acked = -1;
      let buf = "";
      await new Promise<void>((resolve) => {
        child.stdout.on("data", (chunk: Buffer) => {
          buf += chunk.toString();
          const lines = buf.split("\n");
          buf = lines.pop() ?? "";
          for (const l of lines) acked = Number(l);
          if (acked >= 200) {
            child.kill("SIGKILL");
            resolve();
          }
        });
      });
      await new Promise((resolve) => child.once("exit", resolve));
      const s = new Store(path);
      const n = (s.db.prepare("SELECT COUNT(*) AS n FROM tags").get() as { n: number }).n;
      s.close();
      assert.ok(n >= acked + 1, `acknowledged ${acked + 1} writes, found ${n}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
