import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { test } from "node:test";
import { buildIsFresh } from "../../bin/build-fresh.js";

// The rule bin/slipway.js uses to pick dist/ over the sources, and the benchmarks use to refuse a stale tree.
test("buildIsFresh: dist/BUILT must exist and be at least as new as every file under src/, at any depth", () => {
  const root = mkdtempSync(join(tmpdir(), "slipway-build-fresh-"));
  try {
    mkdirSync(join(root, "src/a/b"), { recursive: true });
    mkdirSync(join(root, "dist"));
    writeFileSync(join(root, "src/top.ts"), "");
    writeFileSync(join(root, "src/a/b/deep.ts"), "");
    const at = (s: number) => new Date(Date.UTC(2026, 11, 7, 12, 0, s));
    utimesSync(join(root, "src/top.ts"), at(0), at(0));
    utimesSync(join(root, "src/a/b/deep.ts"), at(0), at(0));
    assert.equal(buildIsFresh(root), false, "no dist/BUILT");
    writeFileSync(join(root, "dist/BUILT"), "");
    utimesSync(join(root, "dist/BUILT"), at(10), at(10));
    assert.equal(buildIsFresh(root), true);
    assert.equal(buildIsFresh(pathToFileURL(`${root}/`)), true, "a file: URL names the same root");
    utimesSync(join(root, "src/a/b/deep.ts"), at(20), at(20));
    assert.equal(buildIsFresh(root), false, "a deeper source file edited after the build");
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

// The check runs on every start. Its walk over src/ must not make anything hot enough for V8's
// optimising compiler (TurboFan): a compile at start-up pages ~5 MiB of the compiler's machine code
// into a server that may then only idle (path.join's normalisation loop did; docs/benchmarks.md,
// section 22). --trace-opt prints one line per optimised compile.
test("buildIsFresh over this checkout's src/ optimises nothing with TurboFan", () => {
  const root = fileURLToPath(new URL("../../", import.meta.url));
  const script = `const { buildIsFresh } = await import(${JSON.stringify(pathToFileURL(join(root, "bin/build-fresh.js")).href)}); buildIsFresh(${JSON.stringify(root)});`;
  const out = execFileSync(process.execPath, ["--no-concurrent-recompilation", "--trace-opt", "--input-type=module", "-e", script], { encoding: "utf8" });
  const turbofan = out.split("\n").filter((l) => l.includes("completed compiling") && l.includes("TURBOFAN"));
  assert.deepEqual(turbofan, []);
  assert.match(out, /completed compiling .*MAGLEV/, "--trace-opt reports compiles (the check above can see one)");
});
