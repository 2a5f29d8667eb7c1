/**
 * How CloudWatch decides an alarm's state from its datapoints (pure): M out of N, the four ways of
 * treating missing data, and AWS's state-reason texts and StateReasonData.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html#alarm-evaluation
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html
 */

export type AlarmState = "OK" | "ALARM" | "INSUFFICIENT_DATA";
export type TreatMissing = "missing" | "ignore" | "breaching" | "notBreaching";

export interface Point {
  /** Period start, epoch seconds. */
  readonly ts: number;
  /** Undefined when the period had no data. */
  readonly value: number | undefined;
  readonly sampleCount?: number;
}

/** How many periods an evaluation looks at: more than N, so older points can stand in for missing ones. */
export function evaluationRange(n: number): number {
  return n + Math.max(2, Math.floor(n / 3));
}

export interface Decision {
  readonly state: AlarmState | "keep";
  /** The real datapoints the decision used, oldest first. */
  readonly used: readonly Point[];
  /** Synthetic datapoints (missing ones treated as breaching or not). */
  readonly filled: number;
}

/** `points` oldest → newest over the evaluation range; `n` EvaluationPeriods; `m` DatapointsToAlarm. */
export function decide(points: readonly Point[], n: number, m: number, treat: TreatMissing, breaches: (v: number) => boolean): Decision {
  const real = points.filter((p) => p.value !== undefined);
  if (real.length === 0) {
    const state = treat === "missing" ? "INSUFFICIENT_DATA" : treat === "ignore" ? "keep" : treat === "breaching" ? "ALARM" : "OK";
    return { state, used: [], filled: treat === "breaching" || treat === "notBreaching" ? n : 0 };
  }
  if (real.length >= n) {
    const used = real.slice(-n);
    return { state: count(used, breaches) >= m ? "ALARM" : "OK", used, filled: 0 };
  }
  if (treat === "breaching" || treat === "notBreaching") {
    const b = count(real, breaches) + (treat === "breaching" ? n - real.length : 0);
    return { state: b >= m ? "ALARM" : "OK", used: real, filled: n - real.length };
  }
  // Missing or ignored: alarm early when the breaching points so far already make M and nothing contradicts them.
  const recent = points.slice(-n);
  const oldestBreach = recent.findIndex((p) => p.value !== undefined && breaches(p.value));
  const age = oldestBreach < 0 ? 0 : recent.length - oldestBreach;
  const premature = oldestBreach >= 0 && age >= m && real.every((p) => breaches(p.value!));
  if (premature) return { state: treat === "missing" ? "ALARM" : "keep", used: real, filled: 0 };
  return { state: count(real, breaches) >= m ? "ALARM" : "OK", used: real, filled: 0 };
}

function count(points: readonly Point[], breaches: (v: number) => boolean): number {
  return points.filter((p) => breaches(p.value!)).length;
}

export const OPERATORS: Record<string, { test: (v: number, t: number) => boolean; words: string }> = {
  GreaterThanThreshold: { test: (v, t) => v > t, words: "greater than" },
  GreaterThanOrEqualToThreshold: { test: (v, t) => v >= t, words: "greater than or equal to" },
  LessThanThreshold: { test: (v, t) => v < t, words: "less than" },
  LessThanOrEqualToThreshold: { test: (v, t) => v <= t, words: "less than or equal to" },
};

/** A number as Java prints a double (70 → "70.0", 1e-5 → "1.0E-5"), as CloudWatch's texts do. */
export function javaDouble(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (!Number.isFinite(x)) return x > 0 ? "Infinity" : "-Infinity";
  const abs = Math.abs(x);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e7)) {
    const [mant, exp] = x.toExponential().split("e");
    return `${mant!.includes(".") ? mant : `${mant}.0`}E${Number(exp)}`;
  }
  const s = String(x);
  return s.includes(".") || s.includes("e") ? s : `${s}.0`;
}

const pad = (n: number) => String(n).padStart(2, "0");

