/**
 * Metric alarms: PutMetricAlarm (single-metric and math), Describe*, Delete, SetAlarmState,
 * Enable/DisableAlarmActions, the history, and evaluation every minute (every 10 seconds for
 * 10/20/30-second alarms) with actions. Auto Scaling policy actions are invoked again on every
 * evaluation while the alarm stays in the state, as CloudWatch does.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html
 */
import type * as cw from "@aws-sdk/client-cloudwatch";
import { arn as buildArn, type Scope } from "../../core/arn.ts";
import type { Clock } from "../../core/clock.ts";
import { offsetPage } from "../common/paginate.ts";
import { errors } from "./errors.ts";
import {
  type AlarmState,
  type Decision,
  decide,
  evaluationRange,
  OPERATORS,
  type Point,
  reasonData,
  reasonText,
  type TreatMissing,
} from "./evaluation.ts";
import { checkQueries, evaluateQueries } from "./metric-data.ts";
import { canonicalDims, checkExtended, type Metrics } from "./metrics.ts";
import type { CloudWatchRepo } from "./repo.ts";
import { statistic } from "./statistics.ts";

const DAY = 86_400;
const HISTORY_RETENTION_MS = 14 * DAY * 1000;
const MAX_ALARMS_PER_REGION = 5000;
const STATES: readonly AlarmState[] = ["OK", "ALARM", "INSUFFICIENT_DATA"];
const TREATMENTS: readonly TreatMissing[] = ["breaching", "notBreaching", "ignore", "missing"];

/** An alarm as stored: the MetricAlarm shape with timestamps as epoch ms. */
export interface AlarmDoc {
  AlarmName: string;
  AlarmArn: string;
  AlarmDescription?: string;
  ActionsEnabled: boolean;
  OKActions: string[];
  AlarmActions: string[];
  InsufficientDataActions: string[];
  StateValue: AlarmState;
  StateReason: string;
  StateReasonData?: string;
  StateUpdatedTimestamp: number;
  StateTransitionedTimestamp: number;
  AlarmConfigurationUpdatedTimestamp: number;
  MetricName?: string;
  Namespace?: string;
  Statistic?: string;
  ExtendedStatistic?: string;
  Dimensions: cw.Dimension[];
  Period?: number;
  Unit?: string;
  EvaluationPeriods: number;
  DatapointsToAlarm?: number;
  Threshold?: number;
  ComparisonOperator: string;
  TreatMissingData?: string;
  EvaluateLowSampleCountPercentile?: string;
  Metrics?: cw.MetricDataQuery[];
  ThresholdMetricId?: string;
}

/** What an alarm action receives (Application Auto Scaling reads the datapoints). */
export interface AlarmEvent {
  readonly scope: Scope;
  readonly alarmName: string;
  readonly alarmArn: string;
  readonly state: AlarmState;
  readonly threshold: number;
  readonly comparisonOperator: string;
  /** The evaluated datapoints, oldest first. */
  readonly values: readonly number[];
}

/** Runs alarm actions Slipway can execute; answers undefined for ARNs it does not handle. */
export interface AlarmActions {
  invoke(arn: string, event: AlarmEvent): { ok: true } | { ok: false; message: string } | undefined;
}

export const alarmArn = (scope: Scope, name: string) => buildArn("cloudwatch", scope, `alarm:${name}`);

/** Auto Scaling policy ARNs are re-invoked each minute while the alarm stays in the state. */
const isScalingPolicy = (arn: string) => /^arn:[^:]+:autoscaling:[^:]*:\d*:scalingPolicy:/.test(arn);

export class Alarms {
  readonly #repo: CloudWatchRepo;
  readonly #metrics: Metrics;
  readonly #clock: Clock;
  actions: AlarmActions = { invoke: () => undefined };

  constructor(repo: CloudWatchRepo, metrics: Metrics, clock: Clock) {
    this.#repo = repo;
    this.#metrics = metrics;
    this.#clock = clock;
  }

