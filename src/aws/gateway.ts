/**
 * The AWS gateway: one node:http handler for every registered service. In strict mode the
 * signature is judged from the request line and headers first (key, date, signed headers, and the
 * signature itself when the client declared its payload hash), before any body byte is read or any
 * service model is loaded; then the body is read (bounded, hashed as it arrives, given up when it
 * stalls) and its hash checked; then routing → parse and validate against the model → handler →
 * serialize. Every failure is an AWS-shaped error in the request's protocol, a client that goes
 * away mid-request is not a failure, and nothing a handler throws can take the server down.
 */
import { randomUUID } from "node:crypto";
import { gunzipSync } from "node:zlib";
import type { IncomingMessage, ServerResponse } from "node:http";
import { authError } from "./auth/auth-errors.ts";
import { authenticateHead, type LookupSecret, type RequestHead, sha256Hex } from "./auth/sigv4.ts";
import { ServiceModel } from "./model/index.ts";
import { protocolFor, type ResponseMeta, type WireRequest, type WireResponse } from "./protocol/index.ts";
import { invalidUtf8At, parseForm } from "./protocol/input-limits.ts";
import { type BodyResult, readBody } from "./read-body.ts";
import { CBOR_PATH, type CredentialScope, credentialScope, protocolsOf, type RegisteredService, route } from "./routing.ts";
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
  /** A request body that sends nothing for this long is given up (408). Default 30 s. */
  readonly bodyIdleMs?: number;
  readonly logger?: GatewayLogger;
  readonly ids?: { uuid(): string };
  /**
   * Epoch milliseconds: the time strict mode checks signatures against (15 minutes either way),
   * and the latency an observer hears. Default: the system clock.
   */
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
  /** The service's protocol (a denial is answered in it). */
  readonly protocol: Protocol;
  /** The client's address as the listener saw it (aws:SourceIp), when known. */
  readonly sourceIp?: string | undefined;
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
  /** The client's address (node:http callers pass the socket's). */
  readonly remoteAddress?: string | undefined;
}

export interface Gateway {
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  invoke(req: GatewayRequest): Promise<WireResponse>;
  /** The services it serves, as registered (the fuzzer walks their models). */
  readonly services: readonly ServiceDefinition[];
}

