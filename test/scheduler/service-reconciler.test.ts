/**
 * The ECS service scheduler on fakes: rolling deployments, health replacement, the circuit
 * breaker and service events
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-type-ecs.html,
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/deployment-circuit-breaker.html).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Task } from "@aws-sdk/client-ecs";
import { CLUSTER, SCOPE, harness, messages, taskIdOf, webContainer, type Harness } from "../helpers/harness.ts";
import { circuitBreakerThreshold } from "../../src/services/ecs/deployments.ts";

const live = (ts: Task[]) => ts.filter((t) => t.desiredStatus === "RUNNING");
const started = (s: string, ts: Task[]) => `(service ${s}) has started ${ts.length} tasks: ${ts.map((t) => `(task ${taskIdOf(t)})`).join(" ")}.`;
/** The "has started"/"has stopped" message, with task ids in whatever order the message lists them. */
const sameTasksMessage = (msg: string, verb: string, s: string, ts: Task[]) => {
  const m = new RegExp(`^\\(service ${s}\\) has ${verb} ${ts.length} (running )?tasks: ((?:\\(task [0-9a-f]{32}\\) ?)+)\\.$`).exec(msg);
  if (!m) return false;
  const ids = [...m[2]!.matchAll(/\(task ([0-9a-f]{32})\)/g)].map((x) => x[1]).sort();
  return JSON.stringify(ids) === JSON.stringify(ts.map(taskIdOf).sort());
};
/** How the scheduler counts a task without health checks or load balancer healthy: RUNNING for 40 s. */
const healthyNoHc = (h: Harness, ts: Task[]) =>
  live(ts).filter((t) => t.lastStatus === "RUNNING" && h.clock.now() - t.startedAt!.getTime() >= 40_000);
const stable = (h: Harness, name: string) => {
  const s = h.service(name);
  return s.deployments!.length === 1 && s.runningCount === s.desiredCount;
};

async function withHarness(fn: (h: Harness) => Promise<void>, opts?: Parameters<typeof harness>[0]): Promise<void> {
  const h = await harness(opts);
  try {
    await fn(h);
  } finally {
    await h.close();
  }
}

