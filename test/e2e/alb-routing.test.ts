/**
 * End-to-end: an ECS service behind an Application Load Balancer, set up with the AWS CLI only,
 * with traffic through the listener on 127.0.0.1:80 (node:http with a Host header, and curl, which
 * resolves *.localhost itself; where another suite's Slipway holds 80, through the fallback port
 * /_slipway/listeners reports). awsvpc/Fargate (ip target group) and bridge/EC2 with hostPort 0
 * (instance target group, listener on a free port).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { dockerAvailable, ensureTestImages, TEST_IMAGES } from "../helpers/docker.ts";
import { awsCliAvailable, freePort, pollUntil } from "../helpers/slipway-process.ts";
import {
  albRequest,
  bridgeTaskDef,
  createAlb,
  createService,
  createTargetGroup,
  curl,
  curlAvailable,
  type Env,
  forwardTo,
  hostOf,
  registerTd,
  serviceEvents,
  startEnv,
  targetHealth,
  vpcTaskDef,
  waitCompleted,
  waitForStatus,
  webContainer,
  DATA_PLANE,
  dataPlaneAvailable,
} from "./alb-harness.ts";

const skip = (await dockerAvailable()) ?? (await awsCliAvailable()) ?? (await curlAvailable()) ?? (await dataPlaneAvailable());
if (skip) console.log(`# skipping ALB routing e2e: ${skip}`);

const SUFFIX = `${process.pid}-${Date.now().toString(36)}`;
const CLUSTER = `alb-routing-${SUFFIX}`;

/** The host port a listener is served on (its own port unless that was taken). */
async function servedPort(e: Env, listenerArn: string): Promise<number> {
  return pollUntil(
    async () => {
      const r = (await (await fetch(`${e.url}/_slipway/listeners`)).json()) as { listeners: { listenerArn: string; boundPort: number | null }[] };
      return r.listeners.find((l) => l.listenerArn === listenerArn)?.boundPort ?? undefined;
    },
    { timeoutMs: 15_000, what: `listener ${listenerArn} to be bound` },
  );
}

