/**
 * The Slipway console in a real headless Chromium (playwright-core driving Debian's chromium),
 * against an in-process Slipway on real Docker, with a service of 2 tasks behind an ALB:
 *   1. open the console (a browser's GET / redirects there);
 *   2. see the service with 2 tasks and the ALB's listener;
 *   3. click "Force new deployment" and watch the deployment bars reach COMPLETED, no reload;
 *   4. open a task's log tail and see a line the app printed after the page was opened;
 *   5. open the shell, run `echo hello`, read `hello`;
 *   6. roll back to the previous revision;
 *   7. see the API-activity feed list the UpdateService calls.
 * Also: screenshots of the overview, service and task views; an axe-core scan of each view with no
 * serious or critical violation; keyboard navigation; the service view at 390 px wide.
 * Screenshots go to $SLIPWAY_SCREENSHOTS (default: <tmpdir>/slipway-console-screenshots, overwritten
 * by each run, printed); with
 * SLIPWAY_UPDATE_DOCS=1 the service view during the forced deployment (old and new bars side by
 * side) is also written to docs/console-service.png, which the README shows.
 */
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import * as ecs from "@aws-sdk/client-ecs";
import * as elb from "@aws-sdk/client-elastic-load-balancing-v2";
import type { Page } from "playwright-core";
import { type Slipway, startSlipway } from "../../src/server/slipway.ts";
import { axeScan, type Browser, chromiumAvailable, launchBrowser, severe } from "../helpers/browser.ts";
import { dockerAvailable, ensureTestImages, TEST_IMAGES } from "../helpers/docker.ts";
import { cleanDataDir, freePort, pollUntil, REPO_ROOT, tempDataDir } from "../helpers/slipway-process.ts";

const skip = (await dockerAvailable()) ?? chromiumAvailable();
if (skip) console.log(`# skipping console browser test: ${skip}`);

const SUFFIX = `${process.pid}-${Date.now().toString(36)}`;
const CLUSTER = `console-${SUFFIX}`;
const FAMILY = `console-web-${SUFFIX}`;
const SERVICE = "web";
const NET = { awsvpcConfiguration: { subnets: ["subnet-0123456789abcdef0"], assignPublicIp: "DISABLED" as const } };
const SHOTS = process.env.SLIPWAY_SCREENSHOTS ?? join(tmpdir(), "slipway-console-screenshots");

/** The web test image, printing "tick <epoch seconds>" every second beside its HTTP server. */
const container = (version: string): ecs.ContainerDefinition => ({
  name: "web",
  image: TEST_IMAGES.web,
  essential: true,
  stopTimeout: 2,
  portMappings: [{ containerPort: 8080, protocol: "tcp" }],
  environment: [{ name: "RELEASE", value: version }],
  entryPoint: ["sh", "-c"],
  command: ["while :; do echo tick $(date +%s); sleep 1; done & exec /entrypoint.sh"],
});

