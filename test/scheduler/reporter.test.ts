/** The terminal reporter on the scheduler harness (FakeRuntime, ManualClock). */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { shutdownSummary } from "../../src/cli/summary.ts";
import { CLUSTER, type Harness, harness, SCOPE, taskIdOf, webContainer } from "../helpers/harness.ts";
import { taskFailed, type TaskSnapshot } from "../../src/server/reporter.ts";

describe("slipway up's deployment and task lines", () => {
  let h: Harness;
  before(async () => {
    h = await harness();
  });
  after(async () => {
    await h.close();
  });

  test("a deployment's start and completion, one line each", async () => {
    const td = h.registerTd({ family: "web" });
    h.createService({ serviceName: "web", taskDefinition: td, desiredCount: 2 });
    await h.settle();
    const primary = h.service("web").deployments![0]!.id!;
    assert.deepEqual(h.reports, [`deployment ${primary} of service web (cluster default) started: web:1, 2 tasks`]);
    assert.ok(await h.until(() => h.service("web").deployments?.[0]?.rolloutState === "COMPLETED"));
    assert.deepEqual(h.reports.slice(1), [`deployment ${primary} of service web (cluster default) completed: web:1, 2 of 2 running`]);
  });

  test("a task that fails says why; a task stopped by a user or a deployment does not", async () => {
    h.reports.length = 0;
    const running = h.tasks("web").filter((t) => t.lastStatus === "RUNNING");
    h.s.ecs.tasks.stop(SCOPE, { cluster: CLUSTER, task: running[0]!.taskArn! });
    await h.settle();
    assert.ok(await h.until(() => h.tasks("web").filter((t) => t.lastStatus === "RUNNING").length === 2));
    const [c] = await h.containersOf(running[1]!.taskArn!);
    h.rt.exit(c!.id, 3);
    await h.settle();
    const failed = h.reports.filter((l) => l.startsWith("task "));
    assert.deepEqual(failed, [
      `task ${taskIdOf(running[1]!)} (web:1, service web, cluster default) failed: EssentialContainerExited: Essential container in task exited [web: exit code 3]`,
    ]);
  });

  test("a deployment that cannot start its tasks: the failures and the deployment's end", async () => {
    h.reports.length = 0;
    h.rt.failPull("web:bad", "pull access denied for web, repository does not exist");
    h.rt.removeImage("web:bad");
    const td = h.registerTd({ family: "web", containerDefinitions: [webContainer({ image: "web:bad" })] });
    h.s.ecs.services.update(SCOPE, {
      cluster: CLUSTER,
      service: "web",
      taskDefinition: td,
      deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: false } },
    });
    assert.ok(await h.until(() => h.service("web").deployments?.[0]?.rolloutState === "FAILED", 600_000, 5000));
    const dep = h.service("web").deployments![0]!.id!;
    assert.equal(h.reports[0], `deployment ${dep} of service web (cluster default) started: web:2, 2 tasks`);
    assert.match(h.reports.find((l) => l.startsWith("task ")) ?? "", /^task [0-9a-f]{32} \(web:2, service web, cluster default\) failed: TaskFailedToStart: CannotPullContainerError: pull access denied for web/);
    const end = new RegExp(`^deployment ${dep} of service web \\(cluster default\\) failed: ECS deployment circuit breaker: tasks failed to start\\. \\(\\d+ failed tasks\\)$`);
    assert.equal(h.reports.filter((l) => end.test(l)).length, 1, h.reports.join("\n"));
  });

  test("the shutdown summary: what is left running and how to clean it up", async () => {
    h.createService({ serviceName: "api", taskDefinition: h.registerTd({ family: "api" }), desiredCount: 2 });
    h.s.ecs.tasks.run(SCOPE, { cluster: CLUSTER, taskDefinition: "api" });
    await h.settle();
    const left = await h.s.leftRunning();
    const api = left.tasks.filter((t) => t.service === "api").length;
    const standalone = left.tasks.filter((t) => t.service === "").length;
    assert.deepEqual({ api, standalone }, { api: 2, standalone: 1 }, JSON.stringify(left));
    assert.equal(left.containers, (await h.rt.list({ "slipway.managed": "true" })).filter((c) => c.status === "running").length);
    const text = shutdownSummary(left, ".slipway");
    assert.match(text, new RegExp(`^Slipway stopped\\. Left running: ${left.tasks.length} tasks, ${left.containers} containers\\.\\n  cluster default: 1 standalone task, service api: 2 tasks`));
    assert.match(text, /docker ps --filter label=slipway\.instance=[0-9a-f-]{36}/);
    assert.match(text, /`slipway clean --data-dir \.slipway`/);
    assert.equal(shutdownSummary({ tasks: [], containers: 0, instanceLabel: "x" }, ".slipway"), "Slipway stopped. Nothing is left running.");
  });
});

test("which stopped tasks count as failed", () => {
  const base: TaskSnapshot = {
    taskId: "t",
    clusterName: "c",
    serviceName: undefined,
    taskDefinition: "arn:aws:ecs:us-east-1:0:task-definition/f:1",
    lastStatus: "STOPPED",
    stopCode: "EssentialContainerExited",
    stoppedReason: "Essential container in task exited",
    stoppedAt: 0,
    failedHealth: false,
    containers: [{ name: "a", essential: true, exitCode: 0, reason: undefined }],
  };
  assert.equal(taskFailed(base), false, "a batch task that finished with 0");
  assert.equal(taskFailed({ ...base, containers: [{ name: "a", essential: true, exitCode: 1, reason: undefined }] }), true);
  assert.equal(taskFailed({ ...base, stopCode: "UserInitiated" }), false);
  assert.equal(taskFailed({ ...base, stopCode: "ServiceSchedulerInitiated", failedHealth: true }), true);
  assert.equal(taskFailed({ ...base, stopCode: "TaskFailedToStart" }), true);
  assert.equal(taskFailed({ ...base, lastStatus: "RUNNING", stopCode: "TaskFailedToStart" }), false);
});
