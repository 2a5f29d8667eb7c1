/**
 * `npm run build` (also run by `npm install`/`npm ci` through `prepare`): compiles src/ to plain
 * JavaScript in dist/ so `slipway up` starts without type-stripping every file (faster start-up,
 * less memory), and bundles the web console's browser code into dist/console/ (esbuild; every
 * asset is served by Slipway itself). bin/slipway.js runs dist/ only while it is newer than every
 * source file, so a stale build never runs; the console rebuilds in memory when dist/console is
 * older than its sources.
 */
import { spawnSync } from "node:child_process";
import { brotliCompressSync, constants } from "node:zlib";
import { cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { buildClient } from "../src/console/build-client.ts";

rmSync("dist", { recursive: true, force: true });
const tsc = spawnSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json"], { stdio: "inherit" });
if (tsc.status !== 0) process.exit(tsc.status ?? 1);
cpSync("src/aws/model/generated", "dist/src/aws/model/generated", { recursive: true });

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
