/**
 * Zero-downtime figure: failed requests out of the total during a rolling deployment of a 4-task
 * service behind the ALB, under a constant load, and the deployment's duration.
 *
 *   node bench/alb-deploy.ts [--runs 3] [--rate 300] [--concurrency 16] [--data-plane node|haproxy]
 *
 * Set-up (real `slipway up` child process + Docker, driven by the AWS SDK): target group `ip`,
 * port 8080, health check GET /health every 5 s, timeout 2 s, healthy/unhealthy threshold 2,
 * deregistration_delay.timeout_seconds 5; an ALB with an HTTP listener on a free loopback port
 * forwarding to it; service "web" (awsvpc/FARGATE, desired 4, minimumHealthyPercent 100 /
 * maximumPercent 200), task definitions with slipway-test/web:latest (v1) and :v2, stopTimeout 2,
 * container health check wget /health every 5 s.
 *
 * Each run: `--rate` req/s spread over `--concurrency` keep-alive clients (node:http, GET / with
 * Host: <DNSName>) starts 3 s before UpdateService (v1 ↔ v2 alternately) and stops 3 s after the
 * deployment completes (one deployment, COMPLETED, runningCount == desiredCount; polled every
 * 250 ms), bounded to 150 s. A failure is a socket error or a non-2xx answer. The deployment time
 * runs from UpdateService to completion.
 */
import { parseArgs } from "node:util";
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DeleteServiceCommand,
  DescribeServicesCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
} from "@aws-sdk/client-ecs";
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  ElasticLoadBalancingV2Client,
  ModifyTargetGroupAttributesCommand,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { dockerAvailable, ensureTestImages, TEST_IMAGES } from "../test/helpers/docker.ts";
import { cleanDataDir, freePort, startSlipwayProcess, tempDataDir } from "../test/helpers/slipway-process.ts";
import { NET, startLoad, SUBNETS, versionOf, vpcTaskDef, waitForStatus, webContainer } from "../test/e2e/alb-harness.ts";
import { percentile, table } from "./lib.ts";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "3" },
    rate: { type: "string", default: "300" },
    concurrency: { type: "string", default: "16" },
    "data-plane": { type: "string", default: "node" },
  },
});
const RUNS = Number(values.runs);
const RATE = Number(values.rate);
const CONCURRENCY = Number(values.concurrency);
const DESIRED = 4;
const LOAD_CAP_MS = 150_000;

const skip = await dockerAvailable();
if (skip) {
  console.log(`alb-deploy: skipped (${skip})`);
  process.exit(0);
}
await ensureTestImages();

const dataDir = tempDataDir("slipway-bench-alb-");
const slipway = await startSlipwayProcess({ dataDir, env: { SLIPWAY_DATA_PLANE: values["data-plane"] } });
console.log(`data plane: ${values["data-plane"]}`);
const stopAll = async () => {
  await slipway.kill("SIGTERM");
  await cleanDataDir(dataDir);
};
process.once("SIGINT", () => void stopAll().then(() => process.exit(130)));

const cfg = { endpoint: slipway.url, region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" }, maxAttempts: 1 };
const ecs = new ECSClient(cfg);
const elb = new ElasticLoadBalancingV2Client(cfg);
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function completed(v: string, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const s = (await ecs.send(new DescribeServicesCommand({ cluster: "bench", services: ["web"] }))).services![0]!;
    const d = s.deployments ?? [];
    if (d.length === 1 && d[0]!.rolloutState === "COMPLETED" && s.runningCount === DESIRED && s.taskDefinition === v) return;
    await wait(250);
  }
  throw new Error(`deployment to ${v} not completed after ${timeoutMs} ms`);
}

