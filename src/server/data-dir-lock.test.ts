import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { dataDirInUse, LOCK_FILE, lockDataDir } from "./data-dir-lock.ts";

test("a data directory's lock: a second taker is refused with the holder's pid until the first releases it", () => {
  const dir = join(mkdtempSync(join(tmpdir(), "slipway-lock-")), "data");
  try {
    const first = lockDataDir(dir);
    assert.equal(statSync(join(dir, LOCK_FILE)).mode & 0o777, 0o600);
    assert.throws(() => lockDataDir(dir), (err: Error) => err.name === "DataDirInUse" && err.message === `${dir} is in use by a running Slipway (pid ${process.pid})`);
    assert.equal(dataDirInUse(dir), `${dir} is in use by a running Slipway (pid ${process.pid})`);
    first.release();
    assert.equal(dataDirInUse(dir), undefined);
    lockDataDir(dir).release();
  } finally {
    rmSync(join(dir, ".."), { recursive: true, force: true });
  }
});
