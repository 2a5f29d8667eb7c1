/**
 * Bundles the console's browser code (src/console/client/) with esbuild: one ES module entry plus
 * lazily loaded chunks (the terminal, with xterm.js, loads only when a shell is opened), minified,
 * content-hashed names, nothing fetched from anywhere at run time. Used by scripts/build.ts (into
 * dist/console/) and, when that build is missing or older than the sources, in memory on the
 * console's first request (a development checkout).
 */
import { join } from "node:path";
import { packageRoot } from "../core/package-root.ts";

export const CLIENT_DIR = `${join(packageRoot(), "src", "console", "client")}/`;

export interface BuiltFile {
  /** Name under the assets path, e.g. "main-3KQ2ZJ7A.js". */
  readonly name: string;
  readonly contents: Uint8Array;
}

export interface BuiltClient {
  readonly files: BuiltFile[];
  /** The entry script and the stylesheets the first view needs. */
  readonly entry: { readonly script: string; readonly styles: string[] };
}

export async function buildClient(): Promise<BuiltClient> {
  const esbuild = await import("esbuild");
  const result = await esbuild.build({
    entryPoints: { main: `${CLIENT_DIR}main.tsx` },
    bundle: true,
    splitting: true,
    format: "esm",
    target: ["chrome111", "firefox111", "safari16.4"],
    minify: true,
    legalComments: "linked",
    jsx: "automatic",
    jsxImportSource: "preact",
    entryNames: "[name]-[hash]",
    chunkNames: "chunk-[hash]",
    assetNames: "[name]-[hash]",
    outdir: "/console-out",
    write: false,
    metafile: true,
    logLevel: "silent",
    define: { "process.env.NODE_ENV": '"production"' },
  });
  const files = result.outputFiles.map((f) => ({ name: f.path.slice("/console-out/".length), contents: f.contents }));
  const outputs = result.metafile.outputs;
  const entryOut = Object.entries(outputs).find(([, o]) => o.entryPoint?.endsWith("main.tsx"));
  if (!entryOut) throw new Error("console build: no entry output");
  const [entryPath, entryMeta] = entryOut;
  const script = entryPath.slice(entryPath.lastIndexOf("/") + 1);
  const styles = entryMeta.cssBundle ? [entryMeta.cssBundle.slice(entryMeta.cssBundle.lastIndexOf("/") + 1)] : [];
  return { files, entry: { script, styles } };
}
