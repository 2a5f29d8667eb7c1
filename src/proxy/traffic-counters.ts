/**
 * The data plane's own counters, what CloudWatch's AWS/ApplicationELB metrics are computed from.
 * Plain numbers per load balancer and per (load balancer, target group), incremented on the
 * request path with no allocation per request (each counter object is made once, on first use),
 * and drained once a minute by the metric publisher. Response times go into a fixed log-scale
 * histogram, so percentiles need no per-request storage.
 */
import type { Socket } from "node:net";
import type { DataPlaneObserver } from "./observer.ts";
import type { UpstreamFailure } from "./upstream.ts";

/** Histogram bucket upper bounds in seconds: 64 log-spaced from 100 µs to ~ 400 s. */
const BUCKETS = 64;
const MIN_S = 1e-4;
const GROWTH = 1.27;
export const HISTOGRAM_BOUNDS: readonly number[] = Array.from({ length: BUCKETS }, (_, i) => MIN_S * GROWTH ** i);
const LOG_GROWTH = Math.log(GROWTH);

function bucketOf(seconds: number): number {
  if (seconds <= MIN_S) return 0;
  const i = Math.ceil(Math.log(seconds / MIN_S) / LOG_GROWTH);
  return i >= BUCKETS ? BUCKETS - 1 : i;
}

/** Counters of one load balancer (client side). */
export class LoadBalancerCounters {
  activeConnections = 0;
  /** The most connections open at once this minute (ActiveConnectionCount's Sum is concurrent connections). */
  peakConnections = 0;
  newConnections = 0;
  processedBytes = 0;
  rejectedConnections = 0;
  /** Responses the load balancer generated itself, by status. */
  readonly elb = new Map<number, number>();

  countElb(status: number): void {
    this.elb.set(status, (this.elb.get(status) ?? 0) + 1);
  }
}

/** Counters of one target group behind one load balancer. */
export class TargetGroupCounters {
  requests = 0;
  /** Responses from targets by status class: index 2..5 → 2XX..5XX. */
  readonly targetStatus = new Float64Array(6);
  targetConnectionErrors = 0;
  /** TargetResponseTime: count, sum, min, max (seconds) and a histogram. */
  responses = 0;
  responseTimeSum = 0;
  responseTimeMin = Number.POSITIVE_INFINITY;
  responseTimeMax = 0;
  readonly histogram = new Float64Array(BUCKETS);

  response(status: number, seconds: number): void {
    const cls = (status / 100) | 0;
    if (cls >= 2 && cls <= 5) this.targetStatus[cls]! += 1;
    this.responses++;
    this.responseTimeSum += seconds;
    if (seconds < this.responseTimeMin) this.responseTimeMin = seconds;
    if (seconds > this.responseTimeMax) this.responseTimeMax = seconds;
    this.histogram[bucketOf(seconds)]! += 1;
  }
}

export interface TrafficSnapshot {
  readonly loadBalancers: ReadonlyMap<string, LoadBalancerCounters>;
  /** Keyed by `${loadBalancerArn} ${targetGroupArn}`. */
  readonly targetGroups: ReadonlyMap<string, { loadBalancerArn: string; targetGroupArn: string; counters: TargetGroupCounters }>;
}

/**
 * The data planes report to these counters through the observer seam (observer.ts): the Node data
 * plane from its request path, the HAProxy one from its log lines.
 */
export class TrafficCounters implements DataPlaneObserver {
  #lbs = new Map<string, LoadBalancerCounters>();
  /** Open client connections per load balancer, and the bytes already counted for each. */
  readonly #sockets = new Map<string, Map<Socket, number>>();
  /** Load balancer ARN → target group ARN → counters (nested: no key string built per request). */
  #tgs = new Map<string, Map<string, TargetGroupCounters>>();
  /** Counting can be switched off (the benchmark's baseline). */
  enabled = true;
  #events = 0;

  /**
   * Connections and requests reported since start, counted even when `enabled` is off and never
   * drained: the idle collector (src/server/idle-gc.ts) reads it as load-balancer traffic, so a busy
   * data plane behind a quiet API is not paused by a collection meant for an idle server.
   */
  get events(): number {
    return this.#events;
  }

