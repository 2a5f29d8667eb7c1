import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { actionInfo, fillTemplate } from "./actions.ts";
import { type ContextValue, contextOf } from "./context.ts";
import { type EvalRequest, evaluate, type PolicySource, type RequestPrincipal } from "./evaluate.ts";
import { denialMessage } from "./messages.ts";
import { compilePolicy } from "./policy.ts";

const ACCT = "123456789012";
const USER: RequestPrincipal = { kind: "user", arn: `arn:aws:iam::${ACCT}:user/alice`, accountId: ACCT };
const SESSION: RequestPrincipal = {
  kind: "role",
  arn: `arn:aws:sts::${ACCT}:assumed-role/deploy/gha`,
  accountId: ACCT,
  roleArn: `arn:aws:iam::${ACCT}:role/deploy`,
};
const SVC = `arn:aws:ecs:us-east-1:${ACCT}:service/prod/web`;

const id = (statements: unknown[], extra: Partial<PolicySource> = {}): PolicySource => ({
  policy: compilePolicy(JSON.stringify({ Version: "2012-10-17", Statement: statements })),
  type: "identity-based policy",
  id: "p",
  ...extra,
});
const allow = (Action: unknown, Resource: unknown = "*", Condition?: unknown) => ({ Effect: "Allow", Action, Resource, ...(Condition ? { Condition } : {}) });
const deny = (Action: unknown, Resource: unknown = "*", Condition?: unknown) => ({ Effect: "Deny", Action, Resource, ...(Condition ? { Condition } : {}) });

function decide(over: Partial<EvalRequest> & { ctx?: Record<string, ContextValue> }) {
  return evaluate({
    action: "ecs:UpdateService",
    resource: SVC,
    principal: USER,
    context: contextOf(Object.entries(over.ctx ?? {})),
    identity: [],
    ...over,
  }).decision;
}

