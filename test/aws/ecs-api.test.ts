/** Every ECS operation through the real ECSClient against startSlipway on FakeRuntime (socket). */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import * as ecs from "@aws-sdk/client-ecs";
import { ManualClock } from "../../src/core/clock.ts";
import { seededIds } from "../../src/core/ids.ts";
import { FakeRuntime } from "../../src/runtime/fake-runtime.ts";
import { startSlipway, type Slipway } from "../../src/server/slipway.ts";
import { expectError } from "../helpers/errors.ts";

const ACCOUNT = "000000000000";
const REGION = "us-east-1";
const A = (r: string) => `arn:aws:ecs:${REGION}:${ACCOUNT}:${r}`;

let s: Slipway;
let client: ecs.ECSClient;
let dir: string;
let clock: ManualClock;

/** AWS's error, then the server keeps serving. */
async function expectEcsError(p: Promise<unknown>, name: string, message: string): Promise<void> {
  await expectError(p, name, message);
  const ok = await client.send(new ecs.ListClustersCommand({}));
  assert.ok(Array.isArray(ok.clusterArns));
}

const settle = async () => {
  for (let i = 0; i < 6; i++) {
    await new Promise<void>((r) => setImmediate(r));
    await s.idle();
  }
};

before(async () => {
  clock = new ManualClock();
  const rt = new FakeRuntime({ clock });
  rt.addImage("web:1");
  rt.addImage("web:2");
  dir = mkdtempSync(join(tmpdir(), "slipway-ecs-api-"));
  s = await startSlipway({ port: 0, dataDir: dir, runtime: rt, clock, ids: seededIds("api"), log: () => {} });
  client = new ecs.ECSClient({
    region: REGION,
    endpoint: s.url,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    maxAttempts: 1,
  });
});

