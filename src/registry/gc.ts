/**
 * Garbage collection: deletes blob files no manifest in any repository references (config or
 * layer) — including every blob of a deleted repository — and upload sessions that are stale or
 * belong to a deleted repository. Never a referenced blob, never a blob whose commit is in flight
 * (BlobStore pins it), and not a blob linked within `graceMs` (a push that has uploaded its layers
 * but not yet its manifest). The blob phase is synchronous, so no request interleaves with it.
 */
import { readdirSync, rmSync } from "node:fs";
import type { Clock } from "../core/clock.ts";
import type { RegistryMeta } from "./meta.ts";
import type { BlobStore } from "./storage/blob-store.ts";
import type { RegistryPaths } from "./storage/paths.ts";
import type { UploadStore } from "./storage/upload-store.ts";

export interface GcOptions {
  /** Keep unreferenced blobs linked to a repository more recently than this. Default 1 h. */
  graceMs?: number;
  /** Upload sessions older than this are abandoned. Default 24 h. */
  uploadTtlMs?: number;
}

export interface GcResult {
  deletedBlobs: string[];
  deletedUploads: string[];
}

export interface GcDeps {
  meta: RegistryMeta;
  blobs: BlobStore;
  uploads: UploadStore;
  paths: RegistryPaths;
  clock: Clock;
}

export async function collectGarbage(deps: GcDeps, opts: GcOptions = {}): Promise<GcResult> {
  const { meta, blobs, uploads, paths, clock } = deps;
  const now = clock.now();
  const graceMs = opts.graceMs ?? 3600_000;
  const uploadTtlMs = opts.uploadTtlMs ?? 24 * 3600_000;

  // Upload sessions: stale or orphaned by a deleted repository.
  const deletedUploads: string[] = [];
  const live = new Set<string>();
  for (const u of meta.listUploads()) {
    const orphan = !meta.getRepository(u, u.repo);
    if ((orphan || u.startedAt < now - uploadTtlMs) && !uploads.isActive(u.uuid)) {
      await uploads.discard(u.uuid);
      deletedUploads.push(u.uuid);
    } else {
      live.add(u.uuid);
    }
  }
  // Upload files without a session row (a crash between cancel/commit steps).
  let files: string[] = [];
  try {
    files = readdirSync(paths.uploadsDir);
  } catch {
    // no uploads yet
  }
  for (const f of files) {
    if (!live.has(f) && !meta.getUpload(f) && !uploads.isActive(f)) {
      rmSync(paths.upload(f), { force: true });
      deletedUploads.push(f);
    }
  }

  // Blobs: one synchronous pass (metadata and unlink), so no commit or push interleaves.
  const deletedBlobs: string[] = meta.tx(() => {
    const out: string[] = [];
    const referenced = meta.referencedBlobs();
    const known = new Set<string>();
    for (const b of meta.blobsWithLastLink()) {
      known.add(b.digest);
      if (referenced.has(b.digest) || blobs.isPinned(b.digest)) continue;
      const recent = Math.max(b.lastLinkedAt ?? 0, b.createdAt);
      if (b.lastLinkedAt !== null && recent > now - graceMs) continue;
      meta.forgetBlob(b.digest);
      blobs.deleteSync(b.digest);
      out.push(b.digest);
    }
    // Files that never got metadata (crash between rename and the metadata insert).
    for (const digest of blobs.listSync()) {
      if (known.has(digest) || referenced.has(digest) || blobs.isPinned(digest)) continue;
      blobs.deleteSync(digest);
      out.push(digest);
    }
    return out;
  });
  return { deletedBlobs, deletedUploads };
}
