/**
 * CloudWatch metrics and alarms through the real clients: @aws-sdk/client-cloudwatch (awsJson1_0,
 * query-compatible) in-process on a ManualClock, the AWS CLI over a socket, and raw awsQuery and
 * smithy-rpc-v2-cbor requests (what Terraform's provider sends before and from 6.50) with the
 * same errors in every protocol.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { gzipSync } from "node:zlib";
import * as cw from "@aws-sdk/client-cloudwatch";
import { cbor, tag } from "@smithy/core/cbor";
import { createGateway, type Gateway } from "../../src/aws/gateway.ts";
import { ManualClock } from "../../src/core/clock.ts";
import { CloudWatch, cloudWatchService } from "../../src/services/cloudwatch/index.ts";
import { Store } from "../../src/store/store.ts";
import { awsCli, awsCliSkip } from "../helpers/aws-cli.ts";
import { expectError } from "../helpers/errors.ts";
import { inProcess, type RunningServer, startGatewayServer } from "../helpers/in-process.ts";

const NOW = Date.UTC(2026, 7, 19, 6, 0);
const MIN = 60_000;
let clock: ManualClock;
let cloud: CloudWatch;
let gateway: Gateway;
let client: cw.CloudWatchClient;
let server: RunningServer;

before(async () => {
  clock = new ManualClock(NOW);
  cloud = new CloudWatch({ store: new Store(":memory:"), clock });
  gateway = createGateway({ services: [cloudWatchService(cloud)], logger: { error: () => {} } });
  client = new cw.CloudWatchClient({
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    endpoint: "http://localhost",
    requestHandler: inProcess(gateway),
    maxAttempts: 1,
  });
  server = await startGatewayServer(gateway);
});

after(async () => {
  await server.close();
});

const dims = [{ Name: "Service", Value: "web" }];
const at = (minutesAgo: number) => new Date(NOW - minutesAgo * MIN);

describe("metrics", () => {
  test("PutMetricData: values/counts, statistic sets and single values merge per minute; units are separate streams", async () => {
    await client.send(
      new cw.PutMetricDataCommand({
        Namespace: "Shop",
        MetricData: [
          { MetricName: "Latency", Dimensions: dims, Timestamp: at(10), Value: 10, Unit: "Milliseconds" },
          { MetricName: "Latency", Dimensions: dims, Timestamp: at(10), Values: [1, 2, 3], Counts: [1, 1, 2], Unit: "Milliseconds" },
          { MetricName: "Latency", Dimensions: dims, Timestamp: at(9), StatisticValues: { SampleCount: 4, Sum: 40, Minimum: 5, Maximum: 20 }, Unit: "Milliseconds" },
          { MetricName: "Latency", Dimensions: dims, Timestamp: at(9), Value: 1, Unit: "Seconds" },
        ],
      }),
    );
    const out = await client.send(
      new cw.GetMetricStatisticsCommand({
        Namespace: "Shop",
        MetricName: "Latency",
        Dimensions: dims,
        StartTime: at(60),
        EndTime: at(0),
        Period: 60,
        Statistics: ["SampleCount", "Sum", "Average", "Minimum", "Maximum"],
      }),
    );
    assert.equal(out.Label, "Latency");
    const rows = out.Datapoints?.map((d) => [d.Timestamp?.toISOString(), d.Unit, d.SampleCount, d.Sum, d.Average, d.Minimum, d.Maximum]);
    assert.deepEqual(rows, [
      [at(10).toISOString(), "Milliseconds", 5, 19, 3.8, 1, 10],
      [at(9).toISOString(), "Milliseconds", 4, 40, 10, 5, 20],
      [at(9).toISOString(), "Seconds", 1, 1, 1, 1, 1],
    ]);
    const byUnit = await client.send(
      new cw.GetMetricStatisticsCommand({ Namespace: "Shop", MetricName: "Latency", Dimensions: dims, StartTime: at(60), EndTime: at(0), Period: 3600, Statistics: ["Sum"], Unit: "Milliseconds" }),
    );
    assert.deepEqual(byUnit.Datapoints?.map((d) => d.Sum), [59]);
    // Dimensions must match exactly: a subset is another metric.
    const none = await client.send(new cw.GetMetricStatisticsCommand({ Namespace: "Shop", MetricName: "Latency", StartTime: at(60), EndTime: at(0), Period: 60, Statistics: ["Sum"] }));
    assert.deepEqual(none.Datapoints, []);
  });

  test("percentiles from raw values; a statistic set with several values has none", async () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    await client.send(new cw.PutMetricDataCommand({ Namespace: "Shop", MetricData: [{ MetricName: "Size", Timestamp: at(5), Values: values }] }));
    const out = await client.send(
      new cw.GetMetricStatisticsCommand({ Namespace: "Shop", MetricName: "Size", StartTime: at(30), EndTime: at(0), Period: 60, ExtendedStatistics: ["p50", "p90", "p99.9"] }),
    );
    assert.deepEqual(out.Datapoints?.[0]?.ExtendedStatistics, { p50: 50, p90: 90, "p99.9": 100 });
    const set = await client.send(
      new cw.GetMetricStatisticsCommand({ Namespace: "Shop", MetricName: "Latency", Dimensions: dims, StartTime: at(9), EndTime: at(8), Period: 60, ExtendedStatistics: ["p50"], Unit: "Milliseconds" }),
    );
    assert.deepEqual(set.Datapoints?.[0]?.ExtendedStatistics, {});
  });

  test("GetMetricData: MetricStat and math, labels, ScanBy, MaxDatapoints paging", async () => {
    const data = [];
    for (let i = 1; i <= 5; i++) data.push({ MetricName: "Requests", Timestamp: at(i), Value: i * 10 }, { MetricName: "Errors", Timestamp: at(i), Value: i });
    await client.send(new cw.PutMetricDataCommand({ Namespace: "Api", MetricData: data }));
    const q: cw.MetricDataQuery[] = [
      { Id: "r", MetricStat: { Metric: { Namespace: "Api", MetricName: "Requests" }, Period: 60, Stat: "Sum" }, ReturnData: false },
      { Id: "e", MetricStat: { Metric: { Namespace: "Api", MetricName: "Errors" }, Period: 60, Stat: "Sum" } },
      { Id: "rate", Expression: "100 * e / r", Label: "Error rate" },
      { Id: "total", Expression: "SUM(METRICS())" },
    ];
    const out = await client.send(new cw.GetMetricDataCommand({ MetricDataQueries: q, StartTime: at(10), EndTime: at(0), ScanBy: "TimestampAscending" }));
    const [e, rate, total] = out.MetricDataResults ?? [];
    assert.equal(e?.Label, "Errors");
    assert.deepEqual(e?.Values, [5, 4, 3, 2, 1]);
    assert.equal(rate?.Label, "Error rate");
    assert.deepEqual(rate?.Values, [10, 10, 10, 10, 10]);
    assert.deepEqual(total?.Values, [55, 44, 33, 22, 11]);
    assert.deepEqual(rate?.Timestamps?.map((t) => t.getTime()), [5, 4, 3, 2, 1].map((m) => at(m).getTime()));
    assert.equal(e?.StatusCode, "Complete");
    assert.deepEqual(out.Messages, []);

    // Newest first by default; 3 datapoints per page.
    const first = await client.send(new cw.GetMetricDataCommand({ MetricDataQueries: [q[1]!], StartTime: at(10), EndTime: at(0), MaxDatapoints: 3 }));
    assert.deepEqual(first.MetricDataResults?.[0]?.Values, [1, 2, 3]);
    assert.equal(first.MetricDataResults?.[0]?.StatusCode, "PartialData");
    assert.ok(first.NextToken);
    const second = await client.send(
      new cw.GetMetricDataCommand({ MetricDataQueries: [q[1]!], StartTime: at(10), EndTime: at(0), MaxDatapoints: 3, NextToken: first.NextToken }),
    );
    assert.deepEqual(second.MetricDataResults?.[0]?.Values, [4, 5]);
    assert.equal(second.NextToken, undefined);
    await expectError(
      client.send(new cw.GetMetricDataCommand({ MetricDataQueries: [{ Id: "x", Expression: "SEARCH('{Api} Errors', 'Sum', 60)" }], StartTime: at(10), EndTime: at(0) })),
      "InvalidParameterValueException",
      "Error in expression x: The function SEARCH is not supported by Slipway",
    );
  });

  test("ListMetrics: namespace, name and dimension filters", async () => {
    const all = await client.send(new cw.ListMetricsCommand({ Namespace: "Shop" }));
    assert.deepEqual(all.Metrics?.map((m) => m.MetricName).sort(), ["Latency", "Size"]);
    const byDim = await client.send(new cw.ListMetricsCommand({ Dimensions: [{ Name: "Service" }] }));
    assert.deepEqual(byDim.Metrics, [{ Namespace: "Shop", MetricName: "Latency", Dimensions: dims }]);
    const recent = await client.send(new cw.ListMetricsCommand({ Namespace: "Api", RecentlyActive: "PT3H" }));
    assert.equal(recent.Metrics?.length, 2);
  });

  test("a gzip-compressed PutMetricData body (the SDKs compress bodies from 10 KiB)", async () => {
    const data = Array.from({ length: 400 }, (_, i) => ({ MetricName: "Big", Timestamp: at(3).getTime() / 1000, Value: i }));
    const body = gzipSync(JSON.stringify({ Namespace: "Gz", MetricData: data }));
    const res = await gateway.invoke({
      method: "POST",
      url: "/",
      headers: { "content-type": "application/x-amz-json-1.0", "x-amz-target": "GraniteServiceVersion20100801.PutMetricData", "content-encoding": "gzip" },
      body: new Uint8Array(body),
    });
    assert.equal(res.status, 200, res.body);
    const out = await client.send(new cw.GetMetricStatisticsCommand({ Namespace: "Gz", MetricName: "Big", StartTime: at(10), EndTime: at(0), Period: 60, Statistics: ["SampleCount"] }));
    assert.equal(out.Datapoints?.[0]?.SampleCount, 400);
  });
});

describe("errors: AWS's codes and messages, the same in every protocol", () => {
  const cases: Array<{ op: string; input: Record<string, unknown>; form: string; code: string; queryCode: string; message: string }> = [
    {
      op: "PutMetricData",
      input: { Namespace: "N", MetricData: [{ MetricName: "m", Value: 1, Values: [1] }] },
      form: "Namespace=N&MetricData.member.1.MetricName=m&MetricData.member.1.Value=1&MetricData.member.1.Values.member.1=1",
      code: "InvalidParameterCombinationException",
      queryCode: "InvalidParameterCombination",
      message: "The parameters MetricData.member.1.Value and MetricData.member.1.Values are mutually exclusive and you have specified both.",
    },
    {
      op: "PutMetricData",
      input: { Namespace: "N", MetricData: [{ MetricName: "m", Value: 1, StatisticValues: { SampleCount: 1, Sum: 1, Minimum: 1, Maximum: 1 } }] },
      form: "Namespace=N&MetricData.member.1.MetricName=m&MetricData.member.1.Value=1&MetricData.member.1.StatisticValues.SampleCount=1&MetricData.member.1.StatisticValues.Sum=1&MetricData.member.1.StatisticValues.Minimum=1&MetricData.member.1.StatisticValues.Maximum=1",
      code: "InvalidParameterCombinationException",
      queryCode: "InvalidParameterCombination",
      message: "The parameters MetricData.member.1.Value and MetricData.member.1.StatisticValues are mutually exclusive and you have specified both.",
    },
    {
      op: "PutMetricData",
      input: { Namespace: "N", MetricData: [{ MetricName: "m", Values: [1, 2], Counts: [1] }] },
      form: "Namespace=N&MetricData.member.1.MetricName=m&MetricData.member.1.Values.member.1=1&MetricData.member.1.Values.member.2=2&MetricData.member.1.Counts.member.1=1",
      code: "InvalidParameterValueException",
      queryCode: "InvalidParameterValue",
      message: "The parameters MetricData.member.1.Values and MetricData.member.1.Counts must be of the same size.",
    },
    {
      op: "GetMetricStatistics",
      input: { Namespace: "N", MetricName: "m", StartTime: NOW / 1000, EndTime: NOW / 1000, Period: 60, Statistics: ["Sum"] },
      form: `Namespace=N&MetricName=m&StartTime=${at(0).toISOString()}&EndTime=${at(0).toISOString()}&Period=60&Statistics.member.1=Sum`,
      code: "InvalidParameterValueException",
      queryCode: "InvalidParameterValue",
      message: "The parameter StartTime must be less than the parameter EndTime.",
    },
    {
      op: "GetMetricStatistics",
      input: { Namespace: "N", MetricName: "m", StartTime: NOW / 1000 - 86400, EndTime: NOW / 1000, Period: 1, Statistics: ["Sum"] },
      form: `Namespace=N&MetricName=m&StartTime=${at(1440).toISOString()}&EndTime=${at(0).toISOString()}&Period=1&Statistics.member.1=Sum`,
      code: "InvalidParameterCombinationException",
      queryCode: "InvalidParameterCombination",
      message:
        "You have requested up to 86400 datapoints, which exceeds the limit of 1440. You may reduce the datapoints requested by increasing Period, or decreasing the time range.",
    },
    {
      op: "GetMetricStatistics",
      input: { Namespace: "N", MetricName: "m", StartTime: NOW / 1000 - 600, EndTime: NOW / 1000, Period: 60, Statistics: ["Median"] },
      form: `Namespace=N&MetricName=m&StartTime=${at(10).toISOString()}&EndTime=${at(0).toISOString()}&Period=60&Statistics.member.1=Median`,
      code: "InvalidParameterValueException",
      queryCode: "InvalidParameterValue",
      message: "The parameter Statistics.member.1.<list element> must be a value in the set [SampleCount, Average, Sum, Minimum, Maximum].",
    },
    {
      op: "GetMetricStatistics",
      input: { Namespace: "N", MetricName: "m", StartTime: NOW / 1000 - 600, EndTime: NOW / 1000, Period: 45, Statistics: ["Sum"] },
      form: `Namespace=N&MetricName=m&StartTime=${at(10).toISOString()}&EndTime=${at(0).toISOString()}&Period=45&Statistics.member.1=Sum`,
      code: "InvalidParameterValueException",
      queryCode: "InvalidParameterValue",
      message: "The parameter Period must be 1, 5, 10, 20, 30, or a multiple of 60.",
    },
    {
      op: "SetAlarmState",
      input: { AlarmName: "a", StateValue: "INVALID", StateReason: "r" },
      form: "AlarmName=a&StateValue=INVALID&StateReason=r",
      code: "ValidationError",
      queryCode: "ValidationError",
      message: "1 validation error detected: Value 'INVALID' at 'stateValue' failed to satisfy constraint: Member must satisfy enum value set: [INSUFFICIENT_DATA, ALARM, OK]",
    },
  ];

  test("JSON (the JS SDK): the query code through x-amzn-query-error", async () => {
    for (const c of cases) {
      const res = await gateway.invoke({
        method: "POST",
        url: "/",
        headers: { "content-type": "application/x-amz-json-1.0", "x-amz-target": `GraniteServiceVersion20100801.${c.op}`, "x-amzn-query-mode": "true" },
        body: JSON.stringify(c.input),
      });
      assert.equal(res.status, 400, c.message);
      assert.equal(res.headers["x-amzn-query-error"], `${c.queryCode};Sender`);
      assert.equal((JSON.parse(res.body) as { message: string }).message, c.message);
    }
    await assert.rejects(
      client.send(new cw.PutMetricDataCommand({ Namespace: "N", MetricData: [{ MetricName: "m", Values: [1, 2], Counts: [1] }] })),
      (err: Error & { Code?: string }) => err.name === "InvalidParameterValueException" && err.Code === "InvalidParameterValue",
    );
  });

  test("awsQuery (Terraform's provider before 6.50, older SDKs)", async () => {
    for (const c of cases) {
      const res = await gateway.invoke({
        method: "POST",
        url: "/",
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          authorization: "AWS4-HMAC-SHA256 Credential=test/20260819/us-east-1/monitoring/aws4_request, SignedHeaders=host, Signature=x",
        },
        body: `Action=${c.op}&Version=2010-08-01&${c.form}`,
      });
      assert.equal(res.status, 400, res.body);
      assert.match(res.body, new RegExp(`<Code>${c.queryCode}</Code>`));
      const message = /<Message>(.*)<\/Message>/.exec(res.body)?.[1] ?? "";
      const unescaped = message.replaceAll("&lt;", "<").replaceAll("&gt;", ">").replaceAll("&apos;", "'").replaceAll("&quot;", '"').replaceAll("&amp;", "&");
      assert.equal(unescaped, c.message);
    }
  });

  test("smithy-rpc-v2-cbor (Terraform's provider from 6.50)", async () => {
    for (const c of cases) {
      const input = { ...c.input };
      for (const k of ["StartTime", "EndTime"]) if (k in input) input[k] = { tag: 1, value: input[k] };
      const res = await cborCall(c.op, input);
      assert.equal(res.status, 400);
      assert.equal(res.headers["smithy-protocol"], "rpc-v2-cbor");
      assert.equal(res.headers["x-amzn-query-error"], `${c.queryCode};Sender`);
      assert.equal((res.body as { message: string }).message, c.message);
    }
  });
});

async function cborCall(op: string, input: Record<string, unknown>) {
  const res = await gateway.invoke({
    method: "POST",
    url: `/service/GraniteServiceVersion20100801/operation/${op}`,
    headers: { "content-type": "application/cbor", accept: "application/cbor", "smithy-protocol": "rpc-v2-cbor" },
    body: cbor.serialize(withTags(input)),
  });
  return { status: res.status, headers: res.headers, body: cbor.deserialize(res.bytes ?? new Uint8Array()) as Record<string, unknown> };
}

/** `{ tag: 1, value }` as a CBOR tag (timestamps, as the Go SDK sends them). */
function withTags(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(withTags);
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    if ("tag" in o && "value" in o) return tag({ tag: o["tag"] as number, value: o["value"] });
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, withTags(x)]));
  }
  return v;
}

