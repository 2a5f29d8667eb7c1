/**
 * Start-up time and idle memory: `slipway up` vs `moto_server`.
 *
 *   node bench/startup.ts [--runs 10] [--idle-seconds 10]
 *
 * Start-up: spawn to "Slipway ready on" (fresh data dir each run) / spawn to first accepted HTTP
 * request for moto_server (real script, not the pyenv shim). Median, min and max of --runs.
 * Idle RSS: /proc/<pid>/status VmRSS after both servers hold the same fixture (cluster, task
 * definition, service with desiredCount 1) and have been idle --idle-seconds; Slipway's task is a
 * real container (slipway-test/web:latest, bridge, hostPort 0) that reached RUNNING. VmRSS is
 * sampled 5 times, 1 s apart, median reported. Afterwards Slipway's service is scaled to 0 and
 * deleted, and any container left with its task ARNs is removed by id.
 */
import { execFileSync } from "node:child_process";
import { parseArgs } from "node:util";
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DeleteServiceCommand,
  DescribeServicesCommand,
  type ECSClient,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
} from "@aws-sdk/client-ecs";
import { ecsClient, median, onExitStop, type Proc, rssKiB, sleep, startMoto, startSlipwayProcess, table } from "./lib.ts";

const { values } = parseArgs({ options: { runs: { type: "string", default: "10" }, "idle-seconds": { type: "string", default: "10" } } });
const RUNS = Number(values.runs);
const IDLE_S = Number(values["idle-seconds"]);

const procs: Proc[] = [];
onExitStop(() => procs);

async function startupTimes(start: () => Promise<Proc>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const p = await start();
    procs.push(p);
    out.push(p.readyMs);
    await p.stop();
    procs.pop();
  }
  return out;
}

async function fixture(c: ECSClient): Promise<void> {
  await c.send(new CreateClusterCommand({ clusterName: "bench" }));
  await c.send(
    new RegisterTaskDefinitionCommand({
      family: "bench-web",
      networkMode: "bridge",
      containerDefinitions: [
        { name: "web", image: "slipway-test/web:latest", essential: true, memory: 64, portMappings: [{ containerPort: 8080, hostPort: 0 }], stopTimeout: 2 },
      ],
    }),
  );
  await c.send(new CreateServiceCommand({ cluster: "bench", serviceName: "web", taskDefinition: "bench-web", desiredCount: 1, launchType: "EC2" }));
}

async function idleRss(pid: number): Promise<number> {
  await sleep(IDLE_S * 1000);
  const xs: number[] = [];
  for (let i = 0; i < 5; i++) {
    xs.push(rssKiB(pid));
    await sleep(1000);
  }
  return median(xs) / 1024;
}

const rows: (string | number)[][] = [];
try {
  // Interleave nothing: each server's runs back to back, Slipway first.
  const sw = await startupTimes(() => startSlipwayProcess());
  const mo = await startupTimes(() => startMoto());
  console.error(`slipway ready ms: ${sw.map((x) => x.toFixed(0)).join(" ")}`);
  console.error(`moto ready ms:    ${mo.map((x) => x.toFixed(0)).join(" ")}`);

  // Idle RSS with one service of one task.
  const slipway = await startSlipwayProcess();
  procs.push(slipway);
  const sc = ecsClient(slipway.url);
  await fixture(sc);
  const t0 = Date.now();
  let running = 0;
  while (Date.now() - t0 < 60_000) {
    const d = await sc.send(new DescribeServicesCommand({ cluster: "bench", services: ["web"] }));
    running = d.services?.[0]?.runningCount ?? 0;
    if (running === 1) break;
    await sleep(200);
  }
  console.error(`slipway: runningCount ${running} after ${Date.now() - t0} ms`);
  const taskArns = (await sc.send(new ListTasksCommand({ cluster: "bench" }))).taskArns ?? [];
  const swRss = await idleRss(slipway.pid);

  const moto = await startMoto();
  procs.push(moto);
  await fixture(ecsClient(moto.url));
  const moRss = await idleRss(moto.pid);
  const motoIdleFresh = rssKiB(moto.pid) / 1024;
  await moto.stop();

  // Clean up Slipway's task (its own containers only).
  await sc.send(new UpdateServiceCommand({ cluster: "bench", service: "web", desiredCount: 0 }));
  await sc.send(new DeleteServiceCommand({ cluster: "bench", service: "web" }));
  for (let i = 0; i < 50; i++) {
    const ids = taskArns.flatMap((arn) =>
      execFileSync("docker", ["ps", "-q", "--filter", `label=slipway.task-arn=${arn}`], { encoding: "utf8" }).split("\n").filter(Boolean),
    );
    if (!ids.length) break;
    if (i === 49) execFileSync("docker", ["rm", "-f", ...ids]);
    await sleep(200);
  }
  await slipway.stop();
  procs.length = 0;

  rows.push(["slipway (`slipway up`)", median(sw), Math.min(...sw), Math.max(...sw), swRss, median(sw) < 500 ? "yes" : "no", swRss < 64 ? "yes" : "no"]);
  rows.push(["moto_server", median(mo), Math.min(...mo), Math.max(...mo), moRss, "-", "-"]);
  console.log(`\nStart-up (${RUNS} runs each) and idle RSS (1 service, 1 task, idle ${IDLE_S} s; moto last sample ${motoIdleFresh.toFixed(1)} MiB)\n`);
  console.log(
    table(["server", "start-up median ms", "min ms", "max ms", "idle VmRSS MiB", "goal < 500 ms", "goal < 64 MB"], rows),
  );
  console.log(`\nratio start-up moto/slipway: ${(median(mo) / median(sw)).toFixed(2)}x; RSS slipway/moto: ${(swRss / moRss).toFixed(2)}x`);
} finally {
  for (const p of procs.reverse()) await p.stop();
}
