import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import * as elb from "@aws-sdk/client-elastic-load-balancing-v2";
import { ManualClock } from "../core/clock.ts";
import { FakeRuntime } from "../runtime/fake-runtime.ts";
import { INTERVALS } from "./background.ts";
import { fullGc, IdleCollector } from "./idle-gc.ts";
import { startSlipway } from "./slipway.ts";

test("collects once when a check finds no request since the previous one, and not again until requests come", () => {
  let requests = 0;
  let collections = 0;
  const c = new IdleCollector({ requests: () => requests, collect: () => collections++, heapUsed: () => 0 });
  // Start-up's garbage: the first idle check collects.
  assert.equal(c.check(), true);
  assert.equal(c.check(), false);
  assert.equal(collections, 1);
  // Busy: requests keep arriving between checks, so no check collects.
  for (let i = 0; i < 5; i++) {
    requests += 100;
    assert.equal(c.check(), false);
  }
  assert.equal(collections, 1);
  // The burst stops: the next check collects, later idle checks do not.
  assert.equal(c.check(), true);
  assert.equal(c.check(), false);
  assert.equal(c.check(), false);
  assert.equal(collections, 2);
  // One more request, then idle: one more collection.
  requests++;
  assert.equal(c.check(), false);
  assert.equal(c.check(), true);
  assert.equal(collections, 3);
});

test("while idle, collects again once the heap has regrown by the threshold, no sooner than minChecksBetween checks after the last collection", () => {
  let requests = 0;
  let heap = 10;
  let collections = 0;
  const c = new IdleCollector({
    requests: () => requests,
    collect: () => {
      collections++;
      heap = 10; // the collection takes the heap back to its live size
    },
    heapUsed: () => heap,
    regrowthBytes: 4,
    minChecksBetween: 3,
  });
  assert.equal(c.check(), true, "start-up's garbage");
  // Idle: the background work's garbage grows the heap by 1 per check.
  heap = 11;
  assert.equal(c.check(), false);
  heap = 12;
  assert.equal(c.check(), false);
  heap = 13;
  assert.equal(c.check(), false, "3 checks since the collection, but grown by 3 < 4");
  heap = 14;
  assert.equal(c.check(), true, "grown by 4 since the last collection, 4 checks since it");
  assert.equal(collections, 2);
  // Grown past the threshold at once, but too soon after the last collection.
  heap = 30;
  assert.equal(c.check(), false);
  assert.equal(c.check(), false);
  assert.equal(c.check(), true, "the third check since the last collection");
  // Busy: requests between checks, however large the heap, never collect.
  for (let i = 0; i < 5; i++) {
    requests++;
    heap = 100;
    assert.equal(c.check(), false);
  }
  assert.equal(collections, 3);
  // The burst stops: the next check collects at once (the burst's rule, not the regrowth's).
  assert.equal(c.check(), true);
  assert.equal(collections, 4);
});

test("fullGc reclaims unreachable memory, without leaving a global gc behind", () => {
  const gc = fullGc();
  assert.equal(typeof (globalThis as { gc?: unknown }).gc, "undefined");
  let garbage: { i: number; s: string }[] | null = Array.from({ length: 300_000 }, (_, i) => ({ i, s: `x${i}` }));
  const before = process.memoryUsage().heapUsed;
  assert.ok(garbage.length > 0);
  garbage = null;
  gc();
  const after = process.memoryUsage().heapUsed;
  assert.ok(after < before - 10 * 1024 * 1024, `heap ${before} -> ${after}`);
});

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** One idle check's worth of the clock; the background job runs a few turns of the event loop later. */
async function idleCheck(clock: ManualClock): Promise<void> {
  clock.advance(INTERVALS.idleCollection);
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}

