/**
 * API speed: DescribeServices, RegisterTaskDefinition and ListTasks against a real `slipway up`
 * process (Docker present) and against `moto_server`, with the same client for both.
 *
 *   node bench/api-speed.ts [--client raw|sdk] [--n 2000] [--min-seconds 2] [--warmup 200] [--concurrency 8,1]
 *
 * --client raw (default): pre-built AWS JSON 1.1 requests (POST /, content-type
 *   application/x-amz-json-1.1, x-amz-target AmazonEC2ContainerServiceV20141113.<Op>, x-amz-date and
 *   `Authorization: AWS4-HMAC-SHA256 Credential=test/20261122/us-east-1/ecs/aws4_request,
 *   SignedHeaders=host;x-amz-date, Signature=0` — neither server verifies signatures by default)
 *   sent over node:http with a keep-alive agent (one socket per worker). Every response must be
 *   HTTP 200; anything else (or a socket error) is counted as an error. Before timing, one request
 *   per operation and server is checked for the expected response body (service "web", family
 *   "bench-web", a taskArns array).
 * --client sdk: @aws-sdk/client-ecs (keep-alive, maxAttempts 1). On a 2-core machine this client
 *   itself tops out at ~1-2k req/s, which caps any measurable server ratio.
 *
 * Both servers get the same fixture: cluster "bench", task definition family "bench-web"
 * (bridge, hostPort 0), service "web" with desiredCount 0 (nothing runs). Each (operation,
 * concurrency) cell is measured on Slipway then on moto, after a warm-up of the same operation.
 * A cell is --n requests; if that took less than --min-seconds, it is repeated with N scaled up so
 * it lasts ~1.25 x --min-seconds (same request, same concurrency: only the count changes). The
 * client ceiling is the same client against a null HTTP server (separate Node process, answers {}).
 */
import { Agent, request } from "node:http";
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
    client: { type: "string", default: "raw" },
    n: { type: "string", default: "2000" },
    "min-seconds": { type: "string", default: "2" },
    warmup: { type: "string", default: "200" },
    concurrency: { type: "string", default: "8,1" },
    ops: { type: "string", default: "DescribeServices,RegisterTaskDefinition,ListTasks" },
  },
});
const CLIENT = values.client!;
if (CLIENT !== "raw" && CLIENT !== "sdk") throw new Error(`--client must be raw or sdk, not ${CLIENT}`);
const N = Number(values.n);
const MIN_S = Number(values["min-seconds"]);
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

/** One benchmark target: sends one request of operation `op`; rejects on any failure. */
type Send = (op: string) => Promise<unknown>;

const SDK_OPS: Record<string, (c: ECSClient) => Promise<unknown>> = {
  DescribeServices: (c) => c.send(new DescribeServicesCommand({ cluster: "bench", services: ["web"] })),
  RegisterTaskDefinition: (c) => c.send(new RegisterTaskDefinitionCommand(TASK_DEF)),
  ListTasks: (c) => c.send(new ListTasksCommand({ cluster: "bench" })),
};

/** The same requests as AWS JSON 1.1 bodies. */
const RAW_BODIES: Record<string, string> = {
  DescribeServices: JSON.stringify({ cluster: "bench", services: ["web"] }),
  RegisterTaskDefinition: JSON.stringify(TASK_DEF),
  ListTasks: JSON.stringify({ cluster: "bench" }),
};

/** What a correct answer contains (checked once per operation and server before timing). */
const RAW_CHECK: Record<string, (body: any) => boolean> = {
  DescribeServices: (b) => b?.services?.[0]?.serviceName === "web" && (b.failures ?? []).length === 0,
  RegisterTaskDefinition: (b) => b?.taskDefinition?.family === "bench-web" && typeof b.taskDefinition.revision === "number",
  ListTasks: (b) => Array.isArray(b?.taskArns),
};

function sdkSend(c: ECSClient): Send {
  return (op) => SDK_OPS[op]!(c);
}

interface RawTarget {
  send: Send;
  /** Sends one request and returns status and parsed body (for the correctness check). */
  probe(op: string): Promise<{ status: number; body: any }>;
}

function rawTarget(endpoint: string): RawTarget {
  const u = new URL(endpoint);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const amzDate = "20261122T000000Z";
  const prebuilt = Object.fromEntries(
    Object.entries(RAW_BODIES).map(([op, body]) => {
      const buf = Buffer.from(body);
      const headers = {
        host: u.host,
        "content-type": "application/x-amz-json-1.1",
        "content-length": String(buf.length),
        "x-amz-target": `AmazonEC2ContainerServiceV20141113.${op}`,
        "x-amz-date": amzDate,
        authorization: "AWS4-HMAC-SHA256 Credential=test/20261122/us-east-1/ecs/aws4_request, SignedHeaders=host;x-amz-date, Signature=0",
      };
      return [op, { buf, headers }];
    }),
  );
  const once = (op: string, keep: boolean) =>
    new Promise<{ status: number; body: any }>((res, rej) => {
      const p = prebuilt[op]!;
      const req = request({ host: u.hostname, port: u.port, method: "POST", path: "/", agent, headers: p.headers }, (r) => {
        const chunks: Buffer[] = [];
        r.on("data", (d: Buffer) => keep && chunks.push(d));
        r.on("end", () => {
          const status = r.statusCode ?? 0;
          let body: any;
          if (keep) {
            const text = Buffer.concat(chunks).toString();
            try {
              body = JSON.parse(text);
            } catch {
              body = text;
            }
          }
          res({ status, body });
        });
        r.on("error", rej);
      });
      req.on("error", rej);
      req.end(p.buf);
    });
  return {
    send: async (op) => {
      const { status } = await once(op, false);
      if (status !== 200) throw new Error(`HTTP ${status}`);
    },
    probe: (op) => once(op, true),
  };
}

