/** What every registry handler gets, and the small response helpers they share. */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Clock } from "../../core/clock.ts";
import { RegistryError } from "../errcodes.ts";
import type { Scope } from "../../core/arn.ts";
import type { RegistryMeta } from "../meta.ts";
import type { BlobStore } from "../storage/blob-store.ts";
import type { UploadStore } from "../storage/upload-store.ts";

export type Method = "GET" | "HEAD" | "POST" | "PATCH" | "PUT" | "DELETE";
export type MethodHandler = Partial<Record<Method, () => Promise<void>>>;

export interface RegistryDeps {
  meta: RegistryMeta;
  blobs: BlobStore;
  uploads: UploadStore;
  clock: Clock;
  autoCreateRepositories: boolean;
  maxManifestBytes: number;
}

export interface RequestContext {
  deps: RegistryDeps;
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  scope: Scope;
  /** Repository name (validated) for repository routes; "" otherwise. */
  name: string;
  /** Tag, digest or upload uuid from the path. */
  ref: string;
}

/** The repository must exist (NAME_UNKNOWN); pushes may create it when autoCreateRepositories is on. */
export function requireRepository(ctx: RequestContext, opts: { push?: boolean } = {}): void {
  const { meta, autoCreateRepositories } = ctx.deps;
  if (meta.getRepository(ctx.scope, ctx.name)) return;
  if (opts.push && autoCreateRepositories) {
    meta.createRepository(ctx.scope, ctx.name);
    return;
  }
  throw new RegistryError("NAME_UNKNOWN", { name: ctx.name });
}

export function send(ctx: RequestContext, status: number, headers: Record<string, string | number> = {}, body?: Buffer | string): void {
  const h: Record<string, string | number> = { ...headers };
  if (body !== undefined && h["Content-Length"] === undefined) h["Content-Length"] = Buffer.byteLength(body);
  if (body === undefined && h["Content-Length"] === undefined) h["Content-Length"] = 0;
  ctx.res.writeHead(status, h);
  ctx.res.end(ctx.req.method === "HEAD" ? undefined : body);
}

export function sendJson(ctx: RequestContext, status: number, value: unknown, headers: Record<string, string | number> = {}): void {
  send(ctx, status, { "Content-Type": "application/json", ...headers }, JSON.stringify(value));
}

/** Reads a small body (manifests) with a size limit. */
export async function readSmallBody(ctx: RequestContext, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const chunk of ctx.req) {
    n += (chunk as Buffer).length;
    if (n > limit) throw new RegistryError("SIZE_INVALID", { limit }, `manifest larger than ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** The largest page a list answers (distribution's default catalog limit is 1000). */
export const MAX_PAGE = 10_000;

/**
 * `?n=&last=` pagination; n absent means everything. An n that is not a whole number from 0 to
 * MAX_PAGE is PAGINATION_NUMBER_INVALID (400), as distribution answers it.
 */
export function pageParams(url: URL): { n?: number; last?: string } {
  const out: { n?: number; last?: string } = {};
  const n = url.searchParams.get("n");
  if (n !== null && n !== "") {
    if (!/^\d{1,6}$/.test(n) || Number(n) > MAX_PAGE) throw new RegistryError("PAGINATION_NUMBER_INVALID", { n, max: MAX_PAGE });
    out.n = Number(n);
  }
  const last = url.searchParams.get("last");
  if (last) out.last = last;
  return out;
}

/** RFC 5988 Link header for the next page. */
export function nextLink(path: string, n: number, last: string): string {
  return `<${path}?n=${n}&last=${encodeURIComponent(last)}>; rel="next"`;
}
