/**
 * IAM and STS through the real IAMClient/STSClient (in-process gateway, one socket test for the AWS
 * CLI): every operation and error, Terraform's role + policy + attachment create/read/destroy
 * sequence, and strict SigV4 with keys made by CreateAccessKey and AssumeRole.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as iam from "@aws-sdk/client-iam";
import * as sts from "@aws-sdk/client-sts";
import { createGateway } from "../../src/aws/gateway.ts";
import { ManualClock } from "../../src/core/clock.ts";
import { seededIds } from "../../src/core/ids.ts";
import { Iam, iamService } from "../../src/services/iam/index.ts";
import { stsService } from "../../src/services/sts/index.ts";
import { Store } from "../../src/store/store.ts";
import { awsCli, awsCliSkip } from "../helpers/aws-cli.ts";
import { inProcess, startGatewayServer } from "../helpers/in-process.ts";
import { recordingLogger, sequentialIds } from "./fixtures.ts";
import { expectError } from "../helpers/errors.ts";

const ACCOUNT = "123456789012";
const STATIC = { accessKeyId: "AKIDSTATIC", secretAccessKey: "static-secret" };
const endpoint = "http://127.0.0.1:1";
const TRUST = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" }],
});
const POLICY = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }] });
const EXEC_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy";

function setup(opts: { strict?: boolean } = {}) {
  const store = new Store(":memory:");
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const domain = new Iam({ store, clock, ids: seededIds("iam-test") });
  const logger = recordingLogger();
  const gateway = createGateway({
    services: [iamService(domain), stsService(domain)],
    defaultAccountId: ACCOUNT,
    strictAuth: opts.strict ?? false,
    lookupSecret: (id) => (id === STATIC.accessKeyId ? { secretAccessKey: STATIC.secretAccessKey, accountId: ACCOUNT } : domain.lookupSecret(id)),
    logger,
    ids: sequentialIds(),
  });
  const handler = inProcess(gateway);
  type Creds = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  const iamClient = (credentials: Creds = STATIC) =>
    new iam.IAMClient({ region: "us-east-1", endpoint, credentials, requestHandler: handler, maxAttempts: 1 });
  const stsClient = (credentials: Creds = STATIC) =>
    new sts.STSClient({ region: "us-east-1", endpoint, credentials, requestHandler: handler, maxAttempts: 1 });
  return { store, clock, domain, gateway, logger, iam: iamClient(), sts: stsClient(), iamClient, stsClient };
}

/** Asserts an SDK rejection: the error name (awsQuery code), HTTP status and, optionally, the message. */

const decode = (s: string | undefined) => JSON.parse(decodeURIComponent(s ?? ""));

