/**
 * The API port cuts stalls, not long transfers (raw sockets and fetch against startSlipway with
 * short timeouts): headers that never finish get 408; an API body that stops arriving gets the
 * protocol's RequestTimeout; a registry upload that stops arriving is dropped and rolled back,
 * while one that keeps moving for longer than the idle limit completes. A client that goes away
 * mid-request (API body, registry upload, blob download) is not logged as a failure.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createGateway } from "../../src/aws/gateway.ts";
import { systemClock } from "../../src/core/clock.ts";
import { seededIds } from "../../src/core/ids.ts";
import { createRegistry } from "../../src/registry/registry.ts";
import { FakeRuntime } from "../../src/runtime/fake-runtime.ts";
import { type Slipway, startSlipway } from "../../src/server/slipway.ts";
import { Store } from "../../src/store/store.ts";
import { echoEcs } from "../aws/echo-services.ts";
import { recordingLogger } from "../aws/fixtures.ts";
import { startGatewayServer } from "../helpers/in-process.ts";
import { waitFor } from "../proxy/helpers.ts";
import { pushBlob, sha256 } from "../registry/helpers.ts";

const IDLE = 400;
let s: Slipway;
let dir: string;
const logged: string[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "slipway-stalls-"));
  s = await startSlipway({
    port: 0,
    dataDir: dir,
    runtime: new FakeRuntime({ clock: systemClock }),
    registry: { autoCreateRepositories: true },
    timeouts: { headersMs: 1000, apiBodyIdleMs: IDLE, registryBodyIdleMs: IDLE },
    log: (m) => logged.push(m),
  });
});
after(async () => {
  await s.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Opens a raw connection, writes `first`, and resolves with everything read until the server closes. */
function rawUntilClosed(first: string, onOpen?: (sock: Socket) => void): Promise<{ text: string; ms: number }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const sock = connect(s.port, "127.0.0.1", () => {
      sock.write(first);
      onOpen?.(sock);
    });
    let text = "";
    sock.on("data", (d) => (text += d.toString("latin1")));
    sock.on("error", () => {});
    sock.on("close", () => resolve({ text, ms: performance.now() - t0 }));
  });
}

test("headers that never finish: 408 and the connection closes", async () => {
  const r = await rawUntilClosed("POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: Amazon");
  assert.match(r.text, /^HTTP\/1.1 408 /);
});

test("an API body that stops arriving: RequestTimeout in the protocol's shape, connection closed", async () => {
  const head = "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.1\r\nX-Amz-Target: AmazonEC2ContainerServiceV20141113.ListClusters\r\nContent-Length: 100\r\n\r\n{";
  const r = await rawUntilClosed(head);
  assert.match(r.text, /^HTTP\/1.1 408 /);
  assert.match(r.text, /x-amzn-errortype: RequestTimeout/i);
  assert.match(r.text, /connection: close/i);
  assert.ok(r.ms >= IDLE, `answered after ${r.ms} ms`);
});

test("a registry upload that stops arriving is dropped and rolled back; one that keeps moving completes", async () => {
  await pushBlob(s.url, "stall", "x");
  const started = await fetch(`${s.url}/v2/stall/blobs/uploads/`, { method: "POST" });
  const location = started.headers.get("location")!;
  // 3 bytes of a declared 10, then silence.
  const r = await rawUntilClosed(`PATCH ${location} HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc`);
  assert.ok(r.ms >= IDLE);
  // The roll-back runs once the upload's stream fails, right after the connection closes.
  const range = async () => {
    const status = await fetch(`${s.url}${location}`);
    assert.equal(status.status, 204);
    return status.headers.get("range");
  };
  await waitFor(async () => (await range()) === "0-0", "the partial chunk rolled back");

  // A chunk trickling in for about 4 idle periods, a piece every IDLE/4: it completes.
  const pieces = 16;
  const data = Buffer.alloc(pieces * 1000, 0x62);
  const done = await new Promise<string>((resolve) => {
    const sock = connect(s.port, "127.0.0.1", () => {
      sock.write(`PATCH ${location} HTTP/1.1\r\nHost: x\r\nContent-Length: ${data.length}\r\nConnection: close\r\n\r\n`);
      let i = 0;
      const next = (): void => {
        sock.write(data.subarray(i * 1000, (i + 1) * 1000));
        if (++i < pieces) void systemClock.sleep(IDLE / 4).then(next);
      };
      next();
    });
    let text = "";
    sock.on("data", (d) => (text += d.toString("latin1")));
    sock.on("close", () => resolve(text));
  });
  assert.match(done, /^HTTP\/1.1 202 /);
  const put = await fetch(`${s.url}${location}?digest=${sha256(data)}`, { method: "PUT" });
  assert.equal(put.status, 201, await put.text());
});

