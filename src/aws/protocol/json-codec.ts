/**
 * awsJson value codec driven by the model: wire JSON ↔ the SDK's typed objects.
 * Timestamps are epoch seconds (Date in memory), blobs base64 (Uint8Array in memory).
 */
import type { Shape } from "../model/index.ts";

/** Decodes a wire value; type mismatches are appended to `errors` (path-qualified). */
export function decodeJson(shape: Shape, value: unknown, path: string, errors: string[]): unknown {
  if (value === null || value === undefined) return undefined;
  switch (shape.kind) {
    case "structure":
    case "union": {
      if (!isObject(value)) return mismatch(errors, path, "structure", value);
      const out: Record<string, unknown> = {};
      for (const [name, member] of shape.members()) {
        if (!Object.hasOwn(value, name)) continue;
        const v = decodeJson(member, value[name], join(path, name), errors);
        if (v !== undefined) out[name] = v;
      }
      return out;
    }
    case "list": {
      if (!Array.isArray(value)) return mismatch(errors, path, "list", value);
      const member = shape.listMember();
      return value.map((item, i) => decodeJson(member, item, `${path}.${i + 1}.member`, errors));
    }
    case "map": {
      if (!isObject(value)) return mismatch(errors, path, "map", value);
      const member = shape.mapValue();
      // Null values stay (as undefined) for validation to refuse unless the map is sparse; built
      // with fromEntries so that a "__proto__" key is an own property, never the prototype.
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decodeJson(member, v, `${path}.${k}`, errors)]));
    }
    case "string":
      return typeof value === "string" ? value : mismatch(errors, path, "string", value);
    case "boolean":
      return typeof value === "boolean" ? value : mismatch(errors, path, "boolean", value);
    case "number":
    case "bigDecimal":
      if (typeof value === "number") return value;
      if (value === "NaN" || value === "Infinity" || value === "-Infinity") return Number(value);
      return mismatch(errors, path, "number", value);
    case "bigInteger":
      if (typeof value === "number" && Number.isInteger(value)) return BigInt(value);
      return mismatch(errors, path, "integer", value);
    case "timestamp": {
      const d =
        typeof value === "number"
          ? new Date(Math.round(value * 1000))
          : typeof value === "string"
            ? new Date(/^-?\d+(\.\d+)?$/.test(value) ? Number(value) * 1000 : value)
            : undefined;
      if (!d || Number.isNaN(d.getTime())) return mismatch(errors, path, "timestamp", value);
      return d;
    }
    case "blob":
      if (typeof value !== "string" || !isBase64(value)) return mismatch(errors, path, "blob", value);
      return new Uint8Array(Buffer.from(value, "base64"));
    case "unit":
      return undefined;
    default:
      return value;
  }
}

/** Encodes a handler's typed value for the wire, dropping undefined/null members. */
export function encodeJson(shape: Shape, value: unknown): unknown {
  if (value === null || value === undefined) return undefined;
  switch (shape.kind) {
    case "structure":
    case "union": {
      if (!isObject(value)) return undefined;
      const out: Record<string, unknown> = {};
      for (const [name, member] of shape.members()) {
        const v = encodeJson(member, value[name]);
        if (v !== undefined) out[name] = v;
      }
      return out;
    }
    case "list": {
      if (!Array.isArray(value)) return undefined;
      const member = shape.listMember();
      return value.map((item) => encodeJson(member, item) ?? null);
    }
    case "map": {
      if (!isObject(value)) return undefined;
      const member = shape.mapValue();
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        const e = encodeJson(member, v);
        if (e !== undefined) out[k] = e;
      }
      return out;
    }
    case "timestamp": {
      const d = toDate(value);
      if (!d) return undefined;
      if (shape.timestampFormat() === "date-time") return d.toISOString();
      if (shape.timestampFormat() === "http-date") return d.toUTCString();
      return d.getTime() / 1000;
    }
    case "blob":
      return toBase64(value);
    case "bigInteger":
    case "bigDecimal":
      return typeof value === "bigint" ? Number(value) : value;
    default:
      return value;
  }
}

export function toDate(value: unknown): Date | undefined {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value;
  if (typeof value === "number") return new Date(value * 1000);
  if (typeof value === "string") {
    const d = new Date(value);
    return Number.isNaN(d.getTime()) ? undefined : d;
  }
  return undefined;
}

export function toBase64(value: unknown): string | undefined {
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64");
  if (typeof value === "string") return Buffer.from(value, "utf8").toString("base64");
  return undefined;
}

/** Standard base64 with padding (what every SDK sends); checked in one pass, no regular expression. */
export function isBase64(s: string): boolean {
  if (s.length % 4 !== 0) return false;
  const pad = s.endsWith("==") ? 2 : s.endsWith("=") ? 1 : 0;
  for (let i = 0; i < s.length - pad; i++) {
    const c = s.charCodeAt(i);
    const ok = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2f;
    if (!ok) return false;
  }
  return true;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function join(path: string, name: string): string {
  return path ? `${path}.${name}` : name;
}

function mismatch(errors: string[], path: string, expected: string, value: unknown): undefined {
  const got = Array.isArray(value) ? "list" : value === null ? "null" : typeof value === "object" ? "structure" : typeof value;
  errors.push(`Unexpected ${got} value at '${path || "(root)"}', expected ${expected}`);
  return undefined;
}
