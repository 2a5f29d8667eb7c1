/**
 * Shared pieces of the ALB end-to-end suites (test/e2e/alb-*.test.ts) and bench/alb-deploy.ts:
 * a `slipway up` child process driven by the AWS CLI, load balancer / target group / listener
 * set-up, task definitions for the web test image, HTTP through a listener with a Host header
 * (no DNS needed), and a bounded constant-rate load generator over keep-alive connections.
 * Not a test file itself (no `.test.ts`).
 */
import { Agent, request } from "node:http";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { DescribeTargetHealthCommand, ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import {
  aws,
  cleanDataDir,
  instanceIdOf,
  jsonFileArg,
  pollUntil,
  type SlipwayProcess,
  startSlipwayProcess,
  tempDataDir,
} from "../helpers/slipway-process.ts";

const run = promisify(execFile);

/**
 * Which data plane the ALB suites run against: node (default) or haproxy. Each alb-*.test.ts runs
 * with node; its alb-*.haproxy.test.ts twin sets SLIPWAY_TEST_DATA_PLANE=haproxy and imports it.
 */
export const DATA_PLANE: "node" | "haproxy" = process.env.SLIPWAY_TEST_DATA_PLANE === "haproxy" ? "haproxy" : "node";

/** Undefined when the chosen data plane can run here, else why not. */
export async function dataPlaneAvailable(): Promise<string | undefined> {
  if (DATA_PLANE !== "haproxy") return undefined;
  try {
    await run("haproxy", ["-v"], { timeout: 10_000 });
    return undefined;
  } catch (err) {
    return `haproxy not usable for the HAProxy data plane: ${(err as Error).message.split("\n")[0]}`;
  }
}

export const NET = {
  awsvpcConfiguration: { subnets: ["subnet-0123456789abcdef0"], securityGroups: ["sg-0123456789abcdef0"], assignPublicIp: "DISABLED" },
};
export const SUBNETS = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"];

export const CONTAINER_HEALTH = {
  command: ["CMD-SHELL", "wget -q -O /dev/null http://127.0.0.1:8080/health || exit 1"],
  interval: 5,
  timeout: 2,
  retries: 2,
};

export interface WebContainerOptions {
  image: string;
  bridge?: boolean;
  /** Adds /cgi-bin/slow (answers after `slowSeconds`) by wrapping the image's entrypoint. */
  slowSeconds?: number;
  healthCheck?: boolean;
}

/**
 * The web test image's container. With `slowSeconds`, the container first writes a CGI script
 * that sleeps and then answers `slow done version=$VERSION`, then execs the image's own
 * entrypoint, so a long-running request can be served by the very tasks being deployed (the shared
 * test images stay untouched).
 */
export function webContainer(o: WebContainerOptions): Record<string, unknown> {
  const slow =
    o.slowSeconds === undefined
      ? {}
      : {
          entryPoint: ["sh", "-c"],
          command: [
            [
              "mkdir -p /www/cgi-bin",
              "echo '#!/bin/sh' > /www/cgi-bin/slow",
              `echo 'sleep ${o.slowSeconds}' >> /www/cgi-bin/slow`,
              `echo 'printf "Content-Type: text/plain\\r\\n\\r\\n"' >> /www/cgi-bin/slow`,
              `echo 'echo "slow done version=$VERSION"' >> /www/cgi-bin/slow`,
              "chmod 0755 /www/cgi-bin/slow",
              "exec /entrypoint.sh",
            ].join(" && "),
          ],
        };
  return {
    name: "web",
    image: o.image,
    essential: true,
    stopTimeout: 2,
    ...(o.bridge ? { memory: 64 } : {}),
    portMappings: [{ containerPort: 8080, ...(o.bridge ? { hostPort: 0 } : {}), protocol: "tcp" }],
    ...(o.healthCheck === false ? {} : { healthCheck: CONTAINER_HEALTH }),
    ...slow,
  };
}

export function vpcTaskDef(family: string, container: object) {
  return { family, networkMode: "awsvpc", requiresCompatibilities: ["FARGATE"], cpu: "256", memory: "512", containerDefinitions: [container] };
}

export function bridgeTaskDef(family: string, container: object) {
  return { family, networkMode: "bridge", requiresCompatibilities: ["EC2"], containerDefinitions: [container] };
}

/** `curl` exists (for the *.localhost checks); undefined when usable, else why not. */
export async function curlAvailable(): Promise<string | undefined> {
  try {
    await run("curl", ["--version"], { timeout: 10_000 });
    return undefined;
  } catch (err) {
    return `curl not usable: ${(err as Error).message.split("\n")[0]}`;
  }
}

export async function curl(args: string[]): Promise<string> {
  const { stdout } = await run("curl", ["-s", "--max-time", "10", ...args], { timeout: 15_000, maxBuffer: 4 * 1024 * 1024 });
  return stdout;
}

export interface Env {
  readonly slipway: SlipwayProcess;
  readonly url: string;
  readonly dataDir: string;
  readonly instanceId: string;
  ecs<T = any>(...args: string[]): Promise<T>;
  elb<T = any>(...args: string[]): Promise<T>;
  json(name: string, value: unknown): string;
  close(): Promise<void>;
}

export async function startEnv(prefix: string): Promise<Env> {
  const dataDir = tempDataDir(prefix);
  let slipway: SlipwayProcess;
  try {
    slipway = await startSlipwayProcess({ dataDir, env: { SLIPWAY_DATA_PLANE: DATA_PLANE } });
  } catch (err) {
    await cleanDataDir(dataDir);
    throw err;
  }
  const url = slipway.url;
  let n = 0;
  return {
    slipway,
    url,
    dataDir,
    instanceId: instanceIdOf(dataDir),
    ecs: (...args) => aws(url, ["ecs", ...args]),
    elb: (...args) => aws(url, ["elbv2", ...args]),
    json: (name, value) => jsonFileArg(dataDir, `${n++}-${name}`, value),
    close: async () => {
      await slipway.kill("SIGTERM");
      await cleanDataDir(dataDir);
    },
  };
}

export interface Alb {
  lbArn: string;
  dnsName: string;
  listenerArn: string;
  port: number;
}

export async function createAlb(env: Env, name: string, port: number, defaultActions: unknown[]): Promise<Alb> {
  const lb = await env.elb("create-load-balancer", "--name", name, "--subnets", ...SUBNETS);
  const l = lb.LoadBalancers[0];
  const listener = await env.elb(
    "create-listener",
    "--load-balancer-arn",
    l.LoadBalancerArn,
    "--protocol",
    "HTTP",
    "--port",
    String(port),
    "--default-actions",
    env.json("actions.json", defaultActions),
  );
  return { lbArn: l.LoadBalancerArn, dnsName: l.DNSName, listenerArn: listener.Listeners[0].ListenerArn, port };
}

export interface TgOptions {
  targetType?: "ip" | "instance";
  interval?: number;
  healthyThreshold?: number;
  unhealthyThreshold?: number;
  timeout?: number;
  deregistrationDelay?: number;
  path?: string;
}

export async function createTargetGroup(env: Env, name: string, o: TgOptions = {}): Promise<string> {
  const tg = await env.elb(
    "create-target-group",
    "--name",
    name,
    "--protocol",
    "HTTP",
    "--port",
    "8080",
    "--vpc-id",
    "vpc-0123456789abcdef0",
    "--target-type",
    o.targetType ?? "ip",
    "--health-check-path",
    o.path ?? "/health",
    "--health-check-interval-seconds",
    String(o.interval ?? 5),
    "--health-check-timeout-seconds",
    String(o.timeout ?? 2),
    "--healthy-threshold-count",
    String(o.healthyThreshold ?? 2),
    "--unhealthy-threshold-count",
    String(o.unhealthyThreshold ?? 2),
  );
  const arn = tg.TargetGroups[0].TargetGroupArn as string;
  await env.elb(
    "modify-target-group-attributes",
    "--target-group-arn",
    arn,
    "--attributes",
    `Key=deregistration_delay.timeout_seconds,Value=${o.deregistrationDelay ?? 5}`,
  );
  return arn;
}

export const forwardTo = (tgArn: string) => [{ Type: "forward", TargetGroupArn: tgArn }];

export interface Reply {
  status: number;
  body: string;
  headers: Record<string, string | string[] | undefined>;
}

const oneShot = new Agent({ keepAlive: false });

/** One request to 127.0.0.1:port with a Host header (so no *.localhost resolution is needed). */
export function albRequest(port: number, host: string, path = "/", o: { method?: string; agent?: Agent; timeoutMs?: number } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, path, method: o.method ?? "GET", headers: { host }, agent: o.agent ?? oneShot, timeout: o.timeoutMs ?? 10_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), headers: res.headers }));
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error(`request timed out after ${o.timeoutMs ?? 10_000} ms`)));
    req.on("error", reject);
    req.end();
  });
}

