/** `GET /v2/<name>/tags/list?n=&last=`. */
import { urls } from "../routes.ts";
import { type MethodHandler, nextLink, pageParams, type RequestContext, requireRepository, sendJson } from "./context.ts";

export function tagsDispatcher(ctx: RequestContext): MethodHandler {
  return {
    GET: async () => {
      requireRepository(ctx);
      const page = pageParams(ctx.url);
      const tags = ctx.deps.meta.listTags(ctx.scope, ctx.name, { ...page, ...(page.n !== undefined ? { n: page.n + 1 } : {}) });
      const headers: Record<string, string> = {};
      if (page.n !== undefined && tags.length > page.n) {
        tags.length = page.n;
        if (page.n > 0) headers["Link"] = nextLink(urls.tags(ctx.name), page.n, tags[tags.length - 1]!);
      }
      sendJson(ctx, 200, { name: ctx.name, tags }, headers);
    },
  };
}
