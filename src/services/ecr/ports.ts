/**
 * What ECR needs from Slipway's OCI registry (src/registry): a narrow port, so the ECR domain knows
 * nothing of the registry's modules. ECR repositories and images are the registry's own records;
 * ECR keeps its settings in a repository's free-form `doc`. The registry implements this port
 * (src/registry/ecr-port.ts); src/server/slipway.ts hands it to ECR.
 *
 * Failures come back as the registry's own errors; `rejection(err)` says which distribution error
 * code one carries, so ECR can answer with its own exception.
 */
import type { Scope } from "../../core/arn.ts";

export interface StoredRepository extends Scope {
  readonly name: string;
  /** Milliseconds since the epoch. */
  readonly createdAt: number;
  /** Free-form JSON owned by ECR (see RepoDoc in repo.ts). */
  readonly doc: Record<string, unknown>;
}

/** A manifest with its tags (the registry's image record). */
export interface StoredImage {
  readonly digest: string;
  readonly mediaType: string;
  /** Milliseconds since the epoch. */
  readonly pushedAt: number;
  readonly subjectDigest: string | null;
  /** Sum of layer sizes (image) or of the children's image sizes (index). */
  readonly imageSize: number;
  readonly tags: string[];
}

export interface StoredManifest {
  readonly digest: string;
  readonly mediaType: string;
  /** The manifest bytes exactly as pushed. */
  readonly body: Buffer;
}

/** A repository's tag mutability (ECR's settings, which the registry enforces on every push). */
export interface TagMutability {
  readonly imageTagMutability?: string | undefined;
  readonly imageTagMutabilityExclusionFilters?: readonly { readonly filter?: string | undefined }[] | undefined;
}

/** A distribution error code the registry failed with (OCI distribution spec, "Error Codes"). */
export interface RegistryRejection {
  readonly code: string;
  readonly message: string;
  /** MANIFEST_BLOB_UNKNOWN: the digests the manifest references that the repository lacks. */
  readonly missing?: readonly string[];
}

export interface RegistryPort {
  // ---- repositories ----
  /** Creates the repository; `created` is false (and nothing changes) when it already exists. */
  createRepository(scope: Scope, name: string, doc: Record<string, unknown>): { repository: StoredRepository; created: boolean };
  getRepository(scope: Scope, name: string): StoredRepository | undefined;
  /** The scope's repositories, sorted by name. */
  listRepositories(scope: Scope): StoredRepository[];
  /** Every repository of every account and region. */
  allRepositories(): StoredRepository[];
  updateRepositoryDoc(scope: Scope, name: string, doc: Record<string, unknown>): void;
  /** Deletes the repository with its images; without `force`, one that holds images is kept. */
  deleteRepository(scope: Scope, name: string, force: boolean): "deleted" | "not-found" | "not-empty";

  // ---- images ----
  /** Every image of the repository with its tags, oldest push first. */
  listImages(scope: Scope, repo: string): StoredImage[];
  getManifest(scope: Scope, repo: string, digest: string): StoredManifest | undefined;
  resolveTag(scope: Scope, repo: string, tag: string): string | undefined;
  /** The manifest a tag or digest names, if any. */
  resolveManifest(scope: Scope, repo: string, reference: string): StoredManifest | undefined;
  /** Validates and stores a manifest under a tag or its digest (the registry's push rules); throws a rejection. */
  pushManifest(scope: Scope, repo: string, m: { body: Buffer; contentType: string | undefined; reference: string }): { digest: string; mediaType: string };
  /** By digest: the image and every tag on it; by tag: only the tag. False when nothing was there. */
  deleteManifest(scope: Scope, repo: string, reference: string): boolean;

  // ---- layers (blob uploads) ----
  /** The blob's size when it is linked into the repository. */
  linkedBlob(scope: Scope, repo: string, digest: string): { size: number } | undefined;
  startUpload(scope: Scope, repo: string): Promise<{ uploadId: string }>;
  /** Appends a part that must start where the upload ends; returns the bytes received so far. */
  appendUpload(scope: Scope, repo: string, uploadId: string, part: Uint8Array, range: { start: number; end: number }): Promise<{ size: number }>;
  /** Verifies `digest` and makes the blob visible in the repository. */
  completeUpload(scope: Scope, repo: string, uploadId: string, digest: string): Promise<{ digest: string }>;

  // ---- credentials ----
  /** A registry password for the scope, as ECR's authorizationToken (base64 of `AWS:<password>`), and when it expires. */
  issueAuthorizationToken(scope: Scope, now: number, accessKeyId?: string, notAfter?: number): { authorizationToken: string; expiresAt: number };

  // ---- the registry's rules ----
  /** The repository name grammar of the OCI distribution spec. */
  isRepositoryName(name: string): boolean;
  isTag(tag: string): boolean;
  /** A `sha256:<hex>` digest. */
  isDigest(digest: string): boolean;
  digestOf(body: Buffer): string;
  /** Whether an existing tag may be moved to another image under these settings. */
  tagIsMutable(settings: TagMutability, tag: string): boolean;
  /** The registry failure `err` is, if it is one. */
  rejection(err: unknown): RegistryRejection | undefined;
}

/**
 * What ECR needs from KMS for repositories with encryptionType KMS or KMS_DSSE
 * (https://docs.aws.amazon.com/AmazonECR/latest/userguide/encryption-at-rest.html): the key the
 * repository names must exist, and a repository that names none uses the AWS managed key aws/ecr,
 * created on first use. src/server/ports.ts implements it over KMS.
 */
export interface RepositoryKeys {
  /** The ARN of the named key (any form), or of aws/ecr when `keyId` is undefined; throws KeyUnavailable. */
  keyArn(scope: Scope, keyId: string | undefined): string;
}
