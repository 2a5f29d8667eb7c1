/**
 * The task reconciler on FakeRuntime, called directly: the task lifecycle of
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-lifecycle-explanation.html
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { ContainerDefinition, RunTaskRequest, Task } from "@aws-sdk/client-ecs";
import { ManualClock } from "../core/clock.ts";
import { seededIds } from "../core/ids.ts";
import { FakeRuntime } from "../runtime/fake-runtime.ts";
import { LABELS } from "../runtime/runtime.ts";
import { Ecs } from "../services/ecs/ecs.ts";
import { Store } from "../store/store.ts";
import { TaskReconciler } from "./task-reconciler.ts";
import type { CallScope } from "../services/ecs/context.ts";

const SCOPE: CallScope = { accountId: "000000000000", region: "us-east-1", principalArn: "arn:aws:iam::000000000000:root" };
const CLUSTER = "default";
const INSTANCE = "inst-1";

const webContainer = (over: Partial<ContainerDefinition> = {}): ContainerDefinition => ({
  name: "web",
  image: "web:1",
  memory: 128,
  essential: true,
  ...over,
});

function setup() {
  const clock = new ManualClock();
  const rt = new FakeRuntime({ clock });
  for (const img of ["web:1", "sidecar:1", "init:1"]) rt.addImage(img);
  const store = new Store(":memory:");
  const deps = { store, clock, ids: seededIds("task-rec") };
  const ecs = new Ecs(deps, { host: () => ({ name: "fake", cpu: 4096, memoryMiB: 8192, dockerVersion: "fake", architecture: "x86_64" }) });
  ecs.clusters.create(SCOPE, { clusterName: CLUSTER });
  const woken: string[] = [];
  const newReconciler = () =>
    new TaskReconciler(ecs, rt, { awsvpcNetwork: "slipway-test-net", bindHostIp: "127.0.0.1", instanceId: INSTANCE, wake: (k) => woken.push(k) });
  const rec = newReconciler();
  const run = (containerDefinitions: ContainerDefinition[], extra: Partial<RunTaskRequest> & { networkMode?: "awsvpc" } = {}): Task => {
    const { networkMode, ...rest } = extra;
    const td = ecs.taskDefinitions.register(SCOPE, { family: "fam", containerDefinitions, ...(networkMode ? { networkMode } : {}) }).taskDefinition!;
    const out = ecs.tasks.run(SCOPE, { cluster: CLUSTER, taskDefinition: td.taskDefinitionArn!, ...rest });
    assert.deepEqual(out.failures, []);
    return out.tasks![0]!;
  };
  const get = (arn: string) => ecs.repo.getTaskByArn(arn)!.doc;
  /** Reconciles `arn` up to n passes (letting background stops finish), until `until` holds. */
  const drive = async (arn: string, until: (t: Task) => boolean = () => false, n = 10, r = rec) => {
    for (let i = 0; i < n; i++) {
      await r.reconcile(`task:${arn}`);
      await new Promise<void>((res) => setImmediate(res));
      if (until(get(arn))) return;
    }
  };
  const containers = (arn: string) => rt.list({ [LABELS.taskArn]: arn });
  const byName = async (arn: string, name: string) => (await containers(arn)).find((c) => c.labels[LABELS.container] === name);
  return { clock, rt, store, deps, ecs, rec, newReconciler, run, get, drive, containers, byName, woken };
}

