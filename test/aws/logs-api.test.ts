/**
 * CloudWatch Logs through the real CloudWatchLogsClient (in-process gateway, ManualClock), the
 * AWS CLI over a socket, and unit tests of the filter-pattern parser and the Docker frame decoder.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { after, before, describe, test } from "node:test";
import * as cwl from "@aws-sdk/client-cloudwatch-logs";
import { createGateway, type Gateway } from "../../src/aws/gateway.ts";
import { ManualClock } from "../../src/core/clock.ts";
import { seededIds } from "../../src/core/ids.ts";
import { FrameDecoder, LogLineParser, splitTimestamp } from "../../src/runtime/docker/log-frames.ts";
import { logsService } from "../../src/services/logs/index.ts";
import { parseFilterPattern } from "../../src/services/logs/filter-pattern.ts";
import { Logs } from "../../src/services/logs/logs.ts";
import { Store } from "../../src/store/store.ts";
import { inProcess, startGatewayServer } from "../helpers/in-process.ts";
import { expectError } from "../helpers/errors.ts";

const ACCOUNT = "000000000000";
const REGION = "us-east-1";
const credentials = { accessKeyId: "test", secretAccessKey: "test" };

function setup() {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const store = new Store(":memory:");
  const logs = new Logs({ store, clock, ids: seededIds("logs") });
  const gateway = createGateway({ services: [logsService(logs)], logger: { error: () => {} } });
  const client = new cwl.CloudWatchLogsClient({
    region: REGION,
    credentials,
    endpoint: "http://localhost",
    requestHandler: inProcess(gateway),
    maxAttempts: 1,
  });
  return { clock, store, logs, gateway, client };
}


describe("log groups", () => {
  const { client, store, clock } = setup();
  after(() => {
    client.destroy();
    store.close();
  });

  test("create, describe fields, duplicate, prefix/pattern, ASCII order", async () => {
    await client.send(new cwl.CreateLogGroupCommand({ logGroupName: "/ecs/web", tags: { env: "dev" } }));
    clock.advance(1000);
    await client.send(new cwl.CreateLogGroupCommand({ logGroupName: "/ecs/Api" }));
    await client.send(new cwl.CreateLogGroupCommand({ logGroupName: "other" }));
    await expectError(
      client.send(new cwl.CreateLogGroupCommand({ logGroupName: "/ecs/web" })),
      "ResourceAlreadyExistsException",
      "The specified log group already exists",
    );
    await expectError(client.send(new cwl.CreateLogGroupCommand({ logGroupName: "bad name" })), "InvalidParameterException");

    const all = await client.send(new cwl.DescribeLogGroupsCommand({}));
    assert.deepEqual(
      all.logGroups?.map((g) => g.logGroupName),
      ["/ecs/Api", "/ecs/web", "other"],
    );
    assert.equal(all.nextToken, undefined);
    const web = all.logGroups![1]!;
    assert.deepEqual(web, {
      logGroupName: "/ecs/web",
      creationTime: Date.UTC(2026, 0, 1),
      metricFilterCount: 0,
      arn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/ecs/web:*`,
      logGroupArn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/ecs/web`,
      storedBytes: 0,
      logGroupClass: "STANDARD",
    });
    const prefixed = await client.send(new cwl.DescribeLogGroupsCommand({ logGroupNamePrefix: "/ecs/" }));
    assert.equal(prefixed.logGroups?.length, 2);
    const pattern = await client.send(new cwl.DescribeLogGroupsCommand({ logGroupNamePattern: "api" }));
    assert.deepEqual(pattern.logGroups?.map((g) => g.logGroupName), ["/ecs/Api"]);
    await expectError(
      client.send(new cwl.DescribeLogGroupsCommand({ logGroupNamePrefix: "/", logGroupNamePattern: "x" })),
      "InvalidParameterException",
    );
  });

  test("pagination: limit and nextToken only when more", async () => {
    for (let i = 0; i < 5; i++) await client.send(new cwl.CreateLogGroupCommand({ logGroupName: `page-${i}` }));
    const names: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const r = await client.send(new cwl.DescribeLogGroupsCommand({ logGroupNamePrefix: "page-", limit: 2, nextToken: token }));
      names.push(...r.logGroups!.map((g) => g.logGroupName!));
      token = r.nextToken;
      pages++;
    } while (token);
    assert.equal(pages, 3);
    assert.deepEqual(names, ["page-0", "page-1", "page-2", "page-3", "page-4"]);
    const exact = await client.send(new cwl.DescribeLogGroupsCommand({ logGroupNamePrefix: "page-", limit: 5 }));
    assert.equal(exact.nextToken, undefined);
    await expectError(client.send(new cwl.DescribeLogGroupsCommand({ nextToken: "garbage" })), "InvalidParameterException", "The specified nextToken is invalid.");
  });

  test("retention policy: valid values only, delete", async () => {
    await client.send(new cwl.PutRetentionPolicyCommand({ logGroupName: "/ecs/web", retentionInDays: 7 }));
    let g = (await client.send(new cwl.DescribeLogGroupsCommand({ logGroupNamePrefix: "/ecs/web" }))).logGroups![0]!;
    assert.equal(g.retentionInDays, 7);
    await expectError(
      client.send(new cwl.PutRetentionPolicyCommand({ logGroupName: "/ecs/web", retentionInDays: 2 })),
      "InvalidParameterException",
      /Member must satisfy enum value set: \[1, 3, 5, 7, 14/,
    );
    await expectError(
      client.send(new cwl.PutRetentionPolicyCommand({ logGroupName: "nope", retentionInDays: 7 })),
      "ResourceNotFoundException",
      "The specified log group does not exist.",
    );
    await client.send(new cwl.DeleteRetentionPolicyCommand({ logGroupName: "/ecs/web" }));
    g = (await client.send(new cwl.DescribeLogGroupsCommand({ logGroupNamePrefix: "/ecs/web" }))).logGroups![0]!;
    assert.equal(g.retentionInDays, undefined);
  });

  test("tags: TagLogGroup family and TagResource family (ARN with or without :*)", async () => {
    const arn = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:/ecs/web`;
    assert.deepEqual((await client.send(new cwl.ListTagsForResourceCommand({ resourceArn: arn }))).tags, { env: "dev" });
    await client.send(new cwl.TagResourceCommand({ resourceArn: `${arn}:*`, tags: { team: "a" } }));
    await client.send(new cwl.TagLogGroupCommand({ logGroupName: "/ecs/web", tags: { env: "prod" } }));
    assert.deepEqual((await client.send(new cwl.ListTagsLogGroupCommand({ logGroupName: "/ecs/web" }))).tags, { env: "prod", team: "a" });
    await client.send(new cwl.UntagResourceCommand({ resourceArn: arn, tagKeys: ["env"] }));
    await client.send(new cwl.UntagLogGroupCommand({ logGroupName: "/ecs/web", tags: ["nothing"] }));
    assert.deepEqual((await client.send(new cwl.ListTagsForResourceCommand({ resourceArn: `${arn}:*` }))).tags, { team: "a" });
    await expectError(
      client.send(new cwl.ListTagsForResourceCommand({ resourceArn: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:missing` })),
      "ResourceNotFoundException",
    );
    await expectError(client.send(new cwl.ListTagsLogGroupCommand({ logGroupName: "missing" })), "ResourceNotFoundException");
  });

  test("delete group (and its tags)", async () => {
    await client.send(new cwl.DeleteLogGroupCommand({ logGroupName: "other" }));
    await expectError(client.send(new cwl.DeleteLogGroupCommand({ logGroupName: "other" })), "ResourceNotFoundException", "The specified log group does not exist.");
    await client.send(new cwl.CreateLogGroupCommand({ logGroupName: "other" }));
    const arn = `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:other`;
    assert.deepEqual((await client.send(new cwl.ListTagsForResourceCommand({ resourceArn: arn }))).tags, {});
  });
});

describe("streams and events", () => {
  const { client, store, clock, logs } = setup();
  const G = "/ecs/app";
  const t0 = Date.UTC(2026, 0, 1);
  after(() => {
    client.destroy();
    store.close();
  });

  before(async () => {
    await client.send(new cwl.CreateLogGroupCommand({ logGroupName: G }));
  });

  test("CreateLogStream: names, duplicates, missing group", async () => {
    await client.send(new cwl.CreateLogStreamCommand({ logGroupName: G, logStreamName: "web/app/1" }));
    await expectError(
      client.send(new cwl.CreateLogStreamCommand({ logGroupName: G, logStreamName: "web/app/1" })),
      "ResourceAlreadyExistsException",
      "The specified log stream already exists",
    );
    await expectError(client.send(new cwl.CreateLogStreamCommand({ logGroupName: G, logStreamName: "a:b" })), "InvalidParameterException");
    await expectError(client.send(new cwl.CreateLogStreamCommand({ logGroupName: G, logStreamName: "a*b" })), "InvalidParameterException");
    await expectError(client.send(new cwl.CreateLogStreamCommand({ logGroupName: G, logStreamName: "x".repeat(513) })), "InvalidParameterException");
    await expectError(
      client.send(new cwl.CreateLogStreamCommand({ logGroupName: "missing", logStreamName: "s" })),
      "ResourceNotFoundException",
      "The specified log group does not exist.",
    );
  });

  test("PutLogEvents: order, limits, rejected info, sequence token ignored", async () => {
    const r = await client.send(
      new cwl.PutLogEventsCommand({
        logGroupName: G,
        logStreamName: "web/app/1",
        sequenceToken: "whatever",
        logEvents: [
          { timestamp: t0 - 14 * 86_400_000 - 1, message: "too old" },
          { timestamp: t0 - 14 * 86_400_000 + 1, message: "old but fine" },
        ],
      }),
    );
    assert.ok(r.nextSequenceToken);
    assert.deepEqual(r.rejectedLogEventsInfo, { tooOldLogEventEndIndex: 1 });
    const n = await client.send(
      new cwl.PutLogEventsCommand({
        logGroupName: G,
        logStreamName: "web/app/1",
        logEvents: [
          { timestamp: t0, message: "one" },
          { timestamp: t0 + 1, message: "two" },
          { timestamp: t0 + 3 * 3_600_000, message: "too new" },
        ],
      }),
    );
    assert.deepEqual(n.rejectedLogEventsInfo, { tooNewLogEventStartIndex: 2 });
    await expectError(
      client.send(
        new cwl.PutLogEventsCommand({
          logGroupName: G,
          logStreamName: "web/app/1",
          logEvents: [
            { timestamp: t0 - 2 * 86_400_000, message: "a" },
            { timestamp: t0, message: "b" },
          ],
        }),
      ),
      "InvalidParameterException",
      "The batch of log events in a single PutLogEvents request cannot span more than 24 hours.",
    );
    const ok = await client.send(
      new cwl.PutLogEventsCommand({ logGroupName: G, logStreamName: "web/app/1", logEvents: [{ timestamp: t0 + 2, message: "three" }] }),
    );
    assert.equal(ok.rejectedLogEventsInfo, undefined);
    await expectError(
      client.send(
        new cwl.PutLogEventsCommand({
          logGroupName: G,
          logStreamName: "web/app/1",
          logEvents: [
            { timestamp: t0 + 5, message: "b" },
            { timestamp: t0 + 4, message: "a" },
          ],
        }),
      ),
      "InvalidParameterException",
      "Log events in a single PutLogEvents request must be in chronological order.",
    );
    const many = Array.from({ length: 10_001 }, (_, i) => ({ timestamp: t0 + i, message: "x" }));
    await expectError(client.send(new cwl.PutLogEventsCommand({ logGroupName: G, logStreamName: "web/app/1", logEvents: many })), "InvalidParameterException");
    await expectError(
      client.send(new cwl.PutLogEventsCommand({ logGroupName: G, logStreamName: "nope", logEvents: [{ timestamp: t0, message: "m" }] })),
      "ResourceNotFoundException",
      "The specified log stream does not exist.",
    );
  });

  test("GetLogEvents: latest page by default, tokens, repeat token at the end, time bounds", async () => {
    await client.send(new cwl.CreateLogStreamCommand({ logGroupName: G, logStreamName: "paged" }));
    const events = Array.from({ length: 25 }, (_, i) => ({ timestamp: t0 + i * 10, message: `line ${i}` }));
    clock.advance(5);
    await client.send(new cwl.PutLogEventsCommand({ logGroupName: G, logStreamName: "paged", logEvents: events }));

    const latest = await client.send(new cwl.GetLogEventsCommand({ logGroupName: G, logStreamName: "paged", limit: 10 }));
    assert.deepEqual(latest.events!.map((e) => e.message), events.slice(15).map((e) => e.message));
    assert.equal(latest.events![0]!.ingestionTime, t0 + 5);
    assert.match(latest.nextForwardToken!, /^f\//);
    assert.match(latest.nextBackwardToken!, /^b\//);

    // backwards to the start
    const seen: string[] = latest.events!.map((e) => e.message!);
    let back = latest.nextBackwardToken!;
    for (;;) {
      const page = await client.send(new cwl.GetLogEventsCommand({ logGroupName: G, logStreamName: "paged", limit: 10, nextToken: back }));
      if (page.nextBackwardToken === back) {
        assert.equal(page.events!.length, 0);
        break;
      }
      seen.unshift(...page.events!.map((e) => e.message!));
      back = page.nextBackwardToken!;
    }
    assert.deepEqual(seen, events.map((e) => e.message));

    // forward from the head: the CLI paginator stops when the token repeats
    const fwd: string[] = [];
    let token: string | undefined;
    let first = true;
    for (;;) {
      const page = await client.send(
        new cwl.GetLogEventsCommand({ logGroupName: G, logStreamName: "paged", limit: 10, startFromHead: first ? true : undefined, nextToken: token }),
      );
      first = false;
      fwd.push(...page.events!.map((e) => e.message!));
      if (page.nextForwardToken === token) break;
      token = page.nextForwardToken;
    }
    assert.deepEqual(fwd, events.map((e) => e.message));

    // new events after the end show up with the last forward token
    await client.send(new cwl.PutLogEventsCommand({ logGroupName: G, logStreamName: "paged", logEvents: [{ timestamp: t0 + 1000, message: "late" }] }));
    const tail = await client.send(new cwl.GetLogEventsCommand({ logGroupName: G, logStreamName: "paged", nextToken: token }));
    assert.deepEqual(tail.events!.map((e) => e.message), ["late"]);

    // startTime inclusive, endTime exclusive
    const bounded = await client.send(
      new cwl.GetLogEventsCommand({ logGroupName: G, logStreamName: "paged", startTime: t0 + 20, endTime: t0 + 50, startFromHead: true }),
    );
    assert.deepEqual(bounded.events!.map((e) => e.message), ["line 2", "line 3", "line 4"]);
    // logGroupIdentifier as an ARN
    const byArn = await client.send(
      new cwl.GetLogEventsCommand({ logGroupIdentifier: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${G}`, logStreamName: "paged", limit: 1 }),
    );
    assert.deepEqual(byArn.events!.map((e) => e.message), ["late"]);
    await expectError(
      client.send(new cwl.GetLogEventsCommand({ logGroupName: G, logStreamName: "paged", nextToken: "f/xyz" })),
      "InvalidParameterException",
      "The specified nextToken is invalid.",
    );
    await expectError(client.send(new cwl.GetLogEventsCommand({ logGroupName: G, logStreamName: "none" })), "ResourceNotFoundException");
    // empty stream: tokens are never missing
    await client.send(new cwl.CreateLogStreamCommand({ logGroupName: G, logStreamName: "empty" }));
    const empty = await client.send(new cwl.GetLogEventsCommand({ logGroupName: G, logStreamName: "empty" }));
    assert.deepEqual(empty.events, []);
    assert.ok(empty.nextForwardToken && empty.nextBackwardToken);
    const again = await client.send(new cwl.GetLogEventsCommand({ logGroupName: G, logStreamName: "empty", nextToken: empty.nextForwardToken }));
    assert.equal(again.nextForwardToken, empty.nextForwardToken);
  });

  test("DescribeLogStreams: fields, order, descending, prefix, LastEventTime rules, pagination", async () => {
    const r = await client.send(new cwl.DescribeLogStreamsCommand({ logGroupName: G }));
    assert.deepEqual(r.logStreams!.map((s) => s.logStreamName), ["empty", "paged", "web/app/1"]);
    const paged = r.logStreams![1]!;
    assert.equal(paged.firstEventTimestamp, t0);
    assert.equal(paged.lastEventTimestamp, t0 + 1000);
    assert.equal(paged.lastIngestionTime, t0 + 5);
    assert.equal(paged.arn, `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${G}:log-stream:paged`);
    assert.equal(paged.storedBytes, 0);
    assert.ok(paged.uploadSequenceToken);
    const empty = r.logStreams![0]!;
    assert.equal(empty.firstEventTimestamp, undefined);
    assert.equal(empty.lastEventTimestamp, undefined);

    const byTime = await client.send(new cwl.DescribeLogStreamsCommand({ logGroupName: G, orderBy: "LastEventTime", descending: true }));
    assert.deepEqual(byTime.logStreams!.map((s) => s.logStreamName), ["paged", "web/app/1", "empty"]);
    const prefixed = await client.send(new cwl.DescribeLogStreamsCommand({ logGroupName: G, logStreamNamePrefix: "web/" }));
    assert.deepEqual(prefixed.logStreams!.map((s) => s.logStreamName), ["web/app/1"]);
    await expectError(
      client.send(new cwl.DescribeLogStreamsCommand({ logGroupName: G, orderBy: "LastEventTime", logStreamNamePrefix: "w" })),
      "InvalidParameterException",
      "Cannot order by LastEventTime with a logStreamNamePrefix.",
    );
    const p1 = await client.send(new cwl.DescribeLogStreamsCommand({ logGroupName: G, limit: 2 }));
    assert.equal(p1.logStreams!.length, 2);
    assert.ok(p1.nextToken);
    const p2 = await client.send(new cwl.DescribeLogStreamsCommand({ logGroupName: G, limit: 2, nextToken: p1.nextToken }));
    assert.deepEqual(p2.logStreams!.map((s) => s.logStreamName), ["web/app/1"]);
    assert.equal(p2.nextToken, undefined);
    await expectError(client.send(new cwl.DescribeLogStreamsCommand({ logGroupName: "missing" })), "ResourceNotFoundException");
  });

  test("FilterLogEvents: across streams, inclusive bounds, patterns, stable eventIds, tokens", async () => {
    await client.send(new cwl.CreateLogGroupCommand({ logGroupName: "f" }));
    await client.send(new cwl.CreateLogStreamCommand({ logGroupName: "f", logStreamName: "a" }));
    await client.send(new cwl.CreateLogStreamCommand({ logGroupName: "f", logStreamName: "b" }));
    await client.send(
      new cwl.PutLogEventsCommand({
        logGroupName: "f",
        logStreamName: "a",
        logEvents: [
          { timestamp: t0 + 1, message: "ERROR disk full" },
          { timestamp: t0 + 3, message: "INFO started" },
          { timestamp: t0 + 5, message: '{"level":"error","latency":250,"user":{"id":"u1"}}' },
        ],
      }),
    );
    await client.send(
      new cwl.PutLogEventsCommand({
        logGroupName: "f",
        logStreamName: "b",
        logEvents: [
          { timestamp: t0 + 2, message: "WARN slow request" },
          { timestamp: t0 + 3, message: "ERROR connection reset by peer" },
          { timestamp: t0 + 6, message: '{"level":"info","latency":20}' },
        ],
      }),
    );
    const all = await client.send(new cwl.FilterLogEventsCommand({ logGroupName: "f" }));
    assert.deepEqual(all.events!.map((e) => [e.logStreamName, e.timestamp! - t0]), [
      ["a", 1],
      ["b", 2],
      ["a", 3],
      ["b", 3],
      ["a", 5],
      ["b", 6],
    ]);
    assert.equal(all.nextToken, undefined);
    assert.deepEqual(all.searchedLogStreams, []);
    for (const e of all.events!) {
      assert.match(e.eventId!, /^\d{56}$/);
      assert.equal(typeof e.ingestionTime, "number");
    }
    const again = await client.send(new cwl.FilterLogEventsCommand({ logGroupName: "f", startTime: t0 + 3 }));
    assert.deepEqual(again.events!.map((e) => e.eventId), all.events!.slice(2).map((e) => e.eventId), "stable ids, inclusive startTime");
    const ended = await client.send(new cwl.FilterLogEventsCommand({ logGroupName: "f", endTime: t0 + 3 }));
    assert.equal(ended.events!.length, 4, "inclusive endTime");

    const q = async (filterPattern: string) =>
      (await client.send(new cwl.FilterLogEventsCommand({ logGroupName: "f", filterPattern }))).events!.map((e) => e.message);
    assert.deepEqual(await q("ERROR"), ["ERROR disk full", "ERROR connection reset by peer"]);
    assert.deepEqual(await q("error"), ['{"level":"error","latency":250,"user":{"id":"u1"}}'], "case-sensitive");
    assert.deepEqual(await q("ERROR reset"), ["ERROR connection reset by peer"]);
    assert.deepEqual(await q('"connection reset"'), ["ERROR connection reset by peer"]);
    assert.deepEqual(await q("?WARN ?disk"), ["ERROR disk full", "WARN slow request"]);
    assert.deepEqual(await q("ERROR -disk"), ["ERROR connection reset by peer"]);
    assert.deepEqual(await q('{ $.level = "error" }'), ['{"level":"error","latency":250,"user":{"id":"u1"}}']);
    assert.deepEqual(await q("{ $.latency > 100 }"), ['{"level":"error","latency":250,"user":{"id":"u1"}}']);
    assert.deepEqual(await q('{ $.user.id = "u*" || $.latency < 50 }'), [
      '{"level":"error","latency":250,"user":{"id":"u1"}}',
      '{"level":"info","latency":20}',
    ]);
    await expectError(client.send(new cwl.FilterLogEventsCommand({ logGroupName: "f", filterPattern: '"unterminated' })), "InvalidParameterException");

    const byName = await client.send(new cwl.FilterLogEventsCommand({ logGroupName: "f", logStreamNames: ["b"] }));
    assert.deepEqual(byName.events!.map((e) => e.logStreamName), ["b", "b", "b"]);
    const byPrefix = await client.send(new cwl.FilterLogEventsCommand({ logGroupName: "f", logStreamNamePrefix: "a" }));
    assert.equal(byPrefix.events!.length, 3);
    await expectError(
      client.send(new cwl.FilterLogEventsCommand({ logGroupName: "f", logStreamNames: ["a"], logStreamNamePrefix: "a" })),
      "InvalidParameterException",
    );

    // pagination: nextToken only while more; pages concatenate to the full result
    const ids: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await client.send(new cwl.FilterLogEventsCommand({ logGroupName: "f", limit: 4, nextToken: token }));
      ids.push(...page.events!.map((e) => e.eventId!));
      token = page.nextToken;
      pages++;
    } while (token);
    assert.equal(pages, 2);
    assert.deepEqual(ids, all.events!.map((e) => e.eventId));
    const exact = await client.send(new cwl.FilterLogEventsCommand({ logGroupName: "f", limit: 6 }));
    assert.equal(exact.nextToken, undefined);
    void logs;
  });

  test("DeleteLogStream; retention purge on the injected clock", async () => {
    await client.send(new cwl.DeleteLogStreamCommand({ logGroupName: G, logStreamName: "empty" }));
    await expectError(client.send(new cwl.DeleteLogStreamCommand({ logGroupName: G, logStreamName: "empty" })), "ResourceNotFoundException", "The specified log stream does not exist.");

    await client.send(new cwl.PutRetentionPolicyCommand({ logGroupName: "f", retentionInDays: 1 }));
    assert.equal(logs.expireRetention(), 0);
    clock.advance(86_400_000 - 1); // now = t0 + 1 day + 4 ms (the clock was at t0 + 5)
    // events at t0+1..t0+3 are now older than one day; t0+5 and t0+6 are not
    assert.equal(logs.expireRetention(), 4);
    const left = await client.send(new cwl.FilterLogEventsCommand({ logGroupName: "f" }));
    assert.deepEqual(left.events!.map((e) => e.timestamp! - t0), [5, 6]);
    const expired = await client.send(
      new cwl.PutLogEventsCommand({ logGroupName: "f", logStreamName: "a", logEvents: [{ timestamp: t0 + 3, message: "expired" }, { timestamp: t0 + 10, message: "fresh" }] }),
    );
    assert.deepEqual(expired.rejectedLogEventsInfo, { expiredLogEventEndIndex: 1 });
  });
});

describe("AWS CLI over a socket", () => {
  test("get-log-events and filter-log-events", async (t) => {
    const run = promisify(execFile);
    try {
      await run("aws", ["--version"]);
    } catch {
      t.skip("the AWS CLI (`aws`) is not installed");
      return;
    }
    const { store, logs } = setup();
    const gateway: Gateway = createGateway({ services: [logsService(logs)], logger: { error: () => {} } });
    const server = await startGatewayServer(gateway);
    const env = { ...process.env, AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test", AWS_DEFAULT_REGION: "us-east-1", AWS_PAGER: "" };
    const aws = async (...args: string[]) => JSON.parse((await run("aws", ["--endpoint-url", server.url, "--output", "json", ...args], { env })).stdout) as unknown;
    try {
      const scope = { accountId: ACCOUNT, region: REGION };
      logs.ensureGroup(scope, "/cli/app", true);
      logs.ensureStream(scope, "/cli/app", "s1");
      logs.ensureStream(scope, "/cli/app", "s2");
      const t = Date.UTC(2026, 0, 1);
      logs.ingest(scope, "/cli/app", "s1", Array.from({ length: 30 }, (_, i) => ({ timestamp: t + i, message: `s1 line ${i}` })));
      logs.ingest(scope, "/cli/app", "s2", [{ timestamp: t + 5, message: "s2 ERROR boom" }]);

      const got = (await aws("logs", "get-log-events", "--log-group-name", "/cli/app", "--log-stream-name", "s1", "--start-from-head")) as {
        events: { message: string }[];
        nextForwardToken: string;
      };
      assert.equal(got.events.length, 30);
      assert.equal(got.events[0]!.message, "s1 line 0");
      assert.match(got.nextForwardToken, /^f\//);

      const filtered = (await aws("logs", "filter-log-events", "--log-group-name", "/cli/app", "--filter-pattern", "ERROR")) as {
        events: { logStreamName: string; message: string; eventId: string }[];
      };
      assert.deepEqual(filtered.events.map((e) => [e.logStreamName, e.message]), [["s2", "s2 ERROR boom"]]);

      // the CLI's paginator follows nextToken until it is absent
      const paged = (await aws("logs", "filter-log-events", "--log-group-name", "/cli/app", "--page-size", "7")) as { events: unknown[] };
      assert.equal(paged.events.length, 31);

      await assert.rejects(
        run("aws", ["--endpoint-url", server.url, "logs", "get-log-events", "--log-group-name", "nope", "--log-stream-name", "x"], { env }),
        (err: Error & { stderr?: string }) => {
          assert.match(err.stderr ?? "", /ResourceNotFoundException.*The specified log group does not exist\./);
          return true;
        },
      );
    } finally {
      await server.close();
      store.close();
    }
  });
});

describe("filter pattern parser", () => {
  test("terms, phrases, any, exclusion", () => {
    assert.equal(parseFilterPattern("")("anything"), true);
    assert.equal(parseFilterPattern("   ")("anything"), true);
    assert.equal(parseFilterPattern("a b")("b and a"), true);
    assert.equal(parseFilterPattern("a b")("a only"), false);
    assert.equal(parseFilterPattern('"a b"')("b a"), false);
    assert.equal(parseFilterPattern('"a b"')("xa by"), true);
    assert.equal(parseFilterPattern('"say \\"hi\\""')('they say "hi"'), true);
    assert.equal(parseFilterPattern("?x ?y")("y"), true);
    assert.equal(parseFilterPattern("?x ?y")("z"), false);
    assert.equal(parseFilterPattern("ERROR -ignore")("ERROR ignore me"), false);
    assert.equal(parseFilterPattern("-ignore")("fine"), true);
    assert.throws(() => parseFilterPattern('"open'));
    assert.throws(() => parseFilterPattern("? x"));
  });

  test("JSON patterns", () => {
    const m = (p: string, msg: string) => parseFilterPattern(p)(msg);
    assert.equal(m('{ $.a = "x" }', '{"a":"x"}'), true);
    assert.equal(m('{ $.a = "x" }', '{"a":"y"}'), false);
    assert.equal(m('{ $.a != "x" }', '{"a":"y"}'), true);
    assert.equal(m('{ $.a = "x*" }', '{"a":"xyz"}'), true);
    assert.equal(m("{ $.n >= 5 && $.n < 10 }", '{"n":5}'), true);
    assert.equal(m("{ $.n >= 5 && $.n < 10 }", '{"n":10}'), false);
    assert.equal(m("{ ($.a = 1 || $.b = 2) && $.c = 3 }", '{"b":2,"c":3}'), true);
    assert.equal(m("{ $.arr[1] = 7 }", '{"arr":[6,7]}'), true);
    assert.equal(m("{ $.flag = true }", '{"flag":true}'), true);
    assert.equal(m("{ $.x IS NULL }", '{"x":null}'), true);
    assert.equal(m("{ $.x NOT EXISTS }", "{}"), true);
    assert.equal(m("{ $.x EXISTS }", '{"x":1}'), true);
    assert.equal(m('{ $.a = "x" }', "not json"), false);
    assert.throws(() => parseFilterPattern("{ $.a = }"));
    assert.throws(() => parseFilterPattern('{ $.a > "x" }'));
    assert.throws(() => parseFilterPattern("{ $.a = 1"));
  });
});

describe("Docker log frame decoder", () => {
  const frame = (stream: number, text: string) => {
    const payload = Buffer.from(text);
    const h = Buffer.alloc(8);
    h[0] = stream;
    h.writeUInt32BE(payload.length, 4);
    return Buffer.concat([h, payload]);
  };

  test("frames split across chunks, both streams, timestamps to ms", () => {
    const bytes = Buffer.concat([
      frame(1, "2026-01-01T00:00:00.123456789Z hello\n"),
      frame(2, "2026-01-01T00:00:01.5Z oops é\n"),
      frame(1, "2026-01-01T00:00:02.000000001Z \n"),
    ]);
    const dec = new FrameDecoder();
    const parser = new LogLineParser();
    const lines = [];
    for (let i = 0; i < bytes.length; i += 5) for (const f of dec.push(bytes.subarray(i, i + 5))) lines.push(...parser.pushFrame(f));
    lines.push(...parser.end());
    assert.equal(dec.pending, 0);
    assert.deepEqual(lines, [
      { stream: "stdout", timestamp: Date.UTC(2026, 0, 1, 0, 0, 0, 123), message: "hello" },
      { stream: "stderr", timestamp: Date.UTC(2026, 0, 1, 0, 0, 1, 500), message: "oops é" },
      { stream: "stdout", timestamp: Date.UTC(2026, 0, 1, 0, 0, 2, 0), message: "" },
    ]);
  });

  test("a long message in several frames joins under the first timestamp; last line without newline", () => {
    const parser = new LogLineParser();
    const dec = new FrameDecoder();
    const out = [
      ...dec.push(frame(1, "2026-01-01T00:00:00.001Z part one ")).flatMap((f) => parser.pushFrame(f)),
      ...dec.push(frame(1, "2026-01-01T00:00:00.002Z part two\n")).flatMap((f) => parser.pushFrame(f)),
      ...dec.push(frame(1, "2026-01-01T00:00:00.003Z tail")).flatMap((f) => parser.pushFrame(f)),
      ...parser.end(),
    ];
    assert.deepEqual(out.map((l) => [l.timestamp - Date.UTC(2026, 0, 1), l.message]), [
      [1, "part one part two"],
      [3, "tail"],
    ]);
  });

  test("raw TTY stream", () => {
    const parser = new LogLineParser();
    const text = "2026-01-01T00:00:00.010Z a\r\n2026-01-01T00:00:00.020Z b\r\n2026-01-01T00:00:00.030Z c";
    const out = [...parser.pushRaw(Buffer.from(text.slice(0, 20))), ...parser.pushRaw(Buffer.from(text.slice(20))), ...parser.end()];
    assert.deepEqual(out.map((l) => l.message), ["a", "b", "c"]);
    assert.equal(splitTimestamp("no timestamp"), undefined);
  });
});
