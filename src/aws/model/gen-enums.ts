/**
 * Generates src/aws/model/generated/<service>-enums.json ({ ShapeName: { member: [values] } }) from an
 * @aws-sdk/client-* package's type declarations, since the runtime schemas do not carry enum values.
 *
 *   node src/aws/model/gen-enums.ts ecs elastic-load-balancing-v2
 *   node src/aws/model/gen-enums.ts --inputs-only ec2
 *
 * --inputs-only keeps only the structures some operation's input reaches (the gateway validates
 * inputs only): EC2's full table is 800 KB, its input part a fraction of that.
 * Reads dist-types/models/enums.d.ts (`export declare const LaunchType: { readonly EC2: "EC2"; … }`)
 * and dist-types/models/models_*.d.ts (`launchType?: LaunchType | undefined;`, also `X[]` and
 * `Record<string, X>`, whose elements are then checked).
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { enumFileName } from "./enums.ts";
import { ServiceModel } from "./service-model.ts";
import type { Shape } from "./shape.ts";

type Table = Record<string, Record<string, string[]>>;

export function parseEnums(source: string): Map<string, string[]> {
  const enums = new Map<string, string[]>();
  const block = /export declare const (\w+): \{([^}]*)\};/g;
  for (const m of source.matchAll(block)) {
    const values = [...(m[2] ?? "").matchAll(/readonly [\w$"']+: "([^"]*)";/g)].map((v) => v[1] ?? "");
    if (m[1] && values.length > 0) enums.set(m[1], values);
  }
  return enums;
}

export function parseInterfaces(source: string, enums: Map<string, string[]>, into: Table): void {
  const iface = /export interface (\w+) \{([\s\S]*?)\n\}/g;
  for (const m of source.matchAll(iface)) {
    const name = m[1] ?? "";
    const body = m[2] ?? "";
    for (const line of body.matchAll(/^\s{4}(\w+)\??: ([^;]+);/gm)) {
      const member = line[1] ?? "";
      const values = enums.get(elementType(line[2] ?? ""));
      if (!values) continue;
      (into[name] ??= {})[member] = values;
    }
  }
}

function elementType(type: string): string {
  let t = type.replace(/\s*\|\s*undefined$/, "").trim();
  for (;;) {
    const rec = /^Record<string, (.+)>$/.exec(t);
    if (rec?.[1]) t = rec[1].trim();
    else if (t.endsWith("[]")) t = t.slice(0, -2);
    else if (t.startsWith("(") && t.endsWith(")")) t = t.slice(1, -1);
    else return t;
  }
}

/** Names of the structures reachable from any operation's input. */
function inputStructures(mod: Readonly<Record<string, unknown>>): Set<string> {
  const model = new ServiceModel(mod, {});
  const seen = new Set<string>();
  const visit = (shape: Shape): void => {
    if (shape.kind === "structure" || shape.kind === "union") {
      if (seen.has(shape.name)) return;
      seen.add(shape.name);
      for (const [, m] of shape.members()) visit(m);
    } else if (shape.kind === "list") visit(shape.listMember());
    else if (shape.kind === "map") visit(shape.mapValue());
  };
  for (const name of model.operationNames()) {
    const op = model.operation(name);
    if (op) visit(op.input);
  }
  return seen;
}

export async function generate(client: string, outDir: string, inputsOnly = false): Promise<string> {
  const require = createRequire(import.meta.url);
  const pkg = `@aws-sdk/client-${client}`;
  const entry = require.resolve(pkg);
  const root = entry.slice(0, entry.lastIndexOf(`/client-${client}/`) + `/client-${client}/`.length);
  const models = join(root, "dist-types", "models");
  const files = readdirSync(models);
  const enums = new Map<string, string[]>();
  for (const f of files) if (f === "enums.d.ts" || /^models_\d+\.d\.ts$/.test(f)) {
    for (const [k, v] of parseEnums(readFileSync(join(models, f), "utf8"))) enums.set(k, v);
  }
  const table: Table = {};
  for (const f of files.filter((f) => /^models_\d+\.d\.ts$/.test(f)).sort()) {
    parseInterfaces(readFileSync(join(models, f), "utf8"), enums, table);
  }
  const mod = (await import(pkg)) as Record<string, unknown>;
  const op = Object.values(mod).find((v) => Array.isArray(v) && v[0] === 9) as unknown[] | undefined;
  const out = join(outDir, enumFileName(String(op?.[1] ?? client)));
  const keep = inputsOnly ? inputStructures(mod) : undefined;
  const sorted = Object.fromEntries(
    Object.keys(table)
      .filter((k) => !keep || keep.has(k))
      .sort()
      .map((k) => [k, table[k]]),
  );
  writeFileSync(out, `${JSON.stringify(sorted, null, 1)}\n`);
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const outDir = join(dirname(fileURLToPath(import.meta.url)), "generated");
  const args = process.argv.slice(2);
  const inputsOnly = args.includes("--inputs-only");
  const clients = args.filter((a) => a !== "--inputs-only");
  if (clients.length === 0) clients.push("ecs");
  for (const c of clients) console.log(`wrote ${await generate(c, outDir, inputsOnly)}`);
}
