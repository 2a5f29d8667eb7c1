/**
 * GetMetricData: MetricStat queries and metric-math expressions over them, labels, ScanBy and
 * MaxDatapoints paging. Also the evaluator math alarms use.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html
 */
import { createHash } from "node:crypto";
import type * as cw from "@aws-sdk/client-cloudwatch";
import type { Scope } from "../../core/arn.ts";
import { errors } from "./errors.ts";
import { evaluate, type Labeled, MathError, type MathValue, parse, references, type Series } from "./math.ts";
import { checkPeriod, type Metrics } from "./metrics.ts";
import { percentileOf, statistic } from "./statistics.ts";

const DEFAULT_MAX_DATAPOINTS = 100_800;
const ID = /^[a-z][a-zA-Z0-9_]*$/;

/** Checks queries the way GetMetricData and PutMetricAlarm (Metrics) both do; `at` is the list's parameter name. */
export function checkQueries(queries: readonly cw.MetricDataQuery[], at: string): void {
  const seen = new Set<string>();
  queries.forEach((q, i) => {
    const p = `${at}.member.${i + 1}`;
    const id = q.Id ?? "";
    if (!ID.test(id)) {
      throw errors.invalidValue(`The value ${id} for parameter ${p}.Id is not valid. The first character must be a lower-case letter, and the rest letters, numbers or underscores.`);
    }
    if (seen.has(id)) throw errors.invalidValue(`The values for parameter id in ${at} are not unique.`);
    seen.add(id);
    if (q.MetricStat && q.Expression !== undefined) throw errors.mutuallyExclusive(`${p}.MetricStat`, `${p}.Expression`);
    if (!q.MetricStat && q.Expression === undefined) throw errors.missing(`The parameter ${p}.MetricStat or ${p}.Expression is required.`);
    if (q.MetricStat) {
      const ms = q.MetricStat;
      if (!ms.Metric?.MetricName) throw errors.missing(`The parameter ${p}.MetricStat.Metric.MetricName is required.`);
      checkPeriod(ms.Period ?? 0, `${p}.MetricStat.Period`);
      const stat = ms.Stat ?? "";
      if (!["SampleCount", "Average", "Sum", "Minimum", "Maximum"].includes(stat) && percentileOf(stat) === undefined) {
        throw errors.invalidValue(`The value ${stat} for parameter ${p}.MetricStat.Stat is not supported.`);
      }
    } else {
      try {
        parse(q.Expression ?? "");
      } catch (err) {
        throw errors.invalidValue(`Error in expression ${id}: ${(err as Error).message}`);
      }
      if (q.Period !== undefined) checkPeriod(q.Period, `${p}.Period`);
    }
  });
}

/**
 * Every query's value over [start, end) (seconds): a MetricStat is one labeled series of its
 * statistic per period; an expression whatever its math gives. Cycles and unknown ids fail.
 */
export function evaluateQueries(metrics: Metrics, scope: Scope, queries: readonly cw.MetricDataQuery[], start: number, end: number): Map<string, MathValue> {
  const byId = new Map(queries.map((q) => [q.Id ?? "", q]));
  const values = new Map<string, MathValue>();
  const stats: Labeled[] = [];
  const visiting = new Set<string>();
  const periodOf = (q: cw.MetricDataQuery): number => {
    if (q.MetricStat) return q.MetricStat.Period ?? 60;
    if (q.Period) return q.Period;
    let p = 0;
    for (const id of references(parse(q.Expression ?? ""))) {
      const r = byId.get(id);
      if (r) p = Math.max(p, periodOf(r));
    }
    return p || 60;
  };
  const valueOfId = (id: string): MathValue | undefined => {
    const hit = values.get(id);
    if (hit !== undefined) return hit;
    const q = byId.get(id);
    if (!q) return undefined;
    if (visiting.has(id)) throw errors.invalidValue(`Error in expression ${id}: Circular dependency`);
    visiting.add(id);
    let v: MathValue;
    if (q.MetricStat) {
      v = statSeries(metrics, scope, q, start, end);
    } else {
      try {
        v = evaluate(parse(q.Expression ?? ""), {
          ref: valueOfId,
          metrics: (filter) => {
            for (const other of queries) if (other.MetricStat) valueOfId(other.Id ?? "");
            return filter ? stats.filter((s) => s.label.includes(filter)) : stats;
          },
          period: periodOf(q),
        });
      } catch (err) {
        if (!(err instanceof MathError)) throw err;
        throw errors.invalidValue(`Error in expression ${id}: ${err.message}`);
      }
      if (typeof v !== "number" && !Array.isArray(v) && !v.label) v = { label: q.Label ?? id, series: v.series };
    }
    visiting.delete(id);
    values.set(id, v);
    if (q.MetricStat && typeof v !== "number" && !Array.isArray(v)) stats.push(v);
    return v;
  };
  for (const q of queries) valueOfId(q.Id ?? "");
  return values;
}

