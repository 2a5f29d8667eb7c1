import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ManualClock } from "../core/clock.ts";
import { HealthChecker, type ProbeOutcome, type ProbeTarget, parseMatcher } from "./health-checker.ts";
import type { HealthCheckSettings, RoutingTable, TargetGroupRoutes, TargetRoute } from "./routing-table.ts";
import type { TargetHealth } from "./target-health.ts";

const tick = () => new Promise<void>((r) => setImmediate(r));

const hc: HealthCheckSettings = {
  enabled: true,
  protocol: "HTTP",
  port: "traffic-port",
  path: "/health",
  intervalSeconds: 10,
  timeoutSeconds: 5,
  healthyThreshold: 3,
  unhealthyThreshold: 2,
  matcher: "200-299",
};
const t = (id: string, extra: Partial<TargetRoute> = {}): TargetRoute => ({ id, port: 8000, address: "10.0.0.1", draining: false, registeredAt: 0, ...extra });
const group = (targets: TargetRoute[], extra: Partial<TargetGroupRoutes> = {}): TargetGroupRoutes => ({
  arn: "tg",
  protocol: "HTTP",
  port: 80,
  targetType: "ip",
  healthCheck: hc,
  algorithm: "round_robin",
  slowStartSeconds: 0,
  deregistrationDelaySeconds: 300,
  stickiness: { enabled: false, type: "lb_cookie", durationSeconds: 86400 },
  targets,
  inUse: true,
  ...extra,
});
const table = (...groups: TargetGroupRoutes[]): RoutingTable => ({ listeners: new Map(), targetGroups: new Map(groups.map((g) => [g.arn, g])) });

/** A probe scripted by the test: each call takes the next outcome ("hang" never answers). */
function scripted() {
  const calls: { target: ProbeTarget; at: number }[] = [];
  const queue: (ProbeOutcome | "hang")[] = [];
  const clock = new ManualClock();
  const checker = new HealthChecker({
    clock,
    probe: (target, signal) => {
      calls.push({ target, at: clock.now() });
      const next = queue.shift() ?? "hang";
      if (next === "hang") return new Promise((_, rej) => signal.addEventListener("abort", () => rej(new Error("aborted"))));
      return Promise.resolve(next);
    },
  });
  const changes: string[] = [];
  checker.onChange((_a, id, _p, h) => changes.push(`${id} ${fmt(h)}`));
  /** Runs one interval: queues `outcome`, advances to the next probe and lets it settle. */
  const step = async (outcome: ProbeOutcome | "hang") => {
    queue.push(outcome);
    clock.advance(hc.intervalSeconds * 1000);
    await tick();
  };
  return { clock, checker, calls, queue, changes, step };
}
const fmt = (h: TargetHealth | undefined) => (h ? [h.state, h.reason, h.description].filter(Boolean).join(" / ") : "none");

