/** awsQuery through the real ElasticLoadBalancingV2Client (in-process) and raw form requests. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as elbv2 from "@aws-sdk/client-elastic-load-balancing-v2";
import { createGateway } from "../../src/aws/gateway.ts";
import { inProcess } from "../helpers/in-process.ts";
import { CREATED_AT, ELBV2_NAMESPACE, echoElbv2, type Recorder } from "./echo-services.ts";
import { credentials, endpoint, recordingLogger, region, sequentialIds } from "./fixtures.ts";

function setup() {
  const rec: Recorder = { calls: [] };
  const gateway = createGateway({ services: [echoElbv2(rec)], defaultAccountId: "123456789012", logger: recordingLogger(), ids: sequentialIds() });
  const client = new elbv2.ElasticLoadBalancingV2Client({ region, credentials, endpoint, requestHandler: inProcess(gateway), maxAttempts: 1 });
  const raw = (form: string) =>
    gateway.invoke({ method: "POST", url: "/", headers: { "content-type": "application/x-www-form-urlencoded; charset=utf-8" }, body: form });
  return { rec, gateway, client, raw };
}

describe("awsQuery round trip through ElasticLoadBalancingV2Client", () => {
  test("CreateLoadBalancer: lists (member.N), empty lists, nested structs, timestamps", async () => {
    const { rec, client } = setup();
    const out = await client.send(
      new elbv2.CreateLoadBalancerCommand({
        Name: "web",
        Subnets: ["subnet-1", "subnet-2"],
        SecurityGroups: [],
        Scheme: "internet-facing",
        Type: "application",
        Tags: [{ Key: "env", Value: "test" }],
      }),
    );
    assert.deepEqual(rec.calls[0]?.input, {
      Name: "web",
      Subnets: ["subnet-1", "subnet-2"],
      SecurityGroups: [],
      Scheme: "internet-facing",
      Type: "application",
      Tags: [{ Key: "env", Value: "test" }],
    });
    assert.equal(rec.calls[0]?.ctx.region, region);
    const { $metadata, ...rest } = out;
    assert.equal($metadata.requestId, "req-0001");
    assert.deepEqual(rest, {
      LoadBalancers: [
        {
          LoadBalancerName: "web",
          LoadBalancerArn: `arn:aws:elasticloadbalancing:${region}:123456789012:loadbalancer/app/web/1`,
          CreatedTime: CREATED_AT,
          Scheme: "internet-facing",
          Type: "application",
          State: { Code: "provisioning" },
          SecurityGroups: [],
          AvailabilityZones: [
            { SubnetId: "subnet-1", ZoneName: "us-east-1a" },
            { SubnetId: "subnet-2", ZoneName: "us-east-1b" },
          ],
        },
      ],
    });
  });

  test("DescribeTargetHealth: list of structs with numbers", async () => {
    const { client, rec } = setup();
    const out = await client.send(
      new elbv2.DescribeTargetHealthCommand({ TargetGroupArn: "arn:tg", Targets: [{ Id: "10.0.0.5", Port: 80 }, { Id: "10.0.0.6", Port: 8080 }] }),
    );
    assert.deepEqual(rec.calls[0]?.input, { TargetGroupArn: "arn:tg", Targets: [{ Id: "10.0.0.5", Port: 80 }, { Id: "10.0.0.6", Port: 8080 }] });
    assert.deepEqual(out.TargetHealthDescriptions, [
      { Target: { Id: "10.0.0.5", Port: 80 }, HealthCheckPort: "80", TargetHealth: { State: "healthy" } },
      { Target: { Id: "10.0.0.6", Port: 8080 }, HealthCheckPort: "8080", TargetHealth: { State: "healthy" } },
    ]);
  });

  test("ModifyLoadBalancerAttributes: key/value attribute lists, XML escaping", async () => {
    const { client } = setup();
    const Attributes = [
      { Key: "idle_timeout.timeout_seconds", Value: "60" },
      { Key: "access_logs.s3.prefix", Value: "a&b<c>\"d'" },
    ];
    const out = await client.send(new elbv2.ModifyLoadBalancerAttributesCommand({ LoadBalancerArn: "arn:lb", Attributes }));
    assert.deepEqual(out.Attributes, Attributes);
  });

  test("the wire form: <OpResponse xmlns><OpResult>, <member> lists, ISO timestamps, RequestId", async () => {
    const { raw } = setup();
    const res = await raw("Action=CreateLoadBalancer&Version=2015-12-01&Name=w&Subnets.member.1=s-1&SecurityGroups=");
    assert.equal(res.status, 200);
    assert.equal(res.headers["content-type"], "text/xml");
    assert.equal(
      res.body,
      `<?xml version="1.0" encoding="UTF-8"?><CreateLoadBalancerResponse xmlns="${ELBV2_NAMESPACE}"><CreateLoadBalancerResult>` +
        "<LoadBalancers><member><LoadBalancerArn>arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/w/1</LoadBalancerArn>" +
        "<CreatedTime>2024-12-04T13:23:35.211Z</CreatedTime><LoadBalancerName>w</LoadBalancerName><State><Code>provisioning</Code></State>" +
        "<AvailabilityZones><member><ZoneName>us-east-1a</ZoneName><SubnetId>s-1</SubnetId></member></AvailabilityZones>" +
        "<SecurityGroups></SecurityGroups></member></LoadBalancers>" +
        "</CreateLoadBalancerResult><ResponseMetadata><RequestId>req-0001</RequestId></ResponseMetadata></CreateLoadBalancerResponse>",
    );
  });

  test("error code from the awsQueryError trait; the SDK maps it back to the exception class", async () => {
    const { client, raw } = setup();
    await assert.rejects(client.send(new elbv2.CreateLoadBalancerCommand({ Name: "taken" })), (err: elbv2.DuplicateLoadBalancerNameException) => {
      assert.ok(err instanceof elbv2.DuplicateLoadBalancerNameException);
      assert.equal(err.name, "DuplicateLoadBalancerNameException");
      assert.equal(err.message, "A load balancer with the same name 'taken' exists");
      assert.equal((err as unknown as { Code: string }).Code, "DuplicateLoadBalancerName");
      assert.equal(err.$metadata.httpStatusCode, 400);
      return true;
    });
    const res = await raw("Action=CreateLoadBalancer&Version=2015-12-01&Name=taken");
    assert.equal(
      res.body,
      `<?xml version="1.0" encoding="UTF-8"?><ErrorResponse xmlns="${ELBV2_NAMESPACE}"><Error><Type>Sender</Type>` +
        "<Code>DuplicateLoadBalancerName</Code><Message>A load balancer with the same name &apos;taken&apos; exists</Message></Error>" +
        "<RequestId>req-0002</RequestId></ErrorResponse>",
    );
  });

  test("a handler may also throw the query code itself (LoadBalancerNotFound)", async () => {
    const { client } = setup();
    await assert.rejects(client.send(new elbv2.DescribeLoadBalancersCommand({ Names: ["missing"] })), (err: Error) => {
      assert.ok(err instanceof elbv2.LoadBalancerNotFoundException);
      assert.equal(err.message, "One or more load balancers not found");
      return true;
    });
  });

  test("validation → 400 ValidationError", async () => {
    const { client, raw } = setup();
    await assert.rejects(
      client.send(new elbv2.CreateLoadBalancerCommand({ Scheme: "private" as elbv2.LoadBalancerSchemeEnum } as elbv2.CreateLoadBalancerInput)),
      (err: Error & { $metadata: { httpStatusCode?: number } }) => {
        assert.equal(err.name, "ValidationError");
        assert.equal(
          err.message,
          "2 validation errors detected: Value null at 'Name' failed to satisfy constraint: Member must not be null; " +
            "Value 'private' at 'Scheme' failed to satisfy constraint: Member must satisfy enum value set: [internal, internet-facing]",
        );
        assert.equal(err.$metadata.httpStatusCode, 400);
        return true;
      },
    );
    const res = await raw("Action=DescribeTargetHealth&Version=2015-12-01&TargetGroupArn=a&Targets.member.1.Id=x&Targets.member.1.Port=eighty");
    assert.equal(res.status, 400);
    assert.match(res.body, /<Code>ValidationError<\/Code>/);
    assert.match(res.body, /Value &apos;eighty&apos; at &apos;Targets.1.Port&apos;/);
  });

  test("unknown action → 400 InvalidAction; unimplemented → 501", async () => {
    const { raw, client } = setup();
    const res = await raw("Action=LaunchRocket&Version=2015-12-01");
    assert.equal(res.status, 400);
    assert.match(res.body, /<Code>InvalidAction<\/Code><Message>The action LaunchRocket is not valid for this web service.<\/Message>/);
    await assert.rejects(client.send(new elbv2.DeleteLoadBalancerCommand({ LoadBalancerArn: "a" })), (err: Error & { $metadata: { httpStatusCode?: number } }) => {
      assert.equal(err.name, "NotImplemented");
      assert.equal(err.$metadata.httpStatusCode, 501);
      return true;
    });
  });
});
