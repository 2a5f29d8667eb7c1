import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ManualClock } from "../core/clock.ts";
import { Balancer, pickWeighted, seededRandom, targetKey } from "./balancer.ts";
import type { TargetGroupRoutes, TargetRoute } from "./routing-table.ts";
import type { TargetHealth, TargetHealthView, TargetState } from "./target-health.ts";

class Health implements TargetHealthView {
  states = new Map<string, TargetHealth>();
  ls = new Set<(a: string, i: string, p: number, h: TargetHealth) => void>();
  get(a: string, i: string, p: number) {
    return this.states.get(targetKey(a, i, p));
  }
  onChange(l: (a: string, i: string, p: number, h: TargetHealth) => void) {
    this.ls.add(l);
    return () => this.ls.delete(l);
  }
  set(a: string, i: string, p: number, state: TargetState) {
    this.states.set(targetKey(a, i, p), { state });
    for (const l of this.ls) l(a, i, p, { state });
  }
}

const t = (id: string, draining = false): TargetRoute => ({ id, port: 80, address: "127.0.0.1", draining, registeredAt: 0 });
const group = (targets: TargetRoute[], extra: Partial<TargetGroupRoutes> = {}): TargetGroupRoutes => ({
  arn: "tg",
  protocol: "HTTP",
  port: 80,
  targetType: "ip",
  healthCheck: { enabled: true, protocol: "HTTP", port: "traffic-port", path: "/", intervalSeconds: 30, timeoutSeconds: 5, healthyThreshold: 5, unhealthyThreshold: 2, matcher: "200" },
  algorithm: "round_robin",
  slowStartSeconds: 0,
  deregistrationDelaySeconds: 300,
  stickiness: { enabled: false, type: "lb_cookie", durationSeconds: 86400 },
  targets,
  inUse: true,
  ...extra,
});

function setup(tg: TargetGroupRoutes, states: Record<string, TargetState>) {
  const health = new Health();
  const clock = new ManualClock();
  const b = new Balancer({ health, clock, random: seededRandom(Buffer.alloc(16, 7)) });
  b.setGroups(new Map([[tg.arn, tg]]));
  for (const [id, s] of Object.entries(states)) health.set(tg.arn, id, 80, s);
  return { b, health, clock };
}

const picks = (b: Balancer, tg: TargetGroupRoutes, n: number) => Array.from({ length: n }, () => b.pick(tg)?.route.id ?? "-");

describe("Balancer", () => {
  it("round robins over healthy, non-draining targets", () => {
    const tg = group([t("a"), t("b"), t("c", true), t("d")]);
    const { b } = setup(tg, { a: "healthy", b: "healthy", c: "healthy", d: "unhealthy" });
    assert.deepEqual(picks(b, tg, 4), ["a", "b", "a", "b"]);
  });

  it("fails open to all unhealthy targets; none healthy or unhealthy → undefined", () => {
    const tg = group([t("a"), t("b"), t("c")]);
    const { b, health } = setup(tg, { a: "unhealthy", b: "unhealthy", c: "initial" });
    assert.deepEqual(picks(b, tg, 4).sort(), ["a", "a", "b", "b"]);
    health.set("tg", "a", 80, "initial");
    health.set("tg", "b", 80, "draining");
    assert.equal(b.pick(tg), undefined);
    assert.equal(b.pick(group([])), undefined);
  });

  it("treats health-check-disabled (unavailable) targets as routable", () => {
    const tg = group([t("a")]);
    const { b } = setup(tg, { a: "unavailable" });
    assert.equal(b.pick(tg)?.route.id, "a");
  });

  it("least outstanding requests prefers the least busy target", () => {
    const tg = group([t("a"), t("b")], { algorithm: "least_outstanding_requests" });
    const { b } = setup(tg, { a: "healthy", b: "healthy" });
    b.acquire(targetKey("tg", "a", 80));
    b.acquire(targetKey("tg", "a", 80));
    assert.deepEqual(picks(b, tg, 3), ["b", "b", "b"]);
    b.release(targetKey("tg", "a", 80));
    b.release(targetKey("tg", "a", 80));
    assert.equal(b.outstanding(targetKey("tg", "a", 80)), 0);
  });

  it("weighted random spreads across targets", () => {
    const tg = group([t("a"), t("b")], { algorithm: "weighted_random" });
    const { b } = setup(tg, { a: "healthy", b: "healthy" });
    const counts = picks(b, tg, 1000).reduce<Record<string, number>>((m, id) => ((m[id] = (m[id] ?? 0) + 1), m), {});
    assert.ok(counts.a! > 400 && counts.b! > 400, JSON.stringify(counts));
  });

  it("slow start ramps a newly healthy target linearly when another healthy target is outside slow start", () => {
    const tg = group([t("a"), t("b")], { slowStartSeconds: 100 });
    const { b, health, clock } = setup(tg, { a: "healthy" });
    health.set("tg", "b", 80, "healthy");
    assert.equal(b.slowStartWeight(tg, "b", 80), 0);
    clock.advance(25_000);
    assert.equal(b.slowStartWeight(tg, "b", 80), 0.25);
    const share = picks(b, tg, 2000).filter((id) => id === "b").length / 2000;
    assert.ok(share > 0.12 && share < 0.28, `share ${share}`); // 0.25 / 1.25 = 0.2
    clock.advance(75_000);
    assert.equal(b.slowStartWeight(tg, "b", 80), 1);
    health.set("tg", "b", 80, "unhealthy");
    health.set("tg", "b", 80, "healthy");
    assert.equal(b.slowStartWeight(tg, "b", 80), 0, "re-enters slow start when healthy again");
  });

  it("does not slow-start the first targets of an empty group", () => {
    const tg = group([t("a"), t("b")], { slowStartSeconds: 100 });
    const { b } = setup(tg, { a: "healthy" });
    assert.equal(b.slowStartWeight(tg, "a", 80), 1);
  });

  it("picks forward target groups by weight; weight 0 gets nothing", () => {
    const rnd = seededRandom(Buffer.alloc(16, 3));
    const groups = [{ arn: "x", weight: 0 }, { arn: "y", weight: 3 }, { arn: "z", weight: 1 }];
    const n = { x: 0, y: 0, z: 0 } as Record<string, number>;
    for (let i = 0; i < 4000; i++) n[pickWeighted(groups, rnd)!.arn]!++;
    assert.equal(n.x, 0);
    assert.ok(n.y! > 2700 && n.y! < 3300, JSON.stringify(n));
    assert.equal(pickWeighted([{ arn: "a", weight: 0 }, { arn: "b", weight: 0 }], rnd), undefined);
  });
});
