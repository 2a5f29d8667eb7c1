/**
 * ECS `secrets` at task start and the task's AWS identity, on the in-process harness (FakeRuntime,
 * ManualClock) with the real Secrets Manager, SSM, KMS, IAM/STS and task endpoint behind them:
 * values reach the container's environment (over `environment`), and nowhere else; failures stop
 * the task with ECS's texts and fail the deployment as ECS does; a rotated value reaches new tasks
 * only; task-role credentials, GetCallerIdentity with them (strict SigV4), metadata v4; registry
 * credentials for a private image; settings Slipway does not implement are named.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import * as ecs from "@aws-sdk/client-ecs";
import * as kms from "@aws-sdk/client-kms";
import * as sm from "@aws-sdk/client-secrets-manager";
import * as ssm from "@aws-sdk/client-ssm";
import * as sts from "@aws-sdk/client-sts";
import { type Harness, harness, messages, SCOPE, webContainer } from "../helpers/harness.ts";

const EXEC_ROLE = "arn:aws:iam::000000000000:role/ecsTaskExecutionRole";
const TASK_ROLE = "arn:aws:iam::000000000000:role/app-task-role";
const creds = { accessKeyId: "test", secretAccessKey: "test" };

function clients(h: Harness) {
  const common = { region: "us-east-1", endpoint: h.s.url, credentials: creds, maxAttempts: 1 };
  return { sm: new sm.SecretsManagerClient(common), ssm: new ssm.SSMClient(common), kms: new kms.KMSClient(common), ecs: new ecs.ECSClient(common) };
}

const envOf = (h: Harness, runtimeId: string) => {
  const spec = h.rt.specOf(runtimeId)!;
  return Object.fromEntries((spec.env ?? []).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
};

describe("task secrets", () => {
  let h: Harness;
  let c: ReturnType<typeof clients>;
  let secretArn: string;
  let keyId: string;

  before(async () => {
    h = await harness();
    c = clients(h);
    const key = (await c.kms.send(new kms.CreateKeyCommand({}))).KeyMetadata!;
    keyId = key.KeyId!;
    secretArn = (await c.sm.send(new sm.CreateSecretCommand({ Name: "prod/db", SecretString: JSON.stringify({ password: "hunter2", port: 5432 }), KmsKeyId: keyId }))).ARN!;
    await c.ssm.send(new ssm.PutParameterCommand({ Name: "/prod/api-key", Value: "k-123", Type: "SecureString" }));
    await c.ssm.send(new ssm.PutParameterCommand({ Name: "plain-url", Value: "http://db", Type: "String" }));
  });
  after(async () => {
    for (const x of Object.values(c)) x.destroy();
    await h.close();
  });

  test("registration: secrets need an execution role; role names become ARNs", async () => {
    const secrets = [{ name: "X", valueFrom: "/prod/api-key" }];
    await assert.rejects(c.ecs.send(new ecs.RegisterTaskDefinitionCommand({ family: "nr", containerDefinitions: [webContainer({ secrets })] })), {
      name: "ClientException",
      message: "When you are specifying container secrets, you must also specify a value for 'executionRoleArn'.",
    });
    await assert.rejects(
      c.ecs.send(new ecs.RegisterTaskDefinitionCommand({ family: "nr", containerDefinitions: [webContainer({ repositoryCredentials: { credentialsParameter: secretArn } })] })),
      { name: "ClientException", message: "Private repository authentication requires that the task definition specify a value for executionRoleArn." },
    );
    const td = (await c.ecs.send(new ecs.RegisterTaskDefinitionCommand({ family: "named", executionRoleArn: "ecsTaskExecutionRole", taskRoleArn: "app", containerDefinitions: [webContainer({ secrets })] })))
      .taskDefinition!;
    assert.equal(td.executionRoleArn, EXEC_ROLE);
    assert.equal(td.taskRoleArn, "arn:aws:iam::000000000000:role/app");
    assert.deepEqual(td.containerDefinitions![0]!.secrets, secrets, "valueFrom is echoed, never a value");
  });

  test("values reach the container env (secrets over environment, JSON keys, Go formatting), nowhere else", async () => {
    const td = h.registerTd({
      family: "app",
      executionRoleArn: EXEC_ROLE,
      containerDefinitions: [
        webContainer({
          environment: [{ name: "DB_PASSWORD", value: "from-environment" }],
          secrets: [
            { name: "DB_PASSWORD", valueFrom: `${secretArn}:password::` },
            { name: "DB_PORT", valueFrom: `${secretArn}:port::` },
            { name: "API_KEY", valueFrom: "/prod/api-key" },
            { name: "URL", valueFrom: "arn:aws:ssm:us-east-1:000000000000:parameter/plain-url" },
          ],
        }),
      ],
    });
    h.createService({ serviceName: "app", taskDefinition: td });
    assert.ok(await h.until(() => h.tasks("app")[0]?.lastStatus === "RUNNING"));
    const task = h.tasks("app")[0]!;
    const env = envOf(h, task.containers![0]!.runtimeId!);
    assert.equal(env.DB_PASSWORD, "hunter2");
    assert.equal(env.DB_PORT, "5432");
    assert.equal(env.API_KEY, "k-123");
    assert.equal(env.URL, "http://db");
    const described = JSON.stringify(await c.ecs.send(new ecs.DescribeTasksCommand({ cluster: "default", tasks: [task.taskArn!] })));
    const service = JSON.stringify(await c.ecs.send(new ecs.DescribeServicesCommand({ cluster: "default", services: ["app"] })));
    for (const v of ["hunter2", "k-123"]) {
      assert.ok(!described.includes(v) && !service.includes(v), "no value in DescribeTasks or service events");
      assert.ok(!h.logs.join("\n").includes(v), "no value in Slipway's log");
    }
  });

  test("a rotated value reaches the new tasks of --force-new-deployment, not the running one", async () => {
    const before = h.tasks("app")[0]!;
    await c.sm.send(new sm.PutSecretValueCommand({ SecretId: "prod/db", SecretString: JSON.stringify({ password: "rotated!", port: 5432 }) }));
    assert.equal(envOf(h, before.containers![0]!.runtimeId!).DB_PASSWORD, "hunter2");
    await c.ecs.send(new ecs.UpdateServiceCommand({ cluster: "default", service: "app", forceNewDeployment: true }));
    assert.ok(await h.until(() => h.tasks("app").some((t) => t.taskArn !== before.taskArn && t.lastStatus === "RUNNING")));
    const fresh = h.tasks("app").find((t) => t.taskArn !== before.taskArn)!;
    assert.equal(envOf(h, fresh.containers![0]!.runtimeId!).DB_PASSWORD, "rotated!");
  });

  for (const [title, valueFrom, reason] of [
    [
      "a missing secret",
      "arn:aws:secretsmanager:us-east-1:000000000000:secret:nope-AbCdEf",
      "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret arn:aws:secretsmanager:us-east-1:000000000000:secret:nope-AbCdEf from secrets manager: ResourceNotFoundException: Secrets Manager can't find the specified secret.",
    ],
    [
      "a missing JSON key",
      "SECRET:nokey::",
      "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): retrieved secret from Secrets Manager did not contain json key nokey",
    ],
    [
      "a missing parameter",
      "/prod/missing",
      "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secrets from ssm: service call has been retried 1 time(s): invalid ssm parameters: /prod/missing",
    ],
  ] as const) {
    test(`${title} stops the task before any container, with ECS's text; the deployment fails as ECS's does`, async () => {
      const family = `bad-${title.replace(/\W+/g, "-")}`;
      const td = h.registerTd({
        family,
        executionRoleArn: EXEC_ROLE,
        requiresCompatibilities: ["FARGATE"],
        networkMode: "awsvpc",
        cpu: "256",
        memory: "512",
        containerDefinitions: [webContainer({ secrets: [{ name: "X", valueFrom: valueFrom.replace("SECRET", secretArn) }] })],
      });
      h.createService({
        serviceName: family,
        taskDefinition: td,
        launchType: "FARGATE",
        networkConfiguration: { awsvpcConfiguration: { subnets: ["subnet-12345678"] } },
        deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: false } },
      });
      assert.ok(await h.until(() => h.tasks(family)[0]?.lastStatus === "STOPPED"));
      const t = h.tasks(family)[0]!;
      assert.equal(t.stopCode, "TaskFailedToStart");
      assert.equal(t.stoppedReason, reason);
      assert.equal((await h.containersOf(t.taskArn!)).length, 0, "no container was created");
      assert.ok(await h.until(() => h.service(family).deployments?.[0]?.rolloutState === "FAILED", 600_000, 5000), messages(h.service(family)).join("\n"));
      assert.ok(messages(h.service(family)).some((m) => m.endsWith("deployment failed: tasks failed to start.")));
    });
  }

  test("a value under a disabled key stops the task (EC2 launch type: the agent's text)", async () => {
    await c.kms.send(new kms.DisableKeyCommand({ KeyId: keyId }));
    try {
      const td = h.registerTd({ family: "disabled", executionRoleArn: EXEC_ROLE, containerDefinitions: [webContainer({ secrets: [{ name: "X", valueFrom: secretArn }] })] });
      const t = h.s.ecs.tasks.run(SCOPE, { cluster: "default", taskDefinition: td }).tasks![0]!;
      assert.ok(await h.until(() => h.s.ecs.repo.getTaskByArn(t.taskArn!)?.doc.lastStatus === "STOPPED"));
      const stopped = h.s.ecs.repo.getTaskByArn(t.taskArn!)!.doc;
      assert.equal(stopped.stopCode, "TaskFailedToStart");
      assert.match(
        stopped.stoppedReason!,
        /^Secret arn:aws:secretsmanager:us-east-1:000000000000:secret:prod\/db-\w{6}: operation error Secrets Manager: GetSecretValue, https response error StatusCode: 400, RequestID: [\w-]+, DecryptionFailure: Secrets Manager can't decrypt the protected secret text using the provided KMS key\./,
      );
    } finally {
      await c.kms.send(new kms.EnableKeyCommand({ KeyId: keyId }));
    }
  });

  test("repositoryCredentials: the image is pulled with the secret's username and password", async () => {
    const reg = (await c.sm.send(new sm.CreateSecretCommand({ Name: "registry", SecretString: JSON.stringify({ username: "deploy", password: "p4ss" }) }))).ARN!;
    h.rt.addRemoteImage("registry.example.com/team/app:1");
    const td = h.registerTd({
      family: "private",
      executionRoleArn: EXEC_ROLE,
      containerDefinitions: [webContainer({ image: "registry.example.com/team/app:1", repositoryCredentials: { credentialsParameter: reg } })],
    });
    const t = h.s.ecs.tasks.run(SCOPE, { cluster: "default", taskDefinition: td }).tasks![0]!;
    assert.ok(await h.until(() => h.s.ecs.repo.getTaskByArn(t.taskArn!)?.doc.lastStatus === "RUNNING"));
    assert.deepEqual(h.rt.pullAuths.get("registry.example.com/team/app:1"), { username: "deploy", password: "p4ss", serveraddress: "registry.example.com" });
  });

  test("settings Slipway does not implement are named at registration and in a service event", async () => {
    const td = h.registerTd({
      family: "unimpl",
      volumes: [{ name: "data" }],
      containerDefinitions: [webContainer({ privileged: true, linuxParameters: { capabilities: { add: ["NET_ADMIN"] }, initProcessEnabled: true } })],
    });
    const notice = "task definition unimpl:1 uses settings Slipway does not implement (stored, not applied): volumes, containerDefinitions[web].privileged, containerDefinitions[web].linuxParameters.capabilities";
    assert.ok(h.logs.includes(notice), h.logs.join("\n"));
    h.createService({ serviceName: "unimpl", taskDefinition: td });
    await h.settle();
    assert.ok(messages(h.service("unimpl")).includes(`(service unimpl) ${notice}.`));
  });
});

describe("task identity", () => {
  let h: Harness;
  before(async () => {
    // Strict SigV4 without IAM enforcement: the task role here is an ARN IAM does not know (a script's).
    h = await harness({ slipway: { taskEndpoint: { host: "127.0.0.1", port: 0 }, strictAuth: true, enforceIam: false } });
  });
  after(() => h.close());

  test("task-role credentials: env URIs, an ASIA session named by the task id (strict SigV4), metadata v4, revoked at stop", async () => {
    const td = h.registerTd({ family: "who", taskRoleArn: TASK_ROLE, containerDefinitions: [webContainer()] });
    const t = h.s.ecs.tasks.run(SCOPE, { cluster: "default", taskDefinition: td }).tasks![0]!;
    assert.ok(await h.until(() => h.s.ecs.repo.getTaskByArn(t.taskArn!)?.doc.lastStatus === "RUNNING"));
    const runtimeId = h.s.ecs.repo.getTaskByArn(t.taskArn!)!.doc.containers[0]!.runtimeId!;
    const env = envOf(h, runtimeId);
    assert.equal(env.AWS_ENDPOINT_URL, "http://169.254.170.2");
    assert.match(env.ECS_CONTAINER_METADATA_URI_V4!, /^http:\/\/169\.254\.170\.2\/v4\/[0-9a-f-]{36}$/);
    const base = h.s.taskEndpointUrl!;
    const cr = (await (await fetch(`${base}${env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI}`)).json()) as Record<string, string>;
    assert.match(cr.AccessKeyId!, /^ASIA/);
    assert.equal(cr.RoleArn, TASK_ROLE);

    const taskId = t.taskArn!.split("/").pop()!;
    const client = new sts.STSClient({
      region: "us-east-1",
      endpoint: base,
      credentials: { accessKeyId: cr.AccessKeyId!, secretAccessKey: cr.SecretAccessKey!, sessionToken: cr.Token! },
      maxAttempts: 1,
      // Strict SigV4 checks the signing date against Slipway's (here, manual) clock.
      systemClockOffset: h.clock.now() - Date.now(),
    });
    const who = await client.send(new sts.GetCallerIdentityCommand({}));
    assert.equal(who.Arn, `arn:aws:sts::000000000000:assumed-role/app-task-role/${taskId}`);
    assert.match(who.UserId!, new RegExp(`^AROA\\w+:${taskId}$`));

    const md = (await (await fetch(`${env.ECS_CONTAINER_METADATA_URI_V4!.replace("http://169.254.170.2", base)}/task`)).json()) as {
      TaskARN: string;
      Containers: { DockerId: string }[];
    };
    assert.equal(md.TaskARN, t.taskArn);
    assert.equal(md.Containers[0]!.DockerId, runtimeId);

    h.s.ecs.tasks.stop(SCOPE, { cluster: "default", task: t.taskArn! });
    assert.ok(await h.until(() => h.s.ecs.repo.getTaskByArn(t.taskArn!)?.doc.lastStatus === "STOPPED"));
    await assert.rejects(client.send(new sts.GetCallerIdentityCommand({})), { name: "InvalidClientTokenId" });
    assert.equal(((await (await fetch(`${base}${env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI}`)).json()) as { code: string }).code, "InvalidIdInRequest");
    client.destroy();
  });

  test("the task's own AWS_ENDPOINT_URL wins; no credentials URI without a task role", async () => {
    const td = h.registerTd({ family: "own", containerDefinitions: [webContainer({ environment: [{ name: "AWS_ENDPOINT_URL", value: "http://elsewhere" }] })] });
    const t = h.s.ecs.tasks.run(SCOPE, { cluster: "default", taskDefinition: td }).tasks![0]!;
    assert.ok(await h.until(() => h.s.ecs.repo.getTaskByArn(t.taskArn!)?.doc.lastStatus === "RUNNING"));
    const env = envOf(h, h.s.ecs.repo.getTaskByArn(t.taskArn!)!.doc.containers[0]!.runtimeId!);
    assert.equal(env.AWS_ENDPOINT_URL, "http://elsewhere");
    assert.equal(env.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI, undefined);
    assert.ok(env.ECS_CONTAINER_METADATA_URI_V4);
  });
});
