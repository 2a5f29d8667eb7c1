/**
 * The test command (`npm test`): type-check (the server, and the console's browser code with its
 * own settings), then run every *.test.ts under src/ and test/ with node:test. `--unit` runs only
 * the tests on fakes, no Docker: src/ (next to their code) and test/scheduler/ (the schedulers on
 * the in-process harness). Extra arguments are passed
 * to node --test (e.g. --test-name-pattern).
 */
import { spawnSync } from "node:child_process";
import { globSync } from "node:fs";

const args = process.argv.slice(2);
const unitOnly = args.includes("--unit");
const rest = args.filter((a) => a !== "--unit");

// The server (Node) and the console's browser code (DOM) are checked with their own settings.
for (const project of ["tsconfig.json", "src/console/client/tsconfig.json"]) {
  const tsc = spawnSync(process.execPath, ["node_modules/typescript/bin/tsc", "--noEmit", "-p", project], { stdio: "inherit" });
  if (tsc.status !== 0) process.exit(tsc.status ?? 1);
}

const patterns = unitOnly ? ["src/**/*.test.ts", "test/scheduler/*.test.ts"] : ["src/**/*.test.ts", "test/**/*.test.ts"];
// The slowest file (real-time scaling, about 20 minutes of AWS's alarm periods, mostly waiting)
// starts first, so the other lane runs the rest of the suite beside it instead of after it.
const SLOW_FIRST = ["test/e2e/metrics-scaling.test.ts"];
const files = patterns
  .flatMap((p) => globSync(p))
  .sort()
  .sort((a, b) => Number(SLOW_FIRST.includes(b)) - Number(SLOW_FIRST.includes(a)));
const run = spawnSync(
  process.execPath,
  ["--test", "--test-reporter=spec", "--test-concurrency=2", ...rest, ...files],
  { stdio: "inherit" },
);
process.exit(run.status ?? 1);
