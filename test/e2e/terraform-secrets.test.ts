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
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import * as kms from "@aws-sdk/client-kms";
import * as sm from "@aws-sdk/client-secrets-manager";
import { dockerAvailable, ensureTestImages, TEST_IMAGES } from "../helpers/docker.ts";
import { hostLock } from "../helpers/host-lock.ts";
import { runTerraform, terraformCliConfig } from "../helpers/terraform.ts";
import { PROVIDER_MIRROR, terraformSkip } from "../helpers/terraform-workspace.ts";
import { cleanDataDir, docker, instanceIdOf, managedContainers, REPO_ROOT, type SlipwayProcess, startSlipwayProcess } from "../helpers/slipway-process.ts";

const FIXTURE = join(REPO_ROOT, "test", "e2e", "fixtures", "terraform-secrets");
const PASSWORD = "tf-db-CANARY-91ab";
const API_KEY = "tf-key-CANARY-3c2d";

async function whySkip(): Promise<string | undefined> {
  return (await terraformSkip()) ?? dockerAvailable();
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

  const tf = (args: string[], timeoutMs = 300_000) => runTerraform({ args, cwd: join(dir, "stack"), cliConfigFile: join(dir, "terraformrc"), timeoutMs });
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
    writeFileSync(join(dir, "terraformrc"), terraformCliConfig(PROVIDER_MIRROR));
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
