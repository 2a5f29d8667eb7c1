/**
 * Memory back after a burst. Under sustained API traffic V8 grows its heap and keeps the pages once
 * the traffic stops: a server that mostly idles would sit at its peak. So when a check finds that
 * no request has arrived since the previous check, and requests (or start-up) have come since the
 * last collection, one last-resort garbage collection runs (V8 compacts the heap and gives the
 * freed pages back to the OS).
 * Level-triggered: each check looks only at the request count, so a missed or repeated check
 * changes nothing. Busy servers are never interrupted; an idle one collects once, not repeatedly.
 * docs/benchmarks.md has the RSS series with and without it (bench/soak.ts).
 */
import { v8Gc } from "../core/gc.ts";

export class IdleCollector {
  readonly #collect: () => void;
  readonly #requests: () => number;
  #seen: number;
  /** The request count at the last collection; -1: start-up's garbage is still to collect. */
  #collectedAt = -1;
  #collections = 0;

  /** `requests`: how many requests have arrived so far (a running total); `collect`: a full GC. */
  constructor(requests: () => number, collect: () => void) {
    this.#requests = requests;
    this.#collect = collect;
    this.#seen = requests();
  }

  /** One check: true when it collected. */
  check(): boolean {
    const now = this.#requests();
    if (now !== this.#seen) {
      this.#seen = now; // busy since the last check: not now
      return false;
    }
    if (now === this.#collectedAt) return false; // idle, and already collected since the last request
    this.#collectedAt = now;
    this.#collect();
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