describe("IAM roles", () => {
  test("CreateRole / GetRole: ids, ARN, URL-encoded trust policy, defaults, tags, RoleLastUsed", async () => {
    const { iam: c } = setup();
    const created = await c.send(
      new iam.CreateRoleCommand({
        RoleName: "ecsTaskExecutionRole",
        AssumeRolePolicyDocument: TRUST,
        Description: "exec",
        Tags: [{ Key: "app", Value: "web" }],
      }),
    );
    const role = created.Role!;
    assert.match(role.RoleId!, /^AROA[A-Z2-7]{17}$/);
    assert.equal(role.Arn, `arn:aws:iam::${ACCOUNT}:role/ecsTaskExecutionRole`);
    assert.equal(role.Path, "/");
    assert.equal(role.MaxSessionDuration, 3600);
    assert.equal(role.Description, "exec");
    assert.deepEqual(role.CreateDate, new Date(Date.UTC(2026, 0, 1)));
    assert.equal(role.AssumeRolePolicyDocument, encodeURIComponent(TRUST));
    assert.deepEqual(role.Tags, [{ Key: "app", Value: "web" }]);

    const got = (await c.send(new iam.GetRoleCommand({ RoleName: "ecsTaskExecutionRole" }))).Role!;
    assert.equal(got.RoleId, role.RoleId);
    assert.deepEqual(decode(got.AssumeRolePolicyDocument), JSON.parse(TRUST));
    assert.deepEqual(got.Tags, [{ Key: "app", Value: "web" }]);
    assert.deepEqual(got.RoleLastUsed, {});
    // Names are case-insensitive, as in AWS.
    assert.equal((await c.send(new iam.GetRoleCommand({ RoleName: "ECSTASKEXECUTIONROLE" }))).Role!.RoleName, "ecsTaskExecutionRole");
  });

  test("CreateRole errors: EntityAlreadyExists 409, MalformedPolicyDocument 400, ValidationError 400", async () => {
    const { iam: c } = setup();
    await c.send(new iam.CreateRoleCommand({ RoleName: "r", AssumeRolePolicyDocument: TRUST }));
    await expectError(c.send(new iam.CreateRoleCommand({ RoleName: "R", AssumeRolePolicyDocument: TRUST })), "EntityAlreadyExistsException", "Role with name R already exists.", 409);
    await expectError(c.send(new iam.CreateRoleCommand({ RoleName: "bad", AssumeRolePolicyDocument: "{not json" })), "MalformedPolicyDocumentException", "This policy contains invalid Json");
    await expectError(c.send(new iam.CreateRoleCommand({ RoleName: "bad name!", AssumeRolePolicyDocument: TRUST })), "ValidationError", /roleName/);
    await expectError(c.send(new iam.CreateRoleCommand({ RoleName: "p", Path: "no-slash", AssumeRolePolicyDocument: TRUST })), "ValidationError", /path is invalid/);
    await expectError(c.send(new iam.CreateRoleCommand({ RoleName: "m", MaxSessionDuration: 60, AssumeRolePolicyDocument: TRUST })), "ValidationError", /maxSessionDuration/);
    // Model validation: a required member is missing.
    await expectError(c.send(new iam.CreateRoleCommand({ RoleName: "x" } as iam.CreateRoleCommandInput)), "ValidationError", /assumeRolePolicyDocument|AssumeRolePolicyDocument/);
  });

  test("GetRole of an unknown role: NoSuchEntity 404 with AWS's message", async () => {
    const { iam: c } = setup();
    await expectError(c.send(new iam.GetRoleCommand({ RoleName: "nope" })), "NoSuchEntityException", "The role with name nope cannot be found.", 404);
  });

  test("ListRoles: PathPrefix, MaxItems/Marker/IsTruncated", async () => {
    const { iam: c } = setup();
    for (const n of ["a", "b", "c"]) await c.send(new iam.CreateRoleCommand({ RoleName: n, AssumeRolePolicyDocument: TRUST }));
    await c.send(new iam.CreateRoleCommand({ RoleName: "svc", Path: "/service-role/", AssumeRolePolicyDocument: TRUST }));
    const first = await c.send(new iam.ListRolesCommand({ MaxItems: 2 }));
    assert.deepEqual(first.Roles!.map((r) => r.RoleName), ["a", "b"]);
    assert.equal(first.IsTruncated, true);
    const second = await c.send(new iam.ListRolesCommand({ MaxItems: 2, Marker: first.Marker }));
    assert.deepEqual(second.Roles!.map((r) => r.RoleName), ["c", "svc"]);
    assert.equal(second.IsTruncated, false);
    assert.equal(second.Marker, undefined);
    const prefixed = await c.send(new iam.ListRolesCommand({ PathPrefix: "/service-role/" }));
    assert.deepEqual(prefixed.Roles!.map((r) => r.Arn), [`arn:aws:iam::${ACCOUNT}:role/service-role/svc`]);
    // The paginator walks every page.
    const names: string[] = [];
    for await (const p of iam.paginateListRoles({ client: c, pageSize: 1 }, {})) names.push(...p.Roles!.map((r) => r.RoleName!));
    assert.deepEqual(names, ["a", "b", "c", "svc"]);
  });

  test("UpdateRole, UpdateRoleDescription, UpdateAssumeRolePolicy", async () => {
    const { iam: c } = setup();
    await c.send(new iam.CreateRoleCommand({ RoleName: "r", AssumeRolePolicyDocument: TRUST }));
    await c.send(new iam.UpdateRoleCommand({ RoleName: "r", Description: "d1", MaxSessionDuration: 7200 }));
    let role = (await c.send(new iam.GetRoleCommand({ RoleName: "r" }))).Role!;
    assert.equal(role.Description, "d1");
    assert.equal(role.MaxSessionDuration, 7200);
    const updated = await c.send(new iam.UpdateRoleDescriptionCommand({ RoleName: "r", Description: "d2" }));
    assert.equal(updated.Role!.Description, "d2");
    const trust2 = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: "*" }, Action: "sts:AssumeRole" }] });
    await c.send(new iam.UpdateAssumeRolePolicyCommand({ RoleName: "r", PolicyDocument: trust2 }));
    role = (await c.send(new iam.GetRoleCommand({ RoleName: "r" }))).Role!;
    assert.deepEqual(decode(role.AssumeRolePolicyDocument), JSON.parse(trust2));
    await expectError(c.send(new iam.UpdateAssumeRolePolicyCommand({ RoleName: "r", PolicyDocument: "[" })), "MalformedPolicyDocumentException");
    await expectError(c.send(new iam.UpdateRoleCommand({ RoleName: "zz" })), "NoSuchEntityException", undefined, 404);
  });

  test("TagRole, UntagRole, ListRoleTags", async () => {
    const { iam: c } = setup();
    await c.send(new iam.CreateRoleCommand({ RoleName: "r", AssumeRolePolicyDocument: TRUST, Tags: [{ Key: "a", Value: "1" }] }));
    await c.send(new iam.TagRoleCommand({ RoleName: "r", Tags: [{ Key: "b", Value: "2" }, { Key: "a", Value: "3" }] }));
    assert.deepEqual((await c.send(new iam.ListRoleTagsCommand({ RoleName: "r" }))).Tags, [
      { Key: "a", Value: "3" },
      { Key: "b", Value: "2" },
    ]);
    await c.send(new iam.UntagRoleCommand({ RoleName: "r", TagKeys: ["a"] }));
    const out = await c.send(new iam.ListRoleTagsCommand({ RoleName: "r" }));
    assert.deepEqual(out.Tags, [{ Key: "b", Value: "2" }]);
    assert.equal(out.IsTruncated, false);
    await expectError(c.send(new iam.TagRoleCommand({ RoleName: "r", Tags: [{ Key: "x", Value: "1" }, { Key: "X", Value: "2" }] })), "InvalidInputException");
    await expectError(c.send(new iam.ListRoleTagsCommand({ RoleName: "nope" })), "NoSuchEntityException", undefined, 404);
  });

  test("inline role policies: Put/Get/List/Delete, errors", async () => {
    const { iam: c } = setup();
    await c.send(new iam.CreateRoleCommand({ RoleName: "r", AssumeRolePolicyDocument: TRUST }));
    await c.send(new iam.PutRolePolicyCommand({ RoleName: "r", PolicyName: "p1", PolicyDocument: POLICY }));
    await c.send(new iam.PutRolePolicyCommand({ RoleName: "r", PolicyName: "p0", PolicyDocument: POLICY }));
    const got = await c.send(new iam.GetRolePolicyCommand({ RoleName: "r", PolicyName: "p1" }));
    assert.equal(got.RoleName, "r");
    assert.equal(got.PolicyName, "p1");
    assert.deepEqual(decode(got.PolicyDocument), JSON.parse(POLICY));
    assert.deepEqual((await c.send(new iam.ListRolePoliciesCommand({ RoleName: "r" }))).PolicyNames, ["p0", "p1"]);
    await expectError(c.send(new iam.DeleteRoleCommand({ RoleName: "r" })), "DeleteConflictException", "Cannot delete entity, must delete policies first.", 409);
    await c.send(new iam.DeleteRolePolicyCommand({ RoleName: "r", PolicyName: "p1" }));
    await expectError(c.send(new iam.GetRolePolicyCommand({ RoleName: "r", PolicyName: "p1" })), "NoSuchEntityException", "The role policy with name p1 cannot be found.", 404);
    await expectError(c.send(new iam.DeleteRolePolicyCommand({ RoleName: "r", PolicyName: "p1" })), "NoSuchEntityException", undefined, 404);
    await expectError(c.send(new iam.PutRolePolicyCommand({ RoleName: "r", PolicyName: "p", PolicyDocument: "nope" })), "MalformedPolicyDocumentException", "Syntax errors in policy.");
    await expectError(c.send(new iam.PutRolePolicyCommand({ RoleName: "nope", PolicyName: "p", PolicyDocument: POLICY })), "NoSuchEntityException", undefined, 404);
  });

  test("DeleteRole: DeleteConflict while policies are attached or it is in an instance profile", async () => {
    const { iam: c } = setup();
    await c.send(new iam.CreateRoleCommand({ RoleName: "r", AssumeRolePolicyDocument: TRUST }));
    await c.send(new iam.AttachRolePolicyCommand({ RoleName: "r", PolicyArn: EXEC_POLICY }));
    await expectError(c.send(new iam.DeleteRoleCommand({ RoleName: "r" })), "DeleteConflictException", "Cannot delete entity, must detach all policies first.", 409);
    await c.send(new iam.DetachRolePolicyCommand({ RoleName: "r", PolicyArn: EXEC_POLICY }));

    await c.send(new iam.CreateInstanceProfileCommand({ InstanceProfileName: "ip" }));
    await c.send(new iam.AddRoleToInstanceProfileCommand({ InstanceProfileName: "ip", RoleName: "r" }));
    await expectError(c.send(new iam.DeleteRoleCommand({ RoleName: "r" })), "DeleteConflictException", "Cannot delete entity, must remove roles from instance profile first.", 409);
    await c.send(new iam.RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: "ip", RoleName: "r" }));
    await c.send(new iam.DeleteRoleCommand({ RoleName: "r" }));
    await expectError(c.send(new iam.DeleteRoleCommand({ RoleName: "r" })), "NoSuchEntityException", "The role with name r cannot be found.", 404);
  });
});

