/**
 * Blob uploads (distribution's blobupload.go):
 *   POST   /v2/<name>/blobs/uploads/            StartBlobUpload (session, monolithic ?digest=, or ?mount=&from=)
 *   GET    /v2/<name>/blobs/uploads/<uuid>      GetUploadStatus
 *   PATCH  /v2/<name>/blobs/uploads/<uuid>      PatchBlobData (Content-Range optional)
 *   PUT    /v2/<name>/blobs/uploads/<uuid>      PutBlobUploadComplete (?digest=, optional final chunk)
 *   DELETE /v2/<name>/blobs/uploads/<uuid>      CancelBlobUpload
 */
import { RegistryError } from "../errcodes.ts";
import { NAME_RE, urls } from "../routes.ts";
import { hexOf } from "../storage/paths.ts";
import { type MethodHandler, type RequestContext, requireRepository, send } from "./context.ts";

export function blobUploadDispatcher(ctx: RequestContext): MethodHandler {
  return { POST: () => startBlobUpload(ctx) };
}

export function blobUploadChunkDispatcher(ctx: RequestContext): MethodHandler {
  const status = () => getUploadStatus(ctx);
  return {
    GET: status,
    HEAD: status,
    PATCH: () => patchBlobData(ctx),
    PUT: () => putBlobUploadComplete(ctx),
    DELETE: () => cancelBlobUpload(ctx),
  };
}

async function startBlobUpload(ctx: RequestContext): Promise<void> {
  requireRepository(ctx, { push: true });
  const { meta, blobs, uploads } = ctx.deps;
  const mount = ctx.url.searchParams.get("mount");
  const from = ctx.url.searchParams.get("from");
  if (mount && from && NAME_RE.test(from)) {
    hexOf(mount);
    const source = meta.linkedBlob(ctx.scope, from, mount);
    if (source && (await blobs.stat(mount))) {
      meta.linkBlob(ctx.scope, ctx.name, mount, source.size);
      return blobCreated(ctx, mount);
    }
  }
  const digest = ctx.url.searchParams.get("digest");
  if (digest) {
    hexOf(digest);
    const session = await uploads.start(ctx.scope, ctx.name);
    const blob = await uploads.commit(ctx.scope, ctx.name, session.uuid, digest, ctx.req);
    return blobCreated(ctx, blob.digest);
  }
  const session = await uploads.start(ctx.scope, ctx.name);
  ctx.req.resume();
  uploadAccepted(ctx, session.uuid, session.size, 202);
}

async function getUploadStatus(ctx: RequestContext): Promise<void> {
  requireRepository(ctx);
  const s = await ctx.deps.uploads.status(ctx.scope, ctx.name, ctx.ref);
  uploadAccepted(ctx, s.uuid, s.size, 204);
}

async function patchBlobData(ctx: RequestContext): Promise<void> {
  requireRepository(ctx, { push: true });
  const range = contentRange(ctx.req.headers["content-range"]);
  const s = await ctx.deps.uploads.append(ctx.scope, ctx.name, ctx.ref, ctx.req, range);
  uploadAccepted(ctx, s.uuid, s.size, 202);
}

async function putBlobUploadComplete(ctx: RequestContext): Promise<void> {
  requireRepository(ctx, { push: true });
  const digest = ctx.url.searchParams.get("digest");
  if (!digest) throw new RegistryError("DIGEST_INVALID", { reason: "digest query parameter missing" });
  hexOf(digest);
  // A Content-Range only describes a final chunk; an empty PUT just closes the upload.
  const hasBody = ctx.req.headers["transfer-encoding"] !== undefined || Number(ctx.req.headers["content-length"] ?? 0) > 0;
  const range = hasBody ? contentRange(ctx.req.headers["content-range"]) : undefined;
  const blob = await ctx.deps.uploads.commit(ctx.scope, ctx.name, ctx.ref, digest, ctx.req, range);
  blobCreated(ctx, blob.digest);
}

async function cancelBlobUpload(ctx: RequestContext): Promise<void> {
  requireRepository(ctx);
  await ctx.deps.uploads.cancel(ctx.scope, ctx.name, ctx.ref);
  send(ctx, 204);
}

function uploadAccepted(ctx: RequestContext, uuid: string, size: number, status: number): void {
  send(ctx, status, {
    Location: urls.upload(ctx.name, uuid),
    Range: `0-${size > 0 ? size - 1 : 0}`,
    "Docker-Upload-UUID": uuid,
  });
}

function blobCreated(ctx: RequestContext, digest: string): void {
  send(ctx, 201, { Location: urls.blob(ctx.name, digest), "Docker-Content-Digest": digest });
}

function contentRange(header: string | undefined): { start: number; end: number } | undefined {
  if (!header) return undefined;
  const m = /^(?:bytes[ =])?(\d+)-(\d+)(?:\/(?:\d+|\*))?$/.exec(header.trim());
  if (!m) throw new RegistryError("RANGE_INVALID", { contentRange: header });
  return { start: Number(m[1]), end: Number(m[2]) };
}
