/**
 * The directory holding Slipway's package.json, found by walking up from this module: the same
 * answer whether the code runs from src/ (type stripping, tests) or from the one-file bundle in
 * dist/ (`npm run build`). Data files that ship beside the code (the generated model tables, the
 * console's client sources and build) are located from here, not from `import.meta.url`, which in
 * the bundle names dist/slipway.js.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

let root: string | undefined;

export function packageRoot(): string {
  if (root !== undefined) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`slipway: no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
  root = dir;
  return dir;
}

/** A file of the generated model tables (src/aws/model/generated/, made by gen-*.ts). */
export function generatedModelFile(name: string): string {
  return join(packageRoot(), "src", "aws", "model", "generated", name);
}
