/**
 * `node:tls` and `node:https`, loaded when first used. Importing them costs a start ~6-8 ms
 * (TLS's module graph), and only a load balancer with an HTTPS listener or an HTTPS target group
 * needs them (docs/benchmarks.md, section 19). Types still come from `import type`.
 */
import { createRequire } from "node:module";
import type * as Https from "node:https";
import type * as Tls from "node:tls";

const require = createRequire(import.meta.url);
let tls: typeof Tls | undefined;
let https: typeof Https | undefined;

export function tlsConnect(options: Tls.ConnectionOptions): Tls.TLSSocket {
  tls ??= require("node:tls") as typeof Tls;
  return tls.connect(options);
}

export function createSecureContext(options: Tls.SecureContextOptions): Tls.SecureContext {
  tls ??= require("node:tls") as typeof Tls;
  return tls.createSecureContext(options);
}

export function createHttpsServer(options: Https.ServerOptions): Https.Server {
  https ??= require("node:https") as typeof Https;
  return https.createServer(options);
}
