/**
 * A working copy of one example Terraform stack against its own `slipway up`: terraform runs in
 * its own process group with only the provider mirror (nothing downloaded) and none of the user's
 * AWS settings, output appended to <dir>/terraform.log (its tail goes into failures). Used by the
 * Terraform e2e suites (test/e2e/terraform.test.ts extends it for the tutorial's stack).
 */
import { execFile, spawn } from "node:child_process";
import { appendFileSync, cpSync, existsSync, globSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { aws, AWS_ENV, docker, type SlipwayProcess, startSlipwayProcess } from "./slipway-process.ts";
import { runTerraform, terraformCliConfig } from "./terraform.ts";

const run = promisify(execFile);
export const PROVIDER_MIRROR = process.env.SLIPWAY_TF_PLUGIN_MIRROR ?? "/opt/tf-plugins";

export class TerraformError extends Error {}

/** Why Terraform tests cannot run here (terraform or the provider mirror missing), or undefined. */
export async function terraformSkip(): Promise<string | undefined> {
  try {
    await run("terraform", ["version"], { timeout: 20_000, env: { ...process.env, CHECKPOINT_DISABLE: "1" } });
  } catch (err) {
    return `terraform not usable (terraform version failed: ${(err as Error).message.split("\n")[0]})`;
  }
  const providers = globSync(join(PROVIDER_MIRROR, "registry.terraform.io", "hashicorp", "aws", "*", "*", "terraform-provider-aws*"));
  return providers.length ? undefined : `no hashicorp/aws provider in the filesystem mirror ${PROVIDER_MIRROR} (set SLIPWAY_TF_PLUGIN_MIRROR)`;
}

export class TerraformWorkspace {
  readonly dir: string;
  readonly log: string;
  readonly dockerConfig: string;
  slipway!: SlipwayProcess;

  constructor(example: string, prefix: string) {
    this.dir = mkdtempSync(join(tmpdir(), prefix));
    this.log = join(this.dir, "terraform.log");
    this.dockerConfig = join(this.dir, "docker-config");
    mkdirSync(this.dockerConfig);
    cpSync(example, this.stackDir, { recursive: true, filter: (src) => !/(\.terraform|tfstate)/.test(src) });
    writeFileSync(join(this.dir, "terraformrc"), terraformCliConfig(PROVIDER_MIRROR));
  }

  get stackDir(): string {
    return join(this.dir, "stack");
  }

  get dataDir(): string {
    return join(this.dir, "data");
  }

  async start(vars: Record<string, unknown>, env?: Record<string, string>): Promise<void> {
    this.slipway = await startSlipwayProcess({ dataDir: this.dataDir, ...(env ? { env } : {}) });
    writeFileSync(join(this.stackDir, "e2e.auto.tfvars.json"), JSON.stringify({ endpoint: this.slipway.url, ...vars }, null, 2));
  }

  /** Runs terraform in the stack directory; resolves with the exit code and output. */
  async terraform(args: string[], timeoutMs: number): Promise<{ code: number; out: string }> {
    appendFileSync(this.log, `\n$ terraform ${args.join(" ")}\n`);
    const r = await runTerraform({
      args,
      cwd: this.stackDir,
      cliConfigFile: join(this.dir, "terraformrc"),
      timeoutMs,
      onOutput: (s) => appendFileSync(this.log, s),
      ...(process.env.SLIPWAY_TF_DEBUG ? { debugLogFile: join(this.dir, "terraform-debug.log") } : {}),
    });
    if (r.timedOut) throw new TerraformError(`terraform ${args[0]} timed out after ${timeoutMs / 1000} s\n${this.tail()}`);
    return r;
  }

  async ok(args: string[], timeoutMs: number): Promise<string> {
    const r = await this.terraform(args, timeoutMs);
    if (r.code !== 0) throw new TerraformError(`terraform ${args.join(" ")} exited ${r.code}\n${this.tail()}`);
    return r.out;
  }

  async outputs<T = unknown>(): Promise<Record<string, T>> {
    const raw = JSON.parse(await this.ok(["output", "-json"], 60_000)) as Record<string, { value: T }>;
    return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, v.value]));
  }

  tail(lines = 60): string {
    const text = existsSync(this.log) ? readFileSync(this.log, "utf8") : "";
    return `--- last ${lines} lines of ${this.log} ---\n${text.split("\n").slice(-lines).join("\n")}`;
  }

  awsCli<T = any>(args: string[]): Promise<T> {
    return aws<T>(this.slipway.url, args);
  }

  /** docker login to Slipway's registry with `aws ecr get-login-password`, then tag and push `local` as `remote`. */
  async push(local: string, remote: string): Promise<void> {
    const registry = remote.split("/")[0]!;
    const { stdout: password } = await run("aws", ["ecr", "get-login-password", "--endpoint-url", this.slipway.url], { env: { ...process.env, ...AWS_ENV }, timeout: 60_000 });
    await new Promise<void>((resolve, reject) => {
      const child = spawn("docker", ["--config", this.dockerConfig, "login", "--username", "AWS", "--password-stdin", registry], { stdio: ["pipe", "pipe", "pipe"] });
      let err = "";
      child.stderr.on("data", (c: Buffer) => (err += c.toString()));
      child.once("error", reject);
      child.once("close", (code) => (code === 0 ? resolve() : reject(new Error(`docker login exited ${code}: ${err}`))));
      child.stdin.end(password.trim());
    });
    await docker(["tag", local, remote]);
    await run("docker", ["--config", this.dockerConfig, "push", remote], { timeout: 120_000, maxBuffer: 8 * 1024 * 1024 });
  }
}
