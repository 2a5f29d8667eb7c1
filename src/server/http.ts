/**
 * The front door: one node:http listener for everything on Slipway's port. It only dispatches:
 * registry paths (/v2/…) to the OCI registry, /_slipway/console to the console, /_slipway/* to
 * Slipway's own endpoints, WebSocket upgrades under /_slipway/exec/ to ECS Exec streams, a
 * browser's unsigned GET / to the console, and the rest to the AWS gateway. No logic of any
 * service lives here.
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { createServer } from "../core/node-http.ts";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;
/** Connection upgrades (WebSockets) Slipway serves on its port: which paths, and the handler. */
export interface Upgrades {
  accepts(url: string): boolean;
  handle(req: IncomingMessage, socket: Duplex, head: Buffer): void;
}

/** A read-only Slipway endpoint under /_slipway/: its JSON body. */
export type SlipwayEndpoint = () => unknown;

export interface FrontDoorRoutes {
  /** True for paths the registry serves. */
  readonly isRegistryPath: (url: string | undefined) => boolean;
  readonly registry: RequestHandler;
  readonly gateway: RequestHandler;
  /** `/_slipway/<name>` → its JSON. */
  readonly endpoints: Readonly<Record<string, SlipwayEndpoint>>;
  /** `/_slipway/<name>` → a document that is not JSON (the local CA's root certificate). */
  readonly documents?: Readonly<Record<string, () => Promise<{ contentType: string; body: string }>>>;
  /** Everything under /_slipway/console. */
  readonly console?: RequestHandler;
}

/** The console's address, where a browser opening Slipway's root is sent. */
export const CONSOLE_URL_PATH = "/_slipway/console/";

/**
 * A browser opening http://127.0.0.1:4566/: GET or HEAD of "/", asking for HTML, with no AWS
 * signature (header or query). AWS clients never ask for text/html.
 */
export function isBrowserVisit(req: IncomingMessage): boolean {
  const url = req.url ?? "/";
  if (req.method !== "GET" && req.method !== "HEAD") return false;
  if (url !== "/" && !url.startsWith("/?")) return false;
  if (url.includes("X-Amz-") || url.includes("Action=")) return false;
  if (req.headers.authorization !== undefined || req.headers["x-amz-target"] !== undefined) return false;
  return String(req.headers.accept ?? "").includes("text/html");
}

export function frontDoor(routes: FrontDoorRoutes): RequestHandler {
  return (req, res) => {
    const url = req.url ?? "/";
    if (routes.isRegistryPath(url)) return routes.registry(req, res);
    if (routes.console && (url === "/_slipway/console" || url.startsWith("/_slipway/console/") || url.startsWith("/_slipway/console?"))) {
      return routes.console(req, res);
    }
    if (routes.console && isBrowserVisit(req)) {
      res.writeHead(302, { location: CONSOLE_URL_PATH, "content-type": "text/plain; charset=utf-8" });
      res.end(`The Slipway console is at ${CONSOLE_URL_PATH}\n`);
      return;
    }
    if (url.startsWith("/_slipway/")) {
      const name = url.slice("/_slipway/".length).split("?")[0] ?? "";
      const document = routes.documents?.[name];
      if (document && (req.method === "GET" || req.method === "HEAD")) {
        document().then(
          (d) => {
            res.writeHead(200, { "content-type": d.contentType, "content-length": Buffer.byteLength(d.body) });
            res.end(req.method === "HEAD" ? undefined : d.body);
          },
          (err: unknown) => {
            res.writeHead(500, { "content-type": "text/plain" });
            res.end(`cannot produce ${name}: ${(err as Error).message}\n`);
          },
        );
        return;
      }
      const endpoint = routes.endpoints[name];
      if (endpoint && (req.method === "GET" || req.method === "HEAD")) {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(endpoint()));
        return;
      }
    }
    return routes.gateway(req, res);
  };
}

export interface ListenOptions {
  readonly port: number;
  readonly host: string;
  readonly headersTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
}

/**
 * Binds the port before anything else is built, so the services can be constructed knowing it
 * (ECR's repository URIs name it); `serve` attaches the front door once they exist.
 */
export async function listen(
  opts: ListenOptions,
): Promise<{ server: Server; port: number; serve(handler: RequestHandler, upgrade?: Upgrades): void; requests(): number }> {
  let upgrades: Upgrades | undefined;
  // No overall request timeout: layer pushes can stream for longer than any fixed limit. Stalls are
  // cut instead: the headers must arrive within headersTimeoutMs (checked every second), idle
  // keep-alive connections close after keepAliveTimeoutMs, and the gateway and the registry give
  // up a body that stops arriving (src/aws/read-body.ts, src/registry/registry.ts).
  // Only upgrades Slipway serves are taken over; any other (an h2c offer) is an ordinary request.
  const server = createServer({
    requestTimeout: 0,
    headersTimeout: opts.headersTimeoutMs,
    connectionsCheckingInterval: 1000,
    shouldUpgradeCallback: (req) => upgrades?.accepts(req.url ?? "/") ?? false,
  });
  server.keepAliveTimeout = opts.keepAliveTimeoutMs;
  // A request that arrives between the bind and `serve` (a client polling for start-up) waits here
  // and is handled once the front door exists; without this Node would emit it to no listener and
  // the client would wait for an answer that never comes.
  let handle: RequestHandler | undefined;
  const early: [IncomingMessage, ServerResponse][] = [];
  let requests = 0;
  server.on("request", (req, res) => {
    requests++;
    if (handle) void handle(req, res);
    else early.push([req, res]);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    server,
    port: (server.address() as AddressInfo).port,
    requests: () => requests,
    serve: (handler, upgrade) => {
      upgrades = upgrade;
      handle = handler;
      for (const [req, res] of early.splice(0)) void handler(req, res);
      server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
        socket.on("error", () => socket.destroy());
        if (upgrade?.accepts(req.url ?? "/")) upgrade.handle(req, socket, head);
        else socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
      });
    },
  };
}

/** Stops accepting, drops open connections, and resolves once the server has closed. */
export async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
