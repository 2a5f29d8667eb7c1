/**
 * End-to-end: the tutorial stack in examples/terraform, applied by real Terraform (hashicorp/aws
 * from the offline provider mirror) against a real `slipway up` child process running real Docker
 * tasks behind the real ALB data plane. Two variants run side by side, each on its own Slipway:
 *
 *   FARGATE/awsvpc  the realistic flow: create the ECR repository (-target), docker login with
 *                   `aws ecr get-login-password`, push examples/app, apply the rest
 *   EC2/bridge      the image is a local tag (examples/app built here); target type instance
 *
 * The stack includes service auto scaling (a scalable target, a target tracking policy on
 * ALBRequestCountPerTarget and a CloudWatch alarm; the service ignores desired_count changes).
 *
 * Per variant: apply → plan -detailed-exitcode is clean (no drift) → the ALB DNS name serves the
 * app from two tasks → apply a v2 image with wait_for_steady_state = true (waits, then the
 * service is stable on the new revision) → destroy removes everything, containers included →
 * a second apply works → destroy.
 *
 * Skipped, with the reason, when terraform, the provider mirror, Docker or the AWS CLI is missing.
 * Terraform's output goes to <workdir>/terraform.log (its tail is printed on failure; the work dir
 * is kept). SLIPWAY_TF_DEBUG=1 adds TF_LOG=DEBUG into <workdir>/terraform-debug.log.
 *
 * Time: the provider itself waits 2×30 s in every aws_lb create and starts 3-5 times per command
 * (~5 s each), so an apply takes ~75 s even though Slipway answers each call in milliseconds.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { after, before, describe, test } from "node:test";
import { dockerAvailable, ensureTestImages } from "../helpers/docker.ts";
import { hostLock } from "../helpers/host-lock.ts";
import { albGet } from "../helpers/terraform.ts";
import { TerraformError, TerraformWorkspace, terraformSkip } from "../helpers/terraform-workspace.ts";
import {
  awsCliAvailable,
  cleanDataDir,
  docker,
  freePort,
  instanceIdOf,
  managedContainers,
  pollUntil,
  REPO_ROOT,
} from "../helpers/slipway-process.ts";

const run = promisify(execFile);
const EXAMPLE_TF = join(REPO_ROOT, "examples", "terraform");
const EXAMPLE_APP = join(REPO_ROOT, "examples", "app");
const APP_IMAGE = { v1: "slipway-example/app:e2e-v1", v2: "slipway-example/app:e2e-v2" } as const;
const STEP_TIMEOUT = { init: 60_000, apply: 300_000, plan: 120_000, destroy: 240_000, target: 120_000 } as const;

async function whySkip(): Promise<string | undefined> {
  return (await terraformSkip()) ?? (await dockerAvailable()) ?? (await awsCliAvailable());
}

const skip = await whySkip();
if (skip) console.log(`# skipping Terraform e2e: ${skip}`);

/** Only the provider mirror; nothing is downloaded. */

interface Variant {
  readonly key: string;
  readonly title: string;
  readonly vars: Record<string, string>;
  /** Push the example app to the stack's ECR repository (else use the local image tags). */
  readonly ecr: boolean;
}

const SUFFIX = Date.now().toString(36).slice(-5);
const VARIANTS: Variant[] = [
  { key: "fg", title: "FARGATE / awsvpc (image pushed to Slipway's ECR)", vars: { launch_type: "FARGATE", network_mode: "awsvpc" }, ecr: true },
  { key: "ec2", title: "EC2 / bridge (local image)", vars: { launch_type: "EC2", network_mode: "bridge" }, ecr: false },
];

/** One working copy of examples/terraform, its own Slipway, and the commands run in it. */
class Workspace extends TerraformWorkspace {
  readonly name: string;
  readonly listenerPort: number;

  /**
   * Where the listener is actually served: its own port, or its documented fallback when another
   * program took that port between freePort() and the apply (/_slipway/listeners reports it).
   */
  async servedPort(): Promise<number> {
    const res = await fetch(`${this.slipway.url}/_slipway/listeners`);
    const { listeners } = (await res.json()) as { listeners: { port: number; boundPort: number | null }[] };
    return listeners.find((l) => l.port === this.listenerPort && l.boundPort !== null)?.boundPort ?? this.listenerPort;
  }
  instanceId = "";
  repositoryUri = "";
  readonly durations: [string, number][] = [];
  /** Image tags this run created in the local Docker (removed at the end). */
  readonly tags: string[] = [];

