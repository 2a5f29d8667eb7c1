/**
 * ECS tasks with the awslogs log driver end to end
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/using_awslogs.html) against a
 * `slipway up` child process and real Docker: a RunTask task and a service task whose busybox
 * containers write to stdout and stderr; the lines are read back with the AWS CLI
 * (`aws logs get-log-events` / `filter-log-events`) from stream `app/<container>/<task id>`.
 * Latency (line written → readable) is measured with a CloudWatchLogsClient polling every 50 ms,
 * because one AWS CLI invocation alone takes about a second; the CLI then checks the same events.
 * Also: the stream exists before the container writes anything; a missing group without
 * `awslogs-create-group` fails the task with TaskFailedToStart / ResourceInitializationError; logs
 * survive a SIGKILL + restart of Slipway and keep arriving afterwards, without duplicates or gaps.
 * Skipped (with the reason) without Docker or the AWS CLI.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { CloudWatchLogsClient, DescribeLogStreamsCommand, FilterLogEventsCommand, GetLogEventsCommand, type OutputLogEvent } from "@aws-sdk/client-cloudwatch-logs";
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DescribeTasksCommand,
  ECSClient,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  RunTaskCommand,
  type ContainerDefinition,
  type Task,
} from "@aws-sdk/client-ecs";
import { dockerAvailable, ensureTestImages, TEST_IMAGES } from "../helpers/docker.ts";
import {
  aws,
  awsCliAvailable,
  cleanDataDir,
  docker,
  instanceIdOf,
  managedContainers,
  pollUntil,
  type SlipwayProcess,
  startSlipwayProcess,
  tempDataDir,
} from "../helpers/slipway-process.ts";

const skip = (await dockerAvailable()) ?? (await awsCliAvailable());
if (skip) console.log(`# skipping ECS awslogs e2e: ${skip}`);

const SUFFIX = `${process.pid}-${Date.now().toString(36)}`;
const CLUSTER = `logs-${SUFFIX}`;
const GROUP = "/ecs/app";
const NET = { awsvpcConfiguration: { subnets: ["subnet-0123456789abcdef0"], assignPublicIp: "DISABLED" as const } };
const LATENCY_MS = 2000;
const EXECUTION_ROLE = "arn:aws:iam::000000000000:role/ecsTaskExecutionRole";

const awslogs = (group: string, createGroup: boolean) => ({
  logDriver: "awslogs" as const,
  options: {
    "awslogs-group": group,
    "awslogs-region": "us-east-1",
    "awslogs-stream-prefix": "app",
    ...(createGroup ? { "awslogs-create-group": "true" } : {}),
  },
});

const app = (command: string, group = GROUP, createGroup = true): ContainerDefinition => ({
  name: "app",
  image: TEST_IMAGES.busybox,
  essential: true,
  stopTimeout: 2,
  command: ["sh", "-c", command],
  logConfiguration: awslogs(group, createGroup),
});

const taskIdOf = (arn: string) => arn.split("/").pop()!;

describe("ECS awslogs driver end to end", { skip, timeout: 300_000 }, () => {
  let slipway: SlipwayProcess | undefined;
  let dataDir = "";
  let instanceId = "";
  let ecs: ECSClient;
  let logs: CloudWatchLogsClient;

  const clients = () => {
    const cfg = { endpoint: slipway!.url, region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" } };
    ecs = new ECSClient(cfg);
    logs = new CloudWatchLogsClient(cfg);
  };
  const cli = <T = any>(...args: string[]) => aws<T>(slipway!.url, ["logs", ...args]);
  const register = async (family: string, c: ContainerDefinition) =>
    (
      await ecs.send(
        new RegisterTaskDefinitionCommand({
          family,
          networkMode: "awsvpc",
          requiresCompatibilities: ["FARGATE"],
          cpu: "256",
          memory: "512",
          // Fargate refuses awslogs without an execution role, as on AWS.
          executionRoleArn: EXECUTION_ROLE,
          containerDefinitions: [c],
        }),
      )
    ).taskDefinition!.taskDefinitionArn!;
  const describeTask = async (arn: string): Promise<Task> => (await ecs.send(new DescribeTasksCommand({ cluster: CLUSTER, tasks: [arn] }))).tasks![0]!;
  /** Every event of a stream, oldest first (GetLogEvents from the head until the token repeats). */
  const allEvents = async (stream: string): Promise<OutputLogEvent[]> => {
    const out: OutputLogEvent[] = [];
    let token: string | undefined;
    for (;;) {
      const page = await logs.send(new GetLogEventsCommand({ logGroupName: GROUP, logStreamName: stream, startFromHead: true, nextToken: token }));
      out.push(...page.events!);
      if (page.nextForwardToken === token) return out;
      token = page.nextForwardToken;
    }
  };
  /** When the container of a task started, per Docker (ms). */
  const containerStartedAt = async (taskArn: string): Promise<number> => {
    const rows = await managedContainers(instanceId, [`label=slipway.task-arn=${taskArn}`]);
    assert.equal(rows.length, 1);
    return Date.parse((await docker(["inspect", "-f", "{{.State.StartedAt}}", rows[0]!.id])).trim());
  };

  before(async () => {
    await ensureTestImages();
    dataDir = tempDataDir("slipway-e2e-awslogs-");
    slipway = await startSlipwayProcess({ dataDir });
    instanceId = instanceIdOf(dataDir);
    clients();
    await ecs.send(new CreateClusterCommand({ clusterName: CLUSTER }));
  });

  after(async () => {
    ecs?.destroy();
    logs?.destroy();
    await slipway?.kill("SIGTERM");
    if (dataDir) await cleanDataDir(dataDir);
  });

  test("RunTask: stdout and stderr lines readable within 2 s via get-log-events and filter-log-events", async () => {
    const td = await register(`logs-run-${SUFFIX}`, app("for i in 1 2 3; do echo line-$i; echo err-$i >&2; done; sleep 30"));
    const runOut = await ecs.send(new RunTaskCommand({ cluster: CLUSTER, taskDefinition: td, launchType: "FARGATE", networkConfiguration: NET }));
    assert.deepEqual(runOut.failures, []);
    const taskArn = runOut.tasks![0]!.taskArn!;
    const stream = `app/app/${taskIdOf(taskArn)}`;
    const expected = ["line-1", "err-1", "line-2", "err-2", "line-3", "err-3"];

    // Poll fast with the SDK to time each line from its Docker timestamp to readability.
    const seenAt = new Map<string, number>();
    const filterSeenAt = new Map<string, { at: number; timestamp: number }>();
    const events = await pollUntil(
      async () => {
        const evs = await allEvents(stream);
        const now = Date.now();
        for (const e of evs) if (!seenAt.has(e.message!)) seenAt.set(e.message!, now);
        const f = await logs.send(new FilterLogEventsCommand({ logGroupName: GROUP, logStreamNames: [stream], filterPattern: "line" }));
        const fnow = Date.now();
        for (const e of f.events!) if (!filterSeenAt.has(e.message!)) filterSeenAt.set(e.message!, { at: fnow, timestamp: e.timestamp! });
        return expected.every((m) => seenAt.has(m)) && filterSeenAt.size === 3 ? evs : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 50, what: `all six lines in ${stream}` },
    );
    const startedAt = await containerStartedAt(taskArn);
    const lags = events.map((e) => seenAt.get(e.message!)! - e.timestamp!);
    const sinceStart = Math.max(...events.map((e) => seenAt.get(e.message!)!)) - startedAt;
    console.log(`# RunTask: written → readable ${Math.min(...lags)}–${Math.max(...lags)} ms; container start → all six readable ${sinceStart} ms`);
    for (const [i, e] of events.entries()) {
      assert.ok(lags[i]! <= LATENCY_MS, `${e.message}: readable ${lags[i]} ms after it was written`);
      assert.ok(e.ingestionTime! >= e.timestamp!, "ingestionTime at or after the line timestamp");
      assert.ok(e.timestamp! >= startedAt - 1000 && e.timestamp! <= startedAt + 5000, "timestamp = when the container wrote the line");
    }
    assert.ok(sinceStart <= LATENCY_MS, `all lines readable ${sinceStart} ms after the container started`);
    assert.deepEqual([...filterSeenAt.keys()].sort(), ["line-1", "line-2", "line-3"], "the filter matched only the stdout lines");
    for (const [m, x] of filterSeenAt) assert.ok(x.at - x.timestamp <= LATENCY_MS, `${m}: matched by FilterLogEvents ${x.at - x.timestamp} ms after it was written`);
    assert.deepEqual(events.map((e) => e.message).sort(), [...expected].sort(), "each line exactly once");
    // stdout and stderr keep their own order in the shared stream.
    assert.deepEqual(events.map((e) => e.message).filter((m) => m!.startsWith("line-")), ["line-1", "line-2", "line-3"]);
    assert.deepEqual(events.map((e) => e.message).filter((m) => m!.startsWith("err-")), ["err-1", "err-2", "err-3"]);

    // The same through the AWS CLI.
    const got = await cli<{ events: any[]; nextForwardToken: string; nextBackwardToken: string }>(
      "get-log-events", "--log-group-name", GROUP, "--log-stream-name", stream, "--start-from-head",
    );
    assert.deepEqual(got.events.map((e) => e.message).sort(), [...expected].sort());
    assert.match(got.nextForwardToken, /^f\//);
    assert.match(got.nextBackwardToken, /^b\//);
    for (const e of got.events) assert.equal(typeof e.ingestionTime, "number");
    const filtered = await cli<{ events: any[]; nextToken?: string }>("filter-log-events", "--log-group-name", GROUP, "--filter-pattern", "line");
    assert.deepEqual(filtered.events.map((e) => e.message), ["line-1", "line-2", "line-3"]);
    for (const e of filtered.events) {
      assert.equal(e.logStreamName, stream);
      assert.ok(e.eventId);
      assert.equal(typeof e.ingestionTime, "number");
    }
    assert.equal(filtered.nextToken, undefined, "no nextToken once everything is returned");
    const again = await cli<{ events: any[] }>("filter-log-events", "--log-group-name", GROUP, "--filter-pattern", "line");
    assert.deepEqual(again.events.map((e) => e.eventId), filtered.events.map((e) => e.eventId), "eventIds are stable");
    const streams = await cli<{ logStreams: any[] }>("describe-log-streams", "--log-group-name", GROUP, "--log-stream-name-prefix", "app/app/");
    assert.ok(streams.logStreams.some((s) => s.logStreamName === stream));
    const t = await describeTask(taskArn);
    assert.equal(t.lastStatus, "RUNNING");
  });

  test("a missing log group without awslogs-create-group: TaskFailedToStart, ResourceInitializationError", async () => {
    const group = `/ecs/missing-${SUFFIX}`;
    const td = await register(`logs-missing-${SUFFIX}`, app("echo never", group, false));
    const runOut = await ecs.send(new RunTaskCommand({ cluster: CLUSTER, taskDefinition: td, launchType: "FARGATE", networkConfiguration: NET }));
    const taskArn = runOut.tasks![0]!.taskArn!;
    const t = await pollUntil(
      async () => {
        const x = await describeTask(taskArn);
        return x.lastStatus === "STOPPED" ? x : undefined;
      },
      { timeoutMs: 60_000, what: "the task to stop" },
    );
    assert.equal(t.stopCode, "TaskFailedToStart");
    assert.match(t.stoppedReason ?? "", /^ResourceInitializationError: .*The specified log group does not exist\.$/);
    const groups = await cli<{ logGroups: any[] }>("describe-log-groups", "--log-group-name-prefix", group);
    assert.deepEqual(groups.logGroups, [], "the group was not created");
    assert.equal((await managedContainers(instanceId, [`label=slipway.task-arn=${taskArn}`, "status=running"])).length, 0, "no container runs");
  });

  test("service task: stream exists before output; logs survive a Slipway kill + restart, new lines keep arriving, no duplicates", async () => {
    // Waits 4 s before its first line, then one numbered line per 200 ms.
    const td = await register(`logs-svc-${SUFFIX}`, app("sleep 4; i=0; while true; do echo tick-$i; i=$((i+1)); sleep 0.2; done"));
    await ecs.send(
      new CreateServiceCommand({ cluster: CLUSTER, serviceName: "ticker", taskDefinition: td, desiredCount: 1, launchType: "FARGATE", networkConfiguration: NET }),
    );
    const taskArn = await pollUntil(
      async () => {
        const { taskArns } = await ecs.send(new ListTasksCommand({ cluster: CLUSTER, serviceName: "ticker" }));
        return taskArns?.[0];
      },
      { timeoutMs: 30_000, what: "the service task" },
    );
    const stream = `app/app/${taskIdOf(taskArn)}`;
    const running = await pollUntil(
      async () => ((await managedContainers(instanceId, [`label=slipway.task-arn=${taskArn}`, "status=running"])).length === 1 ? true : undefined),
      { timeoutMs: 60_000, intervalMs: 50, what: "the container to run" },
    );
    assert.ok(running);
    const startedAt = await containerStartedAt(taskArn);
    const listed = await pollUntil(
      async () => {
        const s = await logs.send(new DescribeLogStreamsCommand({ logGroupName: GROUP, logStreamNamePrefix: stream }));
        return s.logStreams?.find((x) => x.logStreamName === stream);
      },
      { timeoutMs: 10_000, intervalMs: 50, what: `stream ${stream} to be listed` },
    );
    const listedAt = Date.now();
    console.log(`# service task: stream listed ${listedAt - startedAt} ms after the container started`);
    assert.ok(listed.creationTime! > 0);

    const ticks = (evs: OutputLogEvent[]) => evs.map((e) => Number(/^tick-(\d+)$/.exec(e.message!)?.[1] ?? Number.NaN));
    const contiguous = (ns: number[]) => ns.every((n, i) => n === i);
    const before = await pollUntil(
      async () => {
        const evs = await allEvents(stream);
        return evs.length >= 5 ? evs : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100, what: "five tick lines" },
    );
    assert.ok(contiguous(ticks(before)), ticks(before).join(","));
    assert.ok(listedAt < before[0]!.timestamp!, `the stream was listed (${listedAt}) before the first line was written (${before[0]!.timestamp})`);
    assert.ok(listed.creationTime! <= before[0]!.timestamp!, "stream created before the first event");

    // Crash Slipway and bring it back on the same port and data dir; the container keeps running.
    const port = slipway!.port;
    await slipway!.kill("SIGKILL");
    ecs.destroy();
    logs.destroy();
    const downAt = Date.now();
    slipway = await startSlipwayProcess({ dataDir, port });
    clients();
    console.log(`# restart took ${Date.now() - downAt} ms`);
    assert.equal((await managedContainers(instanceId, [`label=slipway.task-arn=${taskArn}`, "status=running"])).length, 1, "the container survived");

    const got = await aws<{ events: any[] }>(slipway.url, ["logs", "get-log-events", "--log-group-name", GROUP, "--log-stream-name", stream, "--start-from-head"]);
    const survived = got.events.map((e) => e.message as string);
    assert.deepEqual(survived.slice(0, before.length), before.map((e) => e.message), "events from before the restart are still there");

    // New lines keep arriving, including those written while Slipway was down; each exactly once.
    const restartedAt = Date.now();
    const afterRestart = await pollUntil(
      async () => {
        const evs = await allEvents(stream);
        return evs.some((e) => e.timestamp! > restartedAt + 1000) ? evs : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100, what: "lines written after the restart" },
    );
    const ns = ticks(afterRestart);
    assert.ok(contiguous(ns), `tick numbers 0..n exactly once, got ${ns.join(",")}`);
    assert.ok(ns.length > before.length + 5);
    // Fresh lines are readable within 2 s again.
    const last = afterRestart.at(-1)!;
    assert.ok(Date.now() - last.timestamp! < 10_000);
    const fresh = await pollUntil(
      async () => {
        const evs = await allEvents(stream);
        const now = Date.now();
        const newest = evs.at(-1)!;
        return newest.timestamp! > last.timestamp! ? { lag: now - newest.timestamp!, evs } : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 50, what: "one more line" },
    );
    assert.ok(fresh.lag <= LATENCY_MS, `lag after restart ${fresh.lag} ms`);
    const filtered = await aws<{ events: any[] }>(slipway.url, ["logs", "filter-log-events", "--log-group-name", GROUP, "--log-stream-names", stream, "--filter-pattern", "tick"]);
    const fns = filtered.events.map((e) => Number(/^tick-(\d+)$/.exec(e.message)![1]));
    assert.ok(contiguous(fns), `filter-log-events: ${fns.join(",")}`);
    assert.equal(new Set(filtered.events.map((e) => e.eventId)).size, filtered.events.length, "distinct eventIds");
  });
});