const DEFAULT_MAX_BODY = 16 * 1024 * 1024;
const DEFAULT_BODY_IDLE_MS = 30_000;
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
  const bodyIdleMs = options.bodyIdleMs ?? DEFAULT_BODY_IDLE_MS;
  const logger = options.logger ?? consoleLogger;
  const ids = options.ids ?? { uuid: () => randomUUID() };
  const lookupSecret: LookupSecret = options.lookupSecret ?? (() => undefined);
  const now = options.now ?? systemClock.now;
  const strict = options.strictAuth ?? false;
  const anyUnsigned = options.services.some((d) => (d.unsignedOperations?.length ?? 0) > 0);

  /** Answers one request whose body `read` supplies; undefined when the client went away. */
  async function respond(raw: RequestLine, read: BodyReader): Promise<Answer | undefined> {
    if (!options.observe) return answer(raw, read, {});
    const at = now();
    const observed: Observed = {};
    const result = await answer(raw, read, observed);
    if (!result) return undefined;
    try {
      options.observe({
        requestId: observed.requestId ?? "",
        at,
        service: observed.service ?? "",
        operation: observed.operation ?? "",
        accountId: observed.accountId ?? defaultAccountId,
        region: observed.region ?? defaultRegion,
        accessKeyId: observed.accessKeyId,
        status: result.reply.status,
        errorCode: result.reply.status >= 400 ? observed.errorCode : undefined,
        latencyMs: now() - at,
      });
    } catch (err) {
      logger.error("call observer failed", { error: err });
    }
    return result;
  }

  async function answer(raw: RequestLine, read: BodyReader, observed: Observed): Promise<Answer | undefined> {
    const requestId = ids.uuid();
    observed.requestId = requestId;
    const head = toHead(raw);
    const scope = credentialScope(head);
    // Which service the request is for, as far as the headers tell without loading any model:
    // enough to answer in its protocol before the body is read.
    const guess = guessService(head, scope);
    let protocolName: Protocol = guess?.protocol ?? (head.headers["x-amz-target"] !== undefined ? "awsJson1_1" : "awsQuery");
    let protocol = protocolFor(protocolName);
    let meta: ResponseMeta = {
      requestId,
      model: undefined,
      xmlNamespace: guess?.service.def.xmlNamespace,
      operation: undefined,
      queryCompatible: guess?.service.def.awsQueryCompatible === true,
    };
    observed.service = guess?.service.def.signingName ?? scope?.service ?? "";
    // What the request names, as far as the headers tell (a refusal before the body is read still
    // names its operation to an observer).
    const target = head.headers["x-amz-target"];
    observed.operation = target !== undefined ? target.slice(target.lastIndexOf(".") + 1) : (head.query.get("Action") ?? "");
    observed.region = scope?.region || defaultRegion;
    observed.accessKeyId = scope?.accessKeyId;
    let bodyRead = false;
    try {
      let accountId = defaultAccountId;
      let verified: ((hash: string) => boolean) | undefined;
      let declaredHash: string | undefined;
      // A request with no credentials at all may still be one of the few operations AWS serves
      // unsigned (STS AssumeRoleWithWebIdentity); only its small body is read to find out.
      let unsignedCandidate = false;
      if (strict) {
        const auth = await authenticateHead(head, lookupSecret, now());
        if (!auth.ok) {
          unsignedCandidate = auth.failure === "missing" && anyUnsigned && Number(head.headers["content-length"] ?? 0) <= MAX_UNSIGNED_BODY;
          if (!unsignedCandidate) throw authError(auth.failure, protocolName, auth.message);
        } else {
          // A declared payload hash lets the signature be checked before the body is read.
          if (auth.declaredHash !== undefined && !auth.verify(auth.declaredHash)) throw authError("mismatch", protocolName);
          accountId = auth.accountId;
          verified = auth.verify;
          declaredHash = auth.declaredHash;
        }
      }
      const body = await read(strict && !unsignedCandidate, unsignedCandidate ? MAX_UNSIGNED_BODY : maxBodyBytes);
      bodyRead = true;
      if (!body.ok) {
        if (body.reason === "aborted") return undefined;
        if (body.reason === "too-large") {
          if (unsignedCandidate) throw authError("missing", protocolName);
          return { reply: tooLarge(raw, requestId, maxBodyBytes), close: true };
        }
        throw new ServiceError("RequestTimeout", `The request body was not received within ${bodyIdleMs} ms of inactivity.`, { status: 408 });
      }
      if (verified) {
        const hash = body.sha256 ?? sha256Hex(body.body);
        if (declaredHash !== undefined ? hash !== declaredHash : !verified(hash)) throw authError("mismatch", protocolName);
      } else if (scope) {
        accountId = (await lookupSecret(scope.accessKeyId))?.accountId ?? defaultAccountId;
      }
      observed.accountId = accountId;

      const req = toWireRequest(head, rawQueryOf(raw.url), body.body, protocolName);
      const routed = route(req, services, scope);
      const service = routed.service;
      // The protocol the request was sent in (a service may answer several, e.g. CloudWatch).
      const wire = routed.kind === "unknown-service" ? undefined : routed.protocol;
      if (wire || service) {
        protocolName = wire ?? service!.def.protocol;
        protocol = protocolFor(protocolName);
      } else if (!guess) {
        protocolName = fallbackProtocol(req, routed.json);
        protocol = protocolFor(protocolName);
      }
      observed.service = routed.kind === "unknown-service" ? routed.name : (service?.def.signingName ?? observed.service);
      observed.operation = routed.operation;
      meta = {
        requestId,
        // Only a routed operation's model: errors before routing are generic, and a request that
        // names no operation must not load any model (each is tens of MB).
        model: routed.kind === "ok" ? service?.model : undefined,
        xmlNamespace: service?.def.xmlNamespace ?? guess?.service.def.xmlNamespace,
        operation: routed.operation,
        queryCompatible: (service ?? guess?.service)?.def.awsQueryCompatible === true,
      };
      if (unsignedCandidate && !(routed.kind === "ok" && service?.def.unsignedOperations?.includes(routed.operation) === true)) {
        throw authError("missing", protocolName);
      }
      if (routed.kind === "unknown-service") throw notServed(routed.name, routed.operation, protocolName);
      if (routed.kind !== "ok" || !service) throw unknownOperation(routed.operation, protocolName);

      const op = service.model.operation(routed.operation);
      if (!op) throw unknownOperation(routed.operation, protocolName);
      const input = protocol.parseInput(service.model, op, req, { traitErrors: service.def.traitErrors });
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
      if (options.authorize) await options.authorize({ ctx, input, protocol: service.def.protocol, sourceIp: raw.remoteAddress });
      const output = await handler(input, ctx);
      return { reply: protocol.serializeOutput(op, output, meta), close: false };
    } catch (err) {
      // A refusal before the body was read closes the connection: the unread body is never read.
      const close = !bodyRead || (err instanceof ServiceError && err.status === 408);
      if (err instanceof ServiceError) {
        observed.errorCode = err.code;
        return { reply: protocol.serializeError(err, meta), close };
      }
      logger.error("internal failure", { requestId, operation: meta.operation, error: err });
      const failure = internalFailure();
      observed.errorCode = failure.code;
      return { reply: protocol.serializeError(failure, meta), close };
    }
  }

  /** The service and protocol a request is for, from its path and headers alone (no model is loaded). */
  function guessService(head: RequestHead, scope: CredentialScope | undefined): { service: RegisteredService; protocol: Protocol } | undefined {
    const cbor = head.headers["smithy-protocol"] === "rpc-v2-cbor" ? CBOR_PATH.exec(head.path) : null;
    if (cbor) {
      const service = services.find((s) => protocolsOf(s.def).includes("rpcv2Cbor") && s.def.targetPrefix === cbor[1]);
      return service ? { service, protocol: "rpcv2Cbor" } : undefined;
    }
    const target = head.headers["x-amz-target"];
    if (target !== undefined) {
      const prefix = target.slice(0, Math.max(0, target.lastIndexOf(".")));
      const json = services.filter((s) => protocolsOf(s.def).some((p) => p.startsWith("awsJson")));
      const service = json.find((s) => s.def.targetPrefix === prefix) ?? json.find((s) => s.def.signingName === scope?.service);
      return service ? { service, protocol: protocolsOf(service.def).find((p) => p.startsWith("awsJson")) ?? "awsJson1_1" } : undefined;
    }
    if (!scope) return undefined;
    const service = services.find((s) => s.def.signingName === scope.service && protocolsOf(s.def).some((p) => p === "awsQuery" || p === "ec2Query"));
    return service ? { service, protocol: protocolsOf(service.def).find((p) => p === "awsQuery" || p === "ec2Query") ?? "awsQuery" } : undefined;
  }

  async function invoke(raw: GatewayRequest): Promise<WireResponse> {
    const body = typeof raw.body === "string" ? Buffer.from(raw.body, "utf8") : Buffer.from(raw.body ?? new Uint8Array());
    const read: BodyReader = async (_hash, max) => (body.byteLength > max ? { ok: false, reason: "too-large" } : { ok: true, body, sha256: undefined });
    const result = await respond(raw, read);
    // An in-process body is never "aborted".
    return result!.reply;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const line: RequestLine = { method: req.method ?? "GET", url: req.url ?? "/", headers: req.headers, remoteAddress: req.socket.remoteAddress?.replace(/^::ffff:/, "") };
      const result = await respond(line, (hash, max) => readBody(req, max, { hash, idleMs: bodyIdleMs }));
      if (!result || res.destroyed) return;
      if (result.close) result.reply.headers["connection"] = "close";
      res.writeHead(result.reply.status, result.reply.headers);
      res.end(result.reply.bytes ?? result.reply.body);
    } catch (err) {
      if (res.destroyed || req.destroyed) return;
      logger.error("gateway failure", { error: err });
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain", connection: "close" });
      res.end();
    }
  }

  function tooLarge(raw: RequestLine, requestId: string, limit: number): WireResponse {
    const head = toHead(raw);
    const scope = credentialScope(head);
    const service = services.find((s) => s.def.signingName === scope?.service);
    const json = service ? service.def.protocol.startsWith("awsJson") : head.headers["x-amz-target"] !== undefined;
    const protocol = service?.protocol ?? protocolFor(json ? "awsJson1_1" : "awsQuery");
    const message = `Request body is larger than the ${limit} bytes allowed.`;
    const err = new ServiceError(json ? "RequestEntityTooLargeException" : "RequestEntityTooLarge", message, { status: 413 });
    return protocol.serializeError(err, { requestId, model: undefined, xmlNamespace: service?.def.xmlNamespace, operation: undefined });
  }

  return { handle, invoke, services: options.services };
}

