/**
 * ec2Query: form input with flattened lists (`Name.N`, `Filter.N.Value.M`) keyed by ec2QueryName /
 * capitalised names; XML output without a Result wrapper and `<Response><Errors>` errors.
 */
import { errorInfo } from "./error-info.ts";
import { ec2Rules } from "./form-codec.ts";
import { parseFormInput, xmlReply } from "./query.ts";
import type { WireProtocol } from "./types.ts";
import { writeMembers } from "./xml-codec.ts";
import { XmlWriter } from "./xml-writer.ts";

export const ec2Protocol: WireProtocol = {
  parseInput(model, op, req, opts) {
    return parseFormInput(model, op, req, ec2Rules, opts, true);
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
