/**
 * One `slipway up` per data directory, with real processes: a second server on the same directory
 * is refused (exit 1, naming the first one's pid) and changes nothing; `slipway clean` refuses a
 * directory in use and leaves the server answering; after kill -9 the kernel has released the
 * lock, so the next `slipway up` starts at once.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { promisify } from "node:util";
import { ECSClient, ListClustersCommand } from "@aws-sdk/client-ecs";
import { dockerAvailable } from "../helpers/docker.ts";
import { cleanDataDir, freePort, REPO_ROOT, type SlipwayProcess, startSlipwayProcess, tempDataDir } from "../helpers/slipway-process.ts";

const run = promisify(execFile);
const BIN = join(REPO_ROOT, "bin", "slipway.js");
const skip = await dockerAvailable();

/** Runs a slipway command to its end: exit code and everything it printed. */
async function slipway(args: string[]): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { timeout: 60_000, env: { ...process.env, SLIPWAY_TASK_ENDPOINT: "off" } });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : -1, out: `${e.stdout ?? ""}${e.stderr ?? ""}` };
  }
}

async function answers(url: string): Promise<boolean> {
  const client = new ECSClient({ endpoint: url, region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" }, maxAttempts: 1 });
  try {
    await client.send(new ListClustersCommand({}));
    return true;
  } finally {
    client.destroy();
  }
}

describe("one slipway up per data directory", { skip, timeout: 120_000 }, () => {
  const dataDir = tempDataDir("slipway-lock-");
  const started: SlipwayProcess[] = [];
  after(async () => {
    for (const p of started) await p.kill("SIGKILL");
    await cleanDataDir(dataDir);
  });

  test("a second server and slipway clean are refused while one runs; kill -9 frees the directory", async () => {
    const first = await startSlipwayProcess({ dataDir });
    started.push(first);

    const second = await slipway(["up", "--port", String(await freePort()), "--data-dir", dataDir]);
    assert.equal(second.code, 1, second.out);
    assert.match(second.out, new RegExp(`is in use by a running Slipway \\(pid ${first.pid}\\); stop it first, or give this one another --data-dir`));
    assert.doesNotMatch(second.out, /Slipway ready on/);

    const clean = await slipway(["clean", "--data-dir", dataDir]);
    assert.equal(clean.code, 1, clean.out);
    assert.match(clean.out, new RegExp(`in use by a running Slipway \\(pid ${first.pid}\\); stop it first`));
    assert.ok(existsSync(join(dataDir, "instance-id")), "clean removed nothing");
    assert.equal(await answers(first.url), true, "the first server still answers");

    await first.kill("SIGKILL");
    const third = await startSlipwayProcess({ dataDir });
    started.push(third);
    assert.equal(await answers(third.url), true);
    await third.kill("SIGTERM");
  });
});
