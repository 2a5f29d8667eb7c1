/**
 * AWS/ApplicationELB metrics from the data plane's own counters, published once a minute with the
 * LoadBalancer, TargetGroup and AvailabilityZone dimensions. Each per-request metric is published
 * as a statistic set of one sample per event (Sum counts them); host counts are sampled from the
 * health checker; RequestCountPerTarget divides a target group's requests by its healthy targets
 * (registered ones when none is healthy) and is 0 when idle, so target tracking can scale in.
 * https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html
 */
import { parseArn, type Scope } from "../core/arn.ts";
import type { RoutingTable } from "../proxy/routing-table.ts";
import type { TargetHealthView } from "../proxy/target-health.ts";
import { HISTOGRAM_BOUNDS, type TrafficCounters } from "../proxy/traffic-counters.ts";
import type { Dimension, Sample } from "../services/cloudwatch/index.ts";
import { bucketOfStatisticSet, bucketOfValues } from "../services/cloudwatch/statistics.ts";

const NS = "AWS/ApplicationELB";

export interface AlbMetricsDeps {
  readonly counters: TrafficCounters;
  readonly health: TargetHealthView;
  readonly table: () => RoutingTable;
  /** The Availability Zone the load balancer's node is in (its first subnet's). */
  readonly zoneOf: (loadBalancerArn: string) => string | undefined;
  readonly publish: (scope: Scope, samples: Sample[]) => void;
}

/** `app/<name>/<id>` and `targetgroup/<name>/<id>`: the dimension values of ARNs. */
export function lbDimension(arn: string): string {
  return arn.slice(arn.indexOf(":loadbalancer/") + ":loadbalancer/".length);
}
export function tgDimension(arn: string): string {
  return parseArn(arn)?.resource ?? arn;
}

export class AlbMetrics {
  readonly #d: AlbMetricsDeps;

  constructor(deps: AlbMetricsDeps) {
    this.#d = deps;
  }

