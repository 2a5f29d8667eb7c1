/**
 * kill -9 during a push: the interrupted blob is not visible, the upload session survives the
 * restart (its offset and hash are rebuilt from disk) and can be finished, and a 256 MiB chunked
 * upload streams without buffering (RSS of the server stays low).
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { freePort } from "../helpers/slipway-process.ts";
import { sha256 } from "./helpers.ts";

const SERVER = fileURLToPath(new URL("./fixtures/registry-server.ts", import.meta.url));

async function startServer(port: number, dataDir: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [SERVER, String(port), dataDir], { stdio: ["ignore", "pipe", "inherit"] });
  await new Promise<void>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (c: Buffer) => {
      out += c.toString();
      if (out.includes("ready")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`registry server exited early (${code})`)));
  });
  return child;
}

function killHard(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGKILL");
  });
}

function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

describe("registry crash safety", () => {
  const dataDir = mkdtempSync(join(tmpdir(), "slipway-registry-crash-"));
  const children: ChildProcess[] = [];
  after(async () => {
    for (const c of children) await killHard(c);
    rmSync(dataDir, { recursive: true, force: true });
  });

  test("kill -9 in the middle of a chunk, restart, resume the upload", async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const first = await startServer(port, dataDir);
    children.push(first);
    const data = randomBytes(3 * 1024 * 1024);
    const digest = sha256(data);

    const start = await fetch(`${url}/v2/crash/app/blobs/uploads/`, { method: "POST" });
    assert.equal(start.status, 202);
    const location = start.headers.get("location")!;
    const p1 = await fetch(url + location, { method: "PATCH", body: data.subarray(0, 1024 * 1024) });
    assert.equal(p1.status, 202);

    // Second chunk: send part of it, then crash the server while the request is open.
    const req = request(url + location, { method: "PATCH", headers: { "Content-Type": "application/octet-stream" } });
    req.on("error", () => {});
    req.write(data.subarray(1024 * 1024, 1536 * 1024));
    await new Promise((r) => setTimeout(r, 300));
    await killHard(first);
    req.destroy();

    const second = await startServer(port, dataDir);
    children.push(second);
    // Nothing visible yet.
    assert.equal((await fetch(`${url}/v2/crash/app/blobs/${digest}`, { method: "HEAD" })).status, 404);
    // The session survived; its offset is whatever reached the disk.
    const status = await fetch(url + location);
    assert.equal(status.status, 204);
    const offset = Number(status.headers.get("range")!.split("-")[1]) + 1;
    assert.ok(offset >= 1024 * 1024 && offset <= 1536 * 1024, `offset ${offset}`);
    const rest = await fetch(url + location, {
      method: "PATCH",
      body: data.subarray(offset),
      headers: { "Content-Range": `${offset}-${data.length - 1}` },
    });
    assert.equal(rest.status, 202);
    const put = await fetch(`${url}${location}?digest=${digest}`, { method: "PUT" });
    assert.equal(put.status, 201, await put.text());
    const got = Buffer.from(await (await fetch(`${url}/v2/crash/app/blobs/${digest}`)).arrayBuffer());
    assert.equal(sha256(got), digest);
    await killHard(second);
  });

  test("a large upload (256 MiB, SLIPWAY_BIG_BLOB_MIB) streams through without buffering", async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const server = await startServer(port, dataDir);
    children.push(server);
    const chunk = randomBytes(1024 * 1024);
    const total = Number(process.env["SLIPWAY_BIG_BLOB_MIB"] ?? 256); // MiB; 2048 for the 2 GiB check
    const { createHash } = await import("node:crypto");
    const h = createHash("sha256");
    for (let i = 0; i < total; i++) h.update(chunk);
    const digest = `sha256:${h.digest("hex")}`;
    const before = rssOf(server.pid!);

    const start = await fetch(`${url}/v2/big/layer/blobs/uploads/`, { method: "POST" });
    const location = start.headers.get("location")!;
    let peak = 0;
    await new Promise<void>((resolve, reject) => {
      const req = request(url + location, { method: "PATCH", headers: { "Content-Type": "application/octet-stream" } }, (res) => {
        res.resume();
        res.on("end", () => (res.statusCode === 202 ? resolve() : reject(new Error(`PATCH ${res.statusCode}`))));
      });
      req.on("error", reject);
      let i = 0;
      const pump = () => {
        while (i < total) {
          i++;
          if (i % 32 === 0) peak = Math.max(peak, rssOf(server.pid!));
          if (!req.write(chunk)) return void req.once("drain", pump);
        }
        req.end();
      };
      pump();
    });
    const put = await fetch(`${url}${location}?digest=${digest}`, { method: "PUT" });
    assert.equal(put.status, 201, await put.text());
    peak = Math.max(peak, rssOf(server.pid!));
    const head = await fetch(`${url}/v2/big/layer/blobs/${digest}`, { method: "HEAD" });
    assert.equal(head.headers.get("content-length"), String(total * 1024 * 1024));
    const grewMiB = Math.round((peak - before) / 1048576);
    console.log(`# ${total} MiB upload: server RSS grew by ${grewMiB} MiB`);
    assert.ok(grewMiB < 96, `server RSS grew by ${grewMiB} MiB`);
    await killHard(server);
  });
});
