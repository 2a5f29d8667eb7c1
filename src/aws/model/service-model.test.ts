import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as ecs from "@aws-sdk/client-ecs";
import * as elbv2 from "@aws-sdk/client-elastic-load-balancing-v2";
import { ServiceModel } from "./index.ts";

describe("ServiceModel over @aws-sdk/client-ecs", () => {
  const model = new ServiceModel(ecs);

  test("namespace and operation lookup", () => {
    assert.equal(model.namespace, "com.amazonaws.ecs");
    const op = model.operation("CreateService");
    assert.equal(op?.input.name, "CreateServiceRequest");
    assert.equal(op?.output.name, "CreateServiceResponse");
    assert.equal(model.operation("CreateServiceRequest"), undefined, "structures are not operations");
    assert.equal(model.operation("constructor"), undefined);
    assert.equal(model.operation("NoSuchOp"), undefined);
    assert.ok(model.operationNames().includes("RunTask"));
  });

  test("member iteration, kinds and required members", () => {
    const input = model.operation("CreateService")?.input;
    assert.ok(input);
    assert.deepEqual(input.requiredMembers(), ["serviceName"]);
    assert.equal(input.member("desiredCount")?.kind, "number");
    assert.equal(input.member("enableECSManagedTags")?.kind, "boolean");
    assert.equal(input.member("tags")?.kind, "list");
    assert.equal(input.member("tags")?.listMember().name, "Tag");
    assert.equal(input.member("deploymentConfiguration")?.kind, "structure");
    const td = model.operation("RegisterTaskDefinition")?.input;
    assert.deepEqual(td?.requiredMembers(), ["family", "containerDefinitions"]);
    const labels = td?.member("containerDefinitions")?.listMember().member("dockerLabels");
    assert.equal(labels?.kind, "map");
    assert.equal(labels?.mapValue().kind, "string");
    const registeredAt = model.operation("RegisterTaskDefinition")?.output.member("taskDefinition")?.member("registeredAt");
    assert.equal(registeredAt?.kind, "timestamp");
  });

  test("enum values come from the generated table", () => {
    assert.deepEqual(model.enumValues("CreateServiceRequest", "launchType"), ["EC2", "EXTERNAL", "FARGATE", "MANAGED_INSTANCES"]);
    assert.deepEqual(model.enumValues("TaskDefinition", "requiresCompatibilities")?.includes("FARGATE"), true);
    assert.equal(model.enumValues("CreateServiceRequest", "serviceName"), undefined);
  });

  test("error traits: fault and default status", () => {
    assert.deepEqual(
      { ...model.error("ClusterNotFoundException"), shape: undefined },
      { name: "ClusterNotFoundException", fault: "client", httpStatus: undefined, queryError: undefined, shape: undefined },
    );
    assert.equal(model.error("ServerException")?.fault, "server");
    assert.equal(model.error("NotAnError"), undefined);
  });
});

describe("ServiceModel over @aws-sdk/client-elastic-load-balancing-v2", () => {
  const model = new ServiceModel(elbv2);

  test("awsQueryError trait, by shape name and by query code", () => {
    const byName = model.error("DuplicateLoadBalancerNameException");
    assert.deepEqual(byName?.queryError, ["DuplicateLoadBalancerName", 400]);
    assert.equal(byName?.httpStatus, 400);
    assert.equal(model.error("DuplicateLoadBalancerName")?.name, "DuplicateLoadBalancerNameException");
    assert.equal(model.error("LoadBalancerNotFound")?.name, "LoadBalancerNotFoundException");
  });

  test("xmlName / member traits are exposed", () => {
    const op = model.operation("CreateLoadBalancer");
    assert.deepEqual(op?.input.requiredMembers(), ["Name"]);
    assert.deepEqual(model.enumValues("CreateLoadBalancerInput", "Scheme"), ["internal", "internet-facing"]);
  });
});
