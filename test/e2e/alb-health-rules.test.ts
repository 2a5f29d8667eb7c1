/**
 * End-to-end: ALB health checks acting on an ECS service, fail-open routing, and listener rules.
 * One listener (free port) fronts two services: `web-a` (web:latest, v1, desired 2) on the default
 * rule and `web-b` (web:v2, desired 1) behind host-header and path-pattern rules; more rules answer
 * with a fixed response and a redirect. Health checks: interval 5 s, thresholds 2.
 *
 * The test image serves /health as a static file (/www/health), so `docker exec <c> rm /www/health`
 * makes busybox httpd answer 404 there while / keeps working. The task definitions carry no
 * container health check, so only the load balancer notices.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { dockerAvailable, ensureTestImages, TEST_IMAGES } from "../helpers/docker.ts";
import { awsCliAvailable, docker, freePort, managedContainers, pollUntil } from "../helpers/slipway-process.ts";
import {
  type Alb,
  albRequest,
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
  versionOf,
  vpcTaskDef,
  waitCompleted,
  waitForStatus,
  webContainer,
  DATA_PLANE,
  dataPlaneAvailable,
} from "./alb-harness.ts";

const skip = (await dockerAvailable()) ?? (await awsCliAvailable()) ?? (await curlAvailable()) ?? (await dataPlaneAvailable());
if (skip) console.log(`# skipping ALB health/rules e2e: ${skip}`);

const SUFFIX = `${process.pid}-${Date.now().toString(36)}`;
const CLUSTER = `alb-health-${SUFFIX}`;
const API_HOST = "api.example.com";

describe(`ALB health checks, fail open and listener rules with ECS services [${DATA_PLANE} data plane]`, { skip, timeout: 300_000 }, () => {
  let env: Env | undefined;
  let alb: Alb;
  let tgA = "";
  let tgB = "";

  const tasksOf = async (service: string) => {
    const { taskArns } = await env!.ecs("list-tasks", "--cluster", CLUSTER, "--service-name", service);
    return taskArns.length ? (await env!.ecs("describe-tasks", "--cluster", CLUSTER, "--tasks", ...taskArns)).tasks : [];
  };
  const containerOf = async (taskArn: string) => {
    const rows = await managedContainers(env!.instanceId, [`label=slipway.task-arn=${taskArn}`]);
    const running = rows.find((r) => r.state === "running");
    assert.ok(running, `a running container for ${taskArn}`);
    return running.id;
  };
  const ipOf = (task: any) => task.containers[0].networkInterfaces[0].privateIpv4Address as string;

  before(async () => {
    await ensureTestImages();
    const e = (env = await startEnv("slipway-e2e-alb-health-"));
    await e.ecs("create-cluster", "--cluster-name", CLUSTER);
    tgA = await createTargetGroup(e, `hr-a-${process.pid}`, { interval: 5, healthyThreshold: 2, unhealthyThreshold: 2, deregistrationDelay: 5 });
    tgB = await createTargetGroup(e, `hr-b-${process.pid}`, { interval: 5, healthyThreshold: 2, unhealthyThreshold: 2, deregistrationDelay: 5 });
    alb = await createAlb(e, `hr-${process.pid}`, await freePort(), forwardTo(tgA));
    const rule = async (priority: number, conditions: unknown[], actions: unknown[]) =>
      e.elb(
        "create-rule",
        "--listener-arn",
        alb.listenerArn,
        "--priority",
        String(priority),
        "--conditions",
        e.json("cond.json", conditions),
        "--actions",
        e.json("act.json", actions),
      );
    await rule(10, [{ Field: "host-header", HostHeaderConfig: { Values: [API_HOST] } }], forwardTo(tgB));
    await rule(20, [{ Field: "path-pattern", PathPatternConfig: { Values: ["/cgi-bin/*"] } }], forwardTo(tgB));
    await rule(30, [{ Field: "path-pattern", PathPatternConfig: { Values: ["/fixed"] } }], [
      { Type: "fixed-response", FixedResponseConfig: { StatusCode: "418", ContentType: "application/json", MessageBody: '{"teapot":true}' } },
    ]);
    await rule(40, [{ Field: "path-pattern", PathPatternConfig: { Values: ["/secure/*"] } }], [
      { Type: "redirect", RedirectConfig: { Protocol: "HTTPS", Port: "443", StatusCode: "HTTP_301" } },
    ]);
    const tdA = await registerTd(e, vpcTaskDef(`hr-a-${SUFFIX}`, webContainer({ image: TEST_IMAGES.web, healthCheck: false })));
    const tdB = await registerTd(e, vpcTaskDef(`hr-b-${SUFFIX}`, webContainer({ image: TEST_IMAGES.webV2, healthCheck: false })));
    await createService(e, { cluster: CLUSTER, serviceName: "web-a", taskDefinition: tdA, desiredCount: 2, tgArn: tgA });
    // web-b ignores unhealthy ELB results for 10 minutes (grace period): the fail-open case.
    await createService(e, { cluster: CLUSTER, serviceName: "web-b", taskDefinition: tdB, desiredCount: 1, tgArn: tgB, healthCheckGracePeriodSeconds: 600 });
    await waitCompleted(e, CLUSTER, "web-a");
    await waitCompleted(e, CLUSTER, "web-b");
    await waitForStatus(alb.port, alb.dnsName, 200, 30_000);
    await waitForStatus(alb.port, API_HOST, 200, 30_000);
  });

  after(async () => {
    await env?.close();
  });

  test("path-pattern and host-header rules split traffic between the two services; fixed-response and redirect actions", async () => {
    const base = `http://${alb.dnsName}:${alb.port}`;
    for (let i = 0; i < 4; i++) {
      assert.equal(versionOf((await albRequest(alb.port, alb.dnsName, "/")).body), "v1", "default rule → web-a");
      assert.equal(versionOf((await albRequest(alb.port, alb.dnsName, "/cgi-bin/index.cgi")).body), "v2", "path-pattern /cgi-bin/* → web-b");
      assert.equal(versionOf((await albRequest(alb.port, API_HOST, "/")).body), "v2", "host-header → web-b");
      assert.equal(versionOf((await albRequest(alb.port, `API.Example.com:${alb.port}`, "/")).body), "v2", "host match ignores case and port");
    }
    // Path patterns are case-sensitive: /CGI-BIN/… is not /cgi-bin/* and goes to web-a (404 there).
    const upper = await albRequest(alb.port, alb.dnsName, "/CGI-BIN/index.cgi");
    assert.equal(upper.status, 404);

    const fixed = await curl(["-i", `${base}/fixed`]);
    assert.match(fixed, /^HTTP\/1\.1 418/);
    assert.match(fixed, /content-type: application\/json/i);
    assert.match(fixed, /server: awselb\/2\.0/i);
    assert.ok(fixed.endsWith('{"teapot":true}'), fixed);

    const redirect = await curl(["-i", `${base}/secure/page?x=1`]);
    assert.match(redirect, /^HTTP\/1\.1 301/);
    assert.match(redirect, new RegExp(`location: https://${alb.dnsName.replace(/\./g, "\\.")}:443/secure/page\\?x=1\\r?\\n`, "i"));
  });

  test("a task whose /health starts failing stops receiving traffic and is replaced (ELB events and stoppedReason)", async () => {
    const e = env!;
    const before = await tasksOf("web-a");
    assert.equal(before.length, 2);
    const victim = before[0];
    const victimId = victim.taskArn.split("/").pop();
    const victimIp = ipOf(victim);
    const direct = await fetch(`http://${victimIp}:8080/`).then((r) => r.text());
    const victimName = hostOf(direct)!;
    assert.ok(victimName);

    await docker(["exec", await containerOf(victim.taskArn), "rm", "/www/health"]);
    const expected =
      `(service web-a) (task ${victimId}) (port 8080) is unhealthy in (target-group ${tgA}) ` +
      `due to (reason Health checks failed with these codes: [404]).`;
    await pollUntil(async () => {
      const ev = await serviceEvents(e, CLUSTER, "web-a");
      return ev.includes(expected) ? ev : undefined;
    }, { timeoutMs: 40_000, what: "the ELB unhealthy event" });
    // ECS starts a replacement for an unhealthy task first; the unhealthy task stops once the
    // service is healthy without it (serviceEvents lists events oldest first).
    const stoppedEvent = `(service web-a) has stopped 1 running tasks: (task ${victimId}).`;
    const events = await pollUntil(async () => {
      const ev = await serviceEvents(e, CLUSTER, "web-a");
      return ev.includes(stoppedEvent) ? ev : undefined;
    }, { timeoutMs: 60_000, what: "the unhealthy task's stop event" });
    const iUnhealthy = events.indexOf(expected);
    const iStopped = events.indexOf(stoppedEvent);
    const iStarted = events.findIndex((m: string, k: number) => k > iUnhealthy && m.startsWith("(service web-a) has started 1 tasks:"));
    assert.ok(iStopped > iUnhealthy, events.join("\n"));
    assert.ok(iStarted > iUnhealthy && iStarted < iStopped, `the replacement started before the unhealthy task was stopped:\n${events.join("\n")}`);

    // No new request reaches the unhealthy task.
    for (let n = 0; n < 12; n++) {
      const r = await albRequest(alb.port, alb.dnsName, "/");
      assert.equal(r.status, 200, r.body);
      assert.notEqual(hostOf(r.body), victimName, "the unhealthy task gets no traffic");
    }

    const stopped = await pollUntil(async () => {
      const t = (await e.ecs("describe-tasks", "--cluster", CLUSTER, "--tasks", victim.taskArn)).tasks[0];
      return t.lastStatus === "STOPPED" ? t : undefined;
    }, { timeoutMs: 40_000, what: "the unhealthy task to stop" });
    assert.equal(stopped.stoppedReason, `Task failed ELB health checks in (target-group ${tgA})`);
    assert.equal(stopped.stopCode, "ServiceSchedulerInitiated");

    // A replacement takes its place and becomes healthy.
    await pollUntil(async () => {
      const th = await targetHealth(e, tgA);
      return th.length === 2 && th.every((d) => d.TargetHealth.State === "healthy") ? th : undefined;
    }, { timeoutMs: 60_000, what: "two healthy targets again" });
    const after = await tasksOf("web-a");
    assert.equal(after.filter((t: any) => t.lastStatus === "RUNNING").length, 2);
    assert.ok(!after.some((t: any) => t.taskArn === victim.taskArn && t.desiredStatus === "RUNNING"));
    const names = new Set<string>();
    for (let n = 0; n < 4; n++) names.add(hostOf((await albRequest(alb.port, alb.dnsName, "/")).body)!);
    assert.equal(names.size, 2);
    assert.ok(!names.has(victimName));
  });

  test("when every target of a group is unhealthy the load balancer fails open and still serves them", async () => {
    const e = env!;
    const [task] = await tasksOf("web-b");
    await docker(["exec", await containerOf(task.taskArn), "rm", "/www/health"]);
    const th = await pollUntil(async () => {
      const list = await targetHealth(e, tgB);
      return list.length === 1 && list[0].TargetHealth.State === "unhealthy" ? list : undefined;
    }, { timeoutMs: 40_000, what: "web-b's only target to turn unhealthy" });
    assert.equal(th[0].TargetHealth.Reason, "Target.ResponseCodeMismatch");
    assert.equal(th[0].TargetHealth.Description, "Health checks failed with these codes: [404]");
    for (let n = 0; n < 5; n++) {
      const r = await albRequest(alb.port, API_HOST, "/");
      assert.equal(r.status, 200, "fail open: the unhealthy target still gets traffic");
      assert.equal(versionOf(r.body), "v2");
    }
    // Inside the grace period the scheduler leaves the task alone.
    const svc = (await e.ecs("describe-services", "--cluster", CLUSTER, "--services", "web-b")).services[0];
    assert.equal(svc.runningCount, 1);
    assert.ok(!svc.events.some((ev: any) => /is unhealthy in/.test(ev.message)));
  });
});
