/** What the Secrets Manager domain modules share: no HTTP, no wire format. */
import type { Clock } from "../../core/clock.ts";
import type { IdGen } from "../../core/ids.ts";
import type { Store } from "../../store/store.ts";
import type { SecretKeys } from "./ports.ts";

export interface SecretsManagerDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly ids: IdGen;
  readonly keys: SecretKeys;
}

export const DAY_MS = 86_400_000;

/** Midnight UTC of `ms`: LastAccessedDate has date resolution. */
export const dayOf = (ms: number) => ms - (ms % DAY_MS);
