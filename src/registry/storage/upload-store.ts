/**
 * The blob upload state machine (distribution's blobwriter): start → patch* → commit | cancel.
 *
 * Data is appended to `uploads/<uuid>` while a sha256 is updated incrementally, so a blob is never
 * held in memory. The hash state lives in this process; after a restart (or a failed chunk) it is
 * rebuilt by re-reading the file, so a session survives `kill -9`. A chunk that fails midway is
 * truncated away, so the session's offset is always the end of the last whole chunk.
 *
 * Commit sequence (fixed; the order is what makes a crash harmless): append the final chunk → fsync → verify digest → move into the
 * BlobStore → link in SQLite (while pinned) → forget the session. Any failure cancels the session,
 * so a mismatched or broken upload leaves nothing visible.
 */
import { createHash, type Hash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, rm, stat, truncate, writeFile } from "node:fs/promises";
import type { Readable } from "node:stream";
import type { IdGen } from "../../core/ids.ts";
import { RegistryError } from "../errcodes.ts";
import type { Scope } from "../../core/arn.ts";
import type { RegistryMeta } from "../meta.ts";
import { type BlobStore, fsyncFile } from "./blob-store.ts";
import { type RegistryPaths } from "./paths.ts";

export interface UploadStatus {
  uuid: string;
  /** Bytes received so far (the next chunk must start here). */
  size: number;
}

interface HashState {
  hash: Hash;
  size: number;
}

export class UploadStore {
  readonly #paths: RegistryPaths;
  readonly #blobs: BlobStore;
  readonly #meta: RegistryMeta;
  readonly #ids: IdGen;
  readonly #hashes = new Map<string, HashState>();
  readonly #locks = new Map<string, Promise<unknown>>();

  constructor(deps: { paths: RegistryPaths; blobs: BlobStore; meta: RegistryMeta; ids: IdGen }) {
    this.#paths = deps.paths;
    this.#blobs = deps.blobs;
    this.#meta = deps.meta;
    this.#ids = deps.ids;
  }

