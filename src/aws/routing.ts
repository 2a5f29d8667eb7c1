/**
 * Which service a request is for: X-Amz-Target prefix (JSON), else form `Action` (+ `Version`), with
 * the SigV4 credential scope service deciding between services that share an action (DescribeTags).
 */
import type { ServiceModel } from "./model/index.ts";
import type { WireProtocol, WireRequest } from "./protocol/index.ts";
import type { Protocol, ServiceDefinition } from "./service.ts";

export interface RegisteredService {
  readonly def: ServiceDefinition;
  readonly model: ServiceModel;
  readonly protocol: WireProtocol;
}

export interface CredentialScope {
  readonly accessKeyId: string;
  readonly date: string;
  readonly region: string;
  readonly service: string;
}

export type RouteResult =
  | { readonly kind: "ok"; readonly service: RegisteredService; readonly operation: string; readonly protocol: Protocol }
  /** The service is known (or guessed) but not the operation. */
  | {
      readonly kind: "unknown-operation";
      readonly service: RegisteredService | undefined;
      readonly operation: string;
      readonly json: boolean;
      readonly protocol?: Protocol;
    }
  /** A service Slipway does not serve: `name` from the X-Amz-Target prefix or the credential scope. */
  | { readonly kind: "unknown-service"; readonly service: undefined; readonly name: string; readonly operation: string; readonly json: boolean };

const CREDENTIAL = /Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request/;

/** The credential scope from `Authorization: AWS4-HMAC-SHA256 Credential=…` or presigned `X-Amz-Credential`. */
export function credentialScope(req: Pick<WireRequest, "headers" | "query">): CredentialScope | undefined {
  const auth = req.headers["authorization"];
  const m = auth ? CREDENTIAL.exec(auth) : undefined;
  if (m) return { accessKeyId: m[1] ?? "", date: m[2] ?? "", region: m[3] ?? "", service: m[4] ?? "" };
  const q = req.query.get("X-Amz-Credential");
  if (!q) return undefined;
  const [accessKeyId = "", date = "", region = "", service = ""] = q.split("/");
  return { accessKeyId, date, region, service };
}

/** Every protocol a service answers, its main one first. */
export function protocolsOf(def: ServiceDefinition): readonly Protocol[] {
  return def.alsoProtocols ? [def.protocol, ...def.alsoProtocols] : [def.protocol];
}

export const CBOR_PATH = /^\/service\/([^/]+)\/operation\/([^/]+)$/;

export function route(
  req: WireRequest,
  services: readonly RegisteredService[],
  scope: CredentialScope | undefined,
): RouteResult {
  // smithy-rpc-v2-cbor: POST /service/<ServiceShape>/operation/<Op> with `smithy-protocol: rpc-v2-cbor`.
  const cborPath = req.headers["smithy-protocol"] === "rpc-v2-cbor" ? CBOR_PATH.exec(req.path) : null;
  if (cborPath) {
    const [, shape = "", operation = ""] = cborPath;
    const service = services.find((s) => protocolsOf(s.def).includes("rpcv2Cbor") && s.def.targetPrefix === shape);
    if (service && service.model.operation(operation)) return { kind: "ok", service, operation, protocol: "rpcv2Cbor" };
    if (!service) return { kind: "unknown-service", service: undefined, name: scope?.service || shape, operation, json: true };
    return { kind: "unknown-operation", service, operation, json: true, protocol: "rpcv2Cbor" };
  }
  const target = req.headers["x-amz-target"];
  if (target !== undefined) {
    const dot = target.lastIndexOf(".");
    const prefix = dot < 0 ? "" : target.slice(0, dot);
    const operation = target.slice(dot + 1);
    const json = services.filter((s) => protocolsOf(s.def).some((p) => p.startsWith("awsJson")));
    const service =
      json.find((s) => s.def.targetPrefix === prefix) ??
      json.find((s) => scope !== undefined && s.def.signingName === scope.service);
    const jsonProtocol = service ? (protocolsOf(service.def).find((p) => p.startsWith("awsJson")) ?? "awsJson1_1") : "awsJson1_1";
    if (service && service.def.targetPrefix === prefix && service.model.operation(operation)) {
      return { kind: "ok", service, operation, protocol: jsonProtocol };
    }
    if (!service) return { kind: "unknown-service", service: undefined, name: scope?.service || prefix || target, operation: target, json: true };
    return { kind: "unknown-operation", service, operation: operation || target, json: true, protocol: jsonProtocol };
  }

  const action = req.form?.get("Action") ?? "";
  const version = req.form?.get("Version") ?? undefined;
  const query = services.filter((s) => protocolsOf(s.def).some((p) => p === "awsQuery" || p === "ec2Query"));
  let candidates = query;
  if (scope) {
    const byScope = candidates.filter((s) => s.def.signingName === scope.service);
    if (byScope.length > 0) candidates = byScope;
    else if (action && !services.some((s) => s.def.signingName === scope.service)) {
      return { kind: "unknown-service", service: undefined, name: scope.service, operation: action, json: false };
    }
  }
  if (version) {
    const byVersion = candidates.filter((s) => s.def.version === version);
    if (byVersion.length > 0) candidates = byVersion;
  }
  // No Action names no operation: look nothing up (a model loads on its first lookup).
  const service = action ? candidates.find((s) => s.model.operation(action)) : undefined;
  if (service) return { kind: "ok", service, operation: action, protocol: formProtocol(service) };
  const guess = candidates.length === 1 || (scope && candidates[0]?.def.signingName === scope.service) ? candidates[0] : undefined;
  return { kind: "unknown-operation", service: guess, operation: action, json: false, protocol: guess ? formProtocol(guess) : undefined };
}

function formProtocol(service: RegisteredService): Protocol {
  return protocolsOf(service.def).find((p) => p === "awsQuery" || p === "ec2Query") ?? "awsQuery";
}
