/**
 * Keeps the data plane's RoutingTable current: rebuilds after any committed ELBv2 write (store
 * change keys `elbv2:*`, debounced to one rebuild per microtask turn) and whenever rebuild() is
 * called (src/server/background.ts does so every second, so draining deadlines expire and
 * requested certificates become servable once issued), and notifies only when the table really
 * changed. ACM writes mark `elbv2:certificate:*` keys, so re-imported certificates reach the
 * listeners at once.
 */
import type { Clock } from "../../core/clock.ts";
import type { RoutingTable } from "../../proxy/routing-table.ts";
import type { Store } from "../../store/store.ts";
import { buildTable, tableKey } from "./build-table.ts";
import type { CertificateSource } from "./listener-certificates.ts";
import { type SourceAddress, withSources } from "./target-sources.ts";
import type { Elbv2Repo } from "./repo.ts";

export type TableListener = (table: RoutingTable) => void;

export class RoutingTableSource {
  readonly #store: Store;
  readonly #repo: Elbv2Repo;
  readonly #clock: Clock;
  #table: RoutingTable;
  #key: string;
  #listeners: TableListener[] = [];
  #scheduled = false;
  #unsubscribe: (() => void) | undefined;

  readonly #certificates: CertificateSource | undefined;
  readonly #sources: ((loadBalancerArn: string) => readonly SourceAddress[]) | undefined;

  /** `sources`: each load balancer's ENI addresses the data plane may connect from (target-sources.ts). */
  constructor(deps: {
    store: Store;
    repo: Elbv2Repo;
    clock: Clock;
    certificates?: CertificateSource;
    sources?: (loadBalancerArn: string) => readonly SourceAddress[];
  }) {
    this.#store = deps.store;
    this.#repo = deps.repo;
    this.#clock = deps.clock;
    this.#certificates = deps.certificates;
    this.#sources = deps.sources;
    this.#table = this.#build();
    this.#key = tableKey(this.#table);
  }

  /** Subscribes to the store's ELBv2 writes. */
  start(): void {
    if (this.#unsubscribe) return;
    this.#unsubscribe = this.#store.onChange((keys) => {
      for (const k of keys) {
        if (k.startsWith("elbv2:")) {
          this.#schedule();
          return;
        }
      }
    });
  }

  stop(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
  }

  current(): RoutingTable {
    return this.#table;
  }

  /** `cb` hears every new table (not the current one); returns an unsubscribe function. */
  onChange(cb: TableListener): () => void {
    this.#listeners.push(cb);
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== cb);
    };
  }

  /** Rebuilds now; returns true when the table changed (listeners were told). */
  rebuild(): boolean {
    this.#scheduled = false;
    let next: RoutingTable;
    try {
      next = this.#build();
    } catch {
      return false; // the store is closing; the next trigger retries
    }
    const key = tableKey(next);
    if (key === this.#key) return false;
    this.#table = next;
    this.#key = key;
    for (const l of this.#listeners) l(next);
    return true;
  }

  #build(): RoutingTable {
    const table = buildTable(this.#repo.loadState(), this.#clock.now(), this.#certificates);
    return this.#sources ? withSources(table, this.#sources) : table;
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      if (this.#scheduled) this.rebuild();
    });
  }
}
