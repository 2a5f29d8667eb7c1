/**
 * The AWS gateway: one node:http handler for every registered service. Routing → SigV4 → parse and
 * validate against the model → handler → serialize; every failure is an AWS-shaped error in the
 * request's protocol, and nothing a handler throws can take the server down.
 */
import { randomUUID } from "node:crypto";
import { gunzipSync } from "node:zlib";
import type { IncomingMessage, ServerResponse } from "node:http";
import { authError } from "./auth/auth-errors.ts";
import { type LookupSecret, verifySigV4 } from "./auth/sigv4.ts";
import { ServiceModel } from "./model/index.ts";
import { protocolFor, type ResponseMeta, type WireProtocol, type WireRequest, type WireResponse } from "./protocol/index.ts";
import { readBody } from "./read-body.ts";
import { credentialScope, type RegisteredService, route } from "./routing.ts";
import type { Protocol, RequestContext, ServiceDefinition } from "./service.ts";
import { ServiceError } from "./service-error.ts";
import { systemClock } from "../core/clock.ts";

export interface GatewayLogger {
  error(message: string, details: Record<string, unknown>): void;
}

export interface GatewayOptions {
  readonly services: readonly ServiceDefinition[];
  /** Account for unknown/absent access keys (non-strict mode). Default "000000000000". */
  readonly defaultAccountId?: string;
  /** Region when the request carries no credential scope. Default "us-east-1". */
  readonly defaultRegion?: string;
  /** Verify SigV4 signatures; reject unknown keys. Default false. */
  readonly strictAuth?: boolean;
  readonly lookupSecret?: LookupSecret;
  /** Request bodies above this get 413. Default 16 MiB. */
  readonly maxBodyBytes?: number;
  readonly logger?: GatewayLogger;
  readonly ids?: { uuid(): string };
  /** Milliseconds, for the latency an observer hears. Default Date.now via the system clock. */
  readonly now?: () => number;
  /**
   * Called after the input is parsed and before the handler runs; throws a ServiceError (an
   * access denial) to refuse the call. Default: every call is allowed.
   */
  readonly authorize?: (call: AuthorizeCall) => void | Promise<void>;
  /** Hears every answered API call (the console's activity feed, metrics). Must not throw. */
  readonly observe?: (call: ObservedCall) => void;
}

export interface AuthorizeCall {
  readonly ctx: RequestContext;
  readonly input: unknown;
}

export interface ObservedCall {
  readonly requestId: string;
  /** Epoch ms when the request arrived. */
  readonly at: number;
  /** Signing name of the service, or what the request named when Slipway does not serve it. */
  readonly service: string;
  readonly operation: string;
  readonly accountId: string;
  readonly region: string;
  readonly accessKeyId: string | undefined;
  readonly status: number;
  /** The AWS error code when the call failed. */
  readonly errorCode: string | undefined;
  readonly latencyMs: number;
}

/** A request independent of node:http (in-process tests, other transports). */
export interface GatewayRequest {
  readonly method: string;
  /** Path plus query string, e.g. "/" or "/?Action=DescribeVpcs". */
  readonly url: string;
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  readonly body?: Uint8Array | string;
}

export interface Gateway {
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  invoke(req: GatewayRequest): Promise<WireResponse>;
}

const DEFAULT_MAX_BODY = 16 * 1024 * 1024;
/** A gzip-encoded request body inflates to at most this. */
const MAX_INFLATED = 64 * 1024 * 1024;
const consoleLogger: GatewayLogger = { error: (message, details) => console.error(message, details) };