describe("CBOR: doubles are floats, integers integers, timestamps tag 1", () => {
  test("DescribeAlarms round-trip", async () => {
    await client.send(
      new cw.PutMetricAlarmCommand({
        AlarmName: "cbor-alarm",
        Namespace: "Shop",
        MetricName: "Latency",
        Statistic: "Average",
        Period: 60,
        EvaluationPeriods: 2,
        DatapointsToAlarm: 2,
        Threshold: 70,
        ComparisonOperator: "GreaterThanThreshold",
        TreatMissingData: "notBreaching",
        Unit: "Milliseconds",
      }),
    );
    const res = await gateway.invoke({
      method: "POST",
      url: "/service/GraniteServiceVersion20100801/operation/DescribeAlarms",
      headers: { "content-type": "application/cbor", "smithy-protocol": "rpc-v2-cbor" },
      body: cbor.serialize({ AlarmNames: ["cbor-alarm"] }),
    });
    assert.equal(res.status, 200);
    const bytes = res.bytes!;
    const out = cbor.deserialize(bytes) as { MetricAlarms: Array<Record<string, unknown>>; CompositeAlarms: unknown[] };
    const a = out.MetricAlarms[0]!;
    assert.equal(a["Threshold"], 70);
    assert.equal(a["DatapointsToAlarm"], 2);
    assert.equal(a["TreatMissingData"], "notBreaching");
    assert.deepEqual(out.CompositeAlarms, []);
    // Threshold 70 is written as a float64 (0xfb), EvaluationPeriods 2 as a small int, timestamps as tag 1 (0xc1).
    const hex = Buffer.from(bytes).toString("hex");
    assert.ok(hex.includes(`${Buffer.from("Threshold").toString("hex")}fb4051800000000000`));
    assert.ok(hex.includes(`${Buffer.from("EvaluationPeriods").toString("hex")}02`));
    assert.ok(hex.includes(`${Buffer.from("StateUpdatedTimestamp").toString("hex")}c1fb`));
  });
});

