/**
 * The ECS agent's permission checks at task start under IAM enforcement, on the in-process harness
 * (FakeRuntime, ManualClock) with the real IAM, Secrets Manager, SSM and ECS behind them: an
 * execution role without secretsmanager:GetSecretValue stops the task with ECS's text and the
 * next task starts once the policy is fixed; a role whose trust does not allow ecs-tasks; awslogs
 * stream creation; SSM parameters.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import * as iam from "@aws-sdk/client-iam";
import * as sm from "@aws-sdk/client-secrets-manager";
import * as ssm from "@aws-sdk/client-ssm";
import { type Harness, harness, webContainer } from "../helpers/harness.ts";

const ACCOUNT = "000000000000";
const creds = { accessKeyId: "test", secretAccessKey: "test" };
const TRUST = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" }] });
const EXEC_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy";

describe("task start under IAM enforcement", () => {
  let h: Harness;
  let c: { iam: iam.IAMClient; sm: sm.SecretsManagerClient; ssm: ssm.SSMClient };
  let execArn: string;

  before(async () => {
    h = await harness({ slipway: { enforceIam: true } });
    const common = { region: "us-east-1", endpoint: h.s.url, credentials: creds, maxAttempts: 1 };
    c = { iam: new iam.IAMClient(common), sm: new sm.SecretsManagerClient(common), ssm: new ssm.SSMClient(common) };
    execArn = (await c.iam.send(new iam.CreateRoleCommand({ RoleName: "exec", AssumeRolePolicyDocument: TRUST }))).Role!.Arn!;
    await c.iam.send(new iam.AttachRolePolicyCommand({ RoleName: "exec", PolicyArn: EXEC_POLICY }));
  });
  after(async () => {
    for (const x of Object.values(c)) x.destroy();
    await h.close();
  });

  const lastStopped = (name: string) => h.tasks(name).filter((t) => t.lastStatus === "STOPPED" || t.desiredStatus === "STOPPED").at(-1);

  test("an execution role without secretsmanager:GetSecretValue stops the task with ECS's text; after the fix the next task starts", async () => {
    const secretArn = (await c.sm.send(new sm.CreateSecretCommand({ Name: "prod/db", SecretString: "pw" }))).ARN!;
    const td = h.registerTd({ family: "sec", executionRoleArn: execArn, containerDefinitions: [webContainer({ secrets: [{ name: "DB", valueFrom: secretArn }] })] });
    h.createService({ serviceName: "sec", taskDefinition: td });
    assert.ok(await h.until(() => lastStopped("sec") !== undefined));
    const t = lastStopped("sec")!;
    assert.equal(t.stopCode, "TaskFailedToStart");
    const taskId = t.taskArn!.split("/").pop()!;
    assert.match(
      t.stoppedReason!,
      new RegExp(
        `^ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secret from asm: service call has been retried 1 time\\(s\\): failed to fetch secret ${escapeRe(secretArn)} from secrets manager: operation error Secrets Manager: GetSecretValue, https response error StatusCode: 400, RequestID: [0-9a-f-]{36}, api error AccessDeniedException: User: arn:aws:sts::${ACCOUNT}:assumed-role/exec/${taskId} is not authorized to perform: secretsmanager:GetSecretValue on resource: ${escapeRe(secretArn)} because no identity-based policy allows the secretsmanager:GetSecretValue action\\.$`,
      ),
    );
    await c.iam.send(
      new iam.PutRolePolicyCommand({
        RoleName: "exec",
        PolicyName: "secrets",
        PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["secretsmanager:GetSecretValue", "ssm:GetParameters"], Resource: [secretArn, `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/app/*`] }] }),
      }),
    );
    assert.ok(await h.until(() => h.tasks("sec").some((x) => x.lastStatus === "RUNNING")));
  });

  test("SSM parameters outside the execution role's grant; awslogs without logs:CreateLogStream; a role ECS cannot assume", async () => {
    await c.ssm.send(new ssm.PutParameterCommand({ Name: "/other/key", Value: "v", Type: "String" }));
    const td = h.registerTd({ family: "par", executionRoleArn: execArn, containerDefinitions: [webContainer({ secrets: [{ name: "K", valueFrom: "/other/key" }] })] });
    h.createService({ serviceName: "par", taskDefinition: td });
    assert.ok(await h.until(() => lastStopped("par") !== undefined));
    assert.match(
      lastStopped("par")!.stoppedReason!,
      /^ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: unable to retrieve secrets from ssm: service call has been retried 1 time\(s\): operation error SSM: GetParameters, https response error StatusCode: 400, RequestID: \S+, api error AccessDeniedException: User: arn:aws:sts::000000000000:assumed-role\/exec\/\w+ is not authorized to perform: ssm:GetParameters on resource: arn:aws:ssm:us-east-1:000000000000:parameter\/other\/key because no identity-based policy allows the ssm:GetParameters action$/,
    );

    await c.iam.send(new iam.CreateRoleCommand({ RoleName: "bare", AssumeRolePolicyDocument: TRUST }));
    const bare = `arn:aws:iam::${ACCOUNT}:role/bare`;
    const logTd = h.registerTd({
      family: "logs",
      executionRoleArn: bare,
      containerDefinitions: [webContainer({ logConfiguration: { logDriver: "awslogs", options: { "awslogs-group": "/app", "awslogs-stream-prefix": "web", "awslogs-create-group": "true" } } })],
    });
    h.createService({ serviceName: "logs", taskDefinition: logTd });
    assert.ok(await h.until(() => lastStopped("logs") !== undefined));
    assert.match(
      lastStopped("logs")!.stoppedReason!,
      /^ResourceInitializationError: failed to validate logger args: failed to create Cloudwatch log group: operation error CloudWatch Logs: CreateLogGroup, https response error StatusCode: 400, RequestID: \S+, api error AccessDeniedException: User: arn:aws:sts::000000000000:assumed-role\/bare\/\w+ is not authorized to perform: logs:CreateLogGroup on resource: arn:aws:logs:us-east-1:000000000000:log-group:\/app because no identity-based policy allows the logs:CreateLogGroup action$/,
    );

    await c.iam.send(
      new iam.CreateRoleCommand({
        RoleName: "wrong-trust",
        AssumeRolePolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }] }),
      }),
    );
    const wrong = `arn:aws:iam::${ACCOUNT}:role/wrong-trust`;
    const trustTd = h.registerTd({ family: "trust", taskRoleArn: wrong, containerDefinitions: [webContainer()] });
    h.createService({ serviceName: "trust", taskDefinition: trustTd });
    assert.ok(await h.until(() => lastStopped("trust") !== undefined));
    assert.equal(
      lastStopped("trust")!.stoppedReason,
      `ECS was unable to assume the role '${wrong}' that was provided for this task. Please verify that the role being passed has the proper trust relationship and permissions and that your IAM user has permissions to pass this role.`,
    );
  });
});

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}
