/**
 * End-to-end: a real `slipway up` child process driven only by the AWS CLI (v1), running real
 * Docker containers. Covers create → services-stable → rolling update → circuit-breaker rollback
 * → replacement of a killed container → run-task/stop-task exit codes and reasons.
 * Two services run side by side to cover both network modes: awsvpc/FARGATE and bridge (hostPort 0).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { dockerAvailable, ensureTestImages, TEST_IMAGES } from "../helpers/docker.ts";
import {
  aws,
  awsCliAvailable,
  cleanDataDir,
  docker,
  httpGet,
  instanceIdOf,
  jsonFileArg,
  managedContainers,
  pollUntil,
  type SlipwayProcess,
  startSlipwayProcess,
  tempDataDir,
} from "../helpers/slipway-process.ts";

const skip = (await dockerAvailable()) ?? (await awsCliAvailable());
if (skip) console.log(`# skipping ECS CLI e2e: ${skip}`);

const HEALTH = {
  command: ["CMD-SHELL", "wget -q -O /dev/null http://127.0.0.1:8080/health || exit 1"],
  interval: 5,
  timeout: 2,
  retries: 2,
};

function webContainer(image: string, bridge: boolean) {
  return {
    name: "web",
    image,
    essential: true,
    stopTimeout: 2,
    ...(bridge ? { memory: 64 } : {}),
    portMappings: [{ containerPort: 8080, ...(bridge ? { hostPort: 0 } : {}), protocol: "tcp" }],
    healthCheck: HEALTH,
  };
}

function vpcTaskDef(family: string, container: object) {
  return { family, networkMode: "awsvpc", requiresCompatibilities: ["FARGATE"], cpu: "256", memory: "512", containerDefinitions: [container] };
}

function bridgeTaskDef(family: string, container: object) {
  return { family, networkMode: "bridge", requiresCompatibilities: ["EC2"], containerDefinitions: [container] };
}

const SUFFIX = `${process.pid}-${Date.now().toString(36)}`;
const CLUSTER = `e2e-cli-${SUFFIX}`;
const VPC_FAMILY = `web-vpc-${SUFFIX}`;
const BRIDGE_FAMILY = `web-bridge-${SUFFIX}`;
const VPC_SVC = "web-vpc";
const BRIDGE_SVC = "web-bridge";
const NET = { awsvpcConfiguration: { subnets: ["subnet-0123456789abcdef0"], securityGroups: ["sg-0123456789abcdef0"], assignPublicIp: "DISABLED" } };

describe("ECS end to end through the AWS CLI", { skip, timeout: 420_000 }, () => {
  let dataDir = "";
  let slipway: SlipwayProcess | undefined;
  let url = "";
  let instanceId = "";
  const rev: Record<string, string> = {};

  const ecs = <T = any>(...args: string[]) => aws<T>(url, ["ecs", ...args]);
  const describeServices = async (...names: string[]) =>
    (await ecs<{ services: any[] }>("describe-services", "--cluster", CLUSTER, "--services", ...names)).services;
  const describeTasks = async (...arns: string[]) => (await ecs<{ tasks: any[] }>("describe-tasks", "--cluster", CLUSTER, "--tasks", ...arns)).tasks;
  const serviceTasks = async (service: string) => {
    const { taskArns } = await ecs<{ taskArns: string[] }>("list-tasks", "--cluster", CLUSTER, "--service-name", service);
    return taskArns.length ? describeTasks(...taskArns) : [];
  };
  const register = async (file: string, td: object) => {
    const out = await ecs<{ taskDefinition: { taskDefinitionArn: string } }>(
      "register-task-definition",
      "--cli-input-json",
      jsonFileArg(dataDir, file, td),
    );
    return out.taskDefinition.taskDefinitionArn;
  };
  const waitStable = (...services: string[]) => ecs("wait", "services-stable", "--cluster", CLUSTER, "--services", ...services);
  /**
   * services-stable only needs "1 deployment && runningCount == desiredCount" (true once the new
   * tasks are RUNNING, maybe before they are HEALTHY); rolloutState COMPLETED needs health too,
   * and a circuit-breaker rollback targets the last COMPLETED deployment, so wait for it.
   */
  const completed = (...services: string[]) =>
    pollUntil(async () => {
      const all = await describeServices(...services);
      return all.every((s) => s.deployments.length === 1 && s.deployments[0].rolloutState === "COMPLETED") ? all : undefined;
    }, { timeoutMs: 60_000, what: `${services.join(", ")} to have one COMPLETED deployment` });
  /** Each running task's HTTP endpoint: awsvpc → private IP:8080, bridge → 127.0.0.1:hostPort. */
  const endpoints = (tasks: any[]) =>
    tasks.map((t) => {
      const c = t.containers[0];
      if (c.networkInterfaces?.length) return `http://${c.networkInterfaces[0].privateIpv4Address}:8080/`;
      const b = c.networkBindings.find((x: any) => x.containerPort === 8080);
      return `http://127.0.0.1:${b.hostPort}/`;
    });
  /** Running containers of one service (docker labels), once the count matches. */
  const serviceContainers = async (service: string) =>
    (await managedContainers(instanceId, [`label=slipway.service=${service}`, `label=slipway.cluster=${CLUSTER}`])).filter((c) => c.state === "running");

  before(async () => {
    await ensureTestImages();
    dataDir = tempDataDir("slipway-e2e-cli-");
    slipway = await startSlipwayProcess({ dataDir });
    url = slipway.url;
    instanceId = instanceIdOf(dataDir);
  });

  after(async () => {
    await slipway?.kill("SIGTERM");
    if (dataDir) await cleanDataDir(dataDir);
  });

  test("create cluster, register task definitions from JSON files, create services (awsvpc + bridge), wait services-stable, tasks answer HTTP", async () => {
    const created = await ecs("create-cluster", "--cluster-name", CLUSTER);
    assert.equal(created.cluster.status, "ACTIVE");
    rev.vpc1 = await register("vpc-v1.json", vpcTaskDef(VPC_FAMILY, webContainer(TEST_IMAGES.web, false)));
    rev.bridge1 = await register("bridge-v1.json", bridgeTaskDef(BRIDGE_FAMILY, webContainer(TEST_IMAGES.web, true)));
    assert.match(rev.vpc1!, new RegExp(`:task-definition/${VPC_FAMILY}:1$`));

    const deploymentConfiguration = { maximumPercent: 200, minimumHealthyPercent: 100 };
    const vpc = await ecs(
      "create-service",
      "--cli-input-json",
      jsonFileArg(dataDir, "svc-vpc.json", {
        cluster: CLUSTER,
        serviceName: VPC_SVC,
        taskDefinition: rev.vpc1,
        desiredCount: 2,
        launchType: "FARGATE",
        networkConfiguration: NET,
        deploymentConfiguration,
      }),
    );
    assert.equal(vpc.service.deployments.length, 1);
    await ecs(
      "create-service",
      "--cli-input-json",
      jsonFileArg(dataDir, "svc-bridge.json", {
        cluster: CLUSTER,
        serviceName: BRIDGE_SVC,
        taskDefinition: rev.bridge1,
        desiredCount: 2,
        launchType: "EC2",
        deploymentConfiguration,
      }),
    );

    await waitStable(VPC_SVC, BRIDGE_SVC);
    const services = await completed(VPC_SVC, BRIDGE_SVC);
    for (const s of services) {
      assert.equal(s.runningCount, 2, s.serviceName);
      assert.equal(s.deployments.length, 1, s.serviceName);
    }

    for (const service of [VPC_SVC, BRIDGE_SVC]) {
      const tasks = await serviceTasks(service);
      assert.equal(tasks.length, 2, service);
      const urls = endpoints(tasks);
      const hosts = new Set<string>();
      for (const u of urls) {
        const res = await pollUntil(async () => {
          const r = await httpGet(u);
          return r.status === 200 ? r : undefined;
        }, { timeoutMs: 15_000, what: `${service} task at ${u} to answer` });
        assert.match(res.body, /hello from \S+ version=v1/);
        hosts.add(res.body);
      }
      assert.equal(hosts.size, 2, `${service}: two distinct tasks answered`);
    }
  });

  test("update-service to a new revision (min 100 / max 200): waiter returns, only v2 containers remain and answer version=v2", async () => {
    rev.vpc2 = await register("vpc-v2.json", vpcTaskDef(VPC_FAMILY, webContainer(TEST_IMAGES.webV2, false)));
    rev.bridge2 = await register("bridge-v2.json", bridgeTaskDef(BRIDGE_FAMILY, webContainer(TEST_IMAGES.webV2, true)));
    const upd = await ecs("update-service", "--cluster", CLUSTER, "--service", VPC_SVC, "--task-definition", rev.vpc2!,
      "--deployment-configuration", "maximumPercent=200,minimumHealthyPercent=100");
    assert.equal(upd.service.deployments[0].status, "PRIMARY");
    assert.equal(upd.service.deployments[0].taskDefinition, rev.vpc2);
    assert.equal(upd.service.deployments.length, 2, "UpdateService returns the new PRIMARY next to the old deployment");
    await ecs("update-service", "--cluster", CLUSTER, "--service", BRIDGE_SVC, "--task-definition", rev.bridge2!);

    await waitStable(VPC_SVC, BRIDGE_SVC);
    const services = await completed(VPC_SVC, BRIDGE_SVC);
    assert.equal(services[0].taskDefinition, rev.vpc2);
    assert.equal(services[1].taskDefinition, rev.bridge2);

    for (const service of [VPC_SVC, BRIDGE_SVC]) {
      // Old tasks are STOPPED once the waiter returns; their containers are removed right after.
      const containers = await pollUntil(async () => {
        const all = await managedContainers(instanceId, [`label=slipway.service=${service}`]);
        return all.length === 2 && all.every((c) => c.state === "running") ? all : undefined;
      }, { timeoutMs: 15_000, what: `${service}: exactly 2 running containers` });
      assert.deepEqual(containers.map((c) => c.image), [TEST_IMAGES.webV2, TEST_IMAGES.webV2]);
      const tasks = await serviceTasks(service);
      assert.equal(tasks.length, 2);
      for (const u of endpoints(tasks)) {
        const res = await pollUntil(async () => {
          const r = await httpGet(u);
          return r.status === 200 ? r : undefined;
        }, { timeoutMs: 15_000, what: `${u} to answer` });
        assert.match(res.body, /version=v2/);
      }
    }
  });

  test("a revision whose container exits at once trips the circuit breaker and rolls back", async (t) => {
    const before = (await describeServices(VPC_SVC))[0];
    const goodDeploymentId: string = before.deployments[0].id;
    const crash = await register(
      "vpc-crash.json",
      vpcTaskDef(VPC_FAMILY, { name: "web", image: TEST_IMAGES.busybox, essential: true, stopTimeout: 2, command: ["sh", "-c", "exit 3"] }),
    );
    const upd = await ecs(
      "update-service",
      "--cluster",
      CLUSTER,
      "--service",
      VPC_SVC,
      "--task-definition",
      crash,
      "--deployment-configuration",
      JSON.stringify({ maximumPercent: 200, minimumHealthyPercent: 100, deploymentCircuitBreaker: { enable: true, rollback: true } }),
    );
    const failedId: string = upd.service.deployments[0].id;

    // The failed deployment shows rolloutState FAILED while it is still listed (it leaves the
    // array as soon as its tasks are all STOPPED, which is immediate for tasks that exit at once),
    // so watch both the deployments and the events until the breaker has tripped.
    const failureEvent = `(service ${VPC_SVC}) (deployment ${failedId}) deployment failed: tasks failed to start.`;
    let seenFailed: any;
    await pollUntil(async () => {
      const s = (await describeServices(VPC_SVC))[0];
      seenFailed ??= s.deployments.find((d: any) => d.id === failedId && d.rolloutState === "FAILED");
      return s.events.some((e: any) => e.message === failureEvent);
    }, { timeoutMs: 90_000, intervalMs: 100, what: "the circuit breaker to trip" });
    t.diagnostic(seenFailed ? "saw the FAILED deployment in describe-services" : "FAILED deployment already drained; checked events and ListServiceDeployments");
    if (seenFailed) {
      assert.equal(seenFailed.rolloutStateReason, "ECS deployment circuit breaker: tasks failed to start.");
      assert.ok(seenFailed.failedTasks >= 3, `failedTasks ${seenFailed.failedTasks} >= threshold 3`);
    }

    await waitStable(VPC_SVC);
    const [s] = await completed(VPC_SVC);
    assert.equal(s.taskDefinition, rev.vpc2, "the service runs the previous revision again");
    assert.equal(s.deployments.length, 1);
    assert.equal(s.deployments[0].taskDefinition, rev.vpc2);
    const messages: string[] = s.events.map((e: any) => e.message);
    assert.ok(messages.includes(`(service ${VPC_SVC}) (deployment ${failedId}) deployment failed: tasks failed to start.`), messages.join("\n"));
    assert.ok(messages.includes(`(service ${VPC_SVC}) rolling back to deployment ${goodDeploymentId}.`), messages.join("\n"));

    const list = await ecs("list-service-deployments", "--cluster", CLUSTER, "--service", VPC_SVC);
    const failedEntry = list.serviceDeployments.find((d: any) => d.targetServiceRevisionArn?.endsWith(failedId.split("/")[1]));
    assert.ok(failedEntry, JSON.stringify(list));
    assert.equal(failedEntry.status, "ROLLBACK_SUCCESSFUL", JSON.stringify(failedEntry));
    const [d] = (await ecs("describe-service-deployments", "--service-deployment-arns", failedEntry.serviceDeploymentArn)).serviceDeployments;
    assert.equal(d.status, "ROLLBACK_SUCCESSFUL", JSON.stringify(d));

    const containers = await pollUntil(async () => {
      const all = await managedContainers(instanceId, [`label=slipway.service=${VPC_SVC}`]);
      return all.length === 2 && all.every((c) => c.state === "running") ? all : undefined;
    }, { timeoutMs: 15_000, what: "exactly 2 running containers after the rollback" });
    assert.deepEqual(containers.map((c) => c.image), [TEST_IMAGES.webV2, TEST_IMAGES.webV2]);
    for (const u of endpoints(await serviceTasks(VPC_SVC))) assert.match((await httpGet(u)).body, /version=v2/);
  });

  test("docker kill of a task's container: task STOPPED (EssentialContainerExited, 137) and replaced", async () => {
    const tasks = await serviceTasks(BRIDGE_SVC);
    assert.equal(tasks.length, 2);
    const victim = tasks[0];
    const victimId: string = victim.taskArn.split("/").pop();
    const startedBefore = new Set((await describeServices(BRIDGE_SVC))[0].events.map((e: any) => e.id));
    await docker(["kill", victim.containers[0].runtimeId]);

    const stopped = await pollUntil(async () => {
      const [t] = await describeTasks(victim.taskArn);
      return t.lastStatus === "STOPPED" ? t : undefined;
    }, { timeoutMs: 30_000, what: "the killed task to be STOPPED" });
    assert.equal(stopped.stopCode, "EssentialContainerExited");
    assert.equal(stopped.stoppedReason, "Essential container in task exited");
    assert.equal(stopped.containers[0].exitCode, 137);

    const event = await pollUntil(async () => {
      const s = (await describeServices(BRIDGE_SVC))[0];
      return s.events.find((e: any) => !startedBefore.has(e.id) && e.message.startsWith(`(service ${BRIDGE_SVC}) has started 1 tasks: (task `));
    }, { timeoutMs: 30_000, what: "a 'has started 1 tasks' event" });
    assert.ok(!event.message.includes(victimId));
    // The scheduler did not stop the task itself, so there is no "has stopped" event for it (that
    // event is only for tasks the scheduler stops).
    const events: string[] = (await describeServices(BRIDGE_SVC))[0].events.map((e: any) => e.message);
    assert.ok(!events.some((m) => m.includes("has stopped") && m.includes(victimId)), events.join("\n"));

    await waitStable(BRIDGE_SVC);
    const after = await serviceTasks(BRIDGE_SVC);
    assert.equal(after.length, 2);
    assert.ok(after.every((t: any) => t.lastStatus === "RUNNING" && t.taskArn !== victim.taskArn));
    assert.equal((await serviceContainers(BRIDGE_SVC)).length, 2);
  });

  test("run-task and stop-task report exit codes, stop codes and reasons", async () => {
    const oneShot = (family: string, container: object) =>
      register(`${family}.json`, bridgeTaskDef(`${family}-${SUFFIX}`, { name: "main", essential: true, memory: 32, stopTimeout: 2, ...container }));
    const [exit7, sleeper, nope] = await Promise.all([
      oneShot("exit7", { image: TEST_IMAGES.busybox, command: ["sh", "-c", "exit 7"] }),
      oneShot("sleeper", { image: TEST_IMAGES.busybox, command: ["sleep", "3600"] }),
      oneShot("nope", { image: "127.0.0.1:1/nope:latest" }),
    ]);
    const runTask = async (td: string) => {
      const out = await ecs("run-task", "--cluster", CLUSTER, "--task-definition", td, "--launch-type", "EC2");
      assert.equal(out.failures.length, 0, JSON.stringify(out.failures));
      assert.equal(out.tasks[0].lastStatus, "PENDING");
      return out.tasks[0].taskArn as string;
    };
    const [a7, aSleep, aNope] = await Promise.all([runTask(exit7), runTask(sleeper), runTask(nope)]);

    const exitFlow = (async () => {
      await ecs("wait", "tasks-stopped", "--cluster", CLUSTER, "--tasks", a7);
      const [t] = await describeTasks(a7);
      assert.equal(t.lastStatus, "STOPPED");
      assert.equal(t.containers[0].exitCode, 7);
      assert.equal(t.stopCode, "EssentialContainerExited");
      assert.equal(t.stoppedReason, "Essential container in task exited");
    })();
    const stopFlow = (async () => {
      await ecs("wait", "tasks-running", "--cluster", CLUSTER, "--tasks", aSleep);
      const stop = await ecs("stop-task", "--cluster", CLUSTER, "--task", aSleep, "--reason", "bye");
      assert.equal(stop.task.desiredStatus, "STOPPED");
      assert.equal(stop.task.stoppedReason, "bye");
      await ecs("wait", "tasks-stopped", "--cluster", CLUSTER, "--tasks", aSleep);
      const [t] = await describeTasks(aSleep);
      assert.equal(t.stopCode, "UserInitiated");
      assert.equal(t.stoppedReason, "bye");
      assert.ok([137, 143].includes(t.containers[0].exitCode), `exit code ${t.containers[0].exitCode}`);
    })();
    const pullFlow = (async () => {
      await ecs("wait", "tasks-stopped", "--cluster", CLUSTER, "--tasks", aNope);
      const [t] = await describeTasks(aNope);
      assert.equal(t.stopCode, "TaskFailedToStart");
      assert.match(t.stoppedReason, /^CannotPullContainerError:/);
    })();
    await Promise.all([exitFlow, stopFlow, pullFlow]);
    // Stopped standalone tasks leave no containers behind.
    await pollUntil(async () => {
      const rows = await managedContainers(instanceId, [`label=slipway.cluster=${CLUSTER}`]);
      return rows.every((r) => [a7, aSleep, aNope].every((a) => r.taskArn !== a)) ? true : undefined;
    }, { timeoutMs: 15_000, what: "containers of stopped run-task tasks to be removed" });
  });

  test("delete-service --force drains the services and removes their containers", async () => {
    for (const s of [VPC_SVC, BRIDGE_SVC]) {
      const out = await ecs("delete-service", "--cluster", CLUSTER, "--service", s, "--force");
      assert.equal(out.service.status, "DRAINING");
    }
    await ecs("wait", "services-inactive", "--cluster", CLUSTER, "--services", VPC_SVC, BRIDGE_SVC);
    await pollUntil(async () => ((await managedContainers(instanceId, [`label=slipway.cluster=${CLUSTER}`])).length === 0 ? true : undefined), {
      timeoutMs: 15_000,
      what: "no containers left in the cluster",
    });
  });
});
