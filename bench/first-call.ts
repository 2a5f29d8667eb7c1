/**
 * Start-up as a user sees it: milliseconds from spawning `slipway up` to the first answered ECS
 * call (ListClusters through the SDK v3 client, retried every 2 ms until it answers 200), and to
 * the "Slipway ready on" line. Bare Node (an HTTP server in `node -e`, same client, any answer)
 * is the floor.
 *
 *   node bench/first-call.ts [--runs 10] [--compare DIR]
 *
 * Each run starts, in turn: bare Node; this tree on a fresh data dir; this tree on a data dir that
 * already exists (the usual second start: no keys to make, migrations already applied); and the
 * same two for the checkout at --compare (e.g. `git archive <commit>` with node_modules linked), so
 * the before and after are measured side by side. Each Slipway starts with the V8 flags on its
 * bin/slipway.js `#!/usr/bin/env -S node …` line, as the `slipway` command would. The compile cache
 * (NODE_COMPILE_CACHE, or what bin/ enables) is left as it is: one warm-up start of each tree
 * comes first and is not counted. Medians, min and max.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { ListClustersCommand } from "@aws-sdk/client-ecs";
import { ecsClient, freePort, median, ROOT, requireFreshBuild, slipwayNodeFlags, table } from "./lib.ts";

const { values } = parseArgs({ options: { runs: { type: "string", default: "10" }, compare: { type: "string" } } });
const RUNS = Number(values.runs);

interface Cfg {
  label: string;
  args: (port: number, dataDir: string) => string[];
  keep: boolean;
  bare?: boolean;
}

const keepDirs = mkdtempSync(join(tmpdir(), "slipway-first-call-"));
const cfgs: Cfg[] = [
  {
    label: "bare Node (HTTP server)",
    keep: false,
    bare: true,
    args: (port) => ["-e", `require("node:http").createServer((q,s)=>{q.resume();q.on("end",()=>s.end("{}"))}).listen(${port},"127.0.0.1")`],
  },
];
const roots: [string, string][] = [["this tree", ROOT]];
if (values.compare) roots.push([`--compare ${values.compare}`, resolve(values.compare)]);
for (const [name, root] of roots) {
  requireFreshBuild(root);
  const flags = slipwayNodeFlags(root);
  const bin = join(root, "bin/slipway.js");
  cfgs.push({ label: `${name}, fresh data dir`, keep: false, args: (port, dd) => [...flags, bin, "up", "--port", String(port), "--data-dir", dd] });
  cfgs.push({ label: `${name}, existing data dir`, keep: true, args: (port, dd) => [...flags, bin, "up", "--port", String(port), "--data-dir", dd] });
}

async function once(c: Cfg, index: number): Promise<{ ready: number; first: number }> {
  const port = await freePort();
  const dd = c.keep ? join(keepDirs, String(index)) : mkdtempSync(join(tmpdir(), "slipway-first-call-run-"));
  const t0 = performance.now();
  const child = spawn(process.execPath, c.args(port, dd), { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, SLIPWAY_TASK_ENDPOINT: "off" } });
  let ready = NaN;
  let out = "";
  const on = (d: Buffer) => {
    out += d.toString();
    if (Number.isNaN(ready) && out.includes("ready on")) ready = performance.now() - t0;
  };
  child.stdout!.on("data", on);
  child.stderr!.on("data", on);
  const ecs = ecsClient(`http://127.0.0.1:${port}`, 1);
  let first = NaN;
  while (performance.now() - t0 < 30_000) {
    try {
      await ecs.send(new ListClustersCommand({}), { abortSignal: AbortSignal.timeout(5000) });
      first = performance.now() - t0;
      break;
    } catch (e) {
      // bare Node answers {} which the SDK accepts; a refused connection means not yet listening
      if (c.bare && !/ECONNREFUSED|abort/i.test(String(e))) {
        first = performance.now() - t0;
        break;
      }
      await new Promise((r) => setTimeout(r, 2));
    }
  }
  ecs.destroy();
  // Requests are answered from the moment the port is bound, which can be before the "ready" line
  // (printed once every listener is up): wait for it, so that figure is measured too.
  if (!c.bare) {
    const until = performance.now() + 10_000;
    while (Number.isNaN(ready) && performance.now() < until && child.exitCode === null) await new Promise((r) => setTimeout(r, 2));
  }
  await new Promise<void>((r) => {
    if (child.exitCode !== null) return r();
    child.once("exit", () => r());
    child.kill("SIGTERM");
    setTimeout(() => child.kill("SIGKILL"), 5000).unref();
  });
  if (!c.keep) rmSync(dd, { recursive: true, force: true });
  if (Number.isNaN(first)) throw new Error(`${c.label}: no answer in 30 s:\n${out}`);
  return { ready, first };
}

const res = cfgs.map(() => ({ ready: [] as number[], first: [] as number[] }));
try {
  for (let i = 0; i < cfgs.length; i++) await once(cfgs[i]!, i); // warm-up (compile cache, existing data dirs)
  for (let r = 0; r < RUNS; r++) {
    for (let i = 0; i < cfgs.length; i++) {
      const x = await once(cfgs[i]!, i);
      res[i]!.ready.push(x.ready);
      res[i]!.first.push(x.first);
    }
  }
} finally {
  rmSync(keepDirs, { recursive: true, force: true });
}
const floor = median(res[0]!.first);
console.log(`\nFirst answered ECS call after spawn (${RUNS} runs each, interleaved)\n`);
console.log(
  table(
    ["server", "first call median ms", "min", "max", "'ready' median ms", "x bare Node", "goal ≤ 150 ms"],
    cfgs.map((c, i) => {
      const f = res[i]!.first;
      return [c.label, median(f), Math.min(...f), Math.max(...f), c.bare ? "-" : median(res[i]!.ready), median(f) / floor, c.bare ? "-" : median(f) <= 150 ? "met" : "NOT met"];
    }),
  ),
);