describe("task reconciler", () => {
  test("bridge task: PENDING → RUNNING → STOPPED with timestamps and versions", async () => {
    const x = setup();
    const t = x.run([webContainer()]);
    assert.equal(t.lastStatus, "PENDING");
    assert.equal(t.desiredStatus, "RUNNING");
    assert.equal(t.containers![0]!.lastStatus, "PENDING");
    assert.equal(t.containers![0]!.exitCode, undefined);
    const arn = t.taskArn!;
    x.clock.advance(1000);
    await x.drive(arn, (d) => d.lastStatus === "RUNNING");
    const r = x.get(arn);
    assert.equal(r.lastStatus, "RUNNING");
    const created = r.createdAt!.getTime();
    assert.equal(r.pullStartedAt!.getTime(), created + 1000);
    assert.equal(r.pullStoppedAt!.getTime(), created + 1000);
    assert.equal(r.startedAt!.getTime(), created + 1000);
    assert.equal(r.connectivity, "CONNECTED");
    assert.ok(r.version! > t.version!, "version increments on state changes");
    const c = r.containers![0]!;
    assert.equal(c.lastStatus, "RUNNING");
    assert.ok(c.runtimeId);
    assert.match(c.imageDigest!, /^sha256:[0-9a-f]{64}$/);
    assert.equal(c.healthStatus, "UNKNOWN");
    assert.equal(r.healthStatus, "UNKNOWN");
    const [docker] = await x.containers(arn);
    assert.equal(docker!.name, `slipway-${arn.split("/").pop()}-web`);
    assert.equal(docker!.labels[LABELS.instance], INSTANCE);

    x.clock.advance(5000);
    const stopped = x.ecs.tasks.stop(SCOPE, { cluster: CLUSTER, task: arn });
    assert.equal(stopped.desiredStatus, "STOPPED");
    assert.equal(stopped.lastStatus, "RUNNING", "StopTask returns the current lastStatus");
    assert.equal(stopped.stopCode, "UserInitiated");
    assert.equal(stopped.stoppedReason, "Task stopped by user");
    assert.equal(stopped.stoppingAt!.getTime(), created + 6000);
    await x.drive(arn, (d) => d.lastStatus === "STOPPED");
    const s = x.get(arn);
    assert.equal(s.lastStatus, "STOPPED");
    assert.equal(s.stoppedAt!.getTime(), created + 6000);
    assert.ok(s.executionStoppedAt);
    assert.equal(s.connectivity, "DISCONNECTED");
    assert.equal(s.containers![0]!.lastStatus, "STOPPED");
    assert.equal(s.containers![0]!.exitCode, 143, "graceful docker stop");
    assert.deepEqual(await x.containers(arn), [], "containers removed");
    assert.ok(x.woken.includes(`task:${arn}`), "a finished background stop wakes the key");
  });

  test("awsvpc task starts in PROVISIONING and gets an ENI attachment with an IP", async () => {
    const x = setup();
    const t = x.run([webContainer()], {
      networkMode: "awsvpc",
      networkConfiguration: { awsvpcConfiguration: { subnets: ["subnet-1"] } },
    });
    assert.equal(t.lastStatus, "PROVISIONING");
    await x.drive(t.taskArn!, (d) => d.lastStatus === "RUNNING");
    const r = x.get(t.taskArn!);
    assert.equal(r.lastStatus, "RUNNING");
    assert.equal(r.attachments![0]!.status, "ATTACHED");
    const ip = r.attachments![0]!.details!.find((d) => d.name === "privateIPv4Address")?.value;
    assert.match(ip ?? "", /^10\.99\./);
    assert.equal(r.containers![0]!.networkInterfaces![0]!.privateIpv4Address, ip);
  });

  test("StopTask with a reason keeps it verbatim", async () => {
    const x = setup();
    const t = x.run([webContainer()]);
    await x.drive(t.taskArn!, (d) => d.lastStatus === "RUNNING");
    const out = x.ecs.tasks.stop(SCOPE, { cluster: CLUSTER, task: t.taskArn!, reason: "deploy rollback by ops" });
    assert.equal(out.stoppedReason, "deploy rollback by ops");
    // A second StopTask does not overwrite the first reason.
    x.ecs.tasks.stop(SCOPE, { cluster: CLUSTER, task: t.taskArn!, reason: "again" });
    await x.drive(t.taskArn!, (d) => d.lastStatus === "STOPPED");
    assert.equal(x.get(t.taskArn!).stoppedReason, "deploy rollback by ops");
    assert.equal(x.get(t.taskArn!).stopCode, "UserInitiated");
  });

  test("pull failure → STOPPED, TaskFailedToStart, CannotPullContainerError", async () => {
    const x = setup();
    x.rt.failPull("private/app:1", "pull access denied for private/app, repository does not exist or may require 'docker login'");
    const t = x.run([webContainer({ image: "private/app:1" })]);
    await x.drive(t.taskArn!, (d) => d.lastStatus === "STOPPED");
    const r = x.get(t.taskArn!);
    const reason = "CannotPullContainerError: pull access denied for private/app, repository does not exist or may require 'docker login'";
    assert.equal(r.lastStatus, "STOPPED");
    assert.equal(r.desiredStatus, "STOPPED");
    assert.equal(r.stopCode, "TaskFailedToStart");
    assert.equal(r.stoppedReason, reason);
    assert.equal(r.containers![0]!.reason, reason);
    assert.equal(r.containers![0]!.exitCode, undefined, "never started: no exit code");
    assert.equal(r.startedAt, undefined);
    assert.deepEqual(x.rt.pulls, ["private/app:1"]);
  });

  test("a remote image is pulled and its digest recorded", async () => {
    const x = setup();
    x.rt.addRemoteImage("remote/app:2", "sha256:" + "ab".repeat(32));
    const t = x.run([webContainer({ image: "remote/app:2" })]);
    await x.drive(t.taskArn!, (d) => d.lastStatus === "RUNNING");
    assert.equal(x.get(t.taskArn!).containers![0]!.imageDigest, "sha256:" + "ab".repeat(32));
  });

  test("dependsOn START / SUCCESS / HEALTHY ordering", async () => {
    const x = setup();
    const t = x.run([
      { name: "init", image: "init:1", memory: 32, essential: false },
      { name: "sidecar", image: "sidecar:1", memory: 32, essential: true, healthCheck: { command: ["CMD", "true"] }, dependsOn: [{ containerName: "init", condition: "START" }] },
      {
        name: "web",
        image: "web:1",
        memory: 64,
        essential: true,
        dependsOn: [
          { containerName: "init", condition: "SUCCESS" },
          { containerName: "sidecar", condition: "HEALTHY" },
        ],
      },
    ]);
    const arn = t.taskArn!;
    await x.drive(arn, undefined, 4);
    assert.equal((await x.byName(arn, "init"))?.status, "running");
    assert.equal((await x.byName(arn, "sidecar"))?.status, "running", "START: after init started");
    assert.equal(await x.byName(arn, "web"), undefined, "web waits for init SUCCESS and sidecar HEALTHY");
    assert.equal(x.get(arn).lastStatus, "PENDING");
    x.rt.exit((await x.byName(arn, "init"))!.id, 0);
    await x.drive(arn, undefined, 4);
    assert.equal(await x.byName(arn, "web"), undefined, "still waiting for HEALTHY");
    x.rt.setHealth((await x.byName(arn, "sidecar"))!.id, "healthy");
    await x.drive(arn, (d) => d.lastStatus === "RUNNING");
    assert.equal((await x.byName(arn, "web"))?.status, "running");
    const r = x.get(arn);
    assert.equal(r.lastStatus, "RUNNING");
    assert.equal(r.containers!.find((c) => c.name === "init")!.exitCode, 0);
    assert.equal(r.containers!.find((c) => c.name === "sidecar")!.healthStatus, "HEALTHY");
  });

  test("dependsOn COMPLETE accepts a non-zero exit; SUCCESS with non-zero fails the task", async () => {
    const x = setup();
    const ok = x.run([
      { name: "init", image: "init:1", memory: 32, essential: false },
      { name: "web", image: "web:1", memory: 64, dependsOn: [{ containerName: "init", condition: "COMPLETE" }] },
    ]);
    await x.drive(ok.taskArn!, undefined, 3);
    assert.equal(await x.byName(ok.taskArn!, "web"), undefined);
    x.rt.exit((await x.byName(ok.taskArn!, "init"))!.id, 3);
    await x.drive(ok.taskArn!, (d) => d.lastStatus === "RUNNING");
    assert.equal(x.get(ok.taskArn!).lastStatus, "RUNNING");

    const bad = x.run([
      { name: "init", image: "init:1", memory: 32, essential: false },
      { name: "web", image: "web:1", memory: 64, dependsOn: [{ containerName: "init", condition: "SUCCESS" }] },
    ]);
    await x.drive(bad.taskArn!, undefined, 3);
    x.rt.exit((await x.byName(bad.taskArn!, "init"))!.id, 1);
    await x.drive(bad.taskArn!, (d) => d.lastStatus === "STOPPED");
    const r = x.get(bad.taskArn!);
    assert.equal(r.lastStatus, "STOPPED");
    assert.equal(r.stopCode, "TaskFailedToStart");
    assert.equal(r.stoppedReason, "CannotStartContainerError: dependency of container web was not met");
  });

  test("an essential container exit stops the task and the other containers", async () => {
    const x = setup();
    const t = x.run([webContainer(), { name: "sidecar", image: "sidecar:1", memory: 32, essential: false }]);
    const arn = t.taskArn!;
    await x.drive(arn, (d) => d.lastStatus === "RUNNING");
    x.rt.exit((await x.byName(arn, "web"))!.id, 2);
    await x.drive(arn, (d) => d.lastStatus === "STOPPED");
    const r = x.get(arn);
    assert.equal(r.lastStatus, "STOPPED");
    assert.equal(r.stopCode, "EssentialContainerExited");
    assert.equal(r.stoppedReason, "Essential container in task exited");
    assert.equal(r.containers!.find((c) => c.name === "web")!.exitCode, 2);
    assert.equal(r.containers!.find((c) => c.name === "sidecar")!.exitCode, 143, "the other container got docker stop");
    assert.ok(r.containers!.every((c) => c.lastStatus === "STOPPED"));
    assert.deepEqual(await x.containers(arn), []);
  });

  test("an OOM-killed essential container reports the OutOfMemoryError reason", async () => {
    const x = setup();
    const t = x.run([webContainer()]);
    await x.drive(t.taskArn!, (d) => d.lastStatus === "RUNNING");
    x.rt.exit((await x.byName(t.taskArn!, "web"))!.id, 137, { oomKilled: true });
    await x.drive(t.taskArn!, (d) => d.lastStatus === "STOPPED");
    const c = x.get(t.taskArn!).containers![0]!;
    assert.equal(c.exitCode, 137);
    assert.equal(c.reason, "OutOfMemoryError: Container killed due to memory usage");
  });

  test("a non-essential container exit does not stop the task", async () => {
    const x = setup();
    const t = x.run([webContainer(), { name: "sidecar", image: "sidecar:1", memory: 32, essential: false }]);
    const arn = t.taskArn!;
    await x.drive(arn, (d) => d.lastStatus === "RUNNING");
    x.rt.exit((await x.byName(arn, "sidecar"))!.id, 0);
    await x.drive(arn, undefined, 3);
    const r = x.get(arn);
    assert.equal(r.lastStatus, "RUNNING");
    assert.equal(r.desiredStatus, "RUNNING");
    const side = r.containers!.find((c) => c.name === "sidecar")!;
    assert.equal(side.lastStatus, "STOPPED");
    assert.equal(side.exitCode, 0);
    assert.equal(r.containers!.find((c) => c.name === "web")!.lastStatus, "RUNNING");
  });

  test("crash adoption: a second reconciler over the same store and runtime reuses existing containers", async () => {
    const x = setup();
    const t = x.run([
      { name: "sidecar", image: "sidecar:1", memory: 32, essential: false },
      { name: "web", image: "web:1", memory: 64, dependsOn: [{ containerName: "sidecar", condition: "START" }] },
    ]);
    const arn = t.taskArn!;
    // The first process creates the first container, then "crashes".
    await x.rec.reconcile(`task:${arn}`);
    const before = await x.containers(arn);
    assert.equal(before.length, 1);
    assert.equal(x.get(arn).lastStatus, "PENDING");
    const second = x.newReconciler();
    await x.drive(arn, (d) => d.lastStatus === "RUNNING", 10, second);
    const after = await x.containers(arn);
    assert.equal(after.length, 2, "no duplicate containers");
    assert.ok(after.some((c) => c.id === before[0]!.id), "the existing container was adopted");
    assert.equal(x.get(arn).lastStatus, "RUNNING");
    // A third reconciler on a RUNNING task just observes.
    const third = x.newReconciler();
    await third.reconcile(`task:${arn}`);
    assert.equal((await x.containers(arn)).length, 2);
    assert.equal(x.get(arn).lastStatus, "RUNNING");
  });

  test("a container created but not started before a crash is started, not recreated", async () => {
    const x = setup();
    const t = x.run([webContainer()]);
    const arn = t.taskArn!;
    const id = arn.split("/").pop()!;
    const cid = await x.rt.create({
      name: `slipway-${id}-web`,
      image: "web:1",
      labels: { [LABELS.managed]: "true", [LABELS.taskArn]: arn, [LABELS.container]: "web", [LABELS.instance]: INSTANCE },
      network: { mode: "bridge" },
    });
    await x.drive(arn, (d) => d.lastStatus === "RUNNING", 10, x.newReconciler());
    const cs = await x.containers(arn);
    assert.deepEqual(cs.map((c) => [c.id, c.status]), [[cid, "running"]]);
  });

  test("orphan collection removes containers of unknown and STOPPED tasks only", async () => {
    const x = setup();
    const keep = x.run([webContainer()]);
    await x.drive(keep.taskArn!, (d) => d.lastStatus === "RUNNING");
    const done = x.run([webContainer()]);
    await x.drive(done.taskArn!, (d) => d.lastStatus === "RUNNING");
    const doneContainer = (await x.containers(done.taskArn!))[0]!;
    // Mark the task STOPPED behind the reconciler's back (a crash between the record write and the removal).
    x.store.tx(() => {
      const r = x.ecs.repo.getTaskByArn(done.taskArn!)!;
      r.doc.desiredStatus = "STOPPED";
      r.doc.lastStatus = "STOPPED";
      r.doc.stoppedAt = new Date(x.clock.now());
      x.ecs.repo.putTask(SCOPE, CLUSTER, r);
    });
    const ghostArn = `arn:aws:ecs:us-east-1:000000000000:task/${CLUSTER}/${"0".repeat(32)}`;
    const labels = { [LABELS.managed]: "true", [LABELS.taskArn]: ghostArn, [LABELS.container]: "web", [LABELS.instance]: INSTANCE };
    await x.rt.create({ name: "ghost", image: "web:1", labels, network: { mode: "bridge" } });
    const foreign = await x.rt.create({ name: "other-instance", image: "web:1", labels: { ...labels, [LABELS.instance]: "someone-else" }, network: { mode: "bridge" } });
    const unmanaged = await x.rt.create({ name: "user-container", image: "web:1", labels: {}, network: { mode: "bridge" } });
    assert.equal(await x.rec.collectOrphans(), 2);
    const left = (await x.rt.list({})).map((c) => c.id).sort();
    const keepId = (await x.containers(keep.taskArn!))[0]!.id;
    assert.deepEqual(left, [keepId, foreign, unmanaged].sort());
    assert.equal(await x.rt.inspect(doneContainer.id), undefined);
    assert.equal(await x.rec.collectOrphans(), 0, "idempotent");
  });

  test("reconciling a STOPPED task removes leftover containers", async () => {
    const x = setup();
    const t = x.run([webContainer()]);
    await x.drive(t.taskArn!, (d) => d.lastStatus === "RUNNING");
    x.store.tx(() => {
      const r = x.ecs.repo.getTaskByArn(t.taskArn!)!;
      r.doc.lastStatus = "STOPPED";
      r.doc.desiredStatus = "STOPPED";
      x.ecs.repo.putTask(SCOPE, CLUSTER, r);
    });
    assert.deepEqual(await x.rec.reconcile(`task:${t.taskArn}`), {});
    assert.deepEqual(await x.containers(t.taskArn!), []);
  });
});
