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

/**
 * A call's scope and its caller, for the operations that record who made a resource
 * (CreateService's createdBy, RegisterTaskDefinition's registeredBy). A RequestContext is one.
 */
export interface CallScope extends Scope {
  readonly principalArn: string;
}

/** `{ [key]: value }` when value is defined, else `{}`: keeps optional members absent. */
export function opt<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
