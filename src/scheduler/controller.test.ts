/** The keyed work queue (src/scheduler/controller.ts) driven by a ManualClock. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ManualClock } from "../core/clock.ts";
import { Controller, type ReconcileResult, type Reconciler } from "./controller.ts";

interface Call {
  key: string;
  at: number;
}

class FakeReconciler implements Reconciler {
  readonly name = "fake";
  calls: Call[] = [];
  keys: string[] = [];
  inFlight = new Map<string, number>();
  maxConcurrentPerKey = 0;
  gates = new Map<string, PromiseWithResolvers<void>>();
  behaviour: (key: string, n: number) => ReconcileResult | void = () => {};
  readonly #clock: ManualClock;
  constructor(clock: ManualClock) {
    this.#clock = clock;
  }
  listKeys(): string[] {
    return this.keys;
  }
  /** Makes the next reconcile of `key` block until release(key). */
  hold(key: string): void {
    this.gates.set(key, Promise.withResolvers<void>());
  }
  release(key: string): void {
    const g = this.gates.get(key);
    this.gates.delete(key);
    g?.resolve();
  }
  async reconcile(key: string): Promise<ReconcileResult | void> {
    this.calls.push({ key, at: this.#clock.now() });
    const n = (this.inFlight.get(key) ?? 0) + 1;
    this.inFlight.set(key, n);
    this.maxConcurrentPerKey = Math.max(this.maxConcurrentPerKey, n);
    try {
      const gate = this.gates.get(key);
      if (gate) await gate.promise;
      return this.behaviour(key, this.calls.filter((c) => c.key === key).length);
    } finally {
      this.inFlight.set(key, (this.inFlight.get(key) ?? 1) - 1);
    }
  }
  count(key: string): number {
    return this.calls.filter((c) => c.key === key).length;
  }
}

function setup(opts: { resyncMs?: number; maxBackoffMs?: number } = {}) {
  const clock = new ManualClock(0);
  const r = new FakeReconciler(clock);
  const logs: string[] = [];
  const c = new Controller(r, { clock, log: (m) => logs.push(m), resyncMs: opts.resyncMs ?? 1_000_000, ...(opts.maxBackoffMs ? { maxBackoffMs: opts.maxBackoffMs } : {}) });
  const flush = async () => {
    for (let i = 0; i < 5; i++) {
      await new Promise<void>((res) => setImmediate(res));
      await c.idle();
    }
  };
  return { clock, r, c, logs, flush };
}

test("start() reconciles listKeys() and keys enqueued before start", async () => {
  const { r, c, flush } = setup();
  r.keys = ["a", "b"];
  c.enqueue("early");
  c.start();
  await flush();
  assert.deepEqual(r.calls.map((x) => x.key).sort(), ["a", "b", "early"]);
  c.stop();
});

test("a key enqueued several times while queued runs once", async () => {
  const { r, c, flush } = setup();
  c.start();
  r.hold("blocker");
  // Fill concurrency so "k" stays queued.
  for (const k of ["blocker", "b2", "b3", "b4"]) {
    if (k !== "blocker") r.hold(k);
    c.enqueue(k);
  }
  c.enqueue("k");
  c.enqueue("k");
  c.enqueue("k");
  for (const k of ["blocker", "b2", "b3", "b4"]) r.release(k);
  await flush();
  assert.equal(r.count("k"), 1);
  c.stop();
});

test("the same key never reconciles concurrently; enqueued during a run → runs once more after", async () => {
  const { r, c, flush } = setup();
  c.start();
  r.hold("k");
  c.enqueue("k");
  await new Promise<void>((res) => setImmediate(res));
  assert.equal(r.count("k"), 1);
  c.enqueue("k");
  c.enqueue("k");
  await new Promise<void>((res) => setImmediate(res));
  assert.equal(r.count("k"), 1, "not started concurrently");
  r.release("k");
  await flush();
  assert.equal(r.count("k"), 2, "re-run once after the running pass");
  assert.equal(r.maxConcurrentPerKey, 1);
  c.stop();
});

test("different keys run concurrently up to the concurrency limit", async () => {
  const { r, c } = setup();
  c.start();
  for (const k of ["a", "b", "c", "d", "e"]) {
    r.hold(k);
    c.enqueue(k);
  }
  await new Promise<void>((res) => setImmediate(res));
  assert.equal(r.calls.length, 4, "default concurrency 4");
  for (const k of ["a", "b", "c", "d", "e"]) r.release(k);
  await c.idle();
  await new Promise<void>((res) => setImmediate(res));
  await c.idle();
  assert.equal(r.calls.length, 5);
  c.stop();
});

test("requeueAfterMs: the key runs again only once the clock reaches the due time (tick)", async () => {
  const { clock, r, c, flush } = setup();
  r.behaviour = (_k, n) => (n === 1 ? { requeueAfterMs: 5000 } : {});
  c.start();
  c.enqueue("k");
  await flush();
  assert.equal(r.count("k"), 1);
  clock.advance(4999);
  c.tick();
  await flush();
  assert.equal(r.count("k"), 1, "not yet due");
  clock.advance(1);
  c.tick();
  await flush();
  assert.equal(r.count("k"), 2);
  assert.equal(r.calls[1]!.at, 5000);
  clock.advance(60_000);
  c.tick();
  await flush();
  assert.equal(r.count("k"), 2, "no requeue requested the second time");
  c.stop();
});

test("requeueAfter keeps only the earliest due time", async () => {
  const { clock, r, c, flush } = setup();
  c.start();
  c.enqueueAfter("k", 10_000);
  c.enqueueAfter("k", 2_000);
  c.enqueueAfter("k", 5_000);
  clock.advance(2_000);
  c.tick();
  await flush();
  assert.equal(r.count("k"), 1);
  clock.advance(20_000);
  c.tick();
  await flush();
  assert.equal(r.count("k"), 1, "later requests were merged into the earliest");
  c.stop();
});

test("the timer loop ticks on ManualClock.advance without explicit tick()", async () => {
  const { clock, r, c, flush } = setup();
  r.behaviour = (_k, n) => (n === 1 ? { requeueAfterMs: 1000 } : {});
  c.start();
  c.enqueue("k");
  await flush();
  clock.advance(1000);
  await flush();
  clock.advance(100);
  await flush();
  assert.equal(r.count("k"), 2);
  c.stop();
});

test("errors retry with exponential backoff (capped), success resets it", async () => {
  const { clock, r, c, flush, logs } = setup({ maxBackoffMs: 1000 });
  let failUntil = 4;
  r.behaviour = (_k, n) => {
    if (n <= failUntil) throw new Error(`boom ${n}`);
  };
  c.start();
  c.enqueue("k");
  await flush();
  assert.equal(r.count("k"), 1);
  const dueTimes: number[] = [];
  for (let t = 0; t < 5000 && r.count("k") < 5; t += 10) {
    const before = r.count("k");
    clock.advance(10);
    c.tick();
    await flush();
    if (r.count("k") > before) dueTimes.push(clock.now());
  }
  // attempt n waits min(max, 100·2^n): 200, 400, 800, 1000 (capped)
  assert.deepEqual(
    dueTimes.map((t, i) => t - (i === 0 ? 0 : dueTimes[i - 1]!)),
    [200, 400, 800, 1000],
  );
  assert.equal(logs.length, 4);
  assert.match(logs[0]!, /fake k failed \(attempt 1, retry in 200 ms\): Error: boom 1/);
  // after the success, a later failure starts from the first backoff again
  failUntil = 5;
  r.behaviour = (_k, n) => {
    if (n === 6) throw new Error("again");
  };
  c.enqueue("k");
  await flush();
  assert.equal(r.count("k"), 6);
  assert.match(logs.at(-1)!, /attempt 1, retry in 200 ms/);
  c.stop();
});

test("periodic resync re-enqueues listKeys()", async () => {
  const { clock, r, c, flush } = setup({ resyncMs: 10_000 });
  r.keys = ["a"];
  c.start();
  await flush();
  assert.equal(r.count("a"), 1);
  for (let i = 0; i < 100; i++) {
    clock.advance(100);
    await flush();
  }
  assert.equal(r.count("a"), 2);
  c.stop();
});

test("stop() halts processing of new keys", async () => {
  const { r, c, flush } = setup();
  c.start();
  c.stop();
  c.enqueue("k");
  await new Promise<void>((res) => setImmediate(res));
  assert.equal(r.count("k"), 0);
  c.start();
  await flush();
  assert.equal(r.count("k"), 1, "restart picks up the queued key");
  c.stop();
});
