/**
 * The service view's metrics and scaling in headless Chromium, on FakeRuntime: the platform
 * publishes AWS/ECS CPUUtilization from the containers' usage once a (manual) minute, a target
 * tracking policy scales the service out, and the page draws the chart and lists the scalable
 * target, the policy with its alarms' states and the scaling activity. The manual clock runs just
 * behind real time, so the page's "last hour" (the browser's clock) covers the published minutes.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import * as aas from "@aws-sdk/client-application-auto-scaling";
import * as ecs from "@aws-sdk/client-ecs";
import type { Page } from "playwright-core";
import { ManualClock } from "../../src/core/clock.ts";
import { seededIds } from "../../src/core/ids.ts";
import { FakeRuntime } from "../../src/runtime/fake-runtime.ts";
import { startSlipway, type Slipway } from "../../src/server/slipway.ts";
import { axeScan, type Browser, chromiumAvailable, launchBrowser, severe } from "../helpers/browser.ts";

const skip = chromiumAvailable();
if (skip) console.log(`# skipping the metrics view test: ${skip}`);

const MIN = 60_000;
const SHOTS = process.env.SLIPWAY_SCREENSHOTS ?? join(tmpdir(), "slipway-console-screenshots");

describe("the service view's metrics and scaling", { skip, timeout: 120_000 }, () => {
  let s: Slipway;
  let dir = "";
  let clock: ManualClock;
  let rt: FakeRuntime;
  let browser: Browser | undefined;
  let page: Page;

  const settle = async () => {
    for (let i = 0; i < 6; i++) {
      await new Promise<void>((r) => setImmediate(r));
      await s.idle();
    }
  };

  before(async () => {
    clock = new ManualClock(Math.floor(Date.now() / MIN) * MIN - 15 * MIN);
    rt = new FakeRuntime({ clock });
    rt.addImage("web:1");
    dir = mkdtempSync(join(tmpdir(), "slipway-console-metrics-"));
    s = await startSlipway({ port: 0, dataDir: dir, runtime: rt, clock, ids: seededIds("metrics-view"), log: () => {} });
    const cfg = { region: "us-east-1", endpoint: s.url, credentials: { accessKeyId: "test", secretAccessKey: "test" }, maxAttempts: 1 };
    const ecsClient = new ecs.ECSClient(cfg);
    const scaling = new aas.ApplicationAutoScalingClient(cfg);
    await ecsClient.send(new ecs.CreateClusterCommand({ clusterName: "metrics" }));
    await ecsClient.send(new ecs.RegisterTaskDefinitionCommand({ family: "web", cpu: "256", memory: "512", containerDefinitions: [{ name: "web", image: "web:1" }] }));
    await ecsClient.send(new ecs.CreateServiceCommand({ cluster: "metrics", serviceName: "web", taskDefinition: "web", desiredCount: 1 }));
    await settle();
    const target = { ServiceNamespace: "ecs" as const, ResourceId: "service/metrics/web", ScalableDimension: "ecs:service:DesiredCount" as const };
    await scaling.send(new aas.RegisterScalableTargetCommand({ ...target, MinCapacity: 1, MaxCapacity: 3 }));
    await scaling.send(
      new aas.PutScalingPolicyCommand({
        ...target,
        PolicyName: "cpu50",
        PolicyType: "TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration: { TargetValue: 50, PredefinedMetricSpecification: { PredefinedMetricType: "ECSServiceAverageCPUUtilization" } },
      }),
    );
    // Six minutes at 80 % of the task's CPU: the high alarm fires and the service scales out.
    for (let i = 0; i < 6; i++) {
      for (const c of await rt.list({})) if (c.status === "running") rt.setUsage(c.id, { cpuCores: (0.8 * 256) / 1024, memoryBytes: 200 * 1024 * 1024 });
      clock.advance(MIN);
      await s.metricsMinute();
      await settle();
    }
    ecsClient.destroy();
    scaling.destroy();
    browser = await launchBrowser();
    page = await browser.context.newPage();
  });

  after(async () => {
    await browser?.close();
    await s?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("the CPU chart, the scalable target, the policy's alarms and the scale-out", async () => {
    await page.goto(`${s.consoleUrl}clusters/metrics/services/web`);
    const cpu = page.locator('figure[data-metric="cpu"]');
    await cpu.locator("svg").waitFor();
    assert.match((await cpu.locator("figcaption").textContent()) ?? "", /CPU utilization 80\.0 %/);
    assert.match((await cpu.locator("svg").getAttribute("aria-label")) ?? "", /^CPU utilization, last hour: latest 80\.0 %, highest 80\.0 %, \d+ datapoints$/);
    await page.locator('figure[data-metric="memory"] svg').waitFor();
    const scaling = page.getByTestId("scaling");
    await scaling.getByText("Scalable target: 1 to 3 tasks").waitFor();
    await scaling.getByText("cpu50", { exact: true }).waitFor();
    await scaling.locator(".badge", { hasText: /AlarmHigh.*: ALARM/ }).waitFor();
    await scaling.locator("ol.events li", { hasText: /Successful/ }).first().waitFor();
    mkdirSync(SHOTS, { recursive: true });
    await page.locator("#s-metrics-and-scaling").locator("xpath=../..").screenshot({ path: join(SHOTS, "service-metrics.png") });
    assert.deepEqual(severe(await axeScan(page)), [], "no serious or critical accessibility violation");
  });

  test("a published minute reaches the open page without a reload", async () => {
    const before = Number(/(\d+) datapoints/.exec((await page.locator('figure[data-metric="cpu"] svg').getAttribute("aria-label")) ?? "")?.[1]);
    await page.evaluate("window.__noReload = true");
    // Two minutes at 30 %: the second one is 30 % throughout.
    for (const c of await rt.list({})) if (c.status === "running") rt.setUsage(c.id, { cpuCores: (0.3 * 256) / 1024, memoryBytes: 200 * 1024 * 1024 });
    for (let i = 0; i < 2; i++) {
      clock.advance(MIN);
      await s.metricsMinute();
      await settle();
    }
    await page
      .locator('figure[data-metric="cpu"] figcaption', { hasText: /CPU utilization 30\.0 %/ })
      .waitFor({ timeout: 10_000 })
      .catch(async (err: Error) => {
        throw new Error(`${err.message}\nthe chart reads: ${await page.locator('figure[data-metric="cpu"]').textContent()}`);
      });
    const now = Number(/(\d+) datapoints/.exec((await page.locator('figure[data-metric="cpu"] svg').getAttribute("aria-label")) ?? "")?.[1]);
    assert.ok(now > before, `more datapoints (${before} → ${now})`);
    assert.equal(await page.evaluate<boolean>("window.__noReload === true"), true);
  });
});
