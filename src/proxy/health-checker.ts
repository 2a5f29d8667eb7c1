/**
 * ALB target health checks, in memory, implementing TargetHealthView
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html).
 * `update(table)` adds and removes targets; each in-use target that is not draining is probed on
 * its interval (scheduled on the interval, not after the previous answer) through the injected
 * Clock, so tests drive the state machine with a ManualClock.
 */
import { type Clock, systemClock } from "../core/clock.ts";
import type { HealthCheckSettings, RoutingTable, TargetGroupRoutes, TargetRoute } from "./routing-table.ts";
import type { TargetHealth, TargetHealthView } from "./target-health.ts";
import { UpstreamPool } from "./upstream.ts";

export const REASONS = {
  registrationInProgress: { state: "initial", reason: "Elb.RegistrationInProgress", description: "Target registration is in progress" },
  initialHealthChecking: { state: "initial", reason: "Elb.InitialHealthChecking", description: "Initial health checks in progress" },
  notInUse: {
    state: "unused",
    reason: "Target.NotInUse",
    description: "Target group is not configured to receive traffic from the load balancer",
  },
  draining: { state: "draining", reason: "Target.DeregistrationInProgress", description: "Target deregistration is in progress" },
  disabled: { state: "unavailable", reason: "Target.HealthCheckDisabled", description: "Health checks are disabled" },
  healthy: { state: "healthy" },
} as const satisfies Record<string, TargetHealth>;

/** What one probe saw: an HTTP status, a timeout, or a connection failure. */
export type ProbeOutcome = { readonly status: number } | { readonly error: "timeout" | "failed" };

export interface ProbeTarget {
  readonly protocol: "HTTP" | "HTTPS";
  readonly address: string;
  readonly port: number;
  readonly path: string;
  /** Connect from this local address (the load balancer's ENI address, routing-table.ts). */
  readonly sourceAddress?: string;
}

/** Runs one health check; must settle (or honour `signal`) — the checker also applies its own timeout. */
export type Probe = (target: ProbeTarget, signal: AbortSignal) => Promise<ProbeOutcome>;

export interface HealthCheckerOptions {
  readonly clock?: Clock;
  /** The probe (default: HTTP(S) GET with `User-Agent: ELB-HealthChecker/2.0`, a new connection each time). */
  readonly probe?: Probe;
}

/** Parses a Matcher HttpCode ("200", "200,202", "200-299", or a mix) into a predicate. */
export function parseMatcher(matcher: string): (status: number) => boolean {
  const parts = matcher
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => {
      const m = /^(\d+)\s*-\s*(\d+)$/.exec(p);
      if (m) return [Number(m[1]), Number(m[2])] as const;
      return [Number(p), Number(p)] as const;
    });
  if (parts.length === 0) return (s) => s === 200;
  return (s) => parts.some(([lo, hi]) => s >= lo && s <= hi);
}

/**
 * One GET on a new connection, read with the data plane's tolerant response parser (upstream.ts),
 * so a target whose responses end their headers with a bare LF passes its checks as it serves
 * traffic. Only the status matters; the connection is closed once the head arrives.
 */
export const httpProbe: Probe = (t, signal) =>
  new Promise<ProbeOutcome>((resolve) => {
    if (signal.aborted) return resolve({ error: "timeout" });
    const pool = new UpstreamPool({ address: t.address, port: t.port, tls: t.protocol === "HTTPS", ...(t.sourceAddress ? { localAddress: t.sourceAddress } : {}) });
    const host = t.address.includes(":") ? `[${t.address}]:${t.port}` : `${t.address}:${t.port}`;
    let settled = false;
    const done = (o: ProbeOutcome) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener("abort", onAbort);
      pool.close();
      resolve(o);
    };
    const ex = pool.request(
      `GET ${t.path} HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: ELB-HealthChecker/2.0\r\nConnection: close\r\nAccept: */*\r\n\r\n`,
      "GET",
      {
        head: (h) => done({ status: h.status }),
        data: () => true,
        end: () => {},
        error: (kind) => done({ error: signal.aborted || kind === "timeout" ? "timeout" : "failed" }),
      },
      // The checker's own timer (signal) bounds the probe; these only keep sockets from lingering.
      { idleMs: 120_000, connectMs: 120_000 },
    );
    ex.requestEnded();
    const onAbort = () => ex.abort("health check timeout");
    signal.addEventListener("abort", onAbort);
  });

interface Entry {
  readonly tgArn: string;
  readonly id: string;
  readonly port: number;
  health: TargetHealth;
  successes: number;
  failures: number;
  /** Identity of the running probe loop's settings; a change restarts the loop. */
  loopKey: string | undefined;
  loop: AbortController | undefined;
}

type Listener = (targetGroupArn: string, id: string, port: number, health: TargetHealth) => void;

function entryKey(tgArn: string, id: string, port: number): string {
  return `${tgArn}\n${id}\n${port}`;
}

export class HealthChecker implements TargetHealthView {
  readonly #clock: Clock;
  readonly #probe: Probe;
  readonly #entries = new Map<string, Entry>();
  readonly #listeners = new Set<Listener>();
  #closed = false;

  constructor(opts: HealthCheckerOptions = {}) {
    this.#clock = opts.clock ?? systemClock;
    this.#probe = opts.probe ?? httpProbe;
  }

  get(targetGroupArn: string, id: string, port: number): TargetHealth | undefined {
    return this.#entries.get(entryKey(targetGroupArn, id, port))?.health;
  }

