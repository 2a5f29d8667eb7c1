/**
 * Roles assumed by trust policy, OIDC identity providers and AssumeRoleWithWebIdentity through the
 * real IAM and STS clients against startSlipway (strict SigV4, IAM enforcement) on FakeRuntime:
 * AWS's errors for each bad input, GitHub's sub/aud conditions, session tags, GetCallerIdentity
 * for every kind of identity.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import * as ecs from "@aws-sdk/client-ecs";
import * as iam from "@aws-sdk/client-iam";
import * as sts from "@aws-sdk/client-sts";
import { ManualClock } from "../../src/core/clock.ts";
import { seededIds } from "../../src/core/ids.ts";
import { GITHUB_ISSUER, githubClaims, OidcIssuer } from "../../src/oidc/issuer.ts";
import { FakeRuntime } from "../../src/runtime/fake-runtime.ts";
import { type Slipway, startSlipway } from "../../src/server/slipway.ts";
import { expectError } from "../helpers/errors.ts";

const ACCOUNT = "000000000000";
const ROOT = { accessKeyId: "AKIDROOTEXAMPLE00002", secretAccessKey: "root-secret-key-for-sts-oidc-tests00000" };
const PROVIDER_ARN = `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`;
type Creds = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };

let s: Slipway;
let dir: string;
let clock: ManualClock;
const cfg = (credentials: Creds) => ({ region: "us-east-1", endpoint: s.url, credentials, maxAttempts: 1 });
const iamAs = (c: Creds) => new iam.IAMClient(cfg(c));
const stsAs = (c: Creds) => new sts.STSClient(cfg(c));
let rootIam: iam.IAMClient;
/** STS without AWS credentials (AssumeRoleWithWebIdentity is an unsigned call). */
let anon: sts.STSClient;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "slipway-sts-oidc-"));
  // Strict SigV4 judges signing dates against this clock (15 minutes of skew); the SDK and the
  // AWS CLI sign with the system's, so the manual clock starts there.
  clock = new ManualClock(Date.now());
  s = await startSlipway({
    port: 0,
    dataDir: dir,
    runtime: new FakeRuntime({ clock }),
    clock,
    ids: seededIds("oidc"),
    strictAuth: true,
    credentials: [{ ...ROOT, accountId: ACCOUNT }],
    log: () => {},
  });
  rootIam = iamAs(ROOT);
  anon = new sts.STSClient({ region: "us-east-1", endpoint: s.url, maxAttempts: 1, credentials: { accessKeyId: "", secretAccessKey: "" } });
});

after(async () => {
  await s.close();
  rmSync(dir, { recursive: true, force: true });
});

const doc = (statements: unknown[]) => JSON.stringify({ Version: "2012-10-17", Statement: statements });
const token = (over: { repository?: string; ref?: string; audience?: string; ttl?: number; issuer?: OidcIssuer } = {}) =>
  (over.issuer ?? s.oidc).mint({
    claims: githubClaims({ repository: over.repository ?? "acme/app", ref: over.ref ?? "refs/heads/main", ...(over.audience ? { audience: over.audience } : {}) }),
    ttlSeconds: over.ttl ?? 300,
    now: clock.now(),
  });

