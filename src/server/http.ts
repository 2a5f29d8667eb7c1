/**
 * The front door: one node:http listener for everything on Slipway's port. It only dispatches:
 * registry paths (/v2/…) to the OCI registry, /_slipway/* to Slipway's own endpoints, and the
 * rest to the AWS gateway. No logic of any service lives here.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

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
}

export function frontDoor(routes: FrontDoorRoutes): RequestHandler {
  return (req, res) => {
    const url = req.url ?? "/";
    if (routes.isRegistryPath(url)) return routes.registry(req, res);
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
export async function listen(opts: ListenOptions): Promise<{ server: Server; port: number; serve(handler: RequestHandler): void }> {
  // No overall request timeout: layer pushes can stream for longer than any fixed limit. Stalls are
  // cut instead: the headers must arrive within headersTimeoutMs (checked every second), idle
  // keep-alive connections close after keepAliveTimeoutMs, and the gateway and the registry give
  // up a body that stops arriving (src/aws/read-body.ts, src/registry/registry.ts).
  const server = createServer({ requestTimeout: 0, headersTimeout: opts.headersTimeoutMs, connectionsCheckingInterval: 1000 });
  server.keepAliveTimeout = opts.keepAliveTimeoutMs;
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
    serve: (handler) => {
      server.on("request", (req, res) => void handler(req, res));
    },
  };
}

/** Stops accepting, drops open connections, and resolves once the server has closed. */
export async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
