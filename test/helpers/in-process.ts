/**
 * Test transports for the gateway: `inProcess(gateway)` is a smithy HttpHandler that feeds requests
 * straight into `gateway.invoke` (no sockets), so real @aws-sdk clients round-trip in-process;
 * `startGatewayServer(gateway)` listens on 127.0.0.1:0 for socket tests (AWS CLI, raw fetch).
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Gateway } from "../../src/aws/gateway.ts";

interface SmithyRequest {
  method: string;
  path: string;
  query?: Record<string, string | (string | null)[] | null>;
  headers: Record<string, string>;
  body?: unknown;
}

export interface InProcessHandler {
  handle(request: SmithyRequest): Promise<{ response: { statusCode: number; headers: Record<string, string>; body: Uint8Array } }>;
  updateHttpClientConfig(): void;
  httpHandlerConfigs(): Record<string, never>;
  destroy(): void;
}

export function inProcess(gateway: Pick<Gateway, "invoke">): InProcessHandler {
  return {
    async handle(request) {
      const search = new URLSearchParams();
      for (const [k, v] of Object.entries(request.query ?? {})) {
        if (v === null) search.append(k, "");
        else if (Array.isArray(v)) for (const x of v) search.append(k, x ?? "");
        else search.append(k, v);
      }
      const qs = search.toString();
      const res = await gateway.invoke({
        method: request.method,
        url: qs ? `${request.path}?${qs}` : request.path,
        headers: request.headers,
        body: toBody(request.body),
      });
      return { response: { statusCode: res.status, headers: res.headers, body: res.bytes ?? new Uint8Array(Buffer.from(res.body, "utf8")) } };
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs() {
      return {};
    },
    destroy() {},
  };
}

function toBody(body: unknown): Uint8Array | string {
  if (body === undefined || body === null) return "";
  if (typeof body === "string" || body instanceof Uint8Array) return body;
  throw new Error(`in-process handler: unsupported request body ${typeof body}`);
}

export interface RunningServer {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

export async function startGatewayServer(gateway: Pick<Gateway, "handle">): Promise<RunningServer> {
  const server = createServer((req, res) => void gateway.handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
