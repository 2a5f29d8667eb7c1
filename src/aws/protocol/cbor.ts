/**
 * smithy-rpc-v2-cbor: `POST /service/<Service>/operation/<Op>`, `smithy-protocol: rpc-v2-cbor`, CBOR
 * bodies both ways (https://smithy.io/2.0/additional-specs/protocols/smithy-rpc-v2.html). The
 * AWS SDKs for Go v2 (so Terraform's AWS provider from 6.50), Rust and Ruby speak it to CloudWatch.
 *
 * Decoding uses @smithy/core's CBOR reader (already a dependency), then the model turns wire
 * values into the SDK's in-memory types. Encoding is model-driven here, because the wire type
 * follows the model, not the JS value: a `double` member is always a CBOR float (70 → 70.0), an
 * integer an integer, a timestamp tag 1 around epoch seconds. Go's decoder rejects a bare
 * integer where the model says timestamp or double.
 */
import { createRequire } from "node:module";
import type { OperationModel, ServiceModel, Shape } from "../model/index.ts";
import { ServiceError } from "../service-error.ts";
import { errorInfo } from "./error-info.ts";
import { toDate } from "./json-codec.ts";
import { queryErrorHeader } from "./json.ts";
import type { ParseOptions, ResponseMeta, WireProtocol, WireRequest, WireResponse } from "./types.ts";
import { cborProblem } from "./input-limits.ts";
import { validate, validationError } from "./validate.ts";

// @smithy/core's CBOR module (with its serde helpers) costs ~18 ms and a few MiB to load, and
// only CloudWatch's CBOR clients need it: it is required on the first CBOR request, not at start-up.
const require = createRequire(import.meta.url);
let cborLib: typeof import("@smithy/core/cbor").cbor | undefined;
const cbor = () => (cborLib ??= (require("@smithy/core/cbor") as typeof import("@smithy/core/cbor")).cbor);

function reply(status: number, body: Uint8Array, meta: ResponseMeta, extra: Record<string, string> = {}): WireResponse {
  return {
    status,
    headers: {
      "content-type": "application/cbor",
      "smithy-protocol": "rpc-v2-cbor",
      "x-amzn-requestid": meta.requestId,
      "content-length": String(body.byteLength),
      ...extra,
    },
    body: "",
    bytes: body,
  };
}

export const cborProtocol: WireProtocol = {
  parseInput(model: ServiceModel, op: OperationModel, req: WireRequest, opts: ParseOptions = {}): unknown {
    let raw: unknown = {};
    const bytes = req.payload ?? req.body;
    if (bytes.byteLength > 0) {
      // Checked before the decoder sees it: lengths past the end, text that is not UTF-8, lossy
      // integers (the decoder would warn on the console for each), depth, trailing bytes.
      const problem = cborProblem(bytes);
      if (problem) throw new ServiceError("SerializationException", `The request body is not valid CBOR: ${problem}.`, { status: 400 });
      try {
        raw = cbor().deserialize(bytes);
      } catch {
        throw new ServiceError("SerializationException", "The request body is not valid CBOR.", { status: 400 });
      }
    }
    const typeErrors: string[] = [];
    const input = decodeCbor(op.input, raw ?? {}, "", typeErrors) ?? {};
    if (typeErrors.length > 0) throw new ServiceError("SerializationException", typeErrors.join("; "), { status: 400 });
    // As the JSON protocols: integers and wire types are SerializationException, the rest ValidationException.
    const found = validate(model, op.input, input, "json", { traits: opts.traitErrors !== false });
    if (found.types.length > 0) throw new ServiceError("SerializationException", found.types.join("; "), { status: 400 });
    const errors = [...found.missing, ...found.invalid];
    if (errors.length > 0) throw validationError("ValidationException", [...errors, ...found.traits]);
    if (found.traits.length > 0) throw validationError(opts.traitErrors || "ValidationException", found.traits);
    return input;
  },

  serializeOutput(op: OperationModel, output: unknown, meta: ResponseMeta): WireResponse {
    const w = new CborWriter();
    encodeValue(w, op.output, output ?? {}, meta.model, false);
    return reply(200, w.bytes(), meta);
  },

  serializeError(err: ServiceError, meta: ResponseMeta): WireResponse {
    const info = errorInfo(err, meta.model);
    const w = new CborWriter();
    // The key is lower-case `message`: Go's client drops `Message`.
    const entries: Array<[string, unknown, Shape | undefined, boolean]> = [
      ["__type", info.model ? info.model.shape.id || info.code : info.code, undefined, false],
      ["message", err.message, undefined, false],
    ];
    if (err.fields && info.model) {
      for (const [name, member] of info.model.shape.members()) {
        const v = (err.fields as Record<string, unknown>)[name];
        const float = meta.model?.isDouble(info.model.shape.name, name) ?? false;
        if (name !== "message" && v !== undefined && v !== null) entries.push([name, v, member, float]);
      }
    }
    w.head(5, entries.length);
    for (const [k, v, shape, float] of entries) {
      w.text(k);
      if (shape) encodeValue(w, shape, v, meta.model, float);
      else w.text(String(v));
    }
    const extra: Record<string, string> = {};
    if (meta.queryCompatible) extra["x-amzn-query-error"] = queryErrorHeader(info);
    return reply(info.status, w.bytes(), meta, extra);
  },
};

