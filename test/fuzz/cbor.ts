/**
 * smithy-rpc-v2-cbor calls for the fuzzer: a valid input encoded as the SDKs encode it (timestamps
 * as tag 1, blobs as byte strings), and mutations: the JSON engine's structural ones carried over
 * (the mutated JSON re-encoded as CBOR), and CBOR's own: truncation, bit flips, lengths that claim
 * more bytes than follow (up to 2^64), indefinite-length items never closed, deep nesting, text
 * strings that are not UTF-8, unknown tags, undefined and other simple values, half floats.
 */
import { cbor, dateToTag } from "@smithy/core/cbor";
import type { Shape } from "../../src/aws/model/index.ts";
import type { ServiceDefinition } from "../../src/aws/service.ts";
import { authorization, type WireCall } from "./corpus.ts";
import { mutateJsonCall } from "./mutate.ts";
import type { Rng } from "./rng.ts";

export function encodeCborCall(def: ServiceDefinition, operation: string, shape: Shape, input: unknown): WireCall {
  return {
    method: "POST",
    url: `/service/${def.targetPrefix}/operation/${operation}`,
    headers: {
      host: "localhost",
      authorization: authorization(def.signingName),
      "smithy-protocol": "rpc-v2-cbor",
      "content-type": "application/cbor",
      accept: "application/cbor",
    },
    body: Buffer.from(cbor.serialize(toCbor(shape, input) ?? {})),
  };
}

function toCbor(shape: Shape, value: unknown): unknown {
  if (value === undefined || value === null) return undefined;
  switch (shape.kind) {
    case "structure":
    case "union": {
      const out: Record<string, unknown> = {};
      for (const [name, member] of shape.members()) {
        const v = toCbor(member, (value as Record<string, unknown>)[name]);
        if (v !== undefined) out[name] = v;
      }
      return out;
    }
    case "list":
      return (value as unknown[]).map((v) => toCbor(shape.listMember(), v) ?? null);
    case "map":
      return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, toCbor(shape.mapValue(), v) ?? null]));
    case "timestamp":
      return dateToTag(value as Date);
    default:
      return value;
  }
}

const ODD_ITEMS: readonly number[][] = [
  [0x5b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], // a byte string claiming 2^63 bytes
  [0x7b, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00], // a text string claiming 4 GiB
  [0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], // an array claiming 2^64 items
  [0xbb, 0x00, 0x00, 0x00, 0x00, 0x7f, 0xff, 0xff, 0xff], // a map claiming 2^31 pairs
  [0x9f, 0x01, 0x02], // an indefinite array never closed
  [0x63, 0xff, 0xfe, 0xfd], // a text string that is not UTF-8
  [0x62, 0xed, 0xa0], // a truncated surrogate
  [0xd9, 0xd9, 0xf7, 0x01], // tag 55799 (self-describe) around 1
  [0xda, 0x12, 0x34, 0x56, 0x78, 0x00], // an unknown tag
  [0xc1, 0x63, 0x61, 0x62, 0x63], // tag 1 (epoch) around a string
  [0xf7], // undefined
  [0xf8, 0x20], // simple value 32
  [0xf9, 0x7c, 0x00], // half-float Infinity
  [0xf9, 0x7e, 0x00], // half-float NaN
  [0xfb, 0x7f, 0xf0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00], // double Infinity
  [0x1f], // reserved additional info
  [0xff], // a break outside an indefinite item
  [0xc2, 0x49, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00], // bignum 2^64
  [0xc4, 0x82, 0x1a, 0x0f, 0xff, 0xff, 0xff, 0x01], // a decimal fraction with exponent 2^28
  [0xc2, 0xfb, 0x41, 0xda, 0x55, 0x6e, 0x40, 0x07, 0xdf, 0x3b], // a bignum around a float
  [0xc5, 0x82, 0x3a, 0x7f, 0xff, 0xff, 0xff, 0x01], // a bigfloat with exponent -2^31
];

export function mutateCborCall(call: WireCall, jsonTwin: WireCall, rng: Rng): WireCall {
  const r = rng.next();
  if (r < 0.4) {
    // The JSON engine's mutation, re-encoded (when the mutated JSON still parses).
    const mutated = mutateJsonCall(jsonTwin, rng);
    try {
      return { ...call, body: Buffer.from(cbor.serialize(JSON.parse(mutated.body.toString("utf8")))) };
    } catch {
      return { ...call, body: mutated.body };
    }
  }
  const body = call.body;
  if (r < 0.55) return { ...call, body: body.subarray(0, rng.int(body.length + 1)) };
  if (r < 0.7) {
    const out = Buffer.from(body);
    for (let i = 0, n = 1 + rng.int(4); i < n && out.length > 0; i++) {
      const at = rng.int(out.length);
      out[at] = out[at]! ^ (1 << rng.int(8));
    }
    return { ...call, body: out };
  }
  if (r < 0.8) {
    const depth = rng.pick([65, 1000, 100_000]);
    // {"x": [[[…]]]} as a one-entry map whose value nests `depth` arrays.
    return { ...call, body: Buffer.concat([Buffer.from([0xa1, 0x61, 0x78]), Buffer.alloc(depth, 0x81), Buffer.from([0x01])]) };
  }
  // An odd item spliced in where a value starts (or replacing the whole body).
  const item = Buffer.from(rng.pick(ODD_ITEMS));
  if (rng.chance(0.2)) return { ...call, body: item };
  const at = rng.int(body.length + 1);
  return { ...call, body: Buffer.concat([body.subarray(0, at), item, body.subarray(at)]) };
}