/** Waits until the listener answers with the given status (e.g. 200 once targets are healthy). */
export function waitForStatus(port: number, host: string, status: number, timeoutMs = 60_000, path = "/"): Promise<Reply> {
  return pollUntil(
    async () => {
      const r = await albRequest(port, host, path, { timeoutMs: 3000 });
      return r.status === status ? r : undefined;
    },
    { timeoutMs, intervalMs: 300, what: `${host}:${port}${path} to answer ${status}` },
  );
}

export const versionOf = (body: string) => /version=(\S+)/.exec(body)?.[1];
export const hostOf = (body: string) => /hello from (\S+)/.exec(body)?.[1];

export interface LoadSample {
  at: number;
  ms: number;
  status: number;
  body: string;
  error?: string;
}

export interface LoadReport {
  total: number;
  failed: LoadSample[];
  samples: LoadSample[];
  durationMs: number;
}

/**
 * Constant-rate load: `rate` requests per second spread over `concurrency` keep-alive clients
 * (each client sends at most one request at a time on its own connection). Stops on `stop()` or
 * after `maxMs`, whichever comes first; a request answered with anything but 2xx, or failing at the
 * socket level, is a failure.
 */
export function startLoad(o: { port: number; host: string; rate: number; concurrency: number; maxMs: number; path?: string }) {
  const agent = new Agent({ keepAlive: true, maxSockets: o.concurrency, keepAliveMsecs: 1000 });
  const samples: LoadSample[] = [];
  const started = Date.now();
  const interval = (1000 * o.concurrency) / o.rate;
  let stopped = false;
  let wake: (() => void) | undefined;
  const stopTimer = setTimeout(() => stop(), o.maxMs);
  function stop() {
    stopped = true;
    clearTimeout(stopTimer);
    wake?.();
  }
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  const worker = async (i: number) => {
    let next = started + (interval * i) / o.concurrency;
    while (!stopped) {
      const wait = next - Date.now();
      if (wait > 0) await pause(wait);
      if (stopped) break;
      next += interval;
      const at = Date.now();
      try {
        const r = await albRequest(o.port, o.host, o.path ?? "/", { agent, timeoutMs: 15_000 });
        samples.push({ at, ms: Date.now() - at, status: r.status, body: r.body.slice(0, 200) });
      } catch (err) {
        samples.push({ at, ms: Date.now() - at, status: 0, body: "", error: (err as Error).message });
      }
    }
  };
  const done = Promise.all(Array.from({ length: o.concurrency }, (_, i) => worker(i))).then((): LoadReport => {
    agent.destroy();
    return {
      total: samples.length,
      failed: samples.filter((s) => s.error !== undefined || s.status < 200 || s.status > 299),
      samples,
      durationMs: Date.now() - started,
    };
  });
  return {
    samples,
    stop: async () => {
      stop();
      return done;
    },
  };
}

