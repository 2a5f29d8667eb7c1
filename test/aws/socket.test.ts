/**
 * Over real sockets: the AWS CLI (one test per protocol, skipped loudly when `aws` is missing), raw
 * fetch for 413 and 500, and the DescribeTags EC2/ELBv2 split decided by the credential scope.
 */
import assert from "node:assert/strict";
import { request } from "node:http";
import { after, before, describe, test } from "node:test";
import { createGateway } from "../../src/aws/gateway.ts";
import { awsCli, awsCliSkip } from "../helpers/aws-cli.ts";
import { type RunningServer, startGatewayServer } from "../helpers/in-process.ts";
import { echoEc2, echoEcs, echoElbv2, type Recorder } from "./echo-services.ts";
import { recordingLogger } from "./fixtures.ts";

const skipCli = awsCliSkip("the CLI round trips");

const MAX_BODY = 4096;

describe("gateway over a socket", () => {
  const rec: Recorder = { calls: [] };
  const logger = recordingLogger();
  let server: RunningServer;

  before(async () => {
    const gateway = createGateway({
      services: [echoEcs(rec), echoElbv2(rec), echoEc2(rec)],
      defaultAccountId: "123456789012",
      maxBodyBytes: MAX_BODY,
      logger,
    });
    server = await startGatewayServer(gateway);
  });
  after(() => server.close());

  const aws = (...args: string[]) => awsCli(server.url, ...args);


  test("AWS CLI · awsJson1_1 (ecs): success and a modelled error", { skip: skipCli }, async () => {
    const ok = await aws("ecs", "list-clusters");
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual(JSON.parse(ok.stdout), { clusterArns: ["arn:aws:ecs:us-east-1:123456789012:cluster/default"] });
    const bad = await aws("ecs", "describe-clusters", "--clusters", "missing");
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /An error occurred \(ClusterNotFoundException\) when calling the DescribeClusters operation: Cluster not found\./);
  });

  test("AWS CLI · awsQuery (elbv2): lists of structs and an awsQueryError code", { skip: skipCli }, async () => {
    const ok = await aws("elbv2", "describe-target-health", "--target-group-arn", "arn:tg", "--targets", "Id=10.0.0.5,Port=80", "Id=10.0.0.6,Port=81");
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual(JSON.parse(ok.stdout).TargetHealthDescriptions, [
      { Target: { Id: "10.0.0.5", Port: 80 }, HealthCheckPort: "80", TargetHealth: { State: "healthy" } },
      { Target: { Id: "10.0.0.6", Port: 81 }, HealthCheckPort: "81", TargetHealth: { State: "healthy" } },
    ]);
    const lbs = await aws("elbv2", "describe-load-balancers");
    assert.equal(lbs.code, 0, lbs.stderr);
    assert.deepEqual(JSON.parse(lbs.stdout), { LoadBalancers: [] });
    const dup = await aws("elbv2", "create-load-balancer", "--name", "taken", "--subnets", "s-1");
    assert.match(dup.stderr, /An error occurred \(DuplicateLoadBalancerName\) when calling the CreateLoadBalancer operation: A load balancer with the same name 'taken' exists/);
  });

  test("AWS CLI · ec2Query (ec2): filters, <item> lists and a dotted error code", { skip: skipCli }, async () => {
    const ok = await aws("ec2", "describe-vpcs", "--vpc-ids", "vpc-default", "--filters", "Name=state,Values=available,pending");
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual(JSON.parse(ok.stdout), {
      Vpcs: [{ VpcId: "vpc-default", CidrBlock: "10.0.0.0/16", IsDefault: true, State: "available", Tags: [{ Key: "state", Value: "available,pending" }] }],
    });
    const bad = await aws("ec2", "describe-security-groups", "--group-ids", "sg-404");
    assert.match(bad.stderr, /An error occurred \(InvalidGroup\.NotFound\) when calling the DescribeSecurityGroups operation: The security group 'sg-404' does not exist/);
  });

  test("AWS CLI · DescribeTags goes to EC2 or ELBv2 by credential scope", { skip: skipCli }, async () => {
    const elb = await aws("elbv2", "describe-tags", "--resource-arns", "arn:lb/1");
    assert.equal(elb.code, 0, elb.stderr);
    assert.deepEqual(JSON.parse(elb.stdout), { TagDescriptions: [{ ResourceArn: "arn:lb/1", Tags: [{ Key: "service", Value: "elbv2" }] }] });
    const ec2 = await aws("ec2", "describe-tags");
    assert.equal(ec2.code, 0, ec2.stderr);
    assert.equal(JSON.parse(ec2.stdout).Tags[0].Value, "ec2");
  });

  test("oversized body (Content-Length) → 413 AWS-shaped error, and the server keeps serving", async () => {
    const res = await fetch(server.url, {
      method: "POST",
      headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": "AmazonEC2ContainerServiceV20141113.ListClusters" },
      body: JSON.stringify({ nextToken: "x".repeat(MAX_BODY) }),
    });
    assert.equal(res.status, 413);
    assert.equal(res.headers.get("x-amzn-errortype"), "RequestEntityTooLargeException");
    assert.equal(((await res.json()) as { __type: string }).__type, "RequestEntityTooLargeException");
    const next = await fetch(server.url, {
      method: "POST",
      headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": "AmazonEC2ContainerServiceV20141113.ListClusters" },
      body: "{}",
    });
    assert.equal(next.status, 200);
  });

  test("oversized chunked body → 413 without buffering the rest", async () => {
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        `${server.url}/`,
        { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", "transfer-encoding": "chunked" } },
        (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (c: string) => (text += c));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
        },
      );
      req.on("error", reject);
      req.write("Action=DescribeLoadBalancers&Version=2015-12-01&Names.member.1=");
      req.end("y".repeat(MAX_BODY * 2));
    });
    assert.equal(status, 413);
    assert.match(body, /<Code>RequestEntityTooLarge<\/Code>/);
  });

  test("a throwing handler → 500 InternalFailure over HTTP; the next request is served", async () => {
    const headers = { "content-type": "application/x-amz-json-1.1", "x-amz-target": "AmazonEC2ContainerServiceV20141113.UpdateService" };
    const res = await fetch(server.url, { method: "POST", headers, body: '{"service":"s"}' });
    assert.equal(res.status, 500);
    const body = (await res.json()) as { __type: string };
    assert.equal(body.__type, "InternalFailure");
    assert.equal(logger.errors.at(-1)?.details["requestId"], res.headers.get("x-amzn-requestid"));
    const next = await fetch(server.url, { method: "POST", headers: { ...headers, "x-amz-target": "AmazonEC2ContainerServiceV20141113.ListClusters" }, body: "{}" });
    assert.equal(next.status, 200);
  });
});
