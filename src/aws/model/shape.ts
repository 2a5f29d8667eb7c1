/**
 * Thin facade over smithy's NormalizedSchema: the only place that touches the schema walker.
 * Everything in src/aws outside model/ sees `Shape`, never the tuple format (which is @alpha).
 */
import { NormalizedSchema } from "@smithy/core/schema";

export type ShapeKind =
  | "structure"
  | "union"
  | "list"
  | "map"
  | "string"
  | "boolean"
  | "number"
  | "bigInteger"
  | "bigDecimal"
  | "timestamp"
  | "blob"
  | "document"
  | "unit";

export interface ShapeTraits {
  readonly xmlName?: string;
  readonly ec2QueryName?: string;
  readonly xmlFlattened?: boolean;
  readonly [trait: string]: unknown;
}

const cache = new WeakMap<object, Shape>();

export class Shape {
  readonly #ns: NormalizedSchema;
  #members: ReadonlyArray<readonly [string, Shape]> | undefined;

  private constructor(ns: NormalizedSchema) {
    this.#ns = ns;
  }

  /** Wraps a schema reference (operation input/output thunk, `X$` array, or NormalizedSchema). */
  static of(schema: unknown): Shape {
    const ns = NormalizedSchema.of(schema as Parameters<typeof NormalizedSchema.of>[0]);
    const cached = cache.get(ns);
    if (cached) return cached;
    const shape = new Shape(ns);
    cache.set(ns, shape);
    return shape;
  }

  // A Shape is immutable and made once per schema (the cache above), so what the codecs and the
  // validator ask of it on every request is worked out once: a profile of RegisterTaskDefinition
  // and DescribeServices showed these getters re-deriving the same answers from the schema walker.
  #name: string | undefined;
  #id: string | undefined;
  #kind: ShapeKind | undefined;
  #traits: ShapeTraits | undefined;
  #memberTraits: ShapeTraits | undefined;
  #required: readonly string[] | undefined;

  /** Short shape name, e.g. "CreateServiceRequest" (member schemas give their target's name). */
  get name(): string {
    return (this.#name ??= this.#ns.getName() ?? "");
  }

  /** Shape id with namespace, e.g. "com.amazonaws.ecs#CreateServiceRequest". */
  get id(): string {
    return (this.#id ??= this.#ns.getName(true) ?? "");
  }

  get kind(): ShapeKind {
    return (this.#kind ??= this.#deriveKind());
  }

  #deriveKind(): ShapeKind {
    const ns = this.#ns;
    if (ns.isUnitSchema()) return "unit";
    if (ns.isUnionSchema()) return "union";
    if (ns.isStructSchema()) return "structure";
    if (ns.isListSchema()) return "list";
    if (ns.isMapSchema()) return "map";
    if (ns.isBlobSchema()) return "blob";
    if (ns.isTimestampSchema()) return "timestamp";
    if (ns.isBooleanSchema()) return "boolean";
    if (ns.isBigIntegerSchema()) return "bigInteger";
    if (ns.isBigDecimalSchema()) return "bigDecimal";
    if (ns.isNumericSchema()) return "number";
    if (ns.isStringSchema()) return "string";
    return "document";
  }

  /** Traits of the target merged with the member's own traits. */
  traits(): ShapeTraits {
    return (this.#traits ??= (this.#ns.getMergedTraits() ?? {}) as ShapeTraits);
  }

  /** Only the traits set on the member (e.g. xmlName of a structure member). */
  memberTraits(): ShapeTraits {
    return (this.#memberTraits ??= (this.#ns.getMemberTraits() ?? {}) as ShapeTraits);
  }

  /** Members of a structure/union in model order. */
  members(): ReadonlyArray<readonly [string, Shape]> {
    if (this.#members) return this.#members;
    const out: Array<readonly [string, Shape]> = [];
    if (this.#ns.isStructSchema()) {
      for (const [name, member] of this.#ns.structIterator()) out.push([name, Shape.#wrap(member)]);
    }
    this.#members = out;
    return out;
  }

  member(name: string): Shape | undefined {
    for (const [n, s] of this.members()) if (n === name) return s;
    return undefined;
  }

  /**
   * Required members. The static structure tuple is [3, ns, name, traits, names, schemas, requiredCount]:
   * the first `requiredCount` members are the required ones (getMergedTraits() does not carry it).
   */
  requiredMembers(): readonly string[] {
    return (this.#required ??= this.#deriveRequired());
  }

  #deriveRequired(): readonly string[] {
    const raw = this.#ns.getSchema() as unknown;
    if (!Array.isArray(raw)) return [];
    const names = raw[4];
    const count = raw[6];
    if (!Array.isArray(names) || typeof count !== "number") return [];
    return names.slice(0, count) as string[];
  }

  #element: Shape | undefined;
  #key: Shape | undefined;

  /** List element shape (made once: codecs and the validator ask for it per element). */
  listMember(): Shape {
    this.#element ??= Shape.#wrap(this.#ns.getValueSchema());
    return this.#element;
  }

  mapKey(): Shape {
    this.#key ??= Shape.#wrap(this.#ns.getKeySchema());
    return this.#key;
  }

  mapValue(): Shape {
    this.#element ??= Shape.#wrap(this.#ns.getValueSchema());
    return this.#element;
  }

  /** The timestamp format trait as a name, when the model sets one explicitly. */
  timestampFormat(): "date-time" | "http-date" | "epoch-seconds" | undefined {
    const raw = this.#ns.getSchema() as unknown;
    if (raw === 5) return "date-time";
    if (raw === 6) return "http-date";
    if (raw === 7) return "epoch-seconds";
    return undefined;
  }

  static #wrap(ns: NormalizedSchema): Shape {
    const cached = cache.get(ns);
    if (cached) return cached;
    const shape = new Shape(ns);
    cache.set(ns, shape);
    return shape;
  }
}
