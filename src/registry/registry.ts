/**
 * The OCI distribution registry (distribution's handlers/app.go): named routes → dispatchers →
 * method handlers, with authentication before dispatch and one error writer. Served by the
 * composition root for every request under `/v2`.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Clock } from "../core/clock.ts";
import type { IdGen } from "../core/ids.ts";
import type { Scope } from "../core/arn.ts";
import type { Store } from "../store/store.ts";
import { RegistryAuth } from "./auth.ts";
import { RegistryError } from "./errcodes.ts";
import { collectGarbage, type GcOptions, type GcResult, purgeUploads } from "./gc.ts";
import { baseDispatcher } from "./handlers/base.ts";
import { blobDispatcher } from "./handlers/blobs.ts";
import { catalogDispatcher } from "./handlers/catalog.ts";
import type { Method, MethodHandler, RegistryDeps, RequestContext } from "./handlers/context.ts";
import { manifestDispatcher } from "./handlers/manifests.ts";
import { referrersDispatcher } from "./handlers/referrers.ts";
import { tagsDispatcher } from "./handlers/tags.ts";
import { blobUploadChunkDispatcher, blobUploadDispatcher } from "./handlers/uploads.ts";
import { RegistryMeta } from "./meta.ts";
import { matchRoute, NAME_RE, type RouteName } from "./routes.ts";
import { BlobStore } from "./storage/blob-store.ts";
import { RegistryPaths } from "./storage/paths.ts";
import { UploadStore } from "./storage/upload-store.ts";

export interface RegistryOptions {
  store: Store;
  dataDir: string;
  clock: Clock;
  ids: IdGen;
  defaultAccountId: string;
  defaultRegion: string;
  /** Require a valid `AWS` token (401 + Basic challenge otherwise). Default false. */
  strict?: boolean;
  /** Pushes create missing repositories (tests, until the ECR API exists). Default false. */
  autoCreateRepositories?: boolean;
  /** Default 4 MiB. */
  maxManifestBytes?: number;
  /**
   * An upload or manifest body that sends nothing for this long is given up and its connection
   * closed (the chunk is rolled back). A long transfer that keeps moving is never cut. Default 60 s.
   */
  bodyIdleMs?: number;
  /**
   * IAM enforcement: whether the token's key may perform `action` (ecr:BatchGetImage,
   * ecr:InitiateLayerUpload…) on the repository; the denial's text, or undefined when allowed.
   */
  authorize?: (req: { scope: Scope; accessKeyId: string | undefined; action: string; repository: string }) => string | undefined;
  log?: (msg: string) => void;
}

export interface Registry {
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  readonly meta: RegistryMeta;
  readonly auth: RegistryAuth;
  readonly blobs: BlobStore;
  readonly uploads: UploadStore;
  readonly paths: RegistryPaths;
  collectGarbage(opts?: GcOptions): Promise<GcResult>;
  /** Removes abandoned upload sessions only (see gc.ts for the rule); the uuids removed. */
  purgeUploads(opts?: Pick<GcOptions, "uploadIdleMs">): Promise<string[]>;
}

type Dispatcher = (ctx: RequestContext) => MethodHandler;

const DISPATCHERS: Record<RouteName, Dispatcher> = {
  base: baseDispatcher,
  catalog: catalogDispatcher,
  tags: tagsDispatcher,
  manifest: manifestDispatcher,
  "blob-upload-chunk": blobUploadChunkDispatcher,
  "blob-upload": blobUploadDispatcher,
  blob: blobDispatcher,
  referrers: referrersDispatcher,
};

const API_VERSION = { "Docker-Distribution-API-Version": "registry/2.0" };

