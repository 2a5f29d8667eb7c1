/**
 * The time secrets add to a task's start: RunTask of the same container (slipway-test/busybox,
 * `sleep`) with no secrets and with three (a Secrets Manager JSON key, a whole Secrets Manager
 * secret, an SSM SecureString), against a real `slipway up` process with Docker, alternating one
 * of each per round so load drifts hit both alike.
 *
 *   node bench/secrets-task-start.ts [--rounds 15] [--network bridge|awsvpc]
 *
 * A task's start time is Slipway's own record of it: DescribeTasks' startedAt − createdAt (from
 * the RunTask call to the containers running), read once the task is RUNNING. Each task is stopped
 * before the next round. Prints both medians and their difference. Docker's create/start and the
 * reconciler's 250 ms start poll dominate that figure, so the secrets' own cost is also measured
 * directly: the same resolution (three reads, their KMS decryptions) run in this process on
 * Slipway's domain objects, timed over many runs.
 */
import { parseArgs } from "node:util";
import * as ecs from "@aws-sdk/client-ecs";
import * as sm from "@aws-sdk/client-secrets-manager";
import * as ssm from "@aws-sdk/client-ssm";
import { median, onExitStop, percentile, type Proc, startSlipwayProcess, table } from "./lib.ts";

const { values } = parseArgs({ options: { rounds: { type: "string", default: "15" }, network: { type: "string", default: "bridge" } } });
const ROUNDS = Number(values.rounds);
const NETWORK = values.network === "awsvpc" ? "awsvpc" : "bridge";

const procs: Proc[] = [];
onExitStop(() => procs);
const slipway = await startSlipwayProcess();
procs.push(slipway);
const common = { region: "us-east-1", endpoint: slipway.url, credentials: { accessKeyId: "test", secretAccessKey: "test" }, maxAttempts: 1 };
const ecsc = new ecs.ECSClient(common);
const smc = new sm.SecretsManagerClient(common);
const ssmc = new ssm.SSMClient(common);

const secret = await smc.send(new sm.CreateSecretCommand({ Name: "bench/db", SecretString: JSON.stringify({ username: "app", password: "correct-horse" }) }));
await ssmc.send(new ssm.PutParameterCommand({ Name: "/bench/api-key", Value: "k-123", Type: "SecureString" }));
await ecsc.send(new ecs.CreateClusterCommand({ clusterName: "bench" }));

const container = (secrets: ecs.Secret[]): ecs.ContainerDefinition => ({
  name: "app",
  image: "slipway-test/busybox:latest",
  essential: true,
  memory: 32,
  command: ["sleep", "3600"],
  stopTimeout: 1,
  ...(secrets.length ? { secrets } : {}),
});
const register = async (family: string, secrets: ecs.Secret[]) =>
  (
    await ecsc.send(
      new ecs.RegisterTaskDefinitionCommand({
        family,
        networkMode: NETWORK,
        executionRoleArn: "arn:aws:iam::000000000000:role/ecsTaskExecutionRole",
        ...(NETWORK === "awsvpc" ? { requiresCompatibilities: ["FARGATE"], cpu: "256", memory: "512" } : {}),
        containerDefinitions: [container(secrets)],
      }),
    )
  ).taskDefinition!.taskDefinitionArn!;
const plain = await register("bench-plain", []);
const withSecrets = await register("bench-secrets", [
  { name: "DB_PASSWORD", valueFrom: `${secret.ARN}:password::` },
  { name: "DB_JSON", valueFrom: secret.ARN },
  { name: "API_KEY", valueFrom: "/bench/api-key" },
]);