export function createGateway(options: GatewayOptions): Gateway {
  const services: RegisteredService[] = options.services.map((def) => {
    let model: ServiceModel | undefined;
    return {
      def,
      // Loaded on the first request that needs this service's model.
      get model(): ServiceModel {
        model ??= new ServiceModel(typeof def.model === "function" ? def.model() : def.model, undefined, def.ownEnumChecks);
        return model;
      },
      protocol: protocolFor(def.protocol),
    };
  });
  const defaultAccountId = options.defaultAccountId ?? "000000000000";
  const defaultRegion = options.defaultRegion ?? "us-east-1";
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY;
  const logger = options.logger ?? consoleLogger;
  const ids = options.ids ?? { uuid: () => randomUUID() };
  const lookupSecret: LookupSecret = options.lookupSecret ?? (() => undefined);
  const now = options.now ?? systemClock.now;

  async function invoke(raw: GatewayRequest): Promise<WireResponse> {
    if (!options.observe) return answer(raw);
    const at = now();
    const observed: Partial<ObservedCall> = {};
    const reply = await answer(raw, observed);
    try {
      options.observe({
        requestId: observed.requestId ?? "",
        at,
        service: observed.service ?? "",
        operation: observed.operation ?? "",
        accountId: observed.accountId ?? defaultAccountId,
        region: observed.region ?? defaultRegion,
        accessKeyId: observed.accessKeyId,
        status: reply.status,
        errorCode: reply.status >= 400 ? observed.errorCode : undefined,
        latencyMs: now() - at,
      });
    } catch (err) {
      logger.error("call observer failed", { error: err });
    }
    return reply;
  }

  async function answer(raw: GatewayRequest, observed: { -readonly [K in keyof ObservedCall]?: ObservedCall[K] } = {}): Promise<WireResponse> {
    const requestId = ids.uuid();
    observed.requestId = requestId;
    const size = typeof raw.body === "string" ? Buffer.byteLength(raw.body) : (raw.body?.byteLength ?? 0);
    if (size > maxBodyBytes) return tooLarge(raw, requestId, maxBodyBytes);
    const req = toWireRequest(raw);
    const scope = credentialScope(req);
    const routed = route(req, services, scope);
    const service = routed.service;
    // The protocol the request was sent in (a service may answer several, e.g. CloudWatch).
    const wire = routed.kind === "unknown-service" ? undefined : routed.protocol;
    const protocol = wire ? protocolFor(wire) : (service?.protocol ?? fallbackProtocol(req, routed.kind !== "ok" && routed.json));
    observed.service = routed.kind === "unknown-service" ? routed.name : (service?.def.signingName ?? scope?.service ?? "");
    observed.operation = routed.operation;
    observed.region = scope?.region || defaultRegion;
    observed.accessKeyId = scope?.accessKeyId;
    const meta: ResponseMeta = {
      requestId,
      // Only a routed operation's model: errors before routing are generic, and a request that
      // names no operation must not load any model (each is tens of MB).
      model: routed.kind === "ok" ? service?.model : undefined,
      xmlNamespace: service?.def.xmlNamespace,
      operation: routed.operation,
      queryCompatible: service?.def.awsQueryCompatible === true,
    };
    try {
      const protocolName: Protocol = wire ?? service?.def.protocol ?? (req.headers["x-amz-target"] ? "awsJson1_1" : "awsQuery");
      let accountId = defaultAccountId;
      if (options.strictAuth) {
        const auth = await verifySigV4(req, lookupSecret);
        if (!auth.ok) throw authError(auth.failure, protocolName);
        accountId = auth.accountId;
      } else if (scope) {
        accountId = (await lookupSecret(scope.accessKeyId))?.accountId ?? defaultAccountId;
      }
      observed.accountId = accountId;
      if (routed.kind === "unknown-service") throw notServed(routed.name, routed.operation, protocolName);
      if (routed.kind !== "ok" || !service) throw unknownOperation(routed.operation, protocolName);

      const op = service.model.operation(routed.operation);
      if (!op) throw unknownOperation(routed.operation, protocolName);
      const input = protocol.parseInput(service.model, op, req);
      const handler = service.def.handlers[op.name];
      if (!handler) {
        throw new ServiceError("NotImplemented", `The operation ${op.name} is not implemented by this server.`, { status: 501 });
      }
      const ctx: RequestContext = {
        requestId,
        accountId,
        region: scope?.region || defaultRegion,
        service: service.def.signingName,
        operation: op.name,
        accessKeyId: scope?.accessKeyId,
        principalArn: `arn:aws:iam::${accountId}:root`,
      };
      if (options.authorize) await options.authorize({ ctx, input });
      const output = await handler(input, ctx);
      return protocol.serializeOutput(op, output, meta);
    } catch (err) {
      if (err instanceof ServiceError) {
        observed.errorCode = err.code;
        return protocol.serializeError(err, meta);
      }
      logger.error("internal failure", { requestId, operation: routed.operation, error: err });
      const failure = internalFailure();
      observed.errorCode = failure.code;
      return protocol.serializeError(failure, meta);
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const body = await readBody(req, maxBodyBytes);
      const request: GatewayRequest = { method: req.method ?? "GET", url: req.url ?? "/", headers: req.headers };
      const reply = body.ok
        ? await invoke({ ...request, body: body.body })
        : tooLarge(request, ids.uuid(), maxBodyBytes);
      if (!body.ok) reply.headers["connection"] = "close";
      res.writeHead(reply.status, reply.headers);
      res.end(reply.bytes ?? reply.body);
    } catch (err) {
      logger.error("gateway failure", { error: err });
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end();
    }
  }

  function tooLarge(raw: GatewayRequest, requestId: string, limit: number): WireResponse {
    const req = toWireRequest({ ...raw, body: "" });
    const scope = credentialScope(req);
    const service = services.find((s) => s.def.signingName === scope?.service);
    const json = service ? service.def.protocol.startsWith("awsJson") : req.headers["x-amz-target"] !== undefined;
    const protocol = service?.protocol ?? fallbackProtocol(req, json);
    const message = `Request body is larger than the ${limit} bytes allowed.`;
    const err = new ServiceError(json ? "RequestEntityTooLargeException" : "RequestEntityTooLarge", message, { status: 413 });
    return protocol.serializeError(err, { requestId, model: service?.model, xmlNamespace: service?.def.xmlNamespace, operation: undefined });
  }

  return { handle, invoke };
}

