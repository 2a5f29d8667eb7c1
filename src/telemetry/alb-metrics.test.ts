import assert from "node:assert/strict";
import { test } from "node:test";
import { TrafficCounters } from "../proxy/traffic-counters.ts";
import type { Sample } from "../services/cloudwatch/index.ts";
import { AlbMetrics } from "./alb-metrics.ts";

const LB = "arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/web/0123456789abcdef";
const TG = "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/web-tg/fedcba9876543210";

function setup() {
  const counters = new TrafficCounters();
  const published: Sample[] = [];
  const table = {
    listeners: new Map([[80, { loadBalancerArn: LB, rules: [{ action: { type: "forward", targetGroups: [{ arn: TG, weight: 1 }] } }] }]]),
    targetGroups: new Map([[TG, { targets: [{ id: "10.0.0.1", port: 80 }, { id: "10.0.0.2", port: 80 }, { id: "10.0.0.3", port: 80 }] }]]),
  };
  const health = { get: (_tg: string, id: string) => ({ state: id === "10.0.0.3" ? ("unhealthy" as const) : ("healthy" as const) }), onChange: () => () => {} };
  const m = new AlbMetrics({ counters, health, table: () => table as never, zoneOf: () => "us-east-1a", publish: (_s, samples) => published.push(...samples) });
  return { counters, published, m };
}

const find = (published: Sample[], name: string, dims: string) =>
  published.find((s) => s.name === name && s.dimensions.map((d) => `${d.Name}=${d.Value}`).join(",") === dims)?.bucket;

test("a minute of traffic: counts, per-target rate, status classes, response times, host counts, ELB errors", () => {
  const { counters, published, m } = setup();
  const tg = counters.targetGroup(LB, TG);
  for (let i = 0; i < 10; i++) {
    tg.requests++;
    tg.response(i < 9 ? 200 : 503, 0.01 * (i + 1));
  }
  counters.loadBalancer(LB).countElb(502);
  m.publishMinute(Date.UTC(2026, 0, 1, 10, 0));
  const L = "LoadBalancer=app/web/0123456789abcdef";
  const T = "TargetGroup=targetgroup/web-tg/fedcba9876543210";
  assert.equal(find(published, "RequestCount", L)?.sum, 10);
  assert.equal(find(published, "RequestCount", `${L},AvailabilityZone=us-east-1a`)?.sum, 10);
  assert.equal(find(published, "RequestCount", T)?.sum, 10);
  assert.equal(find(published, "RequestCountPerTarget", T)?.sum, 5, "10 requests over 2 healthy targets");
  assert.equal(find(published, "HTTPCode_Target_2XX_Count", `${T},${L}`)?.sum, 9);
  assert.equal(find(published, "HTTPCode_Target_5XX_Count", L)?.sum, 1);
  assert.equal(find(published, "HTTPCode_ELB_502_Count", L)?.sum, 1);
  assert.equal(find(published, "HTTPCode_ELB_5XX_Count", L)?.sum, 1);
  assert.equal(find(published, "HealthyHostCount", `${T},${L}`)?.sum, 2);
  assert.equal(find(published, "UnHealthyHostCount", `${T},${L}`)?.sum, 1);
  const rt = find(published, "TargetResponseTime", L)!;
  assert.equal(rt.count, 10);
  assert.ok(Math.abs(rt.sum / rt.count - 0.055) < 1e-9);
  assert.equal(rt.max, 0.1);
});

test("an idle minute still reports RequestCountPerTarget 0 and the host counts, and nothing else", () => {
  const { published, m } = setup();
  m.publishMinute(Date.UTC(2026, 0, 1, 10, 1));
  assert.deepEqual([...new Set(published.map((s) => s.name))].sort(), ["HealthyHostCount", "RequestCountPerTarget", "UnHealthyHostCount"]);
  assert.equal(find(published, "RequestCountPerTarget", "TargetGroup=targetgroup/web-tg/fedcba9876543210")?.sum, 0);
});
