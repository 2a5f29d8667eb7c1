/**
 * The console's server against startSlipway on FakeRuntime, with raw HTTP clients: the front
 * door's redirect, refusals of cross-site and rebinding requests, 404 pages, actions through the
 * AWS API, the activity feed, clients that drop mid-stream, 100 consoles at once, and strict auth.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import * as aas from "@aws-sdk/client-application-auto-scaling";
import * as cw from "@aws-sdk/client-cloudwatch";
import * as cwl from "@aws-sdk/client-cloudwatch-logs";
import * as ecs from "@aws-sdk/client-ecs";
import { ManualClock } from "../../src/core/clock.ts";
import { seededIds } from "../../src/core/ids.ts";
import { FakeRuntime } from "../../src/runtime/fake-runtime.ts";
import { LABELS } from "../../src/runtime/runtime.ts";
import { startSlipway, type Slipway } from "../../src/server/slipway.ts";
import { type ConsoleSessionInfo, openSession, openSse, post } from "./helpers.ts";

const CLUSTER = "console";

let s: Slipway;
let rt: FakeRuntime;
let client: ecs.ECSClient;
let dir: string;
let clock: ManualClock;
let taskArn = "";

const settle = async () => {
  for (let i = 0; i < 6; i++) {
    await new Promise<void>((r) => setImmediate(r));
    await s.idle();
  }
};

/** GET with explicit headers (fetch would not let a test set Host). */
function rawGet(port: number, path: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

async function healthy(): Promise<void> {
  const r = await fetch(`${s.url}/_slipway/health`);
  assert.equal(r.status, 200);
  const ok = await client.send(new ecs.ListClustersCommand({}));
  assert.ok(ok.clusterArns?.length);
}

before(async () => {
  clock = new ManualClock();
  rt = new FakeRuntime({ clock });
  rt.addImage("app:1");
  dir = mkdtempSync(join(tmpdir(), "slipway-console-"));
  s = await startSlipway({ port: 0, dataDir: dir, runtime: rt, clock, ids: seededIds("console"), log: () => {} });
  client = new ecs.ECSClient({ region: "us-east-1", endpoint: s.url, credentials: { accessKeyId: "test", secretAccessKey: "test" }, maxAttempts: 1 });
  await client.send(new ecs.CreateClusterCommand({ clusterName: CLUSTER }));
  await client.send(new ecs.RegisterTaskDefinitionCommand({ family: "app", containerDefinitions: [{ name: "app", image: "app:1", memory: 64 }] }));
  await client.send(new ecs.CreateServiceCommand({ cluster: CLUSTER, serviceName: "app", taskDefinition: "app", desiredCount: 1, enableExecuteCommand: true }));
  await settle();
  taskArn = (await client.send(new ecs.ListTasksCommand({ cluster: CLUSTER, serviceName: "app" }))).taskArns![0]!;
});

after(async () => {
  client.destroy();
  await s.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("the console's server", () => {
  let session: ConsoleSessionInfo;

  test("a browser's unsigned GET / is sent to the console; AWS clients still get AWS's answer", async () => {
    const browser = await fetch(`${s.url}/`, { headers: { accept: "text/html,application/xhtml+xml" }, redirect: "manual" });
    assert.equal(browser.status, 302);
    assert.equal(browser.headers.get("location"), "/_slipway/console/");
    const api = await fetch(`${s.url}/`, { redirect: "manual" });
    assert.equal(api.status, 400);
    assert.match(await api.text(), /MissingAction/);
    const signed = await fetch(`${s.url}/`, { headers: { accept: "text/html", authorization: "AWS4-HMAC-SHA256 Credential=x/20260101/us-east-1/ecs/aws4_request" }, redirect: "manual" });
    assert.notEqual(signed.status, 302);
  });

  test("the page and its assets: no-store HTML with a strict CSP, hashed and compressed assets", async () => {
    const page = await fetch(s.consoleUrl);
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-security-policy") ?? "", /script-src 'self'/);
    assert.equal(page.headers.get("x-frame-options"), "DENY");
    const html = await page.text();
    const script = /src="(\/_slipway\/console\/assets\/main-[^"]+\.js)"/.exec(html)?.[1];
    assert.ok(script, html);
    const js = await fetch(`${s.url}${script}`, { headers: { "accept-encoding": "br" } });
    assert.equal(js.status, 200);
    assert.equal(js.headers.get("content-encoding"), "br");
    assert.match(js.headers.get("cache-control") ?? "", /immutable/);
    assert.equal((await fetch(`${s.consoleUrl}assets/nope.js`)).status, 404);
  });

  test("a session: HttpOnly SameSite=Strict cookie and a token", async () => {
    const res = await fetch(`${s.consoleUrl}api/session`);
    assert.match(res.headers.get("set-cookie") ?? "", /HttpOnly; SameSite=Strict/);
    session = await openSession(s.consoleUrl);
    assert.ok(session.token.length >= 32);
    assert.equal(session.accountId, "000000000000");
  });

  test("forged cross-site requests are refused", async () => {
    const call = { service: "ecs", operation: "UpdateService", input: { cluster: CLUSTER, service: "app", desiredCount: 5 } };
    const refused = [
      await post(s.consoleUrl, "call", call, session, { origin: "http://evil.example" }),
      await post(s.consoleUrl, "call", call, session, { origin: "null" }),
      await post(s.consoleUrl, "call", call, session, { "sec-fetch-site": "cross-site" }),
      await post(s.consoleUrl, "call", call, session, { "x-slipway-token": "forged" }),
      await post(s.consoleUrl, "call", call, { ...session, token: "" }),
      await post(s.consoleUrl, "login", { accessKeyId: "a", secretAccessKey: "b" }, undefined, { origin: "http://evil.example" }),
    ];
    for (const r of refused) assert.equal(r.status, 403, JSON.stringify(r.body));
    // A form post (no JSON) and a request without Origin are refused too.
    const form = await fetch(`${s.consoleUrl}api/call`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", cookie: session.cookie },
      body: "service=ecs",
    });
    assert.equal(form.status, 403);
    // A page on another name for 127.0.0.1 (DNS rebinding) is not served.
    const rebound = await rawGet(s.port, "/_slipway/console/api/session", { host: `evil.example:${s.port}` });
    assert.equal(rebound.status, 421);
    const svc = await client.send(new ecs.DescribeServicesCommand({ cluster: CLUSTER, services: ["app"] }));
    assert.equal(svc.services?.[0]?.desiredCount, 1, "nothing changed");
    await healthy();
  });

  test("actions go through the AWS API: UpdateService, and AWS's errors", async () => {
    const ok = await post(s.consoleUrl, "call", { service: "ecs", operation: "UpdateService", input: { cluster: CLUSTER, service: "app", desiredCount: 2 } }, session);
    assert.equal(ok.status, 200);
    assert.equal(ok.body.output.service.desiredCount, 2);
    const missing = await post(s.consoleUrl, "call", { service: "ecs", operation: "UpdateService", input: { cluster: CLUSTER, service: "nope", desiredCount: 2 } }, session);
    assert.deepEqual({ status: missing.status, code: missing.body.error.code, message: missing.body.error.message }, { status: 400, code: "ServiceNotFoundException", message: "Service not found." });
    const notOffered = await post(s.consoleUrl, "call", { service: "iam", operation: "CreateUser", input: { UserName: "x" } }, session);
    assert.equal(notOffered.status, 400);
    assert.match(notOffered.body.error.message, /does not call iam:CreateUser/);
    await settle();
  });

  test("the activity feed: the console's actions are listed as its own, its reads are not", async () => {
    const events = await openSse(`${s.consoleUrl}api/events`, session.cookie);
    const hello = await events.waitFor((e) => e.event === "hello", "hello");
    const ops = (hello.data.activity as { operation: string; console: boolean; tool?: string }[]).map((a) => `${a.operation}:${a.console}`);
    assert.ok(ops.includes("UpdateService:true"), ops.join(" "));
    assert.ok(ops.includes("CreateService:false"), ops.join(" "));
    assert.ok(!ops.some((o) => o.startsWith("DescribeServices:true") || o.startsWith("GetCallerIdentity")), ops.join(" "));
    await client.send(new ecs.UpdateServiceCommand({ cluster: CLUSTER, service: "app", desiredCount: 1 }));
    const live = await events.waitFor((e) => e.event === "activity" && e.data.operation === "UpdateService" && !e.data.console, "the SDK's UpdateService");
    assert.match(live.data.tool, /aws-sdk-js/);
    await events.waitFor((e) => e.event === "changes" && (e.data as string[]).some((k) => k.startsWith("service:") && k.endsWith("/app")), "a change of the service");
    events.close();
    await settle();
  });

  test("new log events reach the console as a change of their group (the Logs view's live tail)", async () => {
    const logs = new cwl.CloudWatchLogsClient({ region: "us-east-1", endpoint: s.url, credentials: { accessKeyId: "test", secretAccessKey: "test" }, maxAttempts: 1 });
    await logs.send(new cwl.CreateLogGroupCommand({ logGroupName: "/console/app" }));
    await logs.send(new cwl.CreateLogStreamCommand({ logGroupName: "/console/app", logStreamName: "one" }));
    const events = await openSse(`${s.consoleUrl}api/events`, session.cookie);
    await events.waitFor((e) => e.event === "hello", "hello");
    await logs.send(new cwl.PutLogEventsCommand({ logGroupName: "/console/app", logStreamName: "one", logEvents: [{ timestamp: clock.now(), message: "hello" }] }));
    await events.waitFor((e) => e.event === "changes" && (e.data as string[]).includes("logs:000000000000:us-east-1:/console/app"), "the group's change");
    const found = await post(s.consoleUrl, "call", { service: "logs", operation: "FilterLogEvents", input: { logGroupName: "/console/app", filterPattern: "hello" } }, session);
    assert.deepEqual(found.body.output.events.map((e: { message: string }) => e.message), ["hello"]);
    events.close();
    logs.destroy();
  });

  test("metrics and scaling through the console: GetMetricData (dates as {$date}), the scalable target and its activity, the minute's broadcast", async () => {
    const creds = { region: "us-east-1", endpoint: s.url, credentials: { accessKeyId: "test", secretAccessKey: "test" }, maxAttempts: 1 };
    const metrics = new cw.CloudWatchClient(creds);
    const scaling = new aas.ApplicationAutoScalingClient(creds);
    const dims = [
      { Name: "ClusterName", Value: CLUSTER },
      { Name: "ServiceName", Value: "app" },
    ];
    const minute = Math.floor(clock.now() / 60_000) * 60_000 - 120_000;
    await metrics.send(new cw.PutMetricDataCommand({ Namespace: "Console/Test", MetricData: [{ MetricName: "CPUUtilization", Dimensions: dims, Timestamp: new Date(minute), Value: 42, Unit: "Percent" }] }));
    const data = await post(
      s.consoleUrl,
      "call",
      {
        service: "monitoring",
        operation: "GetMetricData",
        input: {
          MetricDataQueries: [{ Id: "cpu", MetricStat: { Metric: { Namespace: "Console/Test", MetricName: "CPUUtilization", Dimensions: dims }, Period: 60, Stat: "Average" } }],
          StartTime: { $date: clock.now() - 3_600_000 },
          EndTime: { $date: clock.now() },
          ScanBy: "TimestampAscending",
        },
      },
      session,
    );
    assert.equal(data.status, 200, JSON.stringify(data.body));
    assert.deepEqual(data.body.output.MetricDataResults[0].Values, [42]);
    assert.equal(Date.parse(data.body.output.MetricDataResults[0].Timestamps[0]), minute);

    await scaling.send(
      new aas.RegisterScalableTargetCommand({ ServiceNamespace: "ecs", ResourceId: `service/${CLUSTER}/app`, ScalableDimension: "ecs:service:DesiredCount", MinCapacity: 3, MaxCapacity: 4 }),
    );
    const target = await post(
      s.consoleUrl,
      "call",
      { service: "application-autoscaling", operation: "DescribeScalableTargets", input: { ServiceNamespace: "ecs", ResourceIds: [`service/${CLUSTER}/app`] } },
      session,
    );
    assert.deepEqual([target.body.output.ScalableTargets[0].MinCapacity, target.body.output.ScalableTargets[0].MaxCapacity], [3, 4]);
    const activity = await post(
      s.consoleUrl,
      "call",
      { service: "application-autoscaling", operation: "DescribeScalingActivities", input: { ServiceNamespace: "ecs", ResourceId: `service/${CLUSTER}/app` } },
      session,
    );
    assert.equal(activity.status, 200, JSON.stringify(activity.body));
    assert.ok(Array.isArray(activity.body.output.ScalingActivities));

    const events = await openSse(`${s.consoleUrl}api/events`, session.cookie);
    await events.waitFor((e) => e.event === "hello", "hello");
    clock.advance(60_000);
    await s.metricsMinute();
    await events.waitFor((e) => e.event === "changes" && (e.data as string[]).includes("metrics:minute"), "the minute's broadcast");
    events.close();
    await scaling.send(new aas.DeregisterScalableTargetCommand({ ServiceNamespace: "ecs", ResourceId: `service/${CLUSTER}/app`, ScalableDimension: "ecs:service:DesiredCount" }));
    metrics.destroy();
    scaling.destroy();
    await settle();
  });

  test("an unknown task, service or page is a 404 page, and the server goes on", async () => {
    for (const path of ["clusters/console/tasks/0123456789abcdef0123456789abcdef", "clusters/nope/tasks/abc", "clusters/console/services/nope", "no/such/page", "clusters/%E0%A4%A/tasks/x"]) {
      const r = await fetch(`${s.consoleUrl}${path}`, { headers: { cookie: session.cookie } });
      assert.equal(r.status, 404, path);
      assert.match(r.headers.get("content-type") ?? "", /text\/html/);
      assert.match(await r.text(), /data-status="404"/);
    }
    const id = taskArn.split("/").pop()!;
    assert.equal((await fetch(`${s.consoleUrl}clusters/console/tasks/${id}`, { headers: { cookie: session.cookie } })).status, 200);
    const tail = await fetch(`${s.consoleUrl}api/tail?cluster=console&task=0123456789abcdef0123456789abcdef&container=app`, { headers: { cookie: session.cookie } });
    assert.equal(tail.status, 404);
    assert.equal((await fetch(`${s.consoleUrl}api/nope`, { headers: { cookie: session.cookie } })).status, 404);
    await healthy();
  });

  test("clients that drop mid-stream (events, log tail, shell) leave the server healthy", async () => {
    const base = s.consoleStats();
    const events = await openSse(`${s.consoleUrl}api/events`, session.cookie);
    await events.waitFor((e) => e.event === "hello", "hello");
    const running = (await client.send(new ecs.ListTasksCommand({ cluster: CLUSTER, serviceName: "app" }))).taskArns![0]!;
    const id = running.split("/").pop()!;
    const [c] = await rt.list({ [LABELS.taskArn]: running });
    rt.emitLog(c!.id, "before the tail");
    const tail = await openSse(`${s.consoleUrl}api/tail?cluster=console&task=${id}&container=app`, session.cookie);
    await tail.waitFor((e) => e.event === "line" && e.data.m === "before the tail", "the backlog line");
    rt.emitLog(c!.id, "while tailing");
    await tail.waitFor((e) => e.event === "line" && e.data.m === "while tailing", "a live line");
    assert.deepEqual({ streams: s.consoleStats().streams, tails: s.consoleStats().tails }, { streams: base.streams + 1, tails: base.tails + 1 });

    const opened = await post(s.consoleUrl, "call", { service: "ecs", operation: "ExecuteCommand", input: { cluster: CLUSTER, task: running, command: "/bin/sh", interactive: true } }, session);
    assert.equal(opened.status, 200, JSON.stringify(opened.body));
    const ws = new WebSocket(`${opened.body.output.session.streamUrl}?token=${encodeURIComponent(opened.body.output.session.tokenValue)}`);
    await new Promise<void>((resolve) => ws.addEventListener("message", () => resolve(), { once: true }));
    assert.equal(s.consoleStats().execStreams, 1);

    events.destroy();
    tail.destroy();
    ws.close();
    for (let i = 0; i < 100 && (s.consoleStats().streams > base.streams || s.consoleStats().tails > base.tails || s.consoleStats().execStreams > 0); i++) {
      rt.emitLog(c!.id, `after the drop ${i}`);
      await new Promise((r) => setImmediate(r));
      await client.send(new ecs.DescribeServicesCommand({ cluster: CLUSTER, services: ["app"] }));
    }
    assert.deepEqual(
      { streams: s.consoleStats().streams, tails: s.consoleStats().tails, exec: s.consoleStats().execStreams },
      { streams: base.streams, tails: base.tails, exec: 0 },
      "every dropped stream was let go",
    );
    await healthy();
  });

  test("100 consoles at once: each gets the page and the live change; the server stays healthy", async () => {
    const base = s.consoleStats().streams;
    const consoles = await Promise.all(
      Array.from({ length: 100 }, async () => {
        const page = await fetch(s.consoleUrl);
        assert.equal(page.status, 200);
        await page.text();
        const one = await openSession(s.consoleUrl);
        const sse = await openSse(`${s.consoleUrl}api/events`, one.cookie);
        await sse.waitFor((e) => e.event === "hello", "hello");
        return sse;
      }),
    );
    assert.equal(s.consoleStats().streams, base + 100);
    await client.send(new ecs.UpdateServiceCommand({ cluster: CLUSTER, service: "app", desiredCount: 2 }));
    await Promise.all(consoles.map((c) => c.waitFor((e) => e.event === "changes" && (e.data as string[]).some((k) => k.endsWith("/app")), "the service change")));
    await healthy();
    for (const c of consoles) c.close();
    for (let i = 0; i < 100 && s.consoleStats().streams > base; i++) await client.send(new ecs.ListClustersCommand({}));
    assert.equal(s.consoleStats().streams, base);
    await settle();
  });
});

