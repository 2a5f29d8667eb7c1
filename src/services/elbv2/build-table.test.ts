import assert from "node:assert/strict";
import { test } from "node:test";
import { ManualClock } from "../../core/clock.ts";
import { seededIds } from "../../core/ids.ts";
import { planHostPorts } from "../../proxy/host-ports.ts";
import { Store } from "../../store/store.ts";
import { buildTable, tableKey } from "./build-table.ts";
import { Elbv2 } from "./elbv2.ts";
import type { Elbv2State } from "./repo.ts";
import { RoutingTableSource } from "./table-source.ts";
import { Background, INTERVALS } from "../../server/background.ts";

const LB = "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/a/0000000000000001";
const LB2 = "arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/b/0000000000000002";
const TG = "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/t/0000000000000003";
const L1 = `${LB.replace("loadbalancer/", "listener/")}/00000000000000a1`;
const L2 = `${LB2.replace("loadbalancer/", "listener/")}/00000000000000a2`;
const fwd = { Type: "forward" as const, TargetGroupArn: TG, ForwardConfig: { TargetGroups: [{ TargetGroupArn: TG, Weight: 1 }] } };

function state(): Elbv2State {
  return {
    loadBalancers: [
      { doc: { LoadBalancerArn: LB }, attributes: { "idle_timeout.timeout_seconds": "30", "routing.http.xff_header_processing.mode": "remove" } },
      { doc: { LoadBalancerArn: LB2 }, attributes: {} },
    ],
    listeners: [
      { doc: { ListenerArn: L1, LoadBalancerArn: LB, Port: 80, Protocol: "HTTP" }, attributes: {} },
      { doc: { ListenerArn: L2, LoadBalancerArn: LB2, Port: 80, Protocol: "HTTP" }, attributes: {} },
    ],
    rules: [
      { listenerArn: L1, doc: { RuleArn: "r-default", Priority: "default", IsDefault: true, Conditions: [], Actions: [fwd] } },
      {
        listenerArn: L1,
        doc: { RuleArn: "r-20", Priority: "20", IsDefault: false, Conditions: [{ Field: "host-header", Values: ["a"], HostHeaderConfig: { Values: ["a"] } }], Actions: [{ Type: "fixed-response", FixedResponseConfig: { StatusCode: "404" } }] },
      },
      {
        listenerArn: L1,
        doc: {
          RuleArn: "r-3",
          Priority: "3",
          IsDefault: false,
          Conditions: [{ Field: "query-string", QueryStringConfig: { Values: [{ Value: "x" }] } }],
          Actions: [{ Type: "redirect", RedirectConfig: { Protocol: "HTTPS", Port: "443", StatusCode: "HTTP_301" } }],
        },
      },
      { listenerArn: L2, doc: { RuleArn: "r2-default", Priority: "default", IsDefault: true, Conditions: [], Actions: [{ Type: "fixed-response", FixedResponseConfig: { StatusCode: "200" } }] } },
    ],
    targetGroups: [
      {
        doc: { TargetGroupArn: TG, Protocol: "HTTP", Port: 8080, TargetType: "ip", HealthCheckPort: "traffic-port", HealthCheckPath: "/hc", Matcher: { HttpCode: "200-299" } },
        attributes: { "deregistration_delay.timeout_seconds": "10", "stickiness.enabled": "true" },
      },
    ],
    targets: [
      { targetGroupArn: TG, id: "10.0.0.1", port: 8080, availabilityZone: "us-east-1a", registeredAt: 5, drainingUntil: undefined },
      { targetGroupArn: TG, id: "10.0.0.2", port: 8080, availabilityZone: "us-east-1a", registeredAt: 6, drainingUntil: 2000 },
      { targetGroupArn: TG, id: "10.0.0.3", port: 8080, availabilityZone: "us-east-1a", registeredAt: 7, drainingUntil: 1000 },
    ],
  };
}

