/** What the KMS domain modules share: no HTTP, no wire format. */
import type { Clock } from "../../core/clock.ts";
import type { IdGen } from "../../core/ids.ts";
import type { Store } from "../../store/store.ts";
import type { MasterKey } from "./master-key.ts";

export interface KmsDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly ids: IdGen;
  /** Wraps every key's material at rest. */
  readonly masterKey: MasterKey;
}

export const DAY_MS = 86_400_000;

/** Key ids are lowercase UUIDs (multi-Region keys, which Slipway does not make, are mrk- + 32 hex). */
export const KEY_ID = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$/;
