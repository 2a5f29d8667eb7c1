/**
 * awsJson1_0 / awsJson1_1: JSON body in, JSON body out; errors as {"__type", "message"} with
 * x-amzn-ErrorType. Generic over every operation of the model.
 */
import type { OperationModel, ServiceModel } from "../model/index.ts";
import { ServiceError } from "../service-error.ts";
import { errorInfo } from "./error-info.ts";
import { decodeJson, encodeJson } from "./json-codec.ts";
import type { ParseOptions, ResponseMeta, WireProtocol, WireRequest, WireResponse } from "./types.ts";
import { invalidUtf8At, jsonDeeperThan, MAX_JSON_DEPTH } from "./input-limits.ts";
import { validate, validationError } from "./validate.ts";
import type { ErrorInfo } from "./error-info.ts";

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
    parseInput(model: ServiceModel, op: OperationModel, req: WireRequest, opts: ParseOptions = {}): unknown {
      const raw = parseJsonBody(req.payload ?? req.body);
      const typeErrors: string[] = [];
      const input = decodeJson(op.input, raw ?? {}, "", typeErrors) ?? {};
      if (typeErrors.length > 0) throw new ServiceError("SerializationException", typeErrors.join("; "), { status: 400 });
      const found = validate(model, op.input, input, "json", { traits: opts.traitErrors !== false });
      if (found.types.length > 0) throw new ServiceError("SerializationException", found.types.join("; "), { status: 400 });
      const errors = [...found.missing, ...found.invalid];
      if (errors.length > 0) throw validationError("ValidationException", [...errors, ...found.traits]);
      if (found.traits.length > 0) throw validationError(opts.traitErrors || "ValidationException", found.traits);
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

/**
 * The JSON document of a request body ({} when empty): well-formed UTF-8, nested no deeper than
 * MAX_JSON_DEPTH, valid JSON; otherwise a SerializationException, as AWS's JSON services answer.
 */
export function parseJsonBody(body: Uint8Array): unknown {
  const bad = invalidUtf8At(body);
  if (bad >= 0) {
    const byte = body[bad]!.toString(16).padStart(2, "0");
    throw new ServiceError("SerializationException", `Invalid UTF-8 ${body[bad]! >= 0x80 && body[bad]! < 0xc0 ? "middle" : "start"} byte 0x${byte}`, { status: 400 });
  }
  const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("utf8");
  if (text.trim() === "") return {};
  if (jsonDeeperThan(text, MAX_JSON_DEPTH)) {
    throw new ServiceError("SerializationException", `Document nesting depth exceeds the maximum allowed (${MAX_JSON_DEPTH})`, { status: 400 });
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new ServiceError("SerializationException", "Start of structure or map found where not expected.", { status: 400 });
  }
}

/** `x-amzn-query-error: <query code>;Sender|Receiver`, what query-compatible clients report as the code. */
export function queryErrorHeader(info: ErrorInfo): string {
  const code = info.code === "ValidationException" && !info.model ? "ValidationError" : info.queryCode;
  return `${code};${info.fault === "server" ? "Receiver" : "Sender"}`;
}
