/**
 * End-to-end replay of a GitHub Actions deploy workflow against a `slipway up` child process and
 * real Docker: the SDK calls of
 *   aws-actions/configure-aws-credentials      STS GetCallerIdentity with static keys
 *   aws-actions/amazon-ecr-login               GetAuthorizationToken → `docker login --password-stdin`
 *   aws-actions/amazon-ecs-render-task-definition v1.9.0   DescribeTaskDefinition{include:[TAGS]} + render
 *   aws-actions/amazon-ecs-deploy-task-definition v2.6.3   cleanNullKeys / removeIgnoredAttributes →
 *       RegisterTaskDefinition → DescribeServices → UpdateService → waitUntilServicesStable → re-check
 * with clients built the way the actions build them (region from AWS_REGION, endpoint from the
 * AWS_ENDPOINT_URL environment variable only, customUserAgent, maxAttempts 3, retryMode standard).
 * The service sits behind a real ALB listener; a bounded constant load runs through it during
 * both deploys: a good one (v1 → v2, zero failed requests) and a crashing one that the circuit
 * breaker rolls back (the action's "not found after stabilization" error, still zero failures).
 * Needs Docker (the AWS CLI is not used); skipped with the reason otherwise.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { CreateRepositoryCommand, DescribeImagesCommand, ECRClient, GetAuthorizationTokenCommand } from "@aws-sdk/client-ecr";
import {
  CreateClusterCommand,
  CreateServiceCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  type Service,
  UpdateServiceCommand,
  waitUntilServicesStable,
} from "@aws-sdk/client-ecs";
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  ElasticLoadBalancingV2Client,
  ModifyTargetGroupAttributesCommand,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { dockerAvailable, ensureTestImages, TEST_IMAGES } from "../helpers/docker.ts";
import { cleanDataDir, docker, freePort, pollUntil, type SlipwayProcess, startSlipwayProcess, tempDataDir } from "../helpers/slipway-process.ts";

const run = promisify(execFile);

async function dockerCliAvailable(): Promise<string | undefined> {
  try {
    await run("docker", ["version", "--format", "{{.Client.Version}}"], { timeout: 20_000 });
    return undefined;
  } catch (err) {
    return `docker CLI not usable: ${(err as Error).message.split("\n")[0]}`;
  }
}

const skip = (await dockerAvailable()) ?? (await dockerCliAvailable());
if (skip) console.log(`# skipping GitHub Actions e2e: ${skip}`);

const SUFFIX = `${process.pid}-${Date.now().toString(36)}`;
const CLUSTER = `gha-${SUFFIX}`;
const SERVICE = "web";
const FAMILY = `gha-web-${SUFFIX}`;
const REPO = `gha/web-${SUFFIX}`;
const LB_NAME = `gha-${process.pid}`.slice(0, 32);
const TG_NAME = `gha-tg-${process.pid}`.slice(0, 32);
const GIT_SHA = "0123456789abcdef0123456789abcdef01234567";
const NET = { awsvpcConfiguration: { subnets: ["subnet-0123456789abcdef0"], securityGroups: ["sg-0123456789abcdef0"], assignPublicIp: "DISABLED" as const } };
/** The deploy action's client options (action input max-retries defaults to 3). */
const DEPLOY_CLIENT = { customUserAgent: "amazon-ecs-deploy-task-definition-for-github-actions", maxAttempts: 3, retryMode: "standard" } as const;
/** With `wait-for-minutes: 3` and `wait-max-delay-seconds: 2`; minDelay 1 instead of the action's fixed 15 to keep the test short. */
const WAIT = { minDelay: 1, maxDelay: 2, maxWaitTime: 180 };

// --- amazon-ecs-render-task-definition v1.9.0 -------------------------------------------------

const IGNORED_TASK_DEFINITION_ATTRIBUTES = [
  "compatibilities",
  "taskDefinitionArn",
  "requiresAttributes",
  "revision",
  "status",
  "registeredAt",
  "deregisteredAt",
  "registeredBy",
] as const;