async function startMs(taskDefinition: string): Promise<number> {
  const run = await ecsc.send(
    new ecs.RunTaskCommand({
      cluster: "bench",
      taskDefinition,
      ...(NETWORK === "awsvpc"
        ? { launchType: "FARGATE", networkConfiguration: { awsvpcConfiguration: { subnets: ["subnet-0123456789abcdef0"] } } }
        : {}),
    }),
  );
  const arn = run.tasks![0]!.taskArn!;
  for (;;) {
    const t = (await ecsc.send(new ecs.DescribeTasksCommand({ cluster: "bench", tasks: [arn] }))).tasks![0]!;
    if (t.lastStatus === "STOPPED") throw new Error(`task stopped: ${t.stoppedReason}`);
    if (t.lastStatus === "RUNNING" && t.startedAt && t.createdAt) {
      await ecsc.send(new ecs.StopTaskCommand({ cluster: "bench", task: arn }));
      for (;;) {
        const s = (await ecsc.send(new ecs.DescribeTasksCommand({ cluster: "bench", tasks: [arn] }))).tasks![0]!;
        if (s.lastStatus === "STOPPED") break;
        await new Promise((r) => setTimeout(r, 50));
      }
      return t.startedAt.getTime() - t.createdAt.getTime();
    }
    await new Promise((r) => setTimeout(r, 10));
  }
}

// Warm-up: one of each (image cache, prepared statements, the SDK).
await startMs(plain);
await startMs(withSecrets);
const a: number[] = [];
const b: number[] = [];
for (let i = 0; i < ROUNDS; i++) {
  a.push(await startMs(plain));
  b.push(await startMs(withSecrets));
  console.error(`round ${i + 1}: no secrets ${a.at(-1)} ms, three secrets ${b.at(-1)} ms`);
}
console.log(
  table(
    ["task", "median ms", "p90 ms", "min ms", "max ms"],
    [
      ["no secrets", median(a), percentile(a, 90), Math.min(...a), Math.max(...a)],
      ["three secrets", median(b), percentile(b, 90), Math.min(...b), Math.max(...b)],
    ],
  ),
);
console.log(`added by three secrets (difference of medians): ${median(b) - median(a)} ms (${NETWORK}, ${ROUNDS} rounds)`);
for (const c of [ecsc, smc, ssmc]) c.destroy();
for (const p of procs) await p.stop();

// The resolution alone, in process: what the task reconciler calls before creating containers.
{
  const { Store } = await import("../src/store/store.ts");
  const { systemClock } = await import("../src/core/clock.ts");
  const { randomIds } = await import("../src/core/ids.ts");
  const { Kms, MasterKey } = await import("../src/services/kms/index.ts");
  const { SecretsManager } = await import("../src/services/secretsmanager/index.ts");
  const { Ssm } = await import("../src/services/ssm/index.ts");
  const { parameterKeysPort, secretKeysPort, taskSecretsPort } = await import("../src/server/ports.ts");
  const deps = { store: new Store(":memory:"), clock: systemClock, ids: randomIds };
  const k = new Kms({ ...deps, masterKey: MasterKey.ephemeral() });
  const smd = new SecretsManager({ ...deps, keys: secretKeysPort(k) });
  const ssmd = new Ssm({ ...deps, keys: parameterKeysPort(k) });
  const scope = { accountId: "000000000000", region: "us-east-1" };
  const arn = smd.createSecret(scope, { Name: "bench/db", SecretString: JSON.stringify({ username: "app", password: "correct-horse" }), ClientRequestToken: "t".repeat(32) }).ARN!;
  ssmd.parameters.put(scope, { Name: "/bench/api-key", Value: "k-123", Type: "SecureString" }, "bench");
  const resolver = taskSecretsPort(smd, ssmd, randomIds);
  const defs = [container([
    { name: "DB_PASSWORD", valueFrom: `${arn}:password::` },
    { name: "DB_JSON", valueFrom: arn },
    { name: "API_KEY", valueFrom: "/bench/api-key" },
  ])];
  for (let i = 0; i < 500; i++) resolver.resolve(defs, scope, "EC2");
  const n = 5000;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) resolver.resolve(defs, scope, "EC2");
  console.log(`resolving the three secrets in process: ${(((performance.now() - t0) / n) * 1000).toFixed(0)} µs per task (${n} runs)`);
}
