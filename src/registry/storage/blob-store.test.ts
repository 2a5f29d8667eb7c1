import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Writable } from "node:stream";
import { after, test } from "node:test";
import { BlobStore } from "./blob-store.ts";
import { RegistryPaths } from "./paths.ts";

const dir = mkdtempSync(join(tmpdir(), "slipway-blob-store-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const paths = new RegistryPaths(dir);
const store = new BlobStore(paths);
// 2.5 MiB: the copy goes through both 1 MiB buffers and reuses each at least once.
const bytes = randomBytes(2.5 * 1024 * 1024);
const digest = `sha256:${"ab".repeat(32)}`;
mkdirSync(dirname(paths.blob(digest)), { recursive: true });
writeFileSync(paths.blob(digest), bytes);

/** A slow sink that keeps copies of what it was given and calls back on a later turn. */
function collector(): { out: Writable; received: () => Buffer } {
  const chunks: Buffer[] = [];
  const out = new Writable({
    highWaterMark: 1,
    write(chunk: Buffer, _enc, cb) {
      chunks.push(Buffer.from(chunk)); // a copy: what the sink held when it was handed the chunk
      setImmediate(cb);
    },
  });
  return { out, received: () => Buffer.concat(chunks) };
}

test("copyTo writes the whole blob through its reused buffers, byte for byte", async () => {
  const { out, received } = collector();
  await store.copyTo(digest, { start: 0, end: bytes.length - 1 }, out);
  assert.equal(received().length, bytes.length);
  assert.ok(received().equals(bytes));
});

test("copyTo writes a range that crosses a buffer boundary", async () => {
  const { out, received } = collector();
  const start = 1024 * 1024 - 7;
  const end = 2 * 1024 * 1024 + 11;
  await store.copyTo(digest, { start, end }, out);
  assert.ok(received().equals(bytes.subarray(start, end + 1)));
});

test("copyTo rejects when the sink fails (a client that went away), and when the file is shorter than the range", async () => {
  const failing = new Writable({ write: (_c, _e, cb) => cb(new Error("socket closed")) });
  failing.on("error", () => {});
  await assert.rejects(store.copyTo(digest, { start: 0, end: bytes.length - 1 }, failing), /socket closed/);
  const { out } = collector();
  await assert.rejects(store.copyTo(digest, { start: 0, end: bytes.length + 10 }, out), /ended at byte/);
});

test("copyTo ends when the response closes with a write's callback still owed (the client gone mid-download)", { timeout: 10_000 }, async () => {
  // Node's ServerResponse drops a write's callback when its socket is already destroyed
  // (OutgoingMessage#_writeRaw returns false); what still comes is the response's 'close'.
  const { EventEmitter } = await import("node:events");
  let writes = 0;
  const out = Object.assign(new EventEmitter(), {
    destroyed: false,
    write(_chunk: Buffer, _cb: (err?: Error | null) => void): boolean {
      writes++;
      setImmediate(() => {
        out.destroyed = true;
        out.emit("close");
      });
      return false;
    },
  });
  await assert.rejects(store.copyTo(digest, { start: 0, end: bytes.length - 1 }, out as unknown as Writable), /closed before the blob was sent/);
  assert.equal(writes, 1);
});