/** The render action with `task-definition-family`, `container-name`, `image` and optionally `command`; returns the file text it writes. */
async function renderTaskDefinition(ecs: ECSClient, o: { family: string; containerName: string; image: string; command?: string }): Promise<string> {
  const described = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: o.family, include: ["TAGS"] }));
  const taskDefContents: Record<string, any> = { ...described.taskDefinition };
  if (described.tags) taskDefContents.tags = described.tags;
  if (!Array.isArray(taskDefContents.containerDefinitions)) throw new Error("Invalid task definition format: containerDefinitions section is not present or is not an array");
  const containerDef = taskDefContents.containerDefinitions.find((c: any) => c.name === o.containerName);
  if (!containerDef) throw new Error("Invalid task definition: Could not find container definition with matching name");
  containerDef.image = o.image;
  if (o.command) containerDef.command = o.command.split(" ");
  for (const k of IGNORED_TASK_DEFINITION_ATTRIBUTES) delete taskDefContents[k];
  return JSON.stringify(taskDefContents, null, 2);
}

// --- amazon-ecs-deploy-task-definition v2.6.3 -------------------------------------------------

function isEmptyValue(value: unknown): boolean {
  if (value === null || value === undefined || value === "") return true;
  if (Array.isArray(value)) {
    for (const element of value) if (!isEmptyValue(element)) return false;
    return true;
  }
  if (typeof value === "object") {
    for (const child of Object.values(value as object)) if (!isEmptyValue(child)) return false;
    return true;
  }
  return false;
}

function emptyValueReplacer(_key: string, value: unknown): unknown {
  if (isEmptyValue(value)) return undefined;
  if (Array.isArray(value)) return value.filter((e) => !isEmptyValue(e));
  return value;
}

const cleanNullKeys = (obj: unknown): any => JSON.parse(JSON.stringify(obj, emptyValueReplacer));

function removeIgnoredAttributes(taskDef: Record<string, unknown>, warnings: string[]): Record<string, unknown> {
  for (const attribute of IGNORED_TASK_DEFINITION_ATTRIBUTES) {
    if (taskDef[attribute]) {
      warnings.push(`Ignoring property '${attribute}' in the task definition file.`);
      delete taskDef[attribute];
    }
  }
  return taskDef;
}

function maintainValidObjects(taskDef: any): any {
  for (const c of taskDef.containerDefinitions ?? []) for (const e of c.environment ?? []) if (e.value === undefined) e.value = "";
  return taskDef;
}

interface DeployResult {
  taskDefinitionArn: string;
  beforeDeploymentId?: string;
  afterDeploymentId?: string;
  warnings: string[];
  /** The calls in the order the action makes them. */
  calls: string[];
}

/** The deploy action's ECS path with `wait-for-service-stability: true`; throws the action's errors. */
async function deployTaskDefinition(ecs: ECSClient, file: string, o: { cluster: string; service: string }): Promise<DeployResult> {
  const warnings: string[] = [];
  const calls: string[] = [];
  const taskDefContents = maintainValidObjects(removeIgnoredAttributes(cleanNullKeys(JSON.parse(readFileSync(file, "utf8"))), warnings));
  let taskDefinitionArn: string;
  try {
    calls.push("RegisterTaskDefinition");
    const r = await ecs.send(new RegisterTaskDefinitionCommand(taskDefContents as RegisterTaskDefinitionCommandInput));
    taskDefinitionArn = r.taskDefinition!.taskDefinitionArn!;
  } catch (err) {
    throw new Error(`Failed to register task definition in ECS: ${(err as Error).message}`);
  }
  calls.push("DescribeServices");
  const describe = await ecs.send(new DescribeServicesCommand({ services: [o.service], cluster: o.cluster }));
  if (describe.failures && describe.failures.length > 0) {
    const f = describe.failures[0]!;
    throw new Error(`${f.arn} is ${f.reason}`);
  }
  const service = describe.services![0]!;
  if (service.status !== "ACTIVE") throw new Error(`Service is ${service.status}`);
  const controller = service.deploymentController?.type;
  if (controller && controller !== "ECS") throw new Error(`Unsupported deployment controller: ${controller}`);
  const beforeDeploymentId = service.deployments?.find((d) => d.status === "PRIMARY")?.id;
  calls.push("UpdateService");
  const updated = await ecs.send(
    new UpdateServiceCommand({ cluster: o.cluster, service: o.service, taskDefinition: taskDefinitionArn, forceNewDeployment: false, volumeConfigurations: [] }),
  );
  const afterDeploymentId = updated.service?.deployments?.find((d) => d.status === "PRIMARY")?.id;
  calls.push("waitUntilServicesStable");
  await waitUntilServicesStable({ client: ecs, ...WAIT }, { services: [o.service], cluster: o.cluster });
  if (afterDeploymentId !== beforeDeploymentId) {
    calls.push("DescribeServices");
    const post = await ecs.send(new DescribeServicesCommand({ services: [o.service], cluster: o.cluster }));
    const deployment = post.services?.[0]?.deployments?.find((d) => d.id === afterDeploymentId);
    if (!deployment) {
      throw new Error(`Deployment ${afterDeploymentId} not found after stabilization. The deployment was likely rolled back by the deployment circuit breaker.`);
    }
    if (deployment.rolloutState === "FAILED") throw new Error(`Deployment ${afterDeploymentId} FAILED: ${deployment.rolloutStateReason}`);
  }
  return { taskDefinitionArn, beforeDeploymentId, afterDeploymentId, warnings, calls };
}

