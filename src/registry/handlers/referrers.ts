/** `GET /v2/<name>/referrers/<digest>?artifactType=`: an OCI index of the manifests whose subject is <digest>. */
import { MEDIA_TYPES, parseManifest } from "../manifest.ts";
import { hexOf } from "../storage/paths.ts";
import { type MethodHandler, type RequestContext, requireRepository, sendJson } from "./context.ts";

export function referrersDispatcher(ctx: RequestContext): MethodHandler {
  return {
    GET: async () => {
      requireRepository(ctx);
      hexOf(ctx.ref);
      const filter = ctx.url.searchParams.get("artifactType");
      const manifests = [];
      for (const m of ctx.deps.meta.referrers(ctx.scope, ctx.name, ctx.ref)) {
        const parsed = parseManifest(m.body, m.mediaType);
        const artifactType = parsed.artifactType ?? parsed.config?.mediaType;
        if (filter && artifactType !== filter) continue;
        manifests.push({
          mediaType: m.mediaType,
          digest: m.digest,
          size: m.size,
          ...(artifactType ? { artifactType } : {}),
          ...(parsed.annotations ? { annotations: parsed.annotations } : {}),
        });
      }
      const headers: Record<string, string> = { "Content-Type": MEDIA_TYPES.ociIndex };
      if (filter) headers["OCI-Filters-Applied"] = "artifactType";
      sendJson(ctx, 200, { schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests }, headers);
    },
  };
}
