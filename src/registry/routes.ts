/**
 * The named routes of the distribution API (distribution's api/v2/routes.go). Repository names
 * may contain slashes, so the more specific patterns are tried first.
 */
export const RouteName = {
  Base: "base",
  Catalog: "catalog",
  Tags: "tags",
  Manifest: "manifest",
  BlobUploadChunk: "blob-upload-chunk",
  BlobUpload: "blob-upload",
  Blob: "blob",
  Referrers: "referrers",
} as const;
export type RouteName = (typeof RouteName)[keyof typeof RouteName];

export interface RouteMatch {
  route: RouteName;
  /** Repository name (absent for base and catalog). */
  name?: string;
  /** Tag or digest (manifest), digest (blob, referrers) or upload uuid. */
  ref?: string;
}

const ROUTES: readonly [RouteName, RegExp][] = [
  [RouteName.Base, /^\/v2\/?$/],
  [RouteName.Catalog, /^\/v2\/_catalog$/],
  [RouteName.Tags, /^\/v2\/(.+)\/tags\/list$/],
  [RouteName.Manifest, /^\/v2\/(.+)\/manifests\/([^/]+)$/],
  [RouteName.BlobUploadChunk, /^\/v2\/(.+)\/blobs\/uploads\/([^/]+)$/],
  [RouteName.BlobUpload, /^\/v2\/(.+)\/blobs\/uploads\/?$/],
  [RouteName.Blob, /^\/v2\/(.+)\/blobs\/([^/]+)$/],
  [RouteName.Referrers, /^\/v2\/(.+)\/referrers\/([^/]+)$/],
];

export function matchRoute(pathname: string): RouteMatch | undefined {
  for (const [route, re] of ROUTES) {
    const m = re.exec(pathname);
    if (!m) continue;
    const out: RouteMatch = { route };
    if (m[1] !== undefined) out.name = m[1];
    if (m[2] !== undefined) out.ref = m[2];
    return out;
  }
  return undefined;
}

/** True for the paths the registry serves (`/v2` and `/v2/...`); the rest is the AWS gateway's. */
export function isRegistryPath(url: string | undefined): boolean {
  const path = (url ?? "").split("?")[0]!;
  return path === "/v2" || path.startsWith("/v2/");
}

/** OCI distribution-spec repository name grammar. */
export const NAME_RE = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;

export const urls = {
  blob: (name: string, digest: string) => `/v2/${name}/blobs/${digest}`,
  upload: (name: string, uuid: string) => `/v2/${name}/blobs/uploads/${uuid}`,
  manifest: (name: string, ref: string) => `/v2/${name}/manifests/${ref}`,
  tags: (name: string) => `/v2/${name}/tags/list`,
  catalog: () => `/v2/_catalog`,
};