// --- load through the ALB listener ------------------------------------------------------------

interface Sample {
  at: number;
  status: number;
  body: string;
  error?: string;
}

function get(agent: Agent, port: number, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: "/", headers: { host }, agent, timeout: 15_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error("request timed out after 15 s")));
    req.on("error", reject);
    req.end();
  });
}

/** `rate` req/s spread over `clients` keep-alive connections (one request in flight each), bounded by `maxMs`. */
function startLoad(o: { port: number; host: string; rate: number; clients: number; maxMs: number }) {
  const agent = new Agent({ keepAlive: true, maxSockets: o.clients });
  const samples: Sample[] = [];
  const started = Date.now();
  const period = (1000 * o.clients) / o.rate;
  let stopped = false;
  const wakers = new Set<() => void>();
  const stop = () => {
    stopped = true;
    for (const w of wakers) w();
  };
  const hardStop = setTimeout(stop, o.maxMs);
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const waker = () => {
        clearTimeout(t);
        wakers.delete(waker);
        resolve();
      };
      const t = setTimeout(waker, ms);
      wakers.add(waker);
    });
  const worker = async (i: number) => {
    let next = started + (period * i) / o.clients;
    while (!stopped) {
      const wait = next - Date.now();
      if (wait > 0) await pause(wait);
      if (stopped) break;
      next += period;
      const at = Date.now();
      try {
        const r = await get(agent, o.port, o.host);
        samples.push({ at, status: r.status, body: r.body.trim() });
      } catch (err) {
        samples.push({ at, status: 0, body: "", error: (err as Error).message });
      }
    }
  };
  const done = Promise.all(Array.from({ length: o.clients }, (_, i) => worker(i)));
  return {
    samples,
    async stop() {
      stop();
      clearTimeout(hardStop);
      await done;
      agent.destroy();
      const failed = samples.filter((s) => s.error !== undefined || s.status < 200 || s.status > 299);
      return { total: samples.length, failed, seconds: (Date.now() - started) / 1000 };
    },
  };
}

const versionOf = (body: string) => /version=(\S+)/.exec(body)?.[1];

// --- the workflow -----------------------------------------------------------------------------