describe("policy evaluation", () => {
  test("no policy: implicit deny; an allow; an explicit deny beats a wildcard allow", () => {
    assert.equal(decide({}), "implicitDeny");
    assert.equal(decide({ identity: [id([allow("ecs:UpdateService", SVC)])] }), "allowed");
    assert.equal(decide({ identity: [id([allow("ecs:updateservice", "arn:aws:ecs:us-east-1:*:service/prod/*")])] }), "allowed");
    assert.equal(decide({ identity: [id([allow("ecs:UpdateService", `arn:aws:ecs:us-east-1:${ACCT}:service/prod/api`)])] }), "implicitDeny");
    assert.equal(decide({ identity: [id([allow("*")]), id([deny("ecs:Update*", SVC)])] }), "explicitDeny");
    assert.equal(decide({ identity: [id([allow("ecs:Update?ervice")])] }), "allowed");
  });

  test("NotAction and NotResource", () => {
    assert.equal(decide({ identity: [id([{ Effect: "Allow", NotAction: "iam:*", Resource: "*" }])] }), "allowed");
    assert.equal(decide({ identity: [id([{ Effect: "Allow", NotAction: "ecs:*", Resource: "*" }])] }), "implicitDeny");
    assert.equal(decide({ identity: [id([allow("*"), { Effect: "Deny", Action: "*", NotResource: SVC }])] }), "allowed");
    assert.equal(decide({ identity: [id([allow("*"), { Effect: "Deny", Action: "*", NotResource: "arn:aws:ecs:*:*:cluster/*" }])] }), "explicitDeny");
  });

  test("conditions: absent keys, IfExists, negation, set qualifiers, Null, numeric, date, IP, ARN, Bool", () => {
    const p = (cond: unknown) => [id([allow("*", "*", cond)])];
    assert.equal(decide({ identity: p({ StringEquals: { "aws:RequestedRegion": "us-east-1" } }), ctx: { "aws:requestedregion": "us-east-1" } }), "allowed");
    assert.equal(decide({ identity: p({ StringEquals: { "aws:RequestedRegion": ["eu-west-1", "us-east-1"] } }), ctx: { "aws:requestedregion": "us-east-1" } }), "allowed");
    assert.equal(decide({ identity: p({ StringEquals: { "aws:RequestedRegion": "us-east-1" } }) }), "implicitDeny");
    assert.equal(decide({ identity: p({ StringEqualsIfExists: { "aws:RequestedRegion": "us-east-1" } }) }), "allowed");
    assert.equal(decide({ identity: p({ StringNotEquals: { "aws:RequestedRegion": "us-east-1" } }) }), "allowed");
    assert.equal(decide({ identity: p({ StringNotEquals: { "aws:RequestedRegion": "us-east-1" } }), ctx: { "aws:requestedregion": "us-east-1" } }), "implicitDeny");
    assert.equal(decide({ identity: p({ "ForAllValues:StringEquals": { "aws:TagKeys": ["a", "b"] } }) }), "allowed");
    assert.equal(decide({ identity: p({ "ForAllValues:StringEquals": { "aws:TagKeys": ["a", "b"] } }), ctx: { "aws:tagkeys": ["a", "c"] } }), "implicitDeny");
    assert.equal(decide({ identity: p({ "ForAnyValue:StringEquals": { "aws:TagKeys": ["a"] } }) }), "implicitDeny");
    assert.equal(decide({ identity: p({ "ForAnyValue:StringEquals": { "aws:TagKeys": ["a"] } }), ctx: { "aws:tagkeys": ["c", "a"] } }), "allowed");
    assert.equal(decide({ identity: p({ Null: { "aws:TokenIssueTime": "true" } }) }), "allowed");
    assert.equal(decide({ identity: p({ Null: { "aws:TokenIssueTime": "false" } }) }), "implicitDeny");
    assert.equal(decide({ identity: p({ NumericLessThan: { "aws:MultiFactorAuthAge": "3600" } }), ctx: { "aws:multifactorauthage": "60" } }), "allowed");
    assert.equal(decide({ identity: p({ DateLessThan: { "aws:CurrentTime": "2030-01-01T00:00:00Z" } }), ctx: { "aws:currenttime": "2026-01-01T00:00:00Z" } }), "allowed");
    assert.equal(decide({ identity: p({ DateGreaterThan: { "aws:CurrentTime": "2030-01-01T00:00:00Z" } }), ctx: { "aws:currenttime": "2026-01-01T00:00:00Z" } }), "implicitDeny");
    assert.equal(decide({ identity: p({ IpAddress: { "aws:SourceIp": "10.0.0.0/8" } }), ctx: { "aws:sourceip": "10.1.2.3" } }), "allowed");
    assert.equal(decide({ identity: p({ IpAddress: { "aws:SourceIp": ["192.168.0.0/16", "::1/128"] } }), ctx: { "aws:sourceip": "::1" } }), "allowed");
    assert.equal(decide({ identity: p({ NotIpAddress: { "aws:SourceIp": "10.0.0.0/8" } }), ctx: { "aws:sourceip": "10.1.2.3" } }), "implicitDeny");
    assert.equal(decide({ identity: p({ ArnLike: { "ecs:cluster": "arn:aws:ecs:*:*:cluster/prod" } }), ctx: { "ecs:cluster": `arn:aws:ecs:us-east-1:${ACCT}:cluster/prod` } }), "allowed");
    assert.equal(decide({ identity: p({ ArnNotLike: { "ecs:cluster": "arn:aws:ecs:*:*:cluster/prod" } }), ctx: { "ecs:cluster": `arn:aws:ecs:us-east-1:${ACCT}:cluster/prod` } }), "implicitDeny");
    assert.equal(decide({ identity: p({ Bool: { "aws:SecureTransport": false } }), ctx: { "aws:securetransport": "false" } }), "allowed");
    assert.equal(decide({ identity: p({ StringLike: { "aws:PrincipalTag/Team": "plat*" } }), ctx: { "aws:principaltag/team": "platform" } }), "allowed");
    assert.equal(decide({ identity: p({ StringEqualsIgnoreCase: { "aws:username": "ALICE" } }), ctx: { "aws:username": "alice" } }), "allowed");
    // Condition keys are case-insensitive.
    assert.equal(decide({ identity: p({ StringEquals: { "AWS:REQUESTEDREGION": "us-east-1" } }), ctx: { "aws:requestedregion": "us-east-1" } }), "allowed");
  });

  test("policy variables in Resource and condition values, with defaults; literal under 2008-10-17", () => {
    const res = `arn:aws:iam::${ACCT}:user/alice`;
    assert.equal(decide({ action: "iam:GetUser", resource: res, identity: [id([allow("iam:GetUser", `arn:aws:iam::${ACCT}:user/\${aws:username}`)])], ctx: { "aws:username": "alice" } }), "allowed");
    assert.equal(decide({ action: "iam:GetUser", resource: res, identity: [id([allow("iam:GetUser", `arn:aws:iam::${ACCT}:user/\${aws:username}`)])], ctx: { "aws:username": "bob" } }), "implicitDeny");
    assert.equal(decide({ action: "iam:GetUser", resource: res, identity: [id([allow("iam:GetUser", `arn:aws:iam::${ACCT}:user/\${aws:username}`)])] }), "implicitDeny");
    assert.equal(decide({ action: "iam:GetUser", resource: res, identity: [id([allow("iam:GetUser", `arn:aws:iam::${ACCT}:user/\${aws:PrincipalTag/owner, 'alice'}`)])] }), "allowed");
    const cond = { StringEquals: { "aws:ResourceTag/owner": "${aws:username}" } };
    assert.equal(decide({ identity: [id([allow("*", "*", cond)])], ctx: { "aws:username": "alice", "aws:resourcetag/owner": "alice" } }), "allowed");
    const old: PolicySource = { policy: compilePolicy(JSON.stringify({ Version: "2008-10-17", Statement: [allow("iam:GetUser", `arn:aws:iam::${ACCT}:user/\${aws:username}`)] })), type: "identity-based policy", id: "old" };
    assert.equal(decide({ action: "iam:GetUser", resource: res, identity: [old], ctx: { "aws:username": "alice" } }), "implicitDeny");
  });

  test("permissions boundary and session policies cap an allow", () => {
    const boundary = id([allow("ecs:Describe*")], { type: "permissions boundary", arn: `arn:aws:iam::${ACCT}:policy/b` });
    const r = evaluate({ action: "ecs:UpdateService", resource: SVC, principal: USER, context: contextOf([]), identity: [id([allow("*")])], boundary });
    assert.equal(r.decision, "implicitDeny");
    assert.equal(r.type, "permissions boundary");
    const session = [id([allow("ecs:DescribeServices")], { type: "session policy" })];
    const s = evaluate({ action: "ecs:UpdateService", resource: SVC, principal: SESSION, context: contextOf([]), identity: [id([allow("*")])], session });
    assert.equal(s.type, "session policy");
    assert.equal(decide({ action: "ecs:DescribeServices", principal: SESSION, identity: [id([allow("*")])], session }), "allowed");
  });

  test("resource policies: a grant to the caller stands alone, to the account needs the identity side; KMS key policies must allow", () => {
    const rp = (principal: unknown, effect = "Allow"): PolicySource => ({
      policy: compilePolicy(JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: effect, Principal: principal, Action: "ecr:BatchGetImage" }] })),
      type: "resource-based policy",
      id: "ResourcePolicy",
    });
    const repo = `arn:aws:ecr:us-east-1:${ACCT}:repository/app`;
    const base = { action: "ecr:BatchGetImage", resource: repo };
    assert.equal(decide({ ...base, resourcePolicy: rp({ AWS: USER.arn }) }), "allowed");
    assert.equal(decide({ ...base, resourcePolicy: rp({ AWS: ACCT }) }), "implicitDeny");
    assert.equal(decide({ ...base, resourcePolicy: rp({ AWS: `arn:aws:iam::${ACCT}:root` }), identity: [id([allow("ecr:*")])] }), "allowed");
    assert.equal(decide({ ...base, principal: SESSION, resourcePolicy: rp({ AWS: SESSION.roleArn }) }), "allowed");
    assert.equal(decide({ ...base, resourcePolicy: rp("*", "Deny"), identity: [id([allow("*")])] }), "explicitDeny");
    assert.equal(decide({ ...base, principal: { kind: "root", arn: `arn:aws:iam::${ACCT}:root`, accountId: ACCT }, resourcePolicy: rp("*", "Deny") }), "explicitDeny");
    assert.equal(decide({ ...base, principal: { kind: "root", arn: `arn:aws:iam::${ACCT}:root`, accountId: ACCT } }), "allowed");
    // NotPrincipal: everyone but the named one.
    const notAlice: PolicySource = {
      policy: compilePolicy(JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Deny", NotPrincipal: { AWS: USER.arn }, Action: "*" }] })),
      type: "resource-based policy",
      id: "ResourcePolicy",
    };
    assert.equal(decide({ ...base, resourcePolicy: notAlice, identity: [id([allow("*")])] }), "allowed");
    assert.equal(decide({ ...base, principal: SESSION, resourcePolicy: notAlice, identity: [id([allow("*")])] }), "explicitDeny");

    const keyPolicy = (principal: unknown): PolicySource => ({
      policy: compilePolicy(JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: principal, Action: "kms:*", Resource: "*" }] })),
      type: "resource-based policy",
      id: "ResourcePolicy",
    });
    const key = { action: "kms:Decrypt", resource: `arn:aws:kms:us-east-1:${ACCT}:key/k`, resourceMustAllow: true };
    const none = evaluate({ ...key, principal: USER, context: contextOf([]), identity: [id([allow("kms:*")])], resourcePolicy: keyPolicy({ AWS: "arn:aws:iam::999999999999:root" }) });
    assert.equal(none.decision, "implicitDeny");
    assert.equal(none.type, "resource-based policy");
    assert.equal(decide({ ...key, identity: [id([allow("kms:*")])], resourcePolicy: keyPolicy({ AWS: `arn:aws:iam::${ACCT}:root` }) }), "allowed");
    assert.equal(decide({ ...key, identity: [], resourcePolicy: keyPolicy({ AWS: `arn:aws:iam::${ACCT}:root` }) }), "implicitDeny");
  });

  test("denial messages follow AWS's grammar", () => {
    const r = evaluate({ action: "ecs:UpdateService", resource: SVC, principal: USER, context: contextOf([]), identity: [] });
    assert.equal(
      denialMessage(USER.arn, "ecs:UpdateService", SVC, r),
      `User: ${USER.arn} is not authorized to perform: ecs:UpdateService on resource: ${SVC} because no identity-based policy allows the ecs:UpdateService action`,
    );
    const d = evaluate({ action: "ecs:UpdateService", resource: SVC, principal: USER, context: contextOf([]), identity: [id([deny("*")], { arn: `arn:aws:iam::${ACCT}:policy/NoWrites` })] });
    assert.equal(
      denialMessage(USER.arn, "ecs:UpdateService", SVC, d),
      `User: ${USER.arn} is not authorized to perform: ecs:UpdateService on resource: ${SVC} with an explicit deny in an identity-based policy: arn:aws:iam::${ACCT}:policy/NoWrites`,
    );
    assert.equal(denialMessage(USER.arn, "ec2:DescribeVpcs", undefined, r).includes(" on resource"), false);
  });
});

