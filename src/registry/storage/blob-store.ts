/**
 * The content-addressable blob store (like distribution's storage driver, deliberately narrow): files named by their
 * sha256 digest under `blobs/sha256/<ab>/<hex>` (see paths.ts). It knows nothing of repositories;
 * which repository may read a blob is metadata (meta.ts).
 *
 * `commit` is the only way in: the caller hands over a complete, fsynced file whose digest it has
 * verified; the file is renamed into place (atomic, so concurrent pushes of one layer are safe:
 * both renames install identical bytes) and the directory fsynced, then `link` runs while the
 * digest is pinned so garbage collection cannot remove a blob between rename and its metadata row.
 */
import { readdirSync, rmSync } from "node:fs";
import { mkdir, open, rename, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Writable } from "node:stream";
import { type RegistryPaths } from "./paths.ts";

const COPY_BUFFER = 1024 * 1024;

export interface ByteRange {
  start: number;
  /** Inclusive. */
  end: number;
}

export class BlobStore {
  readonly #paths: RegistryPaths;
  readonly #pinned = new Map<string, number>();

  constructor(paths: RegistryPaths) {
    this.#paths = paths;
  }

  async stat(digest: string): Promise<{ size: number } | undefined> {
    try {
      const s = await stat(this.#paths.blob(digest));
      return { size: s.size };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
  }

  /**
   * Writes the blob (or `range` of it) to `out`, through two 1 MiB buffers reused for the whole
   * blob: one is read from the file while the other is being written. A read stream allocates a
   * new buffer per chunk instead, and a profile of `skopeo copy` pulling 512 MiB spent about a
   * quarter of Slipway's CPU in the garbage collector (docs/benchmarks.md §17). A buffer is read
   * into again only after `out` has called back for its write, so no byte is overwritten before it
   * left. Rejects when `out` fails (a client that went away) or the file is shorter than expected.
   */
  async copyTo(digest: string, range: ByteRange, out: Writable): Promise<void> {
    const file = await open(this.#paths.blob(digest), "r");
    try {
      const buffers = [Buffer.allocUnsafeSlow(COPY_BUFFER), Buffer.allocUnsafeSlow(COPY_BUFFER)] as const;
      let writing: Promise<void> = Promise.resolve();
      let pos = range.start;
      for (let i = 0; pos <= range.end; i ^= 1) {
        const buffer = buffers[i]!;
        const { bytesRead } = await file.read(buffer, 0, Math.min(COPY_BUFFER, range.end - pos + 1), pos);
        if (bytesRead === 0) throw new Error(`blob ${digest} ended at byte ${pos}, before ${range.end + 1}`);
        pos += bytesRead;
        await writing; // the other buffer's write: it may be read into next
        writing = writeChunk(out, bytesRead === COPY_BUFFER ? buffer : buffer.subarray(0, bytesRead));
        writing.catch(() => {}); // awaited on the next turn or below; never unhandled meanwhile
      }
      await writing;
    } finally {
      await file.close();
    }
  }

  /** Moves `file` (complete, fsynced, digest verified by the caller) into place, then runs `link`. */
  async commit<T>(file: string, digest: string, link: () => T): Promise<T> {
    const target = this.#paths.blob(digest);
    this.#pin(digest);
    try {
      await mkdir(dirname(target), { recursive: true, mode: 0o700 });
      await rename(file, target);
      await fsyncDir(dirname(target));
      return link();
    } finally {
      this.#unpin(digest);
    }
  }

  /** True while a commit of `digest` is between its rename and its metadata (GC must skip it). */
  isPinned(digest: string): boolean {
    return this.#pinned.has(digest);
  }

  /** Synchronous on purpose: GC checks pins and deletes in one turn of the event loop. */
  deleteSync(digest: string): void {
    rmSync(this.#paths.blob(digest), { force: true });
  }

  /** Every digest with a file on disk (GC sweeps files that never got metadata). */
  listSync(): string[] {
    const out: string[] = [];
    let prefixes: string[];
    try {
      prefixes = readdirSync(this.#paths.blobsDir);
    } catch {
      return out;
    }
    for (const p of prefixes) {
      for (const hex of readdirSync(join(this.#paths.blobsDir, p))) {
        if (/^[a-f0-9]{64}$/.test(hex)) out.push(`sha256:${hex}`);
      }
    }
    return out;
  }

  #pin(digest: string): void {
    this.#pinned.set(digest, (this.#pinned.get(digest) ?? 0) + 1);
  }
  #unpin(digest: string): void {
    const n = (this.#pinned.get(digest) ?? 1) - 1;
    if (n <= 0) this.#pinned.delete(digest);
    else this.#pinned.set(digest, n);
  }
}

export async function fsyncFile(path: string): Promise<void> {
  const fh = await open(path, "r+");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function fsyncDir(path: string): Promise<void> {
  const fh = await open(path, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Writes `chunk` to `out`, resolving once it is flushed. A response destroyed before its buffered
 * data reached the socket (a client gone mid-download) never calls the write's callback, so its
 * 'close' fails the write instead: the copy then ends and closes its file.
 */
function writeChunk(out: Writable, chunk: Buffer): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const gone = () => reject(new Error("the response closed before the blob was sent"));
    if (out.destroyed) return gone();
    out.once("close", gone);
    out.write(chunk, (err) => {
      out.off("close", gone);
      if (err) reject(err);
      else resolve();
    });
  });
}
