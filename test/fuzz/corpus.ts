/**
 * Valid requests to mutate, made from the services' own models: for a random operation of a
 * service, an input that satisfies its shape (required members always, optional ones sometimes,
 * enum values from the model, lengths and ranges within the model's traits, names and ARNs of
 * resources that exist), encoded for the service's protocol exactly as an SDK would send it.
 */
import { ServiceModel, type Shape } from "../../src/aws/model/index.ts";
import { encodeJson } from "../../src/aws/protocol/json-codec.ts";
import type { Protocol, ServiceDefinition } from "../../src/aws/service.ts";
import { encodeCborCall } from "./cbor.ts";
import type { Rng } from "./rng.ts";

export interface FuzzService {
  readonly def: ServiceDefinition;
  readonly model: ServiceModel;
  readonly operations: readonly string[];
}

/** What generated strings are drawn from: names and ARNs of resources that exist, and ids. */
export interface Pools {
  readonly names: readonly string[];
  readonly arns: readonly string[];
  readonly ids: readonly string[];
}

/** A request as the gateway takes it. */
export interface WireCall {
  readonly method: string;
  readonly url: string;
  readonly headers: Record<string, string | string[]>;
  readonly body: Buffer;
}

export function fuzzServices(defs: readonly ServiceDefinition[]): FuzzService[] {
  return defs.map((def) => {
    const model = new ServiceModel(typeof def.model === "function" ? def.model() : def.model);
    const operations = model.operationNames().filter((op) => def.handlers[op] !== undefined);
    return { def, model, operations };
  });
}

export const REGION = "us-east-1";

export function authorization(service: string, accessKeyId = "test"): string {
  return `AWS4-HMAC-SHA256 Credential=${accessKeyId}/20260101/${REGION}/${service}/aws4_request, SignedHeaders=host, Signature=00`;
}

/**
 * A valid call of `operation` in `protocol` (its input drawn from the model), the input as a JS
 * value, and the same call in JSON (what CBOR mutations start from).
 */
export function validCall(svc: FuzzService, operation: string, rng: Rng, pools: Pools, protocol: Protocol = svc.def.protocol): { call: WireCall; input: unknown; json: WireCall } {
  const op = svc.model.operation(operation)!;
  const input = generate(svc.model, op.input, rng, pools, undefined, undefined, 0) ?? {};
  const json = encodeCall(svc.def, operation, op.input, input, "awsJson1_0");
  const call = protocol === "rpcv2Cbor" ? encodeCborCall(svc.def, operation, op.input, input) : encodeCall(svc.def, operation, op.input, input, protocol);
  return { call, input, json };
}

export function encodeCall(def: ServiceDefinition, operation: string, shape: Shape, input: unknown, protocol: Protocol = def.protocol): WireCall {
  const headers: Record<string, string> = { host: "localhost", authorization: authorization(def.signingName) };
  if (protocol === "awsJson1_0" || protocol === "awsJson1_1") {
    headers["content-type"] = `application/x-amz-json-${protocol === "awsJson1_0" ? "1.0" : "1.1"}`;
    headers["x-amz-target"] = `${def.targetPrefix}.${operation}`;
    return { method: "POST", url: "/", headers, body: Buffer.from(JSON.stringify(encodeJson(shape, input) ?? {})) };
  }
  headers["content-type"] = "application/x-www-form-urlencoded; charset=utf-8";
  const params: Array<[string, string]> = [
    ["Action", operation],
    ["Version", def.version ?? ""],
  ];
  encodeForm(shape, input, "", protocol, params);
  return { method: "POST", url: "/", headers, body: Buffer.from(new URLSearchParams(params).toString()) };
}

