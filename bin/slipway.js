#!/usr/bin/env node
// Slipway needs Node >= 22.18 (it runs its TypeScript sources with Node's type stripping).
const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  console.error(`slipway: Node ${process.versions.node} is too old; Node >= 22.18 is required (npm install puts Node 24 in node_modules/.bin on linux-x64).`);
  process.exit(1);
}
await import("../src/cli/main.ts");
