/**
 * End-to-end, real Docker: a `slipway up` child process with the task endpoint at 169.254.170.2
 * (needs root), a Fargate service whose task takes one value from Secrets Manager (a JSON key)
 * and one SecureString from Parameter Store, with a task role. Inside the container an unmodified
 * Node AWS SDK (test/images/node-sdk) gets the task role's credentials through the default
 * provider chain, calls GetCallerIdentity and GetSecretValue on Slipway (AWS_ENDPOINT_URL), and
 * reads its task id from metadata v4. Then: a rotated value reaches the tasks of a forced new
 * deployment; a missing JSON key stops the task with ECS's text and fails the deployment; no
 * plaintext in the data directory; `slipway clean` removes the address and iptables chain that a
 * killed Slipway left behind.
 *
 * Skipped, with the reason, without Docker, without root, or when 169.254.170.2:80 is taken.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { execFile } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { after, before, describe, test } from "node:test";
import * as ecs from "@aws-sdk/client-ecs";
import * as iam from "@aws-sdk/client-iam";
import * as sm from "@aws-sdk/client-secrets-manager";
import * as ssm from "@aws-sdk/client-ssm";
import { dockerAvailable, ensureTestImages } from "../helpers/docker.ts";
import { cleanDataDir, docker, instanceIdOf, managedContainers, pollUntil, REPO_ROOT, type SlipwayProcess, startSlipwayProcess, tempDataDir } from "../helpers/slipway-process.ts";

const run = promisify(execFile);
const IMAGE = "slipway-test/node-sdk:latest";
const PASSWORD = "db-pass-CANARY-7c1e";
const ROTATED = "db-pass-ROTATED-2b9d";
const API_KEY = "api-key-CANARY-5a0f";
const sha = (v: string) => createHash("sha256").update(v).digest("hex");

async function whySkip(): Promise<string | undefined> {
  const d = await dockerAvailable();
  if (d) return d;
  if (process.getuid?.() !== 0) return "not running as root: 169.254.170.2 cannot be set up";
  return undefined;
}
const skip = await whySkip();
if (skip) console.log(`# skipping task identity e2e: ${skip}`);

function allFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? allFiles(p) : [p];
  });
}

interface AppReport {
  env: Record<string, string | null>;
  errors: string[];
  identity?: { Arn: string; UserId: string; Account: string };
  secret?: string;
  taskArn?: string;
  containerId?: string;
}

describe("the AWS identity inside a task (real Docker, 169.254.170.2)", { skip, timeout: 300_000 }, () => {
  let dataDir = "";
  let s: SlipwayProcess | undefined;
  let clients: { ecs: ecs.ECSClient; sm: sm.SecretsManagerClient; ssm: ssm.SSMClient; iam: iam.IAMClient };
  let endpointUp = false;
  const CLUSTER = `ident-${process.pid}`;

  before(async () => {
    await ensureTestImages();
    dataDir = tempDataDir("slipway-ident-");
    s = await startSlipwayProcess({ dataDir, taskEndpoint: "auto" });
    endpointUp = s.output().includes("task endpoint on http://169.254.170.2:80");
    const common = { region: "us-east-1", endpoint: s.url, credentials: { accessKeyId: "test", secretAccessKey: "test" }, maxAttempts: 1 };
    clients = { ecs: new ecs.ECSClient(common), sm: new sm.SecretsManagerClient(common), ssm: new ssm.SSMClient(common), iam: new iam.IAMClient(common) };
  });

  after(async () => {
    for (const c of Object.values(clients ?? {})) c.destroy();
    await s?.kill("SIGTERM");
    if (dataDir) await cleanDataDir(dataDir);
  });

  /** The app's one report line from a task's container logs. */
  async function report(taskArn: string): Promise<AppReport> {
    return pollUntil(
      async () => {
        const rows = await managedContainers(instanceIdOf(dataDir), [`label=slipway.task-arn=${taskArn}`]);
        if (!rows[0]) return undefined;
        const logs = await docker(["logs", rows[0].id]);
        const line = logs.split("\n").find((l) => l.startsWith("SLIPWAY-APP "));
        return line ? (JSON.parse(line.slice("SLIPWAY-APP ".length)) as AppReport) : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250, what: `the app's report from ${taskArn}` },
    );
  }

  async function runningTasks(service: string): Promise<ecs.Task[]> {
    const arns = (await clients.ecs.send(new ecs.ListTasksCommand({ cluster: CLUSTER, serviceName: service }))).taskArns ?? [];
    if (!arns.length) return [];
    return ((await clients.ecs.send(new ecs.DescribeTasksCommand({ cluster: CLUSTER, tasks: arns }))).tasks ?? []).filter((t) => t.lastStatus === "RUNNING");
  }

  test("an unmodified SDK in the container: task-role credentials, GetCallerIdentity, GetSecretValue, metadata v4, secrets as env", async (t) => {
    if (!endpointUp) return t.skip(`the task endpoint did not come up:\n${s!.output()}`);
    const trust = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" }] });
    const taskRole = (await clients.iam.send(new iam.CreateRoleCommand({ RoleName: "ident-app", AssumeRolePolicyDocument: trust }))).Role!;
    await clients.iam.send(new iam.CreateRoleCommand({ RoleName: "ident-exec", AssumeRolePolicyDocument: trust }));
    const secret = await clients.sm.send(new sm.CreateSecretCommand({ Name: "ident/db", SecretString: JSON.stringify({ username: "app", password: PASSWORD }) }));
    await clients.ssm.send(new ssm.PutParameterCommand({ Name: "/ident/api-key", Value: API_KEY, Type: "SecureString" }));
    await clients.ecs.send(new ecs.CreateClusterCommand({ clusterName: CLUSTER }));
    const td = await clients.ecs.send(
      new ecs.RegisterTaskDefinitionCommand({
        family: "ident",
        requiresCompatibilities: ["FARGATE"],
        networkMode: "awsvpc",
        cpu: "256",
        memory: "512",
        taskRoleArn: taskRole.Arn,
        executionRoleArn: "ident-exec",
        containerDefinitions: [
          {
            name: "app",
            image: IMAGE,
            essential: true,
            environment: [
              { name: "SECRET_ID", value: "ident/db" },
              { name: "REPORT_ENV", value: "DB_PASSWORD,API_KEY" },
            ],
            secrets: [
              { name: "DB_PASSWORD", valueFrom: `${secret.ARN}:password::` },
              { name: "API_KEY", valueFrom: "/ident/api-key" },
            ],
          },
        ],
      }),
    );
    await clients.ecs.send(
      new ecs.CreateServiceCommand({
        cluster: CLUSTER,
        serviceName: "app",
        taskDefinition: td.taskDefinition!.taskDefinitionArn,
        desiredCount: 1,
        launchType: "FARGATE",
        networkConfiguration: { awsvpcConfiguration: { subnets: ["subnet-0123456789abcdef0"] } },
      }),
    );
    const task = (await pollUntil(async () => (await runningTasks("app"))[0], { timeoutMs: 60_000, what: "a RUNNING task" }))!;
    const r = await report(task.taskArn!);
    const taskId = task.taskArn!.split("/").pop()!;
    assert.deepEqual(r.errors, []);
    assert.equal(r.identity?.Arn, `arn:aws:sts::000000000000:assumed-role/ident-app/${taskId}`);
    assert.equal(r.identity?.UserId, `${taskRole.RoleId}:${taskId}`);
    assert.equal(r.secret, sha(JSON.stringify({ username: "app", password: PASSWORD })));
    assert.deepEqual(r.env, { DB_PASSWORD: sha(PASSWORD), API_KEY: sha(API_KEY) });
    assert.equal(r.taskArn, task.taskArn);
    assert.equal(r.containerId, task.containers![0]!.runtimeId);
    const described = JSON.stringify(task);
    assert.ok(!described.includes(PASSWORD) && !described.includes(API_KEY));
  });

  test("a rotated value reaches the tasks of a forced new deployment", async (t) => {
    if (!endpointUp) return t.skip("the task endpoint did not come up");
    const old = (await runningTasks("app"))[0]!;
    await clients.sm.send(new sm.PutSecretValueCommand({ SecretId: "ident/db", SecretString: JSON.stringify({ username: "app", password: ROTATED }) }));
    await clients.ecs.send(new ecs.UpdateServiceCommand({ cluster: CLUSTER, service: "app", forceNewDeployment: true }));
    const fresh = await pollUntil(async () => (await runningTasks("app")).find((x) => x.taskArn !== old.taskArn), { timeoutMs: 90_000, what: "the new deployment's task" });
    const r = await report(fresh.taskArn!);
    assert.equal(r.env.DB_PASSWORD, sha(ROTATED));
  });

  test("a missing JSON key stops the task with ECS's text and fails the deployment", async (t) => {
    if (!endpointUp) return t.skip("the task endpoint did not come up");
    const secret = await clients.sm.send(new sm.DescribeSecretCommand({ SecretId: "ident/db" }));
    const td = await clients.ecs.send(
      new ecs.RegisterTaskDefinitionCommand({
        family: "ident-bad",
        requiresCompatibilities: ["FARGATE"],
        networkMode: "awsvpc",
        cpu: "256",
        memory: "512",
        executionRoleArn: "ident-exec",
        containerDefinitions: [{ name: "app", image: IMAGE, essential: true, secrets: [{ name: "X", valueFrom: `${secret.ARN}:nokey::` }] }],
      }),
    );
    await clients.ecs.send(
      new ecs.CreateServiceCommand({
        cluster: CLUSTER,
        serviceName: "bad",
        taskDefinition: td.taskDefinition!.taskDefinitionArn,
        desiredCount: 1,
        launchType: "FARGATE",
        networkConfiguration: { awsvpcConfiguration: { subnets: ["subnet-0123456789abcdef0"] } },
        deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: false } },
      }),
    );
    const stopped = await pollUntil(
      async () => {
        const arns = (await clients.ecs.send(new ecs.ListTasksCommand({ cluster: CLUSTER, serviceName: "bad", desiredStatus: "STOPPED" }))).taskArns ?? [];
        if (!arns.length) return undefined;
        return (await clients.ecs.send(new ecs.DescribeTasksCommand({ cluster: CLUSTER, tasks: arns.slice(0, 1) }))).tasks?.find((x) => x.lastStatus === "STOPPED");
      },
      { timeoutMs: 60_000, what: "a STOPPED task of the bad service" },
    );
    assert.equal(stopped.stopCode, "TaskFailedToStart");
    assert.equal(
      stopped.stoppedReason,
      "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time(s): retrieved secret from Secrets Manager did not contain json key nokey",
    );
    const failed = await pollUntil(
      async () => {
        const svc = (await clients.ecs.send(new ecs.DescribeServicesCommand({ cluster: CLUSTER, services: ["bad"] }))).services![0]!;
        return svc.deployments?.[0]?.rolloutState === "FAILED" ? svc : undefined;
      },
      { timeoutMs: 180_000, intervalMs: 1000, what: "the bad deployment to fail" },
    );
    assert.equal(failed.deployments![0]!.rolloutStateReason, "ECS deployment circuit breaker: tasks failed to start.");
  });

  test("no plaintext in the data directory; a killed Slipway's kernel state is removed by slipway clean", async (t) => {
    if (!endpointUp) return t.skip("the task endpoint did not come up");
    for (const f of allFiles(dataDir)) {
      const bytes = readFileSync(f);
      for (const v of [PASSWORD, ROTATED, API_KEY]) assert.ok(!bytes.includes(v), `${f} holds a plaintext value`);
    }
    await s!.kill("SIGKILL");
    const { stdout: addr } = await run("ip", ["-4", "-o", "addr", "show", "dev", "lo"]);
    assert.match(addr, /169\.254\.170\.2\/32/, "the address stays after kill -9");
    const { stdout } = await run(process.execPath, [join(REPO_ROOT, "bin", "slipway.js"), "clean", "--data-dir", dataDir, "--keep-data"], { timeout: 60_000 });
    assert.match(stdout, /iptables chain SLIPWAY-TASK-ENDPOINT, address 169\.254\.170\.2 on lo/);
    const { stdout: after } = await run("ip", ["-4", "-o", "addr", "show", "dev", "lo"]);
    assert.doesNotMatch(after, /169\.254\.170\.2/);
    const rules = await run("iptables", ["-w", "-S"]).then((r) => r.stdout).catch(() => "");
    assert.doesNotMatch(rules, /SLIPWAY-TASK-ENDPOINT/);
    s = undefined;
  });
});
