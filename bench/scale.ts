/**
 * Scheduler scale: one full ServiceReconciler pass over 100 / 1,000 / 5,000 services of 10 tasks
 * each, on the in-memory FakeRuntime (host made big with setHostResources), with a ManualClock.
 *
 *   node bench/scale.ts [--sizes 100,1000] [--passes 3]
 *
 * Building the fixture is still quadratic on 2026-11-22: every launch runs EcsRepo.hostUsage, an
 * SQL scan (json_extract/json_each) over every non-stopped task, so 1,000 services x 10 tasks took
 * ~6 min to set up and 5,000 would take hours. Bound runs with `timeout`.
 *
 * Per size, in a fresh SQLite store (temp dir): the ECS domain (src/services/ecs/ecs.ts) creates
 * cluster "bench", task definition "bench" (one container, memory 8, no ports, no health check) and
 * N services with desiredCount 10. The task and service controllers are wired as in
 * src/server/slipway.ts and run until every task is RUNNING; the clock is then advanced past the
 * 40 s no-health-check rule so every deployment is COMPLETED and steady. The controllers are
 * stopped, and a separate ServiceReconciler runs `reconcile(key)` for every key of `listKeys()`
 * (sequentially, like a resync with nothing to do). Reported: median pass time of --passes,
 * per-service cost, heapUsed delta across the first pass (no GC in between: what the pass
 * allocates) and heapUsed after GC vs before (what it retains).
 * Compared with Slipway itself at different sizes (there is no peer for this one).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ManualClock } from "../src/core/clock.ts";
import { randomIds } from "../src/core/ids.ts";
import { FakeRuntime } from "../src/runtime/fake-runtime.ts";
import { Controller } from "../src/scheduler/controller.ts";
import { ServiceReconciler } from "../src/scheduler/service-reconciler.ts";
import { TaskReconciler } from "../src/scheduler/task-reconciler.ts";
import type { HostDescription } from "../src/services/ecs/container-instances.ts";
import { Ecs } from "../src/services/ecs/ecs.ts";
import { Store } from "../src/store/store.ts";
import { median, table } from "./lib.ts";
import { v8Gc } from "../src/core/gc.ts";

const gc = v8Gc();

const { values } = parseArgs({ options: { sizes: { type: "string", default: "100,1000" }, passes: { type: "string", default: "3" } } });
const SIZES = values.sizes!.split(",").map(Number);
const PASSES = Number(values.passes);
const TASKS_PER_SERVICE = 10;
const scope = { accountId: "000000000000", region: "us-east-1", principalArn: "arn:aws:iam::000000000000:root" };
const MiB = (b: number) => b / 1024 / 1024;

interface Row {
  services: number;
  tasks: number;
  setupS: number;
  passMs: number[];
  allocMiB: number;
  retainedMiB: number;
}

async function measure(n: number): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), "slipway-scale-"));
  const clock = new ManualClock(Date.now());
  const store = new Store(join(dir, "slipway.db"));
  const runtime = new FakeRuntime({ clock });
  runtime.setHostResources({ cpus: 100_000, memoryBytes: 2 ** 50 });
  runtime.addImage("slipway-test/web:latest");
  const info = await runtime.info();
  const host: HostDescription = {
    name: info.name,
    cpu: info.cpus * 1024,
    memoryMiB: Math.floor(info.memoryBytes / 1024 / 1024),
    dockerVersion: info.serverVersion,
    architecture: info.architecture,
  };
  const deps = { store, clock, ids: randomIds };
  const ecs = new Ecs(deps, { host: () => host });

  let taskController: Controller | undefined;
  const taskReconciler = new TaskReconciler(ecs, runtime, {
    awsvpcNetwork: "slipway-awsvpc",
    bindHostIp: "127.0.0.1",
    instanceId: "bench",
    wake: (key) => taskController?.enqueue(key),
    log: () => {},
  });
  taskController = new Controller(taskReconciler, { clock, log: (m) => console.error(m) });
  const serviceController = new Controller(new ServiceReconciler(ecs), { clock, log: (m) => console.error(m) });
  store.onChange((keys) => {
    for (const k of keys) {
      if (k.startsWith("task:")) taskController!.enqueue(k);
      else if (k.startsWith("service:")) serviceController.enqueue(k);
    }
  });

  const t0 = performance.now();
  ecs.clusters.create(scope, { clusterName: "bench" });
  ecs.taskDefinitions.register(scope, {
    family: "bench",
    networkMode: "bridge",
    containerDefinitions: [{ name: "web", image: "slipway-test/web:latest", essential: true, memory: 8 }],
  });
  for (let i = 0; i < n; i++) {
    ecs.services.create(scope, { cluster: "bench", serviceName: `svc-${i}`, taskDefinition: "bench", desiredCount: TASKS_PER_SERVICE, launchType: "EC2" });
  }
  taskController.start();
  serviceController.start();
  const want = n * TASKS_PER_SERVICE;
  for (let round = 0; ; round++) {
    await Promise.all([taskController.idle(), serviceController.idle()]);
    const c = ecs.repo.countTasks(scope, "bench");
    const steady = c.running === want && ecs.repo.listServices(scope, "bench", ["ACTIVE"]).every((s) => s.deployments?.length === 1 && s.deployments[0]!.rolloutState === "COMPLETED");
    console.error(`  round ${round}: t=${((performance.now() - t0) / 1000).toFixed(1)} s ${JSON.stringify(c)}`);
    if (steady) break;
    if (round > 200) throw new Error(`not steady: ${JSON.stringify(c)}`);
    clock.advance(20_000); // past requeues, resyncs and the 40 s no-health-check rule
    await new Promise((r) => setImmediate(r));
  }
  const setupS = (performance.now() - t0) / 1000;
  taskController.stop();
  serviceController.stop();
  await new Promise((r) => setTimeout(r, 50));

  const reconciler = new ServiceReconciler(ecs);
  const passMs: number[] = [];
  let allocMiB = NaN;
  let retainedMiB = NaN;
  for (let p = 0; p < PASSES; p++) {
    gc();
    const before = process.memoryUsage().heapUsed;
    const s = performance.now();
    const keys = reconciler.listKeys();
    if (keys.length !== n) throw new Error(`listKeys: ${keys.length} != ${n}`);
    for (const k of keys) await reconciler.reconcile(k);
    passMs.push(performance.now() - s);
    if (p === 0) {
      allocMiB = MiB(process.memoryUsage().heapUsed - before);
      gc();
      retainedMiB = MiB(process.memoryUsage().heapUsed - before);
    }
  }
  store.close();
  rmSync(dir, { recursive: true, force: true });
  return { services: n, tasks: want, setupS, passMs, allocMiB, retainedMiB };
}

const rows: (string | number)[][] = [];
const results: Row[] = [];
for (const n of SIZES) {
  const r = await measure(n);
  results.push(r);
  const med = median(r.passMs);
  console.error(`${n} services: setup ${r.setupS.toFixed(1)} s, passes ${r.passMs.map((x) => x.toFixed(0)).join(", ")} ms`);
  rows.push([n, r.tasks, r.setupS, med, (med * 1000) / n, r.allocMiB, (r.allocMiB * 1024) / n, r.retainedMiB]);
  gc();
}
console.log(`\nOne ServiceReconciler pass over every service (FakeRuntime, ${TASKS_PER_SERVICE} RUNNING tasks each), median of ${PASSES} passes\n`);
console.log(
  table(
    ["services", "tasks", "setup s", "pass ms (median)", "µs / service", "heap alloc MiB (pass 1)", "KiB / service", "heap retained MiB"],
    rows,
  ),
);
if (results.length > 1) {
  const a = results[0]!;
  const b = results[results.length - 1]!;
  const perA = median(a.passMs) / a.services;
  const perB = median(b.passMs) / b.services;
  console.log(`\nper-service cost ${b.services} vs ${a.services} services: ${(perB / perA).toFixed(2)}x (1.0 = perfectly linear)`);
}
