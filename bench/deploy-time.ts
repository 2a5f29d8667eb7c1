/**
 * Rolling-deployment time: Slipway (`slipway up`, real containers) vs Docker Swarm.
 *
 *   node bench/deploy-time.ts [--runs 3] [--swarm-intervals 1,5]
 *
 * Slipway: cluster "bench", service "web" of 4 tasks, task definitions bench-web (image
 * slipway-test/web:latest) and bench-web-v2 (slipway-test/web:v2), both bridge with hostPort 0,
 * memory 64, stopTimeout 2 and the health check
 *   CMD-SHELL "wget -q -O /dev/null http://127.0.0.1:8080/health || exit 1", interval 5 (the ECS
 *   minimum), timeout 2, retries 3, startPeriod 0;
 * deploymentConfiguration minimumHealthyPercent 100 / maximumPercent 200 (defaults). Each run is
 * UpdateService to the other task definition; the clock stops when DescribeServices (polled every
 * 100 ms) shows 1 deployment, rolloutState COMPLETED and runningCount == desiredCount. ECS's 40 s
 * "no health check" rule does not apply: the essential container has a health check.
 *
 * Swarm (`docker swarm init --advertise-addr 127.0.0.1`, left afterwards only if this script
 * initialised it): `docker service create --name slipway-bench-web --replicas 4 --no-resolve-image
 *   --health-cmd "wget -q -O /dev/null http://127.0.0.1:8080/health || exit 1" --health-interval Ns
 *   --health-timeout 2s --health-retries 3 --stop-grace-period 2s --publish mode=host,target=8080
 *   --update-order start-first --update-parallelism 4 --update-delay 0s slipway-test/web:latest`,
 * then each run `docker service update --detach --no-resolve-image --image slipway-test/web:v2|latest
 * slipway-bench-web`, timed from the command's start until the Engine API's UpdateStatus.State ==
 * "completed" (polled every 100 ms). Also reported: "converged", the first poll at which exactly 4
 * containers of the service run, all on the new image and (healthy). --update-monitor is left at its
 * default (5 s), which Swarm waits out before it marks the update completed.
 */
import { execFileSync, spawn } from "node:child_process";
import { request } from "node:http";
import { parseArgs } from "node:util";
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DeleteServiceCommand,
  DescribeServicesCommand,
  type ECSClient,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  UpdateServiceCommand,
} from "@aws-sdk/client-ecs";
import { ecsClient, median, onExitStop, type Proc, sleep, startSlipwayProcess, table } from "./lib.ts";

const { values } = parseArgs({
  options: { runs: { type: "string", default: "3" }, "swarm-intervals": { type: "string", default: "1,5" }, skip: { type: "string", default: "" } },
});
const RUNS = Number(values.runs);
const SWARM_INTERVALS = values["swarm-intervals"]!.split(",").map(Number);
const SKIP = values.skip!.split(",");
const HEALTH = "wget -q -O /dev/null http://127.0.0.1:8080/health || exit 1";
const TIMEOUT_MS = 90_000;

function td(family: string, image: string): RegisterTaskDefinitionCommandInput {
  return {
    family,
    networkMode: "bridge",
    containerDefinitions: [
      {
        name: "web",
        image,
        essential: true,
        memory: 64,
        stopTimeout: 2,
        portMappings: [{ containerPort: 8080, hostPort: 0, protocol: "tcp" }],
        healthCheck: { command: ["CMD-SHELL", HEALTH], interval: 5, timeout: 2, retries: 3, startPeriod: 0 },
      },
    ],
  };
}

async function waitSteady(c: ECSClient, t0: number): Promise<{ steadyMs: number; completedMs: number }> {
  let completedMs = NaN;
  while (performance.now() - t0 < TIMEOUT_MS) {
    const s = (await c.send(new DescribeServicesCommand({ cluster: "bench", services: ["web"] }))).services![0]!;
    const deps = s.deployments ?? [];
    const primary = deps.find((d) => d.status === "PRIMARY");
    if (Number.isNaN(completedMs) && primary?.rolloutState === "COMPLETED") completedMs = performance.now() - t0;
    if (deps.length === 1 && deps[0]!.rolloutState === "COMPLETED" && s.runningCount === s.desiredCount) {
      return { steadyMs: performance.now() - t0, completedMs };
    }
    await sleep(100);
  }
  throw new Error("slipway: service not steady within timeout");
}

