// Whether the compiled build (dist/, made by `npm run build`) is newer than every source file.
// bin/slipway.js runs dist/slipway.js when it is and the TypeScript sources when it is not; the
// benchmarks (bench/lib.ts) refuse a stale tree by the same rule, so they never measure the sources.
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Newest modification time of any file under dir (ms). A walk by hand: readdirSync's `recursive`
 * option took ~7.6 ms over src/ on a cold start, this ~3 ms (docs/benchmarks.md, section 19).
 */
function newest(dir) {
  let max = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    // Not path.join: its normalisation loop, run for each of ~440 files, was the one function V8's
    // optimising compiler (TurboFan) compiled while Slipway started, paging ~5 MiB of the compiler's
    // machine code into a process that may then idle (docs/benchmarks.md, section 22).
    const path = `${dir}/${e.name}`;
    if (e.isDirectory()) max = Math.max(max, newest(path));
    else if (e.isFile()) max = Math.max(max, statSync(path).mtimeMs);
  }
  return max;
}

/** root: the checkout's directory (a path, or a file: URL). */
export function buildIsFresh(root) {
  const dir = typeof root === "string" ? root : fileURLToPath(root);
  const built = join(dir, "dist/BUILT");
  return existsSync(built) && statSync(built).mtimeMs >= newest(join(dir, "src"));
}
