/**
 * Memory back after a burst, and while idle. Under sustained API traffic V8 grows its heap and keeps
 * the pages once the traffic stops: a server that mostly idles would sit at its peak. So when a
 * check finds that no request has arrived since the previous one, and requests (or start-up) have
 * come since the last collection, one last-resort garbage collection runs (V8 compacts the heap and
 * gives the freed pages back to the OS).
 * An idle server still runs its background work (reconcilers, the VPC sync), whose garbage V8
 * promotes and keeps until its old generation reaches a limit: in ten minutes, an idle `slipway up`
 * ran no major GC and its used heap grew from 10.9 to 15.4 MB, which one collection took back to
 * 11.2 MB (docs/benchmarks.md, section 22). So while it stays idle, it collects again once the heap
 * has grown by `regrowthBytes` since the last collection, at most once every `minChecksBetween`
 * checks.
 * A request is an API request or anything the load balancers' data plane serves: a busy load
 * balancer behind a quiet API is busy, and a collection (two mark-compacts, 18-42 ms together while
 * a load balancer served traffic: docs/benchmarks.md, section 23) would stall its traffic.
 * Level-triggered: each check looks only at the request count and the heap's size, so a missed or
 * repeated check changes nothing. Busy servers are never interrupted.
 * docs/benchmarks.md has the RSS series with and without it (bench/soak.ts).
 */
import { getHeapStatistics } from "node:v8";
import { v8Gc } from "../core/gc.ts";

export interface IdleCollectorOptions {
  /** How many requests have arrived so far (a running total: API requests, load-balancer requests and connections). */
  requests: () => number;
  /** A full GC. */
  collect: () => void;
  /** The V8 heap's used bytes (default: `v8.getHeapStatistics().used_heap_size`). */
  heapUsed?: () => number;
  /** Growth of the used heap since the last collection that makes an idle server collect again (default 2 MiB). */
  regrowthBytes?: number;
  /** Checks between two collections of one idle period (default 30: five minutes of 10-second checks). */
  minChecksBetween?: number;
}

export class IdleCollector {
  readonly #collect: () => void;
  readonly #requests: () => number;
  readonly #heapUsed: () => number;
  readonly #regrowth: number;
  readonly #minChecks: number;
  #seen: number;
  /** The request count at the last collection; -1: start-up's garbage is still to collect. */
  #collectedAt = -1;
  /** The used heap just after the last collection, and the checks since it. */
  #heapAfter = 0;
  #checksSince = 0;
  #collections = 0;

  constructor(opts: IdleCollectorOptions) {
    this.#requests = opts.requests;
    this.#collect = opts.collect;
    this.#heapUsed = opts.heapUsed ?? (() => getHeapStatistics().used_heap_size);
    this.#regrowth = opts.regrowthBytes ?? 2 * 1024 * 1024;
    this.#minChecks = opts.minChecksBetween ?? 30;
    this.#seen = opts.requests();
  }

  /** One check: true when it collected. */
  check(): boolean {
    this.#checksSince++;
    const now = this.#requests();
    if (now !== this.#seen) {
      this.#seen = now; // busy since the last check: not now
      return false;
    }
    if (now === this.#collectedAt) {
      // Idle, and collected since the last request: again only once the background work's garbage has grown.
      if (this.#checksSince < this.#minChecks || this.#heapUsed() - this.#heapAfter < this.#regrowth) return false;
    }
    this.#collectedAt = now;
    this.#collect();
    this.#heapAfter = this.#heapUsed();
    this.#checksSince = 0;
    this.#collections++;
    return true;
  }

  /** Collections so far. */
  get collections(): number {
    return this.#collections;
  }
}

/** A last-resort collection: V8's CollectAllAvailableGarbage, which compacts and releases pooled
 * pages, as a heap under memory pressure does; a plain gc() leaves the freed pages with V8. */
export function fullGc(): () => void {
  const gc = v8Gc();
  return () => gc({ type: "major", execution: "sync", flavor: "last-resort" });
}
