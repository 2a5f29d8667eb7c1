import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RegisterTaskDefinitionRequest, TaskDefinition } from "@aws-sdk/client-ecs";
import { ServiceError } from "../../aws/service-error.ts";
import { ManualClock } from "../../core/clock.ts";
import { seededIds } from "../../core/ids.ts";
import { Store } from "../../store/store.ts";
import { LABELS } from "../../runtime/runtime.ts";
import type { CallScope } from "./context.ts";
import { dependencyOrder, taskResources, toContainerSpecs } from "./container-spec.ts";
import { Ecs } from "./ecs.ts";

const task = {
  account: "000000000000",
  region: "us-east-1",
  clusterName: "default",
  taskArn: "arn:aws:ecs:us-east-1:000000000000:task/default/0123456789abcdef0123456789abcdef",
  taskId: "0123456789abcdef0123456789abcdef",
};

const scope: CallScope = { accountId: "000000000000", region: "us-east-1", principalArn: "arn:aws:iam::000000000000:root" };

/** Registers through the real code path so the mapping sees normalised definitions. */
function register(req: RegisterTaskDefinitionRequest): TaskDefinition {
  const deps = { store: new Store(":memory:"), clock: new ManualClock(), ids: seededIds() };
  const ecs = new Ecs(deps, { host: () => ({ name: "fake", cpu: 4096, memoryMiB: 8192, dockerVersion: "fake", architecture: "x86_64" }) });
  return ecs.taskDefinitions.register(scope, req).taskDefinition!;
}

describe("toContainerSpecs", () => {
  it("maps a bridge container with defaults", () => {
    const td = register({
      family: "web",
      containerDefinitions: [
        {
          name: "app",
          image: "nginx:1.27",
          memory: 256,
          memoryReservation: 128,
          cpu: 1,
          portMappings: [{ containerPort: 80 }, { containerPort: 53, hostPort: 5353, protocol: "udp" }],
          environment: [{ name: "A", value: "1" }],
          command: ["nginx", "-g", "daemon off;"],
          entryPoint: ["/docker-entrypoint.sh"],
          dockerLabels: { team: "x", [LABELS.managed]: "spoofed" },
          user: "1000",
          workingDirectory: "/srv",
          readonlyRootFilesystem: true,
          ulimits: [{ name: "nofile", softLimit: 1024, hardLimit: 4096 }],
          linuxParameters: { initProcessEnabled: true },
          extraHosts: [{ hostname: "db", ipAddress: "10.0.0.5" }],
        },
      ],
    });
    const [c, ...rest] = toContainerSpecs({ ...task, serviceName: "svc" }, td, undefined, { network: { mode: "bridge" }, extraEnv: ["AWS_REGION=us-east-1", "A=0"] });
    assert.equal(rest.length, 0);
    assert.ok(c);
    assert.equal(c.name, `slipway-${task.taskId}-app`);
    assert.equal(c.containerName, "app");
    assert.equal(c.essential, true);
    assert.equal(c.networkFromFirst, false);
    assert.deepEqual(c.dependsOn, []);
    assert.deepEqual(c.spec, {
      name: `slipway-${task.taskId}-app`,
      image: "nginx:1.27",
      labels: {
        team: "x",
        [LABELS.managed]: "true",
        [LABELS.account]: task.account,
        [LABELS.region]: task.region,
        [LABELS.cluster]: "default",
        [LABELS.taskArn]: task.taskArn,
        [LABELS.taskId]: task.taskId,
        [LABELS.container]: "app",
        [LABELS.service]: "svc",
      },
      network: { mode: "bridge" },
      env: ["AWS_REGION=us-east-1", "A=1"],
      healthcheck: { test: ["NONE"] },
      stopTimeoutSec: 30,
      entrypoint: ["/docker-entrypoint.sh"],
      cmd: ["nginx", "-g", "daemon off;"],
      user: "1000",
      workingDir: "/srv",
      readonlyRootfs: true,
      init: true,
      memoryBytes: 256 * 1024 * 1024,
      memoryReservationBytes: 128 * 1024 * 1024,
      cpuShares: 2,
      ulimits: [{ name: "nofile", soft: 1024, hard: 4096 }],
      portBindings: [
        { containerPort: 80, hostPort: 0, protocol: "tcp", hostIp: "127.0.0.1" },
        { containerPort: 53, hostPort: 5353, protocol: "udp", hostIp: "127.0.0.1" },
      ],
      extraHosts: ["db:10.0.0.5"],
    });
  });

  it("maps health checks with explicit ECS defaults", () => {
    const td = register({
      family: "web",
      containerDefinitions: [
        { name: "a", image: "nginx", memory: 64, healthCheck: { command: ["CMD", "true"] } },
        { name: "b", image: "nginx", memory: 64, healthCheck: { command: ["CMD-SHELL", "exit 0"], interval: 10, timeout: 2, retries: 5, startPeriod: 20 }, stopTimeout: 5 },
      ],
    });
    const [a, b] = toContainerSpecs(task, td, undefined, { network: { mode: "host" } });
    assert.deepEqual(a!.spec.healthcheck, { test: ["CMD", "true"], intervalMs: 30000, timeoutMs: 5000, retries: 3, startPeriodMs: 0 });
    assert.deepEqual(b!.spec.healthcheck, { test: ["CMD-SHELL", "exit 0"], intervalMs: 10000, timeoutMs: 2000, retries: 5, startPeriodMs: 20000 });
    assert.equal(b!.spec.stopTimeoutSec, 5);
    assert.equal(a!.spec.portBindings, undefined);
    assert.equal(a!.spec.cpuShares, undefined); // cpu 0 → omitted
  });

  it("awsvpc: first container owns the network, others share it; no port publishing", () => {
    const td = register({
      family: "api",
      networkMode: "awsvpc",
      requiresCompatibilities: ["FARGATE"],
      cpu: "512",
      memory: "1024",
      containerDefinitions: [
        { name: "app", image: "nginx", portMappings: [{ containerPort: 80 }], dependsOn: [{ containerName: "sidecar", condition: "START" }] },
        { name: "sidecar", image: "busybox", essential: false },
      ],
    });
    const out = toContainerSpecs(task, td, undefined, { network: { mode: "network", name: "slipway-task-x", aliases: ["app"] } });
    assert.deepEqual(
      out.map((c) => c.containerName),
      ["sidecar", "app"],
    );
    assert.deepEqual(out[0]!.spec.network, { mode: "network", name: "slipway-task-x", aliases: ["app"] });
    assert.equal(out[0]!.networkFromFirst, false);
    assert.equal(out[0]!.essential, false);
    assert.deepEqual(out[1]!.spec.network, { mode: "container", id: "" });
    assert.equal(out[1]!.networkFromFirst, true);
    assert.equal(out[1]!.spec.portBindings, undefined);
    assert.deepEqual(out[1]!.dependsOn, [{ containerName: "sidecar", condition: "START" }]);

    const pause = toContainerSpecs({ ...task, containerNetworkOwner: "pause-id" }, td, undefined, { network: { mode: "network", name: "n" } });
    assert.ok(pause.every((c) => c.spec.network.mode === "container" && c.spec.network.id === "pause-id" && !c.networkFromFirst));
  });

  it("applies container overrides", () => {
    const td = register({
      family: "web",
      containerDefinitions: [{ name: "app", image: "nginx", memory: 64, environment: [{ name: "A", value: "1" }, { name: "B", value: "2" }], command: ["x"] }],
    });
    const [c] = toContainerSpecs(
      task,
      td,
      { containerOverrides: [{ name: "app", command: ["y", "z"], environment: [{ name: "B", value: "3" }, { name: "C", value: "4" }], memory: 128, cpu: 512 }] },
      { network: { mode: "bridge" }, bindHostIp: "0.0.0.0" },
    );
    assert.deepEqual(c!.spec.cmd, ["y", "z"]);
    assert.deepEqual(c!.spec.env, ["A=1", "B=3", "C=4"]);
    assert.equal(c!.spec.memoryBytes, 128 * 1024 * 1024);
    assert.equal(c!.spec.cpuShares, 512);
  });

  it("is deterministic", () => {
    const td = register({ family: "web", containerDefinitions: [{ name: "app", image: "nginx", memory: 64 }] });
    assert.deepEqual(toContainerSpecs(task, td, undefined, { network: { mode: "bridge" } }), toContainerSpecs(task, td, undefined, { network: { mode: "bridge" } }));
  });
});

