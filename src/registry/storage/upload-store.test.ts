import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { Readable } from "node:stream";
import { afterEach, beforeEach, describe, test } from "node:test";
import { RegistryError } from "../errcodes.ts";
import { type RegistryFixture, registryFixture } from "../test-fixture.ts";

const scope = { accountId: "123456789012", region: "us-east-1" };
const digest = (s: string | Buffer) => `sha256:${createHash("sha256").update(s).digest("hex")}`;
const body = (s: string | Buffer) => Readable.from([Buffer.from(s)]);

function failingBody(first: string): Readable {
  let sent = false;
  return new Readable({
    read() {
      if (!sent) {
        sent = true;
        this.push(Buffer.from(first));
      } else {
        this.destroy(new Error("client went away"));
      }
    },
  });
}

describe("UploadStore", () => {
  let f: RegistryFixture;
  beforeEach(() => {
    f = registryFixture();
    f.registry.meta.createRepository(scope, "app");
    f.registry.meta.createRepository(scope, "other");
  });
  afterEach(() => f.close());

  test("start → patch → patch → commit makes the blob visible and removes the session", async () => {
    const { uploads, meta, paths } = f.registry;
    const s = await uploads.start(scope, "app");
    assert.equal((await uploads.append(scope, "app", s.uuid, body("hello "))).size, 6);
    assert.equal((await uploads.append(scope, "app", s.uuid, body("world"), { start: 6, end: 10 })).size, 11);
    const blob = await uploads.commit(scope, "app", s.uuid, digest("hello world"));
    assert.deepEqual(blob, { digest: digest("hello world"), size: 11 });
    assert.deepEqual(meta.linkedBlob(scope, "app", blob.digest), { size: 11 });
    assert.equal(meta.linkedBlob(scope, "other", blob.digest), undefined);
    assert.equal(readFileSync(paths.blob(blob.digest), "utf8"), "hello world");
    assert.equal(meta.getUpload(s.uuid), undefined);
    assert.deepEqual(readdirSync(paths.uploadsDir), []);
  });

  test("a chunk that does not start at the offset is RANGE_INVALID (416) and changes nothing", async () => {
    const { uploads } = f.registry;
    const s = await uploads.start(scope, "app");
    await uploads.append(scope, "app", s.uuid, body("abc"));
    await assert.rejects(uploads.append(scope, "app", s.uuid, body("xyz"), { start: 5, end: 7 }), (e: RegistryError) => e.code === "RANGE_INVALID" && e.status === 416);
    assert.equal((await uploads.status(scope, "app", s.uuid)).size, 3);
  });

  test("digest mismatch → DIGEST_INVALID, the session and its file are gone, no blob", async () => {
    const { uploads, meta, paths } = f.registry;
    const s = await uploads.start(scope, "app");
    await uploads.append(scope, "app", s.uuid, body("content"));
    await assert.rejects(uploads.commit(scope, "app", s.uuid, digest("other")), (e: RegistryError) => e.code === "DIGEST_INVALID");
    assert.ok(!existsSync(paths.blob(digest("content"))));
    assert.ok(!existsSync(paths.blob(digest("other"))));
    assert.equal(meta.getUpload(s.uuid), undefined);
    await assert.rejects(uploads.status(scope, "app", s.uuid), (e: RegistryError) => e.code === "BLOB_UPLOAD_UNKNOWN");
  });

  test("a chunk that breaks midway is rolled back to the previous offset; the upload goes on", async () => {
    const { uploads } = f.registry;
    const s = await uploads.start(scope, "app");
    await uploads.append(scope, "app", s.uuid, body("good "));
    await assert.rejects(uploads.append(scope, "app", s.uuid, failingBody("partial")));
    assert.equal((await uploads.status(scope, "app", s.uuid)).size, 5);
    await uploads.append(scope, "app", s.uuid, body("data"));
    const blob = await uploads.commit(scope, "app", s.uuid, digest("good data"));
    assert.equal(blob.size, 9);
  });

  test("bodies of many MiB and of thousands of tiny chunks are appended whole and in order (batched writes)", async () => {
    const { uploads, paths } = f.registry;
    const s = await uploads.start(scope, "app");
    // 3.5 MiB in 64 KiB chunks: three full 1 MiB batches and a partial one.
    const big = Buffer.alloc(3.5 * 1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31 + (i >> 13)) & 0xff;
    const chunks = Array.from({ length: big.length / 65536 }, (_, i) => big.subarray(i * 65536, (i + 1) * 65536));
    assert.equal((await uploads.append(scope, "app", s.uuid, Readable.from(chunks))).size, big.length);
    // 5,000 chunks of 1-64 bytes: more buffers than one writev takes.
    const tiny = Array.from({ length: 5000 }, (_, i) => Buffer.alloc(1 + (i % 64), i & 0xff));
    const tinyBytes = Buffer.concat(tiny);
    const after = await uploads.append(scope, "app", s.uuid, Readable.from(tiny), { start: big.length });
    assert.equal(after.size, big.length + tinyBytes.length);
    const whole = Buffer.concat([big, tinyBytes]);
    const blob = await uploads.commit(scope, "app", s.uuid, digest(whole));
    assert.equal(blob.size, whole.length);
    assert.ok(readFileSync(paths.blob(blob.digest)).equals(whole));
  });

  test("a body that breaks after more than one batch is rolled back whole", async () => {
    const { uploads } = f.registry;
    const s = await uploads.start(scope, "app");
    await uploads.append(scope, "app", s.uuid, body("head "));
    let n = 0;
    const breaking = new Readable({
      read() {
        if (n++ < 40) this.push(Buffer.alloc(65536, 7)); // 2.5 MiB: two batches written
        else this.destroy(new Error("client went away"));
      },
    });
    await assert.rejects(uploads.append(scope, "app", s.uuid, breaking));
    assert.equal((await uploads.status(scope, "app", s.uuid)).size, 5);
    await uploads.append(scope, "app", s.uuid, body("tail"));
    assert.equal((await uploads.commit(scope, "app", s.uuid, digest("head tail"))).size, 9);
  });

  test("a body cut before it is read (the client gone while the chunk waited its turn) fails and changes nothing", async () => {
    const { uploads } = f.registry;
    const s = await uploads.start(scope, "app");
    await uploads.append(scope, "app", s.uuid, body("kept "));
    const cut = new Readable({ read() {} });
    cut.push(Buffer.from("partial"));
    cut.on("error", () => {}); // as the HTTP server's request has by then
    cut.destroy(new Error("aborted"));
    await assert.rejects(uploads.append(scope, "app", s.uuid, cut));
    const closed = new Readable({ read() {} });
    closed.destroy();
    await assert.rejects(uploads.append(scope, "app", s.uuid, closed));
    assert.equal((await uploads.status(scope, "app", s.uuid)).size, 5);
  });

  test("a restarted process continues a session (hash rebuilt from the file)", async () => {
    const s = await f.registry.uploads.start(scope, "app");
    await f.registry.uploads.append(scope, "app", s.uuid, body("before restart, "));
    const again = f.restart();
    assert.equal((await again.uploads.status(scope, "app", s.uuid)).size, 16);
    await again.uploads.append(scope, "app", s.uuid, body("after"), { start: 16, end: 20 });
    const blob = await again.uploads.commit(scope, "app", s.uuid, digest("before restart, after"));
    assert.equal(blob.size, 21);
  });

  test("sessions are bound to their repository and scope", async () => {
    const { uploads } = f.registry;
    const s = await uploads.start(scope, "app");
    await assert.rejects(uploads.append(scope, "other", s.uuid, body("x")), (e: RegistryError) => e.code === "BLOB_UPLOAD_UNKNOWN");
    await assert.rejects(uploads.status({ accountId: "999999999999", region: "us-east-1" }, "app", s.uuid), (e: RegistryError) => e.code === "BLOB_UPLOAD_UNKNOWN");
  });

  test("cancel removes the session and its data", async () => {
    const { uploads, paths } = f.registry;
    const s = await uploads.start(scope, "app");
    await uploads.append(scope, "app", s.uuid, body("bytes"));
    await uploads.cancel(scope, "app", s.uuid);
    assert.ok(!existsSync(paths.upload(s.uuid)));
    await assert.rejects(uploads.cancel(scope, "app", s.uuid), (e: RegistryError) => e.code === "BLOB_UPLOAD_UNKNOWN");
  });

  test("concurrent pushes of the same layer to two repositories both succeed", async () => {
    const { uploads, meta, paths } = f.registry;
    const data = Buffer.alloc(512 * 1024, 7);
    const [a, b] = await Promise.all([uploads.start(scope, "app"), uploads.start(scope, "other")]);
    const results = await Promise.all([
      uploads.commit(scope, "app", a.uuid, digest(data), body(data)),
      uploads.commit(scope, "other", b.uuid, digest(data), body(data)),
    ]);
    assert.equal(results[0].digest, results[1].digest);
    assert.ok(meta.linkedBlob(scope, "app", digest(data)));
    assert.ok(meta.linkedBlob(scope, "other", digest(data)));
    assert.equal(readFileSync(paths.blob(digest(data))).length, data.length);
  });
});
