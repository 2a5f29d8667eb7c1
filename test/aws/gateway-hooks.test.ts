/**
 * The gateway's seams and fallbacks: services Slipway does not serve are named as such (through the
 * real AWS CLI), a request naming no operation loads no service model, the authorize hook can
 * refuse a call before its handler runs, and the observer hears every answered call.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import * as ecs from "@aws-sdk/client-ecs";
import { createGateway, type ObservedCall } from "../../src/aws/gateway.ts";
import { ServiceError } from "../../src/aws/service-error.ts";
import { awsCli, awsCliSkip } from "../helpers/aws-cli.ts";
import { expectError } from "../helpers/errors.ts";
import { inProcess, type RunningServer, startGatewayServer } from "../helpers/in-process.ts";
import { echoEcs, echoElbv2, type Recorder } from "./echo-services.ts";
import { recordingLogger, sequentialIds } from "./fixtures.ts";

describe("services Slipway does not serve, through the AWS CLI", { skip: awsCliSkip("the not-served tests") }, () => {
  let server: RunningServer;
  before(async () => {
    server = await startGatewayServer(createGateway({ services: [echoEcs({ calls: [] }), echoElbv2({ calls: [] })], logger: recordingLogger() }));
  });
  after(() => server.close());

  test("a JSON service (dynamodb list-tables) and a query service (sns list-topics) are named, with the operation", async () => {
    const dynamo = await awsCli(server.url, "dynamodb", "list-tables");
    assert.notEqual(dynamo.code, 0);
    assert.match(dynamo.stderr, /UnknownOperationException/);
    assert.match(dynamo.stderr, /Slipway does not serve dynamodb \(DynamoDB_20120810\.ListTables\)/);
    const sns = await awsCli(server.url, "sns", "list-topics");
    assert.notEqual(sns.code, 0);
    assert.match(sns.stderr, /InvalidAction/);
    assert.match(sns.stderr, /Slipway does not serve sns \(ListTopics\)/);
  });

  test("an unknown operation of a served service keeps AWS's own error", async () => {
    const res = await awsCli(server.url, "elbv2", "describe-load-balancers", "--page-size", "1");
    assert.equal(res.code, 0, res.stderr);
  });
});

test("a request that names no operation (a browser's GET /) loads no service model", async () => {
  let loads = 0;
  const lazy = (def: ReturnType<typeof echoEcs>) => ({
    ...def,
    model: () => {
      loads++;
      return typeof def.model === "function" ? def.model() : def.model;
    },
  });
  const gateway = createGateway({ services: [lazy(echoEcs({ calls: [] })), lazy(echoElbv2({ calls: [] }))], logger: recordingLogger() });
  const res = await gateway.invoke({ method: "GET", url: "/", headers: { accept: "text/html" } });
  assert.equal(res.status, 400);
  assert.match(res.body, /<Code>MissingAction<\/Code>/);
  assert.equal(loads, 0);
});

describe("authorize and observe hooks, through the real ECS client", () => {
  const rec: Recorder = { calls: [] };
  const observed: ObservedCall[] = [];
  let clock = 1_000;
  const gateway = createGateway({
    services: [echoEcs(rec)],
    logger: recordingLogger(),
    ids: sequentialIds(),
    now: () => (clock += 5),
    authorize: ({ ctx }) => {
      if (ctx.operation === "CreateService") throw new ServiceError("AccessDeniedException", "denied by the test", { status: 400 });
    },
    observe: (call) => observed.push(call),
  });
  const client = new ecs.ECSClient({
    region: "eu-west-1",
    endpoint: "http://gateway.invalid",
    credentials: { accessKeyId: "AKIDTEST", secretAccessKey: "x" },
    requestHandler: inProcess(gateway),
    maxAttempts: 1,
  });

  test("a refused call never reaches its handler; an allowed one does", async () => {
    await expectError(client.send(new ecs.CreateServiceCommand({ serviceName: "s", taskDefinition: "t" })), "AccessDeniedException", "denied by the test");
    assert.equal(rec.calls.some((c) => c.operation === "CreateService"), false);
    const ok = await client.send(new ecs.ListClustersCommand({}));
    assert.equal(ok.clusterArns?.length, 1);
  });

  test("the observer hears each call: service, operation, caller, status, error code, latency", () => {
    const [denied, listed] = observed.slice(-2);
    assert.deepEqual(
      { service: denied?.service, operation: denied?.operation, status: denied?.status, errorCode: denied?.errorCode, region: denied?.region, key: denied?.accessKeyId },
      { service: "ecs", operation: "CreateService", status: 400, errorCode: "AccessDeniedException", region: "eu-west-1", key: "AKIDTEST" },
    );
    assert.deepEqual({ operation: listed?.operation, status: listed?.status, errorCode: listed?.errorCode }, { operation: "ListClusters", status: 200, errorCode: undefined });
    assert.equal(listed?.latencyMs, 5);
    assert.ok(denied?.requestId);
    assert.match(listed?.userAgent ?? "", /aws-sdk-js/, "the caller's User-Agent names the tool");
  });
});
