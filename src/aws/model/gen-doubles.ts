/**
 * Generates src/aws/model/generated/<service>-doubles.json ({ StructureName: [member, …] }): the
 * members whose model type is double/float (or a list or map of them). The SDK's runtime schemas say only
 * "number", but smithy-rpc-v2-cbor must send a double as a CBOR float even when it is whole
 * (Threshold 70 → 70.0), and an integer as an integer. Read from botocore's service model (the same
 * Smithy model, in JSON), located through the installed Python package:
 *
 *   node src/aws/model/gen-doubles.ts cloudwatch/2010-08-01
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";

interface BotoShape {
  type: string;
  member?: { shape: string };
  value?: { shape: string };
  members?: Record<string, { shape: string }>;
}

export function doubleMembers(shapes: Record<string, BotoShape>): Record<string, string[]> {
  const isDouble = (name: string | undefined): boolean => {
    const s = name === undefined ? undefined : shapes[name];
    if (!s) return false;
    if (s.type === "double" || s.type === "float") return true;
    if (s.type === "list") return isDouble(s.member?.shape);
    return s.type === "map" && isDouble(s.value?.shape);
  };
  const out: Record<string, string[]> = {};
  for (const name of Object.keys(shapes).sort()) {
    const members = Object.entries(shapes[name]?.members ?? {}).filter(([, m]) => isDouble(m.shape)).map(([k]) => k);
    if (shapes[name]?.type === "structure" && members.length > 0) out[name] = members;
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = execFileSync("python3", ["-c", "import botocore,os;print(os.path.dirname(botocore.__file__))"], { encoding: "utf8" }).trim();
  for (const model of process.argv.slice(2)) {
    const dir = join(root, "data", model);
    let raw: Buffer;
    try {
      raw = gunzipSync(readFileSync(join(dir, "service-2.json.gz")));
    } catch {
      raw = readFileSync(join(dir, "service-2.json"));
    }
    const json = JSON.parse(raw.toString("utf8")) as { shapes: Record<string, BotoShape> };
    const service = model.split("/")[0]!.replace(/[^a-z0-9-]/gi, "");
    const out = join(dirname(fileURLToPath(import.meta.url)), "generated", `${service}-doubles.json`);
    writeFileSync(out, `${JSON.stringify(doubleMembers(json.shapes), null, 1)}\n`);
    console.log(`wrote ${out}`);
  }
}