// ---- decoding (wire CBOR value → SDK types) ----

interface Tagged {
  tag: number;
  value: unknown;
}

const isTagged = (v: unknown): v is Tagged => typeof v === "object" && v !== null && "tag" in v && "value" in v;

export function decodeCbor(shape: Shape, value: unknown, path: string, errors: string[]): unknown {
  if (value === null || value === undefined) return undefined;
  switch (shape.kind) {
    case "structure":
    case "union": {
      if (!isMap(value)) return mismatch(errors, path, "structure");
      const out: Record<string, unknown> = {};
      for (const [name, member] of shape.members()) {
        if (!Object.hasOwn(value, name)) continue;
        const v = decodeCbor(member, value[name], path ? `${path}.${name}` : name, errors);
        if (v !== undefined) out[name] = v;
      }
      return out;
    }
    case "list": {
      if (!Array.isArray(value)) return mismatch(errors, path, "list");
      const member = shape.listMember();
      return value.map((item, i) => decodeCbor(member, item, `${path}.${i + 1}.member`, errors));
    }
    case "map": {
      if (!isMap(value)) return mismatch(errors, path, "map");
      const member = shape.mapValue();
      // Null values stay (as undefined) for validation to refuse unless the map is sparse; built
      // with fromEntries so that a "__proto__" key is an own property, never the prototype.
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decodeCbor(member, v, `${path}.${k}`, errors)]));
    }
    case "string":
      return typeof value === "string" ? value : mismatch(errors, path, "string");
    case "boolean":
      return typeof value === "boolean" ? value : mismatch(errors, path, "boolean");
    case "number":
    case "bigDecimal":
      if (typeof value === "number") return value;
      if (typeof value === "bigint") return Number(value);
      return mismatch(errors, path, "number");
    case "bigInteger":
      if (typeof value === "bigint") return value;
      if (typeof value === "number" && Number.isInteger(value)) return BigInt(value);
      return mismatch(errors, path, "integer");
    case "timestamp": {
      const inner = isTagged(value) ? value.value : value;
      const seconds = typeof inner === "bigint" ? Number(inner) : inner;
      if (typeof seconds !== "number" || !Number.isFinite(seconds)) return mismatch(errors, path, "timestamp");
      // A finite number of seconds can still be past what a Date holds (±8.64e15 ms): an Invalid
      // Date would reach the handler as NaN.
      const d = new Date(Math.round(seconds * 1000));
      return Number.isNaN(d.getTime()) ? mismatch(errors, path, "timestamp") : d;
    }
    case "blob":
      if (value instanceof Uint8Array) return new Uint8Array(value);
      if (typeof value === "string") return new Uint8Array(Buffer.from(value, "utf8"));
      return mismatch(errors, path, "blob");
    case "unit":
      return undefined;
    default:
      return value;
  }
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) && !isTagged(v);
}

function mismatch(errors: string[], path: string, expected: string): undefined {
  errors.push(`Unexpected value at '${path || "(root)"}', expected ${expected}`);
  return undefined;
}