  readonly variant: Variant;

  constructor(variant: Variant, listenerPort: number) {
    super(EXAMPLE_TF, `slipway-tf-${variant.key}-`);
    this.variant = variant;
    this.name = `tfe2e-${variant.key}-${SUFFIX}`;
    this.listenerPort = listenerPort;
  }

  override async start(): Promise<void> {
    await super.start({ name: this.name, listener_port: this.listenerPort, ...this.variant.vars });
    this.instanceId = instanceIdOf(this.slipway.dataDir);
  }

  apply(vars: Record<string, string> = {}, extra: string[] = []): Promise<string> {
    return this.ok(["apply", "-auto-approve", "-input=false", "-parallelism=10", ...varArgs(vars), ...extra], STEP_TIMEOUT.apply);
  }

  destroy(): Promise<string> {
    return this.ok(["destroy", "-auto-approve", "-input=false", "-parallelism=10"], STEP_TIMEOUT.destroy);
  }

  /** The image for this variant's version: ECR (pushed) or the local tag. */
  image(version: "v1" | "v2"): string {
    if (!this.variant.ecr) return APP_IMAGE[version];
    return `${this.repositoryUri}:${version === "v1" ? "latest" : "v2"}`;
  }

  /** Creates only the repository, logs Docker in with get-login-password, pushes v1 (:latest) and v2. */
  async pushToEcr(): Promise<void> {
    await this.ok(["apply", "-auto-approve", "-input=false", "-target=aws_ecr_repository.app"], STEP_TIMEOUT.target);
    const { repositories } = await this.awsCli<{ repositories: { repositoryUri: string }[] }>([
      "ecr",
      "describe-repositories",
      "--repository-names",
      `${this.name}-app`,
    ]);
    this.repositoryUri = repositories[0]!.repositoryUri;
    for (const v of ["v1", "v2"] as const) {
      const target = this.image(v);
      this.tags.push(target);
      await this.push(APP_IMAGE[v], target);
    }
  }

  async runningContainers(): Promise<string[]> {
    return (await managedContainers(this.instanceId)).filter((c) => c.state === "running").map((c) => c.id);
  }
}

function varArgs(vars: Record<string, string>): string[] {
  return Object.entries(vars).flatMap(([k, v]) => ["-var", `${k}=${v}`]);
}



/** Requests through the ALB until `want` distinct task hostnames answered `version` (all 200). */
async function servedBy(dnsName: string, port: number, version: string, want: number, timeoutMs: number): Promise<Set<string>> {
  return pollUntil(
    async () => {
      const hosts = new Set<string>();
      for (let i = 0; i < 8; i++) {
        const r = await albGet(dnsName, port);
        const m = /^hello from (\S+) version=(\S+)/.exec(r.body);
        if (r.status !== 200 || !m || m[2] !== version) return false;
        hosts.add(m[1]!);
      }
      return hosts.size >= want ? hosts : false;
    },
    { timeoutMs, intervalMs: 1000, what: `${want} tasks answering ${version} through http://${dnsName}:${port}/` },
  );
}

