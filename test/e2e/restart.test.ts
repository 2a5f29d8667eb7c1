/**
 * Crash safety: `kill -9` the Slipway process in the middle of a rolling deployment, restart it on
 * the same data dir and port, and check that the deployment finishes with exactly the service's
 * containers — no duplicates, no orphans — and that tasks kept running while Slipway was down.
 */
import assert from "node:assert/strict";
import { after, describe, test } from "node:test";
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  type Service,
  UpdateServiceCommand,
  waitUntilServicesStable,
} from "@aws-sdk/client-ecs";
import { dockerAvailable, ensureTestImages, TEST_IMAGES } from "../helpers/docker.ts";
import { cleanDataDir, instanceIdOf, managedContainers, pollUntil, type SlipwayProcess, startSlipwayProcess, tempDataDir } from "../helpers/slipway-process.ts";

const skip = await dockerAvailable();
if (skip) console.log(`# skipping restart e2e: ${skip}`);

const SUFFIX = `${process.pid}-${Date.now().toString(36)}`;
const family = `web-restart-${SUFFIX}`;
const serviceName = "web";

const taskDef = (image: string) => ({
  family,
  networkMode: "bridge" as const,
  containerDefinitions: [
    {
      name: "web",
      image,
      essential: true,
      memory: 64,
      stopTimeout: 2,
      portMappings: [{ containerPort: 8080, hostPort: 0, protocol: "tcp" as const }],
      healthCheck: { command: ["CMD-SHELL", "wget -q -O /dev/null http://127.0.0.1:8080/health || exit 1"], interval: 5, timeout: 2, retries: 2 },
    },
  ],
});

/**
 * When to crash: "running" once a new-deployment task is RUNNING (old tasks not yet replaced);
 * "launched" as soon as the new deployment has any task record (its container may be half made).
 */
type KillPoint = "running" | "launched";

