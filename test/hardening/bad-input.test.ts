/**
 * Inputs that used to end in 500 InternalFailure (or hang, or grow memory) get AWS's 400s, through
 * the real SDK clients (and raw fetch where no SDK would send the body) against startSlipway:
 * nulls in lists, tags SQLite cannot bind, odd numbers, AssumeRole's DurationSeconds, EC2 filter
 * values and Logs patterns that a backtracking matcher would spend minutes on, and 2,000 distinct
 * filter values that must not grow memory.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import * as cw from "@aws-sdk/client-cloudwatch";
import * as cwl from "@aws-sdk/client-cloudwatch-logs";
import * as ec2 from "@aws-sdk/client-ec2";
import * as ecr from "@aws-sdk/client-ecr";
import * as ecs from "@aws-sdk/client-ecs";
import * as iam from "@aws-sdk/client-iam";
import * as ssm from "@aws-sdk/client-ssm";
import * as sts from "@aws-sdk/client-sts";
import { cbor } from "@smithy/core/cbor";
import { ManualClock } from "../../src/core/clock.ts";
import { seededIds } from "../../src/core/ids.ts";
import { FakeRuntime } from "../../src/runtime/fake-runtime.ts";
import { type Slipway, startSlipway } from "../../src/server/slipway.ts";
import { expectError } from "../helpers/errors.ts";
import { v8Gc } from "../../src/core/gc.ts";

const REGION = "us-east-1";
const ACCOUNT = "000000000000";
let s: Slipway;
let dir: string;
let clock: ManualClock;
const logged: string[] = [];
const cfg = () => ({ region: REGION, endpoint: s.url, credentials: { accessKeyId: "test", secretAccessKey: "test" }, maxAttempts: 1 });

before(async () => {
  clock = new ManualClock(Date.UTC(2026, 5, 1));
  dir = mkdtempSync(join(tmpdir(), "slipway-bad-input-400-"));
  s = await startSlipway({ port: 0, dataDir: dir, runtime: new FakeRuntime({ clock }), clock, ids: seededIds("400s"), log: (m) => logged.push(m) });
});
after(async () => {
  await s.close();
  rmSync(dir, { recursive: true, force: true });
});

const signed = (service: string) => `AWS4-HMAC-SHA256 Credential=test/20260601/${REGION}/${service}/aws4_request, SignedHeaders=host, Signature=00`;

async function rawJson(target: string, service: string, body: unknown): Promise<{ status: number; type: string; message: string }> {
  const r = await fetch(s.url, {
    method: "POST",
    headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": target, authorization: signed(service) },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const json = (await r.json()) as { __type: string; message: string };
  return { status: r.status, type: json.__type, message: json.message };
}

const ECS = "AmazonEC2ContainerServiceV20141113";
const ECR = "AmazonEC2ContainerRegistry_V20150921";
const LOGS = "Logs_20140328";

describe("nulls and values the store cannot hold", () => {
  test("ECS: DescribeClusters/DescribeServices with a null in the list → ValidationException", async () => {
    for (const [op, body, path] of [
      ["DescribeClusters", { clusters: [null] }, "clusters.1.member"],
      ["DescribeServices", { cluster: "default", services: ["a", null] }, "services.2.member"],
    ] as const) {
      const r = await rawJson(`${ECS}.${op}`, "ecs", body);
      assert.deepEqual(r, { status: 400, type: "ValidationException", message: `1 validation error detected: Value null at '${path}' failed to satisfy constraint: Member must not be null` });
    }
  });

  test("ECS: tags with a null key, or a value that is not a string", async () => {
    const client = new ecs.ECSClient(cfg());
    await expectError(client.send(new ecs.CreateClusterCommand({ clusterName: "t1", tags: [{ key: undefined, value: "x" }] })), "InvalidParameterException", "Tag key should not be null or empty.");
    const r = await rawJson(`${ECS}.CreateCluster`, "ecs", { clusterName: "t2", tags: [{ key: "k", value: { nested: [1] } }] });
    assert.equal(r.status, 400);
    assert.equal(r.type, "SerializationException");
    const big = await rawJson(`${ECS}.CreateCluster`, "ecs", '{"clusterName":"t3","tags":[{"key":"k","value":1e400}]}');
    assert.equal(big.type, "SerializationException");
    const cluster = (await client.send(new ecs.CreateClusterCommand({ clusterName: "tagged" }))).cluster!;
    await expectError(client.send(new ecs.TagResourceCommand({ resourceArn: cluster.clusterArn!, tags: [{ key: undefined, value: "v" }] })), "InvalidParameterException", "Tag key should not be null or empty.");
    const tagNull = await rawJson(`${ECS}.TagResource`, "ecs", { resourceArn: cluster.clusterArn, tags: [{ key: null, value: "v" }] });
    assert.equal(tagNull.type, "InvalidParameterException");
    assert.deepEqual((await client.send(new ecs.ListTagsForResourceCommand({ resourceArn: cluster.clusterArn! }))).tags, []);
    // Neither t1, t2 nor t3 was made.
    const names = ((await client.send(new ecs.ListClustersCommand({}))).clusterArns ?? []).map((a) => a.split("/").pop());
    assert.deepEqual(names.filter((n) => n?.startsWith("t")), ["tagged"]);
  });

  test("ECR: BatchGetImage with a null image id or digest", async () => {
    const client = new ecr.ECRClient(cfg());
    await client.send(new ecr.CreateRepositoryCommand({ repositoryName: "nulls" }));
    const nullId = await rawJson(`${ECR}.BatchGetImage`, "ecr", { repositoryName: "nulls", imageIds: [null] });
    assert.equal(nullId.type, "ValidationException");
    assert.match(nullId.message, /Value null at 'imageIds.1.member'/);
    // imageDigest: null is an absent digest: the id names no image (ECR's own answer).
    const out = await client.send(new ecr.BatchGetImageCommand({ repositoryName: "nulls", imageIds: [{ imageDigest: null as unknown as string }] }));
    assert.deepEqual(out.images, []);
    assert.equal(out.failures?.length, 1);
  });

  test("Logs: PutLogEvents with a null, fractional or huge timestamp", async () => {
    const client = new cwl.CloudWatchLogsClient(cfg());
    await client.send(new cwl.CreateLogGroupCommand({ logGroupName: "g" }));
    await client.send(new cwl.CreateLogStreamCommand({ logGroupName: "g", logStreamName: "s" }));
    const put = (timestamp: unknown) => rawJson(`${LOGS}.PutLogEvents`, "logs", `{"logGroupName":"g","logStreamName":"s","logEvents":[{"timestamp":${String(timestamp)},"message":"m"}]}`);
    assert.deepEqual(await put(null), {
      status: 400,
      type: "ValidationException",
      message: "1 validation error detected: Value null at 'logEvents.1.member.timestamp' failed to satisfy constraint: Member must not be null",
    });
    for (const odd of [1.5, 1e300, "1e400"]) {
      const r = await put(odd);
      assert.equal(r.status, 400, String(odd));
      assert.equal(r.type, "SerializationException", String(odd));
    }
    await expectError(
      client.send(new cwl.PutLogEventsCommand({ logGroupName: "g", logStreamName: "s", logEvents: [{ timestamp: -5, message: "m" }] })),
      "InvalidParameterException",
      "1 validation error detected: Value '-5' at 'logEvents.1.member.timestamp' failed to satisfy constraint: Member must have value greater than or equal to 0",
    );
  });
});

test("STS: AssumeRole with an odd DurationSeconds → ValidationError, never a store failure", async () => {
  const trust = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "sts:AssumeRole" }] });
  const role = (await new iam.IAMClient(cfg()).send(new iam.CreateRoleCommand({ RoleName: "odd", AssumeRolePolicyDocument: trust }))).Role!;
  const client = new sts.STSClient(cfg());
  for (const [duration, message] of [
    [1.5, /Value '1.5' at 'DurationSeconds' failed to satisfy constraint: Member must be a 32-bit integer/],
    [1e300, /Member must be a 32-bit integer/],
    [100, /Value '100' at 'DurationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900/],
    [50_000, /Member must have value less than or equal to 43200/],
  ] as const) {
    await expectError(client.send(new sts.AssumeRoleCommand({ RoleArn: role.Arn, RoleSessionName: "odd", DurationSeconds: duration })), "ValidationError", message);
  }
  const form = (d: string) =>
    fetch(s.url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: signed("sts") },
      body: `Action=AssumeRole&Version=2011-06-15&RoleArn=${encodeURIComponent(role.Arn!)}&RoleSessionName=odd&DurationSeconds=${d}`,
    });
  for (const d of ["NaN", "Infinity", "-0", "1e309", "0x10"]) {
    const r = await form(d);
    assert.equal(r.status, 400, d);
    assert.match(await r.text(), /<Code>ValidationError<\/Code>/, d);
  }
  assert.equal(logged.filter((m) => /internal|NOT NULL/i.test(m)).length, 0);
});

test("CloudWatch over smithy-rpc-v2-cbor: CBOR a decoder would expand or warn about is a SerializationException", async () => {
  const send = (hex: string) =>
    fetch(`${s.url}/service/GraniteServiceVersion20100801/operation/PutMetricData`, {
      method: "POST",
      headers: { "smithy-protocol": "rpc-v2-cbor", "content-type": "application/cbor", accept: "application/cbor", authorization: signed("monitoring") },
      body: Buffer.from(hex, "hex"),
    });
  // {"Namespace": <item>}: a decimal fraction with exponent 2^28 (8 bytes that decode to 500 MB),
  // an integer beyond 2^53, a text string that is not UTF-8, a length past the end.
  for (const item of ["c4821a0fffffff01", "1bffffffffffffffff", "63fffefd", "5b7fffffffffffffff"]) {
    const res = await send(`a1694e616d657370616365${item}`);
    assert.equal(res.status, 400, item);
    assert.equal(res.headers.get("smithy-protocol"), "rpc-v2-cbor");
    const body = new Uint8Array(await res.arrayBuffer());
    assert.ok(Buffer.from(body).includes(Buffer.from("SerializationException")), item);
  }
  // Map keys that are not text strings (found by the long fuzz run): the decoder reads every key as
  // text, so a float64 key's bytes became a 64-bit length and it printed a warning.
  const warned: string[] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]) => warned.push(args.map(String).join(" "));
  try {
    for (const whole of ["a1fbe7683c6a5d1c4a2f01", "bf0101ff", "a1694e616d657370616365a1fbe7683c6a5d1c4a2f01"]) {
      const res = await fetch(`${s.url}/service/GraniteServiceVersion20100801/operation/PutMetricData`, {
        method: "POST",
        headers: { "smithy-protocol": "rpc-v2-cbor", "content-type": "application/cbor", accept: "application/cbor", authorization: signed("monitoring") },
        body: Buffer.from(whole, "hex"),
      });
      assert.equal(res.status, 400, whole);
      assert.ok(Buffer.from(await res.arrayBuffer()).includes(Buffer.from("SerializationException")), whole);
    }
  } finally {
    console.warn = warn;
  }
  assert.deepEqual(warned, []);
});

// Both found by the long fuzz run (bench/fuzz.ts, 2026-12-07).
test("CloudWatch: an expression that references itself is a circular dependency, not a stack overflow", async () => {
  const client = new cw.CloudWatchClient(cfg());
  const at = new Date(clock.now());
  for (const [queries, id] of [
    [[{ Id: "fuzz", Expression: "alias/fuzz", ReturnData: false }, { Id: "alias", Expression: "1" }], "fuzz"],
    [[{ Id: "a", Expression: "b * 2" }, { Id: "b", Expression: "a + 1", ReturnData: false }], "a"],
  ] as const) {
    const err = await client
      .send(new cw.GetMetricDataCommand({ MetricDataQueries: queries.map((q) => ({ ...q })), StartTime: new Date(at.getTime() - 3_600_000), EndTime: at }))
      .then(() => undefined, (e: Error & { $metadata?: { httpStatusCode?: number } }) => e);
    assert.ok(err, "GetMetricData answered");
    assert.equal(err.name, "InvalidParameterValueException");
    assert.equal(err.$metadata?.httpStatusCode, 400);
    assert.match(err.message, new RegExp(`^Error in expression ${id}: Circular dependency`));
  }
  assert.equal(logged.filter((m) => /internal/i.test(m)).length, 0);
});

test("CloudWatch over smithy-rpc-v2-cbor: a timestamp past what a date holds is a SerializationException, not a store failure", async () => {
  for (const seconds of [1e300, -1e17, 9e12]) {
    const res = await fetch(`${s.url}/service/GraniteServiceVersion20100801/operation/PutMetricData`, {
      method: "POST",
      headers: { "smithy-protocol": "rpc-v2-cbor", "content-type": "application/cbor", accept: "application/cbor", authorization: signed("monitoring") },
      body: Buffer.from(cbor.serialize({ Namespace: "fuzz", MetricData: [{ MetricName: "m", Timestamp: seconds, Value: 1 }] })),
    });
    assert.equal(res.status, 400, String(seconds));
    const body = cbor.deserialize(new Uint8Array(await res.arrayBuffer())) as { __type?: string };
    assert.match(String(body.__type), /SerializationException$/, String(seconds));
  }
  assert.equal(logged.filter((m) => /internal|NOT NULL/i.test(m)).length, 0);
});

describe("client patterns are matched in linear time and never kept", () => {
  test("EC2: a `*a*a*…b` filter value against a long tag answers (a backtracking matcher would not)", { timeout: 30_000 }, async () => {
    const client = new ec2.EC2Client(cfg());
    const subnets = (await client.send(new ec2.DescribeSubnetsCommand({}))).Subnets!;
    await client.send(new ec2.CreateTagsCommand({ Resources: [subnets[0]!.SubnetId!], Tags: [{ Key: "Name", Value: "a".repeat(255) }] }));
    const nasty = `${"*a".repeat(120)}b`;
    const none = await client.send(new ec2.DescribeSubnetsCommand({ Filters: [{ Name: "tag:Name", Values: [nasty] }] }));
    assert.deepEqual(none.Subnets, []);
    const one = await client.send(new ec2.DescribeSubnetsCommand({ Filters: [{ Name: "tag:Name", Values: [`${"*a".repeat(120)}*`] }] }));
    assert.deepEqual(one.Subnets?.map((x) => x.SubnetId), [subnets[0]!.SubnetId]);
  });

  test("Logs: a `*a*a*…b` string in a JSON filter pattern against a long message answers", { timeout: 30_000 }, async () => {
    const client = new cwl.CloudWatchLogsClient(cfg());
    await client.send(new cwl.CreateLogGroupCommand({ logGroupName: "long" }));
    await client.send(new cwl.CreateLogStreamCommand({ logGroupName: "long", logStreamName: "s" }));
    await client.send(new cwl.PutLogEventsCommand({ logGroupName: "long", logStreamName: "s", logEvents: [{ timestamp: clock.now(), message: JSON.stringify({ msg: "a".repeat(5000) }) }] }));
    const search = (pattern: string) => client.send(new cwl.FilterLogEventsCommand({ logGroupName: "long", filterPattern: `{ $.msg = "${pattern}" }` }));
    assert.deepEqual((await search(`${"*a".repeat(200)}b`)).events, []);
    assert.equal((await search(`${"*a".repeat(200)}*`)).events?.length, 1);
  });

  test("SSM: a client's AllowedPattern runs in linear time; patterns needing backtracking or not valid are refused", { timeout: 30_000 }, async () => {
    const client = new ssm.SSMClient(cfg());
    await expectError(
      client.send(new ssm.PutParameterCommand({ Name: "p1", Type: "String", Value: "a".repeat(4000), AllowedPattern: "(a+)+b" })),
      "ParameterPatternMismatchException",
      "Parameter value, cannot be validated against allowedPattern: (a+)+b",
    );
    for (const pattern of ["(a)\\1", "a(?=b)", "(unclosed"]) {
      await expectError(client.send(new ssm.PutParameterCommand({ Name: "p2", Type: "String", Value: "a", AllowedPattern: pattern })), "InvalidAllowedPatternException", /is not a valid regular expression, or uses back-references or lookaround/);
    }
    await client.send(new ssm.PutParameterCommand({ Name: "p3", Type: "String", Value: "prod-42", AllowedPattern: "^(dev|prod)-\\d{1,20}$" }));
    assert.equal((await client.send(new ssm.GetParameterCommand({ Name: "p3" }))).Parameter?.Value, "prod-42");
  });

  test("EC2 and Logs: 2,000 distinct filter values and 1,000 distinct filter patterns do not grow memory", { timeout: 120_000 }, async () => {
    const gc = v8Gc();
    const heap = () => {
      gc();
      return process.memoryUsage().heapUsed;
    };
    const client = new ec2.EC2Client(cfg());
    const run = async (from: number, n: number) => {
      for (let i = from; i < from + n; i++) {
        await client.send(new ec2.DescribeSubnetsCommand({ Filters: [{ Name: "tag:Name", Values: [`*${i}-${"x".repeat(2000)}*`] }] }));
      }
    };
    const logs = new cwl.CloudWatchLogsClient(cfg());
    await logs.send(new cwl.CreateLogGroupCommand({ logGroupName: "memory" }));
    await logs.send(new cwl.CreateLogStreamCommand({ logGroupName: "memory", logStreamName: "s" }));
    await logs.send(new cwl.PutLogEventsCommand({ logGroupName: "memory", logStreamName: "s", logEvents: [{ timestamp: clock.now(), message: '{"msg":"hello"}' }] }));
    const searchLogs = async (from: number, n: number) => {
      for (let i = from; i < from + n; i++) {
        await logs.send(new cwl.FilterLogEventsCommand({ logGroupName: "memory", filterPattern: `{ $.msg = "*${i}-${"y".repeat(900)}*" }` }));
      }
    };
    await run(0, 200);
    await searchLogs(0, 100);
    const base = heap();
    await run(200, 2000);
    await searchLogs(100, 1000);
    const grown = heap() - base;
    // A cache of 2,000 compiled 2 KB and 1,000 0.9 KB patterns would hold over 5 MB (the old one held hundreds).
    assert.ok(grown < 4 * 1024 * 1024, `heap grew ${(grown / 1048576).toFixed(1)} MiB`);
  });
});
