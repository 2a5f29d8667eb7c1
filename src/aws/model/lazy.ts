import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/**
 * A loader for an @aws-sdk/client-* package (they ship CommonJS, so `require` loads them
 * synchronously). Services register `model: lazyModel("@aws-sdk/client-ecs")`, and the gateway
 * loads the package on the first request that needs it.
 */
export function lazyModel(pkg: string): () => Readonly<Record<string, unknown>> {
  let loaded: Readonly<Record<string, unknown>> | undefined;
  return () => (loaded ??= require(pkg) as Readonly<Record<string, unknown>>);
}