describe("Slipway restart in the middle of a deployment", { skip, timeout: 240_000 }, () => {
  const dataDirs: string[] = [];
  const procs: SlipwayProcess[] = [];
  const clients: ECSClient[] = [];

  after(async () => {
    for (const c of clients) c.destroy();
    for (const p of procs) await p.kill("SIGTERM");
    for (const d of dataDirs) await cleanDataDir(d);
  });

  test("kill -9 once a new task is RUNNING, restart: the deployment completes with exactly 2 new containers", () => scenario("running"));
  test("kill -9 right after the new deployment launched a task, restart: same outcome", () => scenario("launched"));

  async function scenario(killPoint: KillPoint): Promise<void> {
    await ensureTestImages();
    const dataDir = tempDataDir("slipway-e2e-restart-");
    dataDirs.push(dataDir);
    const cluster = `e2e-restart-${killPoint}-${SUFFIX}`;
    const first = await startSlipwayProcess({ dataDir });
    procs.push(first);
    const port = first.port;
    const instanceId = instanceIdOf(dataDir);
    const ecs = new ECSClient({ endpoint: first.url, region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" }, maxAttempts: 1 });
    clients.push(ecs);
    const describe1 = async (): Promise<Service> => (await ecs.send(new DescribeServicesCommand({ cluster, services: [serviceName] }))).services![0]!;

    await ecs.send(new CreateClusterCommand({ clusterName: cluster }));
    const v1 = (await ecs.send(new RegisterTaskDefinitionCommand(taskDef(TEST_IMAGES.web)))).taskDefinition!.taskDefinitionArn!;
    const v2 = (await ecs.send(new RegisterTaskDefinitionCommand(taskDef(TEST_IMAGES.webV2)))).taskDefinition!.taskDefinitionArn!;
    await ecs.send(
      new CreateServiceCommand({
        cluster,
        serviceName,
        taskDefinition: v1,
        desiredCount: 2,
        launchType: "EC2",
        deploymentConfiguration: { maximumPercent: 200, minimumHealthyPercent: 100 },
      }),
    );
    const stable = await waitUntilServicesStable({ client: ecs, maxWaitTime: 120, minDelay: 1, maxDelay: 2 }, { cluster, services: [serviceName] });
    assert.equal(stable.state, "SUCCESS");
    // Healthy v1 tasks, so the update below really rolls within min 100 % / max 200 %.
    await pollUntil(async () => (await describe1()).deployments![0]!.rolloutState === "COMPLETED", {
      timeoutMs: 60_000,
      what: "the first deployment to be COMPLETED",
    });

    const upd = await ecs.send(new UpdateServiceCommand({ cluster, service: serviceName, taskDefinition: v2 }));
    const newId = upd.service!.deployments![0]!.id!;

    // As soon as the new deployment has a task started, but before it completes: crash Slipway.
    const atKill = await pollUntil(async () => {
      const s = await describe1();
      const p = s.deployments!.find((d) => d.id === newId)!;
      const started = killPoint === "running" ? (p.runningCount ?? 0) >= 1 : (p.runningCount ?? 0) + (p.pendingCount ?? 0) >= 1;
      return s.deployments!.length === 2 && p.rolloutState === "IN_PROGRESS" && started ? s : undefined;
    }, { timeoutMs: 30_000, intervalMs: 20, what: `the new deployment to have a ${killPoint} task` });
    await first.kill("SIGKILL");
    assert.equal(first.child.signalCode, "SIGKILL");
    assert.equal(atKill.deployments![0]!.rolloutState, "IN_PROGRESS");

    // Tasks keep running while Slipway is down: the old deployment's containers are still up.
    const whileDown = await managedContainers(instanceId, [`label=slipway.cluster=${cluster}`]);
    const upV1 = whileDown.filter((c) => c.state === "running" && c.image === TEST_IMAGES.web);
    const upV2 = whileDown.filter((c) => c.state === "running" && c.image === TEST_IMAGES.webV2);
    assert.equal(upV1.length, 2, `v1 containers still running after the kill: ${JSON.stringify(whileDown)}`);
    if (killPoint === "running") assert.ok(upV2.length >= 1, `a v2 container is running after the kill: ${JSON.stringify(whileDown)}`);

    const second = await startSlipwayProcess({ dataDir, port });
    procs.push(second);
    assert.equal(second.port, port);

    const done = await pollUntil(async () => {
      const s = await describe1();
      const d = s.deployments!;
      return d.length === 1 && d[0]!.id === newId && d[0]!.rolloutState === "COMPLETED" && s.runningCount === 2 && s.pendingCount === 0 ? s : undefined;
    }, { timeoutMs: 90_000, intervalMs: 250, what: "the new deployment to complete after the restart" });
    assert.equal(done.taskDefinition, v2);
    const waited = await waitUntilServicesStable({ client: ecs, maxWaitTime: 60, minDelay: 1, maxDelay: 2 }, { cluster, services: [serviceName] });
    assert.equal(waited.state, "SUCCESS");

    const { taskArns } = await ecs.send(new ListTasksCommand({ cluster, serviceName }));
    assert.equal(taskArns!.length, 2, "exactly 2 tasks desired RUNNING");
    const tasks = (await ecs.send(new DescribeTasksCommand({ cluster, tasks: taskArns! }))).tasks!;
    assert.ok(tasks.every((t) => t.lastStatus === "RUNNING" && t.startedBy === newId && t.taskDefinitionArn === v2));

    // No duplicates, no orphans: exactly the 2 running v2 containers of those tasks (stopped
    // tasks' containers are removed right after they stop, so allow a moment).
    const rows = await pollUntil(async () => {
      const all = await managedContainers(instanceId);
      return all.length === 2 ? all : undefined;
    }, { timeoutMs: 20_000, what: "exactly 2 managed containers for this Slipway" });
    assert.ok(rows.every((r) => r.state === "running" && r.image === TEST_IMAGES.webV2), JSON.stringify(rows));
    assert.deepEqual(rows.map((r) => r.taskArn).sort(), [...taskArns!].sort());
  }
});
