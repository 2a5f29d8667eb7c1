/**
 * Application Auto Scaling for ECS services through the real ApplicationAutoScalingClient and
 * ECSClient, against startSlipway on FakeRuntime with a ManualClock: the containers' stats make
 * the platform's AWS/ECS metrics, alarms are evaluated on the injected clock by the minute job,
 * and every decision shows in DescribeScalingActivities and the service's desiredCount.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import * as aas from "@aws-sdk/client-application-auto-scaling";
import * as cw from "@aws-sdk/client-cloudwatch";
import * as ecs from "@aws-sdk/client-ecs";
import { ManualClock } from "../../src/core/clock.ts";
import { seededIds } from "../../src/core/ids.ts";
import { FakeRuntime } from "../../src/runtime/fake-runtime.ts";
import { startSlipway, type Slipway } from "../../src/server/slipway.ts";
import { expectError } from "../helpers/errors.ts";

const ACCOUNT = "000000000000";
const REGION = "us-east-1";
const MIN = 60_000;
const credentials = { accessKeyId: "test", secretAccessKey: "test" };
const RID = "service/scale/web";
const target = { ServiceNamespace: "ecs" as const, ResourceId: RID, ScalableDimension: "ecs:service:DesiredCount" as const };

let s: Slipway;
let dir: string;
let clock: ManualClock;
let rt: FakeRuntime;
let scaling: aas.ApplicationAutoScalingClient;
let ecsClient: ecs.ECSClient;
let cwClient: cw.CloudWatchClient;

const settle = async () => {
  for (let i = 0; i < 6; i++) {
    await new Promise<void>((r) => setImmediate(r));
    await s.idle();
  }
};

/**
 * One minute in which every container of the service uses `percent` of its task's CPU (or, for
 * MemoryUtilization, of its memory); the platform publishes AWS/ECS from the containers' stats,
 * then alarms are evaluated, as the once-a-minute job does.
 */
async function minute(percent: number, metric = "CPUUtilization"): Promise<void> {
  for (const c of await rt.list({})) {
    if (c.status !== "running") continue;
    const usage = metric === "CPUUtilization" ? { cpuCores: ((percent / 100) * 256) / 1024, memoryBytes: 0 } : { cpuCores: 0, memoryBytes: (percent / 100) * 512 * 1024 * 1024 };
    rt.setUsage(c.id, usage);
  }
  clock.advance(MIN);
  await s.metricsMinute();
  await settle();
}

async function service(): Promise<ecs.Service> {
  const d = await ecsClient.send(new ecs.DescribeServicesCommand({ cluster: "scale", services: ["web"] }));
  return d.services![0]!;
}

async function activities(includeNotScaled = false): Promise<aas.ScalingActivity[]> {
  const out = await scaling.send(new aas.DescribeScalingActivitiesCommand({ ServiceNamespace: "ecs", ResourceId: RID, IncludeNotScaledActivities: includeNotScaled }));
  return out.ScalingActivities ?? [];
}

before(async () => {
  clock = new ManualClock(Date.UTC(2026, 5, 1, 10, 0));
  rt = new FakeRuntime({ clock });
  rt.addImage("web:1");
  dir = mkdtempSync(join(tmpdir(), "slipway-aas-"));
  s = await startSlipway({ port: 0, dataDir: dir, runtime: rt, clock, ids: seededIds("aas"), log: () => {} });
  const cfg = { region: REGION, endpoint: s.url, credentials, maxAttempts: 1 };
  scaling = new aas.ApplicationAutoScalingClient(cfg);
  ecsClient = new ecs.ECSClient(cfg);
  cwClient = new cw.CloudWatchClient(cfg);
  await ecsClient.send(new ecs.CreateClusterCommand({ clusterName: "scale" }));
  const td = await ecsClient.send(new ecs.RegisterTaskDefinitionCommand({ family: "web", cpu: "256", memory: "512", containerDefinitions: [{ name: "web", image: "web:1" }] }));
  await ecsClient.send(new ecs.CreateServiceCommand({ cluster: "scale", serviceName: "web", taskDefinition: td.taskDefinition!.taskDefinitionArn!, desiredCount: 1 }));
  await settle();
});

