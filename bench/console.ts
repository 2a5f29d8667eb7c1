/**
 * The web console (`/_slipway/console/`) against moto_server's dashboard (`/moto-api/`), both in
 * headless Chromium (playwright-core driving /usr/bin/chromium, as the browser test does).
 *
 *   node bench/console.ts [--runs 10] [--updates 60] [--idle-seconds 60] [--consoles 20]
 *
 * 1. First view, cold cache (a fresh browser context per run): bytes transferred (compressed,
 *    headers included: Resource Timing transferSize of the page, its assets and its API calls),
 *    first contentful paint, and the time until the data is on the page (Slipway: the services
 *    table; moto: its dashboard loads its scripts from cdn.jsdelivr.net and code.jquery.com, which
 *    are unreachable offline, so it never shows data here; the failed requests are counted).
 * 2. Latency, Slipway only (moto's dashboard has no live updates): UpdateService alternating
 *    deploymentConfiguration.maximumPercent 200/150 (no task starts), from just before the call to
 *    the moment a MutationObserver in the open service view sees the new value; median and p95.
 * 3. Idle cost: server CPU (utime+stime of the server process, /proc/<pid>/stat) over
 *    --idle-seconds with no browser, then with --consoles pages open (each in its own browser
 *    context, as separate browsers would be: a browser's six connections per host are not shared),
 *    Slipway on the service view (its event stream open), moto on its dashboard.
 * Slipway runs as `slipway up` (the dist/ build when fresh; run `npm run build` first) with a
 * cluster and a service of 2 real tasks (slipway-test/busybox:latest sleeping).
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import * as ecs from "@aws-sdk/client-ecs";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { ecsClient, median, onExitStop, percentile, type Proc, sleep, startMoto, startSlipwayProcess, table } from "./lib.ts";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "10" },
    updates: { type: "string", default: "60" },
    "idle-seconds": { type: "string", default: "60" },
    consoles: { type: "string", default: "20" },
  },
});
const RUNS = Number(values.runs);
const UPDATES = Number(values.updates);
const IDLE_S = Number(values["idle-seconds"]);
const CONSOLES = Number(values.consoles);
const CHROMIUM = process.env.SLIPWAY_CHROMIUM ?? "/usr/bin/chromium";
const ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

const procs: Proc[] = [];
onExitStop(() => procs);

/** CPU seconds (user + system) a process has used so far. */
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  // utime and stime are fields 14 and 15 of stat, i.e. 12 and 13 after the command name.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

interface FirstView {
  bytes: number;
  requests: number;
  failed: number;
  fcpMs: number;
  dataMs: number | undefined;
}

async function firstView(browser: Awaited<ReturnType<typeof chromium.launch>>, url: string, dataSelector: string | undefined): Promise<FirstView> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  let failed = 0;
  page.on("requestfailed", () => failed++);
  const t0 = Date.now();
  await page.goto(url, { waitUntil: "load", timeout: 60_000 });
  let dataMs: number | undefined;
  if (dataSelector) {
    await page.locator(dataSelector).first().waitFor({ timeout: 30_000 });
    dataMs = Date.now() - t0;
  }
  // Let late API calls finish, so their bytes count.
  await page.waitForLoadState("networkidle", { timeout: 10_000 }).catch(() => {});
  const m = await page.evaluate<{ bytes: number; requests: number; fcp: number }>(`(() => {
    const nav = performance.getEntriesByType("navigation")[0];
    const res = performance.getEntriesByType("resource");
    const fcp = performance.getEntriesByName("first-contentful-paint")[0];
    return { bytes: (nav ? nav.transferSize : 0) + res.reduce((n, r) => n + r.transferSize, 0), requests: 1 + res.length, fcp: fcp ? fcp.startTime : -1 };
  })()`);
  await context.close();
  return { bytes: m.bytes, requests: m.requests, failed, fcpMs: m.fcp, dataMs };
}

async function idleCpu(pid: number, open: () => Promise<BrowserContext[]>): Promise<{ none: number; withConsoles: number }> {
  let c0 = cpuSeconds(pid);
  await sleep(IDLE_S * 1000);
  const none = cpuSeconds(pid) - c0;
  const contexts = await open();
  await sleep(2000);
  c0 = cpuSeconds(pid);
  await sleep(IDLE_S * 1000);
  const withConsoles = cpuSeconds(pid) - c0;
  for (const c of contexts) await c.close();
  return { none, withConsoles };
}