// ---- encoding (SDK value → CBOR by the model's types) ----

/** `float`: the member holding this value is a double/float (or a list/map of them) in the model. */
function encodeValue(w: CborWriter, shape: Shape, value: unknown, model: ServiceModel | undefined, float: boolean): void {
  switch (shape.kind) {
    case "structure":
    case "union": {
      const obj = (typeof value === "object" && value !== null ? value : {}) as Record<string, unknown>;
      const present = shape.members().filter(([name]) => obj[name] !== undefined && obj[name] !== null);
      w.head(5, present.length);
      for (const [name, member] of present) {
        w.text(name);
        encodeValue(w, member, obj[name], model, model?.isDouble(shape.name, name) ?? false);
      }
      return;
    }
    case "list": {
      const items = Array.isArray(value) ? value : [];
      const member = shape.listMember();
      w.head(4, items.length);
      for (const item of items) {
        if (item === undefined || item === null) w.byte(0xf6);
        else encodeValue(w, member, item, model, float);
      }
      return;
    }
    case "map": {
      const entries = Object.entries((value ?? {}) as Record<string, unknown>).filter(([, v]) => v !== undefined && v !== null);
      const member = shape.mapValue();
      w.head(5, entries.length);
      for (const [k, v] of entries) {
        w.text(k);
        encodeValue(w, member, v, model, float);
      }
      return;
    }
    case "string":
      w.text(String(value));
      return;
    case "boolean":
      w.byte(value ? 0xf5 : 0xf4);
      return;
    case "number": {
      const n = Number(value);
      if (float || !Number.isSafeInteger(n)) w.float(n);
      else w.int(n);
      return;
    }
    case "bigInteger":
    case "bigDecimal":
      w.int(Number(value));
      return;
    case "timestamp": {
      const d = toDate(value);
      w.head(6, 1);
      w.float(d ? d.getTime() / 1000 : 0);
      return;
    }
    case "blob": {
      const b = value instanceof Uint8Array ? value : new Uint8Array(Buffer.from(String(value), "utf8"));
      w.head(2, b.byteLength);
      w.raw(b);
      return;
    }
    default:
      w.byte(0xf6);
  }
}

class CborWriter {
  #buf = Buffer.allocUnsafe(256);
  #at = 0;

  #ensure(n: number): void {
    if (this.#at + n <= this.#buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#at + n));
    this.#buf.copy(next, 0, 0, this.#at);
    this.#buf = next;
  }

  byte(b: number): void {
    this.#ensure(1);
    this.#buf[this.#at++] = b;
  }

  head(major: number, n: number): void {
    this.#ensure(9);
    const m = major << 5;
    if (n < 24) this.#buf[this.#at++] = m | n;
    else if (n < 0x100) {
      this.#buf[this.#at++] = m | 24;
      this.#buf[this.#at++] = n;
    } else if (n < 0x10000) {
      this.#buf[this.#at++] = m | 25;
      this.#buf.writeUInt16BE(n, this.#at);
      this.#at += 2;
    } else if (n < 0x100000000) {
      this.#buf[this.#at++] = m | 26;
      this.#buf.writeUInt32BE(n, this.#at);
      this.#at += 4;
    } else {
      this.#buf[this.#at++] = m | 27;
      this.#buf.writeBigUInt64BE(BigInt(n), this.#at);
      this.#at += 8;
    }
  }

  int(n: number): void {
    if (n >= 0) this.head(0, n);
    else this.head(1, -n - 1);
  }

  float(n: number): void {
    this.#ensure(9);
    this.#buf[this.#at++] = 0xfb;
    this.#buf.writeDoubleBE(n, this.#at);
    this.#at += 8;
  }

  text(s: string): void {
    const len = Buffer.byteLength(s);
    this.head(3, len);
    this.#ensure(len);
    this.#at += this.#buf.write(s, this.#at, "utf8");
  }

  raw(b: Uint8Array): void {
    this.#ensure(b.byteLength);
    this.#buf.set(b, this.#at);
    this.#at += b.byteLength;
  }

  bytes(): Uint8Array {
    return new Uint8Array(this.#buf.subarray(0, this.#at));
  }
}
