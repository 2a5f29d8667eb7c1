/**
 * Aggregates of metric data (pure): one bucket per (metric, unit, resolution, period start) keeps
 * SampleCount, Sum, Minimum and Maximum, plus the weighted values percentiles need. Statistics are
 * computed from buckets merged over a period; Average = Sum / SampleCount.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch_concepts.html#Statistic
 */

/** At most this many distinct values per bucket; beyond it neighbours are merged (approximate percentiles). */
export const MAX_VALUES = 1024;

export interface Bucket {
  count: number;
  sum: number;
  min: number;
  max: number;
  /** Sorted distinct values and their weights, or undefined when percentiles are unavailable. */
  values: Float64Array | undefined;
  /** Parallel to `values`. */
  weights: Float64Array | undefined;
}

export const BASIC_STATISTICS = ["SampleCount", "Average", "Sum", "Minimum", "Maximum"] as const;
export type BasicStatistic = (typeof BASIC_STATISTICS)[number];

/** A bucket from one sample set: raw values with counts (percentiles available unless negative). */
export function bucketOfValues(values: readonly number[], counts: readonly number[]): Bucket {
  let count = 0;
  let sum = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  const pairs = new Map<number, number>();
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    const c = counts[i] ?? 1;
    if (c <= 0) continue;
    count += c;
    sum += v * c;
    if (v < min) min = v;
    if (v > max) max = v;
    pairs.set(v, (pairs.get(v) ?? 0) + c);
  }
  return withPairs({ count, sum, min, max, values: undefined, weights: undefined }, min < 0 ? undefined : pairs);
}

/**
 * A bucket from a statistic set. Percentiles stay available only when the set is one value
 * (SampleCount 1, or Minimum = Maximum with Sum = Minimum × SampleCount).
 */
export function bucketOfStatisticSet(s: { SampleCount: number; Sum: number; Minimum: number; Maximum: number }): Bucket {
  const single = s.SampleCount === 1 || (s.Minimum === s.Maximum && Math.abs(s.Sum - s.Minimum * s.SampleCount) <= 1e-9 * Math.abs(s.Sum));
  const pairs = single && s.Minimum >= 0 ? new Map([[s.SampleCount === 1 ? s.Sum : s.Minimum, s.SampleCount]]) : undefined;
  return withPairs({ count: s.SampleCount, sum: s.Sum, min: s.Minimum, max: s.Maximum, values: undefined, weights: undefined }, pairs);
}

function withPairs(b: Bucket, pairs: Map<number, number> | undefined): Bucket {
  if (!pairs) return b;
  const keys = [...pairs.keys()].sort((a, c) => a - c);
  b.values = Float64Array.from(keys);
  b.weights = Float64Array.from(keys, (k) => pairs.get(k)!);
  return compact(b);
}

/** Merges `b` into `into` (in place) and returns it. */
export function merge(into: Bucket, b: Bucket): Bucket {
  into.count += b.count;
  into.sum += b.sum;
  if (b.min < into.min) into.min = b.min;
  if (b.max > into.max) into.max = b.max;
  if (!into.values || !b.values || !into.weights || !b.weights) {
    into.values = undefined;
    into.weights = undefined;
    return into;
  }
  const v = new Float64Array(into.values.length + b.values.length);
  const w = new Float64Array(v.length);
  let i = 0;
  let j = 0;
  let n = 0;
  while (i < into.values.length || j < b.values.length) {
    const takeA = j >= b.values.length || (i < into.values.length && into.values[i]! <= b.values[j]!);
    const value = takeA ? into.values[i]! : b.values[j]!;
    const weight = takeA ? into.weights[i++]! : b.weights[j++]!;
    if (n > 0 && v[n - 1] === value) w[n - 1] = w[n - 1]! + weight;
    else {
      v[n] = value;
      w[n++] = weight;
    }
  }
  into.values = v.subarray(0, n);
  into.weights = w.subarray(0, n);
  return compact(into);
}

