import assert from "node:assert/strict";
import { test } from "node:test";
import * as ec2 from "@aws-sdk/client-ec2";
import * as ecs from "@aws-sdk/client-ecs";
import * as elbv2 from "@aws-sdk/client-elastic-load-balancing-v2";
import { ServiceModel } from "./model/index.ts";
import { protocolFor, type WireRequest } from "./protocol/index.ts";
import { credentialScope, type RegisteredService, route } from "./routing.ts";
import type { ServiceDefinition } from "./service.ts";

function reg(def: Omit<ServiceDefinition, "handlers">): RegisteredService {
  return { def: { ...def, handlers: {} }, model: new ServiceModel(typeof def.model === "function" ? def.model() : def.model), protocol: protocolFor(def.protocol) };
}
const services = [
  reg({ signingName: "ecs", protocol: "awsJson1_1", targetPrefix: "AmazonEC2ContainerServiceV20141113", model: ecs }),
  reg({ signingName: "elasticloadbalancing", protocol: "awsQuery", version: "2015-12-01", model: elbv2 }),
  reg({ signingName: "ec2", protocol: "ec2Query", version: "2016-11-15", model: ec2 }),
];

function req(headers: Record<string, string>, form?: string, url = "/"): WireRequest {
  const q = url.indexOf("?");
  return {
    method: "POST",
    path: "/",
    query: new URLSearchParams(q < 0 ? "" : url.slice(q + 1)),
    headers,
    body: new Uint8Array(),
    form: form === undefined ? undefined : new URLSearchParams(form),
  };
}

const auth = (service: string) => ({
  authorization: `AWS4-HMAC-SHA256 Credential=AKID/20250101/eu-central-1/${service}/aws4_request, SignedHeaders=host, Signature=abc`,
});

test("credential scope from the Authorization header and from a presigned query", () => {
  assert.deepEqual(credentialScope(req(auth("ecs"))), { accessKeyId: "AKID", date: "20250101", region: "eu-central-1", service: "ecs" });
  const presigned = req({}, undefined, "/?X-Amz-Credential=AK%2F20250102%2Fus-west-2%2Fec2%2Faws4_request&Action=DescribeVpcs");
  assert.deepEqual(credentialScope(presigned), { accessKeyId: "AK", date: "20250102", region: "us-west-2", service: "ec2" });
  assert.equal(credentialScope(req({})), undefined);
});

test("JSON: X-Amz-Target prefix picks the service and operation", () => {
  const r = route(req({ "x-amz-target": "AmazonEC2ContainerServiceV20141113.RunTask" }), services, undefined);
  assert.equal(r.kind, "ok");
  assert.equal(r.service?.def.signingName, "ecs");
  assert.equal(r.operation, "RunTask");
  const unknown = route(req({ "x-amz-target": "AmazonEC2ContainerServiceV20141113.Nope" }), services, undefined);
  assert.equal(unknown.kind, "unknown-operation");
});

test("DescribeTags: the credential scope decides, else the Version", () => {
  const form = "Action=DescribeTags&Version=2016-11-15";
  const byScopeElb = route(req(auth("elasticloadbalancing"), "Action=DescribeTags&Version=2015-12-01"), services, credentialScope(req(auth("elasticloadbalancing"))));
  assert.equal(byScopeElb.service?.def.signingName, "elasticloadbalancing");
  const byScopeEc2 = route(req(auth("ec2"), form), services, credentialScope(req(auth("ec2"))));
  assert.equal(byScopeEc2.service?.def.signingName, "ec2");
  assert.equal(route(req({}, form), services, undefined).service?.def.signingName, "ec2");
  assert.equal(route(req({}, "Action=DescribeTags&Version=2015-12-01"), services, undefined).service?.def.signingName, "elasticloadbalancing");
});

test("unknown query action keeps the service known from the scope (for InvalidAction in its format)", () => {
  const r = route(req(auth("ec2"), "Action=Nope&Version=2016-11-15"), services, credentialScope(req(auth("ec2"))));
  assert.equal(r.kind, "unknown-operation");
  assert.equal(r.service?.def.signingName, "ec2");
});
