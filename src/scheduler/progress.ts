/**
 * Progress lines for long operations, in Slipway's log: an image pull that takes a while says how
 * far it has got every few seconds and how long it took; short pulls stay quiet.
 */
import type { Clock } from "../core/clock.ts";
import type { PullProgress } from "../runtime/runtime.ts";

/** A pull is announced once it has taken this long, */
export const PULL_QUIET_MS = 2000;
/** and then at most this often. */
export const PULL_EVERY_MS = 5000;

const mb = (n: number) => (n / 1024 / 1024).toFixed(1);

export class PullProgressLog {
  readonly #clock: Clock;
  readonly #log: (msg: string) => void;
  readonly #what: string;
  readonly #start: number;
  #last = Number.NEGATIVE_INFINITY;

  constructor(clock: Clock, log: (msg: string) => void, image: string, taskId: string) {
    this.#clock = clock;
    this.#log = log;
    this.#what = `${image} for task ${taskId}`;
    this.#start = clock.now();
  }

  progress(p: PullProgress): void {
    const now = this.#clock.now();
    if (now - this.#start < PULL_QUIET_MS || now - this.#last < PULL_EVERY_MS) return;
    this.#last = now;
    const size = p.totalBytes > 0 ? `${mb(p.downloadedBytes)} of ${mb(p.totalBytes)} MB` : `${mb(p.downloadedBytes)} MB`;
    this.#log(`pulling ${this.#what}: ${size}, ${p.layersDone} of ${p.layers} layers (${Math.round((now - this.#start) / 1000)} s)`);
  }

  done(): void {
    const took = this.#clock.now() - this.#start;
    if (took >= PULL_QUIET_MS) this.#log(`pulled ${this.#what} in ${(took / 1000).toFixed(1)} s`);
  }
}

/** The line for a task that waits out its target groups' deregistration delay before stopping. */
export function drainLine(taskId: string, service: string | undefined, targetGroupArns: readonly string[], waitMs: number): string {
  const groups = [...new Set(targetGroupArns.map((a) => a.split("/")[1] ?? a))].join(", ");
  return `task ${taskId}${service ? ` (service ${service})` : ""} is draining: its containers stop in ${Math.ceil(waitMs / 1000)} s, the deregistration delay of target group ${groups} (attribute deregistration_delay.timeout_seconds)`;
}