describe("IAM managed policies", () => {
  test("CreatePolicy / GetPolicy / GetPolicyVersion: ids, ARN with path, v1 default, URL-encoded document", async () => {
    const { iam: c } = setup();
    const p = (await c.send(new iam.CreatePolicyCommand({ PolicyName: "read", Path: "/app/", PolicyDocument: POLICY, Description: "d", Tags: [{ Key: "k", Value: "v" }] })))
      .Policy!;
    assert.match(p.PolicyId!, /^ANPA[A-Z2-7]{17}$/);
    assert.equal(p.Arn, `arn:aws:iam::${ACCOUNT}:policy/app/read`);
    assert.equal(p.DefaultVersionId, "v1");
    assert.equal(p.AttachmentCount, 0);
    assert.equal(p.IsAttachable, true);
    assert.deepEqual(p.Tags, [{ Key: "k", Value: "v" }]);
    const got = (await c.send(new iam.GetPolicyCommand({ PolicyArn: p.Arn }))).Policy!;
    assert.equal(got.PolicyId, p.PolicyId);
    assert.equal(got.Description, "d");
    const v = (await c.send(new iam.GetPolicyVersionCommand({ PolicyArn: p.Arn, VersionId: "v1" }))).PolicyVersion!;
    assert.equal(v.IsDefaultVersion, true);
    assert.equal(v.Document, encodeURIComponent(POLICY));
    await expectError(c.send(new iam.GetPolicyVersionCommand({ PolicyArn: p.Arn, VersionId: "v9" })), "NoSuchEntityException", undefined, 404);
    await expectError(c.send(new iam.CreatePolicyCommand({ PolicyName: "read", PolicyDocument: POLICY })), "EntityAlreadyExistsException", "A policy called read already exists. Duplicate names are not allowed.", 409);
    await expectError(c.send(new iam.CreatePolicyCommand({ PolicyName: "bad", PolicyDocument: "{" })), "MalformedPolicyDocumentException");
    await expectError(c.send(new iam.CreatePolicyCommand({ PolicyName: "bad", PolicyDocument: JSON.stringify({ Version: "2012-10-17" }) })), "MalformedPolicyDocumentException");
    const missing = `arn:aws:iam::${ACCOUNT}:policy/missing`;
    await expectError(c.send(new iam.GetPolicyCommand({ PolicyArn: missing })), "NoSuchEntityException", `Policy ${missing} was not found.`, 404);
    await expectError(c.send(new iam.GetPolicyCommand({ PolicyArn: "not-an-arn" })), "InvalidInputException");
  });

  test("AWS-managed policies exist out of the box with their documents", async () => {
    const { iam: c } = setup();
    const p = (await c.send(new iam.GetPolicyCommand({ PolicyArn: EXEC_POLICY }))).Policy!;
    assert.equal(p.PolicyName, "AmazonECSTaskExecutionRolePolicy");
    assert.equal(p.Path, "/service-role/");
    assert.match(p.PolicyId!, /^ANPA[A-Z2-7]{17}$/);
    const v = (await c.send(new iam.GetPolicyVersionCommand({ PolicyArn: EXEC_POLICY, VersionId: p.DefaultVersionId }))).PolicyVersion!;
    const doc = decode(v.Document);
    assert.deepEqual(doc.Statement[0].Action, [
      "ecr:GetAuthorizationToken",
      "ecr:BatchCheckLayerAvailability",
      "ecr:GetDownloadUrlForLayer",
      "ecr:BatchGetImage",
      "logs:CreateLogStream",
      "logs:PutLogEvents",
    ]);
    for (const name of ["AmazonECS_FullAccess", "AmazonEC2ContainerRegistryReadOnly", "CloudWatchLogsFullAccess", "AdministratorAccess", "SecretsManagerReadWrite"]) {
      const arn = `arn:aws:iam::aws:policy/${name}`;
      assert.equal((await c.send(new iam.GetPolicyCommand({ PolicyArn: arn }))).Policy!.Arn, arn);
    }
    await expectError(c.send(new iam.DeletePolicyCommand({ PolicyArn: EXEC_POLICY })), "InvalidInputException");
    await expectError(c.send(new iam.CreatePolicyVersionCommand({ PolicyArn: EXEC_POLICY, PolicyDocument: POLICY })), "InvalidInputException");
  });

  test("versions: CreatePolicyVersion (SetAsDefault, max 5), SetDefault, DeletePolicyVersion, ListPolicyVersions", async () => {
    const { iam: c } = setup();
    const arn = (await c.send(new iam.CreatePolicyCommand({ PolicyName: "p", PolicyDocument: POLICY }))).Policy!.Arn!;
    const v2 = (await c.send(new iam.CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: POLICY, SetAsDefault: true }))).PolicyVersion!;
    assert.equal(v2.VersionId, "v2");
    assert.equal(v2.IsDefaultVersion, true);
    assert.equal((await c.send(new iam.GetPolicyCommand({ PolicyArn: arn }))).Policy!.DefaultVersionId, "v2");
    for (let i = 0; i < 3; i++) await c.send(new iam.CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: POLICY }));
    await expectError(c.send(new iam.CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: POLICY })), "LimitExceededException", "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.", 409);
    const list = await c.send(new iam.ListPolicyVersionsCommand({ PolicyArn: arn }));
    assert.deepEqual(list.Versions!.map((v) => [v.VersionId, v.IsDefaultVersion]), [
      ["v5", false],
      ["v4", false],
      ["v3", false],
      ["v2", true],
      ["v1", false],
    ]);
    assert.equal(list.Versions![0]!.Document, undefined);
    await expectError(c.send(new iam.DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: "v2" })), "DeleteConflictException", "Cannot delete the default version of a policy.", 409);
    await c.send(new iam.SetDefaultPolicyVersionCommand({ PolicyArn: arn, VersionId: "v5" }));
    await c.send(new iam.DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: "v2" }));
    await expectError(c.send(new iam.DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: "v2" })), "NoSuchEntityException", undefined, 404);
    // DeletePolicy needs the non-default versions gone first.
    await expectError(c.send(new iam.DeletePolicyCommand({ PolicyArn: arn })), "DeleteConflictException", /more than one version/, 409);
    for (const v of ["v1", "v3", "v4"]) await c.send(new iam.DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: v }));
    const v6 = (await c.send(new iam.CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: POLICY }))).PolicyVersion!;
    assert.equal(v6.VersionId, "v6");
    await c.send(new iam.DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: "v6" }));
    await c.send(new iam.DeletePolicyCommand({ PolicyArn: arn }));
    await expectError(c.send(new iam.GetPolicyCommand({ PolicyArn: arn })), "NoSuchEntityException", undefined, 404);
  });

  test("ListPolicies: Scope, OnlyAttached, PathPrefix, paging; policy tags; ListEntitiesForPolicy", async () => {
    const { iam: c } = setup();
    const local = (await c.send(new iam.CreatePolicyCommand({ PolicyName: "mine", Path: "/app/", PolicyDocument: POLICY }))).Policy!.Arn!;
    const localOnly = await c.send(new iam.ListPoliciesCommand({ Scope: "Local" }));
    assert.deepEqual(localOnly.Policies!.map((p) => p.Arn), [local]);
    const aws = await c.send(new iam.ListPoliciesCommand({ Scope: "AWS" }));
    assert.ok(aws.Policies!.some((p) => p.Arn === EXEC_POLICY));
    assert.ok(aws.Policies!.every((p) => p.Arn!.startsWith("arn:aws:iam::aws:policy/")));
    const all = await c.send(new iam.ListPoliciesCommand({}));
    assert.equal(all.Policies!.length, aws.Policies!.length + 1);
    assert.deepEqual((await c.send(new iam.ListPoliciesCommand({ PathPrefix: "/app/" }))).Policies!.map((p) => p.Arn), [local]);
    assert.deepEqual((await c.send(new iam.ListPoliciesCommand({ OnlyAttached: true }))).Policies, []);
    await c.send(new iam.CreateRoleCommand({ RoleName: "r", AssumeRolePolicyDocument: TRUST }));
    await c.send(new iam.AttachRolePolicyCommand({ RoleName: "r", PolicyArn: EXEC_POLICY }));
    const attached = await c.send(new iam.ListPoliciesCommand({ OnlyAttached: true }));
    assert.deepEqual(attached.Policies!.map((p) => [p.Arn, p.AttachmentCount]), [[EXEC_POLICY, 1]]);
    const page1 = await c.send(new iam.ListPoliciesCommand({ MaxItems: 3 }));
    assert.equal(page1.Policies!.length, 3);
    assert.equal(page1.IsTruncated, true);
    const rest = await c.send(new iam.ListPoliciesCommand({ Marker: page1.Marker }));
    assert.equal(rest.Policies!.length, all.Policies!.length - 3);

    const entities = await c.send(new iam.ListEntitiesForPolicyCommand({ PolicyArn: EXEC_POLICY }));
    assert.deepEqual(entities.PolicyRoles!.map((r) => r.RoleName), ["r"]);
    assert.deepEqual(entities.PolicyUsers, []);

    await c.send(new iam.TagPolicyCommand({ PolicyArn: local, Tags: [{ Key: "a", Value: "b" }] }));
    assert.deepEqual((await c.send(new iam.ListPolicyTagsCommand({ PolicyArn: local }))).Tags, [{ Key: "a", Value: "b" }]);
    await c.send(new iam.UntagPolicyCommand({ PolicyArn: local, TagKeys: ["a"] }));
    assert.deepEqual((await c.send(new iam.ListPolicyTagsCommand({ PolicyArn: local }))).Tags, []);
  });

  test("Attach/Detach/ListAttachedRolePolicies, AttachmentCount, errors", async () => {
    const { iam: c } = setup();
    await c.send(new iam.CreateRoleCommand({ RoleName: "r", AssumeRolePolicyDocument: TRUST }));
    const local = (await c.send(new iam.CreatePolicyCommand({ PolicyName: "mine", PolicyDocument: POLICY }))).Policy!.Arn!;
    await c.send(new iam.AttachRolePolicyCommand({ RoleName: "r", PolicyArn: EXEC_POLICY }));
    await c.send(new iam.AttachRolePolicyCommand({ RoleName: "r", PolicyArn: local }));
    await c.send(new iam.AttachRolePolicyCommand({ RoleName: "r", PolicyArn: local })); // idempotent
    const listed = await c.send(new iam.ListAttachedRolePoliciesCommand({ RoleName: "r" }));
    assert.deepEqual(listed.AttachedPolicies, [
      { PolicyName: "AmazonECSTaskExecutionRolePolicy", PolicyArn: EXEC_POLICY },
      { PolicyName: "mine", PolicyArn: local },
    ]);
    assert.equal(listed.IsTruncated, false);
    assert.deepEqual(
      (await c.send(new iam.ListAttachedRolePoliciesCommand({ RoleName: "r", PathPrefix: "/service-role/" }))).AttachedPolicies!.map((p) => p.PolicyName),
      ["AmazonECSTaskExecutionRolePolicy"],
    );
    assert.equal((await c.send(new iam.GetPolicyCommand({ PolicyArn: local }))).Policy!.AttachmentCount, 1);
    await expectError(c.send(new iam.DeletePolicyCommand({ PolicyArn: local })), "DeleteConflictException", "Cannot delete a policy attached to entities.", 409);

    const missing = `arn:aws:iam::${ACCOUNT}:policy/missing`;
    await expectError(c.send(new iam.AttachRolePolicyCommand({ RoleName: "r", PolicyArn: missing })), "NoSuchEntityException", `Policy ${missing} does not exist or is not attachable.`, 404);
    const otherAccount = "arn:aws:iam::999999999999:policy/mine";
    await expectError(c.send(new iam.AttachRolePolicyCommand({ RoleName: "r", PolicyArn: otherAccount })), "NoSuchEntityException", undefined, 404);
    await expectError(c.send(new iam.AttachRolePolicyCommand({ RoleName: "r", PolicyArn: "arn:aws:iam::aws:policy/aws-service-role/AmazonECSServiceRolePolicy" })), "NoSuchEntityException", /is not attachable/, 404);
    await expectError(c.send(new iam.AttachRolePolicyCommand({ RoleName: "nope", PolicyArn: EXEC_POLICY })), "NoSuchEntityException", "The role with name nope cannot be found.", 404);

    await c.send(new iam.DetachRolePolicyCommand({ RoleName: "r", PolicyArn: local }));
    await expectError(c.send(new iam.DetachRolePolicyCommand({ RoleName: "r", PolicyArn: local })), "NoSuchEntityException", `Policy ${local} was not found.`, 404);
    assert.equal((await c.send(new iam.GetPolicyCommand({ PolicyArn: local }))).Policy!.AttachmentCount, 0);
    await expectError(c.send(new iam.ListAttachedRolePoliciesCommand({ RoleName: "nope" })), "NoSuchEntityException", undefined, 404);
  });
});