/** Keeps at most MAX_VALUES entries by merging adjacent pairs into their weighted mean. */
function compact(b: Bucket): Bucket {
  while (b.values && b.weights && b.values.length > MAX_VALUES) {
    const n = Math.ceil(b.values.length / 2);
    const v = new Float64Array(n);
    const w = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const a = 2 * i;
      const c = a + 1;
      if (c >= b.values.length) {
        v[i] = b.values[a]!;
        w[i] = b.weights[a]!;
      } else {
        const wa = b.weights[a]!;
        const wc = b.weights[c]!;
        w[i] = wa + wc;
        v[i] = (b.values[a]! * wa + b.values[c]! * wc) / (wa + wc);
      }
    }
    b.values = v;
    b.weights = w;
  }
  return b;
}

export function emptyBucket(): Bucket {
  return { count: 0, sum: 0, min: Number.POSITIVE_INFINITY, max: Number.NEGATIVE_INFINITY, values: new Float64Array(0), weights: new Float64Array(0) };
}

/** A copy that merge() may change. */
export function cloneBucket(b: Bucket): Bucket {
  return { ...b, values: b.values?.slice(), weights: b.weights?.slice() };
}

/** `p99`, `p99.9`: the percentile (0..100); undefined for anything else. */
export function percentileOf(stat: string): number | undefined {
  const m = /^p(\d{1,2}(?:\.\d{1,10})?|100(?:\.0{1,10})?)$/.exec(stat);
  if (!m) return undefined;
  const p = Number(m[1]);
  return p >= 0 && p <= 100 ? p : undefined;
}

/** The value of a basic or percentile statistic; undefined when it cannot be computed. */
export function statistic(b: Bucket, stat: string): number | undefined {
  if (b.count <= 0) return undefined;
  switch (stat) {
    case "SampleCount":
      return b.count;
    case "Sum":
      return b.sum;
    case "Average":
      return b.sum / b.count;
    case "Minimum":
      return b.min;
    case "Maximum":
      return b.max;
  }
  const p = percentileOf(stat);
  if (p === undefined || !b.values || !b.weights || b.values.length === 0) return undefined;
  // Nearest rank over the weighted values.
  const total = b.weights.reduce((a, c) => a + c, 0);
  const rank = Math.max(1, Math.ceil((p / 100) * total));
  let seen = 0;
  for (let i = 0; i < b.values.length; i++) {
    seen += b.weights[i]!;
    if (seen >= rank) return b.values[i]!;
  }
  return b.values[b.values.length - 1];
}

/** Serialized values for the store: [v0, w0, v1, w1, …] as float64, or null when unavailable. */
export function packValues(b: Bucket): Uint8Array | null {
  if (!b.values || !b.weights) return null;
  const out = new Float64Array(b.values.length * 2);
  for (let i = 0; i < b.values.length; i++) {
    out[2 * i] = b.values[i]!;
    out[2 * i + 1] = b.weights[i]!;
  }
  return new Uint8Array(out.buffer);
}

export function unpackValues(blob: Uint8Array | null): { values: Float64Array; weights: Float64Array } | undefined {
  if (!blob) return undefined;
  const copy = new Float64Array(new Uint8Array(blob).buffer);
  const n = copy.length / 2;
  const values = new Float64Array(n);
  const weights = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    values[i] = copy[2 * i]!;
    weights[i] = copy[2 * i + 1]!;
  }
  return { values, weights };
}

/** Merges two packed value lists (the SQL function cw_merge_vals); null when either is unavailable. */
export function mergePacked(a: Uint8Array | null, b: Uint8Array | null): Uint8Array | null {
  const x = unpackValues(a);
  const y = unpackValues(b);
  if (!x || !y) return null;
  const into: Bucket = { count: 0, sum: 0, min: 0, max: 0, values: x.values, weights: x.weights };
  merge(into, { count: 0, sum: 0, min: 0, max: 0, values: y.values, weights: y.weights });
  return packValues(into);
}
