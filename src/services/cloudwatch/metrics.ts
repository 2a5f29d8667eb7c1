/**
 * Metric data: PutMetricData (and the platform's own publishers), GetMetricStatistics, ListMetrics.
 * Datapoints are aggregated on arrival into buckets at each resolution CloudWatch keeps, and each
 * resolution expires on AWS's schedule: 1-second data 3 hours, 1-minute data 15 days, 5-minute
 * data 63 days, 1-hour data 455 days.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricStatistics.html
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricData.html
 */
import type * as cw from "@aws-sdk/client-cloudwatch";
import type { Scope } from "../../core/arn.ts";
import type { Clock } from "../../core/clock.ts";
import { offsetPage } from "../common/paginate.ts";
import { errors } from "./errors.ts";
import type { BucketRow, CloudWatchRepo } from "./repo.ts";
import {
  BASIC_STATISTICS,
  type Bucket,
  bucketOfStatisticSet,
  bucketOfValues,
  merge,
  packValues,
  percentileOf,
  statistic,
  unpackValues,
} from "./statistics.ts";

const HOUR = 3600;
const DAY = 86_400;

/** Stored resolutions (seconds) and how long each is kept. */
export const RETENTION: ReadonlyArray<{ res: number; keep: number }> = [
  { res: 1, keep: 3 * HOUR },
  { res: 60, keep: 15 * DAY },
  { res: 300, keep: 63 * DAY },
  { res: 3600, keep: 455 * DAY },
];

const HIGH_RES_PERIODS = new Set([1, 5, 10, 20, 30]);
const MAX_DATAPOINTS = 1440;
const MAX_DATUMS = 1000;
const MAX_VALUES = 150;
const MAX_DIMENSIONS = 30;
const PAST_LIMIT = 14 * DAY;
const FUTURE_LIMIT = 2 * HOUR;
/** Metric ids kept in memory at most (the cache is cleared past it). */
const CACHE_LIMIT = 100_000;
const ROLLED_UNTIL = "rolled_until";
/** A metric's last-seen time is kept to within this many seconds. */
const TOUCH_EVERY = 600;
/** ListMetrics hides metrics with no data for two weeks. */
const LIST_HORIZON = 14 * DAY;

export interface Dimension {
  readonly Name: string;
  readonly Value: string;
}

/** What one sample set adds to a metric (the platform's publishers use this directly). */
export interface Sample {
  readonly namespace: string;
  readonly name: string;
  readonly dimensions: readonly Dimension[];
  /** Epoch ms. */
  readonly timestamp: number;
  readonly unit?: string;
  /** 1 (high resolution) or 60. */
  readonly storageResolution?: number;
  readonly bucket: Bucket;
}

/** The identity of a metric's dimension set: sorted, so order never matters. */
export function canonicalDims(dims: readonly { Name?: string; Value?: string }[] | undefined): string {
  const pairs = (dims ?? []).map((d) => [d.Name ?? "", d.Value ?? ""] as [string, string]);
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return JSON.stringify(pairs);
}

export function dimsOf(canonical: string): Dimension[] {
  return (JSON.parse(canonical) as [string, string][]).map(([Name, Value]) => ({ Name, Value }));
}

export class Metrics {
  readonly #repo: CloudWatchRepo;
  readonly #clock: Clock;

