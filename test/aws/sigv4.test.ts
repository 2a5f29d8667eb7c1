/** Strict SigV4: the real SDK signer against our re-signing verifier, per protocol family. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as ec2 from "@aws-sdk/client-ec2";
import * as ecs from "@aws-sdk/client-ecs";
import * as elbv2 from "@aws-sdk/client-elastic-load-balancing-v2";
import type { LookupSecret } from "../../src/aws/auth/sigv4.ts";
import { createGateway } from "../../src/aws/gateway.ts";
import { inProcess } from "../helpers/in-process.ts";
import { echoEc2, echoEcs, echoElbv2, type Recorder } from "./echo-services.ts";
import { endpoint, recordingLogger, region } from "./fixtures.ts";

const KEY = { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" };
const lookupSecret: LookupSecret = (id) =>
  id === KEY.accessKeyId ? { secretAccessKey: KEY.secretAccessKey, accountId: "111122223333" } : undefined;

function setup(strictAuth: boolean) {
  const rec: Recorder = { calls: [] };
  const gateway = createGateway({
    services: [echoEcs(rec), echoElbv2(rec), echoEc2(rec)],
    strictAuth,
    lookupSecret,
    defaultAccountId: "123456789012",
    logger: recordingLogger(),
  });
  const config = (credentials: { accessKeyId: string; secretAccessKey: string }) => ({
    region,
    credentials,
    endpoint,
    requestHandler: inProcess(gateway),
    maxAttempts: 1,
  });
  return { rec, gateway, config };
}

type AwsError = Error & { $metadata: { httpStatusCode?: number } };

describe("SigV4 strict mode", () => {
  test("a correct signature passes and the account comes from the key", async () => {
    const { rec, config } = setup(true);
    const ecsClient = new ecs.ECSClient(config(KEY));
    await ecsClient.send(new ecs.CreateServiceCommand({ serviceName: "svc", desiredCount: 1 }));
    assert.equal(rec.calls[0]?.ctx.accountId, "111122223333");
    assert.equal(rec.calls[0]?.ctx.principalArn, "arn:aws:iam::111122223333:root");
    await new elbv2.ElasticLoadBalancingV2Client(config(KEY)).send(new elbv2.CreateLoadBalancerCommand({ Name: "lb", Subnets: ["s"] }));
    await new ec2.EC2Client(config(KEY)).send(new ec2.DescribeVpcsCommand({ VpcIds: ["vpc-1"] }));
    assert.equal(rec.calls.length, 3);
  });

  test("a wrong secret → InvalidSignatureException (JSON), SignatureDoesNotMatch (query), AuthFailure (EC2)", async () => {
    const { rec, config } = setup(true);
    const wrong = { ...KEY, secretAccessKey: "not-the-secret" };
    await assert.rejects(new ecs.ECSClient(config(wrong)).send(new ecs.ListClustersCommand({})), (err: AwsError) => {
      assert.equal(err.name, "InvalidSignatureException");
      assert.equal(
        err.message,
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
      );
      assert.equal(err.$metadata.httpStatusCode, 400);
      return true;
    });
    await assert.rejects(new elbv2.ElasticLoadBalancingV2Client(config(wrong)).send(new elbv2.DescribeLoadBalancersCommand({})), (err: AwsError) => {
      assert.equal(err.name, "SignatureDoesNotMatch");
      assert.equal(err.$metadata.httpStatusCode, 403);
      return true;
    });
    await assert.rejects(new ec2.EC2Client(config(wrong)).send(new ec2.DescribeVpcsCommand({})), (err: AwsError) => {
      assert.equal(err.name, "AuthFailure");
      return true;
    });
    assert.equal(rec.calls.length, 0);
  });

  test("an unknown key → UnrecognizedClientException (JSON), InvalidClientTokenId (query)", async () => {
    const { config } = setup(true);
    const unknown = { accessKeyId: "AKIDUNKNOWN", secretAccessKey: "x" };
    await assert.rejects(new ecs.ECSClient(config(unknown)).send(new ecs.ListClustersCommand({})), (err: AwsError) => {
      assert.equal(err.name, "UnrecognizedClientException");
      assert.equal(err.message, "The security token included in the request is invalid.");
      return true;
    });
    await assert.rejects(new elbv2.ElasticLoadBalancingV2Client(config(unknown)).send(new elbv2.DescribeLoadBalancersCommand({})), (err: AwsError) => {
      assert.equal(err.name, "InvalidClientTokenId");
      return true;
    });
  });

  test("a tampered body fails verification", async () => {
    const { gateway, config } = setup(true);
    const captured: Array<{ headers: Record<string, string>; body: string }> = [];
    const client = new ecs.ECSClient({
      ...config(KEY),
      requestHandler: {
        async handle(request: { method: string; path: string; headers: Record<string, string>; body?: unknown }) {
          const body = Buffer.from(request.body as Uint8Array).toString("utf8");
          captured.push({ headers: request.headers, body });
          const res = await gateway.invoke({ method: request.method, url: request.path, headers: request.headers, body });
          return { response: { statusCode: res.status, headers: res.headers, body: new Uint8Array(Buffer.from(res.body)) } };
        },
      },
    });
    await client.send(new ecs.ListClustersCommand({ maxResults: 5 }));
    const sent = captured[0];
    assert.ok(sent);
    const ok = await gateway.invoke({ method: "POST", url: "/", headers: sent.headers, body: sent.body });
    assert.equal(ok.status, 200);
    const tampered = await gateway.invoke({ method: "POST", url: "/", headers: sent.headers, body: sent.body.replace("5", "6") });
    assert.equal(tampered.status, 400);
    assert.equal(JSON.parse(tampered.body).__type, "InvalidSignatureException");
  });

  test("missing authentication in strict mode → MissingAuthenticationTokenException", async () => {
    const { gateway } = setup(true);
    const res = await gateway.invoke({
      method: "POST",
      url: "/",
      headers: { "x-amz-target": "AmazonEC2ContainerServiceV20141113.ListClusters", "content-type": "application/x-amz-json-1.1" },
      body: "{}",
    });
    assert.equal(res.status, 400);
    assert.equal(JSON.parse(res.body).__type, "MissingAuthenticationTokenException");
  });

  test("non-strict mode accepts any signature; unknown keys get the default account", async () => {
    const { rec, config } = setup(false);
    await new ecs.ECSClient(config({ accessKeyId: "whatever", secretAccessKey: "x" })).send(new ecs.CreateServiceCommand({ serviceName: "a" }));
    await new ecs.ECSClient(config({ ...KEY, secretAccessKey: "wrong" })).send(new ecs.CreateServiceCommand({ serviceName: "b" }));
    assert.deepEqual(
      rec.calls.map((c) => c.ctx.accountId),
      ["123456789012", "111122223333"],
    );
  });
});