  loadBalancer(arn: string): LoadBalancerCounters {
    let c = this.#lbs.get(arn);
    if (!c) {
      c = new LoadBalancerCounters();
      this.#lbs.set(arn, c);
    }
    return c;
  }

  targetGroup(loadBalancerArn: string, targetGroupArn: string): TargetGroupCounters {
    let byTg = this.#tgs.get(loadBalancerArn);
    if (!byTg) {
      byTg = new Map();
      this.#tgs.set(loadBalancerArn, byTg);
    }
    let c = byTg.get(targetGroupArn);
    if (!c) {
      c = new TargetGroupCounters();
      byTg.set(targetGroupArn, c);
    }
    return c;
  }

  /** A client connection reached the load balancer (HAProxy mode: no socket, so no bytes or open count). */
  connection(loadBalancerArn: string, socket: Socket | undefined): void {
    this.#events++;
    if (!this.enabled) return;
    const lb = this.loadBalancer(loadBalancerArn);
    lb.newConnections++;
    if (!socket) return;
    lb.activeConnections++;
    if (lb.activeConnections > lb.peakConnections) lb.peakConnections = lb.activeConnections;
    let open = this.#sockets.get(loadBalancerArn);
    if (!open) {
      open = new Map();
      this.#sockets.set(loadBalancerArn, open);
    }
    open.set(socket, 0);
    socket.once("close", () => {
      this.#countBytes(loadBalancerArn, socket);
      open.delete(socket);
      this.loadBalancer(loadBalancerArn).activeConnections--;
    });
  }

  /** The load balancer answered itself (fixed response, redirect, or one of its error pages). */
  loadBalancerResponse(loadBalancerArn: string, status: number): void {
    this.#events++;
    if (this.enabled) this.loadBalancer(loadBalancerArn).countElb(status);
  }

  /** A target answered: one request routed to the group, its status class and response time. */
  targetResponse(loadBalancerArn: string, targetGroupArn: string, status: number, seconds: number): void {
    this.#events++;
    if (!this.enabled) return;
    const tg = this.targetGroup(loadBalancerArn, targetGroupArn);
    tg.requests++;
    tg.response(status, seconds);
  }

  /**
   * Reaching a target failed: one request routed to the group; a failed connection is a
   * TargetConnectionErrorCount. (The 502/504 the client got arrives as loadBalancerResponse.)
   */
  targetFailure(loadBalancerArn: string, targetGroupArn: string, kind: UpstreamFailure): void {
    this.#events++;
    if (!this.enabled) return;
    const tg = this.targetGroup(loadBalancerArn, targetGroupArn);
    tg.requests++;
    if (kind === "connect") tg.targetConnectionErrors++;
  }

  /** Adds what a connection moved since it was last counted (ProcessedBytes, both directions). */
  #countBytes(loadBalancerArn: string, socket: Socket): void {
    const open = this.#sockets.get(loadBalancerArn);
    const before = open?.get(socket) ?? 0;
    const now = socket.bytesRead + socket.bytesWritten;
    if (now > before) this.loadBalancer(loadBalancerArn).processedBytes += now - before;
    open?.set(socket, now);
  }

  /**
   * The counts since the last drain; counters start again from zero (open connections carry over
   * as the new minute's active count).
   */
  drain(): TrafficSnapshot {
    for (const [arn, open] of this.#sockets) for (const socket of open.keys()) this.#countBytes(arn, socket);
    const targetGroups = new Map<string, { loadBalancerArn: string; targetGroupArn: string; counters: TargetGroupCounters }>();
    for (const [loadBalancerArn, byTg] of this.#tgs) {
      for (const [targetGroupArn, counters] of byTg) targetGroups.set(`${loadBalancerArn} ${targetGroupArn}`, { loadBalancerArn, targetGroupArn, counters });
    }
    const snap: TrafficSnapshot = { loadBalancers: this.#lbs, targetGroups };
    const lbs = new Map<string, LoadBalancerCounters>();
    for (const [arn, c] of this.#lbs) {
      if (c.activeConnections > 0) {
        const next = new LoadBalancerCounters();
        next.activeConnections = c.activeConnections;
        next.peakConnections = c.activeConnections;
        lbs.set(arn, next);
      }
    }
    this.#lbs = lbs;
    this.#tgs = new Map();
    return snap;
  }
}
