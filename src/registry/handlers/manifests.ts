/** `/v2/<name>/manifests/<reference>`: GetManifest, HEAD, PutManifest, DeleteManifest (by tag or digest). */
import { RegistryError } from "../errcodes.ts";
import { deleteManifest as deleteImageManifest, pushManifest, resolveManifest } from "../images.ts";
import { urls } from "../routes.ts";
import { type MethodHandler, readSmallBody, type RequestContext, requireRepository, send } from "./context.ts";

export function manifestDispatcher(ctx: RequestContext): MethodHandler {
  return { GET: () => getManifest(ctx), HEAD: () => getManifest(ctx), PUT: () => putManifest(ctx), DELETE: () => deleteManifest(ctx) };
}

/** Serves the stored bytes and media type (no conversion, whatever Accept says). */
async function getManifest(ctx: RequestContext): Promise<void> {
  requireRepository(ctx);
  const m = resolveManifest(ctx.deps.meta, ctx.scope, ctx.name, ctx.ref);
  if (!m) throw new RegistryError("MANIFEST_UNKNOWN", { reference: ctx.ref });
  send(ctx, 200, { "Content-Type": m.mediaType, "Docker-Content-Digest": m.digest, ETag: `"${m.digest}"`, "Content-Length": m.size }, m.body);
}

async function putManifest(ctx: RequestContext): Promise<void> {
  requireRepository(ctx, { push: true });
  const body = await readSmallBody(ctx, ctx.deps.maxManifestBytes);
  const pushed = pushManifest(ctx.deps.meta, ctx.scope, ctx.name, { body, contentType: ctx.req.headers["content-type"], reference: ctx.ref });
  const headers: Record<string, string> = { Location: urls.manifest(ctx.name, pushed.digest), "Docker-Content-Digest": pushed.digest };
  if (pushed.parsed.subject) headers["OCI-Subject"] = pushed.parsed.subject.digest;
  send(ctx, 201, headers);
}

async function deleteManifest(ctx: RequestContext): Promise<void> {
  requireRepository(ctx);
  deleteImageManifest(ctx.deps.meta, ctx.scope, ctx.name, ctx.ref);
  send(ctx, 202);
}
