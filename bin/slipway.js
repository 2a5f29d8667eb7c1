#!/usr/bin/env node
// Slipway needs Node >= 22.18 (it can run its TypeScript sources with Node's type stripping).
import { existsSync, readdirSync, statSync } from "node:fs";

const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  console.error(`slipway: Node ${process.versions.node} is too old; Node >= 22.18 is required (npm install puts Node 24 in node_modules/.bin on linux-x64).`);
  process.exit(1);
}

const root = new URL("../", import.meta.url);
const built = new URL("dist/BUILT", root);

/** Newest modification time of any file under dir (ms). */
function newest(dir) {
  let max = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) max = Math.max(max, statSync(`${e.parentPath}/${e.name}`).mtimeMs);
  }
  return max;
}

// The compiled build (npm run build) when it is newer than every source file, else the sources.
const fresh = existsSync(built) && statSync(built).mtimeMs >= newest(new URL("src", root).pathname);
await import(fresh ? "../dist/src/cli/main.js" : "../src/cli/main.ts");
