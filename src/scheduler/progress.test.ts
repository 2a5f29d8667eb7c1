import assert from "node:assert/strict";
import { test } from "node:test";
import { ManualClock } from "../core/clock.ts";
import { drainLine, PULL_EVERY_MS, PULL_QUIET_MS, PullProgressLog } from "./progress.ts";

test("a long pull says how far it got every few seconds and how long it took; a short one is quiet", () => {
  const clock = new ManualClock();
  const lines: string[] = [];
  const quick = new PullProgressLog(clock, (l) => lines.push(l), "nginx:1", "abc");
  quick.progress({ layers: 3, layersDone: 1, downloadedBytes: 10, totalBytes: 100 });
  clock.advance(PULL_QUIET_MS - 1);
  quick.done();
  assert.equal(lines.length, 0);

  const slow = new PullProgressLog(clock, (l) => lines.push(l), "nginx:1", "abc");
  const mb = 1024 * 1024;
  slow.progress({ layers: 3, layersDone: 0, downloadedBytes: 0, totalBytes: 0 });
  clock.advance(PULL_QUIET_MS);
  slow.progress({ layers: 3, layersDone: 1, downloadedBytes: 5 * mb, totalBytes: 20 * mb });
  clock.advance(1000);
  slow.progress({ layers: 3, layersDone: 1, downloadedBytes: 6 * mb, totalBytes: 20 * mb });
  clock.advance(PULL_EVERY_MS);
  slow.progress({ layers: 3, layersDone: 2, downloadedBytes: 15 * mb, totalBytes: 20 * mb });
  clock.advance(500);
  slow.done();
  assert.deepEqual(lines, [
    "pulling nginx:1 for task abc: 5.0 of 20.0 MB, 1 of 3 layers (2 s)",
    "pulling nginx:1 for task abc: 15.0 of 20.0 MB, 2 of 3 layers (8 s)",
    "pulled nginx:1 for task abc in 8.5 s",
  ]);
});

test("a drain names its wait and the setting that decides it", () => {
  assert.equal(
    drainLine("abc", "web", ["arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/web-tg/0123456789abcdef"], 299_500),
    "task abc (service web) is draining: its containers stop in 300 s, the deregistration delay of target group web-tg (attribute deregistration_delay.timeout_seconds)",
  );
});