async function main(): Promise<void> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
  const slipway = await startSlipwayProcess();
  procs.push(slipway);
  const moto = await startMoto();
  procs.push(moto);
  const client = ecsClient(slipway.url);
  try {
    await client.send(new ecs.CreateClusterCommand({ clusterName: "bench" }));
    await client.send(
      new ecs.RegisterTaskDefinitionCommand({
        family: "bench-app",
        containerDefinitions: [{ name: "app", image: "slipway-test/busybox:latest", essential: true, memory: 32, entryPoint: ["sleep", "3600"], stopTimeout: 1 }],
      }),
    );
    await client.send(new ecs.CreateServiceCommand({ cluster: "bench", serviceName: "app", taskDefinition: "bench-app", desiredCount: 2 }));
    for (;;) {
      const s = (await client.send(new ecs.DescribeServicesCommand({ cluster: "bench", services: ["app"] }))).services![0]!;
      if (s.runningCount === 2) break;
      await sleep(200);
    }
    const consoleUrl = `${slipway.url}/_slipway/console/`;
    const serviceUrl = `${consoleUrl}clusters/bench/services/app`;

    // 1. First view (one warm-up each: the first request of each asset compresses it once).
    await firstView(browser, consoleUrl, "tr[data-service]");
    await firstView(browser, `${moto.url}/moto-api/`, undefined);
    const s1: FirstView[] = [];
    const m1: FirstView[] = [];
    for (let i = 0; i < RUNS; i++) {
      s1.push(await firstView(browser, consoleUrl, "tr[data-service]"));
      m1.push(await firstView(browser, `${moto.url}/moto-api/`, undefined));
    }
    const med = (xs: FirstView[], f: (v: FirstView) => number | undefined) => median(xs.map(f).filter((x): x is number => x !== undefined));
    console.log(`\n1. First view, cold cache (${RUNS} runs, medians)\n`);
    console.log(
      table(
        ["", "bytes transferred", "requests", "failed requests", "first contentful paint ms", "data on the page ms"],
        [
          ["Slipway console (overview)", med(s1, (v) => v.bytes), med(s1, (v) => v.requests), med(s1, (v) => v.failed), med(s1, (v) => v.fcpMs), med(s1, (v) => v.dataMs)],
          ["moto /moto-api/", med(m1, (v) => v.bytes), med(m1, (v) => v.requests), med(m1, (v) => v.failed), med(m1, (v) => v.fcpMs), "never (CDN scripts)"],
        ],
      ),
    );

    // 2. Latency from UpdateService to the open service view showing it.
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page: Page = await context.newPage();
    await page.goto(serviceUrl);
    await page.locator("li.deployment").first().waitFor();
    await page.evaluate(`(() => {
      window.__seen = [];
      const summary = () => document.querySelector("p.summary")?.textContent ?? "";
      let last = summary();
      new MutationObserver(() => {
        const now = summary();
        if (now !== last) { last = now; const m = /max (\\d+)%/.exec(now); if (m) window.__seen.push([Number(m[1]), performance.timeOrigin + performance.now()]); }
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    })()`);
    const latencies: number[] = [];
    for (let i = 0; i < UPDATES; i++) {
      const pct = i % 2 === 0 ? 150 : 200;
      const before = await page.evaluate<number>("window.__seen.length");
      const t0 = Date.now();
      await client.send(new ecs.UpdateServiceCommand({ cluster: "bench", service: "app", deploymentConfiguration: { maximumPercent: pct, minimumHealthyPercent: 100 } }));
      for (;;) {
        const seen = await page.evaluate<[number, number][]>(`window.__seen.slice(${before})`);
        const hit = seen.find(([v]) => v === pct);
        if (hit) {
          latencies.push(hit[1] - t0);
          break;
        }
        await sleep(5);
      }
    }
    await context.close();
    console.log(`\n2. UpdateService → the open service view shows it (${UPDATES} updates)\n`);
    console.log(table(["", "median ms", "p95 ms", "max ms"], [["Slipway console", median(latencies), percentile(latencies, 95), Math.max(...latencies)]]));

    // 3. Idle CPU with CONSOLES pages open.
    const openPages = (url: string, selector: string | undefined) => async () => {
      const out: BrowserContext[] = [];
      for (let i = 0; i < CONSOLES; i++) {
        const c = await browser.newContext({ viewport: { width: 1280, height: 800 } });
        const p = await c.newPage();
        await p.goto(url, { waitUntil: "load" });
        if (selector) await p.locator(selector).first().waitFor();
        out.push(c);
      }
      return out;
    };
    const sIdle = await idleCpu(slipway.pid, openPages(serviceUrl, "li.deployment"));
    const mIdle = await idleCpu(moto.pid, openPages(`${moto.url}/moto-api/`, undefined));
    const pct = (cpu: number) => (100 * cpu) / IDLE_S;
    console.log(`\n3. Server CPU over ${IDLE_S} s idle, without and with ${CONSOLES} pages open\n`);
    console.log(
      table(
        ["", "CPU s, no page", `CPU s, ${CONSOLES} pages`, "% of one core, no page", `% of one core, ${CONSOLES} pages`],
        [
          ["Slipway (service view, event stream open)", sIdle.none, sIdle.withConsoles, pct(sIdle.none), pct(sIdle.withConsoles)],
          ["moto (/moto-api/)", mIdle.none, mIdle.withConsoles, pct(mIdle.none), pct(mIdle.withConsoles)],
        ],
      ),
    );
  } finally {
    // Scale to 0 and wait for the tasks to stop, then remove any container left by task label.
    const arns = (await client.send(new ecs.ListTasksCommand({ cluster: "bench", serviceName: "app" })).catch(() => ({ taskArns: [] }))).taskArns ?? [];
    await client.send(new ecs.UpdateServiceCommand({ cluster: "bench", service: "app", desiredCount: 0 })).catch(() => {});
    for (let i = 0; i < 100 && arns.length; i++) {
      const d = await client.send(new ecs.DescribeTasksCommand({ cluster: "bench", tasks: arns })).catch(() => undefined);
      if (!d || d.tasks?.every((t) => t.lastStatus === "STOPPED")) break;
      await sleep(300);
    }
    for (const arn of arns) {
      const ids = execFileSync("docker", ["ps", "-aq", "--filter", `label=slipway.task-arn=${arn}`], { encoding: "utf8" }).split("\n").filter(Boolean);
      if (ids.length) execFileSync("docker", ["rm", "-f", ...ids]);
    }
    client.destroy();
    await browser.close();
    for (const p of procs.splice(0)) await p.stop();
  }
}

await main();
