/**
 * End-to-end: examples/terraform-vpc (a VPC of its own: two subnets in two zones, an internet
 * gateway, a route table made main with aws_main_route_table_association, security groups, the
 * execution role, ECR with a lifecycle policy, an ALB and a Fargate service on port 80) applied by
 * real Terraform against `slipway up` (root: security groups enforced), with the example app
 * pushed to the stack's ECR repository in between:
 *   apply → plan shows no changes → the ALB serves the app from two tasks, one per subnet, at
 *   addresses of the VPC → a task's address from the host times out (only the ALB's group is let
 *   in) → destroy leaves nothing: no state, no VPC, no task, no subnet network, no kernel chain
 *   for the instance's subnets.
 * The VPC's CIDR is a free 10.1xx.0.0/16 of this host. Skipped, with the reason, when terraform,
 * the provider mirror, Docker, the AWS CLI or root is missing.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { dockerAvailable, ensureTestImages } from "../helpers/docker.ts";
import { awsCliAvailable, cleanDataDir, docker, freePort, freeVpcCidr, instanceIdOf, pollUntil, REPO_ROOT } from "../helpers/slipway-process.ts";
import { albGet } from "../helpers/terraform.ts";
import { TerraformError, TerraformWorkspace, terraformSkip } from "../helpers/terraform-workspace.ts";

const run = promisify(execFile);
const EXAMPLE = join(REPO_ROOT, "examples", "terraform-vpc");
const APP = join(REPO_ROOT, "examples", "app");
const APP_IMAGE = "slipway-example/app:e2e-vpc";

async function whySkip(): Promise<string | undefined> {
  if (typeof process.getuid === "function" && process.getuid() !== 0) return "not root (security groups need iptables)";
  return (await terraformSkip()) ?? (await dockerAvailable()) ?? (await awsCliAvailable());
}
const skip = await whySkip();
if (skip) console.log(`# skipping Terraform VPC e2e: ${skip}`);

describe("Terraform: a VPC of its own (examples/terraform-vpc)", { skip: skip ?? false, timeout: 12 * 60_000 }, () => {
  const name = `tfvpc-${Date.now().toString(36).slice(-5)}`;
  let ws: TerraformWorkspace;
  let listenerPort: number;
  let cidr: string;
  let outputs: Record<string, unknown> = {};
  let failed = false;
  const step = (title: string, fn: () => Promise<void>) =>
    test(title, async (t) => {
      if (failed) return t.skip("an earlier step failed");
      try {
        await fn();
      } catch (err) {
        failed = true;
        if (!(err instanceof TerraformError)) t.diagnostic(ws.tail(30));
        throw err;
      }
    });

  before(async () => {
    await ensureTestImages();
    await run("docker", ["build", "--build-arg", "APP_VERSION=v1", "-t", APP_IMAGE, APP], { env: { ...process.env, DOCKER_BUILDKIT: "0" }, timeout: 120_000 });
    ws = new TerraformWorkspace(EXAMPLE, "slipway-tf-vpc-");
    listenerPort = await freePort();
    cidr = await freeVpcCidr();
    await ws.start({ name, vpc_cidr: cidr, listener_port: listenerPort });
    await ws.ok(["init", "-input=false"], 60_000);
  });

  after(async () => {
    if (!ws) return;
    if (failed && ws.slipway) {
      console.log(`# kept ${ws.dir}; slipway output tail:\n${ws.slipway.output().split("\n").slice(-30).join("\n")}`);
      await ws.terraform(["destroy", "-auto-approve", "-input=false"], 240_000).catch(() => undefined);
    }
    const port = ws.slipway?.port;
    await ws.slipway?.kill("SIGTERM");
    const images = (await docker(["images", "--format", "{{.Repository}}:{{.Tag}}"]).catch(() => "")).split("\n");
    for (const tag of images.filter((r) => r === APP_IMAGE || (port && r.startsWith(`127.0.0.1:${port}/${name}-`)) || r.includes(`/${name}-app:`))) {
      await docker(["rmi", tag]).catch(() => "");
    }
    await cleanDataDir(ws.dataDir);
    if (!failed) rmSync(ws.dir, { recursive: true, force: true });
  });

  step("apply: the repository first, the image pushed to it, then the stack", async () => {
    await ws.ok(["apply", "-auto-approve", "-input=false", "-target=aws_ecr_repository.app"], 120_000);
    const repo = (await ws.awsCli(["ecr", "describe-repositories", "--repository-names", `${name}-app`])).repositories[0].repositoryUri as string;
    await ws.push(APP_IMAGE, `${repo}:latest`);
    const out = await ws.ok(["apply", "-auto-approve", "-input=false", "-parallelism=10"], 300_000);
    assert.match(out, /Apply complete! Resources: \d+ added, 0 changed, 0 destroyed\./);
    outputs = await ws.outputs();
    const lifecycle = await ws.awsCli(["ecr", "get-lifecycle-policy", "--repository-name", `${name}-app`]);
    assert.match(lifecycle.lifecyclePolicyText, /imageCountMoreThan/);
    const mains = (await ws.awsCli(["ec2", "describe-route-tables", "--filters", `Name=vpc-id,Values=${outputs.vpc_id}`, "Name=association.main,Values=true"])).RouteTables;
    assert.equal(mains.length, 1);
    assert.ok(mains[0].Routes.some((r: any) => r.DestinationCidrBlock === "0.0.0.0/0" && r.GatewayId?.startsWith("igw-") && r.State === "active"), "the main table is ours");
  });

  step("plan -detailed-exitcode: no changes", async () => {
    const r = await ws.terraform(["plan", "-detailed-exitcode", "-input=false", "-parallelism=10"], 120_000);
    if (r.code === 2) throw new TerraformError(`plan found changes after apply:\n${r.out.split("\n").filter((l) => /[~+-] |->|#/.test(l)).join("\n")}`);
    assert.equal(r.code, 0, ws.tail());
  });

  step("the ALB serves the app from two tasks, one per subnet, at addresses of the VPC", async () => {
    const dns = outputs.alb_dns_name as string;
    const hosts = await pollUntil(
      async () => {
        const seen = new Set<string>();
        for (let i = 0; i < 8; i++) {
          const r = await albGet(dns, listenerPort);
          const m = /^hello from (\S+) version=v1/.exec(r.body);
          if (r.status !== 200 || !m) return false;
          seen.add(m[1]!);
        }
        return seen.size >= 2 ? seen : false;
      },
      { timeoutMs: 120_000, intervalMs: 1000, what: "two tasks answering through the ALB" },
    );
    const base = cidr.split(".").slice(0, 2).join("-");
    for (const h of hosts) assert.match(h, new RegExp(`^ip-${base}-[12]-\\d+\\.ec2\\.internal$`), `${h} is an address of ${cidr}`);
    assert.equal(new Set([...hosts].map((h) => h.split("-")[3])).size, 2, "one task in each subnet");
    // Only the ALB's group may reach the tasks: from the host, a task's address times out.
    const ip = [...hosts][0]!.replace(/^ip-/, "").replace(/\.ec2\.internal$/, "").replace(/-/g, ".");
    const direct = await run("curl", ["-s", "-o", "/dev/null", "--max-time", "2", `http://${ip}:80/`]).then(() => "answered", (e: { code?: number }) => `exit ${e.code}`);
    assert.equal(direct, "exit 28");
  });

  step("destroy leaves nothing: no state, no VPC, no task, no subnet network", async () => {
    await ws.ok(["destroy", "-auto-approve", "-input=false", "-parallelism=10"], 300_000);
    assert.equal((await ws.ok(["state", "list"], 60_000)).trim(), "");
    const vpcs = (await ws.awsCli(["ec2", "describe-vpcs", "--filters", `Name=cidr,Values=${cidr}`])).Vpcs;
    assert.deepEqual(vpcs, []);
    const instance = instanceIdOf(ws.dataDir);
    await pollUntil(async () => (await docker(["network", "ls", "-q", "--filter", `label=slipway.instance=${instance}`])).trim() === "", {
      timeoutMs: 30_000,
      what: "the subnet networks to be removed",
    });
    assert.equal((await docker(["ps", "-q", "--filter", `label=slipway.instance=${instance}`])).trim(), "");
  });
});
