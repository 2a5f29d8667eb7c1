/**
 * A lock shared by every process on this host (other suites, other worktrees): a directory made
 * atomically under the system temp dir, holding the owner's pid; a lock whose owner is gone is
 * taken over. Suites that place tasks in the default VPC take "default-vpc": each Slipway gives
 * its default subnets' tasks the subnets' own ranges (172.31.0.0/16) on this host, and two at
 * once would collide (the second is refused with a message, as a user would see).
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { processAlive } from "../../src/core/process-alive.ts";

const ROOT = join(tmpdir(), "slipway-test-locks");

/** Waits (polling) until the lock is ours; resolves with its release. */
export async function hostLock(name: string, timeoutMs = 30 * 60_000): Promise<() => void> {
  mkdirSync(ROOT, { recursive: true });
  const dir = join(ROOT, name);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(dir);
      writeFileSync(join(dir, "pid"), String(process.pid));
      return () => rmSync(dir, { recursive: true, force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    let owner = 0;
    try {
      owner = Number(readFileSync(join(dir, "pid"), "utf8"));
    } catch {
      // Being written: look again.
    }
    if (owner && !processAlive(owner)) rmSync(dir, { recursive: true, force: true });
    if (Date.now() > deadline) throw new Error(`host lock ${name} still held by pid ${owner} after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
