/**
 * The CloudWatch domain (metrics and alarms): one object the handlers, the platform's metric
 * publishers and the periodic jobs share. Nothing here knows HTTP.
 */
import { parseArn } from "../../core/arn.ts";
import type { Clock } from "../../core/clock.ts";
import type { Store } from "../../store/store.ts";
import { Tagging } from "../common/tagging.ts";
import { Alarms } from "./alarms.ts";
import { errors } from "./errors.ts";
import { Metrics } from "./metrics.ts";
import { CloudWatchRepo } from "./repo.ts";

export interface CloudWatchDeps {
  readonly store: Store;
  readonly clock: Clock;
}

export class CloudWatch {
  readonly repo: CloudWatchRepo;
  readonly metrics: Metrics;
  readonly alarms: Alarms;
  readonly tags: Tagging;

  constructor(deps: CloudWatchDeps) {
    this.repo = new CloudWatchRepo(deps.store);
    this.metrics = new Metrics(this.repo, deps.clock);
    this.alarms = new Alarms(this.repo, this.metrics, deps.clock);
    this.tags = new Tagging(deps.store, {
      resolve: (arn) => {
        const p = parseArn(arn);
        const name = p?.service === "cloudwatch" && p.resource.startsWith("alarm:") ? p.resource.slice("alarm:".length) : undefined;
        if (!p || name === undefined || !this.alarms.get({ accountId: p.accountId, region: p.region }, name)) throw errors.resourceNotFound(arn);
        return arn;
      },
      validate: (_added, merged) => {
        if (merged.length > 50) throw errors.invalidValue("The collection Tags must not have a size greater than 50.");
      },
    });
  }

  /** The periodic clean-up: expired datapoints and history. */
  expire(): void {
    this.metrics.expire();
    this.alarms.expireHistory();
  }
}