  constructor(repo: CloudWatchRepo, clock: Clock) {
    this.#repo = repo;
    this.#clock = clock;
    repo.store.onRollback(() => this.#ids.clear());
  }

  // ---- writing ----

  putMetricData(scope: Scope, input: cw.PutMetricDataInput): void {
    const namespace = input.Namespace ?? "";
    if (namespace.startsWith("AWS/")) throw errors.invalidValue(`The value ${namespace} for parameter Namespace is invalid.`);
    const data = input.MetricData ?? [];
    if (data.length === 0 && (input.EntityMetricData ?? []).length === 0) throw errors.missing("The parameter MetricData is required.");
    if (data.length > MAX_DATUMS) throw errors.invalidValue(`The collection MetricData must not have a size greater than ${MAX_DATUMS}.`);
    const now = this.#clock.now();
    const samples = data.map((d, i) => this.#sample(namespace, d, `MetricData.member.${i + 1}`, now));
    // Entity-associated data is stored as plain metric data: the Entity itself is not kept (README).
    (input.EntityMetricData ?? []).forEach((e, i) => {
      (e.MetricData ?? []).forEach((d, j) => {
        samples.push(this.#sample(namespace, d, `EntityMetricData.member.${i + 1}.MetricData.member.${j + 1}`, now));
      });
    });
    if (samples.length > MAX_DATUMS) throw errors.invalidValue(`The collection MetricData must not have a size greater than ${MAX_DATUMS}.`);
    this.publish(scope, samples);
  }

  /**
   * Adds samples (already valid) in one transaction; `AWS/*` namespaces are allowed here. Data
   * lands at 1-minute resolution (and 1-second for high-resolution samples); roll-up() makes the
   * 5-minute and 1-hour buckets once minute data can no longer change.
   */
  publish(scope: Scope, samples: readonly Sample[]): void {
    if (samples.length === 0) return;
    this.#repo.store.tx(() => {
      for (const s of samples) {
        const tsSec = Math.floor(s.timestamp / 1000);
        const id = this.#metricIdFor(scope, s.namespace, s.name, canonicalDims(s.dimensions), tsSec);
        const unit = s.unit ?? "None";
        const b = { count: s.bucket.count, sum: s.bucket.sum, min: s.bucket.min, max: s.bucket.max, vals: packValues(s.bucket) };
        this.#repo.addToBucket(id, 60, tsSec - (tsSec % 60), unit, b);
        if (s.storageResolution === 1) this.#repo.addToBucket(id, 1, tsSec, unit, b);
      }
    });
  }

  /**
   * Metric ids by identity, with the last-seen time already recorded for the metric (its row is
   * rewritten at most every TOUCH_EVERY seconds of data, which is all ListMetrics' 3-hour and
   * 2-week windows need). Bounded: cleared past CACHE_LIMIT and after a rolled-back transaction.
   */
  readonly #ids = new Map<string, { id: number; lastTs: number }>();

  #metricIdFor(scope: Scope, namespace: string, name: string, dims: string, tsSec: number): number {
    const key = `${scope.accountId}\u0000${scope.region}\u0000${namespace}\u0000${name}\u0000${dims}`;
    const hit = this.#ids.get(key);
    if (hit && tsSec < hit.lastTs + TOUCH_EVERY) return hit.id;
    const id = this.#repo.touchMetric(scope, namespace, name, dims, tsSec);
    if (this.#ids.size >= CACHE_LIMIT) this.#ids.clear();
    this.#ids.set(key, { id, lastTs: Math.max(hit?.lastTs ?? 0, tsSec) });
    return id;
  }

  /**
   * Rolls 1-minute buckets up into 5-minute and 1-hour buckets, for whole hours older than the
   * oldest timestamp PutMetricData accepts (14 days) plus an hour, so minute data rolled never
   * changes again; it runs before minute data expires at 15 days.
   */
  rollUp(): number {
    const now = Math.floor(this.#clock.now() / 1000);
    const cutoff = Math.floor((now - PAST_LIMIT - HOUR) / HOUR) * HOUR;
    let done = this.#repo.meta(ROLLED_UNTIL);
    if (done === undefined) {
      const oldest = this.#repo.oldestBucket(60);
      if (oldest === undefined) return 0;
      done = Math.floor(oldest / HOUR) * HOUR;
    }
    let rows = 0;
    for (let from = done; from < cutoff; from += HOUR) {
      this.#repo.store.tx(() => {
        for (const row of this.#repo.bucketsBetween(60, from, from + HOUR)) {
          const b = { count: row.count, sum: row.sum, min: row.min, max: row.max, vals: row.vals };
          this.#repo.addToBucket(row.metric_id, 300, row.ts - (row.ts % 300), row.unit, b);
          this.#repo.addToBucket(row.metric_id, 3600, row.ts - (row.ts % 3600), row.unit, b);
          rows++;
        }
        this.#repo.setMeta(ROLLED_UNTIL, from + HOUR);
      });
    }
    return rows;
  }

