/**
 * Generates src/aws/model/generated/<service>-enums.json ({ ShapeName: { member: [values] } }) from an
 * @aws-sdk/client-* package's type declarations, since the runtime schemas do not carry enum values.
 *
 *   node src/aws/model/gen-enums.ts ecs elastic-load-balancing-v2 ec2
 *
 * Reads dist-types/models/enums.d.ts (`export declare const LaunchType: { readonly EC2: "EC2"; … }`)
 * and dist-types/models/models_*.d.ts (`launchType?: LaunchType | undefined;`, also `X[]` and
 * `Record<string, X>`, whose elements are then checked).
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { enumFileName } from "./enums.ts";

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

export async function generate(client: string, outDir: string): Promise<string> {
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
  const sorted = Object.fromEntries(Object.keys(table).sort().map((k) => [k, table[k]]));
  writeFileSync(out, `${JSON.stringify(sorted, null, 1)}\n`);
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const outDir = join(dirname(fileURLToPath(import.meta.url)), "generated");
  const clients = process.argv.slice(2);
  if (clients.length === 0) clients.push("ecs");
  for (const c of clients) console.log(`wrote ${await generate(c, outDir)}`);
}
