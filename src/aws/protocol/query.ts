/**
 * awsQuery: form-encoded input (`Action`, `Version`, `X.member.N`, `X.entry.N.key`), XML output
 * `<OpResponse><OpResult>…</OpResult><ResponseMetadata>…` and `<ErrorResponse>` errors whose code
 * comes from the awsQueryError trait.
 */
import type { OperationModel, ServiceModel } from "../model/index.ts";
import type { ServiceError } from "../service-error.ts";
import { errorInfo } from "./error-info.ts";
import { decodeForm, type FormRules, formTree, queryRules } from "./form-codec.ts";
import type { ParseOptions, ResponseMeta, WireProtocol, WireRequest, WireResponse } from "./types.ts";
import { validate, validationError } from "./validate.ts";
import { writeMembers } from "./xml-codec.ts";
import { XmlWriter } from "./xml-writer.ts";

export function xmlReply(status: number, body: string, requestId: string): WireResponse {
  return {
    status,
    headers: {
      "content-type": "text/xml",
      "x-amzn-requestid": requestId,
      "content-length": String(Buffer.byteLength(body)),
    },
    body,
  };
}

/**
 * Decodes and validates a form input; shared with ec2Query (different key rules). awsQuery answers
 * every violation with ValidationError (or the service's own code for length and range traits);
 * EC2 answers a missing parameter with MissingParameter
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html).
 */
export function parseFormInput(model: ServiceModel, op: OperationModel, req: WireRequest, rules: FormRules, opts: ParseOptions = {}, ec2 = false): unknown {
  const malformed: string[] = [];
  const input = decodeForm(op.input, formTree(req.form ?? new URLSearchParams()), "", rules, malformed) ?? {};
  const found = validate(model, op.input, input, "query", { traits: opts.traitErrors !== false });
  const errors = [...found.missing, ...malformed, ...found.types, ...found.invalid];
  if (ec2 && found.missing.length > 0) throw validationError("MissingParameter", [...errors, ...found.traits]);
  if (errors.length > 0) throw validationError("ValidationError", [...errors, ...found.traits]);
  if (found.traits.length > 0) throw validationError(opts.traitErrors || "ValidationError", found.traits);
  return input;
}

export const queryProtocol: WireProtocol = {
  parseInput(model, op, req, opts) {
    return parseFormInput(model, op, req, queryRules, opts);
  },

  serializeOutput(op, output, meta) {
    const w = new XmlWriter();
    w.open(`${op.name}Response`, { xmlns: meta.xmlNamespace });
    w.open(`${op.name}Result`);
    writeMembers(w, op.output, output ?? {});
    w.close(`${op.name}Result`);
    w.open("ResponseMetadata").leaf("RequestId", meta.requestId).close("ResponseMetadata");
    w.close(`${op.name}Response`);
    return xmlReply(200, w.toString(), meta.requestId);
  },

  serializeError(err: ServiceError, meta: ResponseMeta) {
    const info = errorInfo(err, meta.model, "query");
    const w = new XmlWriter();
    w.open("ErrorResponse", { xmlns: meta.xmlNamespace });
    w.open("Error");
    w.leaf("Type", info.fault === "server" ? "Receiver" : "Sender");
    w.leaf("Code", info.queryCode);
    w.leaf("Message", err.message);
    if (err.fields && info.model) {
      const { message: _m, ...rest } = err.fields as Record<string, unknown>;
      writeMembers(w, info.model.shape, rest);
    }
    w.close("Error");
    w.leaf("RequestId", meta.requestId);
    w.close("ErrorResponse");
    return xmlReply(info.status, w.toString(), meta.requestId);
  },
};

