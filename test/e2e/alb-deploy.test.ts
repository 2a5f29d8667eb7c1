/**
 * End-to-end: zero-downtime rolling deployments behind the ALB. A constant bounded load (50 req/s
 * over 8 keep-alive clients) runs through the listener while `update-service` rolls the service
 * from web:latest (version=v1) to web:v2; no request may fail or get a non-2xx answer, and the
 * answers must switch from v1 to v2. Run with min/max 100/200 and 50/100 (desired 2).
 *
 * Long requests: the container wraps the image's entrypoint to add /cgi-bin/slow, a CGI script
 * that answers after 5 s (the shared test image stays untouched), so the tasks being replaced
 * serve real in-flight slow requests. One slow request starts every 250 ms during the
 * deployment; each must complete with 200. The deregistration delay is 10 s (longer than a slow
 * request): ALB lets in-flight requests finish during the delay and only cuts those still running
 * when it expires (502). At least one v1 slow request must have still been in flight once every v1
 * target was seen draining, i.e. it was served through its target's deregistration.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { dockerAvailable, ensureTestImages, TEST_IMAGES } from "../helpers/docker.ts";
import { awsCliAvailable, freePort, pollUntil } from "../helpers/slipway-process.ts";
import {
  albRequest,
  createAlb,
  createService,
  createTargetGroup,
  type Env,
  type LoadReport,
  forwardTo,
  type Reply,
  registerTd,
  serviceEvents,
  startEnv,
  startLoad,
  targetHealth,
  targetHealthPoller,
  versionOf,
  vpcTaskDef,
  waitCompleted,
  waitForStatus,
  webContainer,
  DATA_PLANE,
  dataPlaneAvailable,
} from "./alb-harness.ts";

const skip = (await dockerAvailable()) ?? (await awsCliAvailable()) ?? (await dataPlaneAvailable());
if (skip) console.log(`# skipping ALB deploy e2e: ${skip}`);

const SUFFIX = `${process.pid}-${Date.now().toString(36)}`;
const CLUSTER = `alb-deploy-${SUFFIX}`;
const SLOW_SECONDS = 5;

interface SlowResult {
  start: number;
  end: number;
  reply?: Reply;
  error?: string;
}

describe(`ALB zero-downtime rolling deployment under load [${DATA_PLANE} data plane]`, { skip, timeout: 400_000 }, () => {
  let env: Env | undefined;

  before(async () => {
    await ensureTestImages();
    env = await startEnv("slipway-e2e-alb-deploy-");
    await env.ecs("create-cluster", "--cluster-name", CLUSTER);
  });

  after(async () => {
    await env?.close();
  });

  for (const [minPct, maxPct] of [
    [100, 200],
    [50, 100],
  ] as const) {
    test(`min ${minPct}% / max ${maxPct}%, desired 2: no failed request, v1 → v2, 5 s requests complete through draining`, async (t) => {
      const e = env!;
      const tag = `${minPct}-${maxPct}`;
      const service = `web-${tag}`;
      const port = await freePort();
      const tgArn = await createTargetGroup(e, `dep-${tag}-${process.pid}`, { interval: 5, healthyThreshold: 2, deregistrationDelay: 10 });
      const alb = await createAlb(e, `dep-${tag}-${process.pid}`, port, forwardTo(tgArn));
      const family = `web-dep-${tag}-${SUFFIX}`;
      const v1 = await registerTd(e, vpcTaskDef(family, webContainer({ image: TEST_IMAGES.web, slowSeconds: SLOW_SECONDS })));
      const v2 = await registerTd(e, vpcTaskDef(family, webContainer({ image: TEST_IMAGES.webV2, slowSeconds: SLOW_SECONDS })));
      const deploymentConfiguration = { minimumHealthyPercent: minPct, maximumPercent: maxPct };
      await createService(e, { cluster: CLUSTER, serviceName: service, taskDefinition: v1, desiredCount: 2, tgArn, deploymentConfiguration });
      await waitCompleted(e, CLUSTER, service);
      await waitForStatus(port, alb.dnsName, 200, 30_000);
      const oldTargets = new Set((await targetHealth(e, tgArn)).map((d) => d.Target.Id as string));
      assert.equal(oldTargets.size, 2);
      const slowProbe = await albRequest(port, alb.dnsName, "/cgi-bin/slow", { timeoutMs: 20_000 });
      assert.equal(slowProbe.status, 200, slowProbe.body);
      assert.match(slowProbe.body, /slow done version=v1/);

      const t0 = Date.now();
      const load = startLoad({ port, host: alb.dnsName, rate: 50, concurrency: 8, maxMs: 75_000 });
      // One 5 s request per second while the deployment runs (bounded: at most 70).
      const slow: Promise<SlowResult>[] = [];
      const slowTimer = setInterval(() => {
        if (slow.length >= 280) return;
        const start = Date.now();
        slow.push(
          albRequest(port, alb.dnsName, "/cgi-bin/slow", { timeoutMs: 30_000 }).then(
            (reply) => ({ start, end: Date.now(), reply }),
            (err: Error) => ({ start, end: Date.now(), error: err.message }),
          ),
        );
      }, 250);
      // When every v1 target has been seen draining, as observed by polling. (Docker may hand a
      // freed task IP to a new task, so an old target's ID can come back as a new healthy target.)
      let allOldDrainingAt: number | undefined;
      const seenDraining = new Set<string>();
      let watching = true;
      const poller = targetHealthPoller(e, tgArn);
      const watcher = (async () => {
        while (watching && allOldDrainingAt === undefined) {
          const th = await poller.poll().catch(() => []);
          for (const d of th) if (oldTargets.has(d.Target!.Id!) && d.TargetHealth!.State === "draining") seenDraining.add(d.Target!.Id!);
          if (seenDraining.size === oldTargets.size) allOldDrainingAt = Date.now();
          else await new Promise((r) => setTimeout(r, 100));
        }
      })().finally(() => poller.close());

      let report: LoadReport;
      let deployMs = 0;
      try {
        // Let the load reach the old tasks before the deployment starts.
        await pollUntil(async () => load.samples.length >= 50, { timeoutMs: 10_000, intervalMs: 100, what: "50 requests before the update" });
        const u0 = Date.now();
        const upd = await e.ecs("update-service", "--cluster", CLUSTER, "--service", service, "--task-definition", v2);
        assert.equal(upd.service.deployments.length, 2);
        const done = await pollUntil(
          async () => {
            const s = (await e.ecs("describe-services", "--cluster", CLUSTER, "--services", service)).services[0];
            return s.deployments.length === 1 && s.deployments[0].rolloutState === "COMPLETED" && s.taskDefinition === v2 ? s : undefined;
          },
          { timeoutMs: 120_000, intervalMs: 500, what: `${service} to complete the deployment to v2` },
        );
        deployMs = Date.now() - u0;
        assert.equal(done.runningCount, 2);
        // Keep the load on until the answers are v2 only for a while (old targets gone).
        await pollUntil(
          async () => {
            const recent = load.samples.filter((s) => s.at > Date.now() - 2000);
            return recent.length > 20 && recent.every((s) => versionOf(s.body) === "v2");
          },
          { timeoutMs: 30_000, intervalMs: 200, what: "only v2 answers" },
        );
      } finally {
        clearInterval(slowTimer);
        report = await load.stop();
        watching = false;
        await watcher;
      }
      const slowResults = await Promise.all(slow);
      const versions = report.samples.map((s) => versionOf(s.body));
      const firstV2 = versions.indexOf("v2");
      const lastV1 = versions.lastIndexOf("v1");
      t.diagnostic(
        `${tag}: ${report.total} requests in ${(report.durationMs / 1000).toFixed(1)} s, ${report.failed.length} failed; ` +
          `deployment ${(deployMs / 1000).toFixed(1)} s; ${slowResults.length} slow requests; ` +
          `v1 answers ${versions.filter((v) => v === "v1").length}, v2 answers ${versions.filter((v) => v === "v2").length}; ` +
          `max latency ${Math.max(...report.samples.map((s) => s.ms))} ms`,
      );
      assert.deepEqual(
        report.failed.slice(0, 5).map((f) => ({ at: f.at - t0, status: f.status, error: f.error, body: f.body.slice(0, 120) })),
        [],
        `${report.failed.length} of ${report.total} requests failed`,
      );
      assert.ok(report.total >= 500, `enough load: ${report.total}`);
      assert.ok(versions.every((v) => v === "v1" || v === "v2"), "every answer names its version");
      assert.equal(versions[0], "v1");
      assert.equal(versions.at(-1), "v2");
      assert.ok(firstV2 > 0 && lastV1 >= 0, "answers switch from v1 to v2");
      // After the last v1 answer, only v2 (no flapping back once v1 is gone).
      assert.ok(versions.slice(lastV1 + 1).every((v) => v === "v2"));

      const badSlow = slowResults.filter((r) => r.error !== undefined || r.reply?.status !== 200 || !/slow done version=v[12]/.test(r.reply.body));
      assert.deepEqual(
        badSlow.map((r) => ({ at: r.start - t0, error: r.error, status: r.reply?.status, body: r.reply?.body.slice(0, 120) })),
        [],
        "every 5 s request completes",
      );
      assert.ok(slowResults.every((r) => r.end - r.start >= SLOW_SECONDS * 1000 - 100));
      assert.ok(allOldDrainingAt !== undefined, "the v1 targets were seen draining");
      const spanning = slowResults.filter((r) => /version=v1/.test(r.reply?.body ?? "") && r.end > allOldDrainingAt!);
      assert.ok(
        spanning.length > 0,
        `a v1 slow request was in flight while its target drained, and completed (all v1 targets draining at +${allOldDrainingAt! - t0} ms; ` +
          `v1 slow requests [start, end]: ${JSON.stringify(slowResults.filter((r) => /v1/.test(r.reply?.body ?? "")).map((r) => [r.start - t0, r.end - t0]))})`,
      );

      const events = await serviceEvents(e, CLUSTER, service);
      const tgEvent = `in (target-group ${tgArn})`;
      assert.ok(events.some((m) => m.startsWith(`(service ${service}) deregistered `) && m.endsWith(tgEvent)), events.join("\n"));
      assert.ok(events.some((m) => /^\(service \S+, taskSet ecs-svc\/\d+\) has begun draining connections on [12] tasks\.$/.test(m)), events.join("\n"));
      assert.ok(events.some((m) => /^\(service \S+\) \(deployment ecs-svc\/\d+\) deployment completed\.$/.test(m)), events.join("\n"));
      // The old targets are gone once the deregistration delay is over: two healthy targets remain.
      await pollUntil(async () => (await targetHealth(e, tgArn)).every((d) => d.TargetHealth.State === "healthy"), {
        timeoutMs: 30_000,
        what: "old targets removed",
      });
      assert.equal((await targetHealth(e, tgArn)).length, 2);
      // Scale to zero so the next scenario has the Docker host to itself.
      await e.ecs("update-service", "--cluster", CLUSTER, "--service", service, "--desired-count", "0");
    });
  }
});
