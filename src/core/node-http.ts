/**
 * `node:http`, loaded through `require`. An ESM `import … from "node:http"` makes Node build the
 * module's namespace from every export, and three of them (`WebSocket`, `CloseEvent`,
 * `MessageEvent`) are lazy getters that load Node's bundled undici: about 13 MiB of resident
 * memory at start-up for a WebSocket client Slipway never uses. Reading named properties off the
 * CommonJS object leaves those getters untouched. Types still come from `import type`.
 */
import { createRequire } from "node:module";
import type * as Http from "node:http";

const http = createRequire(import.meta.url)("node:http") as typeof Http;

export const { Agent, createServer, request } = http;
