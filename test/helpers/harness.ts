/**
 * The in-process Slipway harness (no tests of its own): a whole Slipway (startSlipway) on
 * FakeRuntime, ManualClock and seeded ids in a temp dir, plus helpers that drive time
 * deterministically. The scheduler tests (src/scheduler/*.test.ts) use it.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ContainerDefinition, CreateServiceRequest, RegisterTaskDefinitionRequest, Service, Task } from "@aws-sdk/client-ecs";
import { ManualClock } from "../../src/core/clock.ts";
import { seededIds } from "../../src/core/ids.ts";
import { FakeRuntime } from "../../src/runtime/fake-runtime.ts";
import { LABELS, type ContainerState } from "../../src/runtime/runtime.ts";
import { startSlipway, type Slipway, type SlipwayOptions } from "../../src/server/slipway.ts";
import type { CallScope } from "../../src/services/ecs/context.ts";

export const SCOPE: CallScope = { accountId: "000000000000", region: "us-east-1", principalArn: "arn:aws:iam::000000000000:root" };
export const CLUSTER = "default";

export interface Harness {
  s: Slipway;
  rt: FakeRuntime;
  clock: ManualClock;
  logs: string[];
  /** The terminal reporter's lines (src/server/reporter.ts). */
  reports: string[];
  /** Lets every queued pass finish (no time passes). */
  settle(): Promise<void>;
  /** Advances time in `stepMs` steps up to `ms`, settling after each. */
  advance(ms: number, stepMs?: number): Promise<void>;
  /** Advances until `cond` holds (checked after each step) or `maxMs` elapses; returns whether it held. */
  until(cond: () => boolean | Promise<boolean>, maxMs?: number, stepMs?: number): Promise<boolean>;
  registerTd(input: Partial<RegisterTaskDefinitionRequest> & { family: string }): string;
  createService(input: Partial<CreateServiceRequest> & { serviceName: string; taskDefinition: string }): Service;
  service(name: string): Service;
  /** Every task of a service (stopped ones too), oldest first. */
  tasks(name: string): Task[];
  containersOf(taskArn: string): Promise<ContainerState[]>;
  close(): Promise<void>;
}

export const webContainer = (over: Partial<ContainerDefinition> = {}): ContainerDefinition => ({
  name: "web",
  image: "web:1",
  memory: 128,
  essential: true,
  ...over,
});

export async function harness(opts: { cpus?: number; memoryBytes?: number; slipway?: Partial<SlipwayOptions> } = {}): Promise<Harness> {
  const clock = new ManualClock();
  const rt = new FakeRuntime({ clock, cpus: opts.cpus ?? 4, memoryBytes: opts.memoryBytes ?? 8 * 1024 ** 3 });
  for (const img of ["web:1", "web:2", "web:bad", "sidecar:1", "init:1"]) rt.addImage(img);
  const dir = mkdtempSync(join(tmpdir(), "slipway-sched-"));
  const logs: string[] = [];
  const reports: string[] = [];
  const s = await startSlipway({
    port: 0,
    dataDir: dir,
    runtime: rt,
    clock,
    ids: seededIds("sched"),
    log: (m) => logs.push(m),
    report: (l) => reports.push(l),
    ...opts.slipway,
  });
  const settle = async () => {
    for (let i = 0; i < 6; i++) {
      await new Promise<void>((r) => setImmediate(r));
      await s.idle();
    }
  };
  const h: Harness = {
    s,
    rt,
    clock,
    logs,
    reports,
    settle,
    async advance(ms, stepMs = 1000) {
      for (let t = 0; t < ms; t += stepMs) {
        clock.advance(Math.min(stepMs, ms - t));
        await settle();
      }
    },
    async until(cond, maxMs = 120_000, stepMs = 1000) {
      await settle();
      if (await cond()) return true;
      for (let t = 0; t < maxMs; t += stepMs) {
        clock.advance(stepMs);
        await settle();
        if (await cond()) return true;
      }
      return false;
    },
    registerTd(input) {
      const out = s.ecs.taskDefinitions.register(SCOPE, { containerDefinitions: [webContainer()], ...input } as RegisterTaskDefinitionRequest);
      return out.taskDefinition!.taskDefinitionArn!;
    },
    createService(input) {
      return s.ecs.services.create(SCOPE, { cluster: CLUSTER, desiredCount: 1, ...input });
    },
    service(name) {
      return s.ecs.services.describe(SCOPE, { cluster: CLUSTER, services: [name] }).services![0]!;
    },
    tasks(name) {
      return s.ecs.repo.serviceTasks(SCOPE, CLUSTER, name, 0).map((t) => t.doc);
    },
    containersOf(taskArn) {
      return rt.list({ [LABELS.taskArn]: taskArn });
    },
    async close() {
      await s.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  s.ecs.clusters.create(SCOPE, { clusterName: CLUSTER });
  return h;
}

export const taskIdOf = (t: Task) => t.taskArn!.split("/").pop()!;
export const messages = (svc: Service) => (svc.events ?? []).map((e) => e.message!);