  onChange(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Brings the set of checked targets in line with the table. */
  update(table: RoutingTable): void {
    if (this.#closed) return;
    const seen = new Set<string>();
    for (const tg of table.targetGroups.values()) {
      for (const t of tg.targets) {
        const key = entryKey(tg.arn, t.id, t.port);
        seen.add(key);
        let e = this.#entries.get(key);
        if (!e) {
          e = { tgArn: tg.arn, id: t.id, port: t.port, health: REASONS.registrationInProgress, successes: 0, failures: 0, loopKey: undefined, loop: undefined };
          this.#entries.set(key, e);
        }
        this.#reconcile(e, tg, t);
      }
    }
    for (const [key, e] of this.#entries) {
      if (seen.has(key)) continue;
      this.#stop(e);
      this.#entries.delete(key);
    }
  }

  close(): void {
    this.#closed = true;
    for (const e of this.#entries.values()) this.#stop(e);
    this.#entries.clear();
    this.#listeners.clear();
  }

  #reconcile(e: Entry, tg: TargetGroupRoutes, t: TargetRoute): void {
    const hc = tg.healthCheck;
    if (t.draining) {
      this.#park(e, REASONS.draining);
      return;
    }
    if (!hc.enabled) {
      this.#park(e, REASONS.disabled);
      return;
    }
    if (!tg.inUse) {
      this.#park(e, REASONS.notInUse);
      return;
    }
    const s = e.health.state;
    if (s === "unused" || s === "unavailable" || s === "draining") {
      e.successes = 0;
      e.failures = 0;
      this.#set(e, REASONS.registrationInProgress);
    }
    const probeTarget: ProbeTarget = {
      protocol: hc.protocol,
      address: t.address,
      port: hc.port === "traffic-port" ? t.port : hc.port,
      path: hc.path || "/",
      ...(t.sourceAddress ? { sourceAddress: t.sourceAddress } : {}),
    };
    const loopKey = JSON.stringify([probeTarget, hc.intervalSeconds, hc.timeoutSeconds, hc.healthyThreshold, hc.unhealthyThreshold, hc.matcher]);
    if (e.loop && e.loopKey === loopKey) return;
    this.#stop(e);
    e.loopKey = loopKey;
    const ctrl = new AbortController();
    e.loop = ctrl;
    void this.#run(e, probeTarget, hc, ctrl.signal);
  }

  #park(e: Entry, health: TargetHealth): void {
    this.#stop(e);
    this.#set(e, health);
  }

  #stop(e: Entry): void {
    e.loop?.abort();
    e.loop = undefined;
    e.loopKey = undefined;
  }

  async #run(e: Entry, target: ProbeTarget, hc: HealthCheckSettings, signal: AbortSignal): Promise<void> {
    const matches = parseMatcher(hc.matcher);
    const intervalMs = hc.intervalSeconds * 1000;
    // Registration is visible (Elb.RegistrationInProgress) until the first check starts, a tick later.
    await Promise.resolve();
    while (!signal.aborted) {
      void this.#check(e, target, hc, matches, signal);
      try {
        await this.#clock.sleep(intervalMs, signal);
      } catch {
        return;
      }
    }
  }

  async #check(e: Entry, target: ProbeTarget, hc: HealthCheckSettings, matches: (s: number) => boolean, loop: AbortSignal): Promise<void> {
    if (e.health.reason === REASONS.registrationInProgress.reason) this.#set(e, REASONS.initialHealthChecking);
    const probe = new AbortController();
    const onLoopAbort = () => probe.abort();
    loop.addEventListener("abort", onLoopAbort, { once: true });
    const timeout = this.#clock.sleep(hc.timeoutSeconds * 1000, probe.signal).then(
      (): ProbeOutcome => ({ error: "timeout" }),
      (): ProbeOutcome => ({ error: "failed" }),
    );
    const answer = this.#probe(target, probe.signal).catch((): ProbeOutcome => ({ error: "failed" }));
    const outcome = await Promise.race([answer, timeout]);
    const aborted = loop.aborted;
    probe.abort();
    loop.removeEventListener("abort", onLoopAbort);
    if (aborted || this.#closed) return;
    this.#record(e, hc, outcome, matches);
  }

  #record(e: Entry, hc: HealthCheckSettings, outcome: ProbeOutcome, matches: (s: number) => boolean): void {
    let failure: TargetHealth | undefined;
    if ("status" in outcome) {
      if (!matches(outcome.status)) {
        failure = {
          state: "unhealthy",
          reason: "Target.ResponseCodeMismatch",
          description: `Health checks failed with these codes: [${outcome.status}]`,
        };
      }
    } else if (outcome.error === "timeout") {
      failure = { state: "unhealthy", reason: "Target.Timeout", description: "Request timed out" };
    } else {
      failure = { state: "unhealthy", reason: "Target.FailedHealthChecks", description: "Health checks failed" };
    }
    const state = e.health.state;
    if (!failure) {
      e.failures = 0;
      e.successes++;
      if (state === "initial" || (state === "unhealthy" && e.successes >= hc.healthyThreshold)) this.#set(e, REASONS.healthy);
      return;
    }
    e.successes = 0;
    e.failures++;
    if (state === "unhealthy") this.#set(e, failure);
    else if ((state === "initial" || state === "healthy") && e.failures >= hc.unhealthyThreshold) this.#set(e, failure);
  }

  #set(e: Entry, health: TargetHealth): void {
    const h = e.health;
    if (h.state === health.state && h.reason === health.reason && h.description === health.description) return;
    e.health = health;
    for (const l of this.#listeners) {
      try {
        l(e.tgArn, e.id, e.port, health);
      } catch {
        // A listener's failure must not stop health checking.
      }
    }
  }
}
