import { createRequire, registerHooks } from "node:module";

const require = createRequire(import.meta.url);

/**
 * A loader for an @aws-sdk/client-* package's model. Services register
 * `model: lazyModel("@aws-sdk/client-ecs")`, and the gateway loads it on the first request that
 * needs it.
 *
 * What is loaded is the package's schema module (`dist-es/schemas/schemas_0.js`: the `Op$`, `Err$`
 * and structure schemas, and the error classes it registers), not the whole client: the client's
 * CommonJS bundle also brings its middleware stack, HTTP handlers (http2, undici) and credential
 * providers, which cost about 100 ms and 25 MiB of resident memory for ECS alone and which Slipway
 * never calls. docs/benchmarks.md §17 has the figures. When a package has no such module (an SDK
 * layout change), the whole package is loaded as before.
 */
export function lazyModel(pkg: string): () => Readonly<Record<string, unknown>> {
  let loaded: Readonly<Record<string, unknown>> | undefined;
  return () => (loaded ??= loadSchemas(pkg));
}

function loadSchemas(pkg: string): Readonly<Record<string, unknown>> {
  const main = require.resolve(pkg);
  const schemas = main.replace(/dist-cjs\/index\.js$/, "dist-es/schemas/schemas_0.js");
  if (schemas === main) return require(pkg) as Readonly<Record<string, unknown>>;
  hookExtensionlessImports();
  try {
    return require(schemas) as Readonly<Record<string, unknown>>;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "MODULE_NOT_FOUND") throw e;
    return require(pkg) as Readonly<Record<string, unknown>>;
  }
}

let hooked = false;
/**
 * The SDK's `dist-es` files import their siblings without an extension ("../models/errors"),
 * which bundlers accept and Node's ES module resolver does not. This resolve hook adds the `.js`
 * for relative specifiers inside an @aws-sdk/client-* package's `dist-es`, and nowhere else.
 */
function hookExtensionlessImports(): void {
  if (hooked) return;
  hooked = true;
  registerHooks({
    resolve(specifier, context, nextResolve) {
      const parent = context.parentURL;
      if (parent?.includes("/node_modules/@aws-sdk/client-") && parent.includes("/dist-es/") && specifier.startsWith(".") && !/\.[cm]?js$/.test(specifier)) {
        try {
          return nextResolve(`${specifier}.js`, context);
        } catch {
          return nextResolve(`${specifier}/index.js`, context);
        }
      }
      return nextResolve(specifier, context);
    },
  });
}