describe("the Slipway console in Chromium", { skip, timeout: 600_000 }, () => {
  let dataDir = "";
  let slipway: Slipway | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let ecsClient: ecs.ECSClient;
  let elbClient: elb.ElasticLoadBalancingV2Client;
  let listenerPort = 0;
  let dnsName = "";
  const revisions: string[] = [];
  const log: string[] = [];

  before(async () => {
    await ensureTestImages();
    dataDir = tempDataDir("slipway-console-");
    slipway = await startSlipway({ port: 0, dataDir, log: (m) => log.push(m) });
    const cfg = { endpoint: slipway.url, region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" }, maxAttempts: 1 };
    ecsClient = new ecs.ECSClient(cfg);
    elbClient = new elb.ElasticLoadBalancingV2Client(cfg);
    await ecsClient.send(new ecs.CreateClusterCommand({ clusterName: CLUSTER }));
    for (const v of ["v1", "v2"]) {
      const r = await ecsClient.send(
        new ecs.RegisterTaskDefinitionCommand({
          family: FAMILY,
          networkMode: "awsvpc",
          requiresCompatibilities: ["FARGATE"],
          cpu: "256",
          memory: "512",
          containerDefinitions: [container(v)],
        }),
      );
      revisions.push(r.taskDefinition!.taskDefinitionArn!);
    }
    const lb = await elbClient.send(new elb.CreateLoadBalancerCommand({ Name: `console-${process.pid}`, Subnets: ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"] }));
    dnsName = lb.LoadBalancers![0]!.DNSName!;
    const tg = await elbClient.send(
      new elb.CreateTargetGroupCommand({
        Name: `console-${process.pid}`,
        Protocol: "HTTP",
        Port: 8080,
        VpcId: "vpc-0123456789abcdef0",
        TargetType: "ip",
        HealthCheckPath: "/health",
        HealthCheckIntervalSeconds: 5,
        HealthCheckTimeoutSeconds: 2,
        HealthyThresholdCount: 2,
      }),
    );
    const tgArn = tg.TargetGroups![0]!.TargetGroupArn!;
    await elbClient.send(new elb.ModifyTargetGroupAttributesCommand({ TargetGroupArn: tgArn, Attributes: [{ Key: "deregistration_delay.timeout_seconds", Value: "2" }] }));
    listenerPort = await freePort();
    await elbClient.send(
      new elb.CreateListenerCommand({ LoadBalancerArn: lb.LoadBalancers![0]!.LoadBalancerArn!, Protocol: "HTTP", Port: listenerPort, DefaultActions: [{ Type: "forward", TargetGroupArn: tgArn }] }),
    );
    await ecsClient.send(
      new ecs.CreateServiceCommand({
        cluster: CLUSTER,
        serviceName: SERVICE,
        taskDefinition: revisions[1],
        desiredCount: 2,
        launchType: "FARGATE",
        networkConfiguration: NET,
        enableExecuteCommand: true,
        loadBalancers: [{ targetGroupArn: tgArn, containerName: "web", containerPort: 8080 }],
        deploymentConfiguration: { maximumPercent: 200, minimumHealthyPercent: 100 },
      }),
    );
    await waitCompleted(revisions[1]!);
    browser = await launchBrowser();
    page = await browser.context.newPage();
    mkdirSync(SHOTS, { recursive: true });
    console.log(`# console screenshots in ${SHOTS}`);
  });

  after(async () => {
    await browser?.close();
    ecsClient?.destroy();
    elbClient?.destroy();
    await slipway?.close();
    if (dataDir) await cleanDataDir(dataDir);
  });

  async function waitCompleted(taskDefinition: string): Promise<void> {
    await pollUntil(
      async () => {
        const s = (await ecsClient.send(new ecs.DescribeServicesCommand({ cluster: CLUSTER, services: [SERVICE] }))).services?.[0];
        const d = s?.deployments ?? [];
        return d.length === 1 && d[0]!.rolloutState === "COMPLETED" && d[0]!.taskDefinition === taskDefinition && s!.runningCount === 2;
      },
      { timeoutMs: 180_000, intervalMs: 500, what: `${SERVICE} to complete a deployment of ${taskDefinition}` },
    );
  }

  /** Polls an expression in the page (evaluated over the DevTools protocol: the page's CSP forbids eval). */
  async function waitInPage(expression: string, what: string, timeoutMs = 180_000): Promise<void> {
    await pollUntil(() => page.evaluate<boolean>(expression), { timeoutMs, intervalMs: 100, what });
  }

  async function scan(name: string): Promise<void> {
    const found = severe(await axeScan(page));
    assert.deepEqual(found, [], `axe-core found serious or critical violations on the ${name} view`);
  }

  const serviceRow = () => page.locator(`tr[data-service="${SERVICE}"]`);
  const rev = (i: number) => revisions[i]!.split("/").pop()!;

  test("1-2. a browser opening Slipway lands on the console and sees the service of 2 tasks behind the ALB", async () => {
    const res = await page.goto(`${slipway!.url}/`);
    assert.equal(res?.status(), 200);
    assert.equal(new URL(page.url()).pathname, "/_slipway/console/");
    await page.getByRole("heading", { level: 1, name: "Overview" }).waitFor();
    await serviceRow().locator('[data-testid="task-counts"]', { hasText: "2 / 2" }).waitFor();
    // The listener's link: the load balancer's DNS name (*.elb.localhost is loopback) at its port.
    const link = page.getByRole("link", { name: `HTTP :${listenerPort} → http://${dnsName}:${listenerPort}/` });
    await link.waitFor();
    assert.equal(await link.getAttribute("href"), `http://${dnsName}:${listenerPort}/`);
    await page.screenshot({ path: join(SHOTS, "overview.png"), fullPage: true });
    await scan("overview");
  });

  test("keyboard: the skip link comes first and moves focus to the content; the navigation follows", async () => {
    const focused = () => page.evaluate<string>("document.activeElement?.getAttribute('aria-label') || document.activeElement?.textContent || ''");
    await page.keyboard.press("Tab");
    assert.equal(await focused(), "Skip to content");
    await page.keyboard.press("Tab");
    assert.equal(await focused(), "Slipway console, overview");
    await page.keyboard.press("Tab");
    assert.equal(await focused(), "Overview");
    await page.keyboard.press("Shift+Tab");
    await page.keyboard.press("Shift+Tab");
    await page.keyboard.press("Enter");
    assert.equal(await page.evaluate<string>("document.activeElement?.id || ''"), "main", "the skip link moves focus to the content");
  });

  test("3. force new deployment: the bars move to COMPLETED without a reload", async () => {
    await serviceRow().getByRole("link", { name: SERVICE, exact: true }).click();
    await page.getByRole("heading", { level: 1, name: new RegExp(`^${SERVICE}`) }).waitFor();
    await page.locator("li.deployment").first().waitFor();
    await page.screenshot({ path: join(SHOTS, "service.png"), fullPage: true });
    await scan("service");
    // Marks this document: a reload or navigation would lose it. Records every deployments state seen.
    await page.evaluate(`(() => {
      window.__noReload = true;
      window.__states = [];
      const record = () => {
        const s = [...document.querySelectorAll("li.deployment")]
          .map((d) => d.dataset.status + ":" + d.dataset.rolloutState + ":" + d.dataset.running + "/" + d.dataset.desired)
          .join(" ");
        if (window.__states.at(-1) !== s) window.__states.push(s);
      };
      new MutationObserver(record).observe(document.body, { subtree: true, childList: true, attributes: true });
      record();
    })()`);
    await page.getByRole("button", { name: "Force new deployment" }).click();
    await page.getByRole("status").filter({ hasText: "Force new deployment: UpdateService succeeded" }).waitFor();
    await page.locator("li.deployment").nth(1).waitFor({ timeout: 30_000 });
    await page.screenshot({ path: join(SHOTS, "service-deploying.png"), fullPage: true });
    if (process.env.SLIPWAY_UPDATE_DOCS === "1") copyFileSync(join(SHOTS, "service-deploying.png"), join(REPO_ROOT, "docs", "console-service.png"));
    await waitInPage(
      `(() => {
        const ds = [...document.querySelectorAll("li.deployment")];
        return ds.length === 1 && ds[0].dataset.rolloutState === "COMPLETED" && ds[0].dataset.running === "2";
      })()`,
      "one COMPLETED deployment with 2 running tasks on the page",
    );
    const { noReload, states } = await page.evaluate<{ noReload: boolean; states: string[] }>("({ noReload: window.__noReload === true, states: window.__states })");
    assert.ok(noReload, "the page was not reloaded");
    assert.ok(states.some((s) => s.includes("PRIMARY:IN_PROGRESS") && s.includes("ACTIVE:")), `an old and a new deployment were shown side by side: ${states.join(" | ")}`);
    assert.ok(new Set(states).size >= 3, `the bars moved through several states: ${states.join(" | ")}`);
    const drain = /is draining: its containers stop in \d+ s, the deregistration delay of target group console-\d+ \(attribute deregistration_delay\.timeout_seconds\)/;
    assert.ok(log.some((l) => drain.test(l)), `the old tasks' drain is in Slipway's log:\n${log.join("\n")}`);
  });

  test("4. a task's log tail shows a line the app printed after the page was opened", async () => {
    const firstTask = page.locator('tr[data-last-status="RUNNING"] th a').first();
    await firstTask.click();
    await page.getByRole("heading", { level: 1, name: /^Task / }).waitFor();
    const openedAt = Math.floor(Date.now() / 1000);
    const tail = page.getByTestId("log-tail");
    await pollUntil(
      async () => {
        const text = await tail.textContent();
        return [...(text ?? "").matchAll(/tick (\d+)/g)].some((m) => Number(m[1]) > openedAt);
      },
      { timeoutMs: 20_000, intervalMs: 200, what: `a tick printed after ${openedAt} in the log tail` },
    );
    await page.screenshot({ path: join(SHOTS, "task.png"), fullPage: true });
    await scan("task");
  });

  test("5. the shell runs echo hello", async () => {
    const frames: string[] = [];
    page.on("websocket", (ws) => {
      frames.push(`open ${ws.url().replace(/token=[^&]+/, "token=…")}`);
      ws.on("framereceived", (f) => frames.push(`in ${JSON.stringify(String(f.payload).slice(0, 80))}`));
      ws.on("framesent", (f) => frames.push(`out ${JSON.stringify(String(f.payload).slice(0, 80))}`));
      ws.on("close", () => frames.push("close"));
    });
    await page.getByRole("button", { name: "Open a shell in web" }).click();
    const terminal = page.getByTestId("terminal");
    await terminal.locator(".xterm-rows").waitFor();
    await pollUntil(async () => (await terminal.locator(".xterm-rows").textContent())?.includes("#"), {
      timeoutMs: 15_000,
      intervalMs: 100,
      what: "the shell prompt",
    }).catch(async (err: Error) => {
      await page.screenshot({ path: join(SHOTS, "shell-failed.png"), fullPage: true });
      const section = await page.locator("#s-shell").locator("..").textContent();
      throw new Error(`${err.message}; the shell section reads ${JSON.stringify(section)}; Slipway logged: ${log.filter((l) => l.includes("exec")).join("; ")}; frames: ${frames.join(" | ")}`);
    });
    await terminal.click();
    await page.keyboard.type("echo hello\n");
    await pollUntil(
      async () => {
        const rows = await terminal.locator(".xterm-rows > div").allTextContents();
        return rows.some((r) => r.trim() === "hello");
      },
      { timeoutMs: 15_000, intervalMs: 100, what: "a terminal row reading hello" },
    );
    await page.keyboard.type("exit 0\n");
    await page.getByTestId("shell-status").filter({ hasText: "exited with code 0" }).waitFor();
  });

  test("6. roll back to the previous revision", async () => {
    await page.locator(".crumbs").getByRole("link", { name: SERVICE, exact: true }).click();
    await page.getByRole("heading", { level: 1, name: new RegExp(`^${SERVICE}`) }).waitFor();
    const select = page.getByLabel("Roll back to");
    await pollUntil(async () => (await select.inputValue()) === revisions[0], { timeoutMs: 10_000, intervalMs: 100, what: "the previous revision to be offered first" });
    await page.getByRole("button", { name: "Roll back", exact: true }).click();
    await page.getByRole("status").filter({ hasText: `Roll back to ${rev(0)}: UpdateService succeeded` }).waitFor();
    await waitInPage(
      `(() => {
        const ds = [...document.querySelectorAll("li.deployment")];
        return ds.length === 1 && ds[0].dataset.rolloutState === "COMPLETED" && ds[0].dataset.running === "2" && ds[0].textContent.includes(${JSON.stringify(rev(0))});
      })()`,
      `one COMPLETED deployment of ${rev(0)} on the page`,
    );
    const s = (await ecsClient.send(new ecs.DescribeServicesCommand({ cluster: CLUSTER, services: [SERVICE] }))).services![0]!;
    assert.equal(s.taskDefinition, revisions[0]);
  });

  test("7. the API-activity feed lists the UpdateService calls", async () => {
    await page.getByRole("link", { name: "API activity" }).click();
    const rows = page.locator('[data-testid="activity"] tr[data-operation="UpdateService"]');
    await pollUntil(async () => (await rows.count()) >= 2, { timeoutMs: 10_000, intervalMs: 100, what: "two UpdateService rows" });
    const text = await rows.first().textContent();
    assert.match(text ?? "", /ecs/);
    assert.match(text ?? "", /200/);
    assert.match(text ?? "", /this console/);
    await scan("API activity");
  });

  test("390 px wide: the service view fits and its actions are reachable", async () => {
    const phone = await browser!.context.newPage();
    try {
      await phone.setViewportSize({ width: 390, height: 844 });
      await phone.goto(`${slipway!.consoleUrl}clusters/${CLUSTER}/services/${SERVICE}`);
      await phone.getByRole("heading", { level: 1, name: new RegExp(`^${SERVICE}`) }).waitFor();
      await phone.locator("li.deployment").first().waitFor();
      const width = await phone.evaluate<number>("document.documentElement.scrollWidth");
      const wide = await phone.evaluate<string[]>(
        "[...document.querySelectorAll('body *')].filter((e) => e.getBoundingClientRect().right > 391).slice(0, 8).map((e) => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))",
      );
      assert.ok(width <= 390, `no horizontal scrolling of the page (scrollWidth ${width}; wide: ${wide.join(", ")})`);
      const button = phone.getByRole("button", { name: "Force new deployment" });
      await button.scrollIntoViewIfNeeded();
      const box = await button.boundingBox();
      assert.ok(box && box.x >= 0 && box.x + box.width <= 390, "the action button is within the screen");
      await phone.screenshot({ path: join(SHOTS, "service-390.png"), fullPage: true });
    } finally {
      await phone.close();
    }
  });
});
