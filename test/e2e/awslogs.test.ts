/**
 * The awslogs driver end to end: LogShipper following containers into CloudWatch Logs, read back
 * with the real CloudWatchLogsClient. One part on FakeRuntime (always runs), one on real Docker
 * (busybox writing to stdout and stderr; skipped with the reason when Docker is unreachable),
 * including a Slipway restart in the middle (store reopened, follower resumed without duplicates).
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import * as cwl from "@aws-sdk/client-cloudwatch-logs";
import { createGateway } from "../../src/aws/gateway.ts";
import { ManualClock, systemClock } from "../../src/core/clock.ts";
import { randomIds, seededIds } from "../../src/core/ids.ts";
import { LogShipper, MISSING_GROUP_ERROR } from "../../src/awslogs/shipper.ts";
import { DockerRuntime } from "../../src/runtime/docker/docker-runtime.ts";
import { FakeRuntime } from "../../src/runtime/fake-runtime.ts";
import { logsService } from "../../src/services/logs/index.ts";
import { Logs } from "../../src/services/logs/logs.ts";
import { Store } from "../../src/store/store.ts";
import { dockerAvailable, ensureTestImages, TEST_IMAGES } from "../helpers/docker.ts";
import { inProcess } from "../helpers/in-process.ts";

const REGION = "us-east-1";
const ACCOUNT = "000000000000";

function clientFor(logs: Logs): cwl.CloudWatchLogsClient {
  const gateway = createGateway({ services: [logsService(logs)], logger: { error: () => {} } });
  return new cwl.CloudWatchLogsClient({
    region: REGION,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    endpoint: "http://localhost",
    requestHandler: inProcess(gateway),
    maxAttempts: 1,
  });
}

/** Polls `check` until it returns a value (not undefined) or the deadline passes. */
async function until<T>(what: string, ms: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const awslogs = (group: string, extra: Record<string, string> = {}) => ({
  logDriver: "awslogs" as const,
  options: { "awslogs-group": group, "awslogs-region": REGION, "awslogs-stream-prefix": "web", ...extra },
});

async function allMessages(client: cwl.CloudWatchLogsClient, group: string, stream: string): Promise<string[]> {
  const out: string[] = [];
  let token: string | undefined;
  let first = true;
  for (;;) {
    const page = await client.send(
      new cwl.GetLogEventsCommand({ logGroupName: group, logStreamName: stream, startFromHead: first || undefined, nextToken: token }),
    );
    first = false;
    out.push(...page.events!.map((e) => e.message!));
    if (page.nextForwardToken === token) return out;
    token = page.nextForwardToken;
  }
}

describe("awslogs on FakeRuntime", () => {
  test("create-group rules, stream at start, batching on the clock, resume without duplicates", async () => {
    const clock = new ManualClock();
    const store = new Store(":memory:");
    const deps = { store, clock, ids: seededIds("awslogs") };
    const logs = new Logs(deps);
    const rt = new FakeRuntime({ clock });
    rt.addImage("app:1");
    const client = clientFor(logs);
    const taskId = "0123456789abcdef0123456789abcdef";
    const taskArn = `arn:aws:ecs:${REGION}:${ACCOUNT}:task/default/${taskId}`;
    let shipper = new LogShipper(deps, logs, rt, { batchMs: 200, batchLines: 3 });

    assert.equal(shipper.ensureGroupForTask({ taskArn, containers: [{ name: "app", logConfiguration: awslogs("/ecs/missing") }] }), MISSING_GROUP_ERROR);
    assert.equal(
      shipper.ensureGroupForTask({ taskArn, containers: [{ name: "app", logConfiguration: awslogs("/ecs/app", { "awslogs-create-group": "true" }) }] }),
      undefined,
    );
    assert.equal(shipper.ensureGroupForTask({ taskArn, containers: [{ name: "other", logConfiguration: { logDriver: "json-file" } }] }), undefined);

    const id = await rt.create({ name: "c1", image: "app:1", labels: {}, network: { mode: "none" } });
    await rt.start(id);
    const task = { taskArn, taskId, containers: [{ name: "app", runtimeId: id, logConfiguration: awslogs("/ecs/app") }] };
    shipper.follow(task);
    shipper.follow(task); // idempotent
    const stream = `web/app/${taskId}`;
    const streams = await client.send(new cwl.DescribeLogStreamsCommand({ logGroupName: "/ecs/app" }));
    assert.deepEqual(streams.logStreams!.map((s) => s.logStreamName), [stream], "stream exists before any output");

    rt.emitLog(id, "one");
    rt.emitLog(id, "two", { stream: "stderr" });
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(await allMessages(client, "/ecs/app", stream), [], "held for the batch window");
    clock.advance(200);
    await until("first batch", 2000, async () => ((await allMessages(client, "/ecs/app", stream)).length === 2 ? true : undefined));

    // three lines fill a batch at once
    rt.emitLog(id, "three");
    rt.emitLog(id, "four");
    rt.emitLog(id, "five");
    await until("full batch", 2000, async () => ((await allMessages(client, "/ecs/app", stream)).length === 5 ? true : undefined));

    // "restart": a new shipper re-follows; lines at the last stored millisecond are not repeated
    await shipper.close();
    shipper = new LogShipper(deps, logs, rt, { batchMs: 200, batchLines: 3 });
    rt.emitLog(id, "six");
    shipper.follow(task);
    await until("resumed", 2000, async () => {
      clock.advance(200); // the batch timer runs on the injected clock
      return (await allMessages(client, "/ecs/app", stream)).length >= 6 ? true : undefined;
    });
    assert.deepEqual(await allMessages(client, "/ecs/app", stream), ["one", "two", "three", "four", "five", "six"]);

    // the follower ends by itself when the container exits, after flushing
    rt.emitLog(id, "last words");
    rt.exit(id, 0);
    await until("follower ends", 2000, async () => (shipper.following(taskArn) ? undefined : true));
    assert.equal((await allMessages(client, "/ecs/app", stream)).at(-1), "last words");

    // without a prefix the stream is the container id
    const id2 = await rt.create({ name: "c2", image: "app:1", labels: {}, network: { mode: "none" } });
    await rt.start(id2);
    shipper.follow({ taskArn, taskId, containers: [{ name: "x", runtimeId: id2, logConfiguration: { logDriver: "awslogs", options: { "awslogs-group": "/ecs/app" } } }] });
    const names = (await client.send(new cwl.DescribeLogStreamsCommand({ logGroupName: "/ecs/app" }))).logStreams!.map((s) => s.logStreamName);
    assert.ok(names.includes(id2));
    await shipper.stop(taskArn);
    assert.equal(shipper.following(taskArn), false);
    client.destroy();
    store.close();
  });
});

describe("awslogs on Docker", async () => {
  const reason = await dockerAvailable();

  test("busybox stdout+stderr → GetLogEvents within 2 s; restart resumes without duplicates", { skip: reason ?? false, timeout: 60_000 }, async () => {
    await ensureTestImages();
    const dir = mkdtempSync(join(tmpdir(), "slipway-awslogs-"));
    const dbPath = join(dir, "slipway.db");
    const rt = new DockerRuntime();
    const taskId = randomIds.hex(16);
    const taskArn = `arn:aws:ecs:${REGION}:${ACCOUNT}:task/default/${taskId}`;
    const name = `slipway-awslogs-test-${taskId.slice(0, 12)}`;
    const N = 30;
    const id = await rt.create({
      name,
      image: TEST_IMAGES.busybox,
      labels: { "slipway.test": "awslogs" },
      network: { mode: "none" },
      cmd: ["sh", "-c", `i=0; while [ $i -lt ${N} ]; do echo "out $i"; echo "err $i" >&2; i=$((i+1)); sleep 0.1; done`],
    });
    let store = new Store(dbPath);
    let deps = { store, clock: systemClock, ids: randomIds };
    let logs = new Logs(deps);
    let client = clientFor(logs);
    let shipper = new LogShipper(deps, logs, rt);
    const group = "/ecs/docker-test";
    const stream = `web/app/${taskId}`;
    const task = {
      taskArn,
      taskId,
      containers: [{ name: "app", runtimeId: id, logConfiguration: awslogs(group, { "awslogs-create-group": "true" }) }],
    };
    try {
      assert.equal(shipper.ensureGroupForTask(task), undefined);
      await rt.start(id);
      const started = Date.now();
      shipper.follow(task);
      await until("first lines", 2000, async () => {
        const m = await allMessages(client, group, stream);
        return m.includes("out 0") && m.includes("err 0") ? m : undefined;
      });
      assert.ok(Date.now() - started < 2000);

      // restart in the middle: stop following, close the store, reopen, follow again
      await until("some more lines", 3000, async () => ((await allMessages(client, group, stream)).length >= 10 ? true : undefined));
      await shipper.close();
      client.destroy();
      store.close();
      await new Promise((r) => setTimeout(r, 300)); // lines written while "down"
      store = new Store(dbPath);
      deps = { store, clock: systemClock, ids: randomIds };
      logs = new Logs(deps);
      client = clientFor(logs);
      shipper = new LogShipper(deps, logs, rt);
      shipper.follow(task);

      await until("container exit and last line", 15_000, async () => {
        const m = await allMessages(client, group, stream);
        return m.length >= 2 * N && !shipper.following(taskArn) ? true : undefined;
      });
      const messages = await allMessages(client, group, stream);
      const expected = Array.from({ length: N }, (_, i) => [`out ${i}`, `err ${i}`]).flat();
      assert.deepEqual([...messages].sort(), [...expected].sort(), "every line exactly once");
      assert.equal(new Set(messages).size, messages.length, "no duplicates");

      const events = (await client.send(new cwl.GetLogEventsCommand({ logGroupName: group, logStreamName: stream, startFromHead: true }))).events!;
      for (let i = 1; i < events.length; i++) assert.ok(events[i]!.timestamp! >= events[i - 1]!.timestamp!);
      assert.ok(Math.abs(events[0]!.timestamp! - started) < 5000, "Docker's line timestamp");
      const filtered = await client.send(new cwl.FilterLogEventsCommand({ logGroupName: group, filterPattern: "err" }));
      assert.equal(filtered.events!.length, N);
    } finally {
      await shipper.close();
      client.destroy();
      store.close();
      await rt.remove(id);
      rt.client.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