describe("Terraform: the tutorial stack in examples/terraform", { skip, timeout: 15 * 60_000, concurrency: true }, () => {
  before(async () => {
    await ensureTestImages();
    for (const v of ["v1", "v2"] as const) {
      await run("docker", ["build", "--build-arg", `APP_VERSION=${v}`, "-t", APP_IMAGE[v], EXAMPLE_APP], {
        env: { ...process.env, DOCKER_BUILDKIT: "0" },
        timeout: 120_000,
        maxBuffer: 8 * 1024 * 1024,
      });
    }
  });

  for (const variant of VARIANTS) {
    describe(variant.title, { concurrency: 1 }, () => {
      let ws: Workspace;
      let failed = false;
      let outputs: Record<string, string> = {};

      /** A step: skipped once an earlier one failed; timed; Terraform's log tail on failure. */
      const step = (name: string, fn: () => Promise<void>) =>
        test(name, async (t) => {
          if (failed) {
            t.skip("an earlier step failed");
            return;
          }
          const started = Date.now();
          try {
            await fn();
          } catch (err) {
            failed = true;
            if (!(err instanceof TerraformError)) t.diagnostic(ws.tail(30));
            throw err;
          } finally {
            ws.durations.push([name, (Date.now() - started) / 1000]);
          }
        });

      let unlock: (() => void) | undefined;
      before(async () => {
        // awsvpc tasks in the default VPC: one such suite on this host at a time (test/helpers/host-lock.ts).
        if (variant.vars.network_mode === "awsvpc") unlock = await hostLock("default-vpc");
        ws = new Workspace(variant, await freePort());
        await ws.start();
        await ws.ok(["init", "-input=false"], STEP_TIMEOUT.init);
        if (variant.ecr) await ws.pushToEcr();
      });

      after(async () => {
        const summary = ws?.durations.map(([n, s]) => `  ${s.toFixed(1).padStart(6)} s  ${n}`).join("\n");
        if (summary) console.log(`# terraform e2e ${variant.title} (${ws.name}):\n${summary}`);
        if (!ws) return;
        if (failed) {
          console.log(`# ${variant.title}: kept ${ws.dir} (terraform.log, state); slipway output tail:\n${ws.slipway?.output().split("\n").slice(-40).join("\n")}`);
          // Best effort: leave no load balancer listeners or tasks behind.
          if (ws.slipway) await ws.terraform(["destroy", "-auto-approve", "-input=false", "-parallelism=10"], STEP_TIMEOUT.destroy).catch(() => undefined);
        }
        await ws.slipway?.kill("SIGTERM");
        // Our pushes' tags, and the copies Slipway pulled for the tasks (127.0.0.1:<port>/<repo>).
        const port = ws.slipway?.port;
        const pulled = port
          ? (await docker(["images", "--format", "{{.Repository}}:{{.Tag}}"]).catch(() => ""))
              .split("\n")
              .filter((r) => r.startsWith(`127.0.0.1:${port}/${ws.name}-`) || r.startsWith(`localhost:${port}/${ws.name}-`))
          : [];
        // The containers first (SIGTERM leaves tasks running): Docker keeps an image a container uses.
        await cleanDataDir(join(ws.dir, "data"));
        for (const tag of new Set([...ws.tags, ...pulled])) await docker(["rmi", tag]).catch(() => "");
        if (!failed) rmSync(ws.dir, { recursive: true, force: true });
        unlock?.();
      });

      // The ECR variant relies on the stack's default image (<repository_url>:latest).
      const v1 = (): Record<string, string> => (variant.ecr ? {} : { image: ws.image("v1") });

      step("(1) terraform apply creates the stack", async () => {
        const out = await ws.apply(v1());
        assert.match(out, /Apply complete! Resources: \d+ added, 0 changed, 0 destroyed\./);
        outputs = await ws.outputs<string>();
        assert.match(outputs.alb_dns_name!, new RegExp(`^${ws.name}-alb-[0-9a-f]{8}\\.us-east-1\\.elb\\.localhost$`));
        assert.equal(outputs.cluster_name, `${ws.name}-cluster`);
        assert.equal(outputs.service_name, `${ws.name}-svc`);
        assert.match(outputs.ecr_repository_url!, new RegExp(`/${ws.name}-app$`));
        // Service auto scaling (autoscaling.tf): the target, the policy's two alarms, the user's alarm.
        const rid = `service/${ws.name}-cluster/${ws.name}-svc`;
        const { ScalableTargets } = await ws.awsCli<{ ScalableTargets: { ResourceId: string; MinCapacity: number; MaxCapacity: number }[] }>([
          "application-autoscaling", "describe-scalable-targets", "--service-namespace", "ecs", "--resource-ids", rid,
        ]);
        assert.deepEqual(ScalableTargets.map((t) => [t.ResourceId, t.MinCapacity, t.MaxCapacity]), [[rid, 1, 4]]);
        const { MetricAlarms } = await ws.awsCli<{ MetricAlarms: { AlarmName: string }[] }>(["cloudwatch", "describe-alarms"]);
        const names = MetricAlarms.map((a) => a.AlarmName);
        assert.ok(names.includes(`${ws.name}-cpu-high`), names.join(", "));
        assert.equal(names.filter((n) => n.startsWith(`TargetTracking-${rid}-Alarm`)).length, 2, names.join(", "));
      });

      step("(2) terraform plan -detailed-exitcode: no changes (nothing drifts)", async () => {
        const r = await ws.terraform(["plan", "-detailed-exitcode", "-input=false", "-parallelism=10", ...varArgs(v1())], STEP_TIMEOUT.plan);
        if (r.code === 2) throw new TerraformError(`plan found changes after apply (drift):\n${r.out.split("\n").filter((l) => /[~+-] |->|#/.test(l)).join("\n")}`);
        assert.equal(r.code, 0, `terraform plan exited ${r.code}\n${ws.tail()}`);
      });

      step("(3) the ALB DNS name serves the app from 2 tasks; awslogs streams exist", async () => {
        const hosts = await servedBy(outputs.alb_dns_name!, await ws.servedPort(), "v1", 2, 90_000);
        assert.equal(hosts.size, 2);
        const health = await albGet(outputs.alb_dns_name!, await ws.servedPort(), "/health");
        assert.equal(health.status, 200);
        await pollUntil(
          async () => {
            const { logStreams } = await ws.awsCli<{ logStreams: { logStreamName: string }[] }>([
              "logs",
              "describe-log-streams",
              "--log-group-name",
              `/ecs/${ws.name}`,
            ]);
            return logStreams.filter((s) => s.logStreamName.startsWith("web/web/")).length >= 2;
          },
          { timeoutMs: 30_000, what: "2 awslogs streams web/web/<task id>" },
        );
      });

      step("(4) apply v2 with wait_for_steady_state = true waits for the rollout", async () => {
        const out = await ws.apply({ image: ws.image("v2"), wait_for_steady_state: "true" });
        assert.match(out, /Apply complete!/);
        // Checked right after apply returns: the waiter only returns on a steady service.
        const { services } = await ws.awsCli<{ services: any[] }>(["ecs", "describe-services", "--cluster", outputs.cluster_name!, "--services", outputs.service_name!]);
        const svc = services[0];
        assert.equal(svc.deployments.length, 1, `deployments: ${JSON.stringify(svc.deployments)}`);
        assert.equal(svc.runningCount, 2);
        assert.equal(svc.desiredCount, 2);
        assert.match(svc.taskDefinition, new RegExp(`:task-definition/${ws.name}-app:2$`));
        await servedBy(outputs.alb_dns_name!, await ws.servedPort(), "v2", 2, 20_000);
      });

      step("(5) terraform destroy removes everything, containers included", async () => {
        await ws.destroy();
        const state = await ws.ok(["state", "list"], 60_000);
        assert.equal(state.trim(), "", `resources left in the state:\n${state}`);
        await pollUntil(async () => (await ws.runningContainers()).length === 0, { timeoutMs: 30_000, what: "no running containers of this Slipway" });
        await assert.rejects(albGet(outputs.alb_dns_name!, ws.listenerPort), "the listener port is closed");
        const { LoadBalancers: loadBalancers } = await ws.awsCli<{ LoadBalancers: unknown[] }>(["elbv2", "describe-load-balancers"]);
        assert.equal(loadBalancers.length, 0);
        const { clusterArns } = await ws.awsCli<{ clusterArns: string[] }>(["ecs", "list-clusters"]);
        const { MetricAlarms: alarmsLeft } = await ws.awsCli<{ MetricAlarms: unknown[] }>(["cloudwatch", "describe-alarms"]);
        assert.deepEqual(alarmsLeft, [], "the policy's alarms and the user's alarm are gone");
        const { ScalableTargets: targetsLeft } = await ws.awsCli<{ ScalableTargets: unknown[] }>(["application-autoscaling", "describe-scalable-targets", "--service-namespace", "ecs"]);
        assert.deepEqual(targetsLeft, []);
        assert.deepEqual(clusterArns.filter((a) => a.endsWith(`/${ws.name}-cluster`)), []);
      });

      step("(6) a second apply works, serves the app, and destroys cleanly", async () => {
        if (variant.ecr) await ws.pushToEcr(); // destroy deleted the repository with its images
        await ws.apply(v1());
        outputs = await ws.outputs<string>();
        await servedBy(outputs.alb_dns_name!, await ws.servedPort(), "v1", 2, 90_000);
        await ws.destroy();
        await pollUntil(async () => (await ws.runningContainers()).length === 0, { timeoutMs: 30_000, what: "no running containers of this Slipway" });
      });
    });
  }
});
