/**
 * Docker's event stream only wakes task keys early; the controller's periodic resync is the safety
 * net, so a lost stream costs latency, never correctness. The stream is re-opened after a pause
 * when the engine goes away.
 */
import type { Clock } from "../core/clock.ts";
import { type ContainerRuntime, LABELS } from "../runtime/runtime.ts";

const RETRY_MS = 1000;

export async function watchRuntimeEvents(runtime: ContainerRuntime, clock: Clock, signal: AbortSignal, onTask: (taskArn: string) => void): Promise<void> {
  while (!signal.aborted) {
    try {
      for await (const ev of runtime.events(signal)) {
        const arn = ev.labels[LABELS.taskArn];
        if (arn) onTask(arn);
      }
    } catch {
      // The engine went away; retry the stream shortly.
    }
    if (!signal.aborted) await clock.sleep(RETRY_MS, signal).catch(() => {});
  }
}
