/** Gateway limits and fallbacks that need no socket: body size through invoke, requests for no known service. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { createGateway } from "../../src/aws/gateway.ts";
import { echoEcs, echoElbv2 } from "./echo-services.ts";
import { recordingLogger, sequentialIds } from "./fixtures.ts";

const gateway = createGateway({
  services: [echoEcs({ calls: [] }), echoElbv2({ calls: [] })],
  maxBodyBytes: 64,
  logger: recordingLogger(),
  ids: sequentialIds(),
});

test("invoke enforces maxBodyBytes with a protocol-shaped 413", async () => {
  const res = await gateway.invoke({
    method: "POST",
    url: "/",
    headers: { "x-amz-target": "AmazonEC2ContainerServiceV20141113.ListClusters", "content-type": "application/x-amz-json-1.1" },
    body: JSON.stringify({ nextToken: "x".repeat(100) }),
  });
  assert.equal(res.status, 413);
  assert.equal(JSON.parse(res.body).__type, "RequestEntityTooLargeException");
});

test("a form request with no Action → 400 MissingAction in XML", async () => {
  const res = await gateway.invoke({ method: "POST", url: "/", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "Version=2015-12-01" });
  assert.equal(res.status, 400);
  assert.match(res.body, /<Code>MissingAction<\/Code>/);
});

test("GET with the action in the query string is served (awsQuery)", async () => {
  const res = await gateway.invoke({ method: "GET", url: "/?Action=DescribeLoadBalancers&Version=2015-12-01", headers: {} });
  assert.equal(res.status, 200);
  assert.match(res.body, /^<\?xml version="1.0" encoding="UTF-8"\?><DescribeLoadBalancersResponse xmlns=/);
});
