/** awsJson1_1 through the real ECSClient (in-process) and raw requests against the gateway. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as ecs from "@aws-sdk/client-ecs";
import { createGateway } from "../../src/aws/gateway.ts";
import { inProcess } from "../helpers/in-process.ts";
import { CREATED_AT, echoEcs, type Recorder } from "./echo-services.ts";
import { credentials, endpoint, recordingLogger, region, sequentialIds } from "./fixtures.ts";

const TARGET = "AmazonEC2ContainerServiceV20141113";

function setup() {
  const rec: Recorder = { calls: [] };
  const logger = recordingLogger();
  const gateway = createGateway({ services: [echoEcs(rec)], defaultAccountId: "123456789012", logger, ids: sequentialIds() });
  const client = new ecs.ECSClient({ region, credentials, endpoint, requestHandler: inProcess(gateway), maxAttempts: 1 });
  const raw = (operation: string, body: string) =>
    gateway.invoke({
      method: "POST",
      url: "/",
      headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": `${TARGET}.${operation}` },
      body,
    });
  return { rec, logger, gateway, client, raw };
}

function strip<T extends { $metadata?: unknown }>(out: T): Omit<T, "$metadata"> {
  const { $metadata: _, ...rest } = out;
  return rest;
}

describe("awsJson1_1 round trip through ECSClient", () => {
  test("nested structs, lists, maps, numbers, booleans and timestamps survive both directions", async () => {
    const { rec, client } = setup();
    const containerDefinitions: ecs.ContainerDefinition[] = [
      {
        name: "web",
        image: "nginx:1.27",
        cpu: 256,
        memory: 512,
        essential: true,
        portMappings: [{ containerPort: 80, hostPort: 8080, protocol: "tcp" }],
        environment: [{ name: "MODE", value: "prod" }],
        dockerLabels: { "com.example.team": "web", tier: "front" },
        healthCheck: { command: ["CMD-SHELL", "curl -f http://localhost/ || exit 1"], interval: 30, retries: 3 },
      },
    ];
    const out = await client.send(
      new ecs.RegisterTaskDefinitionCommand({
        family: "web",
        containerDefinitions,
        requiresCompatibilities: ["FARGATE"],
        cpu: "256",
        tags: [{ key: "env", value: "test" }],
      }),
    );
    assert.deepEqual(rec.calls[0]?.input, {
      family: "web",
      containerDefinitions,
      requiresCompatibilities: ["FARGATE"],
      cpu: "256",
      tags: [{ key: "env", value: "test" }],
    });
    assert.deepEqual(strip(out), {
      taskDefinition: {
        family: "web",
        revision: 1,
        containerDefinitions,
        requiresCompatibilities: ["FARGATE"],
        registeredAt: CREATED_AT,
        cpu: "256",
        status: "ACTIVE",
      },
      tags: [{ key: "env", value: "test" }],
    });
    assert.ok(out.taskDefinition?.registeredAt instanceof Date);
    assert.equal(out.taskDefinition?.registeredAt?.getTime(), CREATED_AT.getTime());
  });

  test("CreateService: request context and deep struct echo", async () => {
    const { rec, client } = setup();
    const input: ecs.CreateServiceCommandInput = {
      cluster: "default",
      serviceName: "api",
      taskDefinition: "web:1",
      desiredCount: 2,
      launchType: "FARGATE",
      enableExecuteCommand: false,
      deploymentConfiguration: {
        maximumPercent: 200,
        minimumHealthyPercent: 100,
        deploymentCircuitBreaker: { enable: true, rollback: false },
      },
      networkConfiguration: { awsvpcConfiguration: { subnets: ["subnet-1", "subnet-2"], assignPublicIp: "ENABLED" } },
      loadBalancers: [{ targetGroupArn: "arn:tg", containerName: "web", containerPort: 80 }],
      capacityProviderStrategy: [],
    };
    const out = await client.send(new ecs.CreateServiceCommand(input));
    const call = rec.calls[0];
    assert.deepEqual(call?.input, input);
    assert.equal(call?.ctx.region, region);
    assert.equal(call?.ctx.accountId, "123456789012");
    assert.equal(call?.ctx.principalArn, "arn:aws:iam::123456789012:root");
    assert.equal(call?.ctx.operation, "CreateService");
    assert.equal(call?.ctx.service, "ecs");
    assert.equal(call?.ctx.accessKeyId, credentials.accessKeyId);
    assert.deepEqual(strip(out), {
      service: {
        serviceName: "api",
        serviceArn: `arn:aws:ecs:${region}:123456789012:service/default/api`,
        desiredCount: 2,
        launchType: "FARGATE",
        deploymentConfiguration: input.deploymentConfiguration,
        networkConfiguration: input.networkConfiguration,
        loadBalancers: input.loadBalancers,
        enableExecuteCommand: false,
        createdAt: CREATED_AT,
        deployments: [{ id: "ecs-svc/1", status: "PRIMARY", createdAt: CREATED_AT, updatedAt: CREATED_AT, runningCount: 0 }],
      },
    });
  });

  test("the wire form: epoch seconds with fraction, no nulls, AWS headers", async () => {
    const { raw } = setup();
    const res = await raw("RegisterTaskDefinition", JSON.stringify({ family: "f", containerDefinitions: [{ name: "a", image: "b", cpu: null }] }));
    assert.equal(res.status, 200);
    assert.equal(res.headers["content-type"], "application/x-amz-json-1.1");
    assert.equal(res.headers["x-amzn-requestid"], "req-0001");
    assert.equal(
      res.body,
      '{"taskDefinition":{"containerDefinitions":[{"name":"a","image":"b"}],"family":"f","revision":1,"status":"ACTIVE","registeredAt":1733318615.211}}',
    );
  });

  test("ServiceError → SDK error with the model's name, message, status and fault", async () => {
    const { client } = setup();
    await assert.rejects(client.send(new ecs.DescribeClustersCommand({ clusters: ["missing"] })), (err: ecs.ClusterNotFoundException) => {
      assert.ok(err instanceof ecs.ClusterNotFoundException);
      assert.equal(err.name, "ClusterNotFoundException");
      assert.equal(err.message, "Cluster not found.");
      assert.equal(err.$fault, "client");
      assert.equal(err.$metadata.httpStatusCode, 400);
      return true;
    });
  });

  test("ServiceError fields become error members (ConflictException.resourceIds)", async () => {
    const { client, raw } = setup();
    await assert.rejects(client.send(new ecs.RunTaskCommand({ taskDefinition: "web:1" })), (err: ecs.ConflictException) => {
      assert.ok(err instanceof ecs.ConflictException);
      assert.deepEqual(err.resourceIds, ["arn:task/1"]);
      assert.equal(err.message, "The clientToken was already used.");
      return true;
    });
    const res = await raw("RunTask", '{"taskDefinition":"x"}');
    assert.equal(res.status, 400);
    assert.equal(res.headers["x-amzn-errortype"], "ConflictException");
    assert.deepEqual(JSON.parse(res.body), {
      __type: "ConflictException",
      message: "The clientToken was already used.",
      resourceIds: ["arn:task/1"],
    });
  });

  test("malformed JSON → 400 SerializationException", async () => {
    const { raw } = setup();
    const res = await raw("ListClusters", "{not json");
    assert.equal(res.status, 400);
    assert.equal(JSON.parse(res.body).__type, "SerializationException");
    assert.equal(res.headers["x-amzn-errortype"], "SerializationException");
  });

  test("unknown operation and unknown target prefix → 400 UnknownOperationException", async () => {
    const { raw, gateway } = setup();
    const res = await raw("FlyToTheMoon", "{}");
    assert.equal(res.status, 400);
    assert.deepEqual(JSON.parse(res.body), { __type: "UnknownOperationException", message: "Unknown operation FlyToTheMoon" });
    const other = await gateway.invoke({
      method: "POST",
      url: "/",
      headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": "Nope_20200101.ListThings" },
      body: "{}",
    });
    assert.equal(other.status, 400);
    assert.equal(JSON.parse(other.body).__type, "UnknownOperationException");
  });

  test("validation: missing required member, bad enum (SDK) → ValidationException with AWS's message", async () => {
    const { client, rec } = setup();
    await assert.rejects(
      client.send(new ecs.CreateServiceCommand({ launchType: "LAMBDA" as ecs.LaunchType } as ecs.CreateServiceCommandInput)),
      (err: Error & { $metadata: { httpStatusCode?: number } }) => {
        assert.equal(err.name, "ValidationException");
        assert.equal(
          err.message,
          "2 validation errors detected: Value null at 'serviceName' failed to satisfy constraint: Member must not be null; " +
            "Value 'LAMBDA' at 'launchType' failed to satisfy constraint: Member must satisfy enum value set: [EC2, EXTERNAL, FARGATE, MANAGED_INSTANCES]",
        );
        assert.equal(err.$metadata.httpStatusCode, 400);
        return true;
      },
    );
    assert.equal(rec.calls.length, 0, "the handler is not called for invalid input");
  });

  test("validation: nested required members and enums inside lists use AWS paths", async () => {
    const { raw } = setup();
    const res = await raw(
      "RegisterTaskDefinition",
      JSON.stringify({ family: "f", containerDefinitions: [{ name: "a", portMappings: [{ containerPort: 80, protocol: "sctp" }] }] }),
    );
    assert.equal(res.status, 400);
    assert.deepEqual(JSON.parse(res.body), {
      __type: "ValidationException",
      message:
        "1 validation error detected: Value 'sctp' at 'containerDefinitions.1.member.portMappings.1.member.protocol' failed to satisfy constraint: Member must satisfy enum value set: [tcp, udp]",
    });
  });

  test("wrong JSON types → 400 SerializationException naming the member", async () => {
    const { raw } = setup();
    const res = await raw("CreateService", JSON.stringify({ serviceName: "s", desiredCount: "two", enableExecuteCommand: "yes", loadBalancers: {} }));
    assert.equal(res.status, 400);
    const body = JSON.parse(res.body);
    assert.equal(body.__type, "SerializationException");
    assert.match(body.message, /'loadBalancers', expected list/);
    assert.match(body.message, /'desiredCount', expected number/);
    assert.match(body.message, /'enableExecuteCommand', expected boolean/);
  });

  test("a throwing handler → 500 InternalFailure, logged with the request id, and the gateway keeps serving", async () => {
    const { client, logger } = setup();
    await assert.rejects(client.send(new ecs.UpdateServiceCommand({ service: "api" })), (err: Error & { $fault: string; $metadata: { httpStatusCode?: number } }) => {
      assert.equal(err.name, "InternalFailure");
      assert.equal(err.$fault, "server");
      assert.equal(err.$metadata.httpStatusCode, 500);
      return true;
    });
    assert.equal(logger.errors.length, 1);
    assert.equal(logger.errors[0]?.details["requestId"], "req-0001");
    const out = await client.send(new ecs.ListClustersCommand({}));
    assert.deepEqual(out.clusterArns, [`arn:aws:ecs:${region}:123456789012:cluster/default`]);
  });

  test("a known operation without a handler → 501 naming the operation", async () => {
    const { client } = setup();
    await assert.rejects(client.send(new ecs.DeleteClusterCommand({ cluster: "c" })), (err: Error & { $metadata: { httpStatusCode?: number } }) => {
      assert.equal(err.name, "NotImplemented");
      assert.match(err.message, /DeleteCluster/);
      assert.equal(err.$metadata.httpStatusCode, 501);
      return true;
    });
  });
});