test("a running Slipway (idleCollection, as `slipway up` sets it) collects once after start-up and once after each burst of requests, on its clock's checks", async () => {
  const dir = mkdtempSync(join(tmpdir(), "slipway-idle-gc-"));
  const clock = new ManualClock(Date.now());
  const s = await startSlipway({ port: 0, dataDir: dir, runtime: new FakeRuntime({ clock }), clock, log: () => {}, idleCollection: true });
  const check = () => idleCheck(clock);
  const listClusters = async () => {
    const res = await fetch(s.url, {
      method: "POST",
      headers: { "x-amz-target": "AmazonEC2ContainerServiceV20141113.ListClusters", "content-type": "application/x-amz-json-1.1" },
      body: "{}",
    });
    assert.equal(res.status, 200);
    await res.arrayBuffer();
  };
  try {
    assert.equal(s.idleCollections(), 0);
    await check(); // idle since start-up: start-up's garbage
    assert.equal(s.idleCollections(), 1);
    await check(); // still idle: nothing new to collect
    assert.equal(s.idleCollections(), 1);
    await listClusters();
    await check(); // a request since the last check: busy, no collection
    assert.equal(s.idleCollections(), 1);
    await check(); // the burst is over
    assert.equal(s.idleCollections(), 2);
  } finally {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("load-balancer traffic counts as busy: a data plane serving requests behind a quiet API is not paused by a collection", async () => {
  const dir = mkdtempSync(join(tmpdir(), "slipway-idle-gc-alb-"));
  const clock = new ManualClock(Date.now());
  const s = await startSlipway({ port: 0, dataDir: dir, runtime: new FakeRuntime({ clock }), clock, log: () => {}, idleCollection: true });
  try {
    const client = new elb.ElasticLoadBalancingV2Client({ endpoint: s.url, region: "us-east-1", credentials: { accessKeyId: "a", secretAccessKey: "b" } });
    const lb = (await client.send(new elb.CreateLoadBalancerCommand({ Name: "idle-gc", Subnets: ["subnet-1", "subnet-2"] }))).LoadBalancers![0]!;
    const listener = (
      await client.send(
        new elb.CreateListenerCommand({
          LoadBalancerArn: lb.LoadBalancerArn,
          Protocol: "HTTP",
          Port: await freePort(),
          DefaultActions: [{ Type: "fixed-response", FixedResponseConfig: { StatusCode: "200", ContentType: "text/plain", MessageBody: "alb" } }],
        }),
      )
    ).Listeners![0]!;
    let port: number | null = null;
    for (let i = 0; i < 200 && port === null; i++) {
      const report = (await (await fetch(`${s.url}/_slipway/listeners`)).json()) as { listeners: { listenerArn?: string; boundPort: number | null }[] };
      port = report.listeners.find((l) => l.boundPort !== null)?.boundPort ?? null;
      if (port === null) await new Promise((r) => setTimeout(r, 25));
    }
    assert.ok(port, `listener ${listener.ListenerArn} was never bound`);
    // The API goes quiet while the load balancer keeps serving: no check collects, not even the
    // first one after the API's burst.
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`http://127.0.0.1:${port}/`);
      assert.equal(await res.text(), "alb");
      await idleCheck(clock);
      assert.equal(s.idleCollections(), 0, `check ${i + 1}: a collection while the load balancer served requests`);
    }
    await idleCheck(clock); // the load balancer's traffic stopped too: the burst's garbage is collected
    assert.equal(s.idleCollections(), 1);
    await idleCheck(clock);
    assert.equal(s.idleCollections(), 1);
  } finally {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("startSlipway without idleCollection (tests, embedding) never collects: a GC would cover the host process's heap too", async () => {
  const dir = mkdtempSync(join(tmpdir(), "slipway-idle-gc-off-"));
  const clock = new ManualClock(Date.now());
  const s = await startSlipway({ port: 0, dataDir: dir, runtime: new FakeRuntime({ clock }), clock, log: () => {} });
  try {
    for (let i = 0; i < 3; i++) await idleCheck(clock);
    assert.equal(s.idleCollections(), 0);
  } finally {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