after(async () => {
  client.destroy();
  await s.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("ECS API through ECSClient", () => {
  let td1 = "";
  let td2 = "";
  let awsvpcTd = "";

  test("clusters: Create/Describe/List/Update/UpdateSettings/PutCapacityProviders + MISSING failures", async () => {
    const c = await client.send(new ecs.CreateClusterCommand({ clusterName: "api", tags: [{ key: "team", value: "core" }] }));
    assert.equal(c.cluster?.clusterArn, A("cluster/api"));
    assert.equal(c.cluster?.status, "ACTIVE");
    const again = await client.send(new ecs.CreateClusterCommand({ clusterName: "api" }));
    assert.equal(again.cluster?.clusterArn, c.cluster?.clusterArn, "CreateCluster is idempotent");
    const d = await client.send(new ecs.DescribeClustersCommand({ clusters: ["api", "nope", A("cluster/gone")], include: ["TAGS", "SETTINGS"] }));
    assert.equal(d.clusters?.length, 1);
    assert.deepEqual(d.clusters?.[0]?.tags, [{ key: "team", value: "core" }]);
    assert.deepEqual(d.clusters?.[0]?.settings, [{ name: "containerInsights", value: "disabled" }]);
    assert.deepEqual(d.failures, [
      { arn: A("cluster/nope"), reason: "MISSING" },
      { arn: A("cluster/gone"), reason: "MISSING" },
    ]);
    const u = await client.send(new ecs.UpdateClusterSettingsCommand({ cluster: "api", settings: [{ name: "containerInsights", value: "enabled" }] }));
    assert.deepEqual(u.cluster?.settings, [{ name: "containerInsights", value: "enabled" }]);
    const u2 = await client.send(new ecs.UpdateClusterCommand({ cluster: "api", configuration: { executeCommandConfiguration: { logging: "DEFAULT" } } }));
    assert.deepEqual(u2.cluster?.configuration, { executeCommandConfiguration: { logging: "DEFAULT" } });
    const cp = await client.send(new ecs.PutClusterCapacityProvidersCommand({ cluster: "api", capacityProviders: ["FARGATE"], defaultCapacityProviderStrategy: [{ capacityProvider: "FARGATE", weight: 1 }] }));
    assert.deepEqual(cp.cluster?.capacityProviders, ["FARGATE"]);
    await client.send(new ecs.CreateClusterCommand({ clusterName: "other" }));
    const l1 = await client.send(new ecs.ListClustersCommand({ maxResults: 1 }));
    assert.equal(l1.clusterArns?.length, 1);
    assert.ok(l1.nextToken);
    const l2 = await client.send(new ecs.ListClustersCommand({ maxResults: 1, nextToken: l1.nextToken }));
    assert.equal(l2.clusterArns?.length, 1);
    assert.notDeepEqual(l2.clusterArns, l1.clusterArns);
    const all = await client.send(new ecs.ListClustersCommand({}));
    assert.deepEqual(all.clusterArns, [A("cluster/api"), A("cluster/other")]);
    assert.equal(all.nextToken, undefined, "no token on the last page");
  });

  test("task definitions: Register/Describe/List/ListFamilies/Deregister/Delete", async () => {
    const r1 = await client.send(new ecs.RegisterTaskDefinitionCommand({ family: "web", containerDefinitions: [{ name: "web", image: "web:1", memory: 64 }] }));
    td1 = r1.taskDefinition!.taskDefinitionArn!;
    assert.equal(td1, A("task-definition/web:1"));
    const r2 = await client.send(new ecs.RegisterTaskDefinitionCommand({ family: "web", containerDefinitions: [{ name: "web", image: "web:2", memory: 64 }], tags: [{ key: "v", value: "2" }] }));
    td2 = r2.taskDefinition!.taskDefinitionArn!;
    const av = await client.send(new ecs.RegisterTaskDefinitionCommand({ family: "vpc", networkMode: "awsvpc", containerDefinitions: [{ name: "web", image: "web:1", memory: 64 }] }));
    awsvpcTd = av.taskDefinition!.taskDefinitionArn!;
    const d = await client.send(new ecs.DescribeTaskDefinitionCommand({ taskDefinition: "web", include: ["TAGS"] }));
    assert.equal(d.taskDefinition?.revision, 2);
    assert.deepEqual(d.tags, [{ key: "v", value: "2" }]);
    const l = await client.send(new ecs.ListTaskDefinitionsCommand({ familyPrefix: "web" }));
    assert.deepEqual(l.taskDefinitionArns, [td1, td2]);
    const f = await client.send(new ecs.ListTaskDefinitionFamiliesCommand({}));
    assert.deepEqual(f.families, ["vpc", "web"]);
    const tmp = await client.send(new ecs.RegisterTaskDefinitionCommand({ family: "tmp", containerDefinitions: [{ name: "x", image: "web:1", memory: 8 }] }));
    const dereg = await client.send(new ecs.DeregisterTaskDefinitionCommand({ taskDefinition: tmp.taskDefinition!.taskDefinitionArn! }));
    assert.equal(dereg.taskDefinition?.status, "INACTIVE");
    const del = await client.send(new ecs.DeleteTaskDefinitionsCommand({ taskDefinitions: [tmp.taskDefinition!.taskDefinitionArn!] }));
    assert.equal(del.taskDefinitions?.[0]?.status, "DELETE_IN_PROGRESS");
  });

  test("CreateService echoes every field sent; DescribeServices includes TAGS; bridge has no networkConfiguration", async () => {
    const input: ecs.CreateServiceRequest = {
      cluster: "api",
      serviceName: "web",
      taskDefinition: "web:1",
      desiredCount: 2,
      launchType: "EC2",
      availabilityZoneRebalancing: "DISABLED",
      deploymentConfiguration: { maximumPercent: 150, minimumHealthyPercent: 50, deploymentCircuitBreaker: { enable: true, rollback: true } },
      healthCheckGracePeriodSeconds: 30,
      placementStrategy: [{ type: "spread", field: "attribute:ecs.availability-zone" }],
      enableECSManagedTags: true,
      propagateTags: "SERVICE",
      enableExecuteCommand: false,
      tags: [{ key: "app", value: "web" }],
    };
    const out = await client.send(new ecs.CreateServiceCommand(input));
    const svc = out.service!;
    assert.equal(svc.serviceArn, A("service/api/web"));
    assert.equal(svc.clusterArn, A("cluster/api"));
    assert.equal(svc.status, "ACTIVE");
    assert.equal(svc.taskDefinition, td1);
    assert.equal(svc.desiredCount, 2);
    assert.equal(svc.launchType, "EC2");
    assert.equal(svc.availabilityZoneRebalancing, "DISABLED");
    assert.deepEqual(svc.deploymentConfiguration, input.deploymentConfiguration);
    assert.equal(svc.healthCheckGracePeriodSeconds, 30);
    assert.deepEqual(svc.placementStrategy, input.placementStrategy);
    assert.equal(svc.enableECSManagedTags, true);
    assert.equal(svc.propagateTags, "SERVICE");
    assert.equal(svc.schedulingStrategy, "REPLICA");
    assert.deepEqual(svc.deploymentController, { type: "ECS" });
    assert.equal(svc.networkConfiguration, undefined);
    assert.equal(svc.deployments?.length, 1);
    assert.equal(svc.deployments?.[0]?.status, "PRIMARY");
    assert.match(svc.deployments![0]!.id!, /^ecs-svc\/\d{19}$/);
    assert.equal(svc.deployments?.[0]?.networkConfiguration, undefined);
    assert.ok(svc.createdAt instanceof Date);

    const d = await client.send(new ecs.DescribeServicesCommand({ cluster: "api", services: ["web", "ghost", A("service/api/ghost2")], include: ["TAGS"] }));
    const ds = d.services![0]!;
    assert.deepEqual(ds.tags, [{ key: "app", value: "web" }]);
    const { tags: _t, events: _e, runningCount: _r, pendingCount: _p, deployments: _d, ...stableFields } = ds;
    const { events: _e2, runningCount: _r2, pendingCount: _p2, deployments: _d2, ...createdFields } = svc;
    assert.deepEqual(stableFields, createdFields, "Describe returns what Create returned");
    assert.deepEqual(d.failures, [
      { arn: A("service/api/ghost"), reason: "MISSING" },
      { arn: A("service/api/ghost2"), reason: "MISSING" },
    ]);
    const noTags = await client.send(new ecs.DescribeServicesCommand({ cluster: "api", services: ["web"] }));
    assert.equal(noTags.services?.[0]?.tags, undefined);
  });

  test("service tasks run; ListTasks/DescribeTasks; UpdateService; ListServices pagination; deployments APIs", async () => {
    await settle();
    const lt = await client.send(new ecs.ListTasksCommand({ cluster: "api", serviceName: "web" }));
    assert.equal(lt.taskArns?.length, 2);
    const dt = await client.send(new ecs.DescribeTasksCommand({ cluster: "api", tasks: [...lt.taskArns!, "f".repeat(32)], include: ["TAGS"] }));
    assert.equal(dt.tasks?.length, 2);
    assert.ok(dt.tasks!.every((t) => t.lastStatus === "RUNNING" && t.group === "service:web" && t.containers?.[0]?.runtimeId));
    assert.deepEqual(dt.failures, [{ arn: A(`task/api/${"f".repeat(32)}`), reason: "MISSING" }]);
    const page1 = await client.send(new ecs.ListTasksCommand({ cluster: "api", maxResults: 1 }));
    assert.equal(page1.taskArns?.length, 1);
    const page2 = await client.send(new ecs.ListTasksCommand({ cluster: "api", maxResults: 1, nextToken: page1.nextToken }));
    assert.equal(page2.taskArns?.length, 1);
    assert.equal(page2.nextToken, undefined);

    const up = await client.send(new ecs.UpdateServiceCommand({ cluster: "api", service: "web", taskDefinition: td2 }));
    assert.equal(up.service?.deployments?.length, 2, "new PRIMARY returned synchronously");
    assert.equal(up.service?.deployments?.[0]?.taskDefinition, td2);
    assert.equal(up.service?.deployments?.[1]?.status, "ACTIVE");
    const lsd = await client.send(new ecs.ListServiceDeploymentsCommand({ cluster: "api", service: "web" }));
    assert.equal(lsd.serviceDeployments?.length, 2);
    const dsd = await client.send(new ecs.DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [lsd.serviceDeployments![0]!.serviceDeploymentArn!] }));
    assert.equal(dsd.serviceDeployments?.length, 1);
    const primaryNum = up.service!.deployments![0]!.id!.split("/")[1]!;
    assert.ok(dsd.serviceDeployments![0]!.targetServiceRevision?.arn?.includes(primaryNum));

    for (let i = 0; i < 11; i++) {
      await client.send(new ecs.CreateServiceCommand({ cluster: "other", serviceName: `s${String(i).padStart(2, "0")}`, taskDefinition: td1, desiredCount: 0 }));
    }
    const sp1 = await client.send(new ecs.ListServicesCommand({ cluster: "other" }));
    assert.equal(sp1.serviceArns?.length, 10, "default page size 10");
    assert.ok(sp1.nextToken);
    const sp2 = await client.send(new ecs.ListServicesCommand({ cluster: "other", nextToken: sp1.nextToken }));
    assert.deepEqual(sp2.serviceArns, [A("service/other/s10")]);
    assert.equal(sp2.nextToken, undefined);
    const paged: string[] = [];
    for await (const p of ecs.paginateListServices({ client, pageSize: 4 }, { cluster: "other" })) paged.push(...(p.serviceArns ?? []));
    assert.equal(paged.length, 11);
  });

  test("RunTask / StartTask / StopTask, container instances", async () => {
    const run = await client.send(new ecs.RunTaskCommand({ cluster: "api", taskDefinition: "web", count: 2, startedBy: "tester", tags: [{ key: "k", value: "v" }] }));
    assert.equal(run.tasks?.length, 2);
    assert.deepEqual(run.failures, []);
    assert.equal(run.tasks?.[0]?.lastStatus, "PENDING");
    assert.equal(run.tasks?.[0]?.group, "family:web");
    assert.equal(run.tasks?.[0]?.startedBy, "tester");
    const ci = await client.send(new ecs.ListContainerInstancesCommand({ cluster: "api" }));
    assert.equal(ci.containerInstanceArns?.length, 1);
    const dci = await client.send(new ecs.DescribeContainerInstancesCommand({ cluster: "api", containerInstances: ci.containerInstanceArns! }));
    assert.equal(dci.containerInstances?.[0]?.status, "ACTIVE");
    const st = await client.send(new ecs.StartTaskCommand({ cluster: "api", taskDefinition: td1, containerInstances: ci.containerInstanceArns! }));
    assert.equal(st.tasks?.length, 1);
    await settle();
    const stop = await client.send(new ecs.StopTaskCommand({ cluster: "api", task: run.tasks![0]!.taskArn!, reason: "done" }));
    assert.equal(stop.task?.desiredStatus, "STOPPED");
    assert.equal(stop.task?.stopCode, "UserInitiated");
    assert.equal(stop.task?.stoppedReason, "done");
    await settle();
    const d = await client.send(new ecs.DescribeTasksCommand({ cluster: "api", tasks: [run.tasks![0]!.taskArn!], include: ["TAGS"] }));
    assert.equal(d.tasks?.[0]?.lastStatus, "STOPPED");
    assert.deepEqual(d.tasks?.[0]?.tags, [{ key: "k", value: "v" }]);
    const stoppedList = await client.send(new ecs.ListTasksCommand({ cluster: "api", desiredStatus: "STOPPED" }));
    assert.ok(stoppedList.taskArns?.includes(run.tasks![0]!.taskArn!));
  });

  test("tags and account settings", async () => {
    const arn = A("cluster/api");
    await client.send(new ecs.TagResourceCommand({ resourceArn: arn, tags: [{ key: "x", value: "1" }] }));
    await client.send(new ecs.UntagResourceCommand({ resourceArn: arn, tagKeys: ["team"] }));
    const l = await client.send(new ecs.ListTagsForResourceCommand({ resourceArn: arn }));
    assert.deepEqual(l.tags, [{ key: "x", value: "1" }]);
    await expectEcsError(client.send(new ecs.TagResourceCommand({ resourceArn: A("cluster/none"), tags: [{ key: "a", value: "b" }] })), "ResourceNotFoundException", "The specified resource could not be found.");
    const put = await client.send(new ecs.PutAccountSettingDefaultCommand({ name: "containerInsights", value: "enabled" }));
    assert.equal(put.setting?.value, "enabled");
    await client.send(new ecs.PutAccountSettingCommand({ name: "awsvpcTrunking", value: "enabled" }));
    const ls = await client.send(new ecs.ListAccountSettingsCommand({ effectiveSettings: true, name: "containerInsights" }));
    assert.equal(ls.settings?.[0]?.value, "enabled");
  });

  test("AWS errors, and the server keeps serving after each", async () => {
    await expectEcsError(client.send(new ecs.DescribeServicesCommand({ cluster: "nope", services: ["x"] })), "ClusterNotFoundException", "Cluster not found.");
    await expectEcsError(client.send(new ecs.DescribeTasksCommand({ cluster: "nope", tasks: ["x"] })), "ClusterNotFoundException", "Cluster not found.");
    await expectEcsError(client.send(new ecs.UpdateServiceCommand({ cluster: "nope", service: "x", desiredCount: 1 })), "ClusterNotFoundException", "Cluster not found.");
    await expectEcsError(client.send(new ecs.UpdateServiceCommand({ cluster: "api", service: "ghost", desiredCount: 1 })), "ServiceNotFoundException", "Service not found.");
    await expectEcsError(client.send(new ecs.DeleteServiceCommand({ cluster: "api", service: "ghost" })), "ServiceNotFoundException", "Service not found.");
    await expectEcsError(client.send(new ecs.ListTasksCommand({ cluster: "api", serviceName: "ghost" })), "ServiceNotFoundException", "Service not found.");
    await expectEcsError(
      client.send(new ecs.CreateServiceCommand({ cluster: "api", serviceName: "web", taskDefinition: td1, desiredCount: 1 })),
      "InvalidParameterException",
      "Creation of service was not idempotent.",
    );
    await expectEcsError(client.send(new ecs.DeleteServiceCommand({ cluster: "api", service: "web" })), "InvalidParameterException", "The service cannot be stopped while it is scaled above 0.");
    await expectEcsError(
      client.send(new ecs.CreateServiceCommand({ cluster: "api", serviceName: "vpc", taskDefinition: awsvpcTd, desiredCount: 1 })),
      "InvalidParameterException",
      "Network Configuration must be provided when networkMode 'awsvpc' is specified.",
    );
    await expectEcsError(
      client.send(new ecs.RunTaskCommand({ cluster: "api", taskDefinition: awsvpcTd })),
      "InvalidParameterException",
      "Network Configuration must be provided when networkMode 'awsvpc' is specified.",
    );
    await expectEcsError(client.send(new ecs.CreateServiceCommand({ cluster: "api", serviceName: "z", taskDefinition: "nothere:1", desiredCount: 1 })), "ClientException", "TaskDefinition not found.");
    await expectEcsError(client.send(new ecs.RunTaskCommand({ cluster: "api", taskDefinition: "nothere" })), "ClientException", "TaskDefinition not found.");
    await expectEcsError(client.send(new ecs.ListServicesCommand({ cluster: "api", nextToken: "garbage" })), "InvalidParameterException", "Invalid nextToken.");

    // Delete with force → DRAINING; then update → ServiceNotActiveException; Describe still shows it.
    const del = await client.send(new ecs.DeleteServiceCommand({ cluster: "api", service: "web", force: true }));
    assert.equal(del.service?.status, "DRAINING");
    await expectEcsError(client.send(new ecs.UpdateServiceCommand({ cluster: "api", service: "web", desiredCount: 3 })), "ServiceNotActiveException", "Service was not ACTIVE.");
    for (let i = 0; i < 60; i++) {
      clock.advance(1000);
      await settle();
      const d = await client.send(new ecs.DescribeServicesCommand({ cluster: "api", services: ["web"] }));
      if (d.services?.[0]?.status === "INACTIVE") break;
    }
    const d = await client.send(new ecs.DescribeServicesCommand({ cluster: "api", services: ["web"] }));
    assert.equal(d.services?.[0]?.status, "INACTIVE");
    assert.deepEqual(d.failures, []);
    await expectEcsError(client.send(new ecs.UpdateServiceCommand({ cluster: "api", service: "web", desiredCount: 3 })), "ServiceNotActiveException", "Service was not ACTIVE.");
    const ls = await client.send(new ecs.ListServicesCommand({ cluster: "api" }));
    assert.ok(!ls.serviceArns?.includes(A("service/api/web")), "INACTIVE services drop out of ListServices");
    // Re-creating an INACTIVE service name is allowed.
    const re = await client.send(new ecs.CreateServiceCommand({ cluster: "api", serviceName: "web", taskDefinition: td1, desiredCount: 0 }));
    assert.equal(re.service?.status, "ACTIVE");
  });

  test("DeleteCluster refuses while services are active, then goes INACTIVE and stays describable", async () => {
    await expectEcsError(client.send(new ecs.DeleteClusterCommand({ cluster: "other" })), "ClusterContainsServicesException", "The Cluster cannot be deleted while Services are active.");
    for (let i = 0; i < 11; i++) await client.send(new ecs.DeleteServiceCommand({ cluster: "other", service: `s${String(i).padStart(2, "0")}` }));
    for (let i = 0; i < 5; i++) {
      clock.advance(1000);
      await settle();
    }
    const del = await client.send(new ecs.DeleteClusterCommand({ cluster: "other" }));
    assert.equal(del.cluster?.status, "INACTIVE");
    const d = await client.send(new ecs.DescribeClustersCommand({ clusters: ["other"] }));
    assert.equal(d.clusters?.[0]?.status, "INACTIVE");
    await expectEcsError(client.send(new ecs.ListServicesCommand({ cluster: "other" })), "ClusterNotFoundException", "Cluster not found.");
  });
});