describe("service scheduler", () => {
  test("circuit breaker threshold = min(200, max(3, ceil(D/2)))", () => {
    assert.deepEqual([0, 1, 6, 7, 25, 400, 1000].map(circuitBreakerThreshold), [3, 3, 3, 4, 13, 200, 200]);
  });

  test("desired 2 reaches steady state; tasks without health checks count healthy only 40 s after RUNNING", () =>
    withHarness(async (h) => {
      const td = h.registerTd({ family: "web" });
      const created = h.createService({ serviceName: "svc", taskDefinition: td, desiredCount: 2 });
      const depId = created.deployments![0]!.id!;
      assert.equal(created.deployments![0]!.rolloutStateReason, `ECS deployment ${depId} in progress.`);
      await h.settle();
      const tasks = h.tasks("svc");
      assert.equal(tasks.length, 2);
      assert.ok(tasks.every((t) => t.lastStatus === "RUNNING" && t.group === "service:svc" && t.startedBy === depId));
      let svc = h.service("svc");
      assert.equal(svc.runningCount, 2);
      assert.equal(svc.pendingCount, 0);
      assert.equal(messages(svc).length, 1);
      assert.ok(sameTasksMessage(messages(svc)[0]!, "started", "svc", tasks), messages(svc)[0]);
      assert.equal(svc.deployments![0]!.rolloutState, "IN_PROGRESS");

      await h.advance(39_000);
      assert.equal(h.service("svc").deployments![0]!.rolloutState, "IN_PROGRESS", "not healthy before 40 s");
      await h.advance(2_000);
      svc = h.service("svc");
      assert.equal(svc.deployments![0]!.rolloutState, "COMPLETED");
      assert.equal(svc.deployments![0]!.rolloutStateReason, `ECS deployment ${depId} completed.`);
      assert.deepEqual(messages(svc).slice(0, 2), [
        "(service svc) has reached a steady state.",
        `(service svc) (deployment ${depId}) deployment completed.`,
      ]);
      assert.ok(sameTasksMessage(messages(svc)[2]!, "started", "svc", tasks));
      assert.equal(messages(svc).length, 3);
      // events: newest first, uuid ids, non-increasing createdAt
      const ev = svc.events!;
      assert.ok(ev.every((e) => /^[0-9a-f-]{36}$/.test(e.id!)));
      assert.ok(ev[0]!.createdAt!.getTime() >= ev[2]!.createdAt!.getTime());
      // Staying stable does not add events.
      await h.advance(30_000, 5_000);
      assert.equal(h.service("svc").events!.length, 3);
    }));

  test("rolling update 100/200 keeps >= 2 healthy at every step, ends with only new tasks and 1 deployment", () =>
    withHarness(async (h) => {
      const td1 = h.registerTd({ family: "web" });
      h.createService({ serviceName: "svc", taskDefinition: td1, desiredCount: 2 });
      assert.ok(await h.until(() => h.service("svc").deployments![0]!.rolloutState === "COMPLETED"));
      const oldTasks = live(h.tasks("svc"));
      const td2 = h.registerTd({ family: "web", containerDefinitions: [webContainer({ image: "web:2" })] });
      const updated = h.s.ecs.services.update(SCOPE, { cluster: CLUSTER, service: "svc", taskDefinition: td2 });
      // UpdateService returns the new PRIMARY synchronously.
      assert.equal(updated.deployments!.length, 2);
      assert.deepEqual(
        updated.deployments!.map((d) => [d.status, d.taskDefinition, d.desiredCount]),
        [
          ["PRIMARY", td2, 2],
          ["ACTIVE", td1, 0],
        ],
      );
      const newId = updated.deployments![0]!.id!;
      let maxNotStopped = 0;
      for (let i = 0; i < 120 && !stable(h, "svc"); i++) {
        await h.advance(1000);
        const ts = h.tasks("svc");
        assert.ok(healthyNoHc(h, ts).length >= 2, `healthy >= minHealthy at t+${i}s`);
        maxNotStopped = Math.max(maxNotStopped, ts.filter((t) => t.lastStatus !== "STOPPED").length);
      }
      assert.ok(stable(h, "svc"));
      assert.ok(maxNotStopped <= 4, "never above maximumPercent");
      const ts = h.tasks("svc");
      const running = live(ts);
      assert.equal(running.length, 2);
      assert.ok(running.every((t) => t.taskDefinitionArn === td2 && t.startedBy === newId));
      for (const o of oldTasks) {
        const t = ts.find((x) => x.taskArn === o.taskArn)!;
        assert.equal(t.lastStatus, "STOPPED");
        assert.equal(t.stopCode, "ServiceSchedulerInitiated");
        assert.equal(t.stoppedReason, `Scaling activity initiated by (deployment ${newId})`);
      }
      const svc = h.service("svc");
      assert.equal(svc.taskDefinition, td2);
      assert.equal(svc.deployments![0]!.rolloutState, "COMPLETED");
      const msgs = messages(svc);
      assert.equal(msgs[0], "(service svc) has reached a steady state.");
      assert.equal(msgs[1], `(service svc) (deployment ${newId}) deployment completed.`);
      assert.ok(msgs.some((m) => sameTasksMessage(m, "stopped", "svc", oldTasks)), msgs.join("\n"));
    }));

  test("worked example C: desired 4, min 50 %, max 200 % starts 4 and stops 2 old at once", () =>
    withHarness(async (h) => {
      const td1 = h.registerTd({ family: "web" });
      h.createService({
        serviceName: "c",
        taskDefinition: td1,
        desiredCount: 4,
        deploymentConfiguration: { minimumHealthyPercent: 50, maximumPercent: 200 },
      });
      assert.ok(await h.until(() => h.service("c").deployments![0]!.rolloutState === "COMPLETED"));
      const td2 = h.registerTd({ family: "web", containerDefinitions: [webContainer({ image: "web:2" })] });
      h.s.ecs.services.update(SCOPE, { cluster: CLUSTER, service: "c", taskDefinition: td2 });
      await h.settle();
      const ts = h.tasks("c");
      const newOnes = ts.filter((t) => t.taskDefinitionArn === td2);
      const oldStopping = ts.filter((t) => t.taskDefinitionArn === td1 && t.desiredStatus === "STOPPED");
      assert.equal(newOnes.length, 4);
      assert.equal(oldStopping.length, 2);
      const msgs = messages(h.service("c"));
      assert.ok(msgs.some((m) => m.startsWith("(service c) has started 4 tasks: ")));
      assert.ok(msgs.some((m) => m.startsWith("(service c) has stopped 2 running tasks: ")));
      for (let i = 0; i < 120 && !stable(h, "c"); i++) {
        await h.advance(1000);
        assert.ok(healthyNoHc(h, h.tasks("c")).length >= 2);
      }
      assert.ok(stable(h, "c"));
      assert.ok(live(h.tasks("c")).every((t) => t.taskDefinitionArn === td2));
    }));

  test("desired 1 with 100/100 cannot stop or start: emits the deployment-configuration event", () =>
    withHarness(async (h) => {
      const td1 = h.registerTd({ family: "web" });
      h.createService({
        serviceName: "one",
        taskDefinition: td1,
        desiredCount: 1,
        deploymentConfiguration: { minimumHealthyPercent: 100, maximumPercent: 100 },
      });
      assert.ok(await h.until(() => h.service("one").deployments![0]!.rolloutState === "COMPLETED"));
      const td2 = h.registerTd({ family: "web", containerDefinitions: [webContainer({ image: "web:2" })] });
      h.s.ecs.services.update(SCOPE, { cluster: CLUSTER, service: "one", taskDefinition: td2 });
      await h.advance(5000);
      const svc = h.service("one");
      const msg =
        "(service one) was unable to stop or start tasks during a deployment because of the service deployment configuration. Update the minimumHealthyPercent or maximumPercent value and try again.";
      assert.equal(messages(svc).filter((m) => m === msg).length, 1, "emitted once, not repeated");
      assert.equal(svc.deployments!.length, 2);
      assert.equal(live(h.tasks("one")).length, 1);
      assert.equal(live(h.tasks("one"))[0]!.taskDefinitionArn, td1);
    }));

  for (const rollback of [false, true]) {
    test(`circuit breaker trips after 3 failures (rollback ${rollback})`, () =>
      withHarness(async (h) => {
        const td1 = h.registerTd({ family: "web" });
        h.createService({
          serviceName: "cb",
          taskDefinition: td1,
          desiredCount: 1,
          deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback } },
        });
        assert.ok(await h.until(() => h.service("cb").deployments![0]!.rolloutState === "COMPLETED"));
        const firstId = h.service("cb").deployments![0]!.id!;
        const oldTask = live(h.tasks("cb"))[0]!;
        h.rt.failPull("web:bad", "pull access denied for web, repository does not exist");
        h.rt.removeImage("web:bad");
        const td2 = h.registerTd({ family: "web", containerDefinitions: [webContainer({ image: "web:bad" })] });
        const upd = h.s.ecs.services.update(SCOPE, { cluster: CLUSTER, service: "cb", taskDefinition: td2 });
        const badId = upd.deployments![0]!.id!;
        const failedMsg = `(service cb) (deployment ${badId}) deployment failed: tasks failed to start.`;
        assert.ok(await h.until(() => messages(h.service("cb")).includes(failedMsg), 60_000), "deployment failed event");
        const failedTasks = h.tasks("cb").filter((t) => t.startedBy === badId);
        assert.equal(failedTasks.length, 3, "threshold for desired 1 is 3");
        for (const t of failedTasks) {
          assert.equal(t.lastStatus, "STOPPED");
          assert.equal(t.stopCode, "TaskFailedToStart");
          assert.equal(t.stoppedReason, "CannotPullContainerError: pull access denied for web, repository does not exist");
        }
        let svc = h.service("cb");
        const msgs = messages(svc);
        if (!rollback) {
          const bad = svc.deployments!.find((d) => d.id === badId)!;
          assert.equal(bad.failedTasks, 3);
          assert.equal(bad.rolloutState, "FAILED");
          assert.equal(bad.rolloutStateReason, "ECS deployment circuit breaker: tasks failed to start.");
          await h.advance(60_000, 2000);
          svc = h.service("cb");
          assert.equal(h.tasks("cb").filter((t) => t.startedBy === badId).length, 3, "a FAILED deployment launches nothing");
          assert.deepEqual(
            svc.deployments!.map((d) => [d.status, d.id, d.rolloutState]),
            [
              ["PRIMARY", badId, "FAILED"],
              ["ACTIVE", firstId, "COMPLETED"],
            ],
          );
          assert.equal(h.tasks("cb").find((t) => t.taskArn === oldTask.taskArn)!.lastStatus, "RUNNING", "old deployment keeps serving");
          assert.ok(!stable(h, "cb"), "services-stable never succeeds");
          return;
        }
        assert.ok(msgs.includes(`(service cb) rolling back to deployment ${firstId}.`));
        assert.ok(msgs.indexOf(`(service cb) rolling back to deployment ${firstId}.`) < msgs.indexOf(failedMsg), "rollback event after the failure event");
        // The failed deployment had no live tasks: it already left the array (ACTIVE/FAILED while draining).
        assert.ok(svc.deployments!.every((d) => d.id !== badId || (d.status === "ACTIVE" && d.rolloutState === "FAILED")));
        const history = h.s.ecs.deployments.list(SCOPE, { cluster: CLUSTER, service: "cb" }).serviceDeployments ?? [];
        assert.ok(history.length >= 3, JSON.stringify(history));
        const primary = svc.deployments![0]!;
        assert.equal(primary.status, "PRIMARY");
        assert.notEqual(primary.id, firstId);
        assert.notEqual(primary.id, badId);
        assert.equal(primary.taskDefinition, td1);
        assert.equal(primary.rolloutStateReason, `ECS deployment circuit breaker: rolling back to deploymentId ${firstId}.`);
        assert.equal(svc.taskDefinition, td1);
        assert.ok(await h.until(() => stable(h, "cb") && h.service("cb").deployments![0]!.rolloutState === "COMPLETED", 120_000));
        svc = h.service("cb");
        assert.equal(svc.deployments!.length, 1, "the failed deployment left the array once drained");
        assert.equal(svc.deployments![0]!.id, primary.id);
        assert.ok(live(h.tasks("cb")).every((t) => t.taskDefinitionArn === td1));
      }));
  }

  test("a killed essential container is replaced (no 'has stopped' event)", () =>
    withHarness(async (h) => {
      const td = h.registerTd({ family: "web" });
      h.createService({ serviceName: "k", taskDefinition: td, desiredCount: 1 });
      assert.ok(await h.until(() => stable(h, "k") && h.service("k").deployments![0]!.rolloutState === "COMPLETED"));
      const t0 = live(h.tasks("k"))[0]!;
      h.rt.exit(t0.containers![0]!.runtimeId!, 137);
      await h.advance(3000);
      const ts = h.tasks("k");
      const dead = ts.find((t) => t.taskArn === t0.taskArn)!;
      assert.equal(dead.lastStatus, "STOPPED");
      assert.equal(dead.stopCode, "EssentialContainerExited");
      assert.equal(dead.stoppedReason, "Essential container in task exited");
      assert.equal(dead.containers![0]!.exitCode, 137);
      const replacement = live(ts);
      assert.equal(replacement.length, 1);
      assert.notEqual(replacement[0]!.taskArn, t0.taskArn);
      const msgs = messages(h.service("k"));
      assert.equal(msgs[0], started("k", replacement));
      assert.ok(!msgs.some((m) => m.includes("has stopped")));
    }));

  test("unhealthy container is replaced after healthCheckGracePeriodSeconds", () =>
    withHarness(async (h) => {
      const td = h.registerTd({
        family: "hc",
        containerDefinitions: [webContainer({ healthCheck: { command: ["CMD-SHELL", "true"], interval: 5, timeout: 2, retries: 1 } })],
      });
      h.createService({ serviceName: "hc", taskDefinition: td, desiredCount: 1, healthCheckGracePeriodSeconds: 60 });
      await h.settle();
      const t0 = live(h.tasks("hc"))[0]!;
      assert.equal(t0.lastStatus, "RUNNING");
      const cid = t0.containers![0]!.runtimeId!;
      await h.advance(5000);
      assert.equal(h.service("hc").deployments![0]!.rolloutState, "IN_PROGRESS", "a task with health checks is healthy only when HEALTHY");
      h.rt.setHealth(cid, "healthy");
      await h.advance(3000);
      assert.equal(h.tasks("hc")[0]!.healthStatus, "HEALTHY");
      assert.equal(h.service("hc").deployments![0]!.rolloutState, "COMPLETED");
      h.rt.setHealth(cid, "unhealthy");
      await h.advance(3000);
      assert.equal(h.tasks("hc")[0]!.healthStatus, "UNHEALTHY");
      assert.equal(h.tasks("hc")[0]!.desiredStatus, "RUNNING", "inside the grace period");
      // 60 s after startedAt (the grace period) a replacement starts first; the unhealthy task keeps running
      // until the replacement is healthy, since minimumHealthyPercent is 100.
      assert.ok(await h.until(() => live(h.tasks("hc")).length === 2, 60_000), "replacement launched first");
      assert.ok(h.clock.now() - t0.startedAt!.getTime() >= 60_000);
      const replacement = live(h.tasks("hc")).find((t) => t.taskArn !== t0.taskArn)!;
      await h.advance(3000);
      assert.equal(h.tasks("hc").find((t) => t.taskArn === t0.taskArn)!.desiredStatus, "RUNNING", "kept until the replacement is healthy");
      h.rt.setHealth(h.tasks("hc").find((t) => t.taskArn === replacement.taskArn)!.containers![0]!.runtimeId!, "healthy");
      assert.ok(await h.until(() => h.tasks("hc").find((t) => t.taskArn === t0.taskArn)!.desiredStatus === "STOPPED", 10_000));
      await h.advance(3000);
      const ts = h.tasks("hc");
      const old = ts.find((t) => t.taskArn === t0.taskArn)!;
      assert.equal(old.stopCode, "ServiceSchedulerInitiated");
      assert.equal(old.stoppedReason, "Task failed container health checks");
      assert.equal(old.lastStatus, "STOPPED");
      const msgs = messages(h.service("hc"));
      const id = taskIdOf(t0);
      assert.equal(msgs.filter((m) => m === `(service hc) (task ${id}) failed container health checks.`).length, 1, "said once");
      assert.ok(msgs.includes(`(service hc) has stopped 1 running tasks: (task ${id}).`));
      assert.equal(live(ts).length, 1, "only the replacement remains");
      assert.equal(live(ts)[0]!.taskArn, replacement.taskArn);
    }));

  test("with no room to start a replacement, an unhealthy task is stopped first", () =>
    withHarness(async (h) => {
      const td = h.registerTd({
        family: "hc1",
        containerDefinitions: [webContainer({ healthCheck: { command: ["CMD-SHELL", "true"], interval: 5, timeout: 2, retries: 1 } })],
      });
      h.createService({
        serviceName: "hc1",
        taskDefinition: td,
        desiredCount: 1,
        deploymentConfiguration: { maximumPercent: 100, minimumHealthyPercent: 0 },
      });
      await h.settle();
      const t0 = live(h.tasks("hc1"))[0]!;
      h.rt.setHealth(t0.containers![0]!.runtimeId!, "healthy");
      await h.advance(3000);
      h.rt.setHealth(t0.containers![0]!.runtimeId!, "unhealthy");
      assert.ok(await h.until(() => h.tasks("hc1").find((t) => t.taskArn === t0.taskArn)!.desiredStatus === "STOPPED", 10_000));
      assert.ok(await h.until(() => live(h.tasks("hc1")).length === 1, 30_000), "then replaced");
      const old = h.tasks("hc1").find((t) => t.taskArn === t0.taskArn)!;
      const replacement = live(h.tasks("hc1"))[0]!;
      assert.notEqual(replacement.taskArn, t0.taskArn);
      assert.ok(replacement.createdAt!.getTime() >= old.stoppingAt!.getTime(), "the replacement started only after the stop (maximumPercent 100)");
    }));

  test("scale out and in via UpdateService desiredCount (no new deployment)", () =>
    withHarness(async (h) => {
      const td = h.registerTd({ family: "web" });
      const created = h.createService({ serviceName: "sc", taskDefinition: td, desiredCount: 1 });
      const depId = created.deployments![0]!.id!;
      assert.ok(await h.until(() => stable(h, "sc")));
      const up = h.s.ecs.services.update(SCOPE, { cluster: CLUSTER, service: "sc", desiredCount: 3 });
      assert.equal(up.deployments!.length, 1);
      assert.equal(up.deployments![0]!.desiredCount, 3);
      await h.settle();
      assert.equal(live(h.tasks("sc")).length, 3);
      assert.equal(h.service("sc").runningCount, 3);
      await h.advance(45_000);
      h.s.ecs.services.update(SCOPE, { cluster: CLUSTER, service: "sc", desiredCount: 1 });
      await h.advance(2000);
      const ts = h.tasks("sc");
      assert.equal(live(ts).length, 1);
      const stopped = ts.filter((t) => t.desiredStatus === "STOPPED");
      assert.equal(stopped.length, 2);
      for (const t of stopped) {
        assert.equal(t.stoppedReason, `Scaling activity initiated by (deployment ${depId})`);
        assert.equal(t.lastStatus, "STOPPED");
      }
      assert.ok(messages(h.service("sc")).some((m) => m.startsWith("(service sc) has stopped 2 running tasks: ")));
      assert.equal(h.service("sc").runningCount, 1);
      assert.equal(h.service("sc").deployments!.length, 1);
      assert.equal(h.service("sc").deployments![0]!.id, depId);
    }));

  test("DeleteService force: ACTIVE → DRAINING → INACTIVE, tasks stopped", () =>
    withHarness(async (h) => {
      const td = h.registerTd({ family: "web" });
      h.createService({ serviceName: "del", taskDefinition: td, desiredCount: 2 });
      await h.settle();
      const deleted = h.s.ecs.services.delete(SCOPE, { cluster: CLUSTER, service: "del", force: true });
      assert.equal(deleted.status, "DRAINING");
      assert.equal(deleted.desiredCount, 0);
      assert.ok(await h.until(() => h.service("del").status === "INACTIVE", 30_000));
      assert.ok(h.tasks("del").every((t) => t.lastStatus === "STOPPED"));
      assert.equal((await h.rt.list({ "slipway.service": "del" })).length, 0);
      assert.deepEqual(h.s.ecs.services.list(SCOPE, { cluster: CLUSTER }).serviceArns, []);
    }));

  test("placement failure on a host that is too small emits 'was unable to place a task'", () =>
    withHarness(
      async (h) => {
        const td = h.registerTd({ family: "big", cpu: "2048", memory: "512" });
        h.createService({ serviceName: "big", taskDefinition: td, desiredCount: 1 });
        await h.advance(3000);
        assert.equal(h.tasks("big").length, 0);
        const msgs = messages(h.service("big"));
        assert.ok(
          msgs.includes(
            "(service big) was unable to place a task because no container instance met all of its requirements. The closest matching container-instance has insufficient CPU units available.",
          ),
          msgs.join("\n"),
        );
        assert.equal(msgs.filter((m) => m.includes("unable to place")).length, 1, "not repeated every pass");
      },
      { cpus: 1 },
    ));
});