describe("IAM OIDC identity providers", () => {
  test("Create/Get/List/UpdateThumbprint/client ids/tags/Delete, and their errors", async () => {
    const url = "https://oidc.example.com/tenant";
    const created = await rootIam.send(
      new iam.CreateOpenIDConnectProviderCommand({ Url: url, ClientIDList: ["sts.amazonaws.com"], ThumbprintList: ["a".repeat(40)], Tags: [{ Key: "team", Value: "ci" }] }),
    );
    const arn = `arn:aws:iam::${ACCOUNT}:oidc-provider/oidc.example.com/tenant`;
    assert.equal(created.OpenIDConnectProviderArn, arn);
    const got = await rootIam.send(new iam.GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn }));
    assert.equal(got.Url, "oidc.example.com/tenant");
    assert.deepEqual(got.ClientIDList, ["sts.amazonaws.com"]);
    assert.deepEqual(got.ThumbprintList, ["a".repeat(40)]);
    assert.deepEqual(got.Tags, [{ Key: "team", Value: "ci" }]);
    assert.ok((await rootIam.send(new iam.ListOpenIDConnectProvidersCommand({}))).OpenIDConnectProviderList!.some((p) => p.Arn === arn));
    await rootIam.send(new iam.UpdateOpenIDConnectProviderThumbprintCommand({ OpenIDConnectProviderArn: arn, ThumbprintList: ["b".repeat(40)] }));
    await rootIam.send(new iam.AddClientIDToOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn, ClientID: "other" }));
    await rootIam.send(new iam.AddClientIDToOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn, ClientID: "other" }));
    await rootIam.send(new iam.RemoveClientIDFromOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn, ClientID: "sts.amazonaws.com" }));
    const after = await rootIam.send(new iam.GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn }));
    assert.deepEqual([after.ClientIDList, after.ThumbprintList], [["other"], ["b".repeat(40)]]);
    await rootIam.send(new iam.TagOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn, Tags: [{ Key: "env", Value: "dev" }] }));
    await rootIam.send(new iam.UntagOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn, TagKeys: ["team"] }));
    assert.deepEqual((await rootIam.send(new iam.ListOpenIDConnectProviderTagsCommand({ OpenIDConnectProviderArn: arn }))).Tags, [{ Key: "env", Value: "dev" }]);

    await expectError(rootIam.send(new iam.CreateOpenIDConnectProviderCommand({ Url: url, ClientIDList: ["x"] })), "EntityAlreadyExistsException", `Provider with url ${url} already exists.`, 409);
    await expectError(
      rootIam.send(new iam.CreateOpenIDConnectProviderCommand({ Url: "https://many.example.com", ClientIDList: Array.from({ length: 101 }, (_, i) => `c${i}`) })),
      "LimitExceededException",
      "Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: 100",
      409,
    );
    await expectError(rootIam.send(new iam.CreateOpenIDConnectProviderCommand({ Url: "http://plain.example.com" })), "InvalidInputException", "Invalid Openid Connect Provider URL");
    await rootIam.send(new iam.DeleteOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn }));
    await expectError(rootIam.send(new iam.GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn })), "NoSuchEntityException", `OpenIDConnect Provider not found for arn ${arn}`, 404);
    await expectError(rootIam.send(new iam.DeleteOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn })), "NoSuchEntityException", undefined, 404);
  });
});

