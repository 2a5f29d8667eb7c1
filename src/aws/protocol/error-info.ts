/** What a ServiceError looks like on the wire: code, status and fault from the model's error traits. */
import type { ErrorModel, ServiceModel } from "../model/index.ts";
import type { ServiceError } from "../service-error.ts";

export interface ErrorInfo {
  /** The error shape name (JSON `__type`). */
  readonly code: string;
  /** awsQuery `<Code>`: the awsQueryError code, else the shape name. */
  readonly queryCode: string;
  readonly status: number;
  readonly fault: "client" | "server";
  readonly model: ErrorModel | undefined;
}

/**
 * Status precedence: an explicit ServiceError status, then (query protocols) the awsQueryError status or
 * (JSON) the httpError trait, then 500 for server faults and 400 for client faults.
 */
export function errorInfo(err: ServiceError, model: ServiceModel | undefined, family: "json" | "query" = "json"): ErrorInfo {
  const m = model?.error(err.code);
  const fault = m?.fault ?? (err.status !== undefined && err.status >= 500 ? "server" : "client");
  const traitStatus = family === "query" ? (m?.queryError?.[1] ?? m?.httpStatus) : (m?.httpStatus ?? m?.queryError?.[1]);
  const status = err.status ?? traitStatus ?? (fault === "server" ? 500 : 400);
  return {
    code: m && m.queryError?.[0] !== err.code ? m.name : err.code,
    queryCode: m?.queryError?.[0] ?? err.code,
    status,
    fault,
    model: m,
  };
}
