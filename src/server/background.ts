/**
 * Every periodic job Slipway runs, in one place, each with a named interval. Jobs run on the
 * injected clock (a ManualClock drives them in tests); a failing run is logged and the job goes on.
 * Services expose one-shot methods (purge, collect, evaluate); only this module repeats them.
 */
import type { Clock } from "../core/clock.ts";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** How often each job runs. */
export const INTERVALS = {
  /** Rebuild the load balancers' routing table, so draining deadlines expire without a write. */
  routingRefresh: 1000,
  /** Forget STOPPED tasks older than STOPPED_TASK_RETENTION_MS. */
  stoppedTaskPurge: 10 * MINUTE,
  /** Registry garbage collection: unreferenced blobs past their grace period, abandoned uploads. */
  registryGc: HOUR,
  /** Abandoned registry uploads (idle 30 minutes, src/registry/gc.ts) are swept this often. */
  registryUploadPurge: 5 * MINUTE,
  /** ECR lifecycle policies. ECR evaluates them within 24 hours of a change; hourly is sooner. */
  ecrLifecycle: HOUR,
  /** CloudWatch Logs retention: delete events older than each group's retention (also at start). */
  logRetention: 10 * MINUTE,
  /** KMS: automatic key rotations that are due, and keys whose deletion date has passed (also at start). */
  kmsMaintenance: HOUR,
  /** Secrets Manager: secrets whose recovery window has passed are deleted (reads check the date too). */
  secretDeletion: HOUR,
  /**
   * The VPC data plane re-reads EC2 (besides after every EC2 write): NAT gateways and endpoints
   * become available with time, and Docker may have rebuilt its chains.
   */
  vpcSync: 1000,
  /**
   * CloudWatch evaluates alarms of 60 s and longer every minute, 10/20/30-second alarms every
   * 10 seconds. https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html
   */
  alarmEvaluation: MINUTE,
  highResolutionAlarms: 10_000,
  /** Scheduled scaling actions: the minimum resolution of their schedules is one minute. */
  scheduledScaling: 10_000,
  /** Expire metric data past each resolution's retention, alarm history past 14 days, scaling activities past 6 weeks. */
  metricRetention: 10 * MINUTE,
  /** A full GC once the front door has had no request for this long after a burst, and again while idle once the heap has regrown (src/server/idle-gc.ts). */
  idleCollection: 10_000,
} as const;

/**
 * ECS keeps a stopped task visible for at least an hour (DescribeTasks); Slipway keeps it three.
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-lifecycle-explanation.html
 */
export const STOPPED_TASK_RETENTION_MS = 3 * HOUR;

export class Background {
  readonly #clock: Clock;
  readonly #log: (msg: string) => void;
  readonly #abort = new AbortController();

  constructor(clock: Clock, log: (msg: string) => void) {
    this.#clock = clock;
    this.#log = log;
  }

  /** Runs `job` every `intervalMs` until stop(); the first run is after one interval, or at once with `immediately`. */
  every(name: string, intervalMs: number, job: () => unknown, opts: { immediately?: boolean } = {}): void {
    const signal = this.#abort.signal;
    void (async () => {
      let first = opts.immediately ?? false;
      while (!signal.aborted) {
        if (!first) {
          try {
            await this.#clock.sleep(intervalMs, signal);
          } catch {
            return;
          }
        }
        first = false;
        try {
          await job();
        } catch (err) {
          this.#log(`${name} failed: ${(err as Error).message}`);
        }
      }
    })();
  }

  stop(): void {
    this.#abort.abort();
  }
}
