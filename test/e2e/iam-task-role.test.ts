/**
 * End-to-end, real Docker, IAM enforcement on: a `slipway up --enforce-iam` child process with the
 * task endpoint at 169.254.170.2 (needs root). A Fargate task whose task role allows only
 * ssm:GetParameter on one parameter runs an unmodified Node AWS SDK (test/images/node-sdk): the
 * default provider chain gets the role's credentials, the app reads that parameter and is denied
 * another with AWS's AccessDeniedException text naming the task's assumed-role session.
 *
 * Skipped, with the reason, without Docker, without root, or when 169.254.170.2:80 is taken.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, test } from "node:test";
import * as ecs from "@aws-sdk/client-ecs";
import * as iam from "@aws-sdk/client-iam";
import * as ssm from "@aws-sdk/client-ssm";
import { dockerAvailable, ensureTestImages } from "../helpers/docker.ts";
import { cleanDataDir, docker, instanceIdOf, managedContainers, pollUntil, type SlipwayProcess, startSlipwayProcess, tempDataDir } from "../helpers/slipway-process.ts";

const IMAGE = "slipway-test/node-sdk:latest";
const VALUE = "allowed-CANARY-31f0";
const sha = (v: string) => createHash("sha256").update(v).digest("hex");

async function whySkip(): Promise<string | undefined> {
  const d = await dockerAvailable();
  if (d) return d;
  if (process.getuid?.() !== 0) return "not running as root: 169.254.170.2 cannot be set up";
  return undefined;
}
const skip = await whySkip();
if (skip) console.log(`# skipping the task-role IAM e2e: ${skip}`);

interface AppReport {
  errors: string[];
  identity?: { Arn: string };
  parameters?: Record<string, string>;
  taskArn?: string;
}

describe("a task role scoped to one parameter (real Docker, 169.254.170.2, IAM enforcement)", { skip, timeout: 300_000 }, () => {
  let dataDir = "";
  let s: SlipwayProcess | undefined;
  let endpointUp = false;
  let clients: { ecs: ecs.ECSClient; iam: iam.IAMClient; ssm: ssm.SSMClient };
  const CLUSTER = `iam-role-${process.pid}`;

  before(async () => {
    await ensureTestImages();
    dataDir = tempDataDir("slipway-iam-role-");
    s = await startSlipwayProcess({ dataDir, taskEndpoint: "auto", env: { SLIPWAY_ENFORCE_IAM: "true" } });
    endpointUp = s.output().includes("task endpoint on http://169.254.170.2:80");
    const common = { region: "us-east-1", endpoint: s.url, credentials: { accessKeyId: "test", secretAccessKey: "test" }, maxAttempts: 1 };
    clients = { ecs: new ecs.ECSClient(common), iam: new iam.IAMClient(common), ssm: new ssm.SSMClient(common) };
  });

  after(async () => {
    for (const c of Object.values(clients ?? {})) c.destroy();
    await s?.kill("SIGTERM");
    if (dataDir) await cleanDataDir(dataDir);
  });

  test("the app reads its parameter and is denied the other one", async (t) => {
    if (!endpointUp) return t.skip(`the task endpoint did not come up:\n${s!.output()}`);
    const trust = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" }] });
    const role = (await clients.iam.send(new iam.CreateRoleCommand({ RoleName: "param-reader", AssumeRolePolicyDocument: trust }))).Role!;
    await clients.iam.send(
      new iam.PutRolePolicyCommand({
        RoleName: "param-reader",
        PolicyName: "one-parameter",
        PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "ssm:GetParameter", Resource: "arn:aws:ssm:us-east-1:000000000000:parameter/app/allowed" }] }),
      }),
    );
    await clients.ssm.send(new ssm.PutParameterCommand({ Name: "/app/allowed", Value: VALUE, Type: "String" }));
    await clients.ssm.send(new ssm.PutParameterCommand({ Name: "/app/other", Value: "other", Type: "String" }));
    await clients.ecs.send(new ecs.CreateClusterCommand({ clusterName: CLUSTER }));
    const td = await clients.ecs.send(
      new ecs.RegisterTaskDefinitionCommand({
        family: "param-app",
        requiresCompatibilities: ["FARGATE"],
        networkMode: "awsvpc",
        cpu: "256",
        memory: "512",
        taskRoleArn: role.Arn,
        containerDefinitions: [{ name: "app", image: IMAGE, essential: true, environment: [{ name: "PARAMETER_NAMES", value: "/app/allowed,/app/other" }] }],
      }),
    );
    const run = await clients.ecs.send(
      new ecs.RunTaskCommand({
        cluster: CLUSTER,
        taskDefinition: td.taskDefinition!.taskDefinitionArn,
        launchType: "FARGATE",
        networkConfiguration: { awsvpcConfiguration: { subnets: ["subnet-0123456789abcdef0"], assignPublicIp: "DISABLED" } },
      }),
    );
    const taskArn = run.tasks![0]!.taskArn!;
    const taskId = taskArn.split("/").pop()!;
    const report = await pollUntil(
      async () => {
        const rows = await managedContainers(instanceIdOf(dataDir), [`label=slipway.task-arn=${taskArn}`]);
        if (!rows[0]) return undefined;
        const line = (await docker(["logs", rows[0].id])).split("\n").find((l) => l.startsWith("SLIPWAY-APP "));
        return line ? (JSON.parse(line.slice("SLIPWAY-APP ".length)) as AppReport) : undefined;
      },
      { timeoutMs: 90_000, intervalMs: 250, what: `the app's report from ${taskArn}` },
    );
    assert.equal(report.identity?.Arn, `arn:aws:sts::000000000000:assumed-role/param-reader/${taskId}`);
    assert.deepEqual(report.parameters, { "/app/allowed": sha(VALUE) });
    assert.deepEqual(report.errors, [
      `ssm /app/other: AccessDeniedException: User: arn:aws:sts::000000000000:assumed-role/param-reader/${taskId} is not authorized to perform: ssm:GetParameter on resource: arn:aws:ssm:us-east-1:000000000000:parameter/app/other because no identity-based policy allows the ssm:GetParameter action`,
    ]);
    await clients.ecs.send(new ecs.StopTaskCommand({ cluster: CLUSTER, task: taskArn }));
  });
});
