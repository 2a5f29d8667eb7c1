/**
 * The console's static files, all served from this process (no CDN): from dist/console/ when
 * `npm run build` made it after the last change to the client's sources, otherwise bundled in
 * memory with esbuild on first use (a development checkout, tests). Hashed names are cached for a
 * year; compressed copies (brotli, gzip) are made once per file on first request and kept.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { packageRoot } from "../core/package-root.ts";
import { type BuiltClient, buildClient, CLIENT_DIR } from "./build-client.ts";

const TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
  ".svg": "image/svg+xml",
  ".woff2": "font/woff2",
  ".json": "application/json",
};

interface Asset {
  readonly body: Buffer;
  readonly type: string;
  br?: Buffer;
  gzip?: Buffer;
}

export const DIST_DIR = () => join(packageRoot(), "dist", "console");
export const MANIFEST = "manifest.json";

function newestMtime(dir: string): number {
  let max = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) max = Math.max(max, statSync(join(e.parentPath, e.name)).mtimeMs);
  }
  return max;
}

/** dist/console's files when that build is newer than every client source file. */
function loadDist(): BuiltClient | undefined {
  const dir = DIST_DIR();
  const manifest = join(dir, MANIFEST);
  if (!existsSync(manifest)) return undefined;
  if (existsSync(CLIENT_DIR) && statSync(manifest).mtimeMs < newestMtime(CLIENT_DIR)) return undefined;
  const entry = JSON.parse(readFileSync(manifest, "utf8")) as BuiltClient["entry"];
  const files = readdirSync(dir)
    .filter((n) => n !== MANIFEST)
    .map((name) => ({ name, contents: readFileSync(join(dir, name)) }));
  return { files, entry };
}

export class Assets {
  #loading: Promise<{ entry: BuiltClient["entry"]; files: Map<string, Asset> }> | undefined;

  /** Loads (or builds) the client once; later calls share the result. */
  load(): Promise<{ entry: BuiltClient["entry"]; files: Map<string, Asset> }> {
    this.#loading ??= (async () => {
      const built = loadDist() ?? (await buildClient());
      const files = new Map<string, Asset>();
      for (const f of built.files) {
        const ext = f.name.slice(f.name.lastIndexOf("."));
        files.set(f.name, { body: Buffer.from(f.contents), type: TYPES[ext] ?? "application/octet-stream" });
      }
      return { entry: built.entry, files };
    })();
    this.#loading.catch(() => (this.#loading = undefined));
    return this.#loading;
  }

  /** Serves `name` (a hashed file name) with the best encoding the browser accepts. */
  async serve(req: IncomingMessage, res: ServerResponse, name: string): Promise<void> {
    const { files } = await this.load();
    const asset = files.get(name);
    if (!asset) {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("Not found\n");
      return;
    }
    const accept = String(req.headers["accept-encoding"] ?? "");
    let body = asset.body;
    let encoding: string | undefined;
    if (asset.body.length > 1024 && /\bbr\b/.test(accept)) {
      asset.br ??= brotliCompressSync(asset.body, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: asset.body.length } });
      body = asset.br;
      encoding = "br";
    } else if (asset.body.length > 1024 && /\bgzip\b/.test(accept)) {
      asset.gzip ??= gzipSync(asset.body, { level: 9 });
      body = asset.gzip;
      encoding = "gzip";
    }
    res.writeHead(200, {
      "content-type": asset.type,
      "content-length": String(body.length),
      "cache-control": "public, max-age=31536000, immutable",
      "x-content-type-options": "nosniff",
      vary: "accept-encoding",
      ...(encoding ? { "content-encoding": encoding } : {}),
    });
    res.end(req.method === "HEAD" ? undefined : body);
  }
}
