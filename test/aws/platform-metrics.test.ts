/**
 * What the platform publishes, on FakeRuntime with a ManualClock: AWS/ECS utilization from the
 * containers' stats against their reservations, Container Insights metrics and performance log
 * events when the cluster enables it, and nothing from Container Insights when it does not.
 * Read back through the real CloudWatch and CloudWatch Logs clients.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import * as cw from "@aws-sdk/client-cloudwatch";
import * as cwl from "@aws-sdk/client-cloudwatch-logs";
import * as ecs from "@aws-sdk/client-ecs";
import { ManualClock } from "../../src/core/clock.ts";
import { seededIds } from "../../src/core/ids.ts";
import { FakeRuntime } from "../../src/runtime/fake-runtime.ts";
import { startSlipway, type Slipway } from "../../src/server/slipway.ts";

const credentials = { accessKeyId: "test", secretAccessKey: "test" };
let s: Slipway;
let rt: FakeRuntime;
let dir: string;
let clock: ManualClock;
let ecsClient: ecs.ECSClient;
let cwClient: cw.CloudWatchClient;
let logsClient: cwl.CloudWatchLogsClient;

const settle = async () => {
  for (let i = 0; i < 6; i++) {
    await new Promise<void>((r) => setImmediate(r));
    await s.idle();
  }
};

before(async () => {
  clock = new ManualClock(Date.UTC(2026, 3, 1, 8, 0, 0));
  rt = new FakeRuntime({ clock });
  rt.addImage("web:1");
  dir = mkdtempSync(join(tmpdir(), "slipway-metrics-"));
  s = await startSlipway({ port: 0, dataDir: dir, runtime: rt, clock, ids: seededIds("metrics"), log: () => {} });
  const cfg = { region: "us-east-1", endpoint: s.url, credentials, maxAttempts: 1 };
  ecsClient = new ecs.ECSClient(cfg);
  cwClient = new cw.CloudWatchClient(cfg);
  logsClient = new cwl.CloudWatchLogsClient(cfg);
});

after(async () => {
  ecsClient.destroy();
  cwClient.destroy();
  logsClient.destroy();
  await s.close();
  rmSync(dir, { recursive: true, force: true });
});

async function stat(namespace: string, name: string, dims: Record<string, string>, statistic: cw.Statistic) {
  const out = await cwClient.send(
    new cw.GetMetricStatisticsCommand({
      Namespace: namespace,
      MetricName: name,
      Dimensions: Object.entries(dims).map(([Name, Value]) => ({ Name, Value })),
      StartTime: new Date(clock.now() - 3600_000),
      EndTime: new Date(clock.now()),
      Period: 60,
      Statistics: [statistic],
    }),
  );
  return out.Datapoints?.map((d) => d[statistic]);
}

test("AWS/ECS and Container Insights from two busy tasks; EMF performance events", async () => {
  await ecsClient.send(new ecs.CreateClusterCommand({ clusterName: "ci", settings: [{ name: "containerInsights", value: "enabled" }] }));
  await ecsClient.send(new ecs.CreateClusterCommand({ clusterName: "plain" }));
  const td = await ecsClient.send(new ecs.RegisterTaskDefinitionCommand({ family: "web", cpu: "256", memory: "512", containerDefinitions: [{ name: "web", image: "web:1" }] }));
  for (const cluster of ["ci", "plain"]) {
    await ecsClient.send(new ecs.CreateServiceCommand({ cluster, serviceName: "web", taskDefinition: td.taskDefinition!.taskDefinitionArn!, desiredCount: 2 }));
  }
  await settle();
  // Half a core (512 units of the 256 reserved) and 128 MiB of 512 in every container.
  for (const c of await rt.list({})) rt.setUsage(c.id, { cpuCores: 0.5, memoryBytes: 128 * 1024 * 1024 });
  clock.advance(60_000);
  await s.metricsMinute();

  for (const cluster of ["ci", "plain"]) {
    const dims = { ClusterName: cluster, ServiceName: "web" };
    assert.deepEqual(await stat("AWS/ECS", "CPUUtilization", dims, "Average"), [200]);
    assert.deepEqual(await stat("AWS/ECS", "CPUUtilization", dims, "SampleCount"), [2], "one sample per running task");
    assert.deepEqual(await stat("AWS/ECS", "MemoryUtilization", dims, "Average"), [25]);
  }
  const ci = { ClusterName: "ci", ServiceName: "web" };
  assert.deepEqual(await stat("ECS/ContainerInsights", "CpuUtilized", ci, "Sum"), [1024]);
  assert.deepEqual(await stat("ECS/ContainerInsights", "CpuReserved", ci, "Sum"), [512]);
  assert.deepEqual(await stat("ECS/ContainerInsights", "MemoryUtilized", ci, "Sum"), [256]);
  assert.deepEqual(await stat("ECS/ContainerInsights", "MemoryReserved", ci, "Sum"), [1024]);
  assert.deepEqual(await stat("ECS/ContainerInsights", "RunningTaskCount", ci, "Average"), [2]);
  assert.deepEqual(await stat("ECS/ContainerInsights", "DesiredTaskCount", ci, "Average"), [2]);
  assert.deepEqual(await stat("ECS/ContainerInsights", "TaskCount", { ClusterName: "ci" }, "Average"), [2]);
  assert.deepEqual(await stat("ECS/ContainerInsights", "ServiceCount", { ClusterName: "ci" }, "Average"), [1]);
  assert.deepEqual(await stat("ECS/ContainerInsights", "CpuUtilized", { ClusterName: "plain", ServiceName: "web" }, "Sum"), [], "disabled: nothing");

  const group = "/aws/ecs/containerinsights/ci/performance";
  const ev = await logsClient.send(new cwl.FilterLogEventsCommand({ logGroupName: group }));
  const events = (ev.events ?? []).map((e) => JSON.parse(e.message ?? "{}") as Record<string, unknown>);
  const types = events.map((e) => e["Type"]).sort();
  assert.deepEqual(types, ["Cluster", "Container", "Container", "Service", "Task", "Task"]);
  const task = events.find((e) => e["Type"] === "Task")!;
  assert.equal(task["ClusterName"], "ci");
  assert.equal(task["ServiceName"], "web");
  assert.equal(task["CpuUtilized"], 512);
  assert.equal(task["MemoryReserved"], 512);
  assert.equal(task["Version"], "0");
  assert.deepEqual((task["CloudWatchMetrics"] as Array<{ Namespace: string }>)[0]?.Namespace, "ECS/ContainerInsights");
  const service = events.find((e) => e["Type"] === "Service")!;
  assert.equal(service["RunningTaskCount"], 2);
  const groups = await logsClient.send(new cwl.DescribeLogGroupsCommand({ logGroupNamePrefix: "/aws/ecs/containerinsights/" }));
  assert.deepEqual(groups.logGroups?.map((g) => [g.logGroupName, g.retentionInDays]), [[group, 1]]);
});

test("metric filters: Put/Describe/Test/Delete; matching events become datapoints an alarm watches", async () => {
  await logsClient.send(new cwl.CreateLogGroupCommand({ logGroupName: "/app" }));
  await logsClient.send(new cwl.CreateLogStreamCommand({ logGroupName: "/app", logStreamName: "s" }));
  await logsClient.send(
    new cwl.PutMetricFilterCommand({
      logGroupName: "/app",
      filterName: "errors",
      filterPattern: "ERROR",
      metricTransformations: [{ metricName: "ErrorCount", metricNamespace: "App", metricValue: "1", unit: "Count" }],
    }),
  );
  await logsClient.send(
    new cwl.PutMetricFilterCommand({
      logGroupName: "/app",
      filterName: "latency",
      filterPattern: '{ $.path = "/api*" }',
      metricTransformations: [{ metricName: "Latency", metricNamespace: "App", metricValue: "$.ms", dimensions: { Path: "$.path" } }],
    }),
  );
  const d = await logsClient.send(new cwl.DescribeMetricFiltersCommand({ logGroupName: "/app" }));
  assert.deepEqual(d.metricFilters?.map((f) => [f.filterName, f.filterPattern, f.logGroupName]), [
    ["errors", "ERROR", "/app"],
    ["latency", '{ $.path = "/api*" }', "/app"],
  ]);
  const groups = await logsClient.send(new cwl.DescribeLogGroupsCommand({ logGroupNamePrefix: "/app" }));
  assert.equal(groups.logGroups?.[0]?.metricFilterCount, 2);
  const t = await logsClient.send(new cwl.TestMetricFilterCommand({ filterPattern: '{ $.path = "/api*" }', logEventMessages: ['{"path":"/api/x","ms":12}', '{"path":"/web"}'] }));
  assert.deepEqual(t.matches, [{ eventNumber: 1, eventMessage: '{"path":"/api/x","ms":12}', extractedValues: { "$.path": "/api/x" } }]);

  await cwClient.send(
    new cw.PutMetricAlarmCommand({ AlarmName: "app-errors", Namespace: "App", MetricName: "ErrorCount", Statistic: "Sum", Period: 60, EvaluationPeriods: 1, Threshold: 1, ComparisonOperator: "GreaterThanOrEqualToThreshold" }),
  );
  const now = clock.now();
  await logsClient.send(
    new cwl.PutLogEventsCommand({
      logGroupName: "/app",
      logStreamName: "s",
      logEvents: [
        { timestamp: now, message: "ERROR disk full" },
        { timestamp: now, message: '{"path":"/api/a","ms":30}' },
        { timestamp: now, message: "ERROR again" },
        { timestamp: now, message: '{"path":"/api/a","ms":10}' },
      ],
    }),
  );
  clock.advance(60_000);
  await s.metricsMinute();
  assert.deepEqual(await stat("App", "ErrorCount", {}, "Sum"), [2]);
  assert.deepEqual(await stat("App", "Latency", { Path: "/api/a" }, "Average"), [20]);
  const alarm = await cwClient.send(new cw.DescribeAlarmsCommand({ AlarmNames: ["app-errors"] }));
  assert.equal(alarm.MetricAlarms?.[0]?.StateValue, "ALARM");

  await assert.rejects(
    logsClient.send(new cwl.PutMetricFilterCommand({ logGroupName: "/nope", filterName: "x", filterPattern: "", metricTransformations: [{ metricName: "m", metricNamespace: "n", metricValue: "1" }] })),
    (e: Error) => e.name === "ResourceNotFoundException" && e.message === "The specified log group does not exist.",
  );
  await logsClient.send(new cwl.DeleteMetricFilterCommand({ logGroupName: "/app", filterName: "errors" }));
  await assert.rejects(
    logsClient.send(new cwl.DeleteMetricFilterCommand({ logGroupName: "/app", filterName: "errors" })),
    (e: Error) => e.name === "ResourceNotFoundException" && e.message === "The specified metric filter does not exist.",
  );
});