describe("AssumeRoleWithWebIdentity (GitHub Actions through Slipway's issuer)", () => {
  let roleArn: string;
  before(async () => {
    await rootIam.send(new iam.CreateOpenIDConnectProviderCommand({ Url: GITHUB_ISSUER, ClientIDList: ["sts.amazonaws.com"] }));
    const role = await rootIam.send(
      new iam.CreateRoleCommand({
        RoleName: "github-deploy",
        AssumeRolePolicyDocument: doc([
          {
            Effect: "Allow",
            Principal: { Federated: PROVIDER_ARN },
            Action: "sts:AssumeRoleWithWebIdentity",
            Condition: {
              StringEquals: { "token.actions.githubusercontent.com:aud": "sts.amazonaws.com" },
              StringLike: { "token.actions.githubusercontent.com:sub": "repo:acme/app:ref:refs/heads/main" },
            },
          },
        ]),
      }),
    );
    roleArn = role.Role!.Arn!;
    await rootIam.send(new iam.AttachRolePolicyCommand({ RoleName: "github-deploy", PolicyArn: "arn:aws:iam::aws:policy/AmazonECS_FullAccess" }));
  });

  test("a token for the trusted branch gets a session that acts as the role", async () => {
    const out = await anon.send(new sts.AssumeRoleWithWebIdentityCommand({ RoleArn: roleArn, RoleSessionName: "GitHubActions", WebIdentityToken: await token() }));
    assert.equal(out.SubjectFromWebIdentityToken, "repo:acme/app:ref:refs/heads/main");
    assert.equal(out.Audience, "sts.amazonaws.com");
    assert.equal(out.Provider, GITHUB_ISSUER);
    assert.equal(out.AssumedRoleUser!.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/github-deploy/GitHubActions`);
    const c = out.Credentials!;
    const creds = { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken! };
    const who = await stsAs(creds).send(new sts.GetCallerIdentityCommand({}));
    assert.deepEqual([who.Arn, who.UserId?.endsWith(":GitHubActions")], [`arn:aws:sts::${ACCOUNT}:assumed-role/github-deploy/GitHubActions`, true]);
    // The session acts as the role: ECS allowed, IAM not.
    await new ecs.ECSClient(cfg(creds)).send(new ecs.ListClustersCommand({}));
    await expectError(
      iamAs(creds).send(new iam.ListRolesCommand({})),
      "AccessDenied",
      `User: arn:aws:sts::${ACCOUNT}:assumed-role/github-deploy/GitHubActions is not authorized to perform: iam:ListRoles on resource: * because no identity-based policy allows the iam:ListRoles action`,
      403,
    );
  });

  test("bad tokens: another branch, expired, signed by another key, wrong audience, an issuer with no provider, not a JWT", async () => {
    const call = async (t: string) => anon.send(new sts.AssumeRoleWithWebIdentityCommand({ RoleArn: roleArn, RoleSessionName: "GitHubActions", WebIdentityToken: t }));
    await expectError(call(await token({ ref: "refs/heads/feature" })), "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity", 403);
    await expectError(call(await token({ repository: "evil/app" })), "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity", 403);
    const old = await token({ ttl: 60 });
    clock.advance(120_000);
    const nowS = Math.floor(clock.now() / 1000);
    await expectError(call(old), "ExpiredTokenException", `Token expired: current date/time ${nowS} must be before the expiration date/time ${nowS - 60}`);
    const otherDir = mkdtempSync(join(tmpdir(), "slipway-other-key-"));
    try {
      const forger = OidcIssuer.open(GITHUB_ISSUER, join(otherDir, "key.json"));
      await expectError(call(await token({ issuer: forger })), "InvalidIdentityTokenException", "Signature verification failed.");
      const elsewhere = OidcIssuer.open("https://issuer.example.net", join(otherDir, "key.json"));
      await expectError(call(await token({ issuer: elsewhere })), "InvalidIdentityTokenException", "No OpenIDConnect provider found in your account for https://issuer.example.net");
    } finally {
      rmSync(otherDir, { recursive: true, force: true });
    }
    await expectError(call(await token({ audience: "https://github.com/acme" })), "InvalidIdentityTokenException", "Incorrect token audience");
    await expectError(call("not.a.jwt-token"), "InvalidIdentityTokenException", "Couldn't parse the provided web identity token.");
    await expectError(
      anon.send(new sts.AssumeRoleWithWebIdentityCommand({ RoleArn: roleArn, RoleSessionName: "bad name", WebIdentityToken: await token() })),
      "ValidationError",
      /roleSessionName/,
    );
  });
});

describe("AssumeRole evaluates the trust policy", () => {
  test("trust naming the user; ExternalId; session tags need sts:TagSession; a denying trust; the caller's own permissions when the trust names the account", async () => {
    await rootIam.send(new iam.CreateUserCommand({ UserName: "ops" }));
    const k = (await rootIam.send(new iam.CreateAccessKeyCommand({ UserName: "ops" }))).AccessKey!;
    const ops = { accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey! };
    const opsArn = `arn:aws:iam::${ACCOUNT}:user/ops`;
    const mk = async (name: string, statements: unknown[]) =>
      (await rootIam.send(new iam.CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: doc(statements) }))).Role!.Arn!;
    const direct = await mk("direct", [
      { Effect: "Allow", Principal: { AWS: opsArn }, Action: "sts:AssumeRole", Condition: { StringEquals: { "sts:ExternalId": "secret-123" } } },
    ]);
    const denied = (arn: string, action = "sts:AssumeRole") => `User: ${opsArn} is not authorized to perform: ${action} on resource: ${arn}`;
    await expectError(stsAs(ops).send(new sts.AssumeRoleCommand({ RoleArn: direct, RoleSessionName: "s1" })), "AccessDenied", denied(direct), 403);
    await expectError(stsAs(ops).send(new sts.AssumeRoleCommand({ RoleArn: direct, RoleSessionName: "s1", ExternalId: "wrong-1" })), "AccessDenied", denied(direct), 403);
    const ok = await stsAs(ops).send(new sts.AssumeRoleCommand({ RoleArn: direct, RoleSessionName: "s1", ExternalId: "secret-123" }));
    assert.equal(ok.AssumedRoleUser!.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/direct/s1`);
    await expectError(
      stsAs(ops).send(new sts.AssumeRoleCommand({ RoleArn: direct, RoleSessionName: "s1", ExternalId: "secret-123", Tags: [{ Key: "team", Value: "a" }] })),
      "AccessDenied",
      denied(direct, "sts:TagSession"),
      403,
    );

    const tagged = await mk("tagged", [{ Effect: "Allow", Principal: { AWS: opsArn }, Action: ["sts:AssumeRole", "sts:TagSession"] }]);
    await rootIam.send(
      new iam.PutRolePolicyCommand({
        RoleName: "tagged",
        PolicyName: "by-tag",
        PolicyDocument: doc([{ Effect: "Allow", Action: "iam:GetRole", Resource: "*", Condition: { StringEquals: { "aws:PrincipalTag/team": "a" } } }]),
      }),
    );
    const t = (await stsAs(ops).send(new sts.AssumeRoleCommand({ RoleArn: tagged, RoleSessionName: "t1", Tags: [{ Key: "team", Value: "a" }] }))).Credentials!;
    const tc = { accessKeyId: t.AccessKeyId!, secretAccessKey: t.SecretAccessKey!, sessionToken: t.SessionToken! };
    assert.equal((await iamAs(tc).send(new iam.GetRoleCommand({ RoleName: "tagged" }))).Role!.RoleName, "tagged");

    const denying = await mk("denying", [
      { Effect: "Allow", Principal: { AWS: ACCOUNT }, Action: "sts:AssumeRole" },
      { Effect: "Deny", Principal: { AWS: opsArn }, Action: "sts:AssumeRole" },
    ]);
    await expectError(stsAs(ops).send(new sts.AssumeRoleCommand({ RoleArn: denying, RoleSessionName: "s1" })), "AccessDenied", denied(denying), 403);

    // Trust naming the account: the user's own policy must allow sts:AssumeRole too.
    const account = await mk("account", [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "sts:AssumeRole" }]);
    await expectError(stsAs(ops).send(new sts.AssumeRoleCommand({ RoleArn: account, RoleSessionName: "s1" })), "AccessDenied", denied(account), 403);
    await rootIam.send(new iam.PutUserPolicyCommand({ UserName: "ops", PolicyName: "assume", PolicyDocument: doc([{ Effect: "Allow", Action: "sts:AssumeRole", Resource: account }]) }));
    await stsAs(ops).send(new sts.AssumeRoleCommand({ RoleArn: account, RoleSessionName: "s1" }));

    // Role chaining limits sessions to one hour.
    const chained = { accessKeyId: ok.Credentials!.AccessKeyId!, secretAccessKey: ok.Credentials!.SecretAccessKey!, sessionToken: ok.Credentials!.SessionToken! };
    await expectError(
      stsAs(chained).send(new sts.AssumeRoleCommand({ RoleArn: account, RoleSessionName: "c1", DurationSeconds: 7200 })),
      "ValidationError",
      "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
    );
    // An unknown role looks like a refused one.
    const missing = `arn:aws:iam::${ACCOUNT}:role/missing`;
    await expectError(stsAs(ops).send(new sts.AssumeRoleCommand({ RoleArn: missing, RoleSessionName: "s1" })), "AccessDenied", denied(missing), 403);
  });

  test("GetCallerIdentity for root, an IAM user, a role session and GetSessionToken's session", async () => {
    assert.equal((await stsAs(ROOT).send(new sts.GetCallerIdentityCommand({}))).Arn, `arn:aws:iam::${ACCOUNT}:root`);
    await rootIam.send(new iam.CreateUserCommand({ UserName: "who" }));
    const k = (await rootIam.send(new iam.CreateAccessKeyCommand({ UserName: "who" }))).AccessKey!;
    const who = { accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey! };
    // GetCallerIdentity needs no permission, even for a user with none.
    const id = await stsAs(who).send(new sts.GetCallerIdentityCommand({}));
    assert.equal(id.Arn, `arn:aws:iam::${ACCOUNT}:user/who`);
    await rootIam.send(new iam.PutUserPolicyCommand({ UserName: "who", PolicyName: "s", PolicyDocument: doc([{ Effect: "Allow", Action: "sts:GetSessionToken", Resource: "*" }]) }));
    const st = (await stsAs(who).send(new sts.GetSessionTokenCommand({ DurationSeconds: 900 }))).Credentials!;
    const viaSession = await stsAs({ accessKeyId: st.AccessKeyId!, secretAccessKey: st.SecretAccessKey!, sessionToken: st.SessionToken! }).send(new sts.GetCallerIdentityCommand({}));
    assert.equal(viaSession.Arn, `arn:aws:iam::${ACCOUNT}:user/who`);
    // A session of a user acts as the user: no IAM permission.
    await expectError(
      iamAs({ accessKeyId: st.AccessKeyId!, secretAccessKey: st.SecretAccessKey!, sessionToken: st.SessionToken! }).send(new iam.ListUsersCommand({})),
      "AccessDenied",
      /user\/who is not authorized to perform: iam:ListUsers/,
      403,
    );
  });
});

