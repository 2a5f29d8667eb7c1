/**
 * Secrets read throughput: GetSecretValue (Secrets Manager) and GetParameter (SSM, a String and a
 * SecureString WithDecryption) against a real `slipway up` process and against `moto_server`, side
 * by side in one run, with the same raw client for both.
 *
 *   node bench/secrets-speed.ts [--n 2000] [--min-seconds 2] [--warmup 200] [--concurrency 8,1]
 *
 * The client sends pre-built AWS JSON 1.1 requests (POST /, x-amz-target secretsmanager.<Op> or
 * AmazonSSM.<Op>, an unverified SigV4 header; neither server checks signatures by default) over
 * node:http with a keep-alive agent. Every response must be HTTP 200 and is checked once per
 * operation and server for the expected value before timing. Both servers get the same fixture
 * through the AWS SDK: a secret "bench/db" (a 60-byte JSON string), a String "/bench/url" and a
 * SecureString "/bench/password". On Slipway the values are really encrypted (envelope encryption
 * under KMS, AES-256-GCM) and decrypted on every read; moto stores them as given.
 */
import { Agent, request } from "node:http";
import { parseArgs } from "node:util";
import { CreateSecretCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { median, onExitStop, percentile, type Proc, startMoto, startSlipwayProcess, table } from "./lib.ts";

const { values } = parseArgs({
  options: {
    n: { type: "string", default: "2000" },
    "min-seconds": { type: "string", default: "2" },
    warmup: { type: "string", default: "200" },
    concurrency: { type: "string", default: "8,1" },
  },
});
const N = Number(values.n);
const MIN_S = Number(values["min-seconds"]);
const WARMUP = Number(values.warmup);
const CONCURRENCY = values.concurrency!.split(",").map(Number);

const SECRET = JSON.stringify({ username: "app", password: "correct-horse-battery-staple" });

interface Op {
  readonly name: string;
  readonly target: string;
  readonly service: string;
  readonly body: string;
  readonly check: (b: any) => boolean;
}

const OPS: readonly Op[] = [
  {
    name: "GetSecretValue",
    target: "secretsmanager.GetSecretValue",
    service: "secretsmanager",
    body: JSON.stringify({ SecretId: "bench/db" }),
    check: (b) => b?.SecretString === SECRET,
  },
  {
    name: "GetParameter (String)",
    target: "AmazonSSM.GetParameter",
    service: "ssm",
    body: JSON.stringify({ Name: "/bench/url" }),
    check: (b) => b?.Parameter?.Value === "http://db.internal:5432",
  },
  {
    name: "GetParameter (SecureString, WithDecryption)",
    target: "AmazonSSM.GetParameter",
    service: "ssm",
    body: JSON.stringify({ Name: "/bench/password", WithDecryption: true }),
    check: (b) => b?.Parameter?.Value === "correct-horse-battery-staple",
  },
];

async function fixture(endpoint: string): Promise<void> {
  const common = { endpoint, region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" }, maxAttempts: 1 };
  const sm = new SecretsManagerClient(common);
  const ssm = new SSMClient(common);
  await sm.send(new CreateSecretCommand({ Name: "bench/db", SecretString: SECRET }));
  await ssm.send(new PutParameterCommand({ Name: "/bench/url", Value: "http://db.internal:5432", Type: "String" }));
  await ssm.send(new PutParameterCommand({ Name: "/bench/password", Value: "correct-horse-battery-staple", Type: "SecureString" }));
  sm.destroy();
  ssm.destroy();
}

function rawTarget(endpoint: string) {
  const u = new URL(endpoint);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const once = (op: Op, keep: boolean) =>
    new Promise<{ status: number; body: any }>((res, rej) => {
      const buf = Buffer.from(op.body);
      const headers = {
        host: u.host,
        "content-type": "application/x-amz-json-1.1",
        "content-length": String(buf.length),
        "x-amz-target": op.target,
        "x-amz-date": "20261122T000000Z",
        authorization: `AWS4-HMAC-SHA256 Credential=test/20261122/us-east-1/${op.service}/aws4_request, SignedHeaders=host;x-amz-date, Signature=0`,
      };
      const req = request({ host: u.hostname, port: u.port, method: "POST", path: "/", agent, headers }, (r) => {
        const chunks: Buffer[] = [];
        r.on("data", (d: Buffer) => keep && chunks.push(d));
        r.on("end", () => {
          let body: any;
          if (keep) {
            const text = Buffer.concat(chunks).toString();
            try {
              body = JSON.parse(text);
            } catch {
              body = text;
            }
          }
          res({ status: r.statusCode ?? 0, body });
        });
        r.on("error", rej);
      });
      req.on("error", rej);
      req.end(buf);
    });
  return {
    send: async (op: Op) => {
      const { status } = await once(op, false);
      if (status !== 200) throw new Error(`HTTP ${status}`);
    },
    probe: (op: Op) => once(op, true),
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

async function runOnce(send: (op: Op) => Promise<void>, op: Op, n: number, conc: number): Promise<Result> {
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
        if (errors <= 3) console.error(`  error: ${(err as Error).message}`);
      }
      lat.push(performance.now() - s);
    }
  };
  await Promise.all(Array.from({ length: conc }, worker));
  const secs = (performance.now() - t0) / 1000;
  return { n, secs, rps: n / secs, p50: median(lat), p99: percentile(lat, 99), errors };
}

async function run(send: (op: Op) => Promise<void>, op: Op, conc: number): Promise<Result> {
  await runOnce(send, op, WARMUP, conc);
  const r = await runOnce(send, op, N, conc);
  if (r.secs >= MIN_S) return r;
  return runOnce(send, op, Math.ceil((N * 1.25 * MIN_S) / r.secs / 1000) * 1000, conc);
}

const procs: Proc[] = [];
onExitStop(() => procs);
const slipway = await startSlipwayProcess();
procs.push(slipway);
const moto = await startMoto();
procs.push(moto);
await fixture(slipway.url);
await fixture(moto.url);
const targets = { slipway: rawTarget(slipway.url), moto: rawTarget(moto.url) };
for (const op of OPS) {
  for (const [name, t] of Object.entries(targets)) {
    const { status, body } = await t.probe(op);
    if (status !== 200 || !op.check(body)) throw new Error(`${name} answered ${op.name} wrongly (HTTP ${status}): ${JSON.stringify(body).slice(0, 300)}`);
  }
}

const rows: (string | number)[][] = [];
for (const op of OPS) {
  for (const conc of CONCURRENCY) {
    const s = await run(targets.slipway.send, op, conc);
    const m = await run(targets.moto.send, op, conc);
    rows.push([
      op.name,
      conc,
      Math.round(s.rps),
      Math.round(m.rps),
      `${(s.rps / m.rps).toFixed(1)}x`,
      s.p50.toFixed(2),
      m.p50.toFixed(2),
      s.p99.toFixed(2),
      m.p99.toFixed(2),
      s.errors + m.errors,
    ]);
    console.error(`${op.name} c=${conc}: slipway ${Math.round(s.rps)}/s, moto ${Math.round(m.rps)}/s`);
  }
}
console.log(
  table(["operation", "conc", "slipway req/s", "moto req/s", "ratio", "slipway p50 ms", "moto p50 ms", "slipway p99 ms", "moto p99 ms", "errors"], rows),
);
const ratios = rows.map((r) => Number(String(r[4]).slice(0, -1)));
console.log(`median ratio: ${median(ratios).toFixed(1)}x`);
for (const p of procs) await p.stop();
