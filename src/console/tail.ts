/**
 * A container's log, live, as server-sent events: `line` events ({t, stream, m}) from the
 * runtime's log stream (what `docker logs --follow` shows, whatever the log driver), then `end`
 * when the container stops. The stream stops when the browser goes away.
 */
import type { ServerResponse } from "node:http";
import type { ContainerRuntime } from "../runtime/runtime.ts";
import { sseFrame } from "./feed.ts";

/** How far back a tail starts. */
export const TAIL_BACKLOG_MS = 15 * 60 * 1000;

export async function tailContainer(res: ServerResponse, runtime: ContainerRuntime, container: string, sinceMs: number): Promise<void> {
  const abort = new AbortController();
  res.once("close", () => abort.abort());
  res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store", "x-content-type-options": "nosniff" });
  res.write("retry: 2000\n\n");
  try {
    for await (const line of runtime.logs(container, { follow: true, sinceMs, signal: abort.signal })) {
      if (res.destroyed) break;
      // A browser that stops reading is dropped rather than buffered for.
      if (res.writableLength > 1024 * 1024) {
        res.destroy();
        break;
      }
      res.write(sseFrame("line", { t: line.timestamp, stream: line.stream, m: line.message }));
    }
    if (!res.destroyed) res.end(sseFrame("end", { reason: "The container stopped." }));
  } catch (err) {
    if (!res.destroyed) res.end(sseFrame("end", { reason: (err as Error).message }));
  }
}
