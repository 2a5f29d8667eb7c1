/**
 * Manifest parsing and validation (image manifests and indexes, Docker and OCI flavours). The
 * bytes are never re-serialized: the digest is the sha256 of exactly what was pushed.
 */
import { jsonDeeperThan } from "../core/json-depth.ts";
import { RegistryError } from "./errcodes.ts";
import type { ManifestRef } from "./meta.ts";
import { DIGEST_RE } from "./storage/paths.ts";

export const MEDIA_TYPES = {
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerList: "application/vnd.docker.distribution.manifest.list.v2+json",
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociConfig: "application/vnd.oci.image.config.v1+json",
  dockerConfig: "application/vnd.docker.container.image.v1+json",
} as const;

const IMAGE_TYPES = new Set<string>([MEDIA_TYPES.dockerManifest, MEDIA_TYPES.ociManifest]);
const INDEX_TYPES = new Set<string>([MEDIA_TYPES.dockerList, MEDIA_TYPES.ociIndex]);
const FOREIGN_LAYER = /foreign|nondistributable/;

export interface Descriptor {
  mediaType?: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
  urls?: string[];
}

export interface ParsedManifest {
  mediaType: string;
  kind: "image" | "index";
  config: Descriptor | null;
  layers: Descriptor[];
  manifests: Descriptor[];
  subject: Descriptor | null;
  /** Explicit artifactType, else a non-image config media type (what the referrers API reports). */
  artifactType: string | null;
  annotations: Record<string, string> | undefined;
}

export const TAG_RE = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;

/** Deeper than any manifest nests (an index of descriptors with annotations is four levels). */
const MAX_DEPTH = 32;

export function parseManifest(body: Buffer, contentType: string | undefined): ParsedManifest {
  let doc: unknown;
  const text = body.toString("utf8");
  if (jsonDeeperThan(text, MAX_DEPTH)) throw new RegistryError("MANIFEST_INVALID", { reason: `nested deeper than ${MAX_DEPTH} levels` });
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new RegistryError("MANIFEST_INVALID", { reason: `malformed JSON: ${(err as Error).message}` });
  }
  if (!isObject(doc)) throw new RegistryError("MANIFEST_INVALID", { reason: "manifest is not a JSON object" });
  if (doc.schemaVersion !== 2) throw new RegistryError("MANIFEST_INVALID", { reason: "schemaVersion must be 2 (schema 1 is not supported)" });
  const ct = contentType?.split(";")[0]?.trim().toLowerCase();
  if (doc.mediaType !== undefined && typeof doc.mediaType !== "string") throw new RegistryError("MANIFEST_INVALID", { reason: "mediaType is not a string" });
  if (doc.annotations !== undefined && !(isObject(doc.annotations) && Object.values(doc.annotations).every((a) => typeof a === "string"))) {
    throw new RegistryError("MANIFEST_INVALID", { reason: "annotations is not a map of strings" });
  }
  const declared = typeof doc.mediaType === "string" ? doc.mediaType : undefined;
  if (declared && ct && ct !== declared && (IMAGE_TYPES.has(ct) || INDEX_TYPES.has(ct))) {
    throw new RegistryError("MANIFEST_INVALID", { reason: `mediaType ${declared} does not match Content-Type ${ct}` });
  }
  const isIndex = Array.isArray(doc.manifests);
  const mediaType = declared ?? (ct && (IMAGE_TYPES.has(ct) || INDEX_TYPES.has(ct)) ? ct : isIndex ? MEDIA_TYPES.ociIndex : MEDIA_TYPES.ociManifest);
  if (!IMAGE_TYPES.has(mediaType) && !INDEX_TYPES.has(mediaType)) {
    throw new RegistryError("MANIFEST_INVALID", { reason: `unsupported manifest media type ${mediaType}` });
  }
  const subject = doc.subject === undefined ? null : descriptor(doc.subject, "subject");
  const artifactTypeField = typeof doc.artifactType === "string" ? doc.artifactType : null;
  const annotations = isObject(doc.annotations) ? (doc.annotations as Record<string, string>) : undefined;
  if (INDEX_TYPES.has(mediaType)) {
    if (!isIndex) throw new RegistryError("MANIFEST_INVALID", { reason: "an index needs a manifests array" });
    const manifests = (doc.manifests as unknown[]).map((d, i) => descriptor(d, `manifests[${i}]`));
    return { mediaType, kind: "index", config: null, layers: [], manifests, subject, artifactType: artifactTypeField, annotations };
  }
  if (!Array.isArray(doc.layers)) throw new RegistryError("MANIFEST_INVALID", { reason: "an image manifest needs a layers array" });
  const config = descriptor(doc.config, "config");
  const layers = (doc.layers as unknown[]).map((d, i) => descriptor(d, `layers[${i}]`));
  const configType = config.mediaType;
  const artifactType =
    artifactTypeField ?? (configType && configType !== MEDIA_TYPES.ociConfig && configType !== MEDIA_TYPES.dockerConfig ? configType : null);
  return { mediaType, kind: "image", config, layers, manifests: [], subject, artifactType, annotations };
}

/** The blobs and child manifests a manifest needs in its repository. */
export function manifestRefs(m: ParsedManifest): ManifestRef[] {
  const refs: ManifestRef[] = [];
  if (m.config) refs.push({ kind: "config", digest: m.config.digest });
  for (const l of m.layers) if (!isForeign(l)) refs.push({ kind: "layer", digest: l.digest });
  for (const c of m.manifests) refs.push({ kind: "manifest", digest: c.digest });
  return refs;
}

export function isForeign(d: Descriptor): boolean {
  return FOREIGN_LAYER.test(d.mediaType ?? "") && Array.isArray(d.urls) && d.urls.length > 0;
}

function descriptor(v: unknown, where: string): Descriptor {
  if (!isObject(v)) throw new RegistryError("MANIFEST_INVALID", { reason: `${where} is not a descriptor` });
  if (typeof v.digest !== "string" || !DIGEST_RE.test(v.digest)) {
    throw new RegistryError("MANIFEST_INVALID", { reason: `${where}.digest is missing or not a sha256 digest` });
  }
  if (typeof v.size !== "number" || !Number.isSafeInteger(v.size) || v.size < 0) {
    throw new RegistryError("MANIFEST_INVALID", { reason: `${where}.size is missing or invalid` });
  }
  // The other descriptor fields, when present, have the spec's types (they are read and compared later).
  if (v.mediaType !== undefined && typeof v.mediaType !== "string") throw new RegistryError("MANIFEST_INVALID", { reason: `${where}.mediaType is not a string` });
  if (v.artifactType !== undefined && typeof v.artifactType !== "string") throw new RegistryError("MANIFEST_INVALID", { reason: `${where}.artifactType is not a string` });
  if (v.urls !== undefined && !(Array.isArray(v.urls) && v.urls.every((u) => typeof u === "string"))) {
    throw new RegistryError("MANIFEST_INVALID", { reason: `${where}.urls is not a list of strings` });
  }
  return v as unknown as Descriptor;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
