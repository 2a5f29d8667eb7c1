/**
 * Model validation of a decoded input, with AWS's message form ("1 validation error detected: Value
 * null at 'cluster' failed to satisfy constraint: Member must not be null"):
 *
 * - required members, and no null inside a list or map unless the model marks it sparse;
 * - enum values;
 * - length traits (strings in characters, blobs in bytes, lists and maps in entries) and range
 *   traits, from the constraint tables generated out of botocore's models (gen-constraints.ts);
 * - integers and longs: a whole number within 32 or 64 bits (the SDK's schemas only say "number").
 *
 * Wire-type errors are found while decoding (each protocol knows its wire types) and reported by
 * the protocol; a number that is not the integer the model wants is a wire-type error too, so it
 * goes to `typeErrors` when the caller passes that list.
 */
import type { Constraint, ServiceModel, Shape } from "../model/index.ts";
import { ServiceError } from "../service-error.ts";

export type PathStyle = "json" | "query";

const INT32: readonly [number, number] = [-2147483648, 2147483647];

export function validateInput(model: ServiceModel, shape: Shape, value: unknown, style: PathStyle, typeErrors?: string[]): string[] {
  const found = validate(model, shape, value, style);
  if (typeErrors) typeErrors.push(...found.types);
  return [...found.missing, ...found.invalid, ...found.traits, ...(typeErrors ? [] : found.types)];
}

export interface Violations {
  /** Required members that are absent, and nulls in lists and maps that are not sparse. */
  readonly missing: string[];
  /** Values outside their enum. */
  readonly invalid: string[];
  /** Length and range traits (some services answer these with their own error code). */
  readonly traits: string[];
  /** Numbers that are not the integers the model wants (a wire-type error in JSON). */
  readonly types: string[];
}

/**
 * Every violation of `value` against `shape`, by kind. `traits: false` leaves length and range to
 * the service (EC2 and IAM check them with their own errors and limits).
 */
export function validate(model: ServiceModel, shape: Shape, value: unknown, style: PathStyle, opts: { traits?: boolean } = {}): Violations {
  const out: Violations = { missing: [], invalid: [], traits: [], types: [] };
  walk(model, shape, value, "", style, undefined, undefined, out, opts.traits ?? true);
  return out;
}

/** Builds the validation error (code per protocol) for a non-empty error list. */
export function validationError(code: string, errors: readonly string[]): ServiceError {
  const n = errors.length;
  const head = `${n} validation error${n === 1 ? "" : "s"} detected: `;
  return new ServiceError(code, head + errors.join("; "), { status: 400 });
}

type Out = Violations;

