/**
 * Image (manifest) operations shared by the registry handlers and, through the ECR port
 * (ecr-port.ts), the ECR API (PutImage, BatchGetImage, BatchDeleteImage): validation, digest
 * checks, tag rules and references. Pure domain: no HTTP. Throws RegistryError.
 */
import { createHash } from "node:crypto";
import type { Scope } from "../core/arn.ts";
import { RegistryError } from "./errcodes.ts";
import { manifestRefs, type ParsedManifest, parseManifest, TAG_RE } from "./manifest.ts";
import type { ManifestRecord, RegistryMeta } from "./meta.ts";
import { DIGEST_RE } from "./storage/paths.ts";
import { type MutabilitySettings, tagIsMutable } from "./tag-mutability.ts";

export interface PushManifestInput {
  /** The manifest bytes exactly as pushed. */
  body: Buffer;
  /** Content-Type of the request (ECR: imageManifestMediaType); the body's mediaType wins. */
  contentType?: string | undefined;
  /** A tag or a digest (the manifest's own). */
  reference: string;
}

export interface PushManifestResult {
  digest: string;
  mediaType: string;
  parsed: ParsedManifest;
}

export function digestOf(body: Buffer): string {
  return `sha256:${createHash("sha256").update(body).digest("hex")}`;
}

/**
 * Validates and stores a manifest: the digest must match when pushed by digest, the tag must be
 * valid (and, in a repository whose doc says `imageTagMutability: "IMMUTABLE"`, not point
 * elsewhere already), and every config/layer blob or child manifest must be in the repository.
 */
export function pushManifest(meta: RegistryMeta, scope: Scope, repo: string, input: PushManifestInput): PushManifestResult {
  const { body, reference } = input;
  const byDigest = reference.includes(":");
  if (byDigest && !DIGEST_RE.test(reference)) throw new RegistryError("DIGEST_INVALID", { reference });
  if (!byDigest && !TAG_RE.test(reference)) throw new RegistryError("TAG_INVALID", { tag: reference });
  const digest = digestOf(body);
  if (byDigest && digest !== reference) throw new RegistryError("DIGEST_INVALID", { expected: reference, actual: digest });
  const parsed = parseManifest(body, input.contentType);
  const refs = manifestRefs(parsed);

  return meta.tx(() => {
    const repository = meta.getRepository(scope, repo);
    if (!repository) throw new RegistryError("NAME_UNKNOWN", { name: repo });
    if (!byDigest && !tagIsMutable(repository.doc as MutabilitySettings, reference)) {
      const current = meta.resolveTag(scope, repo, reference);
      if (current && current !== digest) {
        throw new RegistryError("TAG_INVALID", { tag: reference }, `The image tag '${reference}' already exists in the '${repo}' repository and cannot be overwritten because the repository is immutable.`);
      }
    }
    let imageSize = 0;
    const missing: string[] = [];
    for (const ref of refs) {
      if (ref.kind === "manifest") {
        const child = meta.getManifest(scope, repo, ref.digest);
        if (!child) missing.push(ref.digest);
        else imageSize += child.imageSize;
      } else if (!meta.linkedBlob(scope, repo, ref.digest)) {
        missing.push(ref.digest);
      }
    }
    if (missing.length > 0) throw new RegistryError("MANIFEST_BLOB_UNKNOWN", { missing });
    if (parsed.kind === "image") imageSize = parsed.layers.reduce((sum, l) => sum + l.size, 0);
    meta.putManifest(
      scope,
      repo,
      {
        digest,
        mediaType: parsed.mediaType,
        size: body.length,
        body,
        configDigest: parsed.config?.digest ?? null,
        subjectDigest: parsed.subject?.digest ?? null,
        artifactType: parsed.artifactType,
        imageSize,
        refs,
      },
      byDigest ? undefined : reference,
    );
    return { digest, mediaType: parsed.mediaType, parsed };
  });
}

/** The manifest a tag or digest names in the repository, if any. */
export function resolveManifest(meta: RegistryMeta, scope: Scope, repo: string, reference: string): ManifestRecord | undefined {
  const digest = DIGEST_RE.test(reference) ? reference : TAG_RE.test(reference) ? meta.resolveTag(scope, repo, reference) : undefined;
  return digest ? meta.getManifest(scope, repo, digest) : undefined;
}

/** By digest: the manifest and every tag on it. By tag: only the tag. False when nothing was there. */
export function removeManifest(meta: RegistryMeta, scope: Scope, repo: string, reference: string): boolean {
  if (DIGEST_RE.test(reference)) return meta.deleteManifest(scope, repo, reference);
  return TAG_RE.test(reference) && meta.deleteTag(scope, repo, reference);
}

/** removeManifest, with MANIFEST_UNKNOWN when nothing was there. */
export function deleteManifest(meta: RegistryMeta, scope: Scope, repo: string, reference: string): void {
  if (!removeManifest(meta, scope, repo, reference)) {
    throw new RegistryError("MANIFEST_UNKNOWN", DIGEST_RE.test(reference) ? { digest: reference } : { reference });
  }
}
