import assert from "node:assert/strict";
import { test } from "node:test";
import { ManualClock } from "../../core/clock.ts";
import { Store } from "../../store/store.ts";
import { CloudWatch } from "./cloudwatch.ts";

const DAY = 86_400_000;
const scope = { accountId: "000000000000", region: "us-east-1" };

test("retention and roll-up: minute data rolls into 5-minute and hourly buckets before it expires; each resolution answers its age", () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 20));
  const cw = new CloudWatch({ store: new Store(":memory:"), clock });
  const t = clock.now() - 13 * DAY;
  cw.metrics.putMetricData(scope, {
    Namespace: "R",
    MetricData: [0, 1, 2, 3, 4, 5, 6].map((m) => ({ MetricName: "v", Timestamp: new Date(t + m * 60_000), Value: m })),
  });
  const get = (period: number) =>
    cw.metrics.getMetricStatistics(scope, { Namespace: "R", MetricName: "v", StartTime: new Date(t - 3_600_000), EndTime: new Date(t + 3_600_000), Period: period, Statistics: ["Sum", "SampleCount"] })
      .Datapoints?.map((d) => [d.Timestamp!.getTime() - t, d.Sum, d.SampleCount]);
  assert.deepEqual(get(300), [[0, 10, 5], [300_000, 11, 2]], "from minute data while it is kept");

  clock.advance(3 * DAY); // 16 days old: minute data gone, 5-minute data answers
  cw.expire();
  assert.deepEqual(get(60), [], "minute data is past its 15 days");
  assert.deepEqual(get(300), [[0, 10, 5], [300_000, 11, 2]]);
  assert.deepEqual(get(3600), [[0, 21, 7]]);

  clock.advance(60 * DAY); // 76 days old: only hourly data
  cw.expire();
  assert.deepEqual(get(300), []);
  assert.deepEqual(get(3600), [[0, 21, 7]]);
  clock.advance(400 * DAY);
  cw.expire();
  assert.deepEqual(get(3600), []);
  assert.deepEqual(cw.metrics.listMetrics(scope, {}).Metrics, [], "a metric with no data left is forgotten");
});
