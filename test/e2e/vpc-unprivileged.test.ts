/**
 * End-to-end: `slipway up` run as an unprivileged user (setpriv, uid 65534) cannot program the
 * kernel: it starts anyway, warns once that security groups are not enforced, and
 * /_slipway/health says so with the reason. Skipped, with the reason, when this suite is not run
 * as root or setpriv is missing.
 */
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import { freePort, pollUntil, REPO_ROOT } from "../helpers/slipway-process.ts";

const run = promisify(execFile);
async function whySkip(): Promise<string | undefined> {
  if (typeof process.getuid !== "function" || process.getuid() !== 0) return "needs root to start Slipway as another user";
  return run("setpriv", ["--version"]).then(
    () => undefined,
    () => "setpriv is not installed",
  );
}
const skip = await whySkip();
if (skip) console.log(`# skipping unprivileged VPC e2e: ${skip}`);

test("not root: Slipway starts, warns once that security groups are not enforced, and /_slipway/health says so", { skip: skip ?? false }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "slipway-e2e-unpriv-"));
  chmodSync(dir, 0o777);
  const port = await freePort();
  const child = spawn(
    "setpriv",
    ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, join(REPO_ROOT, "bin", "slipway.js"), "up", "--port", String(port), "--data-dir", join(dir, "data")],
    { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, SLIPWAY_TASK_ENDPOINT: "off" } },
  );
  let out = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr.on("data", (c: Buffer) => (out += c.toString()));
  try {
    await pollUntil(async () => out.includes(`Slipway ready on http://127.0.0.1:${port}`), { timeoutMs: 30_000, what: `slipway up as uid 65534 (output: ${out})` });
    const health = (await (await fetch(`http://127.0.0.1:${port}/_slipway/health`)).json()) as { status: string; vpc: { securityGroupsEnforced: boolean; reason: string } };
    assert.equal(health.status, "ok");
    assert.equal(health.vpc.securityGroupsEnforced, false);
    assert.equal(health.vpc.reason, "Slipway is not running as root (iptables needs CAP_NET_ADMIN)");
    // A few background syncs later the warning is still said once.
    await new Promise((r) => setTimeout(r, 2500));
    const warnings = out.split("\n").filter((l) => l.startsWith("warning: security groups are not enforced"));
    assert.deepEqual(warnings, [
      "warning: security groups are not enforced: Slipway is not running as root (iptables needs CAP_NET_ADMIN). Tasks still get their subnet addresses, and reachability (routes, NAT gateways, VPC endpoints) is still checked when they start.",
    ]);
    const instance = readFileSync(join(dir, "data", "instance-id"), "utf8").trim();
    assert.ok(!(await run("iptables-save", ["-t", "filter"])).stdout.includes(`slipway vpc ${instance}`), "nothing was added to the kernel");
  } finally {
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await exited;
    rmSync(dir, { recursive: true, force: true });
  }
});