describe("the console with strict auth", () => {
  let strict: Slipway;
  let strictDir: string;
  const key = { accessKeyId: "AKIDCONSOLETEST", secretAccessKey: "console-secret-value", accountId: "111122223333" };

  before(async () => {
    strictDir = mkdtempSync(join(tmpdir(), "slipway-console-strict-"));
    // Strict auth judges a signature's date against Slipway's clock, and the SDK signs with the real time.
    const strictClock = new ManualClock(Date.now());
    strict = await startSlipway({ port: 0, dataDir: strictDir, runtime: new FakeRuntime({ clock: strictClock }), clock: strictClock, strictAuth: true, credentials: [key], log: () => {} });
  });

  after(async () => {
    await strict.close();
    rmSync(strictDir, { recursive: true, force: true });
  });

  test("the console asks for an access key, keeps the secret to itself, and acts as that identity", async () => {
    const anon = await fetch(`${strict.consoleUrl}api/session`);
    assert.deepEqual(await anon.json(), { strictAuth: true, signedIn: false, services: ["ecs", "elasticloadbalancing", "acm", "iam", "sts", "ec2", "logs", "ecr", "kms", "secretsmanager", "ssm", "monitoring", "application-autoscaling"] });
    assert.equal(anon.headers.get("set-cookie"), null, "no session without signing in");
    const denied = await post(strict.consoleUrl, "call", { service: "ecs", operation: "ListClusters", input: {} }, undefined);
    assert.equal(denied.status, 401);

    const wrong = await post(strict.consoleUrl, "login", { accessKeyId: key.accessKeyId, secretAccessKey: "not-it" }, undefined);
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.error.code, "SignatureDoesNotMatch");

    const origin = new URL(strict.consoleUrl).origin;
    const res = await fetch(`${strict.consoleUrl}api/login`, {
      method: "POST",
      headers: { "content-type": "application/json", origin },
      body: JSON.stringify({ accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey }),
    });
    const text = await res.text();
    assert.equal(res.status, 200, text);
    assert.ok(!text.includes(key.secretAccessKey), "the secret is never sent back");
    const body = JSON.parse(text) as { token: string; identity: { accountId: string; accessKeyId: string } };
    assert.deepEqual({ account: body.identity.accountId, key: body.identity.accessKeyId }, { account: key.accountId, key: key.accessKeyId });
    const signedIn: ConsoleSessionInfo = { cookie: (res.headers.get("set-cookie") ?? "").split(";")[0]!, token: body.token, accountId: key.accountId };
    const session = await (await fetch(`${strict.consoleUrl}api/session`, { headers: { cookie: signedIn.cookie } })).text();
    assert.ok(!session.includes(key.secretAccessKey));

    const created = await post(strict.consoleUrl, "call", { service: "ecs", operation: "ListClusters", input: {} }, signedIn);
    assert.equal(created.status, 200);
    const sdk = new ecs.ECSClient({ region: "us-east-1", endpoint: strict.url, credentials: key, maxAttempts: 1 });
    await sdk.send(new ecs.CreateClusterCommand({ clusterName: "strict" }));
    sdk.destroy();
    const listed = await post(strict.consoleUrl, "call", { service: "ecs", operation: "ListClusters", input: {} }, signedIn);
    assert.deepEqual(listed.body.output.clusterArns, [`arn:aws:ecs:us-east-1:${key.accountId}:cluster/strict`], "the console sees the signed-in account");

    const out = await post(strict.consoleUrl, "logout", {}, signedIn);
    assert.equal(out.status, 200);
    const after = await post(strict.consoleUrl, "call", { service: "ecs", operation: "ListClusters", input: {} }, signedIn);
    assert.equal(after.status, 401, "the session is gone after signing out");
  });
});
