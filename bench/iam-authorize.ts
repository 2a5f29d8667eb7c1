/**
 * What IAM enforcement costs a request, with 20 managed policies attached to the caller.
 *
 *   node bench/iam-authorize.ts [--calls 20000] [--requests 2000] [--in-process-only]
 *
 * 1. In process: the gateway's authorize hook (src/authz/authorizer.ts) for ecs:UpdateService by
 *    an IAM user with 20 customer-managed policies of 5 statements each (wildcards, conditions,
 *    the allowing statement in the last policy), timed call by call: warm (the principal's
 *    compiled policies cached, as between IAM writes) and cold (the cache dropped before each
 *    call, as after every IAM write).
 * 2. Over HTTP, side by side: DescribeServices through the AWS SDK against `slipway up` with
 *    enforcement off (root key), `slipway up --enforce-iam` with that user's key, and moto_server
 *    (no enforcement): median latency and the ratios.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import * as ecs from "@aws-sdk/client-ecs";
import * as iam from "@aws-sdk/client-iam";
import { Authorizer } from "../src/authz/authorizer.ts";
import { systemClock } from "../src/core/clock.ts";
import { randomIds } from "../src/core/ids.ts";
import { Iam } from "../src/services/iam/iam.ts";
import { Store } from "../src/store/store.ts";
import { getTags } from "../src/store/tags.ts";
import { fmt, median, onExitStop, percentile, type Proc, startMoto, startSlipwayProcess, table } from "./lib.ts";

const { values } = parseArgs({
  options: { calls: { type: "string", default: "20000" }, requests: { type: "string", default: "2000" }, "in-process-only": { type: "boolean", default: false } },
});
const CALLS = Number(values.calls);
const REQUESTS = Number(values.requests);
const ACCOUNT = "000000000000";
const SERVICE_ARN = `arn:aws:ecs:us-east-1:${ACCOUNT}:service/prod/web`;

/** Policy i of 20: four statements that do not match UpdateService on prod/web, and (for the last) one that does. */
function policy(i: number): string {
  const statements: unknown[] = [
    { Effect: "Allow", Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], Resource: `arn:aws:ecr:us-east-1:${ACCOUNT}:repository/team-${i}/*` },
    { Effect: "Allow", Action: "logs:*", Resource: `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/team-${i}/*` },
    { Effect: "Allow", Action: "ecs:Describe*", Resource: "*", Condition: { StringEquals: { "aws:RequestedRegion": "eu-west-1" } } },
    { Effect: "Deny", Action: "ecs:DeleteService", Resource: `arn:aws:ecs:*:*:service/team-${i}/*`, Condition: { StringNotEquals: { "aws:PrincipalTag/team": `team-${i}` } } },
    i === 19
      ? { Effect: "Allow", Action: ["ecs:UpdateService", "ecs:DescribeServices"], Resource: "arn:aws:ecs:us-east-1:*:service/prod/*" }
      : { Effect: "Allow", Action: "ssm:GetParameter", Resource: `arn:aws:ssm:us-east-1:${ACCOUNT}:parameter/team-${i}/*` },
  ];
  return JSON.stringify({ Version: "2012-10-17", Statement: statements });
}

// ---- 1. In process ---------------------------------------------------------------------------
const dir = mkdtempSync(join(tmpdir(), "slipway-bench-iam-"));
const store = new Store(join(dir, "db.sqlite"));
const domain = new Iam({ store, clock: systemClock, ids: randomIds });
const scope = { accountId: ACCOUNT, region: "us-east-1" };
domain.users.create(scope, { UserName: "dev" });
for (let i = 0; i < 20; i++) {
  const p = domain.policies.create(scope, { PolicyName: `team-${i}`, PolicyDocument: policy(i) });
  domain.attachPolicy(scope, "user", "dev", p.Arn!);
}
const key = domain.users.createAccessKey(scope, "dev");
const authorizer = new Authorizer({
  principals: (akid, account) => domain.principals.forAccessKey(akid, account),
  // As in Slipway: the service's tags read from the store on each call (aws:ResourceTag).
  lookup: {
    ecrRepository: () => undefined,
    secret: () => undefined,
    kmsKey: () => undefined,
    iamArn: () => undefined,
    tags: (arn) => Object.fromEntries(getTags(store, arn).map((t) => [t.key, t.value])),
  },
  clock: systemClock,
});
const call = {
  ctx: { requestId: "r", accountId: ACCOUNT, region: "us-east-1", service: "ecs", operation: "UpdateService", accessKeyId: key.AccessKeyId!, principalArn: "" },
  input: { cluster: "prod", service: "web", desiredCount: 2 },
  protocol: "awsJson1_1" as const,
};
const denyCall = { ...call, input: { cluster: "other", service: "web" } };

