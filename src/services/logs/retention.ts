/**
 * Retention: a group's retentionInDays (one of the values the API allows) and the expiry of events
 * older than it. See
 * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html
 */
import type * as cwl from "@aws-sdk/client-cloudwatch-logs";
import type { Scope } from "../../core/arn.ts";
import { DAY_MS, type LogsDeps } from "./context.ts";
import { constraint } from "./errors.ts";
import type { Groups } from "./groups.ts";
import type { LogsRepo } from "./repo.ts";

export const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

export class Retention {
  readonly #deps: LogsDeps;
  readonly #repo: LogsRepo;
  readonly #groups: Groups;

  constructor(deps: LogsDeps, repo: LogsRepo, groups: Groups) {
    this.#deps = deps;
    this.#repo = repo;
    this.#groups = groups;
  }

  put(scope: Scope, input: cwl.PutRetentionPolicyRequest): void {
    const days = input.retentionInDays;
    if (days === undefined || !(RETENTION_DAYS as readonly number[]).includes(days))
      throw constraint(days, "retentionInDays", `Member must satisfy enum value set: [${RETENTION_DAYS.join(", ")}]`);
    this.#deps.store.tx(() => {
      const { group } = this.#groups.resolve(scope, input.logGroupName);
      this.#repo.setRetention(group.id, days);
    });
  }

  delete(scope: Scope, input: cwl.DeleteRetentionPolicyRequest): void {
    this.#deps.store.tx(() => {
      const { group } = this.#groups.resolve(scope, input.logGroupName);
      this.#repo.setRetention(group.id, null);
    });
  }

  /** One expiry pass: deletes events older than their group's retention; returns how many. */
  expire(): number {
    const now = this.#deps.clock.now();
    let n = 0;
    this.#deps.store.tx(() => {
      for (const g of this.#repo.groupsWithRetention()) n += this.#repo.purgeBefore(g.id, now - g.retention_days! * DAY_MS);
    });
    return n;
  }
}
