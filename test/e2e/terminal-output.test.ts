/**
 * What `slipway up` prints, as a real process on real Docker: the console's URL, a line per
 * deployment start and finish and per failed task, the shutdown summary of what is left running
 * (and how to clean it up), `--quiet`, which turns the deployment and task lines off, and a
 * SIGTERM during start-up, which still stops cleanly.
 */
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import * as ecs from "@aws-sdk/client-ecs";
import { dockerAvailable, ensureTestImages, TEST_IMAGES } from "../helpers/docker.ts";
import { cleanDataDir, freePort, pollUntil, REPO_ROOT, type SlipwayProcess, startSlipwayProcess, tempDataDir } from "../helpers/slipway-process.ts";

const skip = await dockerAvailable();
if (skip) console.log(`# skipping terminal output e2e: ${skip}`);

const CLUSTER = `term-${process.pid}`;

describe("slipway up's terminal output", { skip, timeout: 240_000 }, () => {
  let dataDir = "";
  let proc: SlipwayProcess | undefined;
  const started: SlipwayProcess[] = [];
  let client: ecs.ECSClient;

  before(async () => {
    await ensureTestImages();
    dataDir = tempDataDir("slipway-term-");
  });

  after(async () => {
    client?.destroy();
    for (const p of started) await p.kill("SIGKILL");
    if (dataDir) await cleanDataDir(dataDir);
  });

  const connect = (p: SlipwayProcess) => {
    started.push(p);
    client?.destroy();
    client = new ecs.ECSClient({ endpoint: p.url, region: "us-east-1", credentials: { accessKeyId: "test", secretAccessKey: "test" }, maxAttempts: 1 });
  };
  const waitFor = (p: SlipwayProcess, re: RegExp, what: string) =>
    pollUntil(async () => re.exec(p.output()) ?? undefined, { timeoutMs: 90_000, intervalMs: 200, what: `${what} in the output:\n${p.output()}` });

  test("deployment lines, a failed task's reason, the console URL, and the shutdown summary", async () => {
    proc = await startSlipwayProcess({ dataDir });
    connect(proc);
    assert.match(proc.output(), new RegExp(`Console: http://127\\.0\\.0\\.1:${proc.port}/_slipway/console/`));
    await client.send(new ecs.CreateClusterCommand({ clusterName: CLUSTER }));
    await client.send(
      new ecs.RegisterTaskDefinitionCommand({
        family: "term-app",
        containerDefinitions: [
          {
            name: "app",
            image: TEST_IMAGES.busybox,
            essential: true,
            memory: 32,
            stopTimeout: 1,
            entryPoint: ["sleep", "600"],
            healthCheck: { command: ["CMD-SHELL", "true"], interval: 5, timeout: 2, retries: 1 },
          },
        ],
      }),
    );
    await client.send(
      new ecs.RegisterTaskDefinitionCommand({
        family: "term-crash",
        containerDefinitions: [{ name: "crash", image: TEST_IMAGES.busybox, essential: true, memory: 32, entryPoint: ["sh", "-c", "exit 7"] }],
      }),
    );
    await client.send(new ecs.CreateServiceCommand({ cluster: CLUSTER, serviceName: "app", taskDefinition: "term-app", desiredCount: 1 }));
    const started = await waitFor(proc, /deployment (ecs-svc\/\d+) of service app \(cluster term-\d+\) started: term-app:1, 1 task\n/, "the deployment start");
    await waitFor(proc, new RegExp(`deployment ${started[1]!.replace("/", "\\/")} of service app \\(cluster ${CLUSTER}\\) completed: term-app:1, 1 of 1 running\\n`), "the deployment's completion");
    const run = await client.send(new ecs.RunTaskCommand({ cluster: CLUSTER, taskDefinition: "term-crash" }));
    const id = run.tasks![0]!.taskArn!.split("/").pop()!;
    await waitFor(
      proc,
      new RegExp(`task ${id} \\(term-crash:1, cluster ${CLUSTER}\\) failed: EssentialContainerExited: Essential container in task exited \\[crash: exit code 7\\]\\n`),
      "the failed task",
    );

    await proc.kill("SIGINT");
    const out = proc.output();
    assert.match(out, /Slipway stopped\. Left running: 1 task, 1 container\.\n/);
    assert.match(out, new RegExp(`  cluster ${CLUSTER}: service app: 1 task\\n`));
    assert.match(out, new RegExp(`\`slipway clean --data-dir ${dataDir.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}\``));
  });

  test("--quiet: no deployment lines; the summary still comes", async () => {
    proc = await startSlipwayProcess({ dataDir, args: ["--quiet"] });
    connect(proc);
    const before = (await client.send(new ecs.DescribeServicesCommand({ cluster: CLUSTER, services: ["app"] }))).services![0]!;
    await client.send(new ecs.UpdateServiceCommand({ cluster: CLUSTER, service: "app", forceNewDeployment: true }));
    await pollUntil(
      async () => {
        const s = (await client.send(new ecs.DescribeServicesCommand({ cluster: CLUSTER, services: ["app"] }))).services![0]!;
        return s.deployments?.length === 1 && s.deployments[0]!.id !== before.deployments![0]!.id && s.deployments[0]!.rolloutState === "COMPLETED";
      },
      { timeoutMs: 90_000, intervalMs: 500, what: "the forced deployment to complete" },
    );
    await proc.kill("SIGTERM");
    const out = proc.output();
    assert.doesNotMatch(out, /deployment ecs-svc/);
    assert.match(out, /Slipway stopped\. Left running: 1 task, 1 container\./);
  });

  test("SIGTERM during start-up (after the data directory is set up, before the ready line): a clean stop, nothing left in the kernel", async () => {
    const dir = tempDataDir("slipway-term-early-");
    const port = await freePort();
    const child = spawn(process.execPath, [join(REPO_ROOT, "bin", "slipway.js"), "up", "--port", String(port), "--data-dir", dir], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
    try {
      // The instance id is written at the start of start-up, long before the ready line.
      const instanceId = await pollUntil(async () => (existsSync(join(dir, "instance-id")) ? readFileSync(join(dir, "instance-id"), "utf8").trim() : undefined), {
        timeoutMs: 30_000,
        intervalMs: 1,
        what: "the instance id file",
      });
      child.kill("SIGTERM");
      const { code, signal } = await exited;
      assert.equal(signal, null, `killed by ${signal} (the default action) instead of stopping:\n${out}`);
      assert.equal(code, 0, out);
      assert.match(out, /Slipway stopped\. Nothing is left running\./);
      assert.doesNotMatch(out, /Slipway ready on/);
      // Whatever the VPC data plane added to the kernel under this instance's name is gone.
      const rules = await new Promise<string>((resolve) => execFile("iptables-save", (err, stdout) => resolve(err ? "" : stdout)));
      assert.doesNotMatch(rules, new RegExp(`slipway vpc ${instanceId}`));
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
      await cleanDataDir(dir);
    }
  });
});