  /** Where rolled-up data ends: periods after it are read from minute data. */
  #rolledUntil(): number {
    return this.#repo.meta(ROLLED_UNTIL) ?? Number.NEGATIVE_INFINITY;
  }

  #sample(namespace: string, d: cw.MetricDatum, at: string, now: number): Sample {
    const has = (v: unknown) => v !== undefined;
    if (has(d.Value) && has(d.Values)) throw errors.mutuallyExclusive(`${at}.Value`, `${at}.Values`);
    if (has(d.Value) && has(d.StatisticValues)) throw errors.mutuallyExclusive(`${at}.Value`, `${at}.StatisticValues`);
    if (has(d.Values) && has(d.StatisticValues)) throw errors.mutuallyExclusive(`${at}.Values`, `${at}.StatisticValues`);
    if ((d.Dimensions ?? []).length > MAX_DIMENSIONS) {
      throw errors.invalidValue(`The collection ${at}.Dimensions must not have a size greater than ${MAX_DIMENSIONS}.`);
    }
    (d.Dimensions ?? []).forEach((dim, j) => {
      if (!dim.Name) throw errors.missing(`The parameter ${at}.Dimensions.member.${j + 1}.Name is required.`);
      if (dim.Value === undefined || dim.Value === "") throw errors.missing(`The parameter ${at}.Dimensions.member.${j + 1}.Value is required.`);
    });
    if (d.StorageResolution !== undefined && d.StorageResolution !== 1 && d.StorageResolution !== 60) {
      throw errors.invalidValue(`The value ${d.StorageResolution} for parameter ${at}.StorageResolution is invalid. Valid values are 1 and 60.`);
    }
    const timestamp = d.Timestamp ? d.Timestamp.getTime() : now;
    if (timestamp < now - PAST_LIMIT * 1000 || timestamp > now + FUTURE_LIMIT * 1000) {
      throw errors.invalidValue(`The parameter ${at}.Timestamp must specify a time no more than two weeks in the past and no more than two hours in the future.`);
    }
    const finite = (v: number, param: string) => {
      if (!Number.isFinite(v) || Math.abs(v) > 2 ** 360) throw errors.invalidValue(`The value ${v} for parameter ${param} is invalid.`);
      return v;
    };
    let bucket: Bucket;
    if (d.StatisticValues) {
      const s = d.StatisticValues;
      for (const k of ["SampleCount", "Sum", "Minimum", "Maximum"] as const) {
        if (s[k] === undefined) throw errors.missing(`The parameter ${at}.StatisticValues.${k} is required.`);
        finite(s[k], `${at}.StatisticValues.${k}`);
      }
      if (s.SampleCount! <= 0) throw errors.invalidValue(`The value ${s.SampleCount} for parameter ${at}.StatisticValues.SampleCount is invalid.`);
      bucket = bucketOfStatisticSet(s as { SampleCount: number; Sum: number; Minimum: number; Maximum: number });
    } else if (d.Values) {
      if (d.Values.length > MAX_VALUES) throw errors.invalidValue(`The collection ${at}.Values must not have a size greater than ${MAX_VALUES}.`);
      if (d.Counts && d.Counts.length !== d.Values.length) {
        throw errors.invalidValue(`The parameters ${at}.Values and ${at}.Counts must be of the same size.`);
      }
      d.Values.forEach((v, j) => {
        finite(v, `${at}.Values.member.${j + 1}`);
      });
      (d.Counts ?? []).forEach((c, j) => {
        finite(c, `${at}.Counts.member.${j + 1}`);
      });
      bucket = bucketOfValues(d.Values, d.Counts ?? d.Values.map(() => 1));
      if (bucket.count === 0) {
        throw errors.invalidValue(`The parameter ${at}.Values must contain at least one value with a positive count.`);
      }
    } else if (d.Value !== undefined) {
      bucket = bucketOfValues([finite(d.Value, `${at}.Value`)], [1]);
    } else {
      throw errors.combination(`At least one of the parameters ${at}.Value, ${at}.StatisticValues or ${at}.Values must be specified.`);
    }
    return {
      namespace,
      name: d.MetricName ?? "",
      dimensions: (d.Dimensions ?? []).map((x) => ({ Name: x.Name ?? "", Value: x.Value ?? "" })),
      timestamp,
      unit: d.Unit,
      storageResolution: d.StorageResolution,
      bucket,
    };
  }

  // ---- reading ----

  getMetricStatistics(scope: Scope, input: cw.GetMetricStatisticsInput): cw.GetMetricStatisticsOutput {
    const stats = input.Statistics ?? [];
    const extended = input.ExtendedStatistics ?? [];
    if (stats.length > 0 && extended.length > 0) throw errors.mutuallyExclusive("Statistics", "ExtendedStatistics");
    if (stats.length === 0 && extended.length === 0) throw errors.combination("Must specify either Statistics or ExtendedStatistics");
    stats.forEach((s, i) => {
      if (!(BASIC_STATISTICS as readonly string[]).includes(s)) {
        throw errors.invalidValue(`The parameter Statistics.member.${i + 1}.<list element> must be a value in the set [${BASIC_STATISTICS.join(", ")}].`);
      }
    });
    if (stats.length > 5) throw errors.invalidValue("The collection Statistics must not have a size greater than 5.");
    if (extended.length > 10) throw errors.invalidValue("The collection ExtendedStatistics must not have a size greater than 10.");
    extended.forEach((s, i) => {
      checkExtended(s, `ExtendedStatistics.member.${i + 1}`);
    });
    const window = this.window(input.StartTime!, input.EndTime!, input.Period!);
    const id = this.#repo.metricId(scope, input.Namespace ?? "", input.MetricName ?? "", canonicalDims(input.Dimensions));
    const series = id === undefined ? [] : this.periods(id, window, input.Unit);
    const datapoints: cw.Datapoint[] = series.map(({ ts, unit, bucket }) => {
      const dp: cw.Datapoint = { Timestamp: new Date(ts * 1000), Unit: unit as cw.StandardUnit };
      for (const s of stats) (dp as Record<string, unknown>)[s] = statistic(bucket, s);
      if (extended.length > 0) {
        const ext: Record<string, number> = {};
        for (const e of extended) {
          const v = statistic(bucket, e);
          if (v !== undefined) ext[e] = v;
        }
        dp.ExtendedStatistics = ext;
      }
      return dp;
    });
    return { Label: input.MetricName, Datapoints: datapoints };
  }

  /**
   * Checks a period and time range and aligns the start as AWS does: rounded down to the minute
   * (data under 15 days old), 5 minutes (15–63 days) or the hour (older); to the period itself for
   * 1/5/10/20/30-second periods. Too many datapoints → InvalidParameterCombination.
   */
  window(startTime: Date, endTime: Date, period: number): Window {
    checkPeriod(period, "Period");
    const start = startTime.getTime() / 1000;
    const end = endTime.getTime() / 1000;
    if (start >= end) throw errors.startAfterEnd();
    const n = Math.ceil((end - start) / period);
    if (n > MAX_DATAPOINTS) throw errors.tooManyDatapoints(n);
    return this.align(start, end, period);
  }

  /** Aligns without the 1440-datapoint limit (GetMetricData allows more). */
  align(start: number, end: number, period: number): Window {
    const age = this.#clock.now() / 1000 - start;
    const res = period < 60 && age <= 3 * HOUR ? 1 : age <= 15 * DAY ? 60 : age <= 63 * DAY ? 300 : 3600;
    const step = period < 60 ? period : res === 1 ? 60 : res;
    const alignedStart = Math.floor(start / step) * step;
    return { start: alignedStart, end, period, res };
  }

  /** The metric's data merged per period of the window (one entry per period and unit that has data). */
  periods(metricId: number, w: Window, unit?: string): Array<{ ts: number; unit: string; bucket: Bucket }> {
    // A period finer than the data kept for that age has no datapoints (not an error).
    if (w.period % w.res !== 0) return [];
    let rows = this.#repo.buckets(metricId, w.res, w.start, w.end);
    if (w.res > 60) {
      // Rolled-up buckets end where the roll-up has got to; minute data covers the rest.
      const until = Math.max(w.start, this.#rolledUntil());
      rows = rows.filter((r) => r.ts < until).concat(this.#repo.buckets(metricId, 60, until, w.end));
    }
    const byKey = new Map<string, { ts: number; unit: string; bucket: Bucket }>();
    for (const row of rows) {
      if (unit !== undefined && row.unit !== unit) continue;
      const ts = w.start + Math.floor((row.ts - w.start) / w.period) * w.period;
      const key = `${ts}|${row.unit}`;
      const hit = byKey.get(key);
      if (hit) merge(hit.bucket, toBucket(row));
      else byKey.set(key, { ts, unit: row.unit, bucket: toBucket(row) });
    }
    return [...byKey.values()].sort((a, b) => a.ts - b.ts || (a.unit < b.unit ? -1 : 1));
  }

  metricId(scope: Scope, namespace: string, name: string, dims: readonly { Name?: string; Value?: string }[] | undefined): number | undefined {
    return this.#repo.metricId(scope, namespace, name, canonicalDims(dims));
  }

  listMetrics(scope: Scope, input: cw.ListMetricsInput): cw.ListMetricsOutput {
    const now = this.#clock.now() / 1000;
    if (input.RecentlyActive !== undefined && input.RecentlyActive !== "PT3H") {
      throw errors.validation(input.RecentlyActive, "recentlyActive", "Member must satisfy enum value set: [PT3H]");
    }
    const since = input.RecentlyActive === "PT3H" ? now - 3 * HOUR : now - LIST_HORIZON;
    const filters = input.Dimensions ?? [];
    const rows = this.#repo.listMetrics(scope, input.Namespace, input.MetricName).filter((r) => {
      if (r.last_ts < since) return false;
      const dims = JSON.parse(r.dims) as [string, string][];
      return filters.every((f) => dims.some(([n, v]) => n === f.Name && (f.Value === undefined || f.Value === v)));
    });
    const page = offsetPage(rows, 500, input.NextToken, errors.badToken);
    const out: cw.ListMetricsOutput = {
      Metrics: page.items.map((r) => ({ Namespace: r.namespace, MetricName: r.name, Dimensions: dimsOf(r.dims) })),
    };
    if (page.next) out.NextToken = page.next;
    return out;
  }

  /** Drops data past each resolution's retention and metrics left without data (after rolling up). */
  expire(): number {
    this.rollUp();
    const now = Math.floor(this.#clock.now() / 1000);
    let n = 0;
    this.#repo.store.tx(() => {
      for (const { res, keep } of RETENTION) n += this.#repo.expireBuckets(res, now - keep);
      if (this.#repo.dropEmptyMetrics() > 0) this.#ids.clear();
    });
    return n;
  }
}

export interface Window {
  /** Seconds, aligned. */
  readonly start: number;
  readonly end: number;
  readonly period: number;
  /** The stored resolution read. */
  readonly res: number;
}

/** Period: 1, 5, 10, 20, 30 or a multiple of 60. */
export function checkPeriod(period: number, param: string): void {
  if (!Number.isInteger(period) || period < 1) {
    throw errors.invalidValue(`The parameter ${param} must be greater than 0.`);
  }
  if (period < 60 ? !HIGH_RES_PERIODS.has(period) : period % 60 !== 0) {
    throw errors.invalidValue(`The parameter ${param} must be 1, 5, 10, 20, 30, or a multiple of 60.`);
  }
}

/** Extended statistics Slipway computes: percentiles `pNN` / `pNN.NN`. */
export function checkExtended(stat: string, param: string): void {
  if (percentileOf(stat) === undefined) throw errors.invalidValue(`The value ${stat} for parameter ${param} is not supported.`);
}

export function toBucket(row: BucketRow): Bucket {
  const v = unpackValues(row.vals);
  return { count: row.count, sum: row.sum, min: row.min, max: row.max, values: v?.values, weights: v?.weights };
}