interface Result {
  n: number;
  secs: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

async function runOnce(send: Send, op: string, n: number, conc: number): Promise<Result> {
  const lat: number[] = [];
  let next = 0;
  let errors = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next < n) {
      next++;
      const s = performance.now();
      try {
        await send(op);
      } catch (err) {
        errors++;
        if (errors <= 3) console.error(`  error: ${(err as Error).name}: ${(err as Error).message}`);
      }
      lat.push(performance.now() - s);
    }
  };
  await Promise.all(Array.from({ length: conc }, worker));
  const secs = (performance.now() - t0) / 1000;
  return { n, secs, rps: n / secs, p50: median(lat), p99: percentile(lat, 99), errors };
}

/** --n requests; if that is shorter than --min-seconds, again with N scaled to last ~1.25x that. */
async function run(send: Send, op: string, conc: number): Promise<Result> {
  await runOnce(send, op, WARMUP, conc);
  const r = await runOnce(send, op, N, conc);
  if (r.secs >= MIN_S) return r;
  const n2 = Math.ceil((N * 1.25 * MIN_S) / r.secs / 1000) * 1000;
  return runOnce(send, op, n2, conc);
}

const procs: Proc[] = [];
onExitStop(() => procs);
try {
  const slipway = await startSlipwayProcess();
  procs.push(slipway);
  const moto = await startMoto();
  procs.push(moto);
  const nul = await startNullServer();
  procs.push(nul);
  for (const url of [slipway.url, moto.url]) await fixture(ecsClient(url));

  const make = (url: string): Send => (CLIENT === "raw" ? rawTarget(url).send : sdkSend(ecsClient(url)));
  const ops = Object.keys(SDK_OPS).filter((k) => values.ops!.split(",").includes(k));
  if (CLIENT === "raw") {
    for (const [name, url] of [["slipway", slipway.url], ["moto", moto.url]] as const) {
      const t = rawTarget(url);
      for (const op of ops) {
        const { status, body } = await t.probe(op);
        if (status !== 200 || !RAW_CHECK[op]!(body)) throw new Error(`${name} ${op}: unexpected answer ${status} ${JSON.stringify(body).slice(0, 300)}`);
        console.error(`check ${name} ${op}: 200 ${JSON.stringify(body).slice(0, 120)}`);
      }
    }
  }
  const targets = [
    { name: "slipway", send: make(slipway.url) },
    { name: "moto", send: make(moto.url) },
  ];
  const ceilingSend = make(nul.url);

  const rows: (string | number)[][] = [];
  const ratios: (string | number)[][] = [];
  const ceiling: (string | number)[][] = [];
  let totalErrors = 0;
  for (const op of ops) {
    for (const conc of CONCURRENCY) {
      const res: Record<string, Result> = {};
      for (const t of targets) {
        const r = (res[t.name] = await run(t.send, op, conc));
        totalErrors += r.errors;
        rows.push([op, conc, t.name, r.n, r.secs, r.rps, r.p50, r.p99, r.errors]);
        console.error(`${op} c=${conc} ${t.name}: n=${r.n} ${r.secs.toFixed(2)} s ${r.rps.toFixed(0)} req/s p50 ${r.p50.toFixed(2)} ms p99 ${r.p99.toFixed(2)} ms errors ${r.errors}`);
      }
      const ce = await run(ceilingSend, op, conc);
      console.error(`${op} c=${conc} null: ${ce.rps.toFixed(0)} req/s`);
      ceiling.push([op, conc, ce.rps, ce.p50, ce.p99, 20 * res.moto!.rps, res.slipway!.rps / ce.rps]);
      const ratio = res.slipway!.rps / res.moto!.rps;
      ratios.push([op, conc, ratio, res.moto!.p50 / res.slipway!.p50, res.moto!.p99 / res.slipway!.p99, ratio >= 20 ? "yes" : "no"]);
    }
  }
  const clientDesc = CLIENT === "raw" ? "raw JSON 1.1 over node:http keep-alive" : "@aws-sdk/client-ecs (keep-alive)";
  console.log(`\nAPI speed, client: ${clientDesc}. --n ${N} (scaled up for cells shorter than ${MIN_S} s) after ${WARMUP} warm-up\n`);
  console.log(table(["operation", "concurrency", "server", "requests", "seconds", "req/s", "p50 ms", "p99 ms", "errors"], rows));
  console.log("\n" + table(["operation", "concurrency", "throughput slipway/moto", "p50 moto/slipway", "p99 moto/slipway", ">= 20x"], ratios));
  console.log(`\nClient ceiling: the same ${CLIENT} client against a null HTTP server (separate Node process, answers {})\n`);
  console.log(table(["operation", "concurrency", "null-server req/s", "p50 ms", "p99 ms", "20x moto req/s (goal)", "slipway / ceiling"], ceiling));
  const allRatios = ratios.map((r) => r[2] as number);
  console.log(`\nmedian throughput ratio over all cells: ${median(allRatios).toFixed(1)}x; non-200/failed requests: ${totalErrors}`);
} finally {
  for (const p of procs.reverse()) await p.stop();
}