describe("HealthChecker", () => {
  it("registration → initial checking → healthy after one success", async () => {
    const { checker, queue, changes, calls } = scripted();
    queue.push({ status: 200 });
    checker.update(table(group([t("a")])));
    assert.equal(fmt(checker.get("tg", "a", 8000)), "initial / Elb.RegistrationInProgress / Target registration is in progress");
    await tick();
    assert.equal(fmt(checker.get("tg", "a", 8000)), "healthy");
    assert.deepEqual(changes, ["a initial / Elb.InitialHealthChecking / Initial health checks in progress", "a healthy"]);
    assert.deepEqual(calls[0]!.target, { protocol: "HTTP", address: "10.0.0.1", port: 8000, path: "/health" });
    checker.close();
  });

  it("initial → unhealthy after UnhealthyThreshold failures, with exact reasons; HealthyThreshold successes → healthy", async () => {
    const { checker, queue, step } = scripted();
    queue.push({ status: 404 });
    checker.update(table(group([t("a")])));
    await tick();
    assert.equal(fmt(checker.get("tg", "a", 8000)), "initial / Elb.InitialHealthChecking / Initial health checks in progress");
    await step({ status: 404 });
    assert.equal(fmt(checker.get("tg", "a", 8000)), "unhealthy / Target.ResponseCodeMismatch / Health checks failed with these codes: [404]");
    await step({ error: "failed" });
    assert.equal(fmt(checker.get("tg", "a", 8000)), "unhealthy / Target.FailedHealthChecks / Health checks failed");
    await step({ status: 200 });
    await step({ status: 204 });
    assert.equal(checker.get("tg", "a", 8000)?.state, "unhealthy", "2 of 3 successes");
    await step({ status: 200 });
    assert.equal(fmt(checker.get("tg", "a", 8000)), "healthy");
    checker.close();
  });

  it("a probe that does not answer within the timeout is Target.Timeout", async () => {
    const { checker, clock, queue } = scripted();
    queue.push({ status: 200 }, "hang", "hang");
    checker.update(table(group([t("a")])));
    await tick();
    assert.equal(checker.get("tg", "a", 8000)?.state, "healthy");
    for (const ms of [10_000, 5_000, 5_000]) {
      clock.advance(ms); // next probe (hangs), its timeout, the probe after
      await tick();
    }
    assert.equal(checker.get("tg", "a", 8000)?.state, "healthy", "one timeout is below the threshold");
    clock.advance(5_000);
    await tick();
    assert.equal(fmt(checker.get("tg", "a", 8000)), "unhealthy / Target.Timeout / Request timed out");
    checker.close();
  });

  it("healthy stays healthy below the unhealthy threshold", async () => {
    const { checker, queue, step } = scripted();
    queue.push({ status: 200 });
    checker.update(table(group([t("a")])));
    await tick();
    await step({ status: 500 });
    assert.equal(checker.get("tg", "a", 8000)?.state, "healthy");
    await step({ status: 200 });
    await step({ status: 500 });
    assert.equal(checker.get("tg", "a", 8000)?.state, "healthy", "failures must be consecutive");
    await step({ status: 503 });
    assert.equal(fmt(checker.get("tg", "a", 8000)), "unhealthy / Target.ResponseCodeMismatch / Health checks failed with these codes: [503]");
    checker.close();
  });

  it("schedules probes on the interval, not after the previous answer", async () => {
    const { checker, clock, calls } = scripted();
    checker.update(table(group([t("a")], { healthCheck: { ...hc, timeoutSeconds: 30 } })));
    await tick();
    clock.advance(10_000);
    await tick();
    clock.advance(10_000);
    await tick();
    assert.deepEqual(
      calls.map((c) => c.at - calls[0]!.at),
      [0, 10_000, 20_000],
    );
    checker.close();
  });

  it("unused when the group is not in use, unavailable when disabled, draining when deregistering, gone when removed", async () => {
    const { checker, calls } = scripted();
    checker.update(table(group([t("a")], { inUse: false })));
    await tick();
    assert.equal(fmt(checker.get("tg", "a", 8000)), "unused / Target.NotInUse / Target group is not configured to receive traffic from the load balancer");
    assert.equal(calls.length, 0, "no checks while not in use");
    checker.update(table(group([t("a")], { healthCheck: { ...hc, enabled: false } })));
    assert.equal(fmt(checker.get("tg", "a", 8000)), "unavailable / Target.HealthCheckDisabled / Health checks are disabled");
    checker.update(table(group([t("a")])));
    assert.equal(fmt(checker.get("tg", "a", 8000)), "initial / Elb.RegistrationInProgress / Target registration is in progress");
    await tick();
    assert.equal(calls.length, 1);
    checker.update(table(group([t("a", { draining: true })])));
    assert.equal(fmt(checker.get("tg", "a", 8000)), "draining / Target.DeregistrationInProgress / Target deregistration is in progress");
    checker.update(table(group([])));
    assert.equal(checker.get("tg", "a", 8000), undefined);
    checker.close();
  });

  it("probes a fixed health check port instead of the traffic port", async () => {
    const { checker, calls } = scripted();
    checker.update(table(group([t("a")], { healthCheck: { ...hc, port: 9000 } })));
    await tick();
    assert.equal(calls[0]!.target.port, 9000);
    checker.close();
  });

  it("parses matchers", () => {
    const m = parseMatcher("200,202,300-302");
    assert.deepEqual([200, 201, 202, 300, 302, 303].map(m), [true, false, true, true, true, false]);
    assert.ok(parseMatcher("200")(200) && !parseMatcher("200")(204));
  });
});
