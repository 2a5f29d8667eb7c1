/**
 * Policy documents validated as IAM validates them, through the real IAMClient (in-process gateway):
 * every stage of the pipeline with IAM's MalformedPolicyDocument text, the size quotas, trust
 * policies (prohibited Resource, actions, principals that do not exist).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as iam from "@aws-sdk/client-iam";
import { createGateway } from "../../src/aws/gateway.ts";
import { ManualClock } from "../../src/core/clock.ts";
import { seededIds } from "../../src/core/ids.ts";
import { Iam, iamService } from "../../src/services/iam/index.ts";
import { Store } from "../../src/store/store.ts";
import { expectError } from "../helpers/errors.ts";
import { inProcess } from "../helpers/in-process.ts";

const ACCOUNT = "000000000000";

function client() {
  const domain = new Iam({ store: new Store(":memory:"), clock: new ManualClock(Date.UTC(2026, 0, 1)), ids: seededIds("val") });
  const gateway = createGateway({ services: [iamService(domain)], defaultAccountId: ACCOUNT, logger: { error: () => {} } });
  return new iam.IAMClient({ region: "us-east-1", endpoint: "http://localhost", credentials: { accessKeyId: "a", secretAccessKey: "b" }, requestHandler: inProcess(gateway), maxAttempts: 1 });
}

const doc = (statements: unknown, extra: Record<string, unknown> = { Version: "2012-10-17" }) => JSON.stringify({ ...extra, Statement: statements });
const ok = { Effect: "Allow", Action: "ecs:DescribeServices", Resource: "*" };

describe("policy validation (MalformedPolicyDocument)", () => {
  const c = client();
  const create = (PolicyDocument: string) => c.send(new iam.CreatePolicyCommand({ PolicyName: "p", PolicyDocument }));
  const cases: [string, string, string][] = [
    ["not JSON", "{", "Syntax errors in policy."],
    ["unknown top-level element", JSON.stringify({ Version: "2012-10-17", Statements: [ok] }), "Syntax errors in policy."],
    ["unknown statement element", doc([{ ...ok, Actions: "x" }]), "Syntax errors in policy."],
    ["Action and NotAction", doc([{ ...ok, NotAction: "ecs:*" }]), "Syntax errors in policy."],
    ["unknown condition operator", doc([{ ...ok, Condition: { StringEqualz: { "aws:username": "a" } } }]), "Syntax errors in policy."],
    ["no Version", doc([ok], {}), "Policy document must be version 2012-10-17 or greater."],
    ["Version 2008-10-17", doc([ok], { Version: "2008-10-17" }), "Policy document must be version 2012-10-17 or greater."],
    ["Effect in lower case", doc([{ ...ok, Effect: "allow" }]), "The policy failed legacy parsing"],
    ["a date that does not parse", doc([{ ...ok, Condition: { DateGreaterThan: { "aws:CurrentTime": "yesterday" } } }]), "The policy failed legacy parsing"],
    ["an ARN missing parts", doc([{ ...ok, Resource: "arn:aws:ecs" }]), "The policy failed legacy parsing"],
    ["duplicate Sids", doc([{ ...ok, Sid: "a" }, { ...ok, Sid: "a" }]), "Statement IDs (SID) in a single policy must be unique."],
    ["no actions", doc([{ ...ok, Action: [] }]), "Policy statement must contain actions."],
    ["a resource that is not an ARN", doc([{ ...ok, Resource: "my-bucket" }]), 'Resource my-bucket must be in ARN format or "*".'],
    ["a bad partition", doc([{ ...ok, Resource: "arn:aws-moon:ecs:us-east-1:000000000000:cluster/x" }]), 'Partition "aws-moon" is not valid for resource "arn:aws-moon:ecs:us-east-1:000000000000:cluster/x".'],
    ["a resource vendor with wildcards", doc([{ ...ok, Resource: "arn:aws:ec*:us-east-1:000000000000:cluster/x" }]), "Resource vendor must be fully qualified and cannot contain regexes."],
    ["an IAM ARN with a region", doc([{ ...ok, Resource: "arn:aws:iam:us-east-1:000000000000:role/x" }]), "IAM resource arn:aws:iam:us-east-1:000000000000:role/x cannot contain region information."],
    [
      "an IAM ARN of an unknown type",
      doc([{ ...ok, Resource: "arn:aws:iam::000000000000:rolez/x" }]),
      'IAM resource path must either be "*" or start with user/, federated-user/, role/, group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, oidc-provider/, report/, access-report/.',
    ],
    ["an action without a vendor", doc([{ ...ok, Action: "DescribeServices" }]), "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."],
    ["an action with two colons", doc([{ ...ok, Action: "ecs:Describe:Services" }]), "Actions/Condition can contain only one colon."],
    ["an unknown vendor", doc([{ ...ok, Action: "ecz:DescribeServices" }]), "Vendor ecz is not valid"],
    ["no Resource", doc([{ Effect: "Allow", Action: "ecs:*" }]), "Policy statement must contain resources."],
    ["a Principal", doc([{ ...ok, Principal: { AWS: "*" } }]), "Policy document should not specify a principal."],
  ];
  for (const [name, text, message] of cases) {
    test(name, async () => {
      await expectError(create(text), "MalformedPolicyDocumentException", message);
    });
  }

  test("inline policies and policy versions go through the same checks", async () => {
    await c.send(new iam.CreateUserCommand({ UserName: "u" }));
    await expectError(c.send(new iam.PutUserPolicyCommand({ UserName: "u", PolicyName: "p", PolicyDocument: doc([{ ...ok, Action: "ecz:X" }]) })), "MalformedPolicyDocumentException", "Vendor ecz is not valid");
    const arn = (await create(doc([ok]))).Policy!.Arn!;
    await expectError(c.send(new iam.CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: doc([{ ...ok, Effect: "Permit" }]) })), "MalformedPolicyDocumentException", "The policy failed legacy parsing");
  });

  test("size quotas: LimitExceeded", async () => {
    const big = doc([{ ...ok, Resource: Array.from({ length: 200 }, (_, i) => `arn:aws:ecs:us-east-1:000000000000:cluster/cluster-number-${i}`) }]);
    await expectError(c.send(new iam.CreatePolicyCommand({ PolicyName: "big", PolicyDocument: big })), "LimitExceededException", "Cannot exceed quota for PolicySize: 6144", 409);
    await c.send(new iam.CreateUserCommand({ UserName: "v" }));
    await expectError(c.send(new iam.PutUserPolicyCommand({ UserName: "v", PolicyName: "big", PolicyDocument: big })), "LimitExceededException", "Cannot exceed quota for UserPolicySize: 2048", 409);
  });
});

describe("trust policies", () => {
  const c = client();
  const role = (RoleName: string, statement: unknown) => c.send(new iam.CreateRoleCommand({ RoleName, AssumeRolePolicyDocument: doc([statement]) }));
  const trust = { Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" };

  test("Resource is prohibited; only role-assumption actions; principals must exist", async () => {
    await expectError(role("r1", { ...trust, Resource: "*" }), "MalformedPolicyDocumentException", "Has prohibited field Resource.");
    await expectError(
      role("r2", { ...trust, Action: "ecs:RunTask" }),
      "MalformedPolicyDocumentException",
      "Trust Policy statement actions can only be sts:AssumeRole, sts:AssumeRoleWithSAML,  and sts:AssumeRoleWithWebIdentity",
    );
    await expectError(
      role("r3", { ...trust, Principal: { AWS: `arn:aws:iam::${ACCOUNT}:role/missing` } }),
      "MalformedPolicyDocumentException",
      `Invalid principal in policy: "AWS":"arn:aws:iam::${ACCOUNT}:role/missing"`,
    );
    await expectError(
      role("r4", { ...trust, Principal: { AWS: `arn:aws:iam::${ACCOUNT}:user/nobody` } }),
      "MalformedPolicyDocumentException",
      `Invalid principal in policy: "AWS":"arn:aws:iam::${ACCOUNT}:user/nobody"`,
    );
    await expectError(
      role("r5", { ...trust, Principal: { Federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com` }, Action: "sts:AssumeRoleWithWebIdentity" }),
      "MalformedPolicyDocumentException",
      `Invalid principal in policy: "Federated":"arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com"`,
    );
    await expectError(role("r6", { ...trust, Principal: "*" }), "MalformedPolicyDocumentException", 'AssumeRolepolicy contained an invalid principal: "STAR":"*".');
    await expectError(
      c.send(new iam.CreateRoleCommand({ RoleName: "r7", AssumeRolePolicyDocument: doc([{ ...trust, Principal: { AWS: Array.from({ length: 60 }, () => `arn:aws:iam::${ACCOUNT}:root`) } }]) })),
      "LimitExceededException",
      "Cannot exceed quota for ACLSizePerRole: 2048",
      409,
    );
    await c.send(new iam.CreateUserCommand({ UserName: "alice" }));
    await role("ok", { ...trust, Principal: { AWS: [`arn:aws:iam::${ACCOUNT}:user/alice`, ACCOUNT, `arn:aws:iam::${ACCOUNT}:root`] } });
  });
});

describe("the policy simulator", () => {
  const c = client();
  const allowUpdateWeb = JSON.stringify(
    {
      Version: "2012-10-17",
      Statement: [
        { Sid: "Web", Effect: "Allow", Action: "ecs:UpdateService", Resource: "arn:aws:ecs:us-east-1:000000000000:service/prod/web" },
        { Sid: "Region", Effect: "Allow", Action: "ecs:Describe*", Resource: "*", Condition: { StringEquals: { "aws:RequestedRegion": "us-east-1" } } },
      ],
    },
    null,
    2,
  );

  test("SimulatePrincipalPolicy: allowed, implicit and explicit denies, matched statements with positions, missing context values", async () => {
    await c.send(new iam.CreateUserCommand({ UserName: "sim" }));
    await c.send(new iam.PutUserPolicyCommand({ UserName: "sim", PolicyName: "web", PolicyDocument: allowUpdateWeb }));
    const out = await c.send(
      new iam.SimulatePrincipalPolicyCommand({
        PolicySourceArn: `arn:aws:iam::${ACCOUNT}:user/sim`,
        ActionNames: ["ecs:UpdateService", "ecs:DeleteService"],
        ResourceArns: ["arn:aws:ecs:us-east-1:000000000000:service/prod/web", "arn:aws:ecs:us-east-1:000000000000:service/prod/api"],
      }),
    );
    const r = out.EvaluationResults!.map((e) => [e.EvalActionName, e.EvalResourceName, e.EvalDecision]);
    assert.deepEqual(r, [
      ["ecs:UpdateService", "arn:aws:ecs:us-east-1:000000000000:service/prod/web", "allowed"],
      ["ecs:UpdateService", "arn:aws:ecs:us-east-1:000000000000:service/prod/api", "implicitDeny"],
      ["ecs:DeleteService", "arn:aws:ecs:us-east-1:000000000000:service/prod/web", "implicitDeny"],
      ["ecs:DeleteService", "arn:aws:ecs:us-east-1:000000000000:service/prod/api", "implicitDeny"],
    ]);
    assert.deepEqual(out.EvaluationResults![0]!.MatchedStatements, [
      { SourcePolicyId: "web", SourcePolicyType: "user", StartPosition: { Line: 4, Column: 5 }, EndPosition: { Line: 9, Column: 6 } },
    ]);
    assert.deepEqual(out.EvaluationResults![1]!.MatchedStatements, []);

    const deny = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Deny", Action: "ecs:*", Resource: "*" }] });
    const withDeny = await c.send(
      new iam.SimulatePrincipalPolicyCommand({ PolicySourceArn: `arn:aws:iam::${ACCOUNT}:user/sim`, ActionNames: ["ecs:UpdateService"], ResourceArns: ["arn:aws:ecs:us-east-1:000000000000:service/prod/web"], PolicyInputList: [deny] }),
    );
    assert.equal(withDeny.EvaluationResults![0]!.EvalDecision, "explicitDeny");
    assert.deepEqual(withDeny.EvaluationResults![0]!.MatchedStatements!.map((m) => [m.SourcePolicyId, m.SourcePolicyType]), [["PolicyInputList.1", "IAM Policy"]]);

    const missing = await c.send(new iam.SimulatePrincipalPolicyCommand({ PolicySourceArn: `arn:aws:iam::${ACCOUNT}:user/sim`, ActionNames: ["ecs:DescribeServices"] }));
    assert.equal(missing.EvaluationResults![0]!.EvalDecision, "implicitDeny");
    assert.deepEqual(missing.EvaluationResults![0]!.MissingContextValues, ["aws:RequestedRegion"]);
    const given = await c.send(
      new iam.SimulatePrincipalPolicyCommand({
        PolicySourceArn: `arn:aws:iam::${ACCOUNT}:user/sim`,
        ActionNames: ["ecs:DescribeServices"],
        ContextEntries: [{ ContextKeyName: "aws:RequestedRegion", ContextKeyValues: ["us-east-1"], ContextKeyType: "string" }],
      }),
    );
    assert.equal(given.EvaluationResults![0]!.EvalDecision, "allowed");
    assert.deepEqual((await c.send(new iam.GetContextKeysForPrincipalPolicyCommand({ PolicySourceArn: `arn:aws:iam::${ACCOUNT}:user/sim` }))).ContextKeyNames, ["aws:RequestedRegion"]);
    await expectError(c.send(new iam.SimulatePrincipalPolicyCommand({ PolicySourceArn: `arn:aws:iam::${ACCOUNT}:user/nobody`, ActionNames: ["ecs:ListClusters"] })), "NoSuchEntityException", "The user with name nobody cannot be found.", 404);
  });

  test("SimulateCustomPolicy with a resource policy and a permissions boundary", async () => {
    const admin = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] });
    const boundary = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "ecr:*", Resource: "*" }] });
    const out = await c.send(
      new iam.SimulateCustomPolicyCommand({ PolicyInputList: [admin], PermissionsBoundaryPolicyInputList: [boundary], ActionNames: ["ecr:BatchGetImage", "ecs:RunTask"] }),
    );
    assert.deepEqual(
      out.EvaluationResults!.map((e) => [e.EvalActionName, e.EvalDecision, e.PermissionsBoundaryDecisionDetail?.AllowedByPermissionsBoundary]),
      [
        ["ecr:BatchGetImage", "allowed", true],
        ["ecs:RunTask", "implicitDeny", false],
      ],
    );
    const repoPolicy = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Deny", Principal: "*", Action: "ecr:*" }] });
    const withResource = await c.send(
      new iam.SimulateCustomPolicyCommand({ PolicyInputList: [admin], ActionNames: ["ecr:BatchGetImage"], ResourcePolicy: repoPolicy, CallerArn: `arn:aws:iam::${ACCOUNT}:user/x`, ResourceArns: ["arn:aws:ecr:us-east-1:000000000000:repository/app"] }),
    );
    assert.deepEqual(withResource.EvaluationResults!.map((e) => [e.EvalDecision, e.MatchedStatements!.map((m) => m.SourcePolicyType)]), [["explicitDeny", ["resource"]]]);
    await expectError(c.send(new iam.SimulateCustomPolicyCommand({ PolicyInputList: ["{"], ActionNames: ["ecr:BatchGetImage"] })), "MalformedPolicyDocumentException", "Syntax errors in policy.");
  });
});
