/** `GET /v2/`: the API version check (authentication is decided before dispatch). */
import { type MethodHandler, type RequestContext, sendJson } from "./context.ts";

export function baseDispatcher(ctx: RequestContext): MethodHandler {
  const get = async () => sendJson(ctx, 200, {});
  return { GET: get, HEAD: get };
}
