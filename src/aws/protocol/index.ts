import type { Protocol } from "../service.ts";
import { cborProtocol } from "./cbor.ts";
import { ec2Protocol } from "./ec2.ts";
import { jsonProtocol } from "./json.ts";
import { queryProtocol } from "./query.ts";
import type { WireProtocol } from "./types.ts";

export type { ParseOptions, ResponseMeta, WireProtocol, WireRequest, WireResponse } from "./types.ts";

const json10 = jsonProtocol("1.0");
const json11 = jsonProtocol("1.1");

export function protocolFor(protocol: Protocol): WireProtocol {
  switch (protocol) {
    case "awsJson1_0":
      return json10;
    case "awsJson1_1":
      return json11;
    case "awsQuery":
      return queryProtocol;
    case "ec2Query":
      return ec2Protocol;
    case "rpcv2Cbor":
      return cborProtocol;
  }
}