try {
  const tg = (
    await elb.send(
      new CreateTargetGroupCommand({
        Name: "bench-web",
        Protocol: "HTTP",
        Port: 8080,
        VpcId: "vpc-0123456789abcdef0",
        TargetType: "ip",
        HealthCheckPath: "/health",
        HealthCheckIntervalSeconds: 5,
        HealthCheckTimeoutSeconds: 2,
        HealthyThresholdCount: 2,
        UnhealthyThresholdCount: 2,
      }),
    )
  ).TargetGroups![0]!;
  await elb.send(
    new ModifyTargetGroupAttributesCommand({
      TargetGroupArn: tg.TargetGroupArn,
      Attributes: [{ Key: "deregistration_delay.timeout_seconds", Value: "5" }],
    }),
  );
  const lb = (await elb.send(new CreateLoadBalancerCommand({ Name: "bench-alb", Subnets: SUBNETS }))).LoadBalancers![0]!;
  const port = await freePort();
  await elb.send(
    new CreateListenerCommand({
      LoadBalancerArn: lb.LoadBalancerArn,
      Protocol: "HTTP",
      Port: port,
      DefaultActions: [{ Type: "forward", TargetGroupArn: tg.TargetGroupArn }],
    }),
  );
  await ecs.send(new CreateClusterCommand({ clusterName: "bench" }));
  const tds: string[] = [];
  for (const image of [TEST_IMAGES.web, TEST_IMAGES.webV2]) {
    const out = await ecs.send(new RegisterTaskDefinitionCommand(vpcTaskDef("bench-alb-web", webContainer({ image })) as any));
    tds.push(out.taskDefinition!.taskDefinitionArn!);
  }
  await ecs.send(
    new CreateServiceCommand({
      cluster: "bench",
      serviceName: "web",
      taskDefinition: tds[0],
      desiredCount: DESIRED,
      launchType: "FARGATE",
      networkConfiguration: NET as any,
      loadBalancers: [{ targetGroupArn: tg.TargetGroupArn, containerName: "web", containerPort: 8080 }],
      deploymentConfiguration: { minimumHealthyPercent: 100, maximumPercent: 200 },
    }),
  );
  await completed(tds[0]!, 120_000);
  await waitForStatus(port, lb.DNSName!, 200, 30_000);

  const rows: (string | number)[][] = [];
  for (let run = 1; run <= RUNS; run++) {
    const to = tds[run % 2]!;
    const load = startLoad({ port, host: lb.DNSName!, rate: RATE, concurrency: CONCURRENCY, maxMs: LOAD_CAP_MS });
    await wait(3000);
    const u0 = performance.now();
    await ecs.send(new UpdateServiceCommand({ cluster: "bench", service: "web", taskDefinition: to }));
    await completed(to, LOAD_CAP_MS - 10_000);
    const deployMs = performance.now() - u0;
    await wait(3000);
    const r = await load.stop();
    const lat = r.samples.map((s) => s.ms);
    const errors = r.failed.filter((f) => f.error !== undefined).length;
    const vs = r.samples.map((s) => versionOf(s.body));
    rows.push([
      run,
      `${vs[0]}→${vs.at(-1)}`,
      r.total,
      (r.total / (r.durationMs / 1000)).toFixed(0),
      r.failed.length,
      errors,
      r.failed.length - errors,
      (deployMs / 1000).toFixed(1),
      percentile(lat, 50).toFixed(1),
      percentile(lat, 99).toFixed(1),
      Math.max(...lat),
    ]);
    if (r.failed.length) console.log(`run ${run} failures (first 5):`, r.failed.slice(0, 5));
  }
  console.log(
    `ALB rolling deployment, ${DESIRED} tasks (awsvpc, min 100 / max 200), ${RATE} req/s over ${CONCURRENCY} keep-alive clients, dereg delay 5 s, health interval 5 s / healthy 2`,
  );
  console.log(
    table(["run", "version", "requests", "req/s", "failed", "socket errors", "non-2xx", "deploy s", "p50 ms", "p99 ms", "max ms"], rows),
  );
  await ecs.send(new DeleteServiceCommand({ cluster: "bench", service: "web", force: true }));
} finally {
  ecs.destroy();
  elb.destroy();
  await stopAll();
}