describe(`ALB routing to an ECS service (AWS CLI) [${DATA_PLANE} data plane]`, { skip, timeout: 300_000 }, () => {
  let env: Env | undefined;

  before(async () => {
    await ensureTestImages();
    env = await startEnv("slipway-e2e-alb-routing-");
    await env.ecs("create-cluster", "--cluster-name", CLUSTER);
  });

  after(async () => {
    await env?.close();
  });

  test("awsvpc service behind an ip target group on listener :80: round robin over both tasks, targets healthy with the task IPs", async () => {
    const e = env!;
    const tgArn = await createTargetGroup(e, `web-ip-${process.pid}`, { targetType: "ip", interval: 5, healthyThreshold: 2, deregistrationDelay: 5 });
    const attrs = await e.elb("describe-target-group-attributes", "--target-group-arn", tgArn);
    assert.equal(attrs.Attributes.find((a: any) => a.Key === "deregistration_delay.timeout_seconds").Value, "5");
    const alb = await createAlb(e, `web-${process.pid}`, 80, forwardTo(tgArn));
    assert.match(alb.dnsName, /^web-\d+-[0-9a-f]{8}\.us-east-1\.elb\.localhost$/);
    const td = await registerTd(e, vpcTaskDef(`web-vpc-${SUFFIX}`, webContainer({ image: TEST_IMAGES.web })));
    await createService(e, { cluster: CLUSTER, serviceName: "web", taskDefinition: td, desiredCount: 2, tgArn });

    await e.ecs("wait", "services-stable", "--cluster", CLUSTER, "--services", "web");
    await waitCompleted(e, CLUSTER, "web");

    // Both targets healthy, with the tasks' IPs and the container port.
    const { taskArns } = await e.ecs("list-tasks", "--cluster", CLUSTER, "--service-name", "web");
    const tasks = (await e.ecs("describe-tasks", "--cluster", CLUSTER, "--tasks", ...taskArns)).tasks;
    const ips = tasks.map((t: any) => t.containers[0].networkInterfaces[0].privateIpv4Address).sort();
    assert.equal(ips.length, 2);
    const th = await targetHealth(e, tgArn);
    assert.deepEqual(th.map((d: any) => d.Target.Id).sort(), ips);
    for (const d of th) {
      assert.equal(d.Target.Port, 8080);
      assert.equal(d.TargetHealth.State, "healthy", JSON.stringify(d));
    }

    // 127.0.0.1:80 with Host: <DNSName>, unless another program (another suite's Slipway) took 80
    // meanwhile: then where the listener is actually served (/_slipway/listeners).
    const port = await servedPort(e, alb.listenerArn);
    if (port !== 80) console.log(`# note: 127.0.0.1:80 was taken; the listener is served on ${port}`);
    // Round robin → two distinct hostnames, alternating.
    await waitForStatus(port, alb.dnsName, 200, 30_000);
    const seen: string[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await albRequest(port, alb.dnsName, "/");
      assert.equal(r.status, 200, r.body);
      assert.match(r.body, /hello from \S+ version=v1/);
      seen.push(hostOf(r.body)!);
    }
    assert.equal(new Set(seen).size, 2, `two tasks answer: ${seen.join(" ")}`);
    for (let i = 1; i < seen.length; i++) assert.notEqual(seen[i], seen[i - 1], `in turn: ${seen.join(" ")}`);

    // curl resolves *.localhost to loopback by itself.
    const curlHosts = new Set<string>();
    const at = port === 80 ? alb.dnsName : `${alb.dnsName}:${port}`;
    for (let i = 0; i < 4; i++) {
      const body = await curl([`http://${at}/`]);
      assert.match(body, /hello from \S+ version=v1/);
      curlHosts.add(hostOf(body)!);
    }
    assert.equal(curlHosts.size, 2, `curl saw both tasks: ${[...curlHosts].join(" ")}`);
    const headers = await curl(["-i", `http://${at}/health`]);
    assert.match(headers, /^HTTP\/1\.1 200/);

    const events = await serviceEvents(e, CLUSTER, "web");
    assert.ok(
      events.some((m) => m === `(service web) registered 2 targets in (target-group ${tgArn})` || m === `(service web) registered 1 targets in (target-group ${tgArn})`),
      events.join("\n"),
    );
    // Target group now reports the load balancer using it.
    const tg = (await e.elb("describe-target-groups", "--target-group-arns", tgArn)).TargetGroups[0];
    assert.deepEqual(tg.LoadBalancerArns, [alb.lbArn]);
  });

  test("bridge/EC2 service with hostPort 0 behind an instance target group: targets are the container instance + dynamic host ports", async () => {
    const e = env!;
    const port = await freePort();
    const tgArn = await createTargetGroup(e, `web-inst-${process.pid}`, { targetType: "instance", interval: 5, healthyThreshold: 2, deregistrationDelay: 5 });
    const alb = await createAlb(e, `webbr-${process.pid}`, port, forwardTo(tgArn));
    const td = await registerTd(e, bridgeTaskDef(`web-bridge-${SUFFIX}`, webContainer({ image: TEST_IMAGES.web, bridge: true })));
    await createService(e, { cluster: CLUSTER, serviceName: "web-bridge", taskDefinition: td, desiredCount: 2, tgArn, bridge: true });
    await e.ecs("wait", "services-stable", "--cluster", CLUSTER, "--services", "web-bridge");
    await waitCompleted(e, CLUSTER, "web-bridge");

    const { taskArns } = await e.ecs("list-tasks", "--cluster", CLUSTER, "--service-name", "web-bridge");
    const tasks = (await e.ecs("describe-tasks", "--cluster", CLUSTER, "--tasks", ...taskArns)).tasks;
    const hostPorts = tasks.map((t: any) => t.containers[0].networkBindings.find((b: any) => b.containerPort === 8080).hostPort).sort();
    const { containerInstanceArns } = await e.ecs("list-container-instances", "--cluster", CLUSTER);
    const ci = (await e.ecs("describe-container-instances", "--cluster", CLUSTER, "--container-instances", ...containerInstanceArns)).containerInstances;
    const instanceIds = new Set(ci.map((c: any) => c.ec2InstanceId));
    const th = await targetHealth(e, tgArn);
    assert.equal(th.length, 2);
    assert.deepEqual(th.map((d: any) => d.Target.Port).sort(), hostPorts);
    for (const d of th) {
      assert.ok(instanceIds.has(d.Target.Id), `${d.Target.Id} is a container instance (${[...instanceIds].join(",")})`);
      assert.equal(d.TargetHealth.State, "healthy");
    }

    await waitForStatus(port, alb.dnsName, 200, 30_000);
    const seen = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const r = await albRequest(port, alb.dnsName, "/");
      assert.equal(r.status, 200);
      seen.add(hostOf(r.body)!);
    }
    assert.equal(seen.size, 2);
    const body = await curl([`http://${alb.dnsName}:${port}/`]);
    assert.match(body, /hello from \S+ version=v1/);
    const events = await pollUntil(async () => {
      const ev = await serviceEvents(e, CLUSTER, "web-bridge");
      return ev.some((m) => /^\(service web-bridge\) registered [12] targets in \(target-group arn:aws:elasticloadbalancing:/.test(m)) ? ev : undefined;
    }, { timeoutMs: 10_000, what: "registered event" });
    assert.ok(events.length > 0);
  });
});