export function createRegistry(opts: RegistryOptions): Registry {
  const log = opts.log ?? ((m: string) => console.error(m));
  const paths = new RegistryPaths(opts.dataDir);
  const meta = new RegistryMeta(opts.store, opts.clock);
  const blobs = new BlobStore(paths);
  const uploads = new UploadStore({ paths, blobs, meta, ids: opts.ids });
  const auth = new RegistryAuth({
    keyFile: paths.tokenKey,
    ids: opts.ids,
    strict: opts.strict ?? false,
    defaultScope: { accountId: opts.defaultAccountId, region: opts.defaultRegion },
  });
  const deps: RegistryDeps = {
    meta,
    blobs,
    uploads,
    clock: opts.clock,
    autoCreateRepositories: opts.autoCreateRepositories ?? false,
    maxManifestBytes: opts.maxManifestBytes ?? 4 * 1024 * 1024,
  };

  const bodyIdleMs = opts.bodyIdleMs ?? 60_000;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    for (const [k, v] of Object.entries(API_VERSION)) res.setHeader(k, v);
    if (bodyIdleMs > 0 && (req.method === "PATCH" || req.method === "PUT" || req.method === "POST")) watchStall(req, bodyIdleMs);
    try {
      const url = new URL(req.url ?? "/", "http://registry.invalid");
      const match = matchRoute(url.pathname);
      if (!match) throw new RegistryError("NAME_INVALID", { path: url.pathname }, "no such registry route");
      const scope = auth.authenticate(req.headers.authorization, opts.clock.now());
      const name = match.name ?? "";
      if (match.name !== undefined && (name.length > 256 || !NAME_RE.test(name))) throw new RegistryError("NAME_INVALID", { name });
      const action = ecrAction(match.route, req.method ?? "GET");
      if (opts.authorize && action) {
        const denied = opts.authorize({ scope, accessKeyId: auth.accessKeyOf(req.headers.authorization, opts.clock.now()), action, repository: name });
        if (denied) throw new RegistryError("DENIED", undefined, denied);
      }
      const ctx: RequestContext = { deps, req, res, url, scope, name, ref: match.ref ?? "" };
      const handler = DISPATCHERS[match.route](ctx)[(req.method ?? "GET") as Method];
      if (!handler) throw new RegistryError("UNSUPPORTED", { method: req.method, route: match.route });
      await handler();
    } catch (err) {
      writeError(req, res, err, auth.challenge, log);
    }
  }

  return {
    handle,
    meta,
    auth,
    blobs,
    uploads,
    paths,
    collectGarbage: (gc) => collectGarbage({ meta, blobs, uploads, paths, clock: opts.clock }, gc),
    purgeUploads: (gc) => purgeUploads({ meta, blobs, uploads, paths, clock: opts.clock }, gc),
  };
}

/**
 * Gives up a request body that stops arriving (the socket's inactivity timer: a slow but moving
 * upload is fine); the upload store rolls the partial chunk back when its stream fails.
 */
function watchStall(req: IncomingMessage, idleMs: number): void {
  const onStall = () => req.destroy(new Error(`no data for ${idleMs} ms`));
  req.setTimeout(idleMs, onStall);
  const done = () => {
    req.off("timeout", onStall);
    req.socket?.setTimeout(0);
  };
  req.once("end", done);
  req.once("close", done);
}

/**
 * The ECR action each registry request is authorised as
 * (https://docs.aws.amazon.com/AmazonECR/latest/userguide/image-push-iam.html and image-pull-iam).
 */
function ecrAction(route: RouteName, method: string): string | undefined {
  const m = method.toUpperCase();
  switch (route) {
    case "manifest":
      return m === "PUT" ? "ecr:PutImage" : m === "DELETE" ? "ecr:BatchDeleteImage" : "ecr:BatchGetImage";
    case "blob":
      return m === "HEAD" ? "ecr:BatchCheckLayerAvailability" : m === "DELETE" ? "ecr:BatchDeleteImage" : "ecr:GetDownloadUrlForLayer";
    case "blob-upload":
      return "ecr:InitiateLayerUpload";
    case "blob-upload-chunk":
      return m === "PUT" ? "ecr:CompleteLayerUpload" : "ecr:UploadLayerPart";
    case "tags":
      return "ecr:ListImages";
    case "referrers":
      return "ecr:BatchGetImage";
    case "catalog":
    case "base":
      return undefined;
  }
}

function writeError(req: IncomingMessage, res: ServerResponse, err: unknown, challenge: string, log: (m: string) => void): void {
  // A client that went away (or whose body stalled) is no failure of the registry's: nothing to log or answer.
  if (res.destroyed || (req.destroyed && !req.complete)) {
    res.destroy();
    return;
  }
  const e = err instanceof RegistryError ? err : new RegistryError("UNKNOWN", undefined, (err as Error)?.message ?? String(err));
  if (!(err instanceof RegistryError)) log(`registry: ${req.method} ${req.url}: ${(err as Error)?.stack ?? String(err)}`);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify(e.toJSON());
  const headers: Record<string, string | number> = { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) };
  if (e.code === "UNAUTHORIZED") headers["WWW-Authenticate"] = challenge;
  if (e.status === 405) headers["Allow"] = "GET, HEAD, POST, PATCH, PUT, DELETE";
  res.writeHead(e.status, headers);
  res.end(req.method === "HEAD" ? undefined : body);
  // Whatever of the request body nobody read is drained so the connection can be reused.
  req.resume();
}
