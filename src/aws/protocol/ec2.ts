/**
 * ec2Query: form input with flattened lists (`Name.N`, `Filter.N.Value.M`) keyed by ec2QueryName /
 * capitalised names; XML output without a Result wrapper and `<Response><Errors>` errors.
 *
 * EC2 answers bad input with its own codes, not a generic ValidationError
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html): a missing
 * required parameter is MissingParameter ("The request must contain the parameter X", X as it is
 * spelt on the wire), a malformed or out-of-set value is InvalidParameterValue.
 */
import type { ServiceModel, Shape } from "../model/index.ts";
import { ServiceError } from "../service-error.ts";
import { errorInfo } from "./error-info.ts";
import { decodeForm, ec2Rules, formTree } from "./form-codec.ts";
import { xmlReply } from "./query.ts";
import type { WireProtocol } from "./types.ts";
import { validate } from "./validate.ts";
import { writeMembers } from "./xml-codec.ts";
import { XmlWriter } from "./xml-writer.ts";

const ec2Error = (code: string, message: string) => new ServiceError(code, message, { status: 400 });

/** The first required member missing or enum value out of its set, as EC2's error. */
function check(model: ServiceModel, shape: Shape, value: unknown, path: string): ServiceError | undefined {
  if (value === undefined || value === null) return undefined;
  switch (shape.kind) {
    case "structure":
    case "union": {
      if (typeof value !== "object") return undefined;
      const obj = value as Record<string, unknown>;
      const required = new Set(shape.requiredMembers());
      for (const [name, member] of shape.members()) {
        const key = ec2Rules.memberKey(name, member);
        const memberPath = path ? `${path}.${key}` : key;
        const v = obj[name];
        if ((v === undefined || v === null) && required.has(name)) return ec2Error("MissingParameter", `The request must contain the parameter ${memberPath}`);
        const allowed = model.enumValues(shape.name, name);
        if (allowed && typeof v === "string" && !allowed.includes(v)) {
          return ec2Error("InvalidParameterValue", `Value (${v}) for parameter ${memberPath} is invalid. Valid values: ${allowed.join(", ")}`);
        }
        const inner = check(model, member, v, memberPath);
        if (inner) return inner;
      }
      return undefined;
    }
    case "list": {
      if (!Array.isArray(value)) return undefined;
      const member = shape.listMember();
      for (let i = 0; i < value.length; i++) {
        const inner = check(model, member, value[i], `${path}.${i + 1}`);
        if (inner) return inner;
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

/** "Value 'x' at 'Path' failed to satisfy constraint: Member must be a valid number" → InvalidParameterValue. */
function typeError(text: string): ServiceError {
  const m = /^Value '(.*)' at '(.*)' failed to satisfy constraint: Member must be a valid (\w+)$/s.exec(text);
  if (!m) return ec2Error("InvalidParameterValue", text);
  const kind = m[3] === "number" ? "Integer" : m[3] === "boolean" ? "Boolean" : m[3] === "timestamp" ? "DateTime" : m[3];
  return ec2Error("InvalidParameterValue", `Value (${m[1]}) for parameter ${m[2]} is invalid. Expected: '${kind}'.`);
}

export const ec2Protocol: WireProtocol = {
  parseInput(model, op, req, opts) {
    const malformed: string[] = [];
    const input = decodeForm(op.input, formTree(req.form ?? new URLSearchParams()), "", ec2Rules, malformed) ?? {};
    if (malformed.length > 0) throw typeError(malformed[0]!);
    const issue = check(model, op.input, input, "");
    if (issue) throw issue;
    // What the walk above leaves to the shared validation (integers out of range, nulls in lists;
    // length and range traits only when the service asks), answered as EC2 answers bad values.
    const found = validate(model, op.input, input, "query", { traits: opts?.traitErrors !== false });
    const rest = [...found.missing, ...found.types, ...found.invalid, ...found.traits];
    if (rest.length > 0) throw typeError(rest[0]!);
    return input;
  },

  serializeOutput(op, output, meta) {
    const w = new XmlWriter();
    w.open(`${op.name}Response`, { xmlns: meta.xmlNamespace });
    w.leaf("requestId", meta.requestId);
    writeMembers(w, op.output, output ?? {});
    w.close(`${op.name}Response`);
    return xmlReply(200, w.toString(), meta.requestId);
  },

  serializeError(err, meta) {
    const info = errorInfo(err, meta.model, "query");
    const w = new XmlWriter();
    w.open("Response").open("Errors").open("Error");
    w.leaf("Code", info.queryCode).leaf("Message", err.message);
    w.close("Error").close("Errors");
    w.leaf("RequestID", meta.requestId);
    w.close("Response");
    return xmlReply(info.status, w.toString(), meta.requestId);
  },
};
