/**
 * GitHub Actions OIDC end to end, offline, with IAM enforcement on (`slipway up` with
 * SLIPWAY_ENFORCE_IAM=true, real Docker):
 * - real Terraform (hashicorp/aws from the provider mirror) applies the stack of
 *   test/e2e/fixtures/github-oidc: aws_iam_openid_connect_provider for GitHub's issuer, a deploy
 *   role trusting repo:ORG/REPO:ref:refs/heads/main and its policy on one ECS service (which the
 *   test creates with the SDK); plan shows no changes;
 * - the REAL aws-actions/configure-aws-credentials (its committed dist/, run as GitHub's runner
 *   runs it) asks a tiny stand-in for the runner's token service (ACTIONS_ID_TOKEN_REQUEST_URL)
 *   for an ID token, which `slipway oidc-token` mints, and assumes the role with it;
 * - the REAL aws-actions/amazon-ecs-deploy-task-definition deploys a new revision with the
 *   exported credentials and waits for the service to be stable;
 * - a token for another branch is refused with AWS's error; destroy removes everything.
 *
 * Skipped, with the reason, without Terraform and its provider mirror, Docker, or the actions'
 * committed dist/ (SLIPWAY_AWS_ACTIONS names their folder; by default the team's tools folder
 * next to the repository).
 */
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import * as ecs from "@aws-sdk/client-ecs";
import * as iam from "@aws-sdk/client-iam";
import { dockerAvailable, ensureTestImages, TEST_IMAGES } from "../helpers/docker.ts";
import { expectError } from "../helpers/errors.ts";
import { runTerraform, terraformCliConfig } from "../helpers/terraform.ts";
import { PROVIDER_MIRROR, terraformSkip } from "../helpers/terraform-workspace.ts";
import { cleanDataDir, REPO_ROOT, type SlipwayProcess, startSlipwayProcess } from "../helpers/slipway-process.ts";

const FIXTURE = join(REPO_ROOT, "test", "e2e", "fixtures", "github-oidc");
const ACTIONS = process.env.SLIPWAY_AWS_ACTIONS ?? resolve(REPO_ROOT, "..", "shared", "tools", "aws-actions");
const CONFIGURE = join(ACTIONS, "configure-aws-credentials", "dist", "index.js");
const DEPLOY = join(ACTIONS, "amazon-ecs-deploy-task-definition", "dist", "index.js");
const REPOSITORY = "acme/webapp";

async function whySkip(): Promise<string | undefined> {
  if (!existsSync(CONFIGURE) || !existsSync(DEPLOY)) return `the aws-actions dist/ are not at ${ACTIONS}`;
  return (await terraformSkip()) ?? dockerAvailable();
}
const skip = await whySkip();
if (skip) console.log(`# skipping GitHub OIDC e2e: ${skip}`);

/** One step of a workflow: a JavaScript action run as the runner runs it. */
async function runAction(script: string, inputs: Record<string, string>, env: Record<string, string>, workspace: string) {
  const files = { GITHUB_ENV: join(workspace, `env-${Date.now()}`), GITHUB_OUTPUT: join(workspace, `out-${Date.now()}`), GITHUB_STATE: join(workspace, `state-${Date.now()}`) };
  for (const f of Object.values(files)) writeFileSync(f, "");
  const base: Record<string, string> = {};
  for (const k of ["PATH", "HOME"]) if (process.env[k]) base[k] = process.env[k]!;
  const childEnv: Record<string, string> = {
    ...base,
    ...files,
    // What the runner sets for every step.
    GITHUB_ACTIONS: "true",
    GITHUB_REPOSITORY: REPOSITORY,
    GITHUB_WORKFLOW: "deploy",
    GITHUB_ACTION: "__run",
    GITHUB_ACTOR: "acme",
    GITHUB_SHA: "0123456789abcdef0123456789abcdef01234567",
    GITHUB_REF: "refs/heads/main",
    GITHUB_WORKSPACE: workspace,
    RUNNER_TEMP: workspace, AWS_CONFIG_FILE: "/dev/null", AWS_SHARED_CREDENTIALS_FILE: "/dev/null", ...env };
  for (const [k, v] of Object.entries(inputs)) childEnv[`INPUT_${k.toUpperCase().replaceAll(" ", "_")}`] = v;
  const child = spawn(process.execPath, [script], { cwd: workspace, env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr.on("data", (c: Buffer) => (out += c.toString()));
  const code = await new Promise<number>((res) => child.once("exit", (c) => res(c ?? 1)));
  return { code, out, exported: parseCommandFile(readFileSync(files.GITHUB_ENV, "utf8")), outputs: parseCommandFile(readFileSync(files.GITHUB_OUTPUT, "utf8")) };
}

/** `name<<DELIM\nvalue\nDELIM` blocks (and plain name=value lines) of GITHUB_ENV / GITHUB_OUTPUT. */
function parseCommandFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^=<]+)<<(.+)$/.exec(lines[i]!);
    if (m) {
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== m[2]; i++) value.push(lines[i]!);
      out[m[1]!] = value.join("\n");
    } else if (lines[i]!.includes("=")) out[lines[i]!.slice(0, lines[i]!.indexOf("="))] = lines[i]!.slice(lines[i]!.indexOf("=") + 1);
  }
  return out;
}

