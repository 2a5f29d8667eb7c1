/**
 * `slipway` run as a command (its `#!/usr/bin/env -S node …` line, as npm's bin link runs it): the
 * V8 flags that line promises reach the node process that serves. Linux only (/proc).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { cleanDataDir, freePort, tempDataDir } from "../helpers/slipway-process.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

test(
  "bin/slipway.js run as a program starts node with --max-semi-space-size=1 and --no-concurrent-recompilation",
  { skip: process.platform !== "linux" && "reads /proc/<pid>/cmdline" },
  async () => {
    const dataDir = tempDataDir("slipway-launcher-");
    const port = await freePort();
    // env finds `node` on PATH, as it would for a user: the Node this test runs on first.
    const PATH = [join(process.execPath, ".."), process.env.PATH ?? ""].join(delimiter);
    const child = spawn(join(ROOT, "bin/slipway.js"), ["up", "--port", String(port), "--data-dir", dataDir], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, PATH, SLIPWAY_TASK_ENDPOINT: "off" },
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    try {
      let out = "";
      await new Promise<void>((resolve, reject) => {
        const onData = (c: Buffer) => {
          out += c.toString();
          if (out.includes(`Slipway ready on http://127.0.0.1:${port}`)) resolve();
        };
        child.stdout!.on("data", onData);
        child.stderr!.on("data", onData);
        void exited.then((code) => reject(new Error(`slipway exited (${code}) before it was ready:\n${out}`)));
      });
      // env -S execs node in its own process: the pid is the server's.
      const argv = readFileSync(`/proc/${child.pid}/cmdline`, "utf8").split("\0").filter(Boolean);
      const script = argv.indexOf(join(ROOT, "bin/slipway.js"));
      assert.ok(script > 0, `bin/slipway.js in ${JSON.stringify(argv)}`);
      assert.deepEqual(argv.slice(1, script), ["--max-semi-space-size=1", "--no-concurrent-recompilation"]);
      assert.match(argv[0]!, /node$/);
      child.kill("SIGINT");
      assert.equal(await exited, 0);
    } finally {
      child.kill("SIGKILL");
      await cleanDataDir(dataDir);
    }
  },
);
