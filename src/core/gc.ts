/**
 * V8's `gc` function without running Node with --expose-gc: Node's own when it was started with the
 * flag, else the same function taken from a fresh context, with the flag set only while that
 * context is made, so no other code sees a global `gc`
 * (https://nodejs.org/api/v8.html#v8setflagsfromstringflags). Used by the idle collection of
 * `slipway up` (src/server/idle-gc.ts) and by the tests and benchmarks that measure a live heap.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/** With no options, a full (major, synchronous) collection; "last-resort" also releases pooled pages. */
export type GcFunction = (options?: { type: "major" | "minor"; execution: "sync" | "async"; flavor?: "regular" | "last-resort" }) => void;

export function v8Gc(): GcFunction {
  const exposed = (globalThis as { gc?: unknown }).gc;
  if (typeof exposed === "function") return exposed as GcFunction;
  setFlagsFromString("--expose-gc");
  try {
    return runInNewContext("gc") as GcFunction;
  } finally {
    setFlagsFromString("--no-expose-gc");
  }
}
