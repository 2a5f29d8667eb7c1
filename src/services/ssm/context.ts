/** What the SSM domain modules share: no HTTP, no wire format. */
import type { Clock } from "../../core/clock.ts";
import type { IdGen } from "../../core/ids.ts";
import type { Store } from "../../store/store.ts";
import type { ParameterKeys } from "./ports.ts";

export interface SsmDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly ids: IdGen;
  readonly keys: ParameterKeys;
}