async function benchSlipway(): Promise<number[]> {
  const procs: Proc[] = [];
  onExitStop(() => procs);
  const sw = await startSlipwayProcess();
  procs.push(sw);
  const c = ecsClient(sw.url);
  const taskArns = new Set<string>();
  const times: number[] = [];
  try {
    await c.send(new CreateClusterCommand({ clusterName: "bench" }));
    await c.send(new RegisterTaskDefinitionCommand(td("bench-web", "slipway-test/web:latest")));
    await c.send(new RegisterTaskDefinitionCommand(td("bench-web-v2", "slipway-test/web:v2")));
    const t0 = performance.now();
    await c.send(
      new CreateServiceCommand({
        cluster: "bench",
        serviceName: "web",
        taskDefinition: "bench-web",
        desiredCount: 4,
        launchType: "EC2",
        deploymentConfiguration: { minimumHealthyPercent: 100, maximumPercent: 200 },
      }),
    );
    const first = await waitSteady(c, t0);
    console.error(`slipway: initial 4 tasks steady after ${first.steadyMs.toFixed(0)} ms`);
    for (let i = 0; i < RUNS; i++) {
      for (const a of (await c.send(new ListTasksCommand({ cluster: "bench" }))).taskArns ?? []) taskArns.add(a);
      const t = performance.now();
      await c.send(new UpdateServiceCommand({ cluster: "bench", service: "web", taskDefinition: i % 2 === 0 ? "bench-web-v2" : "bench-web" }));
      const r = await waitSteady(c, t);
      times.push(r.steadyMs);
      console.error(`slipway run ${i + 1}: steady ${r.steadyMs.toFixed(0)} ms (primary COMPLETED at ${r.completedMs.toFixed(0)} ms)`);
    }
    for (const a of (await c.send(new ListTasksCommand({ cluster: "bench" }))).taskArns ?? []) taskArns.add(a);
  } finally {
    // Scale to 0, delete, and make sure none of this run's containers survive.
    try {
      await c.send(new UpdateServiceCommand({ cluster: "bench", service: "web", desiredCount: 0 }));
      await c.send(new DeleteServiceCommand({ cluster: "bench", service: "web" }));
    } catch (err) {
      console.error(`cleanup: ${(err as Error).message}`);
    }
    for (let i = 0; i < 50; i++) {
      const ids = [...taskArns].flatMap((arn) =>
        execFileSync("docker", ["ps", "-aq", "--filter", `label=slipway.task-arn=${arn}`], { encoding: "utf8" }).split("\n").filter(Boolean),
      );
      if (!ids.length) break;
      if (i >= 30) execFileSync("docker", ["rm", "-f", ...ids]);
      await sleep(200);
    }
    await sw.stop();
  }
  return times;
}

function dockerApi(path: string): Promise<any> {
  return new Promise((res, rej) => {
    const req = request({ socketPath: "/var/run/docker.sock", path, method: "GET" }, (r) => {
      let b = "";
      r.on("data", (d) => (b += d));
      r.on("end", () => (r.statusCode! < 300 ? res(JSON.parse(b)) : rej(new Error(`${r.statusCode} ${b}`))));
    });
    req.on("error", rej);
    req.end();
  });
}

