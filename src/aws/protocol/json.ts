/**
 * awsJson1_0 / awsJson1_1: JSON body in, JSON body out; errors as {"__type", "message"} with
 * x-amzn-ErrorType. Generic over every operation of the model.
 */
import type { OperationModel, ServiceModel } from "../model/index.ts";
import { ServiceError } from "../service-error.ts";
import { errorInfo } from "./error-info.ts";
import { decodeJson, encodeJson } from "./json-codec.ts";
import type { ResponseMeta, WireProtocol, WireRequest, WireResponse } from "./types.ts";
import type { ErrorInfo } from "./error-info.ts";
import { validateInput, validationError } from "./validate.ts";

export function jsonProtocol(version: "1.0" | "1.1"): WireProtocol {
  const contentType = `application/x-amz-json-${version}`;

  function reply(status: number, body: unknown, meta: ResponseMeta, extra: Record<string, string> = {}): WireResponse {
    const text = JSON.stringify(body ?? {});
    return {
      status,
      headers: {
        "content-type": contentType,
        "x-amzn-requestid": meta.requestId,
        "content-length": String(Buffer.byteLength(text)),
        ...extra,
      },
      body: text,
    };
  }

  return {
    parseInput(model: ServiceModel, op: OperationModel, req: WireRequest): unknown {
      const bytes = req.payload ?? req.body;
      const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("utf8");
      let raw: unknown = {};
      if (text.trim() !== "") {
        try {
          raw = JSON.parse(text);
        } catch {
          throw new ServiceError("SerializationException", "Start of structure or map found where not expected.", {
            status: 400,
          });
        }
      }
      const typeErrors: string[] = [];
      const input = decodeJson(op.input, raw ?? {}, "", typeErrors) ?? {};
      if (typeErrors.length > 0) {
        throw new ServiceError("SerializationException", typeErrors.join("; "), { status: 400 });
      }
      const errors = validateInput(model, op.input, input, "json");
      if (errors.length > 0) throw validationError("ValidationException", errors);
      return input;
    },

    serializeOutput(op: OperationModel, output: unknown, meta: ResponseMeta): WireResponse {
      return reply(200, encodeJson(op.output, output ?? {}), meta);
    },

    serializeError(err: ServiceError, meta: ResponseMeta): WireResponse {
      const info = errorInfo(err, meta.model);
      // The message member is spelled as the error shape declares it (Secrets Manager: "Message";
      // most services: "message"), and left out when empty, as AWS does.
      const messageMember = info.model?.shape.members().some(([name]) => name === "Message") ? "Message" : "message";
      const body: Record<string, unknown> = { __type: info.code };
      if (err.message !== "") body[messageMember] = err.message;
      if (err.fields) {
        const shape = info.model?.shape;
        const encoded = shape ? (encodeJson(shape, err.fields) as Record<string, unknown>) : err.fields;
        for (const [k, v] of Object.entries(encoded ?? {})) if (k !== messageMember && v !== undefined) body[k] = v;
      }
      const extra: Record<string, string> = { "x-amzn-errortype": info.code };
      if (meta.queryCompatible) extra["x-amzn-query-error"] = queryErrorHeader(info);
      return reply(info.status, body, meta, extra);
    },
  };
}

/** `x-amzn-query-error: <query code>;Sender|Receiver`, what query-compatible clients report as the code. */
export function queryErrorHeader(info: ErrorInfo): string {
  const code = info.code === "ValidationException" && !info.model ? "ValidationError" : info.queryCode;
  return `${code};${info.fault === "server" ? "Receiver" : "Sender"}`;
}