  /** Publishes the minute that started at `minute` (epoch ms) and resets the counters. */
  publishMinute(minute: number): void {
    const snap = this.#d.counters.drain();
    const out = new Map<string, { scope: Scope; samples: Sample[] }>();
    type Stats = { count: number; sum: number; min: number; max: number };
    /** `hist`: response times as the histogram's counts; exact count/sum/min/max, percentiles from the histogram. */
    const add = (arn: string, name: string, dims: Dimension[][], unit: string, value: Stats, hist?: ArrayLike<number>) => {
      const p = parseArn(arn);
      if (!p) return;
      const key = `${p.accountId} ${p.region}`;
      let e = out.get(key);
      if (!e) {
        e = { scope: { accountId: p.accountId, region: p.region }, samples: [] };
        out.set(key, e);
      }
      for (const dimensions of dims) {
        const bucket = hist
          ? Object.assign(bucketOfValues(HISTOGRAM_BOUNDS as number[], Array.from(hist)), value)
          : bucketOfStatisticSet({ SampleCount: value.count, Sum: value.sum, Minimum: value.min, Maximum: value.max });
        e.samples.push({ namespace: NS, name, dimensions, timestamp: minute, unit, bucket });
      }
    };
    const counts = (n: number) => ({ count: n, sum: n, min: 1, max: 1 });

    // Load balancer level.
    const lbDims = (arn: string): Dimension[][] => {
      const lb = { Name: "LoadBalancer", Value: lbDimension(arn) };
      const az = this.#d.zoneOf(arn);
      return az ? [[lb], [lb, { Name: "AvailabilityZone", Value: az }]] : [[lb]];
    };
    for (const [arn, c] of snap.loadBalancers) {
      const dims = lbDims(arn);
      if (c.newConnections > 0) add(arn, "NewConnectionCount", dims, "Count", counts(c.newConnections));
      if (c.peakConnections > 0) add(arn, "ActiveConnectionCount", dims, "Count", counts(c.peakConnections));
      if (c.processedBytes > 0) add(arn, "ProcessedBytes", dims, "Bytes", { count: 1, sum: c.processedBytes, min: c.processedBytes, max: c.processedBytes });
      if (c.rejectedConnections > 0) add(arn, "RejectedConnectionCount", dims, "Count", counts(c.rejectedConnections));
      const byClass = [0, 0, 0, 0, 0, 0];
      for (const [status, n] of c.elb) {
        const cls = Math.floor(status / 100);
        if (cls >= 2 && cls <= 5) byClass[cls]! += n;
        if (status === 500 || status === 502 || status === 503 || status === 504) add(arn, `HTTPCode_ELB_${status}_Count`, dims, "Count", counts(n));
      }
      for (let cls = 2; cls <= 5; cls++) if (byClass[cls]! > 0) add(arn, `HTTPCode_ELB_${cls}XX_Count`, dims, "Count", counts(byClass[cls]!));
    }

    // Target group level, every (load balancer, target group) pair the routing table serves.
    const pairs = new Map<string, { lb: string; tg: string }>();
    const table = this.#d.table();
    for (const l of table.listeners.values()) {
      for (const r of l.rules) {
        if (r.action.type !== "forward") continue;
        for (const g of r.action.targetGroups) pairs.set(`${l.loadBalancerArn} ${g.arn}`, { lb: l.loadBalancerArn, tg: g.arn });
      }
    }
    for (const e of snap.targetGroups.values()) pairs.set(`${e.loadBalancerArn} ${e.targetGroupArn}`, { lb: e.loadBalancerArn, tg: e.targetGroupArn });
    const lbTotals = new Map<string, { requests: number; status: number[]; errors: number; rt: { count: number; sum: number; min: number; max: number; hist: number[] } }>();
    for (const { lb, tg } of pairs.values()) {
      const c = snap.targetGroups.get(`${lb} ${tg}`)?.counters;
      const az = this.#d.zoneOf(lb);
      const L = { Name: "LoadBalancer", Value: lbDimension(lb) };
      const T = { Name: "TargetGroup", Value: tgDimension(tg) };
      const Z = az ? [{ Name: "AvailabilityZone", Value: az }] : [];
      const tgLb = [[T, L], ...(az ? [[T, L, ...Z]] : [])];
      const group = table.targetGroups.get(tg);
      let healthy = 0;
      let unhealthy = 0;
      for (const t of group?.targets ?? []) {
        const h = this.#d.health.get(tg, t.id, t.port)?.state;
        if (h === "healthy") healthy++;
        else if (h === "unhealthy") unhealthy++;
      }
      add(tg, "HealthyHostCount", tgLb, "Count", { count: 1, sum: healthy, min: healthy, max: healthy });
      add(tg, "UnHealthyHostCount", tgLb, "Count", { count: 1, sum: unhealthy, min: unhealthy, max: unhealthy });
      const requests = c?.requests ?? 0;
      const per = requests === 0 ? 0 : requests / Math.max(healthy || (group?.targets.length ?? 0), 1);
      add(tg, "RequestCountPerTarget", [[T], ...tgLb], "Count", { count: 1, sum: per, min: per, max: per });
      if (!c) continue;
      const tot = lbTotals.get(lb) ?? { requests: 0, status: [0, 0, 0, 0, 0, 0], errors: 0, rt: { count: 0, sum: 0, min: Number.POSITIVE_INFINITY, max: 0, hist: Array(HISTOGRAM_BOUNDS.length).fill(0) } };
      lbTotals.set(lb, tot);
      if (requests > 0) {
        add(tg, "RequestCount", [[T], ...tgLb], "Count", counts(requests));
        tot.requests += requests;
      }
      for (let cls = 2; cls <= 5; cls++) {
        const n = c.targetStatus[cls]!;
        if (n > 0) add(tg, `HTTPCode_Target_${cls}XX_Count`, tgLb, "Count", counts(n));
        tot.status[cls]! += n;
      }
      if (c.targetConnectionErrors > 0) add(tg, "TargetConnectionErrorCount", tgLb, "Count", counts(c.targetConnectionErrors));
      tot.errors += c.targetConnectionErrors;
      if (c.responses > 0) {
        add(tg, "TargetResponseTime", tgLb, "Seconds", { count: c.responses, sum: c.responseTimeSum, min: c.responseTimeMin, max: c.responseTimeMax }, c.histogram);
        tot.rt.count += c.responses;
        tot.rt.sum += c.responseTimeSum;
        tot.rt.min = Math.min(tot.rt.min, c.responseTimeMin);
        tot.rt.max = Math.max(tot.rt.max, c.responseTimeMax);
        c.histogram.forEach((n, i) => {
          tot.rt.hist[i]! += n;
        });
      }
    }
    for (const [lb, tot] of lbTotals) {
      const dims = lbDims(lb);
      if (tot.requests > 0) add(lb, "RequestCount", dims, "Count", counts(tot.requests));
      for (let cls = 2; cls <= 5; cls++) if (tot.status[cls]! > 0) add(lb, `HTTPCode_Target_${cls}XX_Count`, dims, "Count", counts(tot.status[cls]!));
      if (tot.errors > 0) add(lb, "TargetConnectionErrorCount", dims, "Count", counts(tot.errors));
      if (tot.rt.count > 0) add(lb, "TargetResponseTime", dims, "Seconds", tot.rt, tot.rt.hist);
    }
    for (const { scope, samples } of out.values()) this.#d.publish(scope, samples);
  }
}