function statSeries(metrics: Metrics, scope: Scope, q: cw.MetricDataQuery, start: number, end: number): Labeled {
  const ms = q.MetricStat!;
  const m = ms.Metric!;
  const id = metrics.metricId(scope, m.Namespace ?? "", m.MetricName ?? "", m.Dimensions);
  const series: Series = new Map();
  if (id !== undefined) {
    const w = metrics.align(start, end, ms.Period ?? 60);
    for (const p of metrics.periods(id, w, ms.Unit)) {
      const v = statistic(p.bucket, ms.Stat ?? "Average");
      if (v !== undefined && !series.has(p.ts)) series.set(p.ts, v);
    }
  }
  return { label: q.Label ?? m.MetricName ?? "", series };
}

export function getMetricData(metrics: Metrics, scope: Scope, input: cw.GetMetricDataInput): cw.GetMetricDataOutput {
  const queries = input.MetricDataQueries ?? [];
  if (queries.length === 0) throw errors.missing("The parameter MetricDataQueries is required.");
  if (queries.length > 500) throw errors.invalidValue("The collection MetricDataQueries must not have a size greater than 500.");
  checkQueries(queries, "MetricDataQueries");
  const start = input.StartTime!.getTime() / 1000;
  const end = input.EndTime!.getTime() / 1000;
  if (start >= end) throw errors.startAfterEnd();
  const max = input.MaxDatapoints ?? DEFAULT_MAX_DATAPOINTS;
  if (max < 1) throw errors.invalidValue("The parameter MaxDatapoints must be greater than 0.");
  const ascending = input.ScanBy === "TimestampAscending";
  const fingerprint = createHash("sha256").update(JSON.stringify({ q: queries, s: start, e: end, b: input.ScanBy })).digest("hex").slice(0, 16);
  let skip = 0;
  if (input.NextToken !== undefined) {
    const m = /^gmd1:([0-9a-f]{16}):(\d+)$/.exec(Buffer.from(input.NextToken, "base64url").toString("utf8"));
    if (!m || m[1] !== fingerprint) throw errors.badToken();
    skip = Number(m[2]);
  }

  const values = evaluateQueries(metrics, scope, queries, start, end);
  const results: cw.MetricDataResult[] = [];
  let budget = max;
  let position = 0;
  let truncated = false;
  for (const q of queries) {
    if (q.ReturnData === false) continue;
    const v = values.get(q.Id ?? "")!;
    const outs: Labeled[] =
      typeof v === "number" ? [{ label: q.Label ?? q.Id ?? "", series: scalarSeries(v, start, end, q.Period ?? 60) }] : Array.isArray(v) ? v : [v];
    for (const s of outs) {
      const pts = [...s.series].filter(([, x]) => Number.isFinite(x)).sort((a, b) => (ascending ? a[0] - b[0] : b[0] - a[0]));
      const from = Math.min(pts.length, Math.max(0, skip - position));
      position += pts.length;
      const take = Math.min(pts.length - from, budget);
      const page = pts.slice(from, from + take);
      budget -= take;
      const partial = from + take < pts.length;
      if (partial) truncated = true;
      results.push({
        Id: q.Id,
        Label: q.Label ?? (s.label || q.Id),
        Timestamps: page.map(([t]) => new Date(t * 1000)),
        Values: page.map(([, x]) => x),
        StatusCode: partial ? "PartialData" : "Complete",
        Messages: [],
      });
    }
  }
  const out: cw.GetMetricDataOutput = { MetricDataResults: results, Messages: [] };
  if (truncated) out.NextToken = Buffer.from(`gmd1:${fingerprint}:${skip + (max - budget)}`).toString("base64url");
  return out;
}

function scalarSeries(v: number, start: number, end: number, period: number): Series {
  const s: Series = new Map();
  for (let t = Math.floor(start / period) * period; t < end; t += period) s.set(t, v);
  return s;
}
