/**
 * Model validation of a decoded input: required members and enum values, with AWS's message form
 * ("1 validation error detected: Value null at 'cluster' failed to satisfy constraint: Member must not be null").
 * Type errors are found while decoding (each protocol knows its wire types) and passed in here too.
 */
import type { ServiceModel, Shape } from "../model/index.ts";
import { ServiceError } from "../service-error.ts";

export type PathStyle = "json" | "query";

export function validateInput(model: ServiceModel, shape: Shape, value: unknown, style: PathStyle): string[] {
  const errors: string[] = [];
  walk(model, shape, value, "", style, undefined, errors);
  return errors;
}

/** Builds the validation error (code per protocol) for a non-empty error list. */
export function validationError(code: string, errors: readonly string[]): ServiceError {
  const n = errors.length;
  const head = `${n} validation error${n === 1 ? "" : "s"} detected: `;
  return new ServiceError(code, head + errors.join("; "), { status: 400 });
}

function walk(
  model: ServiceModel,
  shape: Shape,
  value: unknown,
  path: string,
  style: PathStyle,
  allowed: readonly string[] | undefined,
  errors: string[],
): void {
  if (value === undefined || value === null) return;
  switch (shape.kind) {
    case "structure":
    case "union": {
      if (typeof value !== "object") return;
      const obj = value as Record<string, unknown>;
      const required = new Set(shape.requiredMembers());
      for (const [name, member] of shape.members()) {
        const memberPath = join(path, wireName(name, member, style));
        const v = obj[name];
        if ((v === undefined || v === null) && required.has(name)) {
          errors.push(`Value null at '${memberPath}' failed to satisfy constraint: Member must not be null`);
          continue;
        }
        walk(model, member, v, memberPath, style, model.enumValues(shape.name, name), errors);
      }
      return;
    }
    case "list": {
      if (!Array.isArray(value)) return;
      const member = shape.listMember();
      value.forEach((item, i) => {
        walk(model, member, item, `${path}.${i + 1}.member`, style, allowed, errors);
      });
      return;
    }
    case "map": {
      if (typeof value !== "object") return;
      const member = shape.mapValue();
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        walk(model, member, v, `${path}.${k}`, style, allowed, errors);
      }
      return;
    }
    case "string":
      if (allowed && typeof value === "string" && !allowed.includes(value)) {
        errors.push(
          `Value '${value}' at '${path}' failed to satisfy constraint: Member must satisfy enum value set: [${allowed.join(", ")}]`,
        );
      }
      return;
    default:
      return;
  }
}

function join(path: string, name: string): string {
  return path ? `${path}.${name}` : name;
}

function wireName(name: string, member: Shape, style: PathStyle): string {
  // JSON services name members in lower camel case in validation messages ('secretId', 'plaintext').
  if (style === "json") return name.charAt(0).toLowerCase() + name.slice(1);
  return member.memberTraits().xmlName ?? name;
}
