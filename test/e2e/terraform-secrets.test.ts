/**
 * End-to-end: real Terraform (hashicorp/aws from the offline provider mirror) against a real
 * `slipway up` process. The stack (test/e2e/fixtures/terraform-secrets) has aws_kms_key,
 * aws_kms_alias, aws_secretsmanager_secret(+_version) and an aws_ssm_parameter SecureString under
 * that key, and a Fargate service (wait_for_steady_state) whose task definition takes one value
 * from each. Apply → the running container has both values in its environment → plan shows no
 * changes → destroy removes everything (no task, no secret, no parameter; the key is pending
 * deletion) → the data directory holds neither value in plaintext.
 *
 * Skipped, with the reason, when terraform, the provider mirror or Docker is missing.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cpSync, globSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { after, before, describe, test } from "node:test";
import * as kms from "@aws-sdk/client-kms";
import * as sm from "@aws-sdk/client-secrets-manager";
import { dockerAvailable, ensureTestImages, TEST_IMAGES } from "../helpers/docker.ts";
import { hostLock } from "../helpers/host-lock.ts";
import { terraformCliConfig } from "../helpers/terraform.ts";
import { cleanDataDir, docker, instanceIdOf, managedContainers, REPO_ROOT, type SlipwayProcess, startSlipwayProcess } from "../helpers/slipway-process.ts";

const run = promisify(execFile);
const FIXTURE = join(REPO_ROOT, "test", "e2e", "fixtures", "terraform-secrets");
const MIRROR = process.env.SLIPWAY_TF_PLUGIN_MIRROR ?? "/opt/tf-plugins";
const PASSWORD = "tf-db-CANARY-91ab";
const API_KEY = "tf-key-CANARY-3c2d";

async function whySkip(): Promise<string | undefined> {
  try {
    await run("terraform", ["version"], { timeout: 20_000, env: { ...process.env, CHECKPOINT_DISABLE: "1" } });
  } catch (err) {
    return `terraform not usable (${(err as Error).message.split("\n")[0]})`;
  }
  if (!globSync(join(MIRROR, "registry.terraform.io", "hashicorp", "aws", "*", "*", "terraform-provider-aws*")).length)
    return `no hashicorp/aws provider in the filesystem mirror ${MIRROR} (set SLIPWAY_TF_PLUGIN_MIRROR)`;
  return dockerAvailable();
}
const skip = await whySkip();
if (skip) console.log(`# skipping Terraform secrets e2e: ${skip}`);

function allFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? allFiles(p) : [p];
  });
}

describe("Terraform: KMS key, secret, SecureString and a Fargate service using them", { skip, timeout: 900_000 }, () => {
  let dir = "";
  let s: SlipwayProcess | undefined;
  const name = `tfsec-${Date.now().toString(36).slice(-5)}`;

  const tf = async (args: string[], timeoutMs = 300_000): Promise<{ code: number; out: string }> => {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("AWS_") && !k.startsWith("TF_")) env[k] = v;
    Object.assign(env, {
      TF_CLI_CONFIG_FILE: join(dir, "terraformrc"),
      TF_IN_AUTOMATION: "1",
      TF_INPUT: "0",
      CHECKPOINT_DISABLE: "1",
      AWS_CONFIG_FILE: "/dev/null",
      AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    });
    try {
      const { stdout, stderr } = await run("terraform", [...args, "-no-color"], { cwd: join(dir, "stack"), env, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
      return { code: 0, out: stdout + stderr };
    } catch (err) {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof e.code === "number" ? e.code : 1, out: `${e.stdout ?? ""}${e.stderr ?? ""}` };
    }
  };
  const ok = async (args: string[]) => {
    const r = await tf(args);
    assert.equal(r.code, 0, `terraform ${args.join(" ")} failed:\n${r.out.slice(-4000)}`);
    return r.out;
  };

  let unlock: (() => void) | undefined;
  before(async () => {
    await ensureTestImages();
    // The stack runs its task in the default VPC: one such suite on this host at a time.
    unlock = await hostLock("default-vpc");
    dir = mkdtempSync(join(tmpdir(), "slipway-tfsec-"));
    cpSync(FIXTURE, join(dir, "stack"), { recursive: true });
    writeFileSync(join(dir, "terraformrc"), terraformCliConfig(MIRROR));
    s = await startSlipwayProcess({ dataDir: join(dir, "data") });
    writeFileSync(
      join(dir, "stack", "e2e.auto.tfvars.json"),
      JSON.stringify({ endpoint: s.url, name, image: TEST_IMAGES.busybox, db_password: PASSWORD, api_key: API_KEY }),
    );
    await ok(["init", "-input=false"]);
  });

  after(async () => {
    await s?.kill("SIGTERM");
    if (dir) {
      await cleanDataDir(join(dir, "data"));
      rmSync(dir, { recursive: true, force: true });
    }
    unlock?.();
  });

  test("apply: the task's container has the secret's JSON key and the SecureString as env", async () => {
    await ok(["apply", "-auto-approve", "-input=false", "-parallelism=10"]);
    const rows = (await managedContainers(instanceIdOf(s!.dataDir))).filter((c) => c.state === "running");
    assert.equal(rows.length, 1);
    const env = await docker(["exec", rows[0]!.id, "env"]);
    assert.match(env, new RegExp(`^DB_PASSWORD=${PASSWORD}$`, "m"));
    assert.match(env, new RegExp(`^API_KEY=${API_KEY}$`, "m"));
  });

  test("plan after apply shows no changes", async () => {
    const r = await tf(["plan", "-detailed-exitcode", "-input=false"]);
    assert.equal(r.code, 0, `plan wants changes (exit ${r.code}):\n${r.out.slice(-4000)}`);
  });

  test("destroy removes everything; no plaintext in the data directory", async () => {
    const outputs = JSON.parse(await ok(["output", "-json"])) as Record<string, { value: string }>;
    await ok(["destroy", "-auto-approve", "-input=false", "-parallelism=10"]);
    const common = { region: "us-east-1", endpoint: s!.url, credentials: { accessKeyId: "test", secretAccessKey: "test" }, maxAttempts: 1 };
    const smc = new sm.SecretsManagerClient(common);
    const kc = new kms.KMSClient(common);
    try {
      await assert.rejects(smc.send(new sm.DescribeSecretCommand({ SecretId: outputs.secret_arn!.value })), { name: "ResourceNotFoundException" });
      assert.equal((await kc.send(new kms.DescribeKeyCommand({ KeyId: outputs.key_arn!.value }))).KeyMetadata!.KeyState, "PendingDeletion");
    } finally {
      smc.destroy();
      kc.destroy();
    }
    assert.equal((await managedContainers(instanceIdOf(s!.dataDir))).filter((c) => c.state === "running").length, 0);
    for (const f of allFiles(s!.dataDir)) {
      const bytes = readFileSync(f);
      assert.ok(!bytes.includes(PASSWORD) && !bytes.includes(API_KEY), `${f} holds a plaintext value`);
    }
  });
});