  get(scope: Scope, name: string): AlarmDoc | undefined {
    const doc = this.#repo.getAlarm(scope, name);
    return doc ? (JSON.parse(doc) as AlarmDoc) : undefined;
  }

  #save(scope: Scope, doc: AlarmDoc): void {
    this.#repo.putAlarm(scope, doc.AlarmName, JSON.stringify(doc));
  }

  // ---- PutMetricAlarm ----

  putMetricAlarm(scope: Scope, input: cw.PutMetricAlarmInput, opts: { tags?: (arn: string) => void } = {}): AlarmDoc {
    const name = input.AlarmName ?? "";
    const single = input.MetricName !== undefined || input.Namespace !== undefined || input.Statistic !== undefined || input.ExtendedStatistic !== undefined;
    if (input.EvaluationCriteria) throw errors.invalidValue("The parameter EvaluationCriteria (PromQL alarms) is not supported by Slipway.");
    if (input.ThresholdMetricId !== undefined) throw errors.invalidValue("The parameter ThresholdMetricId (anomaly detection alarms) is not supported by Slipway.");
    if (!OPERATORS[input.ComparisonOperator ?? ""]) {
      throw errors.invalidValue(`The value ${input.ComparisonOperator} for parameter ComparisonOperator is not supported by Slipway (anomaly detection bands are not).`);
    }
    if (input.Metrics && input.Metrics.length > 0) {
      if (single) throw errors.combination("The parameters MetricName, Namespace, Statistic and ExtendedStatistic must not be specified together with Metrics.");
      if (input.Dimensions && input.Dimensions.length > 0) throw errors.mutuallyExclusive("Dimensions", "Metrics");
      if (input.Period !== undefined) throw errors.mutuallyExclusive("Period", "Metrics");
      if (input.Metrics.length > 10) throw errors.invalidValue("The collection Metrics must not have a size greater than 10.");
      checkQueries(input.Metrics, "Metrics");
      const returned = input.Metrics.filter((q) => q.ReturnData !== false);
      if (returned.length !== 1) throw errors.invalidValue("Exactly one element of the metrics list should return data.");
      for (const q of input.Metrics) if (q.MetricStat) checkAlarmPeriod(q.MetricStat.Period ?? 0, input.EvaluationPeriods ?? 1);
    } else {
      if (!input.MetricName) throw errors.missing("The parameter MetricName is required.");
      if (!input.Namespace) throw errors.missing("The parameter Namespace is required.");
      if (input.Period === undefined) throw errors.missing("The parameter Period is required.");
      if (input.Statistic !== undefined && input.ExtendedStatistic !== undefined) throw errors.mutuallyExclusive("Statistic", "ExtendedStatistic");
      if (input.Statistic === undefined && input.ExtendedStatistic === undefined) {
        throw errors.missing("One of the parameters Statistic or ExtendedStatistic is required.");
      }
      if (input.ExtendedStatistic !== undefined) checkExtended(input.ExtendedStatistic, "ExtendedStatistic");
      checkAlarmPeriod(input.Period, input.EvaluationPeriods ?? 1);
    }
    if (input.Threshold === undefined) throw errors.missing("The parameter Threshold is required.");
    const n = input.EvaluationPeriods ?? 0;
    if (n < 1) throw errors.invalidValue("The parameter EvaluationPeriods must be greater than or equal to 1.");
    if (input.DatapointsToAlarm !== undefined && (input.DatapointsToAlarm < 1 || input.DatapointsToAlarm > n)) {
      throw errors.invalidValue("DatapointsToAlarm must be greater than 0 and less than or equal to EvaluationPeriods.");
    }
    if (input.TreatMissingData !== undefined && !(TREATMENTS as readonly string[]).includes(input.TreatMissingData)) {
      throw errors.validation(input.TreatMissingData, "treatMissingData", `The value ${input.TreatMissingData} is not supported for TreatMissingData parameter. Supported values are [breaching, notBreaching, ignore, missing].`);
    }
    if (input.EvaluateLowSampleCountPercentile !== undefined && !["evaluate", "ignore"].includes(input.EvaluateLowSampleCountPercentile)) {
      throw errors.invalidValue(`The value ${input.EvaluateLowSampleCountPercentile} for parameter EvaluateLowSampleCountPercentile is not supported. Supported values are [evaluate, ignore].`);
    }
    for (const [list, key] of [[input.AlarmActions, "AlarmActions"], [input.OKActions, "OKActions"], [input.InsufficientDataActions, "InsufficientDataActions"]] as const) {
      if ((list ?? []).length > 5) throw errors.invalidValue(`The collection ${key} must not have a size greater than 5.`);
    }

    const now = this.#clock.now();
    const old = this.get(scope, name);
    if (!old && this.#repo.listAlarms(scope).length >= MAX_ALARMS_PER_REGION) {
      throw errors.limitExceeded(`The maximum number of alarms (${MAX_ALARMS_PER_REGION}) has been reached.`);
    }
    const doc: AlarmDoc = {
      AlarmName: name,
      AlarmArn: alarmArn(scope, name),
      ...(input.AlarmDescription !== undefined ? { AlarmDescription: input.AlarmDescription } : {}),
      ActionsEnabled: input.ActionsEnabled ?? true,
      OKActions: input.OKActions ?? [],
      AlarmActions: input.AlarmActions ?? [],
      InsufficientDataActions: input.InsufficientDataActions ?? [],
      StateValue: old?.StateValue ?? "INSUFFICIENT_DATA",
      StateReason: old?.StateReason ?? "Unchecked: Initial alarm creation",
      ...(old?.StateReasonData !== undefined ? { StateReasonData: old.StateReasonData } : {}),
      StateUpdatedTimestamp: old?.StateUpdatedTimestamp ?? now,
      StateTransitionedTimestamp: old?.StateTransitionedTimestamp ?? now,
      AlarmConfigurationUpdatedTimestamp: now,
      ...(input.MetricName !== undefined ? { MetricName: input.MetricName } : {}),
      ...(input.Namespace !== undefined ? { Namespace: input.Namespace } : {}),
      ...(input.Statistic !== undefined ? { Statistic: input.Statistic } : {}),
      ...(input.ExtendedStatistic !== undefined ? { ExtendedStatistic: input.ExtendedStatistic } : {}),
      Dimensions: (input.Dimensions ?? []).map((d) => ({ Name: d.Name, Value: d.Value })),
      ...(input.Period !== undefined ? { Period: input.Period } : {}),
      ...(input.Unit !== undefined ? { Unit: input.Unit } : {}),
      EvaluationPeriods: n,
      ...(input.DatapointsToAlarm !== undefined ? { DatapointsToAlarm: input.DatapointsToAlarm } : {}),
      Threshold: input.Threshold,
      ComparisonOperator: input.ComparisonOperator!,
      ...(input.TreatMissingData !== undefined ? { TreatMissingData: input.TreatMissingData } : {}),
      ...(input.EvaluateLowSampleCountPercentile !== undefined ? { EvaluateLowSampleCountPercentile: input.EvaluateLowSampleCountPercentile } : {}),
      ...(input.Metrics && input.Metrics.length > 0 ? { Metrics: input.Metrics } : {}),
    };
    this.#repo.store.tx(() => {
      this.#save(scope, doc);
      if (!old) opts.tags?.(doc.AlarmArn);
      this.#history(scope, doc, now, "ConfigurationUpdate", `Alarm "${name}" ${old ? "updated" : "created"}`, {
        version: "1.0",
        type: old ? "Update" : "Create",
        [old ? "updatedAlarm" : "createdAlarm"]: camelAlarm(doc),
      });
    });
    return doc;
  }

  // ---- reads ----

  describeAlarms(scope: Scope, input: cw.DescribeAlarmsInput): cw.DescribeAlarmsOutput {
    if (input.AlarmNames && input.AlarmNamePrefix !== undefined) throw errors.mutuallyExclusive("AlarmNames", "AlarmNamePrefix");
    const max = input.MaxRecords ?? 50;
    if (max < 1 || max > 100) throw errors.invalidValue("The parameter MaxRecords must be between 1 and 100.");
    const types = input.AlarmTypes ?? ["MetricAlarm"];
    const composite = input.ChildrenOfAlarmName !== undefined || input.ParentsOfAlarmName !== undefined;
    let docs = types.includes("MetricAlarm") && !composite ? this.#all(scope) : [];
    if (input.AlarmNames) {
      const names = new Set(input.AlarmNames);
      docs = docs.filter((d) => names.has(d.AlarmName));
    }
    if (input.AlarmNamePrefix !== undefined) docs = docs.filter((d) => d.AlarmName.startsWith(input.AlarmNamePrefix!));
    if (input.StateValue) docs = docs.filter((d) => d.StateValue === input.StateValue);
    if (input.ActionPrefix) {
      const p = input.ActionPrefix;
      docs = docs.filter((d) => [...d.AlarmActions, ...d.OKActions, ...d.InsufficientDataActions].some((a) => a.startsWith(p)));
    }
    const page = offsetPage(docs, max, input.NextToken, errors.badToken);
    const out: cw.DescribeAlarmsOutput = { CompositeAlarms: [], LogAlarms: [], MetricAlarms: page.items.map(toMetricAlarm) };
    if (page.next) out.NextToken = page.next;
    return out;
  }

  describeAlarmsForMetric(scope: Scope, input: cw.DescribeAlarmsForMetricInput): cw.DescribeAlarmsForMetricOutput {
    const dims = canonicalDims(input.Dimensions);
    const docs = this.#all(scope).filter(
      (d) =>
        !d.Metrics &&
        d.MetricName === input.MetricName &&
        d.Namespace === input.Namespace &&
        canonicalDims(d.Dimensions) === dims &&
        (input.Statistic === undefined || d.Statistic === input.Statistic) &&
        (input.ExtendedStatistic === undefined || d.ExtendedStatistic === input.ExtendedStatistic) &&
        (input.Period === undefined || d.Period === input.Period) &&
        (input.Unit === undefined || d.Unit === input.Unit),
    );
    return { MetricAlarms: docs.map(toMetricAlarm) };
  }

  #all(scope: Scope): AlarmDoc[] {
    return this.#repo.listAlarms(scope).map((d) => JSON.parse(d) as AlarmDoc);
  }

  describeAlarmHistory(scope: Scope, input: cw.DescribeAlarmHistoryInput): cw.DescribeAlarmHistoryOutput {
    const max = input.MaxRecords ?? 100;
    if (max < 1 || max > 100) throw errors.invalidValue("The parameter MaxRecords must be between 1 and 100.");
    const types = input.AlarmTypes ?? ["MetricAlarm"];
    let rows = this.#repo.history(scope, input.AlarmName, input.StartDate?.getTime() ?? 0, input.EndDate?.getTime() ?? Number.MAX_SAFE_INTEGER);
    rows = rows.filter((r) => types.includes(r.alarm_type as cw.AlarmType) && (!input.HistoryItemType || r.type === input.HistoryItemType));
    if (input.ScanBy === "TimestampAscending") rows.reverse();
    const page = offsetPage(rows, max, input.NextToken, errors.badToken);
    const out: cw.DescribeAlarmHistoryOutput = {
      AlarmHistoryItems: page.items.map((r) => ({
        AlarmName: r.alarm,
        AlarmType: r.alarm_type as cw.AlarmType,
        Timestamp: new Date(r.ts),
        HistoryItemType: r.type as cw.HistoryItemType,
        HistorySummary: r.summary,
        HistoryData: r.data,
      })),
    };
    if (page.next) out.NextToken = page.next;
    return out;
  }

  // ---- changes ----

  deleteAlarms(scope: Scope, names: readonly string[]): string[] {
    if (names.length > 100) throw errors.invalidValue("The collection AlarmNames must not have a size greater than 100.");
    const deleted: string[] = [];
    this.#repo.store.tx(() => {
      for (const n of names) if (this.#repo.deleteAlarm(scope, n)) deleted.push(alarmArn(scope, n));
    });
    return deleted;
  }

  setActionsEnabled(scope: Scope, names: readonly string[], enabled: boolean): void {
    const now = this.#clock.now();
    this.#repo.store.tx(() => {
      for (const n of names) {
        const doc = this.get(scope, n);
        if (!doc || doc.ActionsEnabled === enabled) continue;
        doc.ActionsEnabled = enabled;
        doc.AlarmConfigurationUpdatedTimestamp = now;
        this.#save(scope, doc);
        this.#history(scope, doc, now, "ConfigurationUpdate", `Alarm "${n}" updated`, {
          version: "1.0",
          type: "Update",
          updatedAlarm: camelAlarm(doc),
        });
      }
    });
  }

  setAlarmState(scope: Scope, input: cw.SetAlarmStateInput): void {
    if (!(STATES as readonly string[]).includes(input.StateValue ?? "")) {
      throw errors.validation(String(input.StateValue), "stateValue", "Member must satisfy enum value set: [INSUFFICIENT_DATA, ALARM, OK]");
    }
    if ((input.StateReason ?? "").length > 1023) {
      throw errors.validation(input.StateReason ?? "", "stateReason", "Member must have length less than or equal to 1023");
    }
    if (input.StateReasonData !== undefined) {
      if (input.StateReasonData.length > 4000) throw errors.validation(input.StateReasonData, "stateReasonData", "Member must have length less than or equal to 4000");
      try {
        JSON.parse(input.StateReasonData);
      } catch {
        throw errors.invalidFormat("Invalid JSON for StateReasonData.");
      }
    }
    const doc = this.get(scope, input.AlarmName ?? "");
    if (!doc) throw errors.alarmNotFound(input.AlarmName ?? "");
    const to = input.StateValue as AlarmState;
    if (doc.StateValue === to) return;
    this.#transition(scope, doc, to, input.StateReason ?? "", input.StateReasonData, []);
  }

  // ---- evaluation ----

  /**
   * Evaluates every alarm whose period is due at the current time. `highResolutionOnly` runs only
   * the 10/20/30-second alarms (the 10-second tick).
   */
  evaluateAll(opts: { highResolutionOnly?: boolean } = {}): number {
    let evaluated = 0;
    for (const row of this.#repo.allAlarms()) {
      const scope = { accountId: row.account, region: row.region };
      const doc = JSON.parse(row.doc) as AlarmDoc;
      const period = alarmPeriod(doc);
      if (opts.highResolutionOnly && period >= 60) continue;
      try {
        this.evaluate(scope, doc);
        evaluated++;
      } catch {
        // A broken expression leaves the alarm as it is; the next change of the alarm fixes it.
      }
    }
    return evaluated;
  }

  /** One evaluation of one alarm at the current time: state change (history, actions) and repeated Auto Scaling actions. */
  evaluate(scope: Scope, doc: AlarmDoc): void {
    const now = this.#clock.now();
    const period = alarmPeriod(doc);
    const n = doc.EvaluationPeriods;
    const m = doc.DatapointsToAlarm ?? n;
    const range = evaluationRange(n);
    const end = Math.floor(now / 1000 / period) * period;
    const start = end - range * period;
    const points = this.#points(scope, doc, start, end, period);
    const threshold = doc.Threshold ?? 0;
    const op = OPERATORS[doc.ComparisonOperator]!;
    const treat = (doc.TreatMissingData ?? "missing") as TreatMissing;
    if (this.#lowSampleIgnored(doc, points)) return;
    const d = decide(points, n, m, treat, (v) => op.test(v, threshold));
    const to = d.state === "keep" ? doc.StateValue : d.state;
    if (to !== doc.StateValue) {
      const reason = reasonText(d, to, { n, m, explicitM: doc.DatapointsToAlarm !== undefined, threshold, operator: doc.ComparisonOperator, from: doc.StateValue, treat });
      const data = reasonData(d, points, {
        queryDate: now,
        unit: doc.Unit,
        statistic: doc.Statistic,
        extendedStatistic: doc.ExtendedStatistic,
        period,
        threshold,
        state: to,
      });
      this.#transition(scope, doc, to, reason, data, valuesOf(d));
      return;
    }
    // Still in the same state: Auto Scaling actions are invoked again every minute.
    if (doc.ActionsEnabled) {
      const repeat = actionsFor(doc, to).filter(isScalingPolicy);
      if (repeat.length > 0) this.#runActions(scope, doc, repeat, valuesOf(d));
    }
  }

  #points(scope: Scope, doc: AlarmDoc, start: number, end: number, period: number): Point[] {
    const byTs = new Map<number, { value: number; sampleCount?: number }>();
    if (doc.Metrics) {
      const values = evaluateQueries(this.#metrics, scope, doc.Metrics, start, end);
      const q = doc.Metrics.find((x) => x.ReturnData !== false)!;
      const v = values.get(q.Id ?? "");
      if (v !== undefined && typeof v !== "number") {
        const s = Array.isArray(v) ? v[0]?.series : v.series;
        for (const [t, x] of s ?? []) if (Number.isFinite(x)) byTs.set(t, { value: x });
      }
    } else {
      const id = this.#metrics.metricId(scope, doc.Namespace ?? "", doc.MetricName ?? "", doc.Dimensions);
      if (id !== undefined) {
        const stat = doc.Statistic ?? doc.ExtendedStatistic ?? "Average";
        for (const p of this.#metrics.periods(id, this.#metrics.align(start, end, period), doc.Unit)) {
          const v = statistic(p.bucket, stat);
          if (v !== undefined && !byTs.has(p.ts)) byTs.set(p.ts, { value: v, sampleCount: p.bucket.count });
        }
      }
    }
    const out: Point[] = [];
    for (let t = start; t < end; t += period) {
      const hit = byTs.get(t);
      out.push({ ts: t, value: hit?.value, sampleCount: hit?.sampleCount });
    }
    return out;
  }

  /** EvaluateLowSampleCountPercentile=ignore keeps the state while a percentile has too few samples. */
  #lowSampleIgnored(doc: AlarmDoc, points: readonly Point[]): boolean {
    if (doc.EvaluateLowSampleCountPercentile !== "ignore" || !doc.ExtendedStatistic) return false;
    const p = Number(doc.ExtendedStatistic.slice(1)) / 100;
    const needed = p >= 0.5 ? 10 / (1 - p) : 10 / p;
    const newest = [...points].reverse().find((x) => x.value !== undefined);
    return newest !== undefined && (newest.sampleCount ?? 0) < needed;
  }

  #transition(scope: Scope, doc: AlarmDoc, to: AlarmState, reason: string, data: string | undefined, values: readonly number[]): void {
    const now = this.#clock.now();
    const from = doc.StateValue;
    const old = { stateValue: from, stateReason: doc.StateReason, ...(doc.StateReasonData ? { stateReasonData: JSON.parse(doc.StateReasonData) } : {}) };
    doc.StateValue = to;
    doc.StateReason = reason;
    if (data !== undefined) doc.StateReasonData = data;
    else delete doc.StateReasonData;
    doc.StateUpdatedTimestamp = now;
    doc.StateTransitionedTimestamp = now;
    this.#repo.store.tx(() => {
      this.#save(scope, doc);
      this.#history(scope, doc, now, "StateUpdate", `Alarm updated from ${from} to ${to}`, {
        version: "1.0",
        oldState: old,
        newState: { stateValue: to, stateReason: reason, ...(data ? { stateReasonData: JSON.parse(data) } : {}) },
      });
    });
    if (doc.ActionsEnabled) this.#runActions(scope, doc, actionsFor(doc, to), values);
  }

  #runActions(scope: Scope, doc: AlarmDoc, arns: readonly string[], values: readonly number[]): void {
    const now = this.#clock.now();
    for (const arn of arns) {
      let result: ReturnType<AlarmActions["invoke"]>;
      try {
        result = this.actions.invoke(arn, {
          scope,
          alarmName: doc.AlarmName,
          alarmArn: doc.AlarmArn,
          state: doc.StateValue,
          threshold: doc.Threshold ?? 0,
          comparisonOperator: doc.ComparisonOperator,
          values,
        });
      } catch (err) {
        result = { ok: false, message: (err as Error).message };
      }
      if (result === undefined) result = { ok: false, message: `Slipway cannot execute actions of this kind (${arn.split(":").slice(0, 3).join(":")})` };
      const summary = result.ok ? `Successfully executed action ${arn}` : `Failed to execute action ${arn}. Received error: "${result.message}"`;
      this.#history(scope, doc, now, "Action", summary, {
        actionState: result.ok ? "Succeeded" : "Failed",
        stateUpdateTimestamp: doc.StateUpdatedTimestamp,
        notificationResource: arn,
        ...(result.ok ? {} : { error: result.message }),
      });
    }
  }

  #history(scope: Scope, doc: AlarmDoc, ts: number, type: string, summary: string, data: unknown): void {
    this.#repo.addHistory(scope, doc.AlarmName, "MetricAlarm", ts, type, summary, JSON.stringify(data));
  }

  /** Drops history older than 14 days. */
  expireHistory(): number {
    return this.#repo.expireHistory(this.#clock.now() - HISTORY_RETENTION_MS);
  }
}

