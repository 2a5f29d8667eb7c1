/** `/v2/<name>/blobs/<digest>`: GetBlob (with Range), HEAD, DeleteBlob (unlinks; GC frees the file). */
import { RegistryError } from "../errcodes.ts";
import { hexOf } from "../storage/paths.ts";
import { type MethodHandler, type RequestContext, requireRepository, send } from "./context.ts";

export function blobDispatcher(ctx: RequestContext): MethodHandler {
  return { GET: () => getBlob(ctx), HEAD: () => getBlob(ctx), DELETE: () => deleteBlob(ctx) };
}

async function getBlob(ctx: RequestContext): Promise<void> {
  requireRepository(ctx);
  const digest = ctx.ref;
  hexOf(digest);
  const linked = ctx.deps.meta.linkedBlob(ctx.scope, ctx.name, digest);
  const onDisk = linked ? await ctx.deps.blobs.stat(digest) : undefined;
  if (!linked || !onDisk) throw new RegistryError("BLOB_UNKNOWN", { digest });
  const size = onDisk.size;
  const headers: Record<string, string | number> = {
    "Content-Type": "application/octet-stream",
    "Docker-Content-Digest": digest,
    "Accept-Ranges": "bytes",
    "Cache-Control": "max-age=31536000",
    ETag: `"${digest}"`,
  };
  const range = parseRange(ctx.req.headers.range, size);
  if (range === "unsatisfiable") {
    send(ctx, 416, { ...headers, "Content-Range": `bytes */${size}` });
    return;
  }
  const status = range ? 206 : 200;
  if (range) headers["Content-Range"] = `bytes ${range.start}-${range.end}/${size}`;
  headers["Content-Length"] = range ? range.end - range.start + 1 : size;
  ctx.res.writeHead(status, headers);
  if (ctx.req.method === "HEAD" || size === 0) {
    ctx.res.end();
    return;
  }
  await ctx.deps.blobs.copyTo(digest, range ?? { start: 0, end: size - 1 }, ctx.res);
  ctx.res.end();
}

async function deleteBlob(ctx: RequestContext): Promise<void> {
  requireRepository(ctx);
  hexOf(ctx.ref);
  if (!ctx.deps.meta.unlinkBlob(ctx.scope, ctx.name, ctx.ref)) throw new RegistryError("BLOB_UNKNOWN", { digest: ctx.ref });
  send(ctx, 202, { "Docker-Content-Digest": ctx.ref });
}

/** `bytes=a-b`, `bytes=a-` or `bytes=-n` (one range only); undefined when absent or unparsable. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | "unsatisfiable" | undefined {
  if (!header) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === "" && m[2] === "")) return undefined;
  let start: number;
  let end: number;
  if (m[1] === "") {
    const n = Number(m[2]);
    if (n === 0) return "unsatisfiable";
    start = Math.max(0, size - n);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === "" ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) return "unsatisfiable";
  return { start, end };
}