describe("GitHub Actions OIDC: Terraform stack, the real configure-aws-credentials and deploy actions", { skip, timeout: 900_000 }, () => {
  let dir = "";
  let s: SlipwayProcess | undefined;
  let tokenServer: Server | undefined;
  let tokenUrl = "";
  const name = `gho-${Date.now().toString(36).slice(-5)}`;
  let outputs: Record<string, { value: string }> = {};

  const tf = (args: string[]) => runTerraform({ args, cwd: join(dir, "stack"), cliConfigFile: join(dir, "terraformrc"), timeoutMs: 300_000 });
  const ok = async (args: string[]) => {
    const r = await tf(args);
    assert.equal(r.code, 0, `terraform ${args.join(" ")} failed:\n${r.out.slice(-4000)}`);
    return r.out;
  };
  const configure = (ref: string) =>
    runAction(
      CONFIGURE,
      { "aws-region": "us-east-1", "role-to-assume": outputs.role_arn!.value, "retry-max-attempts": "1" },
      {
        AWS_ENDPOINT_URL: s!.url,
        // The branch goes in the path: the action appends &audience=… to this URL.
        ACTIONS_ID_TOKEN_REQUEST_URL: `${tokenUrl}/${ref}?api-version=2.0`,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: "runner-request-token",
      },
      join(dir, "workspace"),
    );

  before(async () => {
    await ensureTestImages();
    dir = mkdtempSync(join(tmpdir(), "slipway-gh-oidc-"));
    cpSync(FIXTURE, join(dir, "stack"), { recursive: true });
    mkdirSync(join(dir, "workspace"));
    writeFileSync(join(dir, "terraformrc"), terraformCliConfig(PROVIDER_MIRROR));
    s = await startSlipwayProcess({ dataDir: join(dir, "data"), env: { SLIPWAY_ENFORCE_IAM: "true" } });
    writeFileSync(join(dir, "stack", "e2e.auto.tfvars.json"), JSON.stringify({ endpoint: s.url, name, repository: REPOSITORY }));
    // The runner's ID-token service: `slipway oidc-token` mints the job's token (GitHub's claims).
    tokenServer = createServer((req, res) => {
      const u = new URL(req.url ?? "/", "http://x");
      const ref = decodeURIComponent(u.pathname.slice("/token/".length));
      if (req.headers.authorization !== "Bearer runner-request-token") {
        res.writeHead(401).end();
        return;
      }
      execFile(
        process.execPath,
        [join(REPO_ROOT, "bin", "slipway.js"), "oidc-token", "--data-dir", join(dir, "data"), "--repository", REPOSITORY, "--ref", ref, "--audience", u.searchParams.get("audience") ?? "sts.amazonaws.com"],
        (err, stdout) => {
          if (err) res.writeHead(500).end(String(err));
          else res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ value: stdout.trim() }));
        },
      );
    });
    await new Promise<void>((r) => tokenServer!.listen(0, "127.0.0.1", () => r()));
    tokenUrl = `http://127.0.0.1:${(tokenServer.address() as AddressInfo).port}/token`;
    await ok(["init", "-input=false"]);
  });

  after(async () => {
    tokenServer?.close();
    await s?.kill("SIGTERM");
    if (dir) {
      await cleanDataDir(join(dir, "data"));
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("apply, then plan shows no changes", async () => {
    await ok(["apply", "-auto-approve", "-input=false", "-parallelism=10"]);
    outputs = JSON.parse(await ok(["output", "-json"])) as Record<string, { value: string }>;
    const r = await tf(["plan", "-detailed-exitcode", "-input=false"]);
    assert.equal(r.code, 0, `plan wants changes (exit ${r.code}):\n${r.out.slice(-4000)}`);
    const common = { region: "us-east-1", endpoint: s!.url, credentials: { accessKeyId: "test", secretAccessKey: "test" }, maxAttempts: 1 };
    const provider = await new iam.IAMClient(common).send(new iam.GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: outputs.provider_arn!.value }));
    assert.equal(provider.Url, "token.actions.githubusercontent.com");
    // The service the workflow deploys to (made by the account's root).
    const e = new ecs.ECSClient(common);
    await e.send(new ecs.CreateClusterCommand({ clusterName: name }));
    const td = await e.send(
      new ecs.RegisterTaskDefinitionCommand({
        family: name,
        requiresCompatibilities: ["FARGATE"],
        networkMode: "awsvpc",
        cpu: "256",
        memory: "512",
        containerDefinitions: [{ name: "app", image: TEST_IMAGES.busybox, essential: true, command: ["sh", "-c", "sleep 3600"] }],
      }),
    );
    await e.send(
      new ecs.CreateServiceCommand({
        cluster: name,
        serviceName: `${name}-svc`,
        taskDefinition: td.taskDefinition!.taskDefinitionArn,
        desiredCount: 1,
        launchType: "FARGATE",
        networkConfiguration: { awsvpcConfiguration: { subnets: ["subnet-0123456789abcdef0"], assignPublicIp: "DISABLED" } },
      }),
    );
  });

  test("configure-aws-credentials assumes the role with a Slipway-minted token; the deploy action deploys", async () => {
    const workspace = join(dir, "workspace");
    const cred = await configure("refs/heads/main");
    assert.equal(cred.code, 0, `configure-aws-credentials failed:\n${cred.out}`);
    const env = cred.exported;
    assert.match(env.AWS_ACCESS_KEY_ID ?? "", /^ASIA/);
    assert.ok(env.AWS_SESSION_TOKEN);

    const td = {
      family: name,
      requiresCompatibilities: ["FARGATE"],
      networkMode: "awsvpc",
      cpu: "256",
      memory: "512",
      containerDefinitions: [{ name: "app", image: TEST_IMAGES.busybox, essential: true, command: ["sh", "-c", "echo v2; sleep 3600"] }],
    };
    writeFileSync(join(workspace, "task-definition.json"), JSON.stringify(td));
    const deploy = await runAction(
      DEPLOY,
      {
        "task-definition": "task-definition.json",
        service: outputs.service!.value,
        cluster: outputs.cluster!.value,
        "wait-for-service-stability": "true",
        "wait-for-minutes": "3",
      },
      {
        AWS_ENDPOINT_URL: s!.url,
        AWS_REGION: "us-east-1",
        AWS_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID!,
        AWS_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY!,
        AWS_SESSION_TOKEN: env.AWS_SESSION_TOKEN!,
      },
      workspace,
    );
    assert.equal(deploy.code, 0, `deploy failed:\n${deploy.out}`);
    const arn = deploy.outputs["task-definition-arn"];
    assert.match(arn ?? "", new RegExp(`:task-definition/${name}:2$`));
    const svc = await new ecs.ECSClient({ region: "us-east-1", endpoint: s!.url, credentials: { accessKeyId: "test", secretAccessKey: "test" }, maxAttempts: 1 }).send(
      new ecs.DescribeServicesCommand({ cluster: outputs.cluster!.value, services: [outputs.service!.value] }),
    );
    assert.equal(svc.services![0]!.taskDefinition, arn);
    assert.equal(svc.services![0]!.runningCount, 1);
  });

  test("a token for another branch is refused with AWS's error", async () => {
    const r = await configure("refs/heads/feature");
    assert.equal(r.code, 1);
    assert.match(r.out, /Not authorized to perform sts:AssumeRoleWithWebIdentity/);
  });

  test("destroy removes everything", async () => {
    const common = { region: "us-east-1", endpoint: s!.url, credentials: { accessKeyId: "test", secretAccessKey: "test" }, maxAttempts: 1 };
    const e = new ecs.ECSClient(common);
    await e.send(new ecs.DeleteServiceCommand({ cluster: outputs.cluster!.value, service: outputs.service!.value, force: true }));
    await ok(["destroy", "-auto-approve", "-input=false", "-parallelism=10"]);
    const list = await new iam.IAMClient(common).send(new iam.ListOpenIDConnectProvidersCommand({}));
    assert.deepEqual(list.OpenIDConnectProviderList, []);
    await expectError(new iam.IAMClient(common).send(new iam.GetRoleCommand({ RoleName: `${name}-deploy` })), "NoSuchEntityException", undefined, 404);
  });
});
