/**
 * End-to-end, real Docker and the AWS CLI against `slipway up`, in real time (AWS's periods):
 * a 2-task service behind an ALB on a cluster with Container Insights enabled.
 * - N requests through the listener → AWS/ApplicationELB RequestCount sums to N; 2XX counts,
 *   HealthyHostCount and TargetResponseTime are there.
 * - ECS/ContainerInsights CpuUtilized and MemoryUtilized are non-zero, RunningTaskCount is 2, and
 *   the performance log group holds EMF events.
 * - Target tracking on ALBRequestCountPerTarget (target 50, min 1, max 4) under a bounded load:
 *   the high alarm fires after three one-minute periods and the service scales out; the scaling
 *   activity and the service events show it.
 * - Then the traffic drops to a trickle and, after the low alarm's 15 one-minute periods, the
 *   service scales back in, with no failed request while its tasks drain.
 * The slow part (about 4 minutes out, then about 16 in) runs once, in real time; cooldowns,
 * clamping, DisableScaleIn, scheduled actions and step adjustments are covered on the injected
 * clock in test/aws/autoscaling.test.ts.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { dockerAvailable, ensureTestImages, TEST_IMAGES } from "../helpers/docker.ts";
import { awsCliAvailable, aws, freePort, pollUntil } from "../helpers/slipway-process.ts";
import {
  albRequest,
  createAlb,
  createService,
  createTargetGroup,
  type Env,
  forwardTo,
  registerTd,
  serviceEvents,
  startEnv,
  startLoad,
  targetHealth,
  vpcTaskDef,
  waitCompleted,
  webContainer,
} from "./alb-harness.ts";

const skip = (await dockerAvailable()) ?? (await awsCliAvailable());
if (skip) console.log(`# skipping metrics and scaling e2e: ${skip}`);

const SUFFIX = `${process.pid}-${Date.now().toString(36)}`;
const CLUSTER = `metrics-${SUFFIX}`;
const N = 40;

describe("metrics, Container Insights and target tracking in real time (AWS CLI, Docker)", { skip, timeout: 1_800_000 }, () => {
  let env: Env | undefined;
  let cw: (...args: string[]) => Promise<any>;
  let aas: (...args: string[]) => Promise<any>;

  before(async () => {
    await ensureTestImages();
    env = await startEnv("slipway-e2e-metrics-");
    cw = (...args) => aws(env!.url, ["cloudwatch", ...args]);
    aas = (...args) => aws(env!.url, ["application-autoscaling", ...args]);
    await env.ecs("create-cluster", "--cluster-name", CLUSTER, "--settings", "name=containerInsights,value=enabled");
  });

  after(async () => {
    await env?.close();
  });

  const sum = async (namespace: string, metric: string, dims: string[], statistic = "Sum"): Promise<number | undefined> => {
    const now = Date.now();
    const out = await cw(
      "get-metric-statistics",
      "--namespace", namespace,
      "--metric-name", metric,
      ...(dims.length ? ["--dimensions", ...dims] : []),
      "--start-time", new Date(now - 3600_000).toISOString(),
      "--end-time", new Date(now + 60_000).toISOString(),
      "--period", "3600",
      "--statistics", statistic,
    );
    return out.Datapoints[0]?.[statistic];
  };

  test("ALB and Container Insights metrics, then scale-out under load and scale-in after it", async () => {
    const e = env!;
    const port = await freePort();
    const tgArn = await createTargetGroup(e, `mtg-${process.pid}`, { targetType: "ip", interval: 5, healthyThreshold: 2 });
    const alb = await createAlb(e, `m-${process.pid}`, port, forwardTo(tgArn));
    const td = await registerTd(e, vpcTaskDef(`metrics-${SUFFIX}`, webContainer({ image: TEST_IMAGES.web })));
    await createService(e, { cluster: CLUSTER, serviceName: "web", taskDefinition: td, desiredCount: 2, tgArn });
    await waitCompleted(e, CLUSTER, "web");
    await pollUntil(async () => ((await targetHealth(e, tgArn)).filter((t) => t.TargetHealth.State === "healthy").length === 2 ? true : undefined), {
      timeoutMs: 60_000,
      intervalMs: 500,
      what: "both targets healthy",
    });

    // Exactly N requests through the listener (nothing else went through it).
    for (let i = 0; i < N; i++) assert.equal((await albRequest(port, alb.dnsName, "/")).status, 200);
    const lb = `Name=LoadBalancer,Value=${alb.lbArn.split(":loadbalancer/")[1]}`;
    const tg = `Name=TargetGroup,Value=${tgArn.split(":").pop()}`;
    await pollUntil(async () => ((await sum("AWS/ApplicationELB", "RequestCount", [lb])) === N ? true : undefined), {
      timeoutMs: 90_000,
      intervalMs: 3000,
      what: `RequestCount to sum to ${N}`,
    });
    assert.equal(await sum("AWS/ApplicationELB", "RequestCount", [tg]), N);
    assert.equal(await sum("AWS/ApplicationELB", "HTTPCode_Target_2XX_Count", [lb]), N);
    assert.equal(await sum("AWS/ApplicationELB", "HealthyHostCount", [tg, lb], "Maximum"), 2);
    const rt = await sum("AWS/ApplicationELB", "TargetResponseTime", [lb], "Average");
    assert.ok(rt !== undefined && rt > 0 && rt < 5, `TargetResponseTime ${rt}`);

    const svc = [`Name=ClusterName,Value=${CLUSTER}`, "Name=ServiceName,Value=web"];
    await pollUntil(async () => ((await sum("ECS/ContainerInsights", "RunningTaskCount", svc, "Maximum")) === 2 ? true : undefined), {
      timeoutMs: 90_000,
      intervalMs: 3000,
      what: "RunningTaskCount 2",
    });
    assert.ok(((await sum("ECS/ContainerInsights", "CpuUtilized", svc)) ?? 0) > 0, "CpuUtilized");
    assert.ok(((await sum("ECS/ContainerInsights", "MemoryUtilized", svc)) ?? 0) > 0, "MemoryUtilized");
    assert.ok(((await sum("AWS/ECS", "MemoryUtilization", svc, "Average")) ?? 0) > 0, "AWS/ECS MemoryUtilization");
    const group = `/aws/ecs/containerinsights/${CLUSTER}/performance`;
    const events = await aws(e.url, ["logs", "filter-log-events", "--log-group-name", group]);
    const types = new Set((events.events as { message: string }[]).map((ev) => (JSON.parse(ev.message) as { Type: string }).Type));
    assert.deepEqual([...types].sort(), ["Cluster", "Container", "Service", "Task"]);

    // Target tracking on requests per target: 10 requests/s over two targets is 300 per target per minute.
    const rid = `service/${CLUSTER}/web`;
    await aas("register-scalable-target", "--service-namespace", "ecs", "--resource-id", rid, "--scalable-dimension", "ecs:service:DesiredCount", "--min-capacity", "1", "--max-capacity", "4");
    const label = `${alb.lbArn.split(":loadbalancer/")[1]}/${tgArn.split(":").pop()}`;
    const policy = await aas(
      "put-scaling-policy",
      "--service-namespace", "ecs",
      "--resource-id", rid,
      "--scalable-dimension", "ecs:service:DesiredCount",
      "--policy-name", "requests",
      "--policy-type", "TargetTrackingScaling",
      "--target-tracking-scaling-policy-configuration",
      JSON.stringify({ TargetValue: 50, PredefinedMetricSpecification: { PredefinedMetricType: "ALBRequestCountPerTarget", ResourceLabel: label } }),
    );
    const high = policy.Alarms.find((a: { AlarmName: string }) => a.AlarmName.includes("-AlarmHigh-")).AlarmName as string;
    const started = Date.now();
    const load = startLoad({ port, host: alb.dnsName, rate: 10, concurrency: 4, maxMs: 330_000 });
    let scaled: any;
    try {
      scaled = await pollUntil(
        async () => {
          const s = (await e.ecs("describe-services", "--cluster", CLUSTER, "--services", "web")).services[0];
          return s.desiredCount > 2 ? s : undefined;
        },
        { timeoutMs: 330_000, intervalMs: 5000, what: "the service to scale out" },
      );
    } finally {
      const report = await load.stop();
      assert.equal(report.failed.length, 0, JSON.stringify(report.failed.slice(0, 3)));
    }
    const minutes = (Date.now() - started) / 60_000;
    assert.ok(minutes >= 2.5 && minutes < 5.5, `scaled out after ${minutes.toFixed(1)} minutes`);
    assert.equal(scaled.desiredCount, 4, "ceil(2 × 300 / 50) clamped to the maximum");
    const acts = await aas("describe-scaling-activities", "--service-namespace", "ecs", "--resource-id", rid);
    const act = acts.ScalingActivities[0];
    assert.equal(act.Description, "Setting desired count to 4.");
    assert.equal(act.Cause, `monitor alarm ${high} in state ALARM triggered policy requests`);
    assert.equal(act.StatusCode, "Successful");
    await waitCompleted(e, CLUSTER, "web", 180_000);
    const ev = await serviceEvents(e, CLUSTER, "web");
    assert.ok(ev.some((m) => /^\(service web\) has started 2 tasks: \(task [0-9a-f]{32}\) \(task [0-9a-f]{32}\)\.$/.test(m)), ev.join("\n"));
    const history = await cw("describe-alarm-history", "--alarm-name", high, "--history-item-type", "StateUpdate");
    assert.match(history.AlarmHistoryItems[0].HistorySummary, /^Alarm updated from (INSUFFICIENT_DATA|OK) to ALARM$/);

    // Scale-in, in real time. The traffic drops to a trickle of 1 request/s: 15 per target per
    // minute over 4 targets, under the low alarm's threshold of 45 (90 % of the target). A trickle,
    // not silence: an ALB reports no RequestCount in a minute without requests
    // (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html),
    // and an alarm without datapoints does not invoke the policy. The low alarm wants 15 one-minute
    // datapoints below its threshold; the policy then sets ceil(4 × M / 50), M the requests per target.
    const low = policy.Alarms.find((a: { AlarmName: string }) => a.AlarmName.includes("-AlarmLow-")).AlarmName as string;
    const quietFrom = Date.now();
    const trickle = startLoad({ port, host: alb.dnsName, rate: 1, concurrency: 1, maxMs: 1_320_000 });
    let shrunk: any;
    try {
      shrunk = await pollUntil(
        async () => {
          const s = (await e.ecs("describe-services", "--cluster", CLUSTER, "--services", "web")).services[0];
          return s.desiredCount < 4 ? s : undefined;
        },
        { timeoutMs: 1_320_000, intervalMs: 10_000, what: "the service to scale in" },
      );
      // Let the tasks it removes drain while the trickle still flows.
      await waitCompleted(e, CLUSTER, "web", 240_000);
    } finally {
      const report = await trickle.stop();
      assert.equal(report.failed.length, 0, JSON.stringify(report.failed.slice(0, 3)));
    }
    const quiet = (Date.now() - quietFrom) / 60_000;
    assert.ok(shrunk.desiredCount >= 1 && shrunk.desiredCount <= 2, `scaled in to ${shrunk.desiredCount}`);
    const inActs = await aas("describe-scaling-activities", "--service-namespace", "ecs", "--resource-id", rid);
    const scaleIn = inActs.ScalingActivities[0];
    assert.equal(scaleIn.Description, `Setting desired count to ${shrunk.desiredCount}.`);
    assert.equal(scaleIn.Cause, `monitor alarm ${low} in state ALARM triggered policy requests`);
    assert.equal(scaleIn.StatusCode, "Successful");
    const inStart = Date.parse(scaleIn.StartTime) || scaleIn.StartTime * 1000;
    const minutesIn = (inStart - quietFrom) / 60_000;
    assert.ok(minutesIn >= 14 && minutesIn < 20, `scaled in ${minutesIn.toFixed(1)} minutes after the load dropped (test took ${quiet.toFixed(1)})`);
    const lowHistory = await cw("describe-alarm-history", "--alarm-name", low, "--history-item-type", "StateUpdate");
    assert.match(lowHistory.AlarmHistoryItems[0].HistorySummary, /^Alarm updated from (INSUFFICIENT_DATA|OK) to ALARM$/);
    const after = await serviceEvents(e, CLUSTER, "web");
    assert.ok(after.some((m) => /^\(service web\) has stopped [12] running tasks?: /.test(m)), after.join("\n"));
  });
});