test("clients that go away mid-request are not logged as failures", async () => {
  const errors = recordingLogger();
  const gateway = createGateway({ services: [echoEcs({ calls: [] })], logger: errors });
  const server = await startGatewayServer(gateway);
  try {
    // API: half a body, then the client hangs up.
    await new Promise<void>((resolve) => {
      const sock = connect(server.port, "127.0.0.1", () => {
        sock.write("POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.1\r\nX-Amz-Target: AmazonEC2ContainerServiceV20141113.ListClusters\r\nContent-Length: 50\r\n\r\n{\"max");
        sock.end(() => sock.destroy());
      });
      sock.on("close", () => resolve());
    });
    // The server still answers, and has logged nothing.
    const ok = await fetch(server.url, { method: "POST", headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": "AmazonEC2ContainerServiceV20141113.ListClusters" }, body: "{}" });
    assert.equal(ok.status, 200);
    assert.deepEqual(errors.errors, []);
  } finally {
    await server.close();
  }

  // Registry: an upload cut mid-chunk, and a download abandoned mid-blob, on a server that lets
  // the test await each request's handling to its end (so "nothing logged" is not a race).
  const regLog: string[] = [];
  const dataDir = mkdtempSync(join(tmpdir(), "slipway-abort-"));
  const store = new Store(":memory:");
  const registry = createRegistry({ store, dataDir, clock: systemClock, ids: seededIds("abort"), defaultAccountId: "123456789012", defaultRegion: "us-east-1", autoCreateRepositories: true, log: (m) => regLog.push(m) });
  const handled: Array<Promise<void>> = [];
  const regServer = createServer((req, res) => void handled.push(registry.handle(req, res)));
  await new Promise<void>((resolve) => regServer.listen(0, "127.0.0.1", resolve));
  const port = (regServer.address() as AddressInfo).port;
  try {
    const url = `http://127.0.0.1:${port}`;
    const digest = await pushBlob(url, "app", Buffer.alloc(8 * 1024 * 1024, 0x63));
    const started = await fetch(`${url}/v2/app/blobs/uploads/`, { method: "POST" });
    const hangUp = (request: string, when: "written" | "first-byte") =>
      new Promise<void>((resolve) => {
        const sock = connect(port, "127.0.0.1", () => {
          sock.write(request);
          if (when === "written") sock.destroy();
        });
        if (when === "first-byte") sock.once("data", () => sock.destroy());
        sock.on("error", () => {});
        sock.on("close", () => resolve());
      });
    await hangUp(`PATCH ${started.headers.get("location")} HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\nabc`, "written");
    await hangUp(`GET /v2/app/blobs/${digest} HTTP/1.1\r\nHost: x\r\n\r\n`, "first-byte");
    await Promise.all(handled);
    assert.deepEqual(regLog, []);
    assert.equal((await fetch(`${url}${started.headers.get("location")}`)).headers.get("range"), "0-0", "the cut chunk was rolled back");
  } finally {
    regServer.closeAllConnections();
    await new Promise<void>((resolve) => regServer.close(() => resolve()));
    store.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
