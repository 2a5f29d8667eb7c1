/** What the CloudWatch Logs domain modules share: no HTTP, no wire format. */
import type { Clock } from "../../core/clock.ts";
import type { IdGen } from "../../core/ids.ts";
import type { Store } from "../../store/store.ts";
import { constraint } from "./errors.ts";

export interface LogsDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly ids: IdGen;
}

export const DAY_MS = 86_400_000;

/** A request's `limit`: `fallback` when absent, else an integer in [1, max]. */
export function checkLimit(limit: number | undefined, max: number, fallback: number): number {
  if (limit === undefined) return fallback;
  if (!Number.isInteger(limit) || limit < 1 || limit > max)
    throw constraint(limit, "limit", limit < 1 ? "Member must have value greater than or equal to 1" : `Member must have value less than or equal to ${max}`);
  return limit;
}
