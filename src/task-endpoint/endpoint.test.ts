import assert from "node:assert/strict";
import { test } from "node:test";
import type { Task } from "@aws-sdk/client-ecs";
import { fromHttp } from "@aws-sdk/credential-provider-http";
import { ManualClock } from "../core/clock.ts";
import { seededIds } from "../core/ids.ts";
import { FakeRuntime } from "../runtime/fake-runtime.ts";
import { LABELS } from "../runtime/runtime.ts";
import { Store } from "../store/store.ts";
import { CHAIN, setUpAddress, tearDownAddress } from "./address.ts";
import { startTaskEndpoint, TaskEndpoint } from "./endpoint.ts";
import { rfc3339Nano } from "./metadata.ts";
import type { IssuedSession, RoleSessions, TaskSnapshot } from "./ports.ts";

const TASK_ARN = "arn:aws:ecs:us-east-1:000000000000:task/prod/0123456789abcdef0123456789abcdef";
const ROLE = "arn:aws:iam::000000000000:role/app-task-role";

function fakeSessions(clock: ManualClock) {
  const live = new Map<string, IssuedSession & { sessionName: string }>();
  let n = 0;
  const sessions: RoleSessions & { live: typeof live } = {
    live,
    issue: (_role, sessionName, secs) => {
      const s = { accessKeyId: `ASIA${String(++n).padStart(16, "0")}`, secretAccessKey: `secret${n}`, sessionToken: `token${n}`, expiresAt: clock.now() + secs * 1000, sessionName };
      live.set(s.accessKeyId, s);
      return s;
    },
    get: (id) => live.get(id),
    revoke: (ids) => {
      for (const id of ids) live.delete(id);
    },
  };
  return sessions;
}

async function setup() {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const store = new Store(":memory:");
  const runtime = new FakeRuntime({ clock });
  await runtime.ensureNetwork("net", {});
  runtime.addImage("app:1");
  const id = await runtime.create({
    name: "slipway-0123-web",
    image: "app:1",
    labels: { [LABELS.taskArn]: TASK_ARN },
    network: { mode: "network", name: "net" },
    memoryBytes: 512 * 1024 * 1024,
  });
  await runtime.start(id);
  const task: Task = {
    taskArn: TASK_ARN,
    clusterArn: "arn:aws:ecs:us-east-1:000000000000:cluster/prod",
    taskDefinitionArn: "arn:aws:ecs:us-east-1:000000000000:task-definition/app:26",
    desiredStatus: "RUNNING",
    lastStatus: "RUNNING",
    launchType: "FARGATE",
    cpu: "256",
    memory: "512",
    availabilityZone: "us-east-1a",
    pullStartedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, 1)),
    attachments: [{ type: "ElasticNetworkInterface" }],
    containers: [{ name: "web", image: "app:1", runtimeId: id, lastStatus: "RUNNING", containerArn: "arn:aws:ecs:us-east-1:000000000000:container/prod/0123/abc", healthStatus: "HEALTHY" }],
  };
  let live = true;
  const snapshot: TaskSnapshot = {
    task,
    serviceName: "web",
    logConfigurations: new Map([["web", { logDriver: "awslogs", options: { "awslogs-group": "/ecs/app" } }]]),
    limits: new Map([["web", { cpu: 256, memory: 512 }]]),
    tags: [{ key: "team", value: "a" }],
  };
  const sessions = fakeSessions(clock);
  const endpoint = new TaskEndpoint({
    store,
    clock,
    ids: seededIds("te"),
    runtime,
    sessions,
    tasks: { task: (arn) => (arn === TASK_ARN ? snapshot : undefined), isLive: () => live },
  });
  const port = await endpoint.listen(endpoint.handler((_req, res) => {
    res.end("api");
  }), "127.0.0.1", 0);
  const base = `http://127.0.0.1:${port}`;
  return { clock, store, endpoint, base, sessions, dockerId: id, setLive: (v: boolean) => (live = v) };
}