describe("service authorization data", () => {
  test("actions map to their resource types and ARN templates", () => {
    const u = actionInfo("ecs", "updateservice")!;
    assert.equal(u.iamName, "ecs:UpdateService");
    assert.deepEqual(u.resourceTypes.map((t) => [t.name, t.required, t.arn]), [["service", true, "arn:${Partition}:ecs:${Region}:${Account}:service/${ClusterName}/${ServiceName}"]]);
    assert.ok(u.conditionKeys.includes("ecs:task-definition"));
    assert.deepEqual(actionInfo("ecr", "GetAuthorizationToken")!.resourceTypes, []);
    assert.deepEqual(fillTemplate("arn:${Partition}:ecs:${Region}:${Account}:service/${ClusterName}/${ServiceName}", (v) => ({ Partition: "aws", Region: "r", Account: "1", ClusterName: "c", ServiceName: ["a", "b"] })[v]), [
      "arn:aws:ecs:r:1:service/c/a",
      "arn:aws:ecs:r:1:service/c/b",
    ]);
    assert.deepEqual(fillTemplate("arn:${Partition}:ec2:${Region}:${Account}:vpc/${VpcId}", (v) => (v === "Partition" ? "aws" : v === "Region" ? "r" : v === "Account" ? "1" : undefined)), ["arn:aws:ec2:r:1:vpc/*"]);
  });
});
