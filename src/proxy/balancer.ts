/**
 * Target choice within one target group: only healthy, non-draining targets; fail open to the
 * unhealthy ones when none is healthy; none at all → undefined (the caller answers 503).
 * Algorithms round_robin, least_outstanding_requests and weighted_random, with a linear slow start
 * ramp (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-target-groups.html).
 * The eligible set is cached per target group and rebuilt when the table or any target's health
 * changes, so a pick is a few array reads.
 */
import type { Clock } from "../core/clock.ts";
import type { TargetGroupRoutes, TargetRoute } from "./routing-table.ts";
import type { TargetHealthView } from "./target-health.ts";

export interface Slot {
  readonly tgArn: string;
  readonly route: TargetRoute;
  /** `<tgArn>\n<id>\n<port>`: keys outstanding counts, slow start and in-flight tracking. */
  readonly key: string;
}

interface Eligible {
  readonly tg: TargetGroupRoutes;
  readonly version: number;
  readonly slots: readonly Slot[];
}

export function targetKey(tgArn: string, id: string, port: number): string {
  return `${tgArn}\n${id}\n${port}`;
}

export interface BalancerOptions {
  readonly health: TargetHealthView;
  readonly clock: Clock;
  /** Uniform in [0, 1). */
  readonly random: () => number;
}

export class Balancer {
  readonly #health: TargetHealthView;
  readonly #clock: Clock;
  readonly #random: () => number;
  #version = 0;
  readonly #eligible = new Map<string, Eligible>();
  readonly #rr = new Map<string, number>();
  readonly #outstanding = new Map<string, number>();
  /** Slow start begin time (epoch ms) by target key. */
  readonly #slowStart = new Map<string, number>();
  #groups: ReadonlyMap<string, TargetGroupRoutes> = new Map();
  readonly #unsubscribe: () => void;