describe("IAM instance profiles", () => {
  test("Create/Get/AddRole/ListInstanceProfilesForRole/ListInstanceProfiles/RemoveRole/Delete", async () => {
    const { iam: c } = setup();
    await c.send(new iam.CreateRoleCommand({ RoleName: "r", AssumeRolePolicyDocument: TRUST }));
    assert.deepEqual((await c.send(new iam.ListInstanceProfilesForRoleCommand({ RoleName: "r" }))).InstanceProfiles, []);
    const ip = (await c.send(new iam.CreateInstanceProfileCommand({ InstanceProfileName: "ip" }))).InstanceProfile!;
    assert.match(ip.InstanceProfileId!, /^AIPA[A-Z2-7]{17}$/);
    assert.equal(ip.Arn, `arn:aws:iam::${ACCOUNT}:instance-profile/ip`);
    assert.deepEqual(ip.Roles, []);
    await expectError(c.send(new iam.CreateInstanceProfileCommand({ InstanceProfileName: "ip" })), "EntityAlreadyExistsException", undefined, 409);
    await c.send(new iam.AddRoleToInstanceProfileCommand({ InstanceProfileName: "ip", RoleName: "r" }));
    await expectError(c.send(new iam.AddRoleToInstanceProfileCommand({ InstanceProfileName: "ip", RoleName: "r" })), "LimitExceededException", undefined, 409);
    const forRole = await c.send(new iam.ListInstanceProfilesForRoleCommand({ RoleName: "r" }));
    assert.deepEqual(forRole.InstanceProfiles!.map((p) => [p.InstanceProfileName, p.Roles!.map((r) => r.RoleName)]), [["ip", ["r"]]]);
    assert.equal((await c.send(new iam.GetInstanceProfileCommand({ InstanceProfileName: "ip" }))).InstanceProfile!.Roles![0]!.RoleName, "r");
    assert.equal((await c.send(new iam.ListInstanceProfilesCommand({}))).InstanceProfiles!.length, 1);
    await expectError(c.send(new iam.DeleteInstanceProfileCommand({ InstanceProfileName: "ip" })), "DeleteConflictException", undefined, 409);
    await c.send(new iam.RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: "ip", RoleName: "r" }));
    await c.send(new iam.DeleteInstanceProfileCommand({ InstanceProfileName: "ip" }));
    await expectError(c.send(new iam.GetInstanceProfileCommand({ InstanceProfileName: "ip" })), "NoSuchEntityException", undefined, 404);
    await expectError(c.send(new iam.ListInstanceProfilesForRoleCommand({ RoleName: "nope" })), "NoSuchEntityException", undefined, 404);
  });
});