  async start(scope: Scope, repo: string): Promise<UploadStatus> {
    const uuid = this.#ids.uuid();
    // Row first, then file: GC removes upload files that have no row.
    this.#meta.createUpload(scope, repo, uuid);
    // Owner-only: the file is renamed into blobs/ as it is, so blobs are 0600 in 0700 folders.
    await mkdir(this.#paths.uploadsDir, { recursive: true, mode: 0o700 });
    await writeFile(this.#paths.upload(uuid), new Uint8Array(0), { flag: "wx", mode: 0o600 });
    this.#hashes.set(uuid, { hash: createHash("sha256"), size: 0 });
    return { uuid, size: 0 };
  }

  async status(scope: Scope, repo: string, uuid: string): Promise<UploadStatus> {
    this.#check(scope, repo, uuid);
    return { uuid, size: await this.#size(uuid) };
  }

  /** Appends `body`; with `range`, its start must be the current offset (else RANGE_INVALID 416). */
  async append(scope: Scope, repo: string, uuid: string, body: Readable, range?: { start: number; end?: number }): Promise<UploadStatus> {
    this.#check(scope, repo, uuid);
    return this.#locked(uuid, async () => {
      const size = await this.#appendUnlocked(uuid, body, range);
      return { uuid, size };
    });
  }

  /** Appends the optional final chunk, verifies `digest` and makes the blob visible in `repo`. */
  async commit(scope: Scope, repo: string, uuid: string, digest: string, body?: Readable, range?: { start: number; end?: number }): Promise<{ digest: string; size: number }> {
    this.#check(scope, repo, uuid);
    return this.#locked(uuid, async () => {
      try {
        if (body) await this.#appendUnlocked(uuid, body, range);
        const file = this.#paths.upload(uuid);
        await fsyncFile(file);
        const state = await this.#hashState(uuid);
        const actual = `sha256:${state.hash.copy().digest("hex")}`;
        if (actual !== digest) throw new RegistryError("DIGEST_INVALID", { expected: digest, actual });
        const size = state.size;
        await this.#blobs.commit(file, digest, () =>
          this.#meta.tx(() => {
            this.#meta.linkBlob(scope, repo, digest, size);
            this.#meta.deleteUpload(uuid);
          }),
        );
        this.#hashes.delete(uuid);
        return { digest, size };
      } catch (err) {
        await this.#discard(uuid);
        throw err;
      }
    });
  }

  async cancel(scope: Scope, repo: string, uuid: string): Promise<void> {
    this.#check(scope, repo, uuid);
    await this.#locked(uuid, () => this.#discard(uuid));
  }

  /** True while an operation (patch, commit, cancel) on `uuid` is running or queued; GC leaves it alone. */
  isActive(uuid: string): boolean {
    return this.#locks.has(uuid);
  }

  /** Removes a session's file and row (GC of stale sessions). */
  async discard(uuid: string): Promise<void> {
    await this.#locked(uuid, () => this.#discard(uuid));
  }

  // ---- internals -------------------------------------------------------------------------

  #check(scope: Scope, repo: string, uuid: string): void {
    const u = this.#meta.getUpload(uuid);
    if (!u || u.accountId !== scope.accountId || u.region !== scope.region || u.repo !== repo) {
      throw new RegistryError("BLOB_UPLOAD_UNKNOWN", { uuid });
    }
  }

  async #appendUnlocked(uuid: string, body: Readable, range?: { start: number; end?: number }): Promise<number> {
    const file = this.#paths.upload(uuid);
    const state = await this.#hashState(uuid);
    if (range && range.start !== state.size) {
      body.resume();
      throw new RegistryError("RANGE_INVALID", { offset: state.size, start: range.start }, `chunk must start at offset ${state.size}`);
    }
    const before = state.size;
    const base = state.hash.copy();
    let written = 0;
    try {
      written = await appendHashed(file, body, state.hash);
      if (range?.end !== undefined && range.end - range.start + 1 !== written) {
        throw new RegistryError("SIZE_INVALID", { expected: range.end - range.start + 1, received: written });
      }
    } catch (err) {
      // Roll the session back to the end of the last whole chunk.
      await truncate(file, before).catch(() => {});
      this.#hashes.set(uuid, { hash: base, size: before });
      throw err instanceof RegistryError ? err : new RegistryError("BLOB_UPLOAD_INVALID", { reason: (err as Error).message });
    }
    state.size = before + written;
    this.#meta.touchUpload(uuid);
    return state.size;
  }

  async #hashState(uuid: string): Promise<HashState> {
    const file = this.#paths.upload(uuid);
    const size = await this.#size(uuid);
    let state = this.#hashes.get(uuid);
    if (!state || state.size !== size) {
      // Lost (restart) or out of step: rebuild from the bytes on disk.
      const hash = createHash("sha256");
      let n = 0;
      for await (const chunk of createReadStream(file)) {
        hash.update(chunk as Buffer);
        n += (chunk as Buffer).length;
      }
      state = { hash, size: n };
      this.#hashes.set(uuid, state);
    }
    return state;
  }

  async #size(uuid: string): Promise<number> {
    try {
      return (await stat(this.#paths.upload(uuid))).size;
    } catch {
      throw new RegistryError("BLOB_UPLOAD_UNKNOWN", { uuid });
    }
  }

  async #discard(uuid: string): Promise<void> {
    this.#hashes.delete(uuid);
    this.#meta.deleteUpload(uuid);
    await rm(this.#paths.upload(uuid), { force: true });
  }

  /** One operation per session at a time (chunks of one upload are strictly ordered). */
  #locked<T>(uuid: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.#locks.get(uuid) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => {});
    this.#locks.set(uuid, tail);
    void tail.then(() => {
      if (this.#locks.get(uuid) === tail) this.#locks.delete(uuid);
    });
    return next;
  }
}

/** Bytes gathered before one writev to the upload file; at most two batches are held per upload. */
const WRITE_BATCH = 1 << 20;

/**
 * Appends `body` to `file`, updating `hash` with every byte: the request's chunks (~64 KiB each)
 * are hashed as they arrive and written in batches of WRITE_BATCH with one writev, while the next
 * batch is read. One system call per MiB instead of one per chunk, no stream between the socket
 * and the file, no copy of the bytes. Returns how many bytes were appended.
 */
async function appendHashed(file: string, body: Readable, hash: Hash): Promise<number> {
  const fh = await open(file, "a");
  let written = 0;
  let inFlight: Promise<void> | undefined;
  const write = async (batch: Buffer[], bytes: number) => {
    const { bytesWritten } = await fh.writev(batch);
    if (bytesWritten !== bytes) throw new Error(`short write to the upload file (${bytesWritten} of ${bytes} bytes)`);
  };
  try {
    let batch: Buffer[] = [];
    let bytes = 0;
    for await (const chunk of body) {
      const b = chunk as Buffer;
      hash.update(b);
      written += b.length;
      batch.push(b);
      bytes += b.length;
      // A body of many tiny chunks (chunked encoding allows 1-byte chunks) is written every
      // IOV_MAX chunks, so a batch never holds more than 1,024 buffers.
      if (bytes >= WRITE_BATCH || batch.length >= 1024) {
        await inFlight;
        inFlight = write(batch, bytes);
        inFlight.catch(() => {}); // awaited before the next batch or below
        batch = [];
        bytes = 0;
      }
    }
    await inFlight;
    inFlight = undefined;
    if (bytes > 0) await write(batch, bytes);
    return written;
  } finally {
    await inFlight?.catch(() => {});
    await fh.close();
  }
}
