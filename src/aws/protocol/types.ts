/** The protocol-neutral request/response the gateway hands to and gets from a wire protocol. */
import type { OperationModel, ServiceModel } from "../model/index.ts";
import type { ServiceError } from "../service-error.ts";

export interface WireRequest {
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
  readonly query: URLSearchParams;
  /** Lower-cased header names. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
  /**
   * The payload the protocol decodes: `body` itself, or `body` gunzipped when the request says
   * `Content-Encoding: gzip` (SDKs compress large PutMetricData calls). SigV4 covers `body`.
   */
  readonly payload?: Uint8Array;
  /** The decoded form (body for POST x-www-form-urlencoded, else the query string) for query protocols. */
  readonly form: URLSearchParams | undefined;
}

export interface WireResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  /** The body of text protocols (JSON, XML); "" when `bytes` carries it. */
  readonly body: string;
  /** The body of binary protocols (CBOR). */
  readonly bytes?: Uint8Array;
}

export interface ResponseMeta {
  readonly requestId: string;
  /** The model, when the service is known (used to look up error traits). */
  readonly model: ServiceModel | undefined;
  readonly xmlNamespace: string | undefined;
  readonly operation: string | undefined;
  /** The service is awsQueryCompatible: JSON/CBOR errors add `x-amzn-query-error`. */
  readonly queryCompatible?: boolean;
}

/** How a service wants its input validated beyond what the protocol always checks. */
export interface ParseOptions {
  /**
   * The error code of a length or range trait violation (default: the protocol's validation
   * error), or false where the service checks lengths and ranges itself (EC2, IAM).
   */
  readonly traitErrors?: string | false | undefined;
}

export interface WireProtocol {
  /** Decodes and validates the input; throws ServiceError (SerializationException, ValidationException…). */
  parseInput(model: ServiceModel, op: OperationModel, req: WireRequest, opts?: ParseOptions): unknown;
  serializeOutput(op: OperationModel, output: unknown, meta: ResponseMeta): WireResponse;
  serializeError(err: ServiceError, meta: ResponseMeta): WireResponse;
}
