/**
 * End-to-end with @aws-sdk/client-ecs against an in-process startSlipway() on a real port and
 * real Docker: create → waitUntilServicesStable → rolling update → circuit-breaker rollback,
 * plus waitUntilTasksRunning / waitUntilTasksStopped on standalone tasks.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DeleteServiceCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  ECSClient,
  ListServiceDeploymentsCommand,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  StopTaskCommand,
  type ContainerDefinition,
  type Service,
  type Task,
  UpdateServiceCommand,
  waitUntilServicesInactive,
  waitUntilServicesStable,
  waitUntilTasksRunning,
  waitUntilTasksStopped,
} from "@aws-sdk/client-ecs";
import { type Slipway, startSlipway } from "../../src/server/slipway.ts";
import { dockerAvailable, ensureTestImages, TEST_IMAGES } from "../helpers/docker.ts";
import { cleanDataDir, httpGet, managedContainers, pollUntil, tempDataDir } from "../helpers/slipway-process.ts";

const skip = await dockerAvailable();
if (skip) console.log(`# skipping ECS SDK e2e: ${skip}`);

const SUFFIX = `${process.pid}-${Date.now().toString(36)}`;
const cluster = `e2e-sdk-${SUFFIX}`;
const family = `web-sdk-${SUFFIX}`;
const serviceName = "web";
const NET = { awsvpcConfiguration: { subnets: ["subnet-0123456789abcdef0"], assignPublicIp: "DISABLED" as const } };
const WAIT = { maxWaitTime: 120, minDelay: 1, maxDelay: 2 };

const web = (image: string): ContainerDefinition => ({
  name: "web",
  image,
  essential: true,
  stopTimeout: 2,
  portMappings: [{ containerPort: 8080, protocol: "tcp" }],
  healthCheck: { command: ["CMD-SHELL", "wget -q -O /dev/null http://127.0.0.1:8080/health || exit 1"], interval: 5, timeout: 2, retries: 2 },
});

describe("ECS end to end through @aws-sdk/client-ecs", { skip, timeout: 300_000 }, () => {
  let dataDir = "";
  let slipway: Slipway | undefined;
  let client: ECSClient;
  const logs: string[] = [];
  const rev: Record<string, string> = {};

  const register = async (containerDefinitions: ContainerDefinition[], fam = family) =>
    (
      await client.send(
        new RegisterTaskDefinitionCommand({ family: fam, networkMode: "awsvpc", requiresCompatibilities: ["FARGATE"], cpu: "256", memory: "512", containerDefinitions }),
      )
    ).taskDefinition!.taskDefinitionArn!;
  const describe1 = async (): Promise<Service> => (await client.send(new DescribeServicesCommand({ cluster, services: [serviceName] }))).services![0]!;
  const serviceTasks = async (): Promise<Task[]> => {
    const { taskArns } = await client.send(new ListTasksCommand({ cluster, serviceName }));
    return taskArns!.length ? (await client.send(new DescribeTasksCommand({ cluster, tasks: taskArns! }))).tasks! : [];
  };
  const stable = async () => {
    const r = await waitUntilServicesStable({ client, ...WAIT }, { cluster, services: [serviceName] });
    assert.equal(r.state, "SUCCESS", JSON.stringify(r.reason));
  };
  /**
   * The waiter only checks "1 deployment && runningCount == desiredCount", which holds as soon as
   * the new tasks are RUNNING (before their container health checks pass); ECS's own
   * rolloutState COMPLETED additionally needs every task HEALTHY. The next
   * deployment's rollback target is the last COMPLETED one, so wait for it.
   */
  const completed = () =>
    pollUntil(async () => {
      const s = await describe1();
      return s.deployments!.length === 1 && s.deployments![0]!.rolloutState === "COMPLETED" ? s : undefined;
    }, { timeoutMs: 60_000, what: "the PRIMARY deployment to be COMPLETED" });
  const answers = async (tasks: Task[]) => {
    const bodies: string[] = [];
    for (const t of tasks) {
      const ip = t.containers![0]!.networkInterfaces![0]!.privateIpv4Address!;
      const res = await pollUntil(async () => {
        const r = await httpGet(`http://${ip}:8080/`);
        return r.status === 200 ? r : undefined;
      }, { timeoutMs: 15_000, what: `task ${ip} to answer` });
      bodies.push(res.body);
    }
    return bodies;
  };
  const runningImages = async () => {
    const rows = await managedContainers(slipway!.instanceId, [`label=slipway.service=${serviceName}`, `label=slipway.cluster=${cluster}`]);
    return rows.length === 2 && rows.every((r) => r.state === "running") ? rows.map((r) => r.image) : undefined;
  };

  before(async () => {
    await ensureTestImages();
    dataDir = tempDataDir("slipway-e2e-sdk-");
    slipway = await startSlipway({ port: 0, dataDir, log: (m) => logs.push(m) });
    client = new ECSClient({ endpoint: slipway.url, region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" } });
  });

  after(async () => {
    client?.destroy();
    await slipway?.close();
    if (dataDir) await cleanDataDir(dataDir);
  });

  test("create a service and waitUntilServicesStable; both tasks answer", async () => {
    await client.send(new CreateClusterCommand({ clusterName: cluster }));
    rev.v1 = await register([web(TEST_IMAGES.web)]);
    const created = await client.send(
      new CreateServiceCommand({
        cluster,
        serviceName,
        taskDefinition: rev.v1,
        desiredCount: 2,
        launchType: "FARGATE",
        networkConfiguration: NET,
        deploymentConfiguration: { maximumPercent: 200, minimumHealthyPercent: 100 },
      }),
    );
    assert.equal(created.service!.deployments!.length, 1);
    await stable();
    const s = await completed();
    assert.equal(s.runningCount, 2);
    const bodies = await answers(await serviceTasks());
    assert.equal(bodies.length, 2);
    for (const b of bodies) assert.match(b, /version=v1/);
    assert.equal(new Set(bodies).size, 2);
  });

  test("update to a new revision; waiter returns once only v2 tasks remain", async () => {
    rev.v2 = await register([web(TEST_IMAGES.webV2)]);
    const upd = await client.send(new UpdateServiceCommand({ cluster, service: serviceName, taskDefinition: rev.v2 }));
    assert.equal(upd.service!.deployments![0]!.status, "PRIMARY");
    assert.equal(upd.service!.deployments![0]!.taskDefinition, rev.v2);
    assert.equal(upd.service!.deployments!.length, 2);
    await stable();
    assert.equal((await describe1()).taskDefinition, rev.v2);
    const s = await completed();
    assert.equal(s.taskDefinition, rev.v2);
    const images = await pollUntil(runningImages, { timeoutMs: 15_000, what: "exactly 2 running v2 containers" });
    assert.deepEqual(images, [TEST_IMAGES.webV2, TEST_IMAGES.webV2]);
    for (const b of await answers(await serviceTasks())) assert.match(b, /version=v2/);
  });

  test("circuit breaker trips on a crashing revision and rolls back", async () => {
    const good = (await describe1()).deployments![0]!.id!;
    const crash = await register([{ name: "web", image: TEST_IMAGES.busybox, essential: true, stopTimeout: 2, command: ["sh", "-c", "exit 3"] }]);
    const upd = await client.send(
      new UpdateServiceCommand({
        cluster,
        service: serviceName,
        taskDefinition: crash,
        deploymentConfiguration: { maximumPercent: 200, minimumHealthyPercent: 100, deploymentCircuitBreaker: { enable: true, rollback: true } },
      }),
    );
    const failedId = upd.service!.deployments![0]!.id!;
    await stable();
    const s = await completed();
    assert.equal(s.taskDefinition, rev.v2);
    assert.notEqual(s.deployments![0]!.id, failedId);
    const messages = s.events!.map((e) => e.message);
    assert.ok(messages.includes(`(service ${serviceName}) (deployment ${failedId}) deployment failed: tasks failed to start.`), messages.join("\n"));
    assert.ok(messages.includes(`(service ${serviceName}) rolling back to deployment ${good}.`), messages.join("\n"));
    const list = await client.send(new ListServiceDeploymentsCommand({ cluster, service: serviceName }));
    const failed = list.serviceDeployments!.find((d) => d.targetServiceRevisionArn!.endsWith(failedId.split("/")[1]!));
    assert.equal(failed?.status, "ROLLBACK_SUCCESSFUL", JSON.stringify(list.serviceDeployments));
    const images = await pollUntil(runningImages, { timeoutMs: 15_000, what: "exactly 2 running v2 containers after the rollback" });
    assert.deepEqual(images, [TEST_IMAGES.webV2, TEST_IMAGES.webV2]);
  });

  test("standalone tasks: waitUntilTasksRunning, StopTask, waitUntilTasksStopped, exit codes", async () => {
    const sleeper = await register([{ name: "main", image: TEST_IMAGES.busybox, essential: true, stopTimeout: 2, command: ["sleep", "3600"] }], `${family}-sleep`);
    const exit7 = await register([{ name: "main", image: TEST_IMAGES.busybox, essential: true, command: ["sh", "-c", "exit 7"] }], `${family}-exit7`);
    const run = async (td: string) => {
      const out = await client.send(new RunTaskCommand({ cluster, taskDefinition: td, launchType: "FARGATE", networkConfiguration: NET }));
      assert.equal(out.failures!.length, 0);
      assert.equal(out.tasks![0]!.lastStatus, "PROVISIONING");
      return out.tasks![0]!.taskArn!;
    };
    const [aSleep, a7] = await Promise.all([run(sleeper), run(exit7)]);

    const r7 = await waitUntilTasksStopped({ client, ...WAIT }, { cluster, tasks: [a7] });
    assert.equal(r7.state, "SUCCESS");
    const [t7] = (await client.send(new DescribeTasksCommand({ cluster, tasks: [a7] }))).tasks!;
    assert.equal(t7!.containers![0]!.exitCode, 7);
    assert.equal(t7!.stopCode, "EssentialContainerExited");
    assert.equal(t7!.stoppedReason, "Essential container in task exited");

    const running = await waitUntilTasksRunning({ client, ...WAIT }, { cluster, tasks: [aSleep] });
    assert.equal(running.state, "SUCCESS");
    const stop = await client.send(new StopTaskCommand({ cluster, task: aSleep }));
    assert.equal(stop.task!.desiredStatus, "STOPPED");
    const stopped = await waitUntilTasksStopped({ client, ...WAIT }, { cluster, tasks: [aSleep] });
    assert.equal(stopped.state, "SUCCESS");
    const [t] = (await client.send(new DescribeTasksCommand({ cluster, tasks: [aSleep] }))).tasks!;
    assert.equal(t!.stopCode, "UserInitiated");
    assert.equal(t!.stoppedReason, "Task stopped by user");
    assert.ok([137, 143].includes(t!.containers![0]!.exitCode!), `exit code ${t!.containers![0]!.exitCode}`);
  });

  test("DeleteService force → waitUntilServicesInactive; no containers left", async () => {
    await client.send(new DeleteServiceCommand({ cluster, service: serviceName, force: true }));
    const r = await waitUntilServicesInactive({ client, ...WAIT }, { cluster, services: [serviceName] });
    assert.equal(r.state, "SUCCESS");
    await pollUntil(async () => ((await managedContainers(slipway!.instanceId, [`label=slipway.cluster=${cluster}`])).length === 0 ? true : undefined), {
      timeoutMs: 15_000,
      what: "no containers left in the cluster",
    });
  });
});