describe("IAM users, groups and access keys", () => {
  test("CreateUser/GetUser/ListUsers, groups, group policies, DeleteUser conflicts", async () => {
    const { iam: c } = setup();
    const u = (await c.send(new iam.CreateUserCommand({ UserName: "ci", Tags: [{ Key: "t", Value: "1" }] }))).User!;
    assert.match(u.UserId!, /^AIDA[A-Z2-7]{17}$/);
    assert.equal(u.Arn, `arn:aws:iam::${ACCOUNT}:user/ci`);
    assert.deepEqual((await c.send(new iam.GetUserCommand({ UserName: "ci" }))).User!.Tags, [{ Key: "t", Value: "1" }]);
    await expectError(c.send(new iam.CreateUserCommand({ UserName: "ci" })), "EntityAlreadyExistsException", "User with name ci already exists.", 409);
    await expectError(c.send(new iam.GetUserCommand({ UserName: "nope" })), "NoSuchEntityException", "The user with name nope cannot be found.", 404);
    assert.deepEqual((await c.send(new iam.ListUsersCommand({}))).Users!.map((x) => x.UserName), ["ci"]);

    const g = (await c.send(new iam.CreateGroupCommand({ GroupName: "devs" }))).Group!;
    assert.match(g.GroupId!, /^AGPA[A-Z2-7]{17}$/);
    await expectError(c.send(new iam.CreateGroupCommand({ GroupName: "devs" })), "EntityAlreadyExistsException", undefined, 409);
    await c.send(new iam.AddUserToGroupCommand({ GroupName: "devs", UserName: "ci" }));
    await expectError(c.send(new iam.AddUserToGroupCommand({ GroupName: "nope", UserName: "ci" })), "NoSuchEntityException", "The group with name nope cannot be found.", 404);
    await expectError(c.send(new iam.AddUserToGroupCommand({ GroupName: "devs", UserName: "nope" })), "NoSuchEntityException", undefined, 404);
    assert.deepEqual((await c.send(new iam.GetGroupCommand({ GroupName: "devs" }))).Users!.map((x) => x.UserName), ["ci"]);
    assert.deepEqual((await c.send(new iam.ListGroupsForUserCommand({ UserName: "ci" }))).Groups!.map((x) => x.GroupName), ["devs"]);

    await c.send(new iam.AttachGroupPolicyCommand({ GroupName: "devs", PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" }));
    assert.deepEqual((await c.send(new iam.ListAttachedGroupPoliciesCommand({ GroupName: "devs" }))).AttachedPolicies!.map((p) => p.PolicyName), ["ReadOnlyAccess"]);
    await c.send(new iam.AttachUserPolicyCommand({ UserName: "ci", PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess" }));
    assert.deepEqual((await c.send(new iam.ListAttachedUserPoliciesCommand({ UserName: "ci" }))).AttachedPolicies!.map((p) => p.PolicyName), ["AdministratorAccess"]);
    await expectError(c.send(new iam.DeleteGroupCommand({ GroupName: "devs" })), "DeleteConflictException", undefined, 409);
    await expectError(c.send(new iam.DeleteUserCommand({ UserName: "ci" })), "DeleteConflictException", undefined, 409);
    await c.send(new iam.DetachUserPolicyCommand({ UserName: "ci", PolicyArn: "arn:aws:iam::aws:policy/AdministratorAccess" }));
    await c.send(new iam.RemoveUserFromGroupCommand({ GroupName: "devs", UserName: "ci" }));
    await c.send(new iam.DetachGroupPolicyCommand({ GroupName: "devs", PolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" }));
    await c.send(new iam.DeleteGroupCommand({ GroupName: "devs" }));
    await c.send(new iam.DeleteUserCommand({ UserName: "ci" }));
    assert.deepEqual((await c.send(new iam.ListUsersCommand({}))).Users, []);
  });

  test("CreateAccessKey/ListAccessKeys/UpdateAccessKey/DeleteAccessKey: formats, quota, errors", async () => {
    const { iam: c, domain } = setup();
    await c.send(new iam.CreateUserCommand({ UserName: "ci" }));
    const k = (await c.send(new iam.CreateAccessKeyCommand({ UserName: "ci" }))).AccessKey!;
    assert.match(k.AccessKeyId!, /^AKIA[A-Z2-7]{16}$/);
    assert.equal(k.SecretAccessKey!.length, 40);
    assert.equal(k.Status, "Active");
    assert.equal(k.UserName, "ci");
    assert.deepEqual(domain.lookupSecret(k.AccessKeyId!), { secretAccessKey: k.SecretAccessKey, accountId: ACCOUNT });
    const k2 = (await c.send(new iam.CreateAccessKeyCommand({ UserName: "ci" }))).AccessKey!;
    await expectError(c.send(new iam.CreateAccessKeyCommand({ UserName: "ci" })), "LimitExceededException", "Cannot exceed quota for AccessKeysPerUser: 2", 409);
    const listed = await c.send(new iam.ListAccessKeysCommand({ UserName: "ci" }));
    assert.deepEqual(listed.AccessKeyMetadata!.map((m) => [m.AccessKeyId, m.Status, m.UserName]).sort(), [
      [k.AccessKeyId, "Active", "ci"],
      [k2.AccessKeyId, "Active", "ci"],
    ].sort());
    assert.equal((listed.AccessKeyMetadata![0] as { SecretAccessKey?: string }).SecretAccessKey, undefined);
    await c.send(new iam.UpdateAccessKeyCommand({ UserName: "ci", AccessKeyId: k2.AccessKeyId, Status: "Inactive" }));
    assert.equal(domain.lookupSecret(k2.AccessKeyId!), undefined);
    await c.send(new iam.DeleteAccessKeyCommand({ UserName: "ci", AccessKeyId: k.AccessKeyId }));
    assert.equal(domain.lookupSecret(k.AccessKeyId!), undefined);
    await expectError(c.send(new iam.DeleteAccessKeyCommand({ UserName: "ci", AccessKeyId: k.AccessKeyId })), "NoSuchEntityException", `The Access Key with id ${k.AccessKeyId} cannot be found.`, 404);
    await expectError(c.send(new iam.CreateAccessKeyCommand({ UserName: "nope" })), "NoSuchEntityException", undefined, 404);
  });
});

describe("Terraform's IAM sequences", () => {
  test("aws_iam_role + aws_iam_policy + aws_iam_role_policy_attachment: apply, refresh, destroy", async () => {
    const { iam: c } = setup();
    // apply: aws_iam_role
    await c.send(new iam.CreateRoleCommand({ RoleName: "ecsTaskExecutionRole", AssumeRolePolicyDocument: TRUST, Tags: [{ Key: "Name", Value: "exec" }] }));
    const role = (await c.send(new iam.GetRoleCommand({ RoleName: "ecsTaskExecutionRole" }))).Role!;
    assert.deepEqual((await c.send(new iam.ListRolePoliciesCommand({ RoleName: role.RoleName }))).PolicyNames, []);
    assert.deepEqual((await c.send(new iam.ListAttachedRolePoliciesCommand({ RoleName: role.RoleName }))).AttachedPolicies, []);
    // aws_iam_policy
    const policy = (await c.send(new iam.CreatePolicyCommand({ PolicyName: "app-secrets", PolicyDocument: POLICY }))).Policy!;
    await c.send(new iam.GetPolicyCommand({ PolicyArn: policy.Arn }));
    await c.send(new iam.GetPolicyVersionCommand({ PolicyArn: policy.Arn, VersionId: policy.DefaultVersionId }));
    // aws_iam_role_policy_attachment x2
    for (const arn of [EXEC_POLICY, policy.Arn!]) {
      await c.send(new iam.AttachRolePolicyCommand({ RoleName: role.RoleName, PolicyArn: arn }));
      const attached = await c.send(new iam.ListAttachedRolePoliciesCommand({ RoleName: role.RoleName }));
      assert.ok(attached.AttachedPolicies!.some((p) => p.PolicyArn === arn));
    }
    // plan (refresh): the same reads, nothing changed
    const again = (await c.send(new iam.GetRoleCommand({ RoleName: role.RoleName }))).Role!;
    assert.equal(again.AssumeRolePolicyDocument, role.AssumeRolePolicyDocument);
    assert.equal((await c.send(new iam.GetPolicyCommand({ PolicyArn: policy.Arn }))).Policy!.AttachmentCount, 1);

    // destroy: attachments, then the policy (ListPolicyVersions, DeletePolicy), then the role
    for (const arn of [EXEC_POLICY, policy.Arn!]) await c.send(new iam.DetachRolePolicyCommand({ RoleName: role.RoleName, PolicyArn: arn }));
    const versions = await c.send(new iam.ListPolicyVersionsCommand({ PolicyArn: policy.Arn }));
    assert.deepEqual(versions.Versions!.map((v) => v.VersionId), ["v1"]);
    await c.send(new iam.DeletePolicyCommand({ PolicyArn: policy.Arn }));
    assert.deepEqual((await c.send(new iam.ListInstanceProfilesForRoleCommand({ RoleName: role.RoleName }))).InstanceProfiles, []);
    assert.deepEqual((await c.send(new iam.ListAttachedRolePoliciesCommand({ RoleName: role.RoleName }))).AttachedPolicies, []);
    await c.send(new iam.DeleteRoleCommand({ RoleName: role.RoleName }));
    // after destroy, the provider's reads see 404 NoSuchEntity (how it detects "gone")
    await expectError(c.send(new iam.GetRoleCommand({ RoleName: role.RoleName })), "NoSuchEntityException", undefined, 404);
    await expectError(c.send(new iam.GetPolicyCommand({ PolicyArn: policy.Arn })), "NoSuchEntityException", undefined, 404);
    await expectError(c.send(new iam.ListInstanceProfilesForRoleCommand({ RoleName: role.RoleName })), "NoSuchEntityException", undefined, 404);
  });

  test("IAM is global: the signing region does not matter, the account does", async () => {
    const { domain, gateway, iam: c } = setup();
    await c.send(new iam.CreateRoleCommand({ RoleName: "r", AssumeRolePolicyDocument: TRUST }));
    const eu = new iam.IAMClient({ region: "eu-west-1", endpoint, credentials: STATIC, requestHandler: inProcess(gateway), maxAttempts: 1 });
    assert.equal((await eu.send(new iam.GetRoleCommand({ RoleName: "r" }))).Role!.RoleName, "r");
    // A key of another account sees nothing of this one.
    domain.deps.store.tx(() => domain.repo.insertAccessKey({ accessKeyId: "AKIAOTHERACCOUNT0000", account: "210987654321", userName: "", secret: "s", status: "Active", createdAt: 0 }));
    const other = new iam.IAMClient({ region: "us-east-1", endpoint, credentials: { accessKeyId: "AKIAOTHERACCOUNT0000", secretAccessKey: "s" }, requestHandler: inProcess(gateway), maxAttempts: 1 });
    await expectError(other.send(new iam.GetRoleCommand({ RoleName: "r" })), "NoSuchEntityException", undefined, 404);
  });
});

describe("STS", () => {
  test("GetCallerIdentity: root of the default account for unknown keys, the IAM user for its keys", async () => {
    const { iam: c, sts: s, stsClient } = setup();
    const root = await s.send(new sts.GetCallerIdentityCommand({}));
    assert.deepEqual({ UserId: root.UserId, Account: root.Account, Arn: root.Arn }, { UserId: ACCOUNT, Account: ACCOUNT, Arn: `arn:aws:iam::${ACCOUNT}:root` });
    const unknown = await stsClient({ accessKeyId: "whatever", secretAccessKey: "x" }).send(new sts.GetCallerIdentityCommand({}));
    assert.equal(unknown.Arn, `arn:aws:iam::${ACCOUNT}:root`);

    const user = (await c.send(new iam.CreateUserCommand({ UserName: "deployer" }))).User!;
    const key = (await c.send(new iam.CreateAccessKeyCommand({ UserName: "deployer" }))).AccessKey!;
    const me = await stsClient({ accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! }).send(new sts.GetCallerIdentityCommand({}));
    assert.deepEqual({ UserId: me.UserId, Account: me.Account, Arn: me.Arn }, { UserId: user.UserId, Account: ACCOUNT, Arn: user.Arn });
    const info = await s.send(new sts.GetAccessKeyInfoCommand({ AccessKeyId: key.AccessKeyId }));
    assert.equal(info.Account, ACCOUNT);
  });

  test("AssumeRole: temporary credentials for an existing role; errors", async () => {
    const { iam: c, sts: s, stsClient, clock, domain } = setup();
    const role = (await c.send(new iam.CreateRoleCommand({ RoleName: "deploy", AssumeRolePolicyDocument: TRUST }))).Role!;
    const out = await s.send(new sts.AssumeRoleCommand({ RoleArn: role.Arn, RoleSessionName: "gha" }));
    const cr = out.Credentials!;
    assert.match(cr.AccessKeyId!, /^ASIA[A-Z2-7]{16}$/);
    assert.equal(cr.SecretAccessKey!.length, 40);
    assert.ok(cr.SessionToken!.length > 100);
    assert.deepEqual(cr.Expiration, new Date(clock.now() + 3600_000));
    assert.deepEqual(out.AssumedRoleUser, { AssumedRoleId: `${role.RoleId}:gha`, Arn: `arn:aws:sts::${ACCOUNT}:assumed-role/deploy/gha` });
    const who = await stsClient({ accessKeyId: cr.AccessKeyId!, secretAccessKey: cr.SecretAccessKey!, sessionToken: cr.SessionToken! }).send(
      new sts.GetCallerIdentityCommand({}),
    );
    assert.equal(who.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/deploy/gha`);
    assert.equal(who.UserId, `${role.RoleId}:gha`);
    clock.advance(3600_000);
    assert.equal(domain.lookupSecret(cr.AccessKeyId!), undefined, "expired credentials are no longer accepted");

    const missing = `arn:aws:iam::${ACCOUNT}:role/missing`;
    await expectError(s.send(new sts.AssumeRoleCommand({ RoleArn: missing, RoleSessionName: "gha" })), "AccessDenied", `User: arn:aws:iam::${ACCOUNT}:root is not authorized to perform: sts:AssumeRole on resource: ${missing}`, 403);
    await expectError(s.send(new sts.AssumeRoleCommand({ RoleArn: role.Arn, RoleSessionName: "gha", DurationSeconds: 7200 })), "ValidationError", /MaxSessionDuration/);
    await expectError(s.send(new sts.AssumeRoleCommand({ RoleArn: role.Arn, RoleSessionName: "bad name" })), "ValidationError", /roleSessionName/);

    const session = await s.send(new sts.GetSessionTokenCommand({ DurationSeconds: 900 }));
    assert.match(session.Credentials!.AccessKeyId!, /^ASIA/);
  });

  test("strict SigV4: a CreateAccessKey key and an AssumeRole key (with its session token) pass; a wrong secret gets SignatureDoesNotMatch", async () => {
    const { iam: c, stsClient, iamClient } = setup({ strict: true });
    await c.send(new iam.CreateUserCommand({ UserName: "deployer" }));
    const key = (await c.send(new iam.CreateAccessKeyCommand({ UserName: "deployer" }))).AccessKey!;
    const good = { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! };
    const me = await stsClient(good).send(new sts.GetCallerIdentityCommand({}));
    assert.equal(me.Arn, `arn:aws:iam::${ACCOUNT}:user/deployer`);
    // IAM calls with that key: CreateAccessKey/GetUser without UserName act on the caller.
    assert.equal((await iamClient(good).send(new iam.GetUserCommand({}))).User!.UserName, "deployer");
    assert.equal((await iamClient(good).send(new iam.ListAccessKeysCommand({}))).AccessKeyMetadata!.length, 1);

    await expectError(stsClient({ ...good, secretAccessKey: "wrong".padEnd(40, "x") }).send(new sts.GetCallerIdentityCommand({})), "SignatureDoesNotMatch", /signature we calculated does not match/, 403);
    await expectError(stsClient({ accessKeyId: "AKIAUNKNOWN", secretAccessKey: "x" }).send(new sts.GetCallerIdentityCommand({})), "InvalidClientTokenId", undefined, 403);

    const role = (await c.send(new iam.CreateRoleCommand({ RoleName: "deploy", AssumeRolePolicyDocument: TRUST }))).Role!;
    const cr = (await stsClient(good).send(new sts.AssumeRoleCommand({ RoleArn: role.Arn, RoleSessionName: "s1" }))).Credentials!;
    const temp = { accessKeyId: cr.AccessKeyId!, secretAccessKey: cr.SecretAccessKey!, sessionToken: cr.SessionToken! };
    assert.equal((await stsClient(temp).send(new sts.GetCallerIdentityCommand({}))).Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/deploy/s1`);
    assert.equal((await iamClient(temp).send(new iam.GetRoleCommand({ RoleName: "deploy" }))).Role!.Arn, role.Arn);
    // Temporary keys need their own session token: none, or another, is an invalid security token.
    const { sessionToken: _token, ...noToken } = temp;
    await expectError(stsClient(noToken).send(new sts.GetCallerIdentityCommand({})), "InvalidClientTokenId", "The security token included in the request is invalid.", 403);
    await expectError(stsClient({ ...temp, sessionToken: `${temp.sessionToken}x` }).send(new sts.GetCallerIdentityCommand({})), "InvalidClientTokenId", undefined, 403);

    // Deleted keys stop working at once.
    await c.send(new iam.DeleteAccessKeyCommand({ UserName: "deployer", AccessKeyId: key.AccessKeyId }));
    await expectError(stsClient(good).send(new sts.GetCallerIdentityCommand({})), "InvalidClientTokenId", undefined, 403);
  });
});

const skipCli = awsCliSkip("the IAM/STS CLI round trips");

describe("AWS CLI over a socket", () => {
  test("sts get-caller-identity, iam create-role / get-role / attach-role-policy / NoSuchEntity", { skip: skipCli }, async () => {
    const { gateway } = setup();
    const server = await startGatewayServer(gateway);
    try {
      const aws = (...args: string[]) => awsCli(server.url, ...args);
      const who = await aws("sts", "get-caller-identity");
      assert.equal(who.code, 0, who.stderr);
      assert.deepEqual(JSON.parse(who.stdout), { UserId: ACCOUNT, Account: ACCOUNT, Arn: `arn:aws:iam::${ACCOUNT}:root` });

      const created = await aws("iam", "create-role", "--role-name", "cli-role", "--assume-role-policy-document", TRUST);
      assert.equal(created.code, 0, created.stderr);
      const role = JSON.parse(created.stdout).Role;
      assert.equal(role.Arn, `arn:aws:iam::${ACCOUNT}:role/cli-role`);
      // The CLI decodes the URL-encoded policy document into JSON.
      assert.deepEqual(role.AssumeRolePolicyDocument, JSON.parse(TRUST));

      const attach = await aws("iam", "attach-role-policy", "--role-name", "cli-role", "--policy-arn", EXEC_POLICY);
      assert.equal(attach.code, 0, attach.stderr);
      const listed = await aws("iam", "list-attached-role-policies", "--role-name", "cli-role");
      assert.deepEqual(JSON.parse(listed.stdout).AttachedPolicies, [{ PolicyName: "AmazonECSTaskExecutionRolePolicy", PolicyArn: EXEC_POLICY }]);

      const missing = await aws("iam", "get-role", "--role-name", "missing");
      assert.notEqual(missing.code, 0);
      assert.match(missing.stderr, /NoSuchEntity/);
      assert.match(missing.stderr, /The role with name missing cannot be found\./);
    } finally {
      await server.close();
    }
  });
});
