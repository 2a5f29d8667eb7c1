/**
 * IAM enforcement through real clients (@aws-sdk over a socket, the AWS CLI) against startSlipway
 * with strict SigV4 (which turns enforcement on) on FakeRuntime: an IAM user's key, a role session
 * and the account's root; denials in each protocol's form with AWS's text; iam:PassRole.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import * as ec2 from "@aws-sdk/client-ec2";
import * as ecr from "@aws-sdk/client-ecr";
import * as ecs from "@aws-sdk/client-ecs";
import * as iam from "@aws-sdk/client-iam";
import * as kms from "@aws-sdk/client-kms";
import * as sm from "@aws-sdk/client-secrets-manager";
import * as sts from "@aws-sdk/client-sts";
import { ManualClock } from "../../src/core/clock.ts";
import { seededIds } from "../../src/core/ids.ts";
import { FakeRuntime } from "../../src/runtime/fake-runtime.ts";
import { type Slipway, startSlipway } from "../../src/server/slipway.ts";
import { awsCliAs, awsCliSkip } from "../helpers/aws-cli.ts";
import { expectError } from "../helpers/errors.ts";

const ACCOUNT = "000000000000";
const ROOT = { accessKeyId: "AKIDROOTEXAMPLE00001", secretAccessKey: "root-secret-key-for-enforcement-tests00" };
type Creds = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };

let s: Slipway;
let dir: string;
const region = "us-east-1";
const clients = (credentials: Creds) => {
  const cfg = { region, endpoint: s.url, credentials, maxAttempts: 1 };
  return { iam: new iam.IAMClient(cfg), sts: new sts.STSClient(cfg), ecs: new ecs.ECSClient(cfg), ecr: new ecr.ECRClient(cfg), ec2: new ec2.EC2Client(cfg), sm: new sm.SecretsManagerClient(cfg) };
};
let root: ReturnType<typeof clients>;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "slipway-iam-enf-"));
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  s = await startSlipway({
    port: 0,
    dataDir: dir,
    runtime: new FakeRuntime({ clock }),
    clock,
    ids: seededIds("enforce"),
    strictAuth: true,
    credentials: [{ ...ROOT, accountId: ACCOUNT }],
    log: () => {},
  });
  root = clients(ROOT);
  await root.ecs.send(new ecs.CreateClusterCommand({ clusterName: "prod" }));
  const td = await root.ecs.send(new ecs.RegisterTaskDefinitionCommand({ family: "web", containerDefinitions: [{ name: "web", image: "web:1", memory: 64 }] }));
  for (const name of ["web", "api"]) {
    await root.ecs.send(new ecs.CreateServiceCommand({ cluster: "prod", serviceName: name, taskDefinition: td.taskDefinition!.taskDefinitionArn, desiredCount: 0 }));
  }
});

after(async () => {
  await s.close();
  rmSync(dir, { recursive: true, force: true });
});

async function userWithKey(name: string, policies: string[] = []): Promise<Creds> {
  await root.iam.send(new iam.CreateUserCommand({ UserName: name }));
  for (const arn of policies) await root.iam.send(new iam.AttachUserPolicyCommand({ UserName: name, PolicyArn: arn }));
  const k = (await root.iam.send(new iam.CreateAccessKeyCommand({ UserName: name }))).AccessKey!;
  return { accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey! };
}

const svc = (name: string) => `arn:aws:ecs:${region}:${ACCOUNT}:service/prod/${name}`;

describe("IAM enforcement", () => {
  test("a user with only AmazonEC2ContainerRegistryReadOnly: ECR reads pass, UpdateService is denied with AWS's text; a policy on one service allows it; an explicit Deny beats a wildcard Allow", async () => {
    const creds = await userWithKey("reader", ["arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"]);
    const me = clients(creds);
    const userArn = `arn:aws:iam::${ACCOUNT}:user/reader`;
    await me.ecr.send(new ecr.GetAuthorizationTokenCommand({}));
    await me.ecr.send(new ecr.DescribeRepositoriesCommand({}));
    assert.equal((await me.sts.send(new sts.GetCallerIdentityCommand({}))).Arn, userArn);
    await expectError(
      me.ecr.send(new ecr.CreateRepositoryCommand({ repositoryName: "nope" })),
      "AccessDeniedException",
      `User: ${userArn} is not authorized to perform: ecr:CreateRepository on resource: arn:aws:ecr:${region}:${ACCOUNT}:repository/nope because no identity-based policy allows the ecr:CreateRepository action`,
    );
    await expectError(
      me.ecs.send(new ecs.UpdateServiceCommand({ cluster: "prod", service: "web", desiredCount: 1 })),
      "AccessDeniedException",
      `User: ${userArn} is not authorized to perform: ecs:UpdateService on resource: ${svc("web")} because no identity-based policy allows the ecs:UpdateService action`,
    );

    await root.iam.send(
      new iam.PutUserPolicyCommand({
        UserName: "reader",
        PolicyName: "update-web",
        PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "ecs:UpdateService", Resource: svc("web") }] }),
      }),
    );
    await me.ecs.send(new ecs.UpdateServiceCommand({ cluster: "prod", service: "web", desiredCount: 1 }));
    await me.ecs.send(new ecs.UpdateServiceCommand({ cluster: `arn:aws:ecs:${region}:${ACCOUNT}:cluster/prod`, service: svc("web"), desiredCount: 0 }));
    await expectError(
      me.ecs.send(new ecs.UpdateServiceCommand({ cluster: "prod", service: "api", desiredCount: 1 })),
      "AccessDeniedException",
      `User: ${userArn} is not authorized to perform: ecs:UpdateService on resource: ${svc("api")} because no identity-based policy allows the ecs:UpdateService action`,
    );

    const denyArn = (
      await root.iam.send(
        new iam.CreatePolicyCommand({
          PolicyName: "NoWebChanges",
          PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Deny", Action: "ecs:Update*", Resource: svc("web") }] }),
        }),
      )
    ).Policy!.Arn!;
    await root.iam.send(new iam.AttachUserPolicyCommand({ UserName: "reader", PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess" }));
    await me.ecs.send(new ecs.UpdateServiceCommand({ cluster: "prod", service: "api", desiredCount: 0 }));
    await root.iam.send(new iam.AttachUserPolicyCommand({ UserName: "reader", PolicyArn: denyArn }));
    await expectError(
      me.ecs.send(new ecs.UpdateServiceCommand({ cluster: "prod", service: "web", desiredCount: 1 })),
      "AccessDeniedException",
      `User: ${userArn} is not authorized to perform: ecs:UpdateService on resource: ${svc("web")} with an explicit deny in an identity-based policy: ${denyArn}`,
    );
    // Root is never restricted by identity policies.
    await root.ecs.send(new ecs.UpdateServiceCommand({ cluster: "prod", service: "web", desiredCount: 0 }));
  });

  test("the AWS CLI shows AWS's AccessDenied message", { skip: awsCliSkip("the CLI denial check") }, async () => {
    const creds = await userWithKey("cli-user", ["arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"]);
    const r = await awsCliAs(s.url, creds, "ecs", "update-service", "--cluster", "prod", "--service", "web", "--desired-count", "1");
    assert.notEqual(r.code, 0);
    assert.match(
      r.stderr,
      new RegExp(
        `An error occurred \\(AccessDeniedException\\) when calling the UpdateService operation: User: arn:aws:iam::${ACCOUNT}:user/cli-user is not authorized to perform: ecs:UpdateService on resource: ${svc("web").replaceAll("/", "\\/")} because no identity-based policy allows the ecs:UpdateService action`,
      ),
    );
    const q = await awsCliAs(s.url, creds, "iam", "list-users");
    assert.match(q.stderr, /An error occurred \(AccessDenied\) when calling the ListUsers operation: User: arn:aws:iam::000000000000:user\/cli-user is not authorized to perform: iam:ListUsers on resource: \* because no identity-based policy allows the iam:ListUsers action/);
  });

  test("EC2 answers UnauthorizedOperation: no resource for Describe calls, an encoded message for changes", async () => {
    const creds = await userWithKey("netless");
    const me = clients(creds);
    await expectError(
      me.ec2.send(new ec2.DescribeVpcsCommand({})),
      "UnauthorizedOperation",
      `You are not authorized to perform this operation. User: arn:aws:iam::${ACCOUNT}:user/netless is not authorized to perform: ec2:DescribeVpcs because no identity-based policy allows the ec2:DescribeVpcs action`,
      403,
    );
    await assert.rejects(me.ec2.send(new ec2.CreateVpcCommand({ CidrBlock: "10.9.0.0/16" })), (err: Error) => {
      assert.equal(err.name, "UnauthorizedOperation");
      assert.match(err.message, /^You are not authorized to perform this operation\. User: arn:aws:iam::000000000000:user\/netless is not authorized to perform: ec2:CreateVpc on resource: arn:aws:ec2:us-east-1:000000000000:vpc\/\* because no identity-based policy allows the ec2:CreateVpc action\. Encoded authorization failure message: \S+$/);
      return true;
    });
  });

  test("iam:PassRole: registering a task definition that passes a role needs it", async () => {
    await root.iam.send(
      new iam.CreateRoleCommand({
        RoleName: "app-task",
        AssumeRolePolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" }] }),
      }),
    );
    const creds = await userWithKey("deployer", ["arn:aws:iam::aws:policy/AmazonECS_FullAccess"]);
    await root.iam.send(new iam.DetachUserPolicyCommand({ UserName: "deployer", PolicyArn: "arn:aws:iam::aws:policy/AmazonECS_FullAccess" }));
    await root.iam.send(
      new iam.PutUserPolicyCommand({
        UserName: "deployer",
        PolicyName: "ecs",
        PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "ecs:*", Resource: "*" }] }),
      }),
    );
    const me = clients(creds);
    const roleArn = `arn:aws:iam::${ACCOUNT}:role/app-task`;
    const input = { family: "app", taskRoleArn: roleArn, containerDefinitions: [{ name: "app", image: "web:1", memory: 64 }] };
    await expectError(
      me.ecs.send(new ecs.RegisterTaskDefinitionCommand(input)),
      "AccessDeniedException",
      `User: arn:aws:iam::${ACCOUNT}:user/deployer is not authorized to perform: iam:PassRole on resource: ${roleArn} because no identity-based policy allows the iam:PassRole action`,
    );
    await root.iam.send(
      new iam.PutUserPolicyCommand({
        UserName: "deployer",
        PolicyName: "pass",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: "iam:PassRole", Resource: roleArn, Condition: { StringEquals: { "iam:PassedToService": "ecs-tasks.amazonaws.com" } } }],
        }),
      }),
    );
    await me.ecs.send(new ecs.RegisterTaskDefinitionCommand(input));
  });

  test("Secrets Manager denials echo the SecretId as given; a resource policy naming the user grants on its own", async () => {
    const secret = await root.sm.send(new sm.CreateSecretCommand({ Name: "db", SecretString: "pw" }));
    const creds = await userWithKey("app");
    const me = clients(creds);
    await expectError(
      me.sm.send(new sm.GetSecretValueCommand({ SecretId: "db" })),
      "AccessDeniedException",
      `User: arn:aws:iam::${ACCOUNT}:user/app is not authorized to perform: secretsmanager:GetSecretValue on resource: db because no identity-based policy allows the secretsmanager:GetSecretValue action`,
    );
    await root.sm.send(
      new sm.PutResourcePolicyCommand({
        SecretId: "db",
        ResourcePolicy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:user/app` }, Action: "secretsmanager:GetSecretValue", Resource: "*" }],
        }),
      }),
    );
    assert.equal((await me.sm.send(new sm.GetSecretValueCommand({ SecretId: secret.ARN }))).SecretString, "pw");
  });

  test("a secret under a customer key needs kms:Decrypt through Secrets Manager: Secrets Manager's refusal", async () => {
    const kmsc = new kms.KMSClient({ region, endpoint: s.url, credentials: ROOT, maxAttempts: 1 });
    const key = (await kmsc.send(new kms.CreateKeyCommand({}))).KeyMetadata!;
    await root.sm.send(new sm.CreateSecretCommand({ Name: "cmk-secret", SecretString: "v", KmsKeyId: key.KeyId }));
    const creds = await userWithKey("cmk-reader");
    await root.iam.send(
      new iam.PutUserPolicyCommand({
        UserName: "cmk-reader",
        PolicyName: "read",
        PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: "*" }] }),
      }),
    );
    const me = clients(creds);
    await expectError(me.sm.send(new sm.GetSecretValueCommand({ SecretId: "cmk-secret" })), "AccessDeniedException", "Access to KMS is not allowed");
    await root.iam.send(
      new iam.PutUserPolicyCommand({
        UserName: "cmk-reader",
        PolicyName: "decrypt",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Action: "kms:Decrypt", Resource: key.Arn, Condition: { StringEquals: { "kms:ViaService": `secretsmanager.${region}.amazonaws.com` } } }],
        }),
      }),
    );
    assert.equal((await me.sm.send(new sm.GetSecretValueCommand({ SecretId: "cmk-secret" }))).SecretString, "v");
  });

  test("repository and secret policies are validated by the IAM grammar", async () => {
    await root.ecr.send(new ecr.CreateRepositoryCommand({ repositoryName: "validated" }));
    const bad = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "allow", Principal: "*", Action: "ecr:BatchGetImage" }] });
    await expectError(
      root.ecr.send(new ecr.SetRepositoryPolicyCommand({ repositoryName: "validated", policyText: bad })),
      "InvalidParameterException",
      "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid repository policy provided'",
    );
    const noPrincipal = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "ecr:BatchGetImage" }] });
    await expectError(root.ecr.send(new ecr.SetRepositoryPolicyCommand({ repositoryName: "validated", policyText: noPrincipal })), "InvalidParameterException");
    await root.sm.send(new sm.CreateSecretCommand({ Name: "validated", SecretString: "x" }));
    const vendor = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: ACCOUNT }, Action: "secretz:GetSecretValue", Resource: "*" }] });
    await expectError(root.sm.send(new sm.PutResourcePolicyCommand({ SecretId: "validated", ResourcePolicy: vendor })), "MalformedPolicyDocumentException", "Vendor secretz is not valid");
  });
});
