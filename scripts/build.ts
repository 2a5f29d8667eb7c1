/**
 * `npm run build` (also run by `npm install`/`npm ci` through `prepare`):
 * - type-checks src/ (tsc, tsconfig.build.json, no output);
 * - bundles the server into one ES module, dist/slipway.js (esbuild; npm packages stay external
 *   and load from node_modules), so `slipway up` neither strips types nor resolves and links its
 *   ~300 modules one by one: docs/benchmarks.md §17 has the start-up and memory figures;
 * - bundles the web console's browser code into dist/console/ (every asset is served by Slipway
 *   itself).
 * bin/slipway.js runs dist/slipway.js only while it is newer than every source file, so a stale
 * build never runs; the console rebuilds in memory when dist/console is older than its sources.
 */
import { spawnSync } from "node:child_process";
import { brotliCompressSync, constants } from "node:zlib";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { buildClient } from "../src/console/build-client.ts";

rmSync("dist", { recursive: true, force: true });
const tsc = spawnSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json", "--noEmit"], { stdio: "inherit" });
if (tsc.status !== 0) process.exit(tsc.status ?? 1);

const esbuild = await import("esbuild");
const server = await esbuild.build({
  entryPoints: ["src/cli/main.ts"],
  outdir: "dist",
  entryNames: "slipway",
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node22.18",
  packages: "external",
  sourcemap: "linked",
  legalComments: "none",
  // V8 keeps the module's source text for as long as the process runs (lazy compilation needs it),
  // and the line-end table it builds for stack traces: without indentation and line breaks the
  // bundle is 1.18 MB instead of 1.53 MB and has ~600 lines instead of ~35,000. Names are kept, so
  // stack traces still name Slipway's functions; `NODE_OPTIONS=--enable-source-maps` maps them
  // back to src/ through dist/slipway.js.map. docs/benchmarks.md, section 22.
  minifyWhitespace: true,
  // V8 keeps a module's source text on the heap, two bytes per character if any character is
  // outside Latin-1: `ascii` escapes strings and identifiers, and the few comments esbuild keeps
  // (arrows and ≥ signs) are escaped below, so the bundle costs one byte per character, not two.
  charset: "ascii",
  write: false,
  logLevel: "warning",
});
mkdirSync("dist", { recursive: true });
for (const f of server.outputFiles) {
  const text = f.path.endsWith(".js") ? f.text.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`) : f.text;
  writeFileSync(f.path, text);
}

const client = await buildClient();
mkdirSync("dist/console", { recursive: true });
let total = 0;
for (const f of client.files) {
  writeFileSync(`dist/console/${f.name}`, f.contents);
  total += brotliCompressSync(f.contents, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
}
// Written last: its time stamp says when the bundle was made (see src/console/assets.ts).
writeFileSync("dist/console/manifest.json", `${JSON.stringify(client.entry)}\n`);
console.log(`console: ${client.files.length} files, ${(total / 1024).toFixed(0)} KiB with brotli`);
writeFileSync("dist/BUILT", `${new Date().toISOString()}\n`);