function toWireRequest(raw: GatewayRequest): WireRequest {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw.headers)) {
    if (v === undefined) continue;
    headers[k.toLowerCase()] = typeof v === "string" ? v : v.join(", ");
  }
  const q = raw.url.indexOf("?");
  const path = q < 0 ? raw.url : raw.url.slice(0, q);
  const query = new URLSearchParams(q < 0 ? "" : raw.url.slice(q + 1));
  const body = typeof raw.body === "string" ? new Uint8Array(Buffer.from(raw.body, "utf8")) : (raw.body ?? new Uint8Array());
  let payload = body;
  if ((headers["content-encoding"] ?? "").toLowerCase() === "gzip" && body.byteLength > 0) {
    try {
      payload = new Uint8Array(gunzipSync(body, { maxOutputLength: MAX_INFLATED }));
    } catch {
      // Left compressed: the protocol reports a body it cannot read.
    }
  }
  let form: URLSearchParams | undefined;
  const isForm = (headers["content-type"] ?? "").includes("application/x-www-form-urlencoded");
  if (isForm || query.has("Action")) {
    form = new URLSearchParams();
    for (const [k, v] of query) if (!k.startsWith("X-Amz-")) form.append(k, v);
    if (isForm) for (const [k, v] of new URLSearchParams(Buffer.from(payload).toString("utf8"))) form.append(k, v);
  }
  return { method: raw.method.toUpperCase(), path, query, headers, body, payload, form };
}

function fallbackProtocol(req: WireRequest, json: boolean): WireProtocol {
  const isJson = json || req.headers["x-amz-target"] !== undefined || (req.headers["content-type"] ?? "").includes("json");
  return protocolFor(isJson ? "awsJson1_1" : "awsQuery");
}

/** A service Slipway does not serve, named so that nobody mistakes it for a bug in their call. */
function notServed(name: string, operation: string, protocol: Protocol): ServiceError {
  const message = `Slipway does not serve ${name || "this service"}${operation ? ` (${operation})` : ""}`;
  return new ServiceError(protocol.startsWith("awsJson") ? "UnknownOperationException" : "InvalidAction", message, { status: 400 });
}

function unknownOperation(operation: string, protocol: Protocol): ServiceError {
  if (protocol.startsWith("awsJson")) {
    return new ServiceError("UnknownOperationException", operation ? `Unknown operation ${operation}` : "Unknown operation", { status: 400 });
  }
  if (!operation) return new ServiceError("MissingAction", "Missing Action", { status: 400 });
  return new ServiceError("InvalidAction", `The action ${operation} is not valid for this web service.`, { status: 400 });
}

function internalFailure(): ServiceError {
  return new ServiceError("InternalFailure", "The request processing has failed because of an unknown error, exception or failure.", {
    status: 500,
  });
}
