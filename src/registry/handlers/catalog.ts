/** `GET /v2/_catalog?n=&last=`: the repositories of the caller's account and region. */
import { urls } from "../routes.ts";
import { type MethodHandler, nextLink, pageParams, type RequestContext, sendJson } from "./context.ts";

export function catalogDispatcher(ctx: RequestContext): MethodHandler {
  return {
    GET: async () => {
      const page = pageParams(ctx.url);
      const rows = ctx.deps.meta.listRepositories(ctx.scope, { ...page, ...(page.n !== undefined ? { n: page.n + 1 } : {}) });
      const names = rows.map((r) => r.name);
      const headers: Record<string, string> = {};
      if (page.n !== undefined && names.length > page.n) {
        names.length = page.n;
        if (page.n > 0) headers["Link"] = nextLink(urls.catalog(), page.n, names[names.length - 1]!);
      }
      sendJson(ctx, 200, { repositories: names }, headers);
    },
  };
}