describe("Slipway's OIDC issuer over HTTP", () => {
  test("the discovery document names the JWKS, and a minted token verifies against the JWKS fetched from it (jose's remote key set)", async () => {
    const discovery = (await (await fetch(`${s.url}/_slipway/oidc/.well-known/openid-configuration`)).json()) as { issuer: string; jwks_uri: string };
    assert.equal(discovery.issuer, GITHUB_ISSUER);
    assert.equal(discovery.jwks_uri, `${s.url}/_slipway/oidc/jwks`);
    const res = await fetch(discovery.jwks_uri);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "application/json");
    const { createRemoteJWKSet, jwtVerify } = await import("jose");
    const jwt = await token();
    const { payload, protectedHeader } = await jwtVerify(jwt, createRemoteJWKSet(new URL(discovery.jwks_uri)), { issuer: GITHUB_ISSUER, currentDate: new Date(clock.now()) });
    assert.equal(payload.sub, "repo:acme/app:ref:refs/heads/main");
    assert.equal(protectedHeader.alg, "RS256");
    // A token from another key (same issuer URL) does not verify against Slipway's key set.
    const forgerDir = mkdtempSync(join(tmpdir(), "slipway-oidc-forger-"));
    try {
      const forged = await token({ issuer: OidcIssuer.open(GITHUB_ISSUER, join(forgerDir, "key.json")) });
      await assert.rejects(jwtVerify(forged, createRemoteJWKSet(new URL(discovery.jwks_uri)), { currentDate: new Date(clock.now()) }), /no applicable key|signature verification failed/i);
    } finally {
      rmSync(forgerDir, { recursive: true, force: true });
    }
  });
});
