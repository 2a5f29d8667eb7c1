import type { Clock } from "../../core/clock.ts";
import type { IdGen } from "../../core/ids.ts";
import type { Store } from "../../store/store.ts";

/** What the IAM/STS domain needs: no HTTP, no wire format. */
export interface IamDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly ids: IdGen;
}

/** IAM is global: the account is the whole scope (anchors rule 10 minus the region). */
export type Account = string;

export const iamArn = (account: Account, resource: string): string => `arn:aws:iam::${account}:${resource}`;

export interface TagInput {
  Key?: string | undefined;
  Value?: string | undefined;
}