function valuesOf(d: Decision): number[] {
  return d.used.map((p) => p.value!);
}

function actionsFor(doc: AlarmDoc, state: AlarmState): string[] {
  return state === "ALARM" ? doc.AlarmActions : state === "OK" ? doc.OKActions : doc.InsufficientDataActions;
}

/** The alarm's period: its own, or (math alarms) the longest of its MetricStats or Period. */
export function alarmPeriod(doc: AlarmDoc): number {
  if (doc.Period) return doc.Period;
  let p = 0;
  for (const q of doc.Metrics ?? []) p = Math.max(p, q.MetricStat?.Period ?? q.Period ?? 0);
  return p || 60;
}

function checkAlarmPeriod(period: number, evaluationPeriods: number): void {
  if (!Number.isInteger(period) || !(period === 10 || period === 20 || period === 30 || (period >= 60 && period % 60 === 0))) {
    throw errors.invalidValue("The parameter Period must be 10, 20, 30, or a multiple of 60.");
  }
  if (period < 3600 && period * evaluationPeriods > DAY) {
    throw errors.invalidValue("Metrics cannot be checked across more than a day (EvaluationPeriods * Period must be <= 86400).");
  }
  if (period * evaluationPeriods > 7 * DAY) {
    throw errors.invalidValue("Metrics cannot be checked across more than a week (EvaluationPeriods * Period must be <= 604800).");
  }
}

export function toMetricAlarm(d: AlarmDoc): cw.MetricAlarm {
  return {
    ...(d as unknown as cw.MetricAlarm),
    StateUpdatedTimestamp: new Date(d.StateUpdatedTimestamp),
    StateTransitionedTimestamp: new Date(d.StateTransitionedTimestamp),
    AlarmConfigurationUpdatedTimestamp: new Date(d.AlarmConfigurationUpdatedTimestamp),
  };
}

/** The alarm in the camelCase form of history data. */
function camelAlarm(d: AlarmDoc): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(d)) {
    if (k === "StateValue" || k === "StateReason" || k === "StateReasonData" || k.endsWith("Timestamp")) continue;
    out[k.charAt(0).toLowerCase() + k.slice(1)] = v;
  }
  return out;
}
