import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RegisterTaskDefinitionRequest } from "@aws-sdk/client-ecs";
import { ServiceError } from "../../aws/service-error.ts";
import { ManualClock } from "../../core/clock.ts";
import { seededIds } from "../../core/ids.ts";
import { Store } from "../../store/store.ts";
import type { CallScope, EcsDeps } from "./context.ts";
import { Ecs } from "./ecs.ts";
import type { TaskDefinitions } from "./task-definitions.ts";

const scope: CallScope = { accountId: "000000000000", region: "us-east-1", principalArn: "arn:aws:iam::000000000000:root" };

function setup(): { deps: EcsDeps; clock: ManualClock; tds: TaskDefinitions } {
  const clock = new ManualClock();
  const deps = { store: new Store(":memory:"), clock, ids: seededIds() };
  const ecs = new Ecs(deps, { host: () => ({ name: "fake", cpu: 4096, memoryMiB: 8192, dockerVersion: "fake", architecture: "x86_64" }) });
  return { deps, clock, tds: ecs.taskDefinitions };
}

const web = (extra: Partial<RegisterTaskDefinitionRequest> = {}): RegisterTaskDefinitionRequest => ({
  family: "web",
  containerDefinitions: [{ name: "app", image: "nginx:1.27", memory: 256 }],
  ...extra,
});

const fargate = (extra: Partial<RegisterTaskDefinitionRequest> = {}): RegisterTaskDefinitionRequest => ({
  family: "api",
  requiresCompatibilities: ["FARGATE"],
  networkMode: "awsvpc",
  cpu: "256",
  memory: "512",
  containerDefinitions: [{ name: "app", image: "nginx" }],
  ...extra,
});

function rejects(fn: () => unknown, code: string, message: string | RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ServiceError, `expected ServiceError, got ${String(err)}`);
    assert.equal(err.code, code);
    if (typeof message === "string") assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  });
}