describe("GitHub Actions deploy workflow (configure-aws-credentials, ecr-login, render, deploy)", { skip, timeout: 600_000 }, () => {
  let slipway: SlipwayProcess | undefined;
  let dataDir = "";
  let dockerConfig = "";
  let workDir = "";
  const savedEnv: Record<string, string | undefined> = {};
  let sts: STSClient;
  let ecr: ECRClient;
  let ecs: ECSClient;
  let elb: ElasticLoadBalancingV2Client;
  let listenerPort = 0;
  let dnsName = "";
  let registry = "";
  let pushedImage = "";
  let goodDeploymentId = "";
  const localRefs = new Set<string>();
  const userAgents: string[] = [];

  const dk = async (args: string[], input?: string) => {
    const child = execFile("docker", args, { env: { ...process.env, DOCKER_CONFIG: dockerConfig }, maxBuffer: 16 * 1024 * 1024, timeout: 120_000 });
    if (input !== undefined) child.stdin!.end(input);
    else child.stdin!.end();
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    if (code !== 0) throw new Error(`docker ${args.join(" ")} failed (${code}): ${stderr.trim()}`);
    return stdout;
  };
  const describeService = async (): Promise<Service> => (await ecs.send(new DescribeServicesCommand({ cluster: CLUSTER, services: [SERVICE] }))).services![0]!;
  const completed = () =>
    pollUntil(
      async () => {
        const s = await describeService();
        return s.deployments!.length === 1 && s.deployments![0]!.rolloutState === "COMPLETED" && s.runningCount === s.desiredCount ? s : undefined;
      },
      { timeoutMs: 120_000, what: "one COMPLETED deployment" },
    );
  /** Until `n` consecutive load samples (after `from`) answer the version. */
  const settledOn = (samples: Sample[], version: string, from: number, n = 20) =>
    pollUntil(
      async () => {
        const recent = samples.filter((s) => s.at >= from).slice(-n);
        return recent.length === n && recent.every((s) => s.status === 200 && versionOf(s.body) === version) ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 200, what: `${n} consecutive responses with version=${version}` },
    );

  before(async () => {
    await ensureTestImages();
    dataDir = tempDataDir("slipway-e2e-gha-");
    dockerConfig = mkdtempSync(join(tmpdir(), "slipway-e2e-gha-docker-"));
    workDir = mkdtempSync(join(tmpdir(), "slipway-e2e-gha-work-"));
    slipway = await startSlipwayProcess({ dataDir });
    // What the workflow's environment looks like after configure-aws-credentials with static keys,
    // plus the endpoint override (AWS_ENDPOINT_URL, which the SDKs honour). Nothing else points the clients at Slipway.
    const env = {
      AWS_ENDPOINT_URL: slipway.url,
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "AKIAIOSFODNN7EXAMPLE",
      AWS_SECRET_ACCESS_KEY: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
      AWS_CONFIG_FILE: "/dev/null",
      AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
      AWS_EC2_METADATA_DISABLED: "true",
    };
    for (const [k, v] of Object.entries(env)) {
      savedEnv[k] = process.env[k];
      process.env[k] = v;
    }
    for (const k of ["AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_ECS", "AWS_ENDPOINT_URL_ECR", "AWS_ENDPOINT_URL_STS", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"]) {
      savedEnv[k] = process.env[k];
      delete process.env[k];
    }
    sts = new STSClient({ customUserAgent: "configure-aws-credentials-for-github-actions" });
    ecr = new ECRClient({ customUserAgent: "amazon-ecr-login-for-github-actions" });
    ecs = new ECSClient({ ...DEPLOY_CLIENT });
    elb = new ElasticLoadBalancingV2Client({});
    ecs.middlewareStack.add(
      (next) => async (args) => {
        const headers = (args.request as { headers?: Record<string, string> }).headers ?? {};
        userAgents.push(`${headers["user-agent"] ?? ""} ${headers["x-amz-user-agent"] ?? ""}`);
        return next(args);
      },
      { step: "finalizeRequest", name: "recordUserAgent" },
    );
  });

  after(async () => {
    for (const c of [sts, ecr, ecs, elb]) c?.destroy();
    for (const [k, v] of Object.entries(savedEnv)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await slipway?.kill("SIGTERM");
    if (dataDir) await cleanDataDir(dataDir);
    const port = slipway?.port;
    if (port) {
      const all = (await docker(["images", "--format", "{{.Repository}}:{{.Tag}}"]).catch(() => "")).split("\n");
      // Our push's tags, and the copy Slipway pulled for the tasks (127.0.0.1:<port>/<repo>).
      for (const r of all) if (r.startsWith(`localhost:${port}/`) || r.startsWith(`127.0.0.1:${port}/`)) localRefs.add(r);
    }
    for (const ref of localRefs) await docker(["rmi", ref]).catch(() => "");
    for (const d of [dockerConfig, workDir]) if (d) rmSync(d, { recursive: true, force: true });
  });

  test("configure-aws-credentials: GetCallerIdentity with static keys (endpoint from AWS_ENDPOINT_URL)", async () => {
    assert.equal(await sts.config.region(), "us-east-1");
    const id = await sts.send(new GetCallerIdentityCommand({}));
    assert.match(id.Account ?? "", /^\d{12}$/);
    assert.match(id.Arn ?? "", /^arn:aws:(iam|sts)::\d{12}:/);
    assert.ok(id.UserId);
    // The deploy action's client: region from AWS_REGION, retries as configured, its user agent on the wire.
    assert.equal(await ecs.config.region(), "us-east-1");
    assert.equal(await ecs.config.maxAttempts(), 3);
    const retryMode = ecs.config.retryMode;
    assert.equal(typeof retryMode === "string" ? retryMode : await retryMode(), "standard");
  });

  test("existing infrastructure: cluster, ALB + ip target group, Fargate service (desired 2) serving v1", async () => {
    await ecs.send(new CreateClusterCommand({ clusterName: CLUSTER }));
    const td = await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: FAMILY,
        networkMode: "awsvpc",
        requiresCompatibilities: ["FARGATE"],
        cpu: "256",
        memory: "512",
        containerDefinitions: [{ name: "web", image: TEST_IMAGES.web, essential: true, stopTimeout: 2, portMappings: [{ containerPort: 8080, protocol: "tcp" }] }],
        tags: [{ key: "app", value: "web" }],
      }),
    );
    const lb = (await elb.send(new CreateLoadBalancerCommand({ Name: LB_NAME, Subnets: ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"] }))).LoadBalancers![0]!;
    dnsName = lb.DNSName!;
    assert.match(dnsName, new RegExp(`^${LB_NAME}-[0-9a-f]{8}\\.us-east-1\\.elb\\.localhost$`));
    const tg = (
      await elb.send(
        new CreateTargetGroupCommand({
          Name: TG_NAME,
          Protocol: "HTTP",
          Port: 8080,
          VpcId: "vpc-0123456789abcdef0",
          TargetType: "ip",
          HealthCheckPath: "/health",
          HealthCheckIntervalSeconds: 5,
          HealthCheckTimeoutSeconds: 2,
          HealthyThresholdCount: 2,
          UnhealthyThresholdCount: 2,
        }),
      )
    ).TargetGroups![0]!;
    await elb.send(new ModifyTargetGroupAttributesCommand({ TargetGroupArn: tg.TargetGroupArn, Attributes: [{ Key: "deregistration_delay.timeout_seconds", Value: "5" }] }));
    listenerPort = await freePort();
    await elb.send(
      new CreateListenerCommand({ LoadBalancerArn: lb.LoadBalancerArn, Protocol: "HTTP", Port: listenerPort, DefaultActions: [{ Type: "forward", TargetGroupArn: tg.TargetGroupArn }] }),
    );
    await ecs.send(
      new CreateServiceCommand({
        cluster: CLUSTER,
        serviceName: SERVICE,
        taskDefinition: td.taskDefinition!.taskDefinitionArn,
        desiredCount: 2,
        launchType: "FARGATE",
        networkConfiguration: NET,
        loadBalancers: [{ targetGroupArn: tg.TargetGroupArn, containerName: "web", containerPort: 8080 }],
        deploymentConfiguration: { maximumPercent: 200, minimumHealthyPercent: 100, deploymentCircuitBreaker: { enable: true, rollback: true } },
      }),
    );
    await completed();
    const agent = new Agent({ keepAlive: false });
    const r = await pollUntil(
      async () => {
        const x = await get(agent, listenerPort, dnsName);
        return x.status === 200 ? x : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 300, what: "the listener to answer 200" },
    );
    agent.destroy();
    assert.equal(versionOf(r.body), "v1");
  });

  test("amazon-ecr-login: GetAuthorizationToken → docker login; build, tag and push the new image", async () => {
    const repo = (await ecr.send(new CreateRepositoryCommand({ repositoryName: REPO }))).repository!;
    const auth = await ecr.send(new GetAuthorizationTokenCommand({}));
    assert.equal(auth.authorizationData!.length, 1);
    const data = auth.authorizationData![0]!;
    const [user, password] = Buffer.from(data.authorizationToken!, "base64").toString("utf8").split(":");
    assert.equal(user, "AWS");
    assert.ok(password);
    assert.ok(data.expiresAt instanceof Date && data.expiresAt.getTime() > Date.now());
    assert.equal(data.proxyEndpoint, `http://localhost:${slipway!.port}`);
    registry = data.proxyEndpoint!.replace(/^https?:\/\//, "");
    assert.equal(repo.repositoryUri, `${registry}/${REPO}`);
    const login = await dk(["login", "--username", "AWS", "--password-stdin", registry], password!);
    assert.match(login, /Login Succeeded/);

    // docker build -t $REGISTRY/$REPOSITORY:$GITHUB_SHA . ; docker push
    writeFileSync(join(workDir, "Dockerfile"), `FROM ${TEST_IMAGES.webV2}\nLABEL org.opencontainers.image.revision=${GIT_SHA}\n`);
    pushedImage = `${registry}/${REPO}:${GIT_SHA}`;
    localRefs.add(pushedImage);
    await run("docker", ["build", "-q", "-t", pushedImage, workDir], { env: { ...process.env, DOCKER_BUILDKIT: "0", DOCKER_CONFIG: dockerConfig }, timeout: 120_000 });
    await dk(["push", pushedImage]);
    const images = await ecr.send(new DescribeImagesCommand({ repositoryName: REPO }));
    assert.deepEqual(images.imageDetails!.map((d) => d.imageTags), [[GIT_SHA]]);
  });

  test("render + deploy v2 under constant load: no failed request, responses switch to v2", async () => {
    assert.ok(pushedImage, "the push step ran");
    const before = await describeService();
    const load = startLoad({ port: listenerPort, host: dnsName, rate: 30, clients: 4, maxMs: 240_000 });
    let report: Awaited<ReturnType<typeof load.stop>> | undefined;
    try {
      await settledOn(load.samples, "v1", 0, 5);
      const rendered = await renderTaskDefinition(ecs, { family: FAMILY, containerName: "web", image: pushedImage });
      const renderedObj = JSON.parse(rendered);
      for (const k of IGNORED_TASK_DEFINITION_ATTRIBUTES) assert.equal(k in renderedObj, false, `render removed ${k}`);
      assert.equal("deleteRequestedAt" in renderedObj, false, "ACTIVE definitions carry no deleteRequestedAt");
      assert.deepEqual(renderedObj.tags, [{ key: "app", value: "web" }]);
      const file = join(workDir, "task-definition.json");
      writeFileSync(file, rendered);

      const t0 = Date.now();
      const result = await deployTaskDefinition(ecs, file, { cluster: CLUSTER, service: SERVICE });
      const deploySeconds = (Date.now() - t0) / 1000;
      assert.deepEqual(result.calls, ["RegisterTaskDefinition", "DescribeServices", "UpdateService", "waitUntilServicesStable", "DescribeServices"]);
      assert.deepEqual(result.warnings, [], "the rendered file has none of the ignored attributes");
      assert.match(result.taskDefinitionArn, new RegExp(`:task-definition/${FAMILY}:2$`));
      assert.equal(result.beforeDeploymentId, before.deployments![0]!.id);
      assert.notEqual(result.afterDeploymentId, result.beforeDeploymentId);
      goodDeploymentId = result.afterDeploymentId!;
      assert.ok(userAgents.length > 0 && userAgents.every((ua) => ua.includes("amazon-ecs-deploy-task-definition-for-github-actions")), userAgents[0]);

      const after = await describeService();
      assert.equal(after.taskDefinition, result.taskDefinitionArn);
      assert.deepEqual(after.deployments!.map((d) => d.id), [goodDeploymentId]);
      const registered = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: result.taskDefinitionArn, include: ["TAGS"] }));
      assert.equal(registered.taskDefinition!.containerDefinitions![0]!.image, pushedImage);
      assert.deepEqual(registered.tags, [{ key: "app", value: "web" }]);
      await settledOn(load.samples, "v2", Date.now());
      console.log(`# deploy v2: action replay took ${deploySeconds.toFixed(1)} s`);
    } finally {
      report = await load.stop();
    }
    const versions = new Set(load.samples.map((s) => versionOf(s.body)));
    console.log(`# load during deploy v2: ${report.total} requests in ${report.seconds.toFixed(1)} s, ${report.failed.length} failed, versions ${[...versions].join(",")}`);
    assert.deepEqual(report.failed.slice(0, 5), [], `${report.failed.length} failed requests`);
    assert.ok(versions.has("v1") && versions.has("v2"), [...versions].join(","));
    await completed();
  });

  test("a crashing revision: the circuit breaker rolls back, the action fails, v2 keeps serving", async () => {
    assert.ok(goodDeploymentId, "the v2 deploy ran");
    const load = startLoad({ port: listenerPort, host: dnsName, rate: 30, clients: 4, maxMs: 300_000 });
    let report: Awaited<ReturnType<typeof load.stop>> | undefined;
    let failure: Error | undefined;
    let failedId = "";
    try {
      await settledOn(load.samples, "v2", 0, 5);
      // render with `command: sh -c false`: the container exits at once.
      const file = join(workDir, "task-definition-broken.json");
      writeFileSync(file, await renderTaskDefinition(ecs, { family: FAMILY, containerName: "web", image: TEST_IMAGES.busybox, command: "sh -c false" }));
      const before = await describeService();
      assert.equal(before.deployments![0]!.id, goodDeploymentId);
      const t0 = Date.now();
      try {
        await deployTaskDefinition(ecs, file, { cluster: CLUSTER, service: SERVICE });
      } catch (err) {
        failure = err as Error;
      }
      console.log(`# failed deploy: action replay took ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      assert.ok(failure, "the deploy action must fail");
      const m = /^Deployment (\S+) (not found after stabilization\. The deployment was likely rolled back by the deployment circuit breaker\.|FAILED: .+)$/.exec(failure.message);
      assert.ok(m, failure.message);
      failedId = m[1]!;
      assert.notEqual(failedId, goodDeploymentId);
      console.log(`# the action would fail with: ${failure.message}`);

      const s = await completed();
      assert.match(s.taskDefinition!, new RegExp(`:task-definition/${FAMILY}:2$`), "rolled back to the v2 revision");
      assert.deepEqual(s.deployments!.map((d) => d.id).includes(failedId), false, "the failed deployment is gone");
      const messages = s.events!.map((e) => e.message);
      assert.ok(messages.includes(`(service ${SERVICE}) (deployment ${failedId}) deployment failed: tasks failed to start.`), messages.join("\n"));
      assert.ok(messages.some((x) => x === `(service ${SERVICE}) rolling back to deployment ${goodDeploymentId}.`), messages.join("\n"));
      await settledOn(load.samples, "v2", Date.now());
    } finally {
      report = await load.stop();
    }
    console.log(`# load during the failed deploy: ${report.total} requests in ${report.seconds.toFixed(1)} s, ${report.failed.length} failed`);
    assert.deepEqual(report.failed.slice(0, 5), [], `${report.failed.length} failed requests`);
    const versions = new Set(load.samples.map((x) => versionOf(x.body)));
    assert.deepEqual([...versions], ["v2"]);
  });

  test("deploy action errors: missing service → '<arn> is MISSING'", async () => {
    const file = join(workDir, "task-definition.json");
    await assert.rejects(
      deployTaskDefinition(ecs, file, { cluster: CLUSTER, service: "nope" }),
      (err: Error) => {
        assert.match(err.message, new RegExp(`^arn:aws:ecs:us-east-1:\\d{12}:service/${CLUSTER}/nope is MISSING$`));
        return true;
      },
    );
  });
});
