/** Unit-test wiring: an in-memory Store and a temp data dir with the registry pieces on top. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ManualClock } from "../core/clock.ts";
import { seededIds } from "../core/ids.ts";
import { Store } from "../store/store.ts";
import { type Registry, createRegistry } from "./registry.ts";

export interface RegistryFixture {
  registry: Registry;
  store: Store;
  clock: ManualClock;
  dataDir: string;
  /** A second registry over the same store and files (a restarted process). */
  restart(): Registry;
  close(): void;
}

export function registryFixture(): RegistryFixture {
  const dataDir = mkdtempSync(join(tmpdir(), "slipway-registry-unit-"));
  const store = new Store(":memory:");
  const clock = new ManualClock();
  const make = (seed: string) =>
    createRegistry({ store, dataDir, clock, ids: seededIds(seed), defaultAccountId: "123456789012", defaultRegion: "us-east-1", log: () => {} });
  let n = 0;
  return {
    registry: make("registry"),
    store,
    clock,
    dataDir,
    restart: () => make(`restart-${n++}`),
    close: () => {
      store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