type Observed = { -readonly [K in keyof ObservedCall]?: ObservedCall[K] };

/** Reads the request body, hashing it when asked, refusing it past `max` bytes. */
type BodyReader = (hash: boolean, max: number) => Promise<BodyResult>;

/** An unsigned request (AssumeRoleWithWebIdentity) has a small body: a web identity token. */
const MAX_UNSIGNED_BODY = 64 * 1024;

interface Answer {
  readonly reply: WireResponse;
  /** Close the connection after the reply (a body was refused unread, or it stalled). */
  readonly close: boolean;
}

/** What a request is before its body: method, URL and headers as they came. */
type RequestLine = Omit<GatewayRequest, "body">;

function rawQueryOf(url: string): string {
  const q = url.indexOf("?");
  return q < 0 ? "" : url.slice(q + 1);
}

/** Lower-cased headers (repeated ones joined with ", "), the path and the query string. */
function toHead(raw: RequestLine): RequestHead {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw.headers)) {
    if (v === undefined) continue;
    headers[k.toLowerCase()] = typeof v === "string" ? v : v.join(", ");
  }
  const q = raw.url.indexOf("?");
  const path = q < 0 ? raw.url : raw.url.slice(0, q);
  const query = new URLSearchParams(q < 0 ? "" : raw.url.slice(q + 1));
  return { method: raw.method.toUpperCase(), path, query, headers };
}

