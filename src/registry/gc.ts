/**
 * Garbage collection: deletes blob files no manifest in any repository references (config or
 * layer) — including every blob of a deleted repository — and abandoned upload sessions. Never a
 * referenced blob, never a blob whose commit is in flight (BlobStore pins it), and not a blob
 * linked within `graceMs` (a push that has uploaded its layers but not yet its manifest). The
 * blob phase is synchronous, so no request interleaves with it.
 *
 * The upload rule: a session is abandoned when it has received no data for UPLOAD_IDLE_MS (30
 * minutes), or when its repository was deleted; a session with a chunk in flight is never touched,
 * however long the chunk takes. `purgeUploads` applies it on its own, every few minutes
 * (src/server/background.ts), so a client that gives up a push leaves its partial data on disk
 * for at most about 35 minutes.
 */
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Clock } from "../core/clock.ts";
import type { RegistryMeta } from "./meta.ts";
import type { BlobStore } from "./storage/blob-store.ts";
import type { RegistryPaths } from "./storage/paths.ts";
import type { UploadStore } from "./storage/upload-store.ts";

/** An upload session that received nothing for this long is abandoned. */
export const UPLOAD_IDLE_MS = 30 * 60_000;

export interface GcOptions {
  /** Keep unreferenced blobs linked to a repository more recently than this. Default 1 h. */
  graceMs?: number;
  /** Upload sessions idle for longer than this are abandoned. Default UPLOAD_IDLE_MS. */
  uploadIdleMs?: number;
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
  const { meta, blobs, clock } = deps;
  const now = clock.now();
  const graceMs = opts.graceMs ?? 3600_000;

  // Blobs first, in the same turn of the event loop as the call: one synchronous pass (metadata
  // and unlink), so no commit or push interleaves and the pins seen are the pins that hold.
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
  const deletedUploads = await purgeUploads(deps, opts);
  return { deletedBlobs, deletedUploads };
}

/** Removes abandoned upload sessions (idle, or of a deleted repository) and upload files without a session. */
export async function purgeUploads(deps: GcDeps, opts: Pick<GcOptions, "uploadIdleMs"> = {}): Promise<string[]> {
  const { meta, uploads, paths, clock } = deps;
  const idleMs = opts.uploadIdleMs ?? UPLOAD_IDLE_MS;
  const now = clock.now();
  const deleted: string[] = [];
  const live = new Set<string>();
  for (const u of meta.listUploads()) {
    const orphan = !meta.getRepository(u, u.repo);
    if ((orphan || Math.max(u.startedAt, u.touchedAt) < now - idleMs) && !uploads.isActive(u.uuid)) {
      await uploads.discard(u.uuid);
      deleted.push(u.uuid);
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
      rmSync(join(paths.uploadsDir, f), { force: true });
      deleted.push(f);
    }
  }
  return deleted;
}
