/**
 * The VPC data plane's kernel state after kill -9 and a deleted data directory, on the real
 * iptables: a child process programs chains and jumps through Kernel (as `slipway up` does), is
 * killed with SIGKILL, its data directory is removed, and collectVpcOrphans (what `slipway clean`
 * runs) must leave no chain with its prefix and no jump with its comment. And the periodic jump
 * check against this host's `iptables-save`: one process when the jumps are there, a deleted one
 * put back. Root and iptables only.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { collectVpcOrphans, Kernel } from "../../src/vpc/kernel.ts";
import { runCommand } from "../../src/task-endpoint/address.ts";

const KERNEL = fileURLToPath(new URL("../../src/vpc/kernel.ts", import.meta.url));

function skipReason(): string | false {
  if (process.getuid?.() !== 0) return "needs root (iptables)";
  const r = spawnSync("iptables", ["-w", "-S", "OUTPUT"]);
  if (r.error || r.status !== 0) return `iptables not usable: ${r.error?.message ?? r.stderr.toString().trim()}`;
  return false;
}

function filterTable(): string {
  return spawnSync("iptables-save", ["-t", "filter"]).stdout.toString();
}

test("kill -9, data directory deleted: slipway clean's collector removes the chains and jumps", { skip: skipReason() }, async () => {
  const tag = randomBytes(2).toString("hex").slice(0, 3);
  const prefix = `SWVo${tag}`;
  const comment = `slipway vpc orphan-test-${tag}`;
  const dataDir = mkdtempSync(join(tmpdir(), "slipway-vpc-orphan-data-"));
  const hostDir = mkdtempSync(join(tmpdir(), "slipway-vpc-orphan-host-"));
  const child = spawn(
    process.execPath,
    [
      "--input-type=module",
      "-e",
      `import { Kernel } from ${JSON.stringify(KERNEL)};
       const k = new Kernel({ stateFile: ${JSON.stringify(join(dataDir, "vpc-kernel.json"))}, prefix: ${JSON.stringify(prefix)},
         bridges: "slwo${tag}+", comment: ${JSON.stringify(comment)}, hostDir: ${JSON.stringify(hostDir)} });
       const P = ${JSON.stringify(prefix)};
       await k.apply({ text: "*filter\\n:" + P + "-FWD - [0:0]\\n:" + P + "-OUT - [0:0]\\n:" + P + "-IN - [0:0]\\nCOMMIT\\n", chains: [P + "-FWD", P + "-OUT", P + "-IN"], reasons: new Map() });
       console.log("applied");
       setInterval(() => {}, 1000);`,
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout!.on("data", (d: Buffer) => d.toString().includes("applied") && resolve());
      child.once("exit", (code) => reject(new Error(`the child exited (${code}) before applying`)));
    });
    const before = filterTable();
    assert.equal(before.split("\n").filter((l) => l.startsWith(`:${prefix}-`)).length, 3);
    assert.equal(before.split("\n").filter((l) => l.includes(comment)).length, 4);

    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("exit", resolve));
    rmSync(dataDir, { recursive: true, force: true });

    const lines = await collectVpcOrphans(hostDir);
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, new RegExp(`pid ${child.pid}.*4 iptables jump\\(s\\), 3 iptables chain\\(s\\) ${prefix}-\\*`));
    const after = filterTable();
    assert.ok(!after.includes(`${prefix}-`), "no chain with the prefix is left");
    assert.ok(!after.includes(comment), "no jump with the comment is left");
    assert.deepEqual(await collectVpcOrphans(hostDir), []);
  } finally {
    child.kill("SIGKILL");
    // Whatever a failed assertion left behind: the collector again, then the folders.
    await collectVpcOrphans(hostDir).catch(() => []);
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(hostDir, { recursive: true, force: true });
  }
});

test("the periodic jump check reads this host's iptables-save and runs one process when every jump is there; a deleted jump comes back", { skip: skipReason() }, async () => {
  const tag = randomBytes(2).toString("hex").slice(0, 3);
  const prefix = `SWVj${tag}`;
  const comment = `slipway vpc jump-test-${tag}`;
  const dataDir = mkdtempSync(join(tmpdir(), "slipway-vpc-jumps-"));
  const calls: string[] = [];
  const k = new Kernel({
    stateFile: join(dataDir, "vpc-kernel.json"),
    prefix,
    bridges: `slwj${tag}+`,
    comment,
    hostDir: join(dataDir, "host"),
    run: (cmd, args) => {
      calls.push(`${cmd} ${args.join(" ")}`);
      return runCommand(cmd, args);
    },
  });
  const P = prefix;
  const rules = { text: `*filter\n:${P}-FWD - [0:0]\n:${P}-OUT - [0:0]\n:${P}-IN - [0:0]\nCOMMIT\n`, chains: [`${P}-FWD`, `${P}-OUT`, `${P}-IN`], reasons: new Map() };
  try {
    await k.apply(rules);
    assert.equal(filterTable().split("\n").filter((l) => l.includes(comment)).length, 4);
    calls.length = 0;
    await k.apply(rules, { checkJumps: true });
    assert.deepEqual(calls, ["iptables-save -t filter"], "iptables-save's listing shows all four jumps in the form they were added");

    const del = spawnSync("iptables", ["-w", "-D", "OUTPUT", "-o", `slwj${tag}+`, "-m", "comment", "--comment", comment, "-j", `${P}-OUT`]);
    assert.equal(del.status, 0, del.stderr.toString());
    calls.length = 0;
    await k.apply(rules, { checkJumps: true });
    assert.equal(calls.filter((c) => c.startsWith("iptables -w -I OUTPUT 1")).length, 1);
    assert.equal(filterTable().split("\n").filter((l) => l.includes(comment)).length, 4);
  } finally {
    await k.tearDown();
    const after = filterTable();
    rmSync(dataDir, { recursive: true, force: true });
    assert.ok(!after.includes(`${prefix}-`) && !after.includes(comment), "the teardown leaves no chain and no jump");
  }
});