describe("registerTaskDefinition", () => {
  it("fills defaults and registry fields", () => {
    const { tds, clock } = setup();
    const { taskDefinition: td, tags } = tds.register(scope, web());
    assert.ok(td);
    assert.equal(td.taskDefinitionArn, "arn:aws:ecs:us-east-1:000000000000:task-definition/web:1");
    assert.equal(td.family, "web");
    assert.equal(td.revision, 1);
    assert.equal(td.status, "ACTIVE");
    assert.deepEqual(td.registeredAt, new Date(clock.now()));
    assert.equal(td.registeredBy, scope.principalArn);
    assert.equal(td.deregisteredAt, undefined);
    assert.ok(!("deleteRequestedAt" in td));
    assert.ok(!("networkMode" in td));
    assert.deepEqual(td.volumes, []);
    assert.deepEqual(td.placementConstraints, []);
    assert.deepEqual(td.compatibilities, ["EXTERNAL", "EC2"]);
    assert.equal(tags, undefined);
    const c = td.containerDefinitions![0]!;
    assert.equal(c.cpu, 0);
    assert.equal(c.essential, true);
    assert.deepEqual(c.environment, []);
    assert.deepEqual(c.mountPoints, []);
    assert.deepEqual(c.volumesFrom, []);
    assert.deepEqual(c.portMappings, []);
  });

  it("normalises task cpu/memory to unit strings", () => {
    const { tds } = setup();
    const td = tds.register(scope, fargate({ cpu: "1 vCPU", memory: "2GB" })).taskDefinition!;
    assert.equal(td.cpu, "1024");
    assert.equal(td.memory, "2048");
    const td2 = tds.register(scope, fargate({ cpu: "0.25 vCPU", memory: "0.5 GB" })).taskDefinition!;
    assert.equal(td2.cpu, "256");
    assert.equal(td2.memory, "512");
  });

  it("increments revisions and never reuses them after deletion", () => {
    const { tds } = setup();
    assert.equal(tds.register(scope, web()).taskDefinition!.revision, 1);
    const two = tds.register(scope, web()).taskDefinition!;
    assert.equal(two.revision, 2);
    tds.deregister(scope, { taskDefinition: "web:2" });
    tds.delete(scope, { taskDefinitions: ["web:2"] });
    assert.ok(tds.purge(two.taskDefinitionArn!));
    assert.equal(tds.register(scope, web()).taskDefinition!.revision, 3);
    assert.equal(tds.register(scope, web({ family: "other" })).taskDefinition!.revision, 1);
  });

  it("awsvpc/host fill omitted hostPort; bridge keeps it absent; protocol defaults to tcp", () => {
    const { tds } = setup();
    const mk = (networkMode: "awsvpc" | "host" | "bridge") =>
      tds.register(scope, web({ networkMode, containerDefinitions: [{ name: "app", image: "nginx", memory: 128, portMappings: [{ containerPort: 80 }] }] }))
        .taskDefinition!.containerDefinitions![0]!.portMappings;
    assert.deepEqual(mk("awsvpc"), [{ containerPort: 80, hostPort: 80, protocol: "tcp" }]);
    assert.deepEqual(mk("host"), [{ containerPort: 80, hostPort: 80, protocol: "tcp" }]);
    assert.deepEqual(mk("bridge"), [{ containerPort: 80, protocol: "tcp" }]);
  });

  it("fills health check defaults and echoes client fields", () => {
    const { tds } = setup();
    const td = tds.register(scope,
      fargate({
        runtimePlatform: { cpuArchitecture: "X86_64", operatingSystemFamily: "LINUX" },
        ephemeralStorage: { sizeInGiB: 30 },
        enableFaultInjection: false,
        pidMode: "task",
        executionRoleArn: "arn:aws:iam::000000000000:role/exec",
        containerDefinitions: [
          {
            name: "app",
            image: "nginx",
            healthCheck: { command: ["CMD-SHELL", "curl -f http://localhost/ || exit 1"], startPeriod: 10 },
            logConfiguration: { logDriver: "awslogs", options: { "awslogs-group": "/ecs/api" } },
            dockerLabels: { a: "b" },
          },
        ],
      }),
    ).taskDefinition!;
    assert.deepEqual(td.runtimePlatform, { cpuArchitecture: "X86_64", operatingSystemFamily: "LINUX" });
    assert.deepEqual(td.ephemeralStorage, { sizeInGiB: 30 });
    assert.equal(td.enableFaultInjection, false);
    assert.equal(td.pidMode, "task");
    assert.deepEqual(td.requiresCompatibilities, ["FARGATE"]);
    assert.deepEqual(td.compatibilities, ["EC2", "FARGATE"]);
    const c = td.containerDefinitions![0]!;
    assert.deepEqual(c.healthCheck, { command: ["CMD-SHELL", "curl -f http://localhost/ || exit 1"], interval: 30, timeout: 5, retries: 3, startPeriod: 10 });
    assert.deepEqual(c.dockerLabels, { a: "b" });
    const attrs = td.requiresAttributes!.map((a) => a.name);
    for (const n of [
      "com.amazonaws.ecs.capability.logging-driver.awslogs",
      "ecs.capability.execution-role-awslogs",
      "ecs.capability.container-health-check",
      "ecs.capability.task-eni",
    ]) {
      assert.ok(attrs.includes(n), n);
    }
  });

  it("stores tags and returns them", () => {
    const { tds } = setup();
    const out = tds.register(scope, web({ tags: [{ key: "env", value: "dev" }] }));
    assert.deepEqual(out.tags, [{ key: "env", value: "dev" }]);
    assert.ok(!("tags" in out.taskDefinition!));
    const d = tds.describe(scope, { taskDefinition: "web", include: ["TAGS"] });
    assert.deepEqual(d.tags, [{ key: "env", value: "dev" }]);
    assert.equal(tds.describe(scope, { taskDefinition: "web" }).tags, undefined);
  });

  it("awsvpc without Fargate-valid size is EXTERNAL/EC2", () => {
    const { tds } = setup();
    const td = tds.register(scope, web({ networkMode: "awsvpc" })).taskDefinition!;
    assert.deepEqual(td.compatibilities, ["EXTERNAL", "EC2"]);
    assert.ok(td.requiresAttributes!.some((a) => a.name === "ecs.capability.task-eni"));
  });

  describe("validation", () => {
    const { tds } = setup();
    const reg = (r: RegisterTaskDefinitionRequest) => () => tds.register(scope, r);

    it("missing family / containers", () => {
      rejects(reg({ ...web(), family: undefined }), "ClientException", /Family/);
      rejects(reg({ ...web(), containerDefinitions: [] }), "ClientException", "Container list cannot be empty.");
      rejects(reg({ ...web(), family: "bad name!" }), "ClientException", /Family contains invalid characters/);
    });
    it("container without image", () => {
      rejects(reg(web({ containerDefinitions: [{ name: "a", memory: 64 }] })), "ClientException", "Container.image should not be null or empty.");
      rejects(reg(web({ containerDefinitions: [{ name: "a", image: "", memory: 64 }] })), "ClientException", "Container.image should not be null or empty.");
    });
    it("container without name / bad name / duplicate", () => {
      rejects(reg(web({ containerDefinitions: [{ image: "nginx", memory: 64 }] })), "ClientException", "Container.name should not be null or empty.");
      rejects(reg(web({ containerDefinitions: [{ name: "a.b", image: "nginx", memory: 64 }] })), "ClientException", /Invalid setting for container 'a.b'/);
      rejects(
        reg(web({ containerDefinitions: [{ name: "a", image: "nginx", memory: 64 }, { name: "a", image: "nginx", memory: 64 }] })),
        "ClientException",
        /Duplicate container name/,
      );
    });
    it("invalid image", () => {
      rejects(reg(web({ containerDefinitions: [{ name: "a", image: "ngi nx", memory: 64 }] })), "ClientException", "Container.image contains invalid characters.");
    });
    it("no memory anywhere", () => {
      rejects(
        reg(web({ containerDefinitions: [{ name: "app", image: "nginx" }] })),
        "ClientException",
        "Invalid setting for container 'app'. At least one of 'memory' or 'memoryReservation' must be specified.",
      );
      // task-level memory is enough
      tds.register(scope, web({ memory: "512", containerDefinitions: [{ name: "app", image: "nginx" }] }));
    });
    it("Fargate without cpu / memory", () => {
      rejects(reg(fargate({ cpu: undefined })), "ClientException", "Fargate requires that 'cpu' be defined at the task level.");
      rejects(reg(fargate({ memory: undefined })), "ClientException", "Fargate requires that 'memory' be defined at the task level.");
    });
    it("Fargate size outside the table", () => {
      rejects(reg(fargate({ cpu: "4096", memory: "4096" })), "ClientException", /^No Fargate configuration exists for given values: 4096 CPU, 4096 memory/);
      rejects(reg(fargate({ cpu: "256", memory: "4096" })), "ClientException", /^No Fargate configuration exists for given values/);
      tds.register(scope, fargate({ cpu: "8192", memory: "20480" }));
      tds.register(scope, fargate({ cpu: "16384", memory: "122880" }));
    });
    it("Fargate network mode", () => {
      rejects(reg(fargate({ networkMode: "bridge" })), "ClientException", "Fargate only supports network mode \u2018awsvpc\u2019.");
      rejects(reg(fargate({ networkMode: undefined })), "ClientException", "Fargate only supports network mode \u2018awsvpc\u2019.");
    });
    it("Fargate awslogs / ECR without execution role", () => {
      rejects(
        reg(fargate({ containerDefinitions: [{ name: "app", image: "nginx", logConfiguration: { logDriver: "awslogs" } }] })),
        "ClientException",
        "Fargate requires task definition to have execution role ARN to support log driver awslogs.",
      );
      rejects(
        reg(fargate({ containerDefinitions: [{ name: "app", image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1" }] })),
        "ClientException",
        "Fargate requires task definition to have execution role ARN to support ECR images.",
      );
    });
    it("awsvpc/host hostPort must equal containerPort", () => {
      for (const mode of ["awsvpc", "host"] as const) {
        rejects(
          reg(web({ networkMode: mode, containerDefinitions: [{ name: "a", image: "nginx", memory: 64, portMappings: [{ containerPort: 80, hostPort: 8080 }] }] })),
          "ClientException",
          `When networkMode=${mode}, the host ports and container ports in port mappings must match.`,
        );
      }
      tds.register(scope, web({ networkMode: "bridge", containerDefinitions: [{ name: "a", image: "nginx", memory: 64, portMappings: [{ containerPort: 80, hostPort: 8080 }] }] }));
    });
    it("memory < memoryReservation", () => {
      rejects(reg(web({ containerDefinitions: [{ name: "a", image: "nginx", memory: 64, memoryReservation: 128 }] })), "ClientException", /'memory'.*'memoryReservation'/);
    });
    it("container memory exceeds task memory", () => {
      rejects(
        reg(fargate({ containerDefinitions: [{ name: "a", image: "nginx", memory: 400 }, { name: "b", image: "nginx", memory: 400 }] })),
        "ClientException",
        "The 'memory' setting for container 'b' is greater than for the task.",
      );
    });
    it("no essential container", () => {
      rejects(reg(web({ containerDefinitions: [{ name: "a", image: "nginx", memory: 64, essential: false }] })), "ClientException", /at least one essential container/);
    });
    it("invalid cpu text and EC2 cpu range", () => {
      rejects(reg(web({ cpu: "lots" })), "ClientException", /Invalid 'cpu' setting for task/);
      rejects(reg(web({ cpu: "64" })), "ClientException", /Invalid 'cpu' setting for task/);
    });
    it("health check ranges", () => {
      rejects(
        reg(web({ containerDefinitions: [{ name: "a", image: "nginx", memory: 64, healthCheck: { command: ["CMD", "true"], interval: 1 } }] })),
        "ClientException",
        /interval must be between 5 and 300/,
      );
    });
    it("dependsOn unknown container or cycle", () => {
      rejects(
        reg(web({ containerDefinitions: [{ name: "a", image: "nginx", memory: 64, dependsOn: [{ containerName: "x", condition: "START" }] }] })),
        "ClientException",
        /does not exist/,
      );
      rejects(
        reg(
          web({
            containerDefinitions: [
              { name: "a", image: "nginx", memory: 64, dependsOn: [{ containerName: "b", condition: "START" }] },
              { name: "b", image: "nginx", memory: 64, dependsOn: [{ containerName: "a", condition: "START" }] },
            ],
          }),
        ),
        "ClientException",
        /Circular dependency/,
      );
    });
    it("network mode none rejects port mappings", () => {
      rejects(reg(web({ networkMode: "none", containerDefinitions: [{ name: "a", image: "nginx", memory: 64, portMappings: [{ containerPort: 80 }] }] })), "ClientException", /networkMode=none/);
    });
    it("nothing was stored by failed registrations", () => {
      const fams = tds.listFamilies(scope, { status: "ALL" }).families;
      assert.ok(!fams!.includes("bad"));
    });
  });
});

describe("describe / resolve", () => {
  it("resolves family to latest ACTIVE, exact refs include INACTIVE", () => {
    const { tds } = setup();
    tds.register(scope, web());
    tds.register(scope, web());
    tds.deregister(scope, { taskDefinition: "web:2" });
    assert.equal(tds.describe(scope, { taskDefinition: "web" }).taskDefinition!.revision, 1);
    const two = tds.describe(scope, { taskDefinition: "web:2" }).taskDefinition!;
    assert.equal(two.status, "INACTIVE");
    assert.ok(two.deregisteredAt instanceof Date);
    assert.ok(two.registeredAt instanceof Date);
    const byArn = tds.describe(scope, { taskDefinition: "arn:aws:ecs:us-east-1:000000000000:task-definition/web:2" }).taskDefinition!;
    assert.equal(byArn.revision, 2);
    for (const ref of ["nope", "web:3", "web:x", "arn:aws:ecs:us-west-2:000000000000:task-definition/web:1", ""]) {
      rejects(() => tds.describe(scope, { taskDefinition: ref }), "ClientException", "Unable to describe task definition.");
    }
  });

  it("resolveTaskDefinitionForLaunch and getTaskDefinitionByArn", () => {
    const { tds } = setup();
    tds.register(scope, web());
    tds.register(scope, web());
    tds.deregister(scope, { taskDefinition: "web:2" });
    assert.equal(tds.resolveForLaunch(scope, "web").revision, 1);
    assert.equal(tds.resolveForLaunch(scope, "web:1").revision, 1);
    rejects(() => tds.resolveForLaunch(scope, "web:2"), "ClientException", /inactive/);
    rejects(() => tds.resolveForLaunch(scope, "web:9"), "ClientException", "TaskDefinition not found.");
    rejects(() => tds.resolveForLaunch(scope, "other"), "ClientException", "TaskDefinition not found.");
    tds.deregister(scope, { taskDefinition: "web:1" });
    rejects(() => tds.resolveForLaunch(scope, "web"), "ClientException", "TaskDefinition not found.");
    assert.equal(tds.byArn("arn:aws:ecs:us-east-1:000000000000:task-definition/web:2")!.status, "INACTIVE");
    assert.equal(tds.byArn("arn:aws:ecs:us-east-1:000000000000:task-definition/web:7"), undefined);
  });

  it("is scoped by account and region", () => {
    const { tds } = setup();
    tds.register(scope, web());
    rejects(() => tds.describe({ ...scope, region: "eu-west-1" }, { taskDefinition: "web" }), "ClientException", "Unable to describe task definition.");
  });
});

describe("list", () => {
  function seed(tds: TaskDefinitions): void {
    for (const f of ["b", "a", "c"]) for (let i = 0; i < 3; i++) tds.register(scope, web({ family: f }));
    tds.deregister(scope, { taskDefinition: "a:2" });
    tds.deregister(scope, { taskDefinition: "c:1" });
    tds.deregister(scope, { taskDefinition: "c:2" });
    tds.deregister(scope, { taskDefinition: "c:3" });
  }
  const short = (arns: string[] | undefined) => (arns ?? []).map((a) => a.split("/")[1]);

  it("lists ACTIVE by default sorted by family then revision, DESC reverses", () => {
    const { tds } = setup();
    seed(tds);
    assert.deepEqual(short(tds.list(scope, {}).taskDefinitionArns), ["a:1", "a:3", "b:1", "b:2", "b:3"]);
    assert.deepEqual(short(tds.list(scope, { sort: "DESC" }).taskDefinitionArns), ["b:3", "b:2", "b:1", "a:3", "a:1"]);
    assert.deepEqual(short(tds.list(scope, { status: "INACTIVE" }).taskDefinitionArns), ["a:2", "c:1", "c:2", "c:3"]);
    assert.deepEqual(short(tds.list(scope, { familyPrefix: "b" }).taskDefinitionArns), ["b:1", "b:2", "b:3"]);
    assert.equal(tds.list(scope, {}).nextToken, undefined);
  });

  it("paginates with opaque tokens only when more items exist", () => {
    const { tds } = setup();
    seed(tds);
    for (const sort of ["ASC", "DESC"] as const) {
      const all: string[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const page = tds.list(scope, { maxResults: 2, nextToken: token, sort });
        all.push(...short(page.taskDefinitionArns).map(String));
        token = page.nextToken;
        pages++;
      } while (token);
      assert.equal(pages, 3);
      assert.deepEqual(all, short(tds.list(scope, { sort }).taskDefinitionArns));
    }
    const exact = tds.list(scope, { maxResults: 5 });
    assert.equal(exact.taskDefinitionArns!.length, 5);
    assert.equal(exact.nextToken, undefined);
    rejects(() => tds.list(scope, { nextToken: "garbage" }), "InvalidParameterException", /nextToken/);
    rejects(() => tds.list(scope, { maxResults: 0 }), "InvalidParameterException", /maxResults/);
    rejects(() => tds.list(scope, { maxResults: 101 }), "InvalidParameterException", /maxResults/);
  });

  it("lists families by status with pagination", () => {
    const { tds } = setup();
    seed(tds);
    tds.register(scope, web({ family: "a_b" }));
    assert.deepEqual(tds.listFamilies(scope, {}).families, ["a", "a_b", "b"]);
    assert.deepEqual(tds.listFamilies(scope, { status: "INACTIVE" }).families, ["c"]);
    assert.deepEqual(tds.listFamilies(scope, { status: "ALL" }).families, ["a", "a_b", "b", "c"]);
    assert.deepEqual(tds.listFamilies(scope, { familyPrefix: "a_" }).families, ["a_b"]);
    const p1 = tds.listFamilies(scope, { status: "ALL", maxResults: 3 });
    assert.deepEqual(p1.families, ["a", "a_b", "b"]);
    assert.ok(p1.nextToken);
    const p2 = tds.listFamilies(scope, { status: "ALL", maxResults: 3, nextToken: p1.nextToken });
    assert.deepEqual(p2.families, ["c"]);
    assert.equal(p2.nextToken, undefined);
    rejects(() => tds.listFamilies(scope, { nextToken: "x" }), "InvalidParameterException", /nextToken/);
  });
});

describe("deregister / delete", () => {
  it("deregister requires a revision and sets INACTIVE + deregisteredAt", () => {
    const { tds, clock } = setup();
    tds.register(scope, web());
    clock.advance(5000);
    rejects(() => tds.deregister(scope, { taskDefinition: "web" }), "ClientException", "Revision is required.");
    rejects(() => tds.deregister(scope, { taskDefinition: "web:4" }), "ClientException", "The specified task definition does not exist.");
    const td = tds.deregister(scope, { taskDefinition: "web:1" }).taskDefinition!;
    assert.equal(td.status, "INACTIVE");
    assert.deepEqual(td.deregisteredAt, new Date(clock.now()));
    assert.ok(!("deleteRequestedAt" in td));
    // idempotent
    clock.advance(1000);
    const again = tds.deregister(scope, { taskDefinition: "arn:aws:ecs:us-east-1:000000000000:task-definition/web:1" }).taskDefinition!;
    assert.equal(again.status, "INACTIVE");
    assert.deepEqual(again.deregisteredAt, td.deregisteredAt);
  });

  it("delete needs INACTIVE, reports failures, moves to DELETE_IN_PROGRESS", () => {
    const { tds, clock } = setup();
    tds.register(scope, web());
    tds.register(scope, web());
    tds.deregister(scope, { taskDefinition: "web:1" });
    clock.advance(1000);
    const out = tds.delete(scope, { taskDefinitions: ["web:1", "web:2", "web:9"] });
    assert.equal(out.taskDefinitions!.length, 1);
    assert.equal(out.taskDefinitions![0]!.status, "DELETE_IN_PROGRESS");
    assert.deepEqual(out.taskDefinitions![0]!.deleteRequestedAt, new Date(clock.now()));
    assert.deepEqual(out.failures, [
      {
        arn: "arn:aws:ecs:us-east-1:000000000000:task-definition/web:2",
        reason: "The specified task definition is still in ACTIVE status. Please deregister the target and try again.",
      },
      { arn: "web:9", reason: "The specified task definition does not exist." },
    ]);
    assert.equal(tds.describe(scope, { taskDefinition: "web:1" }).taskDefinition!.status, "DELETE_IN_PROGRESS");
    assert.deepEqual(short(tds.list(scope, { status: "DELETE_IN_PROGRESS" }).taskDefinitionArns), ["web:1"]);
    rejects(() => tds.resolveForLaunch(scope, "web:1"), "ClientException", /inactive/);
    rejects(
      () => tds.delete(scope, { taskDefinitions: Array.from({ length: 11 }, (_, i) => `web:${i + 1}`) }),
      "InvalidParameterException",
      /10/,
    );
  });

  function short(arns: string[] | undefined) {
    return (arns ?? []).map((a) => a.split("/")[1]);
  }
});

describe("store round-trip", () => {
  it("persists a JSON doc with ISO dates and a status column", () => {
    const { deps, tds } = setup();
    const td = tds.register(scope, web()).taskDefinition!;
    const row = deps.store.db.prepare("SELECT status, doc FROM ecs_task_definitions WHERE arn = ?").get(td.taskDefinitionArn!) as { status: string; doc: string };
    assert.equal(row.status, "ACTIVE");
    assert.equal(JSON.parse(row.doc).registeredAt, "2026-01-01T00:00:00.000Z");
    assert.deepEqual(tds.describe(scope, { taskDefinition: "web:1" }).taskDefinition, td);
  });
});