/** The form parameters of a value, as the SDKs flatten them (awsQuery `X.member.N`, EC2 `X.N`). */
export function encodeForm(shape: Shape, value: unknown, prefix: string, protocol: Protocol, out: Array<[string, string]>): void {
  if (value === undefined || value === null) return;
  const key = (k: string) => (prefix ? `${prefix}.${k}` : k);
  switch (shape.kind) {
    case "structure":
    case "union":
      for (const [name, member] of shape.members()) {
        const v = (value as Record<string, unknown>)[name];
        if (v === undefined) continue;
        const t = member.memberTraits();
        let wire = t.xmlName ?? name;
        if (protocol === "ec2Query") wire = t.ec2QueryName ?? wire.charAt(0).toUpperCase() + wire.slice(1);
        encodeForm(member, v, key(wire), protocol, out);
      }
      return;
    case "list": {
      const item = shape.listMember();
      const flat = protocol === "ec2Query" || shape.traits().xmlFlattened === true;
      const base = flat ? prefix : key(item.traits().xmlName ?? "member");
      (value as unknown[]).forEach((v, i) => {
        encodeForm(item, v, `${base}.${i + 1}`, protocol, out);
      });
      return;
    }
    case "map": {
      const base = shape.traits().xmlFlattened === true ? prefix : key("entry");
      const k = shape.mapKey().traits().xmlName ?? "key";
      const vShape = shape.mapValue();
      const vName = vShape.traits().xmlName ?? "value";
      Object.entries(value as Record<string, unknown>).forEach(([mk, mv], i) => {
        out.push([`${base}.${i + 1}.${k}`, mk]);
        encodeForm(vShape, mv, `${base}.${i + 1}.${vName}`, protocol, out);
      });
      return;
    }
    case "timestamp":
      out.push([prefix, (value as Date).toISOString()]);
      return;
    case "blob":
      out.push([prefix, Buffer.from(value as Uint8Array).toString("base64")]);
      return;
    default:
      out.push([prefix, String(value)]);
  }
}

function generate(
  model: ServiceModel,
  shape: Shape,
  rng: Rng,
  pools: Pools,
  constraint: ReturnType<ServiceModel["constraint"]>,
  allowed: readonly string[] | undefined,
  depth: number,
  member = "",
): unknown {
  switch (shape.kind) {
    case "structure":
    case "union": {
      if (depth > 6) return {};
      const out: Record<string, unknown> = {};
      const required = shape.requiredMembers();
      const members = shape.members();
      const unionPick = shape.kind === "union" && members.length > 0 ? rng.int(members.length) : -1;
      members.forEach(([name, m], i) => {
        const include = shape.kind === "union" ? i === unionPick : required.includes(name) || rng.chance(0.35);
        if (!include) return;
        const v = generate(model, m, rng, pools, model.constraint(shape.name, name), model.enumValues(shape.name, name), depth + 1, name);
        if (v !== undefined) out[name] = v;
      });
      return out;
    }
    case "list": {
      const [min, max] = constraint?.n ?? [null, null];
      const n = Math.max(min ?? 1, Math.min(max ?? 2, 1 + rng.int(2)));
      return Array.from({ length: n }, () => generate(model, shape.listMember(), rng, pools, constraint?.m, allowed, depth + 1, member));
    }
    case "map": {
      const k = text(rng, pools, constraint?.k, undefined, "key");
      return { [k]: generate(model, shape.mapValue(), rng, pools, constraint?.m, allowed, depth + 1, member) };
    }
    case "string":
      return text(rng, pools, constraint, allowed, member);
    case "boolean":
      return rng.chance(0.5);
    case "number":
    case "bigDecimal": {
      const [lo, hi] = constraint?.r ?? [null, null];
      const min = lo ?? 0;
      const max = hi ?? Math.max(min, 10);
      const n = min + rng.int(Math.max(1, Math.min(max - min + 1, 100)));
      return constraint?.t ? n : rng.chance(0.8) ? n : n + 0.5;
    }
    case "bigInteger":
      return BigInt(rng.int(100));
    case "timestamp":
      return new Date(Date.UTC(2026, 0, 1) + rng.int(86_400_000));
    case "blob":
      return new Uint8Array(Buffer.from("fuzz"));
    case "document":
      return { fuzz: [1, "two"] };
    default:
      return undefined;
  }
}

function text(rng: Rng, pools: Pools, constraint: ReturnType<ServiceModel["constraint"]>, allowed: readonly string[] | undefined, member: string): string {
  if (allowed && allowed.length > 0 && rng.chance(0.9)) return rng.pick(allowed);
  const lower = member.toLowerCase();
  const pool = lower.endsWith("arn") || lower.endsWith("arns") ? pools.arns : lower.endsWith("id") || lower.endsWith("ids") ? pools.ids : pools.names;
  let s = rng.chance(0.85) && pool.length > 0 ? rng.pick(pool) : rng.pick(pools.names.length > 0 ? pools.names : ["fuzz"]);
  const [min, max] = constraint?.n ?? [null, null];
  if (min !== null && s.length < min) s = s.padEnd(min, "z");
  if (max !== null && s.length > max) s = s.slice(0, max);
  return s;
}