describe("dependencyOrder", () => {
  it("orders dependencies first, keeping definition order otherwise", () => {
    const order = dependencyOrder([
      { name: "a", dependsOn: [{ containerName: "c", condition: "HEALTHY" }] },
      { name: "b" },
      { name: "c", dependsOn: [{ containerName: "d", condition: "COMPLETE" }] },
      { name: "d" },
    ]);
    assert.deepEqual(
      order.map((c) => c.name),
      ["d", "c", "a", "b"],
    );
  });
  it("throws ClientException on cycles", () => {
    assert.throws(
      () =>
        dependencyOrder([
          { name: "a", dependsOn: [{ containerName: "b", condition: "START" }] },
          { name: "b", dependsOn: [{ containerName: "c", condition: "START" }] },
          { name: "c", dependsOn: [{ containerName: "a", condition: "START" }] },
        ]),
      (e: unknown) => e instanceof ServiceError && e.code === "ClientException" && /Circular/.test(e.message),
    );
  });
});

describe("taskResources", () => {
  it("uses task-level values, overrides, or container sums", () => {
    const fargate = register({
      family: "api",
      networkMode: "awsvpc",
      requiresCompatibilities: ["FARGATE"],
      cpu: "1 vCPU",
      memory: "2GB",
      containerDefinitions: [{ name: "app", image: "nginx" }],
    });
    assert.deepEqual(taskResources(fargate, undefined), { cpu: 1024, memoryMiB: 2048 });
    assert.deepEqual(taskResources(fargate, { cpu: "2048", memory: "4096" }), { cpu: 2048, memoryMiB: 4096 });
    const ec2 = register({
      family: "web",
      containerDefinitions: [
        { name: "a", image: "nginx", cpu: 100, memory: 256 },
        { name: "b", image: "nginx", memoryReservation: 64 },
      ],
    });
    assert.deepEqual(taskResources(ec2, undefined), { cpu: 100, memoryMiB: 320 });
    assert.deepEqual(taskResources(ec2, { containerOverrides: [{ name: "b", cpu: 50, memory: 100 }] }), { cpu: 150, memoryMiB: 356 });
  });
});