describe("alarms", () => {
  test("through the AWS CLI: OK → ALARM → OK as datapoints arrive, with AWS's reason texts in the history", { skip: awsCliSkip("the CloudWatch alarm flow") }, async () => {
    const cli = (...args: string[]) => awsCli(server.url, "cloudwatch", ...args);
    const put = await cli(
      "put-metric-alarm",
      "--alarm-name", "queue-depth",
      "--namespace", "Jobs",
      "--metric-name", "Depth",
      "--statistic", "Maximum",
      "--period", "60",
      "--evaluation-periods", "3",
      "--threshold", "100",
      "--comparison-operator", "GreaterThanThreshold",
      "--treat-missing-data", "missing",
    );
    assert.equal(put.code, 0, put.stderr);
    let d = JSON.parse((await cli("describe-alarms", "--alarm-names", "queue-depth")).stdout) as { MetricAlarms: Array<Record<string, unknown>> };
    assert.equal(d.MetricAlarms[0]?.["StateValue"], "INSUFFICIENT_DATA");
    assert.equal(d.MetricAlarms[0]?.["StateReason"], "Unchecked: Initial alarm creation");

    // One CLI call per phase: three datapoints a minute apart, then three evaluations.
    const phase = async (values: number[]) => {
      const base = clock.now();
      const data = values.map((v, i) => ({ MetricName: "Depth", Value: v, Timestamp: new Date(base + i * MIN).toISOString() }));
      const r = await cli("put-metric-data", "--namespace", "Jobs", "--metric-data", JSON.stringify(data));
      assert.equal(r.code, 0, r.stderr);
      for (const _ of values) {
        clock.advance(MIN);
        cloud.alarms.evaluateAll();
      }
    };
    await phase([10, 20, 30]);
    d = JSON.parse((await cli("describe-alarms", "--alarm-names", "queue-depth")).stdout);
    assert.equal(d.MetricAlarms[0]?.["StateValue"], "OK");
    await phase([150, 160, 170]);
    d = JSON.parse((await cli("describe-alarms", "--alarm-names", "queue-depth")).stdout);
    assert.equal(d.MetricAlarms[0]?.["StateValue"], "ALARM");
    assert.equal(
      d.MetricAlarms[0]?.["StateReason"],
      "Threshold Crossed: 3 datapoints [170.0 (19/08/26 06:05:00), 160.0 (19/08/26 06:04:00), 150.0 (19/08/26 06:03:00)] were greater than the threshold (100.0).",
    );
    const data = JSON.parse(String(d.MetricAlarms[0]?.["StateReasonData"])) as Record<string, unknown>;
    assert.equal(data["statistic"], "Maximum");
    assert.equal(data["period"], 60);
    assert.deepEqual(data["recentDatapoints"], [20, 30, 150, 160, 170]);
    // One datapoint under the threshold is enough for OK with 3 out of 3.
    await phase([5]);

    const h = JSON.parse((await cli("describe-alarm-history", "--alarm-name", "queue-depth", "--history-item-type", "StateUpdate")).stdout) as {
      AlarmHistoryItems: Array<{ HistorySummary: string; HistoryData: string }>;
    };
    assert.deepEqual(
      h.AlarmHistoryItems.map((i) => i.HistorySummary),
      ["Alarm updated from ALARM to OK", "Alarm updated from OK to ALARM", "Alarm updated from INSUFFICIENT_DATA to OK"],
    );
    const last = JSON.parse(h.AlarmHistoryItems[0]!.HistoryData) as { newState: { stateReason: string } };
    assert.equal(last.newState.stateReason, "Threshold Crossed: 1 datapoint [5.0 (19/08/26 06:06:00)] was not greater than the threshold (100.0).");
    const created = JSON.parse((await cli("describe-alarm-history", "--alarm-name", "queue-depth", "--history-item-type", "ConfigurationUpdate")).stdout) as {
      AlarmHistoryItems: Array<{ HistorySummary: string }>;
    };
    assert.equal(created.AlarmHistoryItems[0]?.HistorySummary, 'Alarm "queue-depth" created');
  });

  test("through the AWS CLI: get-metric-data answers a metric-math query", { skip: awsCliSkip("get-metric-data") }, async () => {
    const queries = JSON.stringify([
      { Id: "d", MetricStat: { Metric: { Namespace: "Jobs", MetricName: "Depth" }, Period: 60, Stat: "Maximum" }, ReturnData: false },
      { Id: "half", Expression: "d / 2", Label: "Half depth" },
    ]);
    const r = await awsCli(server.url, "cloudwatch", "get-metric-data", "--metric-data-queries", queries, "--start-time", at(0).toISOString(), "--end-time", new Date(clock.now()).toISOString(), "--scan-by", "TimestampAscending");
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { MetricDataResults: Array<{ Label: string; Values: number[] }> };
    assert.equal(out.MetricDataResults[0]?.Label, "Half depth");
    assert.deepEqual(out.MetricDataResults[0]?.Values, [5, 10, 15, 75, 80, 85, 2.5]);
  });

  test("DatapointsToAlarm: 2 out of 3, the long reason form; SetAlarmState; Enable/DisableAlarmActions; DescribeAlarmsForMetric; DeleteAlarms", async () => {
    await client.send(
      new cw.PutMetricAlarmCommand({
        AlarmName: "two-of-three",
        Namespace: "M2",
        MetricName: "v",
        Statistic: "Sum",
        Period: 60,
        EvaluationPeriods: 3,
        DatapointsToAlarm: 2,
        Threshold: 7,
        ComparisonOperator: "GreaterThanOrEqualToThreshold",
      }),
    );
    const start = clock.now();
    for (const v of [8, 1, 9]) {
      await client.send(new cw.PutMetricDataCommand({ Namespace: "M2", MetricData: [{ MetricName: "v", Value: v }] }));
      clock.advance(MIN);
    }
    cloud.alarms.evaluateAll();
    const d = await client.send(new cw.DescribeAlarmsCommand({ AlarmNames: ["two-of-three"] }));
    const a = d.MetricAlarms?.[0];
    assert.equal(a?.StateValue, "ALARM");
    const stamp = (ms: number) => {
      const t = new Date(ms);
      const p = (n: number) => String(n).padStart(2, "0");
      return `${p(t.getUTCDate())}/${p(t.getUTCMonth() + 1)}/${p(t.getUTCFullYear() % 100)} ${p(t.getUTCHours())}:${p(t.getUTCMinutes())}:00`;
    };
    assert.equal(
      a?.StateReason,
      `Threshold Crossed: 2 out of the last 3 datapoints [9.0 (${stamp(start + 2 * MIN)}), 8.0 (${stamp(start)})] were greater than or equal to the threshold (7.0) (minimum 2 datapoints for INSUFFICIENT_DATA -> ALARM transition).`,
    );
    assert.equal(a?.DatapointsToAlarm, 2);
    assert.deepEqual(a?.Dimensions, []);
    assert.deepEqual(a?.OKActions, []);

    await client.send(new cw.SetAlarmStateCommand({ AlarmName: "two-of-three", StateValue: "OK", StateReason: "testing" }));
    const s = await client.send(new cw.DescribeAlarmsCommand({ AlarmNames: ["two-of-three"] }));
    assert.equal(s.MetricAlarms?.[0]?.StateReason, "testing");
    await expectError(
      client.send(new cw.SetAlarmStateCommand({ AlarmName: "two-of-three", StateValue: "ALARM", StateReason: "x", StateReasonData: "{not json" })),
      "InvalidFormatFault",
      "Invalid JSON for StateReasonData.",
    );
    await expectError(client.send(new cw.SetAlarmStateCommand({ AlarmName: "nope", StateValue: "OK", StateReason: "x" })), "ResourceNotFound", undefined, 404);

    await client.send(new cw.DisableAlarmActionsCommand({ AlarmNames: ["two-of-three"] }));
    assert.equal((await client.send(new cw.DescribeAlarmsCommand({ AlarmNames: ["two-of-three"] }))).MetricAlarms?.[0]?.ActionsEnabled, false);
    await client.send(new cw.EnableAlarmActionsCommand({ AlarmNames: ["two-of-three"] }));
    assert.equal((await client.send(new cw.DescribeAlarmsCommand({ AlarmNames: ["two-of-three"] }))).MetricAlarms?.[0]?.ActionsEnabled, true);

    const forMetric = await client.send(new cw.DescribeAlarmsForMetricCommand({ Namespace: "M2", MetricName: "v" }));
    assert.deepEqual(forMetric.MetricAlarms?.map((x) => x.AlarmName), ["two-of-three"]);
    await client.send(new cw.DeleteAlarmsCommand({ AlarmNames: ["two-of-three", "never-existed"] }));
    assert.deepEqual((await client.send(new cw.DescribeAlarmsCommand({ AlarmNames: ["two-of-three"] }))).MetricAlarms, []);
  });

  test("a math alarm evaluates its expression per period", async () => {
    await client.send(
      new cw.PutMetricAlarmCommand({
        AlarmName: "error-rate",
        EvaluationPeriods: 1,
        Threshold: 50,
        ComparisonOperator: "GreaterThanThreshold",
        Metrics: [
          { Id: "e", MetricStat: { Metric: { Namespace: "Mx", MetricName: "Errors" }, Period: 60, Stat: "Sum" }, ReturnData: false },
          { Id: "r", MetricStat: { Metric: { Namespace: "Mx", MetricName: "Requests" }, Period: 60, Stat: "Sum" }, ReturnData: false },
          { Id: "rate", Expression: "100 * e / r", ReturnData: true },
        ],
      }),
    );
    await client.send(new cw.PutMetricDataCommand({ Namespace: "Mx", MetricData: [{ MetricName: "Errors", Value: 6 }, { MetricName: "Requests", Value: 10 }] }));
    clock.advance(MIN);
    cloud.alarms.evaluateAll();
    const a = (await client.send(new cw.DescribeAlarmsCommand({ AlarmNames: ["error-rate"] }))).MetricAlarms?.[0];
    assert.equal(a?.StateValue, "ALARM");
    assert.match(a?.StateReason ?? "", /^Threshold Crossed: 1 datapoint \[60\.0 \(/);
  });

  test("bad alarm input gets AWS's errors", async () => {
    const base = { AlarmName: "bad", Namespace: "N", MetricName: "m", Statistic: "Average" as const, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: "GreaterThanThreshold" as const };
    await expectError(client.send(new cw.PutMetricAlarmCommand({ ...base, Period: 45 })), "InvalidParameterValueException", "The parameter Period must be 10, 20, 30, or a multiple of 60.");
    await expectError(
      client.send(new cw.PutMetricAlarmCommand({ ...base, Period: 60, EvaluationPeriods: 1441 })),
      "InvalidParameterValueException",
      "Metrics cannot be checked across more than a day (EvaluationPeriods * Period must be <= 86400).",
    );
    await expectError(
      client.send(new cw.PutMetricAlarmCommand({ ...base, Period: 60, ExtendedStatistic: "p99" })),
      "InvalidParameterCombinationException",
      "The parameters Statistic and ExtendedStatistic are mutually exclusive and you have specified both.",
    );
    await expectError(
      client.send(new cw.PutMetricAlarmCommand({ ...base, Statistic: undefined, ExtendedStatistic: "tm99", Period: 60 })),
      "InvalidParameterValueException",
      "The value tm99 for parameter ExtendedStatistic is not supported.",
    );
  });
});
