/**
 * API speed: DescribeServices, RegisterTaskDefinition and ListTasks against a real `slipway up`
 * process (Docker present) and against `moto_server`, with the same @aws-sdk/client-ecs client.
 *
 *   node bench/api-speed.ts [--n 2000] [--warmup 200] [--concurrency 8,1]
 *
 * Both servers get the same fixture: cluster "bench", task definition family "bench-web"
 * (bridge, hostPort 0), service "web" with desiredCount 0 (nothing runs). Each (operation,
 * concurrency) cell is measured on Slipway then on moto, after a warm-up of the same operation.
 */
import { parseArgs } from "node:util";
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DescribeServicesCommand,
  type ECSClient,
  ListTasksCommand,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
} from "@aws-sdk/client-ecs";
import { ecsClient, median, onExitStop, percentile, type Proc, startMoto, startNullServer, startSlipwayProcess, table } from "./lib.ts";

const { values } = parseArgs({
  options: {
    n: { type: "string", default: "2000" },
    warmup: { type: "string", default: "200" },
    concurrency: { type: "string", default: "8,1" },
    ops: { type: "string", default: "DescribeServices,RegisterTaskDefinition,ListTasks" },
  },
});
const N = Number(values.n);
const WARMUP = Number(values.warmup);
const CONCURRENCY = values.concurrency!.split(",").map(Number);

const TASK_DEF: RegisterTaskDefinitionCommandInput = {
  family: "bench-web",
  networkMode: "bridge",
  containerDefinitions: [
    {
      name: "web",
      image: "slipway-test/web:latest",
      essential: true,
      memory: 64,
      portMappings: [{ containerPort: 8080, hostPort: 0, protocol: "tcp" }],
    },
  ],
};

async function fixture(c: ECSClient): Promise<void> {
  await c.send(new CreateClusterCommand({ clusterName: "bench" }));
  await c.send(new RegisterTaskDefinitionCommand(TASK_DEF));
  await c.send(new CreateServiceCommand({ cluster: "bench", serviceName: "web", taskDefinition: "bench-web", desiredCount: 0, launchType: "EC2" }));
}

const OPS: Record<string, (c: ECSClient) => Promise<unknown>> = {
  DescribeServices: (c) => c.send(new DescribeServicesCommand({ cluster: "bench", services: ["web"] })),
  RegisterTaskDefinition: (c) => c.send(new RegisterTaskDefinitionCommand(TASK_DEF)),
  ListTasks: (c) => c.send(new ListTasksCommand({ cluster: "bench" })),
};

interface Result {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

async function run(c: ECSClient, op: (c: ECSClient) => Promise<unknown>, n: number, conc: number): Promise<Result> {
  const lat: number[] = [];
  let next = 0;
  let errors = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next < n) {
      next++;
      const s = performance.now();
      try {
        await op(c);
      } catch (err) {
        errors++;
        if (errors <= 3) console.error(`  error: ${(err as Error).name}: ${(err as Error).message}`);
      }
      lat.push(performance.now() - s);
    }
  };
  await Promise.all(Array.from({ length: conc }, worker));
  const secs = (performance.now() - t0) / 1000;
  return { rps: n / secs, p50: median(lat), p99: percentile(lat, 99), errors };
}

const procs: Proc[] = [];
onExitStop(() => procs);
try {
  const slipway = await startSlipwayProcess();
  procs.push(slipway);
  const moto = await startMoto();
  procs.push(moto);
  const targets = [
    { name: "slipway", client: ecsClient(slipway.url) },
    { name: "moto", client: ecsClient(moto.url) },
  ];
  for (const t of targets) await fixture(t.client);

  const rows: (string | number)[][] = [];
  const ratios: (string | number)[][] = [];
  const nul = await startNullServer();
  procs.push(nul);
  const ceilingClient = ecsClient(nul.url);
  const ceiling: (string | number)[][] = [];
  for (const [opName, op] of Object.entries(OPS).filter(([k]) => values.ops!.split(",").includes(k))) {
    for (const conc of CONCURRENCY) {
      const res: Record<string, Result> = {};
      for (const t of targets) {
        await run(t.client, op, WARMUP, conc);
        res[t.name] = await run(t.client, op, N, conc);
        const r = res[t.name]!;
        rows.push([opName, conc, t.name, r.rps, r.p50, r.p99, r.errors]);
        console.error(`${opName} c=${conc} ${t.name}: ${r.rps.toFixed(0)} req/s p50 ${r.p50.toFixed(2)} ms p99 ${r.p99.toFixed(2)} ms`);
      }
      await run(ceilingClient, op, WARMUP, conc);
      const ce = await run(ceilingClient, op, N, conc);
      ceiling.push([opName, conc, ce.rps, ce.p50, ce.p99, 20 * res.moto!.rps]);
      const ratio = res.slipway!.rps / res.moto!.rps;
      ratios.push([opName, conc, ratio, res.moto!.p50 / res.slipway!.p50, ratio >= 20 ? "yes" : "no"]);
    }
  }
  console.log(`\nAPI speed: N=${N} requests per cell after ${WARMUP} warm-up, same @aws-sdk/client-ecs client (keep-alive)\n`);
  console.log(table(["operation", "concurrency", "server", "req/s", "p50 ms", "p99 ms", "errors"], rows));
  console.log("\n" + table(["operation", "concurrency", "throughput ratio slipway/moto", "p50 ratio moto/slipway", ">= 20x"], ratios));
  console.log(
    "\nClient ceiling: the same SDK client against a null HTTP server (separate Node process, answers {}), i.e. the most any server can show on this machine\n",
  );
  console.log(table(["operation", "concurrency", "null-server req/s", "p50 ms", "p99 ms", "20x moto req/s (goal)"], ceiling));
  const allRatios = ratios.map((r) => r[2] as number);
  console.log(`\nmedian throughput ratio over all cells: ${median(allRatios).toFixed(1)}x`);
} finally {
  for (const p of procs.reverse()) await p.stop();
}
