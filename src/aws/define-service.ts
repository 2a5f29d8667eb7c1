/**
 * How a service declares itself to the wire layer: `defineService({...})` with a handler table
 * typed by the service's @aws-sdk/client-* package.
 *
 * The operation types come from the SDK's aggregated client class (`ECS`, `ECR`, `IAM`, …): each
 * method `createCluster(args: CreateClusterCommandInput, options, cb: (err, data?: Output) => void)`
 * gives the operation `CreateCluster` its request and response types. So a handler table is checked
 * against the SDK (operation names, inputs, outputs) with no per-service list of operations and
 * no casts:
 *
 *   defineHandlers<ECS>()({ CreateCluster: (input, ctx) => ({ cluster: … }) })
 */
import type { HandlerTable, RequestContext, ServiceDefinition } from "./service.ts";

/** What a handler returns: the SDK's output shape without the client-side `$metadata`. */
export type Output<O> = Omit<O, "$metadata">;

interface Operation<I, O> {
  input: I;
  output: O;
}

type OperationOf<M> = M extends (args: infer I, options: infer _Options, cb: (err: infer _E, data?: infer O) => void) => void
  ? Operation<I, Output<O>>
  : never;

/** Operation name → { input, output }, derived from an SDK aggregated client class. */
export type OperationsOf<Client> = {
  [K in keyof Client & string as OperationOf<Client[K]> extends never ? never : Capitalize<K>]: OperationOf<Client[K]>;
};

type HandlerFor<Op> = Op extends Operation<infer I, infer O> ? (input: I, ctx: RequestContext) => O | Promise<O> : never;

/** A handler table for some of `Client`'s operations (unlisted operations answer 501). */
export type HandlersOf<Client> = { [K in keyof OperationsOf<Client>]?: HandlerFor<OperationsOf<Client>[K]> };

/** Checks a handler table against `Client`'s operations and returns it unchanged. */
export function defineHandlers<Client>(): (handlers: HandlersOf<Client>) => HandlerTable {
  return (handlers) => handlers;
}

/** The one way a service registers with the gateway (see src/aws/service.ts for the fields). */
export function defineService(def: ServiceDefinition): ServiceDefinition {
  return def;
}
