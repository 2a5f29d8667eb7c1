/**
 * The CloudWatch Logs domain, assembled: log groups, streams, events and retention in SQLite
 * (repo.ts), tags through the shared Tagging. What the handlers and the awslogs driver
 * (src/awslogs) share; knows nothing of HTTP.
 */
import type { Scope } from "../../core/arn.ts";
import { Tagging } from "../common/tagging.ts";
import type { LogsDeps } from "./context.ts";
import { Events, type ResumePoint } from "./events.ts";
import { Groups, taggableGroup } from "./groups.ts";
import { MetricFilters } from "./metric-filters.ts";
import { LogsRepo, type NewEvent } from "./repo.ts";
import { Retention } from "./retention.ts";
import { Streams } from "./streams.ts";

export class Logs {
  readonly deps: LogsDeps;
  readonly repo: LogsRepo;
  readonly tagging: Tagging;
  readonly groups: Groups;
  readonly streams: Streams;
  readonly events: Events;
  readonly retention: Retention;
  /** Metric filters: their API, and the datapoints appended events make. */
  readonly metricFilters: MetricFilters;

  constructor(deps: LogsDeps) {
    this.deps = deps;
    this.repo = new LogsRepo(deps.store);
    this.tagging = new Tagging(deps.store, { resolve: (arn) => taggableGroup(this.repo, arn) });
    this.groups = new Groups(deps, this.repo, this.tagging);
    this.streams = new Streams(deps, this.repo, this.groups);
    this.events = new Events(deps, this.repo, this.groups);
    this.retention = new Retention(deps, this.repo, this.groups);
    this.metricFilters = new MetricFilters(this.repo, deps.clock);
    this.events.onAppend = (scope, group, events) => this.metricFilters.apply(scope, group, events);
  }

  /** One retention pass (src/server schedules it): deletes expired events; returns how many. */
  expireRetention(): number {
    return this.retention.expire();
  }

  // ---- what the awslogs driver writes through (src/awslogs/shipper.ts, LogSink) ----

  /** True when the group exists; creates it when missing and `create` is set. */
  ensureGroup(scope: Scope, name: string, create: boolean): boolean {
    return this.groups.ensure(scope, name, create);
  }

  /** Creates the stream if missing; ResourceNotFoundException if the group is missing. */
  ensureStream(scope: Scope, group: string, stream: string): void {
    this.streams.ensure(scope, group, stream);
  }

  /** Appends shipped lines (sorted by the caller) with ingestionTime = now. */
  ingest(scope: Scope, group: string, stream: string, events: readonly NewEvent[]): void {
    this.events.ingest(scope, group, stream, events);
  }

  /** Where shipping into a stream left off, for resuming after a restart. */
  resumePoint(scope: Scope, group: string, stream: string): ResumePoint | undefined {
    return this.events.resumePoint(scope, group, stream);
  }
}
