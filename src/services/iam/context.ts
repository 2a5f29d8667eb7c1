import { arn, type Scope } from "../../core/arn.ts";
import type { Clock } from "../../core/clock.ts";
import type { IdGen } from "../../core/ids.ts";
import type { TextSealer } from "../../core/sealed-text.ts";
import type { Store } from "../../store/store.ts";

/** What the IAM/STS domain needs: no HTTP, no wire format. */
export interface IamDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly ids: IdGen;
  /**
   * Seals secret access keys and session credentials at rest (the data directory's master key);
   * default: a key held only in memory (unit tests).
   */
  readonly secrets?: TextSealer;
}

/** IAM is global: its ARNs name the account only (`arn:aws:iam::ACCOUNT:…`), whatever the scope's region. */
export const iamArn = (scope: Pick<Scope, "accountId">, resource: string): string =>
  arn("iam", { accountId: scope.accountId, region: "" }, resource, { global: true });