function docker(args: string[]): Promise<void> {
  return new Promise((res, rej) => {
    const p = spawn("docker", args, { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    p.stderr.on("data", (d) => (err += d));
    p.on("exit", (code) => (code === 0 ? res() : rej(new Error(`docker ${args.join(" ")}: ${err}`))));
  });
}

const SVC = "slipway-bench-web";

async function swarmConverged(image: string): Promise<boolean> {
  const filters = encodeURIComponent(JSON.stringify({ label: [`com.docker.swarm.service.name=${SVC}`] }));
  const cs: { Image: string; Status: string; State: string }[] = await dockerApi(`/containers/json?filters=${filters}`);
  return cs.length === 4 && cs.every((c) => c.Image.startsWith(image) && c.Status.includes("(healthy)"));
}

async function benchSwarm(interval: number): Promise<{ completed: number[]; converged: number[] }> {
  const completed: number[] = [];
  const converged: number[] = [];
  await docker([
    "service", "create", "--name", SVC, "--replicas", "4", "--no-resolve-image",
    "--health-cmd", HEALTH, "--health-interval", `${interval}s`, "--health-timeout", "2s", "--health-retries", "3",
    "--stop-grace-period", "2s", "--publish", "mode=host,target=8080",
    "--update-order", "start-first", "--update-parallelism", "4", "--update-delay", "0s",
    "slipway-test/web:latest",
  ]); // without --detach: returns once the 4 tasks run
  try {
    for (let i = 0; i < RUNS; i++) {
      const image = i % 2 === 0 ? "slipway-test/web:v2" : "slipway-test/web:latest";
      const t0 = performance.now();
      await docker(["service", "update", "--detach", "--no-resolve-image", "--image", image, SVC]);
      let conv = NaN;
      for (;;) {
        if (performance.now() - t0 > TIMEOUT_MS) throw new Error("swarm: update not completed within timeout");
        const s = await dockerApi(`/services/${SVC}`);
        if (Number.isNaN(conv) && (await swarmConverged(image))) conv = performance.now() - t0;
        if (s.UpdateStatus?.State === "completed") break;
        if (s.UpdateStatus?.State && !["updating", "completed"].includes(s.UpdateStatus.State)) throw new Error(`swarm: ${JSON.stringify(s.UpdateStatus)}`);
        await sleep(100);
      }
      const ms = performance.now() - t0;
      completed.push(ms);
      converged.push(conv);
      console.error(`swarm (health-interval ${interval}s) run ${i + 1}: completed ${ms.toFixed(0)} ms, converged ${conv.toFixed(0)} ms`);
    }
  } finally {
    await docker(["service", "rm", SVC]);
    // Wait until the service's containers are gone before the next variant.
    for (let i = 0; i < 100; i++) {
      const filters = encodeURIComponent(JSON.stringify({ label: [`com.docker.swarm.service.name=${SVC}`] }));
      if (!(await dockerApi(`/containers/json?all=1&filters=${filters}`)).length) break;
      await sleep(200);
    }
  }
  return { completed, converged };
}

const rows: (string | number)[][] = [];
let slipTimes: number[] = [];
if (!SKIP.includes("slipway")) {
  slipTimes = await benchSlipway();
  rows.push(["Slipway UpdateService → steady (health interval 5 s)", median(slipTimes), slipTimes.map((x) => x.toFixed(0)).join(", ")]);
}
const swarmMedians: Record<number, number> = {};
if (!SKIP.includes("swarm")) {
  const state = (await dockerApi("/info")).Swarm.LocalNodeState as string;
  let weInit = false;
  if (state !== "active") {
    execFileSync("docker", ["swarm", "init", "--advertise-addr", "127.0.0.1"], { stdio: "ignore" });
    weInit = true;
  }
  try {
    for (const iv of SWARM_INTERVALS) {
      const r = await benchSwarm(iv);
      swarmMedians[iv] = median(r.completed);
      rows.push([`Swarm update → UpdateStatus completed (health-interval ${iv}s)`, median(r.completed), r.completed.map((x) => x.toFixed(0)).join(", ")]);
      rows.push([`Swarm update → 4 new containers healthy (health-interval ${iv}s)`, median(r.converged), r.converged.map((x) => x.toFixed(0)).join(", ")]);
    }
  } finally {
    if (weInit) execFileSync("docker", ["swarm", "leave", "--force"], { stdio: "ignore" });
  }
}
console.log(`\nDeployment time, 4 tasks, median of ${RUNS} runs\n`);
console.log(table(["what", "median ms", "runs ms"], rows));
if (slipTimes.length) {
  for (const [iv, m] of Object.entries(swarmMedians)) {
    const ratio = median(slipTimes) / m;
    console.log(`ratio slipway/swarm(health-interval ${iv}s, completed): ${ratio.toFixed(2)} — goal <= 0.5: ${ratio <= 0.5 ? "met" : "not met"}`);
  }
}
