import type { Clock } from "../../core/clock.ts";
import type { IdGen } from "../../core/ids.ts";
import type { Scope } from "../../core/arn.ts";
import type { Store } from "../../store/store.ts";

/** What ECS domain code needs: no HTTP, no wire format. */
export interface EcsDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly ids: IdGen;
}

/** One call's scope: which account and region, and who is calling. */
export interface CallScope extends Scope {
  readonly principalArn: string;
}

/** ECS timestamps are Dates on the SDK types; the store keeps epoch milliseconds. */
export const toDate = (ms: number | undefined): Date | undefined => (ms === undefined ? undefined : new Date(ms));