after(async () => {
  scaling.destroy();
  ecsClient.destroy();
  cwClient.destroy();
  await s.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("Application Auto Scaling", () => {
  test("bad input: wrong resource id, missing service, unregistered target", async () => {
    await expectError(
      scaling.send(new aas.RegisterScalableTargetCommand({ ...target, ResourceId: "scale/web", MinCapacity: 1, MaxCapacity: 2 })),
      "ValidationException",
      "Unsupported service namespace, resource type or scalable dimension",
    );
    await expectError(
      scaling.send(new aas.RegisterScalableTargetCommand({ ...target, ResourceId: "service/scale/nope", MinCapacity: 1, MaxCapacity: 2 })),
      "ValidationException",
      "ECS service doesn't exist: service/scale/nope",
    );
    await expectError(
      scaling.send(
        new aas.PutScalingPolicyCommand({
          ...target,
          PolicyName: "cpu",
          PolicyType: "TargetTrackingScaling",
          TargetTrackingScalingPolicyConfiguration: { TargetValue: 50, PredefinedMetricSpecification: { PredefinedMetricType: "ECSServiceAverageCPUUtilization" } },
        }),
      ),
      "ObjectNotFoundException",
      "No scalable target registered for service namespace: ecs, resource ID: service/scale/web, scalable dimension: ecs:service:DesiredCount",
    );
    await expectError(
      scaling.send(new aas.DeregisterScalableTargetCommand({ ...target })),
      "ObjectNotFoundException",
      "No scalable target found for service namespace: ecs, resource ID: service/scale/web, scalable dimension: ecs:service:DesiredCount",
    );
  });

  test("RegisterScalableTarget / DescribeScalableTargets; tags by ARN", async () => {
    const r = await scaling.send(new aas.RegisterScalableTargetCommand({ ...target, MinCapacity: 1, MaxCapacity: 4, Tags: { team: "web" } }));
    assert.match(r.ScalableTargetARN ?? "", /^arn:aws:application-autoscaling:us-east-1:000000000000:scalable-target\/[0-9a-f]{36}$/);
    const d = await scaling.send(new aas.DescribeScalableTargetsCommand({ ServiceNamespace: "ecs", ResourceIds: [RID] }));
    const t = d.ScalableTargets?.[0];
    assert.equal(t?.MinCapacity, 1);
    assert.equal(t?.MaxCapacity, 4);
    assert.equal(t?.RoleARN, `arn:aws:iam::${ACCOUNT}:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService`);
    assert.deepEqual(t?.SuspendedState, { DynamicScalingInSuspended: false, DynamicScalingOutSuspended: false, ScheduledScalingSuspended: false });
    assert.deepEqual((await scaling.send(new aas.ListTagsForResourceCommand({ ResourceARN: r.ScalableTargetARN }))).Tags, { team: "web" });
  });

  test("target tracking creates AWS's two alarms; scale-out, cooldown, clamping to max, DisableScaleIn, scale-in", async () => {
    const put = await scaling.send(
      new aas.PutScalingPolicyCommand({
        ...target,
        PolicyName: "cpu50",
        PolicyType: "TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration: {
          TargetValue: 50,
          PredefinedMetricSpecification: { PredefinedMetricType: "ECSServiceAverageCPUUtilization" },
          ScaleOutCooldown: 120,
          ScaleInCooldown: 120,
          DisableScaleIn: true,
        },
      }),
    );
    assert.match(put.PolicyARN ?? "", /^arn:aws:autoscaling:us-east-1:000000000000:scalingPolicy:[0-9a-f-]{36}:resource\/ecs\/service\/scale\/web:policyName\/cpu50$/);
    const [high, low] = put.Alarms ?? [];
    assert.match(high?.AlarmName ?? "", /^TargetTracking-service\/scale\/web-AlarmHigh-[0-9a-f-]{36}$/);
    assert.match(low?.AlarmName ?? "", /^TargetTracking-service\/scale\/web-AlarmLow-[0-9a-f-]{36}$/);
    const alarms = await cwClient.send(new cw.DescribeAlarmsCommand({ AlarmNames: [high!.AlarmName!, low!.AlarmName!] }));
    const byName = new Map(alarms.MetricAlarms?.map((a) => [a.AlarmName, a]));
    const h = byName.get(high!.AlarmName)!;
    const l = byName.get(low!.AlarmName)!;
    assert.deepEqual([h.Namespace, h.MetricName, h.Statistic, h.Unit, h.Period, h.EvaluationPeriods, h.DatapointsToAlarm, h.Threshold, h.ComparisonOperator], [
      "AWS/ECS", "CPUUtilization", "Average", "Percent", 60, 3, 3, 50, "GreaterThanThreshold",
    ]);
    assert.deepEqual([l.Period, l.EvaluationPeriods, l.DatapointsToAlarm, l.Threshold, l.ComparisonOperator], [60, 15, undefined, 45, "LessThanThreshold"]);
    assert.deepEqual(h.Dimensions, [
      { Name: "ClusterName", Value: "scale" },
      { Name: "ServiceName", Value: "web" },
    ]);
    assert.equal(h.AlarmDescription, `DO NOT EDIT OR DELETE. For TargetTrackingScaling policy ${h.AlarmActions?.[0]}.`);
    assert.ok(h.AlarmActions?.[0]?.startsWith(`${put.PolicyARN}:createdBy/`));

    // Three minutes at 100 % on one task: AlarmHigh fires, ceil(1 × 100 / 50) = 2.
    await minute(100);
    await minute(100);
    assert.equal((await service()).desiredCount, 1);
    await minute(100);
    assert.equal((await service()).desiredCount, 2);
    const [act] = await activities();
    assert.equal(act?.Description, "Setting desired count to 2.");
    assert.equal(act?.Cause, `monitor alarm ${high!.AlarmName} in state ALARM triggered policy cpu50`);
    assert.equal(act?.StatusCode, "Successful");
    assert.equal(act?.StatusMessage, "Successfully set desired count to 2. Change successfully fulfilled by ecs.");

    // Inside the scale-out cooldown the capacity before the scale-out is the base: still 2.
    await minute(100);
    assert.equal((await service()).desiredCount, 2);
    const notScaled = await activities(true);
    assert.equal(notScaled[0]?.StatusCode, "Failed");
    assert.deepEqual(notScaled[0]?.NotScaledReasons, [{ Code: "AlreadyAtDesiredCapacity", CurrentCapacity: 2 }]);
    // After the cooldown: ceil(2 × 400 / 50) = 16, clamped to the maximum 4.
    await minute(400);
    await minute(400);
    assert.equal((await service()).desiredCount, 4);
    await minute(400);
    const atMax = await activities(true);
    assert.deepEqual(atMax[0]?.NotScaledReasons, [{ Code: "AlreadyAtMaxCapacity", CurrentCapacity: 4, MaxCapacity: 4 }]);

    // 15 quiet minutes put AlarmLow in ALARM, but DisableScaleIn keeps 4.
    for (let i = 0; i < 16; i++) await minute(10);
    assert.equal((await service()).desiredCount, 4);
    const lowState = (await cwClient.send(new cw.DescribeAlarmsCommand({ AlarmNames: [low!.AlarmName!] }))).MetricAlarms?.[0]?.StateValue;
    assert.equal(lowState, "ALARM");

    // With scale-in allowed: ceil(4 × 10 / 50) = 1 on the next minute the alarm is still in ALARM.
    await scaling.send(
      new aas.PutScalingPolicyCommand({
        ...target,
        PolicyName: "cpu50",
        PolicyType: "TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration: {
          TargetValue: 50,
          PredefinedMetricSpecification: { PredefinedMetricType: "ECSServiceAverageCPUUtilization" },
          ScaleOutCooldown: 120,
          ScaleInCooldown: 120,
        },
      }),
    );
    const same = await scaling.send(new aas.DescribeScalingPoliciesCommand({ ServiceNamespace: "ecs", ResourceId: RID, PolicyNames: ["cpu50"] }));
    assert.deepEqual(same.ScalingPolicies?.[0]?.Alarms?.map((a) => a.AlarmName), [high!.AlarmName, low!.AlarmName], "the alarms keep their names");
    assert.deepEqual(same.ScalingPolicies?.[0]?.TargetTrackingScalingPolicyConfiguration, {
      TargetValue: 50,
      PredefinedMetricSpecification: { PredefinedMetricType: "ECSServiceAverageCPUUtilization" },
      ScaleOutCooldown: 120,
      ScaleInCooldown: 120,
    });
    await minute(10);
    assert.equal((await service()).desiredCount, 1);
    assert.equal((await activities())[0]?.Description, "Setting desired count to 1.");
    await scaling.send(new aas.DeleteScalingPolicyCommand({ ...target, PolicyName: "cpu50" }));
    const gone = await cwClient.send(new cw.DescribeAlarmsCommand({ AlarmNames: [high!.AlarmName!, low!.AlarmName!] }));
    assert.deepEqual(gone.MetricAlarms, [], "deleting the policy deletes its alarms");
  });

  test("step scaling: the step the breach falls in, ChangeInCapacity and PercentChangeInCapacity", async () => {
    const put = await scaling.send(
      new aas.PutScalingPolicyCommand({
        ...target,
        PolicyName: "steps",
        PolicyType: "StepScaling",
        StepScalingPolicyConfiguration: {
          AdjustmentType: "ChangeInCapacity",
          Cooldown: 60,
          MetricAggregationType: "Maximum",
          StepAdjustments: [
            { MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 20, ScalingAdjustment: 1 },
            { MetricIntervalLowerBound: 20, ScalingAdjustment: 2 },
          ],
        },
      }),
    );
    await cwClient.send(
      new cw.PutMetricAlarmCommand({
        AlarmName: "memory-high",
        Namespace: "AWS/ECS",
        MetricName: "MemoryUtilization",
        Dimensions: [
          { Name: "ClusterName", Value: "scale" },
          { Name: "ServiceName", Value: "web" },
        ],
        Statistic: "Average",
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 60,
        ComparisonOperator: "GreaterThanThreshold",
        AlarmActions: [put.PolicyARN!],
      }),
    );
    const before = (await service()).desiredCount!;
    await minute(90, "MemoryUtilization"); // 30 over: +2
    assert.equal((await service()).desiredCount, before + 2);
    const policies = await scaling.send(new aas.DescribeScalingPoliciesCommand({ ServiceNamespace: "ecs", PolicyNames: ["steps"] }));
    assert.deepEqual(policies.ScalingPolicies?.[0]?.Alarms?.map((a) => a.AlarmName), ["memory-high"]);
    const history = await cwClient.send(new cw.DescribeAlarmHistoryCommand({ AlarmName: "memory-high", HistoryItemType: "Action" }));
    assert.equal(history.AlarmHistoryItems?.[0]?.HistorySummary, `Successfully executed action ${put.PolicyARN}`);
    await scaling.send(new aas.DeleteScalingPolicyCommand({ ...target, PolicyName: "steps" }));
    await cwClient.send(new cw.DeleteAlarmsCommand({ AlarmNames: ["memory-high"] }));
    await expectError(
      scaling.send(
        new aas.PutScalingPolicyCommand({
          ...target,
          PolicyName: "gap",
          PolicyType: "StepScaling",
          StepScalingPolicyConfiguration: {
            AdjustmentType: "ChangeInCapacity",
            StepAdjustments: [
              { MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 10, ScalingAdjustment: 1 },
              { MetricIntervalLowerBound: 20, ScalingAdjustment: 2 },
            ],
          },
        }),
      ),
      "ValidationException",
      "Step adjustments must not overlap and must not have gaps between them.",
    );
  });

  test("scheduled action: cron in a time zone raises the minimum and the desired count", async () => {
    assert.equal((await service()).desiredCount, 3, "left at 3 by the step policy");
    await scaling.send(
      new aas.PutScheduledActionCommand({
        ...target,
        ScheduledActionName: "morning",
        Schedule: "cron(0/5 * * * ? *)",
        Timezone: "Europe/Paris",
        ScalableTargetAction: { MinCapacity: 4, MaxCapacity: 4 },
      }),
    );
    const d = await scaling.send(new aas.DescribeScheduledActionsCommand({ ServiceNamespace: "ecs", ResourceId: RID }));
    assert.equal(d.ScheduledActions?.[0]?.Schedule, "cron(0/5 * * * ? *)");
    assert.equal(d.ScheduledActions?.[0]?.Timezone, "Europe/Paris");
    assert.match(d.ScheduledActions?.[0]?.ScheduledActionARN ?? "", /^arn:aws:autoscaling:us-east-1:000000000000:scheduledAction:[0-9a-f-]{36}:resource\/ecs\/service\/scale\/web:scheduledActionName\/morning$/);
    clock.advance(5 * MIN);
    assert.equal(s.autoscaling.runScheduled(), 1);
    await settle();
    assert.equal((await service()).desiredCount, 4);
    const [desired, sched] = await activities();
    assert.equal(sched?.Description, "Setting min capacity to 4 and max capacity to 4");
    assert.equal(sched?.Cause, "scheduled action name morning was triggered");
    assert.equal(sched?.StatusMessage, "Successfully set min capacity to 4 and max capacity to 4");
    assert.equal(desired?.Description, "Setting desired count to 4.");
    assert.equal(desired?.Cause, "minimum capacity was set to 4");
    assert.equal(s.autoscaling.runScheduled(), 0, "nothing more is due until the next five-minute mark");
    await expectError(
      scaling.send(new aas.PutScheduledActionCommand({ ...target, ScheduledActionName: "bad", Schedule: "cron(0 9 * * * *)", ScalableTargetAction: { MinCapacity: 1 } })),
      "ValidationException",
      "Invalid cron expression: one of day-of-month and day-of-week must be '?': cron(0 9 * * * *)",
    );
    await scaling.send(new aas.DeleteScheduledActionCommand({ ...target, ScheduledActionName: "morning" }));
    await scaling.send(new aas.DeregisterScalableTargetCommand({ ...target }));
    assert.deepEqual((await scaling.send(new aas.DescribeScalableTargetsCommand({ ServiceNamespace: "ecs" }))).ScalableTargets, []);
  });
});