/**
 * The request with its body, and the form of the query protocols (the query string's parameters,
 * then a form-encoded body's). A form that is not well-formed UTF-8, or that is too large to be a
 * real call, is refused in the protocol's terms (awsQuery: MalformedInput; EC2: MalformedQueryString).
 */
function toWireRequest(head: RequestHead, rawQuery: string, body: Uint8Array, protocol: Protocol): WireRequest {
  // The payload the protocol decodes: the body, or the body gunzipped when the request says so (SDKs
  // compress large PutMetricData calls), inflating to MAX_INFLATED at most. SigV4 covers the body.
  let payload = body;
  if ((head.headers["content-encoding"] ?? "").toLowerCase() === "gzip" && body.byteLength > 0) {
    try {
      payload = new Uint8Array(gunzipSync(body, { maxOutputLength: MAX_INFLATED }));
    } catch {
      // Left compressed: the protocol reports a body it cannot read.
    }
  }
  let form: URLSearchParams | undefined;
  const isForm = (head.headers["content-type"] ?? "").includes("application/x-www-form-urlencoded");
  if (isForm || head.query.has("Action")) {
    const refuse = (reason: string): ServiceError =>
      protocol === "ec2Query"
        ? new ServiceError("MalformedQueryString", `The query string contains a syntax error: ${reason}.`, { status: 400 })
        : new ServiceError("MalformedInput", `The request is not a valid form: ${reason}.`, { status: 400 });
    // The query string's parameters (but the signature's), then a form body's: both strictly decoded.
    const fromQuery = parseForm(rawQuery);
    if (!fromQuery.ok) throw refuse(fromQuery.reason);
    form = new URLSearchParams();
    for (const [k, v] of fromQuery.form) if (!k.startsWith("X-Amz-")) form.append(k, v);
    if (isForm) {
      if (invalidUtf8At(payload) >= 0) throw refuse("bytes that are not UTF-8");
      const parsed = parseForm(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString("utf8"), form);
      if (!parsed.ok) throw refuse(parsed.reason);
    }
  }
  return { ...head, body, payload, form };
}

function fallbackProtocol(req: WireRequest, json: boolean): Protocol {
  const isJson = json || req.headers["x-amz-target"] !== undefined || (req.headers["content-type"] ?? "").includes("json");
  return isJson ? "awsJson1_1" : "awsQuery";
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