test("buildTable: rule order, host ports, attributes, targets", () => {
  const t = buildTable(state(), 1000);
  assert.deepEqual([...t.listeners.keys()], [L1, L2], "listeners by ARN, in creation order");
  // Host ports are the data plane's choice (src/proxy/host-ports.ts), planned over the table's listeners.
  const hostPorts = planHostPorts(t.listeners.values(), (p) => p);
  assert.deepEqual([...hostPorts.values()], [80, 80], "two load balancers' listeners on :80 share host port 80 (told apart by Host)");
  const l = t.listeners.get(L1)!;
  assert.equal(l.listenerArn, L1);
  assert.equal(l.idleTimeoutSeconds, 30);
  assert.equal(l.xffMode, "remove");
  assert.equal(l.preserveHostHeader, false);
  assert.deepEqual(l.rules.map((r) => r.priority), [3, 20, "default"]);
  assert.deepEqual(l.rules[0]!.conditions, [{ field: "query-string", values: [{ value: "x" }] }]);
  assert.deepEqual(l.rules[0]!.action, { type: "redirect", protocol: "HTTPS", port: "443", statusCode: "HTTP_301" });
  assert.deepEqual(l.rules[2]!.action, { type: "forward", targetGroups: [{ arn: TG, weight: 1 }] });
  assert.equal(t.listeners.get(L2)!.port, 80);
  assert.equal(hostPorts.get(L2), 80);
  const mixed = planHostPorts(
    [
      { listenerArn: "a", port: 443, protocol: "HTTPS" },
      { listenerArn: "b", port: 443, protocol: "HTTP" },
      { listenerArn: "c", port: 443, protocol: "HTTPS" },
      { listenerArn: "d", port: 443, protocol: "HTTP" },
      { listenerArn: "e", port: 444, protocol: "HTTP" },
    ],
    (p) => p,
  );
  assert.deepEqual([...mixed.values()], [443, 445, 443, 445, 444], "HTTP listeners on a port that serves HTTPS move together to the next free port");
  const tg = t.targetGroups.get(TG)!;
  assert.equal(tg.inUse, true);
  assert.equal(tg.deregistrationDelaySeconds, 10);
  assert.deepEqual(tg.stickiness, { enabled: true, type: "lb_cookie", durationSeconds: 86400 });
  assert.equal(tg.algorithm, "round_robin");
  assert.deepEqual(tg.healthCheck, {
    enabled: true, protocol: "HTTP", port: "traffic-port", path: "/hc", intervalSeconds: 30, timeoutSeconds: 5, healthyThreshold: 5, unhealthyThreshold: 2, matcher: "200-299",
  });
  assert.deepEqual(tg.targets.map((x) => [x.id, x.draining, x.address]), [["10.0.0.1", false, "10.0.0.1"], ["10.0.0.2", true, "10.0.0.2"]], "past-deadline target dropped");
  assert.equal(buildTable(state(), 2000).targetGroups.get(TG)!.targets.length, 1);
  assert.equal(tableKey(buildTable(state(), 1000)), tableKey(t), "deterministic");
  const custom = planHostPorts(buildTable(state(), 0).listeners.values(), (p) => p + 8000);
  assert.deepEqual([...custom.values()], [8080, 8080]);
});

test("RoutingTableSource: rebuilds once per burst of writes, skips unchanged tables, expires draining on the timer", async () => {
  const clock = new ManualClock();
  const store = new Store(":memory:");
  const e = new Elbv2({ store, clock, ids: seededIds("t") });
  const src = new RoutingTableSource({ store, repo: e.repo, clock });
  src.start();
  const background = new Background(clock, () => {});
  background.every("routing-table refresh", INTERVALS.routingRefresh, () => src.rebuild());
  const seen: number[] = [];
  src.onChange((t) => seen.push(t.targetGroups.size));
  const scope = { accountId: "1", region: "us-east-1" };
  const tg = e.targetGroups.create(scope, { Name: "a", TargetType: "ip" });
  e.targetGroups.create(scope, { Name: "b", TargetType: "ip" });
  await new Promise<void>((r) => queueMicrotask(r));
  assert.deepEqual(seen, [2], "two writes, one rebuild");
  e.targetGroups.modifyAttributes(scope, tg.TargetGroupArn, [{ Key: "deregistration_delay.timeout_seconds", Value: "5" }]);
  await new Promise<void>((r) => queueMicrotask(r));
  assert.equal(seen.length, 2, "deregistration delay is in the table");
  e.registerTargets(scope, tg.TargetGroupArn!, [{ id: "10.0.0.1" }]);
  e.deregisterTargets(scope, tg.TargetGroupArn!, [{ id: "10.0.0.1" }]);
  await new Promise<void>((r) => queueMicrotask(r));
  assert.equal(src.current().targetGroups.get(tg.TargetGroupArn!)!.targets[0]!.draining, true);
  const before = seen.length;
  clock.advance(1000);
  await new Promise<void>((r) => setImmediate(r));
  assert.equal(seen.length, before, "nothing changed: no notification");
  clock.advance(4000);
  await new Promise<void>((r) => setImmediate(r));
  assert.equal(src.current().targetGroups.get(tg.TargetGroupArn!)!.targets.length, 0);
  src.stop();
  background.stop();
  store.close();
});