/** `dd/MM/yy HH:mm:ss` in UTC, the stamp CloudWatch puts after each datapoint in a reason. */
function reasonStamp(ts: number): string {
  const d = new Date(ts * 1000);
  return `${pad(d.getUTCDate())}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCFullYear() % 100)} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** `yyyy-MM-dd'T'HH:mm:ss.SSS+0000`, the dates of StateReasonData. */
export function reasonDate(ms: number): string {
  return new Date(ms).toISOString().replace("Z", "+0000");
}

export interface ReasonContext {
  readonly n: number;
  readonly m: number;
  /** DatapointsToAlarm was set on the alarm: the long "out of the last" form. */
  readonly explicitM: boolean;
  readonly threshold: number;
  readonly operator: string;
  readonly from: AlarmState;
  readonly treat: TreatMissing;
}

const plural = (k: number, one: string, many: string) => (k === 1 ? one : many);

export function reasonText(d: Decision, to: AlarmState, c: ReasonContext): string {
  const words = OPERATORS[c.operator]?.words ?? c.operator;
  const test = OPERATORS[c.operator]?.test ?? (() => false);
  if (to === "INSUFFICIENT_DATA") return `Insufficient Data: ${c.n} ${plural(c.n, "datapoint was", "datapoints were")} unknown.`;
  const as = c.treat === "breaching" ? "Breaching" : "NonBreaching";
  if (d.used.length === 0) {
    return `Threshold Crossed: no datapoints were received for ${c.n} ${plural(c.n, "period", "periods")} and ${d.filled} missing ${plural(d.filled, "datapoint was", "datapoints were")} treated as [${as}].`;
  }
  if (d.filled > 0) {
    const r = d.used.length;
    return `Threshold Crossed: ${r} ${plural(r, "datapoint was", "datapoints were")} received for ${c.n} ${plural(c.n, "period", "periods")} and ${d.filled} missing ${plural(d.filled, "datapoint was", "datapoints were")} treated as [${as}].`;
  }
  const newestFirst = [...d.used].reverse();
  const listed = newestFirst.filter((p) => test(p.value!, c.threshold) === (to === "ALARM"));
  const list = `[${listed.map((p) => `${javaDouble(p.value!)} (${reasonStamp(p.ts)})`).join(", ")}]`;
  const k = listed.length;
  const verb = `${to === "ALARM" ? "" : "not "}${words}`;
  if (!c.explicitM) {
    return `Threshold Crossed: ${k} ${plural(k, "datapoint", "datapoints")} ${list} ${plural(k, "was", "were")} ${verb} the threshold (${javaDouble(c.threshold)}).`;
  }
  const minimum = to === "ALARM" ? c.m : c.n - c.m + 1;
  return `Threshold Crossed: ${k} out of the last ${d.used.length} datapoints ${list} ${plural(k, "was", "were")} ${verb} the threshold (${javaDouble(c.threshold)}) (minimum ${minimum} ${plural(minimum, "datapoint", "datapoints")} for ${c.from} -> ${to} transition).`;
}

/** StateReasonData as CloudWatch writes it (a JSON string; numbers printed as Java doubles). */
export function reasonData(d: Decision, all: readonly Point[], c: {
  queryDate: number;
  unit?: string;
  statistic?: string;
  extendedStatistic?: string;
  period: number;
  threshold: number;
  state: AlarmState;
}): string {
  const start = all[0]?.ts ?? Math.floor(c.queryDate / 1000);
  const parts: string[] = [`"version":"1.0"`, `"queryDate":${JSON.stringify(reasonDate(c.queryDate))}`, `"startDate":${JSON.stringify(reasonDate(start * 1000))}`];
  if (c.unit) parts.push(`"unit":${JSON.stringify(c.unit)}`);
  if (c.statistic) parts.push(`"statistic":${JSON.stringify(c.statistic)}`);
  if (c.extendedStatistic) parts.push(`"extendedStatistic":${JSON.stringify(c.extendedStatistic)}`);
  parts.push(`"period":${c.period}`);
  const recent = c.state === "INSUFFICIENT_DATA" ? [] : all.filter((p) => p.value !== undefined).map((p) => javaDouble(p.value!));
  parts.push(`"recentDatapoints":[${recent.join(",")}]`);
  parts.push(`"threshold":${javaDouble(c.threshold)}`);
  const evaluated = (c.state === "INSUFFICIENT_DATA" ? all.slice(-1) : [...d.used].reverse()).map((p) => {
    const fields = [`"timestamp":${JSON.stringify(reasonDate(p.ts * 1000))}`];
    if (p.value !== undefined && c.state !== "INSUFFICIENT_DATA") {
      if (p.sampleCount !== undefined) fields.push(`"sampleCount":${javaDouble(p.sampleCount)}`);
      fields.push(`"value":${javaDouble(p.value)}`);
    }
    return `{${fields.join(",")}}`;
  });
  parts.push(`"evaluatedDatapoints":[${evaluated.join(",")}]`);
  return `{${parts.join(",")}}`;
}
