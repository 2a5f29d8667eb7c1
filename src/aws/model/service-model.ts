/**
 * A service's model, read from the module namespace of its @aws-sdk/client-* package:
 * operations (`Op$`), error shapes (`Err$`) with their traits, and the generated enum table.
 */
import { type Constraint, type ConstraintTable, loadConstraintTable } from "./constraints.ts";
import { type EnumTable, loadDoubleTable, loadEnumTable } from "./enums.ts";
import { Shape } from "./shape.ts";

export interface OperationModel {
  readonly name: string;
  readonly input: Shape;
  readonly output: Shape;
}

export interface ErrorModel {
  /** The error shape name, e.g. "DuplicateLoadBalancerNameException". */
  readonly name: string;
  readonly fault: "client" | "server";
  /** httpError trait, when present. */
  readonly httpStatus: number | undefined;
  /** awsQueryError trait: [code, status], e.g. ["DuplicateLoadBalancerName", 400]. */
  readonly queryError: readonly [string, number] | undefined;
  readonly shape: Shape;
}

const OPERATION = 9;
const ERROR = -3;
const NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

export class ServiceModel {
  readonly namespace: string;
  readonly #module: Readonly<Record<string, unknown>>;
  readonly #enums: EnumTable;
  #constraints: ConstraintTable | undefined;
  readonly #ops = new Map<string, OperationModel | null>();
  readonly #errors = new Map<string, ErrorModel | null>();
  #byQueryCode: Map<string, ErrorModel> | undefined;

  readonly #ownEnumChecks: ReadonlySet<string>;

  /** `ownEnumChecks`: `Structure.Member` enums the service checks itself (see ServiceDefinition). */
  constructor(module: Readonly<Record<string, unknown>>, enums?: EnumTable, ownEnumChecks: readonly string[] = []) {
    this.#module = module;
    this.namespace = findNamespace(module);
    this.#enums = enums ?? loadEnumTable(this.namespace);
    this.#ownEnumChecks = new Set(ownEnumChecks);
  }

  operation(name: string): OperationModel | undefined {
    const cached = this.#ops.get(name);
    if (cached !== undefined) return cached ?? undefined;
    const raw = this.#schema(name, OPERATION);
    const op = raw ? { name, input: Shape.of(raw[4]), output: Shape.of(raw[5]) } : null;
    this.#ops.set(name, op);
    return op ?? undefined;
  }

  /** Error shape by name ("ClusterNotFoundException") or by awsQueryError code ("LoadBalancerNotFound"). */
  error(code: string): ErrorModel | undefined {
    const cached = this.#errors.get(code);
    if (cached !== undefined) return cached ?? undefined;
    const raw = this.#schema(code, ERROR);
    const model = raw ? toErrorModel(code, Shape.of(raw)) : (this.#queryCodes().get(code) ?? null);
    this.#errors.set(code, model);
    return model ?? undefined;
  }

  /** Allowed values of an enum-typed member (for lists/maps: of their elements), if it is one. */
  enumValues(structure: string, member: string): readonly string[] | undefined {
    if (this.#ownEnumChecks.has(`${structure}.${member}`)) return undefined;
    return this.#enums[structure]?.[member];
  }

  /** Length/range traits and integer kind of a member (from botocore's model), if it has any. */
  constraint(structure: string, member: string): Constraint | undefined {
    this.#constraints ??= loadConstraintTable(this.namespace);
    return this.#constraints[structure]?.[member];
  }

  /** Whether a member's model type is double/float (or a list/map of them); see gen-doubles.ts. */
  isDouble(structure: string, member: string): boolean {
    return loadDoubleTable(this.namespace).get(structure)?.has(member) ?? false;
  }

  /** Every operation name in the model. */
  operationNames(): string[] {
    return Object.keys(this.#module)
      .filter((k) => k.endsWith("$") && isSchema(this.#module[k], OPERATION))
      .map((k) => k.slice(0, -1));
  }

  #schema(name: string, kind: number): unknown[] | undefined {
    if (!NAME.test(name) || !Object.hasOwn(this.#module, `${name}$`)) return undefined;
    const raw = this.#module[`${name}$`];
    return isSchema(raw, kind) ? raw : undefined;
  }

  #queryCodes(): Map<string, ErrorModel> {
    if (this.#byQueryCode) return this.#byQueryCode;
    const map = new Map<string, ErrorModel>();
    for (const key of Object.keys(this.#module)) {
      const raw = this.#module[key];
      if (!key.endsWith("$") || !isSchema(raw, ERROR)) continue;
      const model = toErrorModel(key.slice(0, -1), Shape.of(raw));
      if (model.queryError) map.set(model.queryError[0], model);
    }
    this.#byQueryCode = map;
    return map;
  }
}

function isSchema(raw: unknown, kind: number): raw is unknown[] {
  return Array.isArray(raw) && raw[0] === kind;
}

function toErrorModel(name: string, shape: Shape): ErrorModel {
  const traits = shape.traits();
  const q = traits["awsQueryError"];
  const http = traits["httpError"];
  return {
    name,
    fault: traits["error"] === "server" ? "server" : "client",
    httpStatus: typeof http === "number" ? http : undefined,
    queryError: Array.isArray(q) && typeof q[0] === "string" ? [q[0], Number(q[1] ?? 400)] : undefined,
    shape,
  };
}

function findNamespace(module: Readonly<Record<string, unknown>>): string {
  for (const key of Object.keys(module)) {
    const raw = module[key];
    if (key.endsWith("$") && isSchema(raw, OPERATION) && typeof raw[1] === "string") return raw[1];
  }
  return "";
}
