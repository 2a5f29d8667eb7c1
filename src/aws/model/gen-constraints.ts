/**
 * Generates src/aws/model/generated/<service>-constraints.json from botocore's service model, since
 * the SDK's runtime schemas carry neither the length and range traits nor the integer/long/double
 * distinction of numbers:
 *
 *   node src/aws/model/gen-constraints.ts ecs:ecs ecr:ecr ec2:ec2 cloudwatch-logs:logs iam:iam sts:sts elastic-load-balancing-v2:elbv2
 *
 * Each argument is `<@aws-sdk/client-* suffix>:<botocore service directory>`. The botocore data
 * directory is found with `python3 -c "import botocore"` unless BOTOCORE_DATA names it.
 *
 * The table is { StructureName: { member: Constraint } }, with only the members that carry
 * something; a Constraint is { t: "i" (integer) | "l" (long), n: [min, max] (length of a string,
 * list, map or blob), r: [min, max] (value range), m: Constraint of a list member or map value,
 * k: Constraint of a map key }, where a bound is null when the model sets only the other one.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { constraintFileName } from "./constraints.ts";
import type { Constraint } from "./constraints.ts";

interface BotoShape {
  readonly type: string;
  readonly min?: number;
  readonly max?: number;
  readonly member?: { readonly shape: string };
  readonly key?: { readonly shape: string };
  readonly value?: { readonly shape: string };
  readonly members?: Readonly<Record<string, { readonly shape: string }>>;
}

type Table = Record<string, Record<string, Constraint>>;

/** The constraint table of the structures reachable from `inputs` (operation input shapes). */
export function constraintsOf(shapes: Readonly<Record<string, BotoShape>>, inputs: readonly string[]): Table {
  const memo = new Map<string, Constraint | undefined>();
  const specOf = (name: string, depth: number): Constraint | undefined => {
    if (memo.has(name)) return memo.get(name);
    const s = shapes[name];
    if (!s || depth > 16) return undefined;
    const out: { -readonly [K in keyof Constraint]: Constraint[K] } = {};
    if (s.type === "integer" || s.type === "long") out.t = s.type === "integer" ? "i" : "l";
    const bounds: [number | null, number | null] | undefined = s.min !== undefined || s.max !== undefined ? [s.min ?? null, s.max ?? null] : undefined;
    if (bounds) {
      if (s.type === "integer" || s.type === "long" || s.type === "double" || s.type === "float") out.r = bounds;
      else if (s.type === "string" || s.type === "list" || s.type === "map" || s.type === "blob") out.n = bounds;
    }
    if (s.type === "list" && s.member) {
      const m = specOf(s.member.shape, depth + 1);
      if (m) out.m = m;
    }
    if (s.type === "map") {
      const k = s.key ? specOf(s.key.shape, depth + 1) : undefined;
      const v = s.value ? specOf(s.value.shape, depth + 1) : undefined;
      if (k) out.k = k;
      if (v) out.m = v;
    }
    const spec = Object.keys(out).length > 0 ? out : undefined;
    memo.set(name, spec);
    return spec;
  };
  // Only what a request can carry: structures reachable from the operations' inputs.
  const reachable = new Set<string>();
  const visit = (name: string): void => {
    const s = shapes[name];
    if (!s || reachable.has(name)) return;
    reachable.add(name);
    for (const ref of [s.member, s.key, s.value, ...Object.values(s.members ?? {})]) if (ref) visit(ref.shape);
  };
  for (const input of inputs) visit(input);
  const table: Table = {};
  for (const name of [...reachable].sort()) {
    const s = shapes[name];
    if (s?.type !== "structure" || !s.members) continue;
    for (const [member, ref] of Object.entries(s.members)) {
      const spec = specOf(ref.shape, 0);
      if (spec) (table[name] ??= {})[member] = spec;
    }
  }
  return table;
}

function botocoreData(): string {
  if (process.env["BOTOCORE_DATA"]) return process.env["BOTOCORE_DATA"];
  const dir = execFileSync("python3", ["-c", "import botocore,os;print(os.path.dirname(botocore.__file__))"], { encoding: "utf8" }).trim();
  return join(dir, "data");
}

interface BotoModel {
  readonly shapes: Record<string, BotoShape>;
  readonly operations: Record<string, { readonly input?: { readonly shape: string } }>;
}

function loadBotocore(service: string): BotoModel {
  const root = join(botocoreData(), service);
  const version = readdirSync(root).filter((v) => /^\d{4}-\d{2}-\d{2}$/.test(v)).sort().at(-1);
  if (!version) throw new Error(`no botocore model for ${service}`);
  const dir = join(root, version);
  const file = readdirSync(dir).find((f) => f === "service-2.json.gz" || f === "service-2.json");
  if (!file) throw new Error(`no service-2.json in ${dir}`);
  const raw = readFileSync(join(dir, file));
  return JSON.parse((file.endsWith(".gz") ? gunzipSync(raw) : raw).toString("utf8")) as BotoModel;
}

export async function generate(client: string, botocore: string, outDir: string): Promise<{ out: string; missing: string[] }> {
  const require = createRequire(import.meta.url);
  const mod = require(`@aws-sdk/client-${client}`) as Record<string, unknown>;
  const op = Object.values(mod).find((v) => Array.isArray(v) && v[0] === 9) as unknown[] | undefined;
  const model = loadBotocore(botocore);
  const inputs = Object.values(model.operations).flatMap((o) => (o.input ? [o.input.shape] : []));
  const table = constraintsOf(model.shapes, inputs);
  // Structures the SDK does not know by the same name are reported (and kept: they cost nothing).
  const missing = Object.keys(table).filter((name) => !Array.isArray(mod[`${name}$`]));
  const out = join(outDir, constraintFileName(String(op?.[1] ?? client)));
  writeFileSync(out, `${JSON.stringify(table)}\n`);
  return { out, missing };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const outDir = join(dirname(fileURLToPath(import.meta.url)), "generated");
  for (const pair of process.argv.slice(2)) {
    const [client = "", botocore = client] = pair.split(":");
    const { out, missing } = await generate(client, botocore, outDir);
    console.log(`wrote ${out}${missing.length ? ` (${missing.length} structures unknown to the SDK: ${missing.slice(0, 5).join(", ")}…)` : ""}`);
  }
}
