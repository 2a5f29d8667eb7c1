/**
 * The whole on-disk layout of the registry, under `<dataDir>/registry/`:
 *
 *   registry/
 *   ├── token-key                          32 random bytes (mode 0600), the HMAC key of registry
 *   │                                      passwords (auth.ts); created on first start
 *   ├── blobs/sha256/<ab>/<hex>            content-addressable blob files: the file named by a
 *   │                                      digest holds exactly the bytes whose sha256 is <hex>
 *   │                                      (<ab> = its first two hex digits). Written only by
 *   │                                      rename(2) of a complete, fsynced upload file, so a blob
 *   │                                      file is either absent or whole. Shared by every account,
 *   │                                      region and repository; which repository may see a blob
 *   │                                      is metadata (SQLite, registry_repo_blobs).
 *   └── uploads/<uuid>                     the data of one upload session (append-only while the
 *                                          session lives; its metadata row is registry_uploads).
 *                                          Committed by rename into blobs/, removed on cancel,
 *                                          digest mismatch or by garbage collection when stale.
 *
 * Manifests are not files: their exact bytes live in SQLite (registry_manifests.body) together
 * with tags, references and repository links, so one transaction makes a push visible.
 * Order of a blob commit (never reversed): fsync upload file → rename into blobs/ → fsync the
 * directory → insert metadata rows. A crash at any point leaves either an invisible file (swept by
 * GC or overwritten by the next identical upload) or a complete blob.
 */
import { join } from "node:path";
import { RegistryError } from "../errcodes.ts";

export const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

export class RegistryPaths {
  readonly root: string;
  constructor(dataDir: string) {
    this.root = join(dataDir, "registry");
  }
  get tokenKey(): string {
    return join(this.root, "token-key");
  }
  get blobsDir(): string {
    return join(this.root, "blobs", "sha256");
  }
  get uploadsDir(): string {
    return join(this.root, "uploads");
  }
  blob(digest: string): string {
    const hex = hexOf(digest);
    return join(this.blobsDir, hex.slice(0, 2), hex);
  }
  upload(uuid: string): string {
    if (!/^[a-zA-Z0-9-]+$/.test(uuid)) throw new RegistryError("BLOB_UPLOAD_UNKNOWN", { uuid });
    return join(this.uploadsDir, uuid);
  }
}

/** The hex part of a `sha256:<hex>` digest; DIGEST_INVALID for anything else. */
export function hexOf(digest: string): string {
  if (!DIGEST_RE.test(digest)) throw new RegistryError("DIGEST_INVALID", { digest }, "invalid digest (only sha256 is supported)");
  return digest.slice(7);
}