function time(n: number, before: () => void, fn: () => void): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    before();
    const t0 = process.hrtime.bigint();
    fn();
    out.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  return out;
}
const swallow = (fn: () => void) => () => {
  try {
    fn();
  } catch {
    // the denial is the measured path
  }
};
time(2000, () => {}, () => authorizer.authorizeCall(call)); // warm-up
const warm = time(CALLS, () => {}, () => authorizer.authorizeCall(call));
const warmDeny = time(CALLS, () => {}, swallow(() => authorizer.authorizeCall(denyCall)));
const cold = time(Math.min(CALLS, 5000), () => domain.epoch++, () => authorizer.authorizeCall(call));
const us = (xs: number[]) => [fmt(median(xs)), fmt(percentile(xs, 90)), fmt(percentile(xs, 99))];
console.log(`\n1. authorize hook, in process (µs per call; ${CALLS} calls; 20 policies × 5 statements)\n`);
console.log(
  table(
    ["case", "p50", "p90", "p99"],
    [
      ["allowed, policies cached", ...us(warm)],
      ["denied, policies cached", ...us(warmDeny)],
      ["allowed, cache dropped each call", ...us(cold)],
    ],
  ),
);
store.close();
rmSync(dir, { recursive: true, force: true });
if (values["in-process-only"]) process.exit(0);

// ---- 2. Over HTTP, Slipway (off / enforcing) and moto ---------------------------------------
const procs: Proc[] = [];
onExitStop(() => procs);
const open = await startSlipwayProcess();
procs.push(open);
const enforcing = await startSlipwayProcess({ env: { SLIPWAY_ENFORCE_IAM: "true" } });
procs.push(enforcing);
const moto = await startMoto();
procs.push(moto);
const rootCreds = { accessKeyId: "test", secretAccessKey: "test" };

async function prepare(url: string): Promise<{ accessKeyId: string; secretAccessKey: string }> {
  const c = { region: "us-east-1", endpoint: url, credentials: rootCreds, maxAttempts: 1 };
  const i = new iam.IAMClient(c);
  await i.send(new iam.CreateUserCommand({ UserName: "dev" }));
  for (let n = 0; n < 20; n++) {
    const p = await i.send(new iam.CreatePolicyCommand({ PolicyName: `team-${n}`, PolicyDocument: policy(n) }));
    await i.send(new iam.AttachUserPolicyCommand({ UserName: "dev", PolicyArn: p.Policy!.Arn }));
  }
  const k = (await i.send(new iam.CreateAccessKeyCommand({ UserName: "dev" }))).AccessKey!;
  const e = new ecs.ECSClient(c);
  await e.send(new ecs.CreateClusterCommand({ clusterName: "prod" }));
  const td = await e.send(new ecs.RegisterTaskDefinitionCommand({ family: "web", containerDefinitions: [{ name: "web", image: "web:1", memory: 64 }] }));
  await e.send(new ecs.CreateServiceCommand({ cluster: "prod", serviceName: "web", taskDefinition: td.taskDefinition!.taskDefinitionArn, desiredCount: 0 }));
  return { accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey! };
}

async function latency(url: string, credentials: { accessKeyId: string; secretAccessKey: string }): Promise<number[]> {
  const client = new ecs.ECSClient({ region: "us-east-1", endpoint: url, credentials, maxAttempts: 1 });
  const cmd = () => new ecs.DescribeServicesCommand({ cluster: "prod", services: ["web"] });
  for (let i = 0; i < 200; i++) await client.send(cmd());
  const out: number[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const t0 = process.hrtime.bigint();
    await client.send(cmd());
    out.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  client.destroy();
  return out;
}

await prepare(open.url);
const enforcedKey = await prepare(enforcing.url);
await prepare(moto.url);
const rows: [string, number[]][] = [];
// Interleaved rounds so load drifts hit all three alike.
const acc = { open: [] as number[], enforcingRoot: [] as number[], enforcing: [] as number[], moto: [] as number[] };
for (let round = 0; round < 4; round++) {
  acc.open.push(...(await latency(open.url, rootCreds)));
  acc.enforcingRoot.push(...(await latency(enforcing.url, rootCreds)));
  acc.enforcing.push(...(await latency(enforcing.url, enforcedKey)));
  acc.moto.push(...(await latency(moto.url, rootCreds)));
}
rows.push(
  ["Slipway, enforcement off (root key)", acc.open],
  ["Slipway --enforce-iam (root key)", acc.enforcingRoot],
  ["Slipway --enforce-iam (user, 20 policies)", acc.enforcing],
  ["moto (no enforcement)", acc.moto],
);
console.log(`\n2. DescribeServices over HTTP, AWS SDK, sequential (ms; ${4 * REQUESTS} requests each)\n`);
console.log(table(["server", "p50", "p90", "p99"], rows.map(([n, xs]) => [n, fmt(median(xs)), fmt(percentile(xs, 90)), fmt(percentile(xs, 99))])));
const m = (xs: number[]) => median(xs);
console.log(`\nenforcement adds ${fmt((m(acc.enforcing) - m(acc.open)) * 1000)} µs at p50 over HTTP; Slipway enforcing vs moto p50: moto/Slipway = ${fmt(m(acc.moto) / m(acc.enforcing))}×`);
for (const p of procs) await p.stop();
