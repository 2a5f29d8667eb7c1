/**
 * The console under IAM enforcement (strict auth, enforcement on by default): an IAM user signed in
 * to the console can do exactly what its policies allow. Its API calls get IAM's denial as the SDK
 * does; what the console serves outside the AWS API is checked as the IAM action that reads the
 * same thing (the log tail as logs:GetLogEvents on the container's awslogs stream, listeners'
 * host ports as elasticloadbalancing:DescribeListeners, the API-activity feed as
 * cloudtrail:LookupEvents). With enforcement off, the same user is not refused. No response
 * carries the user's secret.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import * as ecs from "@aws-sdk/client-ecs";
import * as iamSdk from "@aws-sdk/client-iam";
import { ManualClock } from "../../src/core/clock.ts";
import { FakeRuntime } from "../../src/runtime/fake-runtime.ts";
import { LABELS } from "../../src/runtime/runtime.ts";
import { startSlipway, type Slipway } from "../../src/server/slipway.ts";
import { type ConsoleSessionInfo, openSse, post } from "./helpers.ts";

const ACCOUNT = "111122223333";
const admin = { accessKeyId: "AKIDCONSOLEADMIN", secretAccessKey: "console-admin-secret", accountId: ACCOUNT };
const CLUSTER = "iam";
const GROUP = "/console/iam";

interface Stack {
  s: Slipway;
  rt: FakeRuntime;
  dir: string;
  ecs: ecs.ECSClient;
  iam: iamSdk.IAMClient;
  viewer: { accessKeyId: string; secretAccessKey: string };
  taskArn: string;
}

async function settle(s: Slipway): Promise<void> {
  for (let i = 0; i < 6; i++) {
    await new Promise<void>((r) => setImmediate(r));
    await s.idle();
  }
}

/** Slipway with strict auth, a service of one exec-enabled task logging to awslogs, and an IAM user "viewer" with no policy yet. */
async function stack(enforceIam: boolean): Promise<Stack> {
  // Strict auth judges a signature's date against this clock, and the SDK signs with the real time.
  const clock = new ManualClock(Date.now());
  const rt = new FakeRuntime({ clock });
  rt.addImage("app:1");
  const dir = mkdtempSync(join(tmpdir(), "slipway-console-iam-"));
  const s = await startSlipway({ port: 0, dataDir: dir, runtime: rt, clock, strictAuth: true, enforceIam, credentials: [admin], log: () => {} });
  const cfg = { region: "us-east-1", endpoint: s.url, credentials: admin, maxAttempts: 1 };
  const e = new ecs.ECSClient(cfg);
  const iam = new iamSdk.IAMClient(cfg);
  await e.send(new ecs.CreateClusterCommand({ clusterName: CLUSTER }));
  await e.send(
    new ecs.RegisterTaskDefinitionCommand({
      family: "app",
      containerDefinitions: [
        {
          name: "app",
          image: "app:1",
          memory: 64,
          logConfiguration: { logDriver: "awslogs", options: { "awslogs-group": GROUP, "awslogs-create-group": "true", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "web" } },
        },
      ],
    }),
  );
  await e.send(new ecs.CreateServiceCommand({ cluster: CLUSTER, serviceName: "app", taskDefinition: "app", desiredCount: 1, enableExecuteCommand: true }));
  await settle(s);
  const taskArn = (await e.send(new ecs.ListTasksCommand({ cluster: CLUSTER, serviceName: "app" }))).taskArns![0]!;
  await iam.send(new iamSdk.CreateUserCommand({ UserName: "viewer" }));
  const key = (await iam.send(new iamSdk.CreateAccessKeyCommand({ UserName: "viewer" }))).AccessKey!;
  return { s, rt, dir, ecs: e, iam, viewer: { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! }, taskArn };
}

async function teardown(st: Stack): Promise<void> {
  st.ecs.destroy();
  st.iam.destroy();
  await st.s.close();
  rmSync(st.dir, { recursive: true, force: true });
}

/** Signs in to the console as `key`, asserting the secret never comes back. */
async function signIn(s: Slipway, key: { accessKeyId: string; secretAccessKey: string }): Promise<ConsoleSessionInfo & { arn: string }> {
  const res = await fetch(`${s.consoleUrl}api/login`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: new URL(s.consoleUrl).origin },
    body: JSON.stringify(key),
  });
  const text = await res.text();
  assert.equal(res.status, 200, text);
  assert.ok(!text.includes(key.secretAccessKey), "the secret is never sent back");
  const body = JSON.parse(text) as { token: string; identity: { accountId: string; arn: string } };
  const cookie = (res.headers.get("set-cookie") ?? "").split(";")[0]!;
  const session = await (await fetch(`${s.consoleUrl}api/session`, { headers: { cookie } })).text();
  assert.ok(!session.includes(key.secretAccessKey), "nor in the session");
  return { cookie, token: body.token, accountId: body.identity.accountId, arn: body.identity.arn };
}

const call = (s: Slipway, session: ConsoleSessionInfo, service: string, operation: string, input: unknown) =>
  post(s.consoleUrl, "call", { service, operation, input }, session);

