/**
 * Typed handler tables: `defineHandlers<EcsOps>()({ CreateCluster: async (input, ctx) => … })` checks
 * operation names and the SDK's request/response types at compile time, and returns the table as is.
 */
import type { TypedHandlers } from "./service.ts";

export function defineHandlers<Ops extends Record<string, { input: unknown; output: unknown }>>() {
  return <H extends TypedHandlers<Ops>>(handlers: H): H => handlers;
}
