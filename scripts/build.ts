/**
 * `npm run build` (also run by `npm install`/`npm ci` through `prepare`): compiles src/ to plain
 * JavaScript in dist/ so `slipway up` starts without type-stripping every file (faster start-up,
 * less memory). bin/slipway.js runs dist/ only while it is newer than every source file, so a
 * stale build never runs.
 */
import { spawnSync } from "node:child_process";
import { cpSync, rmSync, writeFileSync } from "node:fs";

rmSync("dist", { recursive: true, force: true });
const tsc = spawnSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json"], { stdio: "inherit" });
if (tsc.status !== 0) process.exit(tsc.status ?? 1);
cpSync("src/aws/model/generated", "dist/src/aws/model/generated", { recursive: true });
writeFileSync("dist/BUILT", `${new Date().toISOString()}\n`);
