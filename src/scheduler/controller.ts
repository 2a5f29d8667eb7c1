/**
 * A keyed work queue in the style of Kubernetes' controller-runtime:
 * - sources only enqueue keys; a key queued twice runs once;
 * - the same key never reconciles concurrently (a key enqueued while running runs again after);
 * - the reconcile result `{ requeueAfterMs }` schedules the next pass; a thrown error is logged
 *   and retried with exponential backoff;
 * - a periodic resync re-enqueues every key `listKeys()` returns, as a safety net.
 * Time comes from the injected Clock, so tests can drive the queue deterministically.
 */
import type { Clock } from "../core/clock.ts";

export interface ReconcileResult {
  requeueAfterMs?: number;
}

export interface Reconciler {
  readonly name: string;
  reconcile(key: string): Promise<ReconcileResult | void>;
  /** Every key that should exist, for resync and start-up. */
  listKeys(): string[];
}

export interface ControllerOptions {
  clock: Clock;
  concurrency?: number;
  resyncMs?: number;
  maxBackoffMs?: number;
  log?: (msg: string) => void;
}

export class Controller<R extends Reconciler = Reconciler> {
  readonly reconciler: R;
  readonly #clock: Clock;
  readonly #concurrency: number;
  readonly #resyncMs: number;
  readonly #maxBackoffMs: number;
  readonly #log: (msg: string) => void;
  #queue: string[] = [];
  #queued = new Set<string>();
  #running = new Set<string>();
  #dirty = new Set<string>();
  /** key → due time of a delayed requeue (only the earliest is kept). */
  #delayed = new Map<string, number>();
  #failures = new Map<string, number>();
  #active = 0;
  #stopped = true;
  #abort = new AbortController();
  #idleWaiters: (() => void)[] = [];

  /**
   * `reconciler` may be a factory that receives this controller's enqueue, for a reconciler that
   * wakes keys itself (the task reconciler, when a background stop finishes).
   */
  constructor(reconciler: R | ((enqueue: (key: string) => void) => R), opts: ControllerOptions) {
    this.reconciler = typeof reconciler === "function" ? reconciler((key) => this.enqueue(key)) : reconciler;
    this.#clock = opts.clock;
    this.#concurrency = opts.concurrency ?? 4;
    this.#resyncMs = opts.resyncMs ?? 10_000;
    this.#maxBackoffMs = opts.maxBackoffMs ?? 30_000;
    this.#log = opts.log ?? (() => {});
  }

  get name(): string {
    return this.reconciler.name;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#abort = new AbortController();
    for (const k of this.reconciler.listKeys()) this.enqueue(k);
    // Keys enqueued while stopped are already queued (enqueue() skips them above): run them now.
    this.#pump();
    void this.#timerLoop();
  }

  stop(): void {
    this.#stopped = true;
    this.#abort.abort(new Error("controller stopped"));
  }

  enqueue(key: string): void {
    if (this.#running.has(key)) {
      this.#dirty.add(key);
      return;
    }
    if (this.#queued.has(key)) return;
    this.#queued.add(key);
    this.#queue.push(key);
    this.#pump();
  }

  enqueueAfter(key: string, ms: number): void {
    const due = this.#clock.now() + ms;
    const current = this.#delayed.get(key);
    if (current === undefined || due < current) this.#delayed.set(key, due);
  }

  /** True when nothing is queued or running (delayed requeues don't count). */
  isIdle(): boolean {
    return this.#active === 0 && this.#queue.length === 0;
  }

  /** Resolves when nothing is queued or running (delayed requeues don't count). For tests. */
  idle(): Promise<void> {
    if (this.#active === 0 && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Moves due delayed keys into the queue; the timer loop calls it, tests may too. */
  tick(): void {
    const now = this.#clock.now();
    for (const [key, due] of this.#delayed) {
      if (due <= now) {
        this.#delayed.delete(key);
        this.enqueue(key);
      }
    }
  }

  async #timerLoop(): Promise<void> {
    let lastResync = this.#clock.now();
    while (!this.#stopped) {
      try {
        await this.#clock.sleep(100, this.#abort.signal);
      } catch {
        return;
      }
      this.tick();
      if (this.#clock.now() - lastResync >= this.#resyncMs) {
        lastResync = this.#clock.now();
        for (const k of this.reconciler.listKeys()) this.enqueue(k);
      }
    }
  }

  #pump(): void {
    while (!this.#stopped && this.#active < this.#concurrency && this.#queue.length > 0) {
      const key = this.#queue.shift()!;
      this.#queued.delete(key);
      this.#running.add(key);
      this.#active++;
      void this.#run(key);
    }
  }

  async #run(key: string): Promise<void> {
    try {
      const result = await this.reconciler.reconcile(key);
      this.#failures.delete(key);
      if (result?.requeueAfterMs !== undefined) this.enqueueAfter(key, result.requeueAfterMs);
    } catch (err) {
      const n = (this.#failures.get(key) ?? 0) + 1;
      this.#failures.set(key, n);
      const backoff = Math.min(this.#maxBackoffMs, 100 * 2 ** Math.min(n, 16));
      this.#log(`${this.reconciler.name} ${key} failed (attempt ${n}, retry in ${backoff} ms): ${(err as Error)?.stack ?? err}`);
      this.enqueueAfter(key, backoff);
    } finally {
      this.#running.delete(key);
      this.#active--;
      if (this.#dirty.delete(key)) this.enqueue(key);
      this.#pump();
      if (this.#active === 0 && this.#queue.length === 0) {
        const waiters = this.#idleWaiters;
        this.#idleWaiters = [];
        for (const w of waiters) w();
      }
    }
  }
}