async function getJson(url: string, cookie: string): Promise<{ status: number; body: { error?: { code: string; message: string } } & Record<string, unknown> }> {
  const res = await fetch(url, { headers: { cookie } });
  return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string } } & Record<string, unknown> };
}

describe("the console under IAM enforcement", () => {
  let st: Stack;
  let session: ConsoleSessionInfo & { arn: string };
  const user = `arn:aws:iam::${ACCOUNT}:user/viewer`;
  let serviceArn = "";
  let taskId = "";
  let stream = "";

  before(async () => {
    st = await stack(true);
    serviceArn = `arn:aws:ecs:us-east-1:${ACCOUNT}:service/${CLUSTER}/app`;
    taskId = st.taskArn.split("/").pop()!;
    stream = `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:${GROUP}:log-stream:web/app/${taskId}`;
    await st.iam.send(
      new iamSdk.PutUserPolicyCommand({
        UserName: "viewer",
        PolicyName: "read",
        PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["ecs:Describe*", "ecs:List*"], Resource: "*" }] }),
      }),
    );
    session = await signIn(st.s, st.viewer);
  });

  after(async () => {
    await teardown(st);
  });

  test("a user who may only read: reads work; actions, exec, the log tail, listeners and the activity feed get IAM's denial", async () => {
    assert.equal(session.arn, user);
    const read = await call(st.s, session, "ecs", "DescribeServices", { cluster: CLUSTER, services: ["app"] });
    assert.equal(read.status, 200, JSON.stringify(read.body));
    assert.equal(read.body.output.services[0].serviceArn, serviceArn);

    // An action: the console gets what the SDK gets with the same key.
    const update = await call(st.s, session, "ecs", "UpdateService", { cluster: CLUSTER, service: "app", desiredCount: 2 });
    const message = `User: ${user} is not authorized to perform: ecs:UpdateService on resource: ${serviceArn} because no identity-based policy allows the ecs:UpdateService action`;
    assert.deepEqual({ status: update.status, code: update.body.error.code, message: update.body.error.message }, { status: 400, code: "AccessDeniedException", message });
    const sdk = new ecs.ECSClient({ region: "us-east-1", endpoint: st.s.url, credentials: st.viewer, maxAttempts: 1 });
    await assert.rejects(sdk.send(new ecs.UpdateServiceCommand({ cluster: CLUSTER, service: "app", desiredCount: 2 })), { name: "AccessDeniedException", message });
    sdk.destroy();

    const exec = await call(st.s, session, "ecs", "ExecuteCommand", { cluster: CLUSTER, task: st.taskArn, command: "/bin/sh", interactive: true });
    assert.equal(exec.status, 400);
    assert.equal(exec.body.error.code, "AccessDeniedException");
    assert.equal(
      exec.body.error.message,
      `User: ${user} is not authorized to perform: ecs:ExecuteCommand on resource: arn:aws:ecs:us-east-1:${ACCOUNT}:cluster/${CLUSTER} because no identity-based policy allows the ecs:ExecuteCommand action`,
    );
    const sdkExec = new ecs.ECSClient({ region: "us-east-1", endpoint: st.s.url, credentials: st.viewer, maxAttempts: 1 });
    await assert.rejects(sdkExec.send(new ecs.ExecuteCommandCommand({ cluster: CLUSTER, task: st.taskArn, command: "/bin/sh", interactive: true })), {
      name: "AccessDeniedException",
      message: exec.body.error.message,
    });
    sdkExec.destroy();

    const tail = await getJson(`${st.s.consoleUrl}api/tail?cluster=${CLUSTER}&task=${taskId}&container=app`, session.cookie);
    assert.deepEqual(
      { status: tail.status, error: tail.body.error },
      {
        status: 403,
        error: {
          code: "AccessDeniedException",
          message: `User: ${user} is not authorized to perform: logs:GetLogEvents on resource: ${stream} because no identity-based policy allows the logs:GetLogEvents action`,
        },
      },
    );
    const listeners = await getJson(`${st.s.consoleUrl}api/listeners`, session.cookie);
    assert.equal(listeners.status, 403);
    assert.equal(
      listeners.body.error?.message,
      `User: ${user} is not authorized to perform: elasticloadbalancing:DescribeListeners on resource: * because no identity-based policy allows the elasticloadbalancing:DescribeListeners action`,
    );

    // The activity feed: changes still arrive, API calls do not.
    const events = await openSse(`${st.s.consoleUrl}api/events`, session.cookie);
    const hello = await events.waitFor((e) => e.event === "hello", "hello");
    assert.deepEqual(hello.data.activity, []);
    assert.match(hello.data.activityDenied, /is not authorized to perform: cloudtrail:LookupEvents on resource: \*/);
    await st.ecs.send(new ecs.UpdateServiceCommand({ cluster: CLUSTER, service: "app", desiredCount: 1 }));
    await events.waitFor((e) => e.event === "changes" && (e.data as string[]).includes(`service:${serviceArn}`), "the service's change");
    assert.deepEqual(
      events.events.filter((e) => e.event === "activity"),
      [],
      "no API call reaches a console that may not see them",
    );
    events.close();
  });

  test("once IAM allows them, the same session acts, opens a shell, tails the log and sees the activity", async () => {
    await st.iam.send(
      new iamSdk.PutUserPolicyCommand({
        UserName: "viewer",
        PolicyName: "operate",
        PolicyDocument: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            { Effect: "Allow", Action: ["ecs:UpdateService", "ecs:ExecuteCommand"], Resource: "*" },
            { Effect: "Allow", Action: "logs:GetLogEvents", Resource: `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:${GROUP}:*` },
            { Effect: "Allow", Action: ["elasticloadbalancing:DescribeListeners", "cloudtrail:LookupEvents"], Resource: "*" },
          ],
        }),
      }),
    );
    const update = await call(st.s, session, "ecs", "UpdateService", { cluster: CLUSTER, service: "app", desiredCount: 1 });
    assert.equal(update.status, 200, JSON.stringify(update.body));
    const exec = await call(st.s, session, "ecs", "ExecuteCommand", { cluster: CLUSTER, task: st.taskArn, command: "/bin/sh", interactive: true });
    assert.equal(exec.status, 200, JSON.stringify(exec.body));
    assert.match(exec.body.output.session.streamUrl, /^ws:\/\/127\.0\.0\.1:\d+\/_slipway\/exec\/ecs-execute-command-/);

    const [c] = await st.rt.list({ [LABELS.taskArn]: st.taskArn });
    st.rt.emitLog(c!.id, "allowed now");
    const tail = await openSse(`${st.s.consoleUrl}api/tail?cluster=${CLUSTER}&task=${taskId}&container=app`, session.cookie);
    assert.equal(tail.status, 200);
    await tail.waitFor((e) => e.event === "line" && e.data.m === "allowed now", "the log line");
    tail.close();

    const listeners = await getJson(`${st.s.consoleUrl}api/listeners`, session.cookie);
    assert.equal(listeners.status, 200);
    const events = await openSse(`${st.s.consoleUrl}api/events`, session.cookie);
    const hello = await events.waitFor((e) => e.event === "hello", "hello");
    assert.equal(hello.data.activityDenied, undefined);
    assert.ok((hello.data.activity as { operation: string }[]).some((a) => a.operation === "UpdateService"));
    await st.ecs.send(new ecs.DescribeServicesCommand({ cluster: CLUSTER, services: ["app"] }));
    await events.waitFor((e) => e.event === "activity" && e.data.operation === "DescribeServices", "the admin's call");
    events.close();
  });

  test("a key deleted while its console session is open: an open activity stream hears no more, and the session ends", async () => {
    const events = await openSse(`${st.s.consoleUrl}api/events`, session.cookie);
    await events.waitFor((e) => e.event === "hello", "hello");
    await st.iam.send(new iamSdk.DeleteAccessKeyCommand({ UserName: "viewer", AccessKeyId: st.viewer.accessKeyId }));
    await st.ecs.send(new ecs.UpdateServiceCommand({ cluster: CLUSTER, service: "app", desiredCount: 1 }));
    await events.waitFor((e) => e.event === "changes" && (e.data as string[]).includes(`service:${serviceArn}`), "the service's change");
    assert.deepEqual(
      events.events.filter((e) => e.event === "activity" && e.data.operation === "UpdateService"),
      [],
      "a deleted key's console hears no API calls",
    );
    events.close();
    const message = `The access key ${st.viewer.accessKeyId} is no longer valid. Sign in again.`;
    const r = await call(st.s, session, "ecs", "DescribeServices", { cluster: CLUSTER, services: ["app"] });
    assert.deepEqual({ status: r.status, error: r.body.error }, { status: 401, error: { code: "NotSignedIn", message } });
    const again = await getJson(`${st.s.consoleUrl}api/listeners`, session.cookie);
    assert.equal(again.body.error?.message, "Sign in to the console first.", "the session is gone");
  });
});

describe("the console with strict auth and IAM enforcement off (--no-enforce-iam)", () => {
  let st: Stack;
  before(async () => {
    st = await stack(false);
  });
  after(async () => {
    await teardown(st);
  });

  test("a user with no policy is not refused anything", async () => {
    const session = await signIn(st.s, st.viewer);
    const update = await call(st.s, session, "ecs", "UpdateService", { cluster: CLUSTER, service: "app", desiredCount: 1 });
    assert.equal(update.status, 200, JSON.stringify(update.body));
    const taskId = st.taskArn.split("/").pop()!;
    const tail = await openSse(`${st.s.consoleUrl}api/tail?cluster=${CLUSTER}&task=${taskId}&container=app`, session.cookie);
    assert.equal(tail.status, 200);
    tail.close();
    assert.equal((await getJson(`${st.s.consoleUrl}api/listeners`, session.cookie)).status, 200);
    const events = await openSse(`${st.s.consoleUrl}api/events`, session.cookie);
    const hello = await events.waitFor((e) => e.event === "hello", "hello");
    assert.equal(hello.data.activityDenied, undefined);
    assert.ok((hello.data.activity as { operation: string }[]).some((a) => a.operation === "UpdateService"));
    events.close();
  });
});