  constructor(opts: BalancerOptions) {
    this.#health = opts.health;
    this.#clock = opts.clock;
    this.#random = opts.random;
    this.#unsubscribe = this.#health.onChange((tgArn, id, port, h) => {
      this.#version++;
      const key = targetKey(tgArn, id, port);
      if (h.state !== "healthy") {
        this.#slowStart.delete(key);
        return;
      }
      const tg = this.#groups.get(tgArn);
      if (!tg || tg.slowStartSeconds <= 0 || tg.algorithm === "least_outstanding_requests") return;
      const now = this.#clock.now();
      const others = tg.targets.some(
        (t) =>
          !(t.id === id && t.port === port) &&
          !t.draining &&
          this.#health.get(tgArn, t.id, t.port)?.state === "healthy" &&
          !this.#inSlowStart(targetKey(tgArn, t.id, t.port), tg, now),
      );
      if (others) this.#slowStart.set(key, now);
    });
  }

  /** The current target groups (for slow start decisions); cached eligible sets are dropped. */
  setGroups(groups: ReadonlyMap<string, TargetGroupRoutes>): void {
    this.#groups = groups;
    this.#version++;
    for (const key of this.#slowStart.keys()) {
      const [arn] = key.split("\n");
      if (!groups.has(arn!)) this.#slowStart.delete(key);
    }
  }

  close(): void {
    this.#unsubscribe();
  }

  #inSlowStart(key: string, tg: TargetGroupRoutes, now: number): boolean {
    const start = this.#slowStart.get(key);
    if (start === undefined) return false;
    if (now - start >= tg.slowStartSeconds * 1000) {
      this.#slowStart.delete(key);
      return false;
    }
    return true;
  }

  /** Targets that may receive new requests (healthy, or the fail-open set); empty → 503. */
  eligible(tg: TargetGroupRoutes): readonly Slot[] {
    const cached = this.#eligible.get(tg.arn);
    if (cached && cached.tg === tg && cached.version === this.#version) return cached.slots;
    const healthy: Slot[] = [];
    const unhealthy: Slot[] = [];
    for (const t of tg.targets) {
      if (t.draining) continue;
      const state = this.#health.get(tg.arn, t.id, t.port)?.state;
      const slot = { tgArn: tg.arn, route: t, key: targetKey(tg.arn, t.id, t.port) };
      if (state === "healthy" || state === "unavailable") healthy.push(slot);
      else if (state === "unhealthy") unhealthy.push(slot);
    }
    const slots = healthy.length > 0 ? healthy : unhealthy;
    this.#eligible.set(tg.arn, { tg, version: this.#version, slots });
    return slots;
  }

  /** The eligible slot for a sticky target, if it still is one. */
  find(tg: TargetGroupRoutes, id: string, port: number): Slot | undefined {
    for (const s of this.eligible(tg)) if (s.route.id === id && s.route.port === port) return s;
    return undefined;
  }

  pick(tg: TargetGroupRoutes): Slot | undefined {
    const slots = this.eligible(tg);
    const n = slots.length;
    if (n === 0) return undefined;
    if (n === 1) return slots[0];
    if (this.#slowStart.size > 0 && tg.slowStartSeconds > 0) {
      const ramped = this.#pickSlowStart(tg, slots);
      if (ramped) return ramped;
    }
    switch (tg.algorithm) {
      case "weighted_random":
        return slots[Math.floor(this.#random() * n) % n];
      case "least_outstanding_requests": {
        const start = this.#next(tg.arn);
        let best: Slot | undefined;
        let bestCount = Infinity;
        for (let i = 0; i < n; i++) {
          const s = slots[(start + i) % n]!;
          const c = this.#outstanding.get(s.key) ?? 0;
          if (c < bestCount) {
            best = s;
            bestCount = c;
          }
        }
        return best;
      }
      default:
        return slots[this.#next(tg.arn) % n];
    }
  }

  #next(arn: string): number {
    const i = this.#rr.get(arn) ?? 0;
    this.#rr.set(arn, i + 1 >= Number.MAX_SAFE_INTEGER ? 0 : i + 1);
    return i;
  }

  /** Weighted random with each slow-starting target's weight ramped linearly from ~0 to 1. */
  #pickSlowStart(tg: TargetGroupRoutes, slots: readonly Slot[]): Slot | undefined {
    const now = this.#clock.now();
    const durMs = tg.slowStartSeconds * 1000;
    let any = false;
    const weights = slots.map((s) => {
      const start = this.#slowStart.get(s.key);
      if (start === undefined) return 1;
      const f = (now - start) / durMs;
      if (f >= 1) {
        this.#slowStart.delete(s.key);
        return 1;
      }
      any = true;
      return Math.max(f, 0.001);
    });
    if (!any) return undefined;
    const total = weights.reduce((a, b) => a + b, 0);
    let r = this.#random() * total;
    for (let i = 0; i < slots.length; i++) {
      r -= weights[i]!;
      if (r < 0) return slots[i];
    }
    return slots[slots.length - 1];
  }

  /** Slow start weight in [0,1] of a target (1 when not ramping); for tests and diagnostics. */
  slowStartWeight(tg: TargetGroupRoutes, id: string, port: number): number {
    const start = this.#slowStart.get(targetKey(tg.arn, id, port));
    if (start === undefined) return 1;
    return Math.min(1, (this.#clock.now() - start) / (tg.slowStartSeconds * 1000));
  }

  acquire(key: string): void {
    this.#outstanding.set(key, (this.#outstanding.get(key) ?? 0) + 1);
  }

  release(key: string): void {
    const c = (this.#outstanding.get(key) ?? 1) - 1;
    if (c <= 0) this.#outstanding.delete(key);
    else this.#outstanding.set(key, c);
  }

  outstanding(key: string): number {
    return this.#outstanding.get(key) ?? 0;
  }
}

/** Weighted random choice among forward target groups; weight 0 never wins; undefined if all are 0. */
export function pickWeighted<T extends { weight: number }>(items: readonly T[], random: () => number): T | undefined {
  // A single target group (legacy TargetGroupArn) always gets the traffic.
  if (items.length === 1) return items[0];
  let total = 0;
  for (const it of items) total += Math.max(0, it.weight);
  if (total <= 0) return undefined;
  let r = random() * total;
  for (const it of items) {
    if (it.weight <= 0) continue;
    r -= it.weight;
    if (r < 0) return it;
  }
  for (let i = items.length - 1; i >= 0; i--) if (items[i]!.weight > 0) return items[i];
  return undefined;
}

/** A small fast PRNG (xorshift128+ style on 32-bit lanes) seeded once; injectable for tests. */
export function seededRandom(seed: Buffer): () => number {
  let a = seed.readUInt32LE(0) | 1;
  let b = seed.readUInt32LE(4) | 2;
  let c = seed.readUInt32LE(8) | 4;
  let d = seed.readUInt32LE(12) | 8;
  return () => {
    // sfc32
    a |= 0;
    b |= 0;
    c |= 0;
    d |= 0;
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}