/** Service events (oldest first). */
export async function serviceEvents(env: Env, cluster: string, service: string): Promise<string[]> {
  const out = await env.ecs("describe-services", "--cluster", cluster, "--services", service);
  return (out.services[0].events as { message: string }[]).map((e) => e.message).reverse();
}

/**
 * A fast target-health poller through the SDK (milliseconds per call, where the CLI takes a second
 * or more): for watching short-lived states like `draining` while a deployment runs.
 */
export function targetHealthPoller(env: Env, tgArn: string) {
  const client = new ElasticLoadBalancingV2Client({
    endpoint: env.url,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    maxAttempts: 1,
  });
  return {
    poll: async () => (await client.send(new DescribeTargetHealthCommand({ TargetGroupArn: tgArn }))).TargetHealthDescriptions ?? [],
    close: () => client.destroy(),
  };
}

export async function targetHealth(env: Env, tgArn: string): Promise<any[]> {
  return (await env.elb("describe-target-health", "--target-group-arn", tgArn)).TargetHealthDescriptions;
}

/** Waits for one deployment with rolloutState COMPLETED (health included, unlike services-stable). */
export function waitCompleted(env: Env, cluster: string, service: string, timeoutMs = 120_000): Promise<any> {
  return pollUntil(
    async () => {
      const s = (await env.ecs("describe-services", "--cluster", cluster, "--services", service)).services[0];
      return s.deployments.length === 1 && s.deployments[0].rolloutState === "COMPLETED" && s.runningCount === s.desiredCount ? s : undefined;
    },
    { timeoutMs, intervalMs: 500, what: `${service} to have one COMPLETED deployment` },
  );
}

export async function registerTd(env: Env, td: object): Promise<string> {
  const out = await env.ecs("register-task-definition", "--cli-input-json", env.json("td.json", td));
  return out.taskDefinition.taskDefinitionArn;
}

export async function createService(
  env: Env,
  input: { cluster: string; serviceName: string; taskDefinition: string; desiredCount: number; tgArn: string; bridge?: boolean; deploymentConfiguration?: object; healthCheckGracePeriodSeconds?: number },
): Promise<any> {
  const out = await env.ecs(
    "create-service",
    "--cli-input-json",
    env.json("svc.json", {
      cluster: input.cluster,
      serviceName: input.serviceName,
      taskDefinition: input.taskDefinition,
      desiredCount: input.desiredCount,
      launchType: input.bridge ? "EC2" : "FARGATE",
      ...(input.bridge ? {} : { networkConfiguration: NET }),
      loadBalancers: [{ targetGroupArn: input.tgArn, containerName: "web", containerPort: 8080 }],
      deploymentConfiguration: input.deploymentConfiguration ?? { maximumPercent: 200, minimumHealthyPercent: 100 },
      ...(input.healthCheckGracePeriodSeconds !== undefined ? { healthCheckGracePeriodSeconds: input.healthCheckGracePeriodSeconds } : {}),
    }),
  );
  return out.service;
}
