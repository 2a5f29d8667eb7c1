#!/usr/bin/env -S node --max-semi-space-size=1 --no-concurrent-recompilation
// Slipway needs Node >= 22.18 (it can run its TypeScript sources with Node's type stripping).
//
// V8 flags (the line above; they apply when `slipway` runs as a command, e.g. through npm's bin link):
//   --max-semi-space-size=1  caps each of the young generation's semi-spaces at 1 MiB (Node 24's
//                            default grows them to 16 MiB). A server that mostly idles keeps its
//                            young generation small; scavenges are more frequent under load but
//                            each is cheaper. docs/benchmarks.md has the idle RSS and API figures
//                            with and without it.
//   --no-concurrent-recompilation
//                            V8's optimising compiler (TurboFan) runs on the main thread instead of
//                            a background thread. Its compile zones were freed into the background
//                            threads' malloc arenas, which glibc keeps: after a burst of API calls,
//                            ~14 MiB of free memory stayed in the process. The compiles now run
//                            between requests while a load warms up; warmed up, the API's rate is
//                            the same. docs/benchmarks.md, section 21, has the figures.
// NODE_OPTIONS adds flags, or overrides those Node allows there (--max-semi-space-size, not
// --no-concurrent-recompilation).
import module from "node:module";
import { buildIsFresh } from "./build-fresh.js";

// Node's on-disk compile cache (V8 code cache, and the stripped TypeScript of the sources): a
// second start skips parsing, compiling and type stripping. Its directory is NODE_COMPILE_CACHE
// when set, else node-compile-cache under the OS temp dir. Absent on Node < 22.1.
module.enableCompileCache?.();

const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  console.error(`slipway: Node ${process.versions.node} is too old; Node >= 22.18 is required (npm install puts Node 24 in node_modules/.bin on linux-x64).`);
  process.exit(1);
}

// The compiled build (npm run build) when it is newer than every source file, else the sources.
await import(buildIsFresh(new URL("../", import.meta.url)) ? "../dist/slipway.js" : "../src/cli/main.ts");