function walk(
  model: ServiceModel,
  shape: Shape,
  value: unknown,
  path: string,
  style: PathStyle,
  spec: Constraint | undefined,
  allowed: readonly string[] | undefined,
  out: Out,
  traits: boolean,
  hidden = false,
): void {
  if (value === undefined || value === null) return;
  // Values of sensitive members are never echoed in messages (AWS writes "Value at 'x'").
  const secret = hidden || shape.traits()["sensitive"] !== undefined;
  switch (shape.kind) {
    case "structure":
    case "union": {
      if (typeof value !== "object") return;
      const obj = value as Record<string, unknown>;
      const required = shape.requiredMembers();
      for (const [name, member] of shape.members()) {
        const v = Object.hasOwn(obj, name) ? obj[name] : undefined;
        // An absent member has nothing to check unless it is required: most members of a big
        // structure (ContainerDefinition has ~50) are absent, so no path or lookup is made for them.
        if (v === undefined || v === null) {
          if (required.includes(name)) {
            out.missing.push(`Value null at '${join(path, wireName(name, member, style))}' failed to satisfy constraint: Member must not be null`);
          }
          continue;
        }
        const memberPath = join(path, wireName(name, member, style));
        walk(model, member, v, memberPath, style, model.constraint(shape.name, name), model.enumValues(shape.name, name), out, traits, secret);
      }
      return;
    }
    case "list": {
      if (!Array.isArray(value)) return;
      if (traits) length(value, value.length, path, spec, out, secret);
      const member = shape.listMember();
      const sparse = shape.traits()["sparse"] !== undefined;
      for (let i = 0; i < value.length; i++) {
        const item: unknown = value[i];
        const itemPath = `${path}.${i + 1}.member`;
        if ((item === undefined || item === null) && !sparse) {
          out.missing.push(`Value null at '${itemPath}' failed to satisfy constraint: Member must not be null`);
          continue;
        }
        walk(model, member, item, itemPath, style, spec?.m, allowed, out, traits, secret);
      }
      return;
    }
    case "map": {
      if (typeof value !== "object") return;
      const entries = Object.entries(value as Record<string, unknown>);
      if (traits) length(value, entries.length, path, spec, out, secret);
      const member = shape.mapValue();
      const sparse = shape.traits()["sparse"] !== undefined;
      const keyErrors = new Set<string>();
      for (const [k, v] of entries) {
        if (traits && spec?.k?.n) for (const e of lengthProblems(charLength(k, spec.k.n[1]), spec.k.n)) keyErrors.add(e);
        const valuePath = `${path}.${k}`;
        if ((v === undefined || v === null) && !sparse) {
          out.missing.push(`Value null at '${valuePath}' failed to satisfy constraint: Member must not be null`);
          continue;
        }
        walk(model, member, v, valuePath, style, spec?.m, allowed, out, traits, secret);
      }
      if (keyErrors.size > 0) {
        out.traits.push(`${subject(value, secret)} '${path}' failed to satisfy constraint: Map keys must satisfy constraint: [${[...keyErrors].join(", ")}]`);
      }
      return;
    }
    case "string":
      if (typeof value !== "string") return;
      if (allowed && !allowed.includes(value)) {
        out.invalid.push(`${subject(value, secret)} '${path}' failed to satisfy constraint: Member must satisfy enum value set: [${allowed.join(", ")}]`);
      }
      if (traits && spec?.n) length(value, charLength(value, spec.n[1]), path, spec, out, secret);
      return;
    case "blob":
      if (traits && value instanceof Uint8Array && spec?.n) length(value, value.byteLength, path, spec, out, true);
      return;
    case "number":
      if (typeof value !== "number") return;
      if (spec?.t === "i" && !(Number.isInteger(value) && value >= INT32[0] && value <= INT32[1])) {
        out.types.push(`${subject(value, secret)} '${path}' failed to satisfy constraint: Member must be a 32-bit integer`);
        return;
      }
      if (spec?.t === "l" && !Number.isSafeInteger(value)) {
        out.types.push(`${subject(value, secret)} '${path}' failed to satisfy constraint: Member must be an integer between ${Number.MIN_SAFE_INTEGER} and ${Number.MAX_SAFE_INTEGER}`);
        return;
      }
      if (traits && spec?.r) range(value, path, spec.r, out, secret);
      return;
    default:
      return;
  }
}

function length(value: unknown, n: number, path: string, spec: Constraint | undefined, out: Out, secret: boolean): void {
  if (!spec?.n) return;
  for (const problem of lengthProblems(n, spec.n)) out.traits.push(`${subject(value, secret)} '${path}' failed to satisfy constraint: ${problem}`);
}

function lengthProblems(n: number, [min, max]: readonly [number | null, number | null]): string[] {
  if (max !== null && n > max) return [`Member must have length less than or equal to ${max}`];
  if (min !== null && n < min) return [`Member must have length greater than or equal to ${min}`];
  return [];
}

function range(value: number, path: string, [min, max]: readonly [number | null, number | null], out: Out, secret: boolean): void {
  if (max !== null && value > max) out.traits.push(`${subject(value, secret)} '${path}' failed to satisfy constraint: Member must have value less than or equal to ${max}`);
  else if (min !== null && value < min) out.traits.push(`${subject(value, secret)} '${path}' failed to satisfy constraint: Member must have value greater than or equal to ${min}`);
}

/**
 * Length in Unicode code points, as AWS counts characters. A UTF-16 length within `max` is within
 * it in code points too, so only a string that may be over the limit is counted one by one.
 */
function charLength(s: string, max: number | null): number {
  if (max === null || s.length <= max) {
    let surrogates = 0;
    // Surrogate pairs count once; a cheap pass only when the string has any (most have none).
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0xdc00 && c <= 0xdfff && i > 0) {
        const p = s.charCodeAt(i - 1);
        if (p >= 0xd800 && p <= 0xdbff) surrogates++;
      }
    }
    return s.length - surrogates;
  }
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** "Value 'x' at", or "Value at" for a sensitive member or a blob. */
function subject(value: unknown, secret: boolean): string {
  return secret || value instanceof Uint8Array ? "Value at" : `Value '${display(value)}' at`;
}

/** A value as it appears in a message: whole when short, cut at 256 characters when long. */
function display(value: unknown): string {
  const text = typeof value === "string" ? value : Array.isArray(value) ? `[${value.length} items]` : typeof value === "object" ? "{…}" : String(value);
  return text.length > 256 ? `${text.slice(0, 256)}…` : text;
}

function join(path: string, name: string): string {
  return path ? `${path}.${name}` : name;
}

function wireName(name: string, member: Shape, style: PathStyle): string {
  // JSON services name members in lower camel case in validation messages ('secretId', 'plaintext').
  if (style === "json") return name.charAt(0).toLowerCase() + name.slice(1);
  return member.memberTraits().xmlName ?? name;
}