// biome-ignore lint/suspicious/noExplicitAny: JSON bodies of many shapes, asserted field by field.
const get = async (url: string): Promise<{ status: number; type: string | null; body: any }> => {
  const r = await fetch(url);
  return { status: r.status, type: r.headers.get("content-type"), body: await r.json().catch(() => undefined) };
};

test("environment: metadata URIs, credentials URI only with a task role, AWS_ENDPOINT_URL; stable ids", async () => {
  const { endpoint } = await setup();
  try {
    const env = endpoint.environment({ taskArn: TASK_ARN, taskRoleArn: ROLE, launchType: "FARGATE" }, "web");
    const vars = Object.fromEntries(env.map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
    assert.match(vars["ECS_CONTAINER_METADATA_URI_V4"]!, /^http:\/\/169\.254\.170\.2\/v4\/[0-9a-f-]{36}$/);
    assert.equal(vars["ECS_CONTAINER_METADATA_URI"], vars["ECS_CONTAINER_METADATA_URI_V4"]!.replace("/v4/", "/v3/"));
    assert.match(vars["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"]!, /^\/v2\/credentials\/[0-9a-f-]{36}$/);
    assert.equal(vars["AWS_EXECUTION_ENV"], "AWS_ECS_FARGATE");
    assert.equal(vars["AWS_ENDPOINT_URL"], "http://169.254.170.2");
    assert.deepEqual(endpoint.environment({ taskArn: TASK_ARN, taskRoleArn: ROLE, launchType: "FARGATE" }, "web"), env, "ids are stable across passes");
    const noRole = endpoint.environment({ taskArn: `${TASK_ARN}0`, launchType: "EC2" }, "web");
    assert.ok(!noRole.some((e) => e.startsWith("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=")));
    assert.ok(noRole.includes("AWS_EXECUTION_ENV=AWS_ECS_EC2"));
  } finally {
    await endpoint.close();
  }
});

test("credentials: the agent's JSON, accepted by the SDK's container provider; refresh before expiry; errors; revoked at stop", async () => {
  const { endpoint, base, clock, sessions, setLive } = await setup();
  try {
    const uri = endpoint.environment({ taskArn: TASK_ARN, taskRoleArn: ROLE }, "web").find((e) => e.startsWith("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI="))!.split("=")[1]!;
    const r = await get(`${base}${uri}`);
    assert.equal(r.status, 200);
    assert.equal(r.type, "application/json");
    assert.deepEqual(Object.keys(r.body), ["RoleArn", "AccessKeyId", "SecretAccessKey", "Token", "Expiration"]);
    assert.equal(r.body.RoleArn, ROLE);
    assert.match(r.body.AccessKeyId, /^ASIA/);
    assert.equal(r.body.Expiration, "2026-01-01T06:00:00Z");
    assert.equal([...sessions.live.values()][0]!.sessionName, "0123456789abcdef0123456789abcdef", "the session name is the task id");

    // An unmodified SDK provider (loopback FULL_URI is allowed) reads the same answer.
    const creds = await fromHttp({ awsContainerCredentialsFullUri: `${base}${uri}` })();
    assert.equal(creds.accessKeyId, r.body.AccessKeyId);
    assert.equal(creds.sessionToken, r.body.Token);
    assert.deepEqual(creds.expiration, new Date("2026-01-01T06:00:00Z"));

    assert.equal((await get(`${base}${uri}`)).body.AccessKeyId, r.body.AccessKeyId, "the same session until 30 minutes before expiry");
    clock.advance(5.5 * 3600_000 + 1);
    const renewed = (await get(`${base}${uri}`)).body;
    assert.notEqual(renewed.AccessKeyId, r.body.AccessKeyId);
    assert.ok(sessions.live.has(r.body.AccessKeyId), "the old session stays valid until it expires");

    assert.deepEqual((await get(`${base}/v2/credentials/`)).body, { code: "NoIdInRequest", message: "CredentialsV2Request: No Credential ID in the request" });
    assert.deepEqual(await get(`${base}/v2/credentials/nope`), {
      status: 400,
      type: "application/json",
      body: { code: "InvalidIdInRequest", message: "CredentialsV2Request: Credentials not found" },
    });
    assert.equal((await get(`${base}/v1/credentials?id=${uri.split("/").at(-1)}`)).body.AccessKeyId, renewed.AccessKeyId);
    assert.equal((await fetch(`${base}//v2/credentials/x`)).status, 404);

    setLive(false);
    assert.equal(endpoint.sweep(), 1);
    assert.equal(sessions.live.size, 0, "every session of the stopped task is revoked");
    assert.equal((await get(`${base}${uri}`)).body.code, "InvalidIdInRequest");
  } finally {
    await endpoint.close();
  }
});

test("metadata v4: container, task, taskWithTags, stats, task/stats; unknown id; other paths go to the API", async () => {
  const { endpoint, base, dockerId } = await setup();
  try {
    const uri = endpoint.environment({ taskArn: TASK_ARN, launchType: "FARGATE" }, "web").find((e) => e.startsWith("ECS_CONTAINER_METADATA_URI_V4="))!.split("=")[1]!;
    const v4 = uri.replace("http://169.254.170.2", base);
    const c = (await get(v4)).body;
    assert.equal(c.DockerId, dockerId);
    assert.equal(c.Name, "web");
    assert.equal(c.DockerName, "slipway-0123-web");
    assert.equal(c.Labels["com.amazonaws.ecs.task-definition-version"], "26");
    assert.deepEqual(c.Limits, { CPU: 256, Memory: 512 });
    assert.equal(c.LogDriver, "awslogs");
    assert.equal(c.Type, "NORMAL");
    assert.equal(c.Health.status, "HEALTHY");
    assert.equal(c.Networks[0].NetworkMode, "awsvpc");
    const t = (await get(`${v4}/task`)).body;
    assert.equal(t.TaskARN, TASK_ARN);
    assert.equal(t.Cluster, "arn:aws:ecs:us-east-1:000000000000:cluster/prod");
    assert.equal(t.Family, "app");
    assert.equal(t.Revision, "26");
    assert.deepEqual(t.Limits, { CPU: 0.25, Memory: 512 });
    assert.equal(t.PullStartedAt, "2026-01-01T00:00:01.000000000Z");
    assert.equal(t.ServiceName, "web");
    assert.equal(t.FaultInjectionEnabled, false);
    assert.equal(t.Containers.length, 1);
    assert.equal(t.TaskTags, undefined);
    assert.deepEqual((await get(`${v4}/taskWithTags`)).body.TaskTags, { team: "a" });
    const stats = (await get(`${v4}/stats`)).body;
    assert.ok(stats.cpu_stats && stats.memory_stats);
    assert.deepEqual(stats.network_rate_stats, { rx_bytes_per_sec: 0, tx_bytes_per_sec: 0 });
    assert.deepEqual(Object.keys((await get(`${v4}/task/stats`)).body), [dockerId]);
    assert.equal((await get(`${uri.replace("http://169.254.170.2", base).replace("/v4/", "/v3/")}/task`)).body.TaskARN, TASK_ARN);
    const missing = await get(`${base}/v4/not-an-id`);
    assert.equal(missing.status, 404);
    assert.equal(typeof missing.body, "string");
    assert.equal(await (await fetch(`${base}/`, { method: "POST" })).text(), "api");
  } finally {
    await endpoint.close();
  }
});

test("RFC 3339 with nanoseconds", () => {
  assert.equal(rfc3339Nano(Date.UTC(2026, 0, 2, 3, 4, 5, 6)), "2026-01-02T03:04:05.006000000Z");
  assert.equal(rfc3339Nano(undefined), undefined);
});

test("kernel setup: address on lo and the isolation chain, recorded and removed; what was there is left alone", async () => {
  const { mkdtempSync, rmSync, existsSync } = await import("node:fs");
  const { join } = await import("node:path");
  const { tmpdir } = await import("node:os");
  const dir = mkdtempSync(join(tmpdir(), "slipway-te-"));
  try {
    const calls: string[] = [];
    let hasAddress = false;
    let chainExists = false;
    const ok = { code: 0, stdout: "", stderr: "" };
    const run = async (cmd: string, args: readonly string[]) => {
      const line = `${cmd} ${args.join(" ")}`;
      calls.push(line);
      if (line.startsWith("ip -4 -o addr show")) return { ...ok, stdout: hasAddress ? "1: lo    inet 169.254.170.2/32 scope global lo:slipway" : "" };
      if (line.startsWith("ip addr add")) hasAddress = true;
      if (line.startsWith("ip addr del")) hasAddress = false;
      if (line.includes(` -N ${CHAIN}`)) {
        if (chainExists) return { code: 1, stdout: "", stderr: "iptables: Chain already exists." };
        chainExists = true;
      }
      if (line.includes(" -C INPUT")) return { ...ok, code: 1 };
      if (line.includes(" -D INPUT")) return { ...ok, code: calls.filter((c) => c.includes(" -D INPUT")).length === 1 ? 0 : 1 };
      if (line.includes(` -X ${CHAIN}`)) chainExists = false;
      return ok;
    };
    const state = join(dir, "task-endpoint.json");
    assert.deepEqual(await setUpAddress(state, run), { warnings: [] });
    assert.ok(calls.includes("ip addr add 169.254.170.2/32 dev lo label lo:slipway"));
    assert.ok(calls.some((c) => c.startsWith("iptables -w -I INPUT -d 169.254.170.2/32 -m comment --comment")));
    assert.ok(calls.includes(`iptables -w -A ${CHAIN} -i docker+ -j RETURN`));
    assert.deepEqual(await tearDownAddress(state, run), [`iptables chain ${CHAIN}`, "address 169.254.170.2 on lo"]);
    assert.equal(hasAddress, false);
    assert.equal(existsSync(state), false);

    // Already there (another Slipway's): used, never removed.
    hasAddress = true;
    chainExists = true;
    assert.deepEqual(await setUpAddress(state, run), { warnings: [] });
    assert.deepEqual(await tearDownAddress(state, run), []);
    assert.equal(hasAddress, true);

    const denied = async () => ({ code: 2, stdout: "", stderr: "RTNETLINK answers: Operation not permitted" });
    hasAddress = false;
    const noRoot = await setUpAddress(state, async (cmd, args) => (args.includes("add") ? denied() : run(cmd, args)));
    assert.match(noRoot.failure ?? "", /cannot add 169\.254\.170\.2 to the loopback interface \(ip: RTNETLINK answers: Operation not permitted\)/);
    const noIptables = await setUpAddress(state, async (cmd, args) => (cmd === "iptables" ? { code: 127, stdout: "", stderr: "" } : run(cmd, args)));
    assert.match(noIptables.warnings[0] ?? "", /iptables is not installed/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("without root the endpoint stays off and says once what will not work; a failed setup too", async () => {
  const { endpoint } = await setup();
  try {
    const logs: string[] = [];
    const served = await startTaskEndpoint(endpoint, { stateFile: "/nonexistent/state.json", api: () => {}, log: (m) => logs.push(m), isRoot: false });
    assert.equal(served, false);
    assert.equal(logs.length, 1);
    assert.match(logs[0]!, /^task endpoint off: Slipway is not running as root\. Task containers get no ECS_CONTAINER_METADATA_URI_V4 \(task metadata\), no AWS_CONTAINER_CREDENTIALS_RELATIVE_URI \(task-role credentials\) and no AWS_ENDPOINT_URL/);
    const denied = await startTaskEndpoint(endpoint, {
      stateFile: "/nonexistent/state.json",
      api: () => {},
      log: (m) => logs.push(m),
      isRoot: true,
      run: async () => ({ code: 2, stdout: "", stderr: "RTNETLINK answers: Operation not permitted" }),
    });
    assert.equal(denied, false);
    assert.match(logs[1]!, /^task endpoint off: cannot list the loopback addresses \(ip: RTNETLINK answers: Operation not permitted\)/);
  } finally {
    await endpoint.close();
  }
});
