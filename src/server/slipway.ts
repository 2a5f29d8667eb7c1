/**
 * The composition root: builds every piece in dependency order and connects them. It holds no
 * logic of its own: the front door is src/server/http.ts, the adapters between services are
 * src/server/ports.ts, periodic jobs are src/server/background.ts. Tests call startSlipway() with
 * fakes (runtime, clock, ids).
 */
import { randomUUID } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join } from "node:path";
import { createGateway } from "../aws/gateway.ts";
import { systemClock } from "../core/clock.ts";
import { DEFAULT_ACCOUNT_ID, DEFAULT_AWSVPC_NETWORK, DEFAULT_DATA_DIR, DEFAULT_PORT, DEFAULT_REGION, DEFAULT_TIMEOUTS, type Timeouts } from "../core/config.ts";
import { randomIds } from "../core/ids.ts";
import { openDataDir, PRIVATE_FILE } from "../core/private-files.ts";
import { textSealer } from "../core/sealed-text.ts";
import { LogShipper } from "../awslogs/shipper.ts";
import { DataPlane, type LoadBalancerDataPlane } from "../proxy/data-plane.ts";
import { HaproxyDataPlane, haproxyAvailable } from "../proxy/haproxy/haproxy-data-plane.ts";
import type { RoutingTable } from "../proxy/routing-table.ts";
import { HealthChecker } from "../proxy/health-checker.ts";
import { ecrRegistryPort } from "../registry/ecr-port.ts";
import { createRegistry } from "../registry/registry.ts";
import { isRegistryPath } from "../registry/routes.ts";
import { DockerRuntime } from "../runtime/docker/docker-runtime.ts";
import { Host } from "../runtime/host.ts";
import { Controller } from "../scheduler/controller.ts";
import { startSchedulers } from "../scheduler/startup.ts";
import { ServiceReconciler } from "../scheduler/service-reconciler.ts";
import { TaskReconciler } from "../scheduler/task-reconciler.ts";
import { Acm, acmService } from "../services/acm/index.ts";
import { Ec2 } from "../services/ec2/ec2.ts";
import { ec2Service } from "../services/ec2/index.ts";
import { Ecr, ecrService } from "../services/ecr/index.ts";
import { Ecs } from "../services/ecs/ecs.ts";
import { localObjects } from "../services/ecs/env-files.ts";
import { TaskPermissionChecks } from "../services/ecs/permissions.ts";
import { ecsService } from "../services/ecs/index.ts";
import { Elbv2 } from "../services/elbv2/elbv2.ts";
import { elbv2Service } from "../services/elbv2/index.ts";
import { RoutingTableSource } from "../services/elbv2/table-source.ts";
import { AutoScaling, autoScalingService } from "../services/application-autoscaling/index.ts";
import { CloudWatch, cloudWatchService } from "../services/cloudwatch/index.ts";
import { Iam, iamService } from "../services/iam/index.ts";
import { Kms, kmsService, MasterKey } from "../services/kms/index.ts";
import { Logs, logsService } from "../services/logs/index.ts";
import { SecretsManager, secretsManagerService } from "../services/secretsmanager/index.ts";
import { Ssm, ssmService } from "../services/ssm/index.ts";
import { stsService } from "../services/sts/index.ts";
import { Store } from "../store/store.ts";
import { Activity, mayChangeState } from "../console/activity.ts";
import { Assets } from "../console/assets.ts";
import { Feed, METRICS_MINUTE_KEY } from "../console/feed.ts";
import { CONSOLE_PATH, ConsoleServer } from "../console/server.ts";
import { ExecSessions } from "../exec/sessions.ts";
import { EXEC_PATH, ExecStreams } from "../exec/websocket.ts";
import { LABELS } from "../runtime/runtime.ts";
import { TrafficCounters } from "../proxy/traffic-counters.ts";
import { AlbMetrics } from "../telemetry/alb-metrics.ts";
import { EcsMetrics } from "../telemetry/ecs-metrics.ts";
import { tearDownAddress } from "../task-endpoint/address.ts";
import { startTaskEndpoint, TaskEndpoint } from "../task-endpoint/endpoint.ts";
import { EcsRepo } from "../services/ecs/repo.ts";
import { VpcDataPlane } from "../vpc/data-plane.ts";
import { Background, INTERVALS, STOPPED_TASK_RETENTION_MS } from "./background.ts";
import { closeServer, frontDoor, listen } from "./http.ts";
export type { Credentials, LeftRunning, Slipway, SlipwayOptions } from "./options.ts";
import type { Slipway, SlipwayOptions } from "./options.ts";
import { Authorizer } from "../authz/authorizer.ts";
import { GITHUB_ISSUER, OidcIssuer } from "../oidc/issuer.ts";
import { fullGc, IdleCollector } from "./idle-gc.ts";
import {
  consolePermitsPort,
  resourceLookupPort,
  rolePermissionsPort,
  alarmActionsPort,
  ecsTelemetrySource,
  metricSinkPort,
  performanceLogsPort,
  scalableServicesPort,
  scalingAlarmsPort,
  targetGroupsPort,
  certificateSourcePort,
  certificateUsersPort,
  loadBalancerNetworkingPort,
  loadBalancerServingPort,
  loadBalancerSourcesPort,
  loadBalancingPort,
  localImagesPort,
  parameterKeysPort,
  reporterSource,
  repositoryKeysPort,
  roleSessionsPort,
  secretKeysPort,
  taskNetworkingPort,
  taskReachabilityPort,
  taskSecretsPort,
  taskViewPort,
} from "./ports.ts";
import { Reporter } from "./reporter.ts";

export async function startSlipway(opts: SlipwayOptions = {}): Promise<Slipway> {
  const log = opts.log ?? ((m: string) => console.error(m));
  const clock = opts.clock ?? systemClock;
  const ids = opts.ids ?? randomIds;
  const accountId = opts.accountId ?? DEFAULT_ACCOUNT_ID;
  const region = opts.region ?? DEFAULT_REGION;
  const dataDir = opts.dataDir ?? DEFAULT_DATA_DIR;
  // Owner-only (0700, files 0600); an older, more open data directory is tightened once.
  const { tightened } = openDataDir(dataDir);
  if (tightened > 0) log(`restricted ${tightened} file(s) and folder(s) in ${dataDir} to their owner`);
  // Always random, even with seeded test ids: two Slipways must never share an instance label.
  const instanceId = readOrCreate(join(dataDir, "instance-id"), () => randomUUID());
  // Slipway's OIDC issuer (offline GitHub Actions tokens), its key in the data directory. A new
  // key is generated off the main thread; only signing and the key set wait for it.
  const oidc = OidcIssuer.open(opts.oidcIssuer ?? GITHUB_ISSUER, join(dataDir, "oidc-signing-key.json"));
  const store = new Store(join(dataDir, "slipway.db"), { fsync: opts.fsync ?? false });
  const runtime = opts.runtime ?? new DockerRuntime();
  const host = new Host(runtime, log);
  const deps = { store, clock, ids };
  // The port first: ECR's repository URIs and the image-pull rewrite name it.
  const timeouts: Timeouts = { ...DEFAULT_TIMEOUTS, ...opts.timeouts };
  const http = await listen({
    port: opts.port ?? DEFAULT_PORT,
    host: opts.host ?? "127.0.0.1",
    headersTimeoutMs: timeouts.headersMs,
    keepAliveTimeoutMs: timeouts.keepAliveMs,
  });
  const port = http.port;
  const background = new Background(clock, log);

  const registry = createRegistry({
    store,
    dataDir,
    clock,
    ids,
    defaultAccountId: accountId,
    defaultRegion: region,
    strict: opts.registry?.strict ?? opts.strictAuth ?? false,
    autoCreateRepositories: opts.registry?.autoCreateRepositories ?? false,
    bodyIdleMs: timeouts.registryBodyIdleMs,
    log,
    // IAM enforcement of pushes and pulls (the authorizer is built below, once IAM exists).
    authorize: (req) => registryAuthorize?.(req),
  });
  let registryAuthorize: ((req: { scope: { accountId: string; region: string }; accessKeyId: string | undefined; action: string; repository: string }) => string | undefined) | undefined;
  // KMS first: Secrets Manager, Parameter Store and ECR encrypt through it.
  // One master key protects everything at rest: KMS key material, and IAM/STS credentials.
  const masterKey = MasterKey.fromFile(join(dataDir, "kms-master.key"), log);
  const kms = new Kms({ ...deps, masterKey });
  const secretsManager = new SecretsManager({ ...deps, keys: secretKeysPort(kms) });
  const ssm = new Ssm({ ...deps, keys: parameterKeysPort(kms) });
  const iam = new Iam({ ...deps, secrets: textSealer(masterKey) });
  const sealed = iam.repo.sealPlaintextSecrets();
  if (sealed > 0) log(`sealed the credentials of ${sealed} IAM key(s) and STS session(s) stored in plaintext by an older Slipway`);
  const ecr = new Ecr({
    store,
    clock,
    registry: ecrRegistryPort(registry),
    registryHost: () => `localhost:${port}`,
    keys: repositoryKeysPort(kms),
    sessionExpiry: (akid) => iam.session(akid)?.expiresAt,
    iamKey: (akid) => iam.lookupSecret(akid) !== undefined,
  });
  // EC2 may attach user ENIs to the container instances' EC2 instance ids (ECS's records).
  const containerInstances = new EcsRepo(store);
  const ec2 = new Ec2({ ...deps, instanceIds: (scope) => containerInstances.containerInstanceIds(scope), warn: log });
  // The VPC on this host: subnet networks, security groups in the kernel, the load balancers' sources.
  const vpc = new VpcDataPlane({
    view: () => ec2.view(),
    runtime,
    instanceId,
    dataDir,
    log,
    now: () => clock.now(),
    enforce: opts.securityGroups ?? "off",
  });
  const logs = new Logs(deps);
  const cloudwatch = new CloudWatch(deps);
  logs.metricFilters.sink = metricSinkPort(cloudwatch);
  const shipper = new LogShipper(deps, logs, runtime, { log });

  // IAM enforcement: every signed request authorised before its handler (src/authz).
  const enforceIam = opts.enforceIam ?? opts.strictAuth ?? false;
  const authorizer = new Authorizer({
    principals: (akid, account) => iam.principals.forAccessKey(akid, account),
    lookup: resourceLookupPort(store, ecr, secretsManager, kms, iam),
    clock,
  });
  if (enforceIam) registryAuthorize = (req) => authorizer.registryDenial(req.accessKeyId, req.scope, req.action, req.repository);

  // The load balancer: health checks, the data plane, the ELBv2 API with ACM's certificates, and
  // the routing snapshot. The data plane binds each host port, or moves it to its fallback
  // (src/proxy/host-ports.ts); ELBv2 reports where (DescribeLoadBalancers' State.Reason).
  const healthChecker = new HealthChecker({ clock });
  // Plain per-minute counters the AWS/ApplicationELB metrics come from (off: nothing counted);
  // both data planes report to them through the observer seam (src/proxy/observer.ts).
  const trafficCounters = new TrafficCounters();
  trafficCounters.enabled = opts.loadBalancerMetrics ?? true;
  if (opts.dataPlane === "haproxy") {
    const why = await haproxyAvailable();
    if (why) throw new Error(`the HAProxy data plane was asked for, but ${why}`);
  }
  const dataPlane: LoadBalancerDataPlane =
    opts.dataPlane === "haproxy"
      ? new HaproxyDataPlane({ health: healthChecker, log, observer: trafficCounters })
      : new DataPlane({ health: healthChecker, clock, log, observer: trafficCounters });
  const certificates = certificateSourcePort(() => acm);
  const elbv2 = new Elbv2(deps, {
    health: healthChecker,
    network: loadBalancerNetworkingPort(ec2),
    serving: loadBalancerServingPort(dataPlane),
    certificates,
  });
  const acm = new Acm({ ...deps, dataDir, log, users: certificateUsersPort(elbv2) });
  // Each ip target's source address: its load balancer's ENI address on this host (src/vpc).
  const routing = new RoutingTableSource({ store, repo: elbv2.repo, clock, certificates, sources: loadBalancerSourcesPort(ec2, () => vpc.boundSources()) });
  const applyTable = (table: RoutingTable) => {
    dataPlane.apply(table);
    healthChecker.update(table);
  };
  routing.onChange(applyTable);
  vpc.onSourcesChanged(() => routing.rebuild());
  applyTable(routing.current());
  routing.start();

  // ECS Exec: ExecuteCommand opens a session; its stream is a WebSocket on this port (src/exec/).
  const execSessions = new ExecSessions({ clock, streamBase: () => `ws://127.0.0.1:${port}${EXEC_PATH.slice(0, -1)}` });
  const execStreams = new ExecStreams({ sessions: execSessions, runtime, port: () => port, log });

  // ECS and its two controllers.
  const ecs = new Ecs(deps, { host: () => host.describe(), lb: loadBalancingPort(elbv2), network: taskNetworkingPort(ec2), exec: execSessions, warn: log });
  // What a task container reaches at 169.254.170.2 (metadata, task-role credentials, the AWS API).
  const taskEndpoint =
    (opts.taskEndpoint ?? "off") !== "off"
      ? new TaskEndpoint({ ...deps, runtime, tasks: taskViewPort(ecs), sessions: roleSessionsPort(iam) }, { endpointUrl: opts.injectEndpointUrl ?? true })
      : undefined;
  let taskEndpointServes = false;
  let taskEndpointUrl: string | undefined;
  const tasks = new Controller(
    (wake) =>
      new TaskReconciler(ecs, runtime, {
        awsvpcNetwork: opts.awsvpcNetwork ?? DEFAULT_AWSVPC_NETWORK,
        bindHostIp: "127.0.0.1",
        instanceId,
        localImages: localImagesPort({ clock, registry, port, hostedAccounts: new Set([accountId, ...(opts.credentials ?? []).map((c) => c.accountId)]) }),
        wake,
        logs: { prepare: (t) => shipper.ensureGroupForTask(t), follow: (t) => shipper.follow(t) },
        envFileObjects: localObjects(join(dataDir, "s3")),
        secrets: taskSecretsPort(secretsManager, ssm, ids),
        subnetNetworks: { name: (subnetId) => vpc.networks.networkName(subnetId), ensure: (subnetId) => vpc.taskNetwork(subnetId) },
        reachability: taskReachabilityPort(ec2),
        ...(opts.unreachableTimeoutMs !== undefined ? { unreachableTimeoutMs: opts.unreachableTimeoutMs } : {}),
        ...(enforceIam ? { permissions: new TaskPermissionChecks(rolePermissionsPort(iam, authorizer), () => ids.uuid()) } : {}),
        ...(taskEndpoint
          ? {
              identity: {
                environment: (t, c) => (taskEndpointServes ? taskEndpoint.environment(t, c) : []),
                release: (arn) => taskEndpoint.release(arn),
              },
            }
          : {}),
        log,
      }),
    { clock, log },
  );
  const services = new Controller(new ServiceReconciler(ecs), { clock, log });

  // Auto scaling: alarms invoke policies, policies set ECS desired counts through UpdateService.
  const autoscaling = new AutoScaling(deps);
  autoscaling.services = scalableServicesPort(ecs);
  autoscaling.alarms = scalingAlarmsPort(cloudwatch);
  autoscaling.targetGroups = targetGroupsPort(elbv2);
  cloudwatch.alarms.actions = alarmActionsPort(autoscaling);
  store.onChange((keys) => {
    for (const k of keys) {
      if (k.startsWith("task:")) tasks.enqueue(k);
      else if (k.startsWith("service:")) services.enqueue(k);
      else if (k.startsWith("ec2:")) vpc.changed();
    }
  });
  // A target's health changed: wake the services that use its target group.
  healthChecker.onChange((tgArn) => {
    for (const arn of ecs.repo.serviceArnsUsingTargetGroup(tgArn)) services.enqueue(`service:${arn}`);
  });

  // What the console shows live: the store's committed keys, target-health changes, API calls.
  const activity = new Activity();
  const feed = new Feed();
  store.onChange((keys) => feed.changed(keys));
  healthChecker.onChange((tgArn) => feed.changed([`health:${tgArn}`]));
  activity.onEntry((e) => {
    feed.activity(e);
    if (mayChangeState(e)) feed.changed([`api:${e.accountId}:${e.region}:${e.service}:${e.operation}`]);
  });

  // The AWS APIs and the front door.
  const credentials = new Map((opts.credentials ?? []).map((c) => [c.accessKeyId, c]));
  // IAM-issued key ids start AKIA (users) or ASIA (sessions); other ids skip the IAM lookup.
  const lookupSecret = (akid: string) => credentials.get(akid) ?? (/^A[KS]IA/.test(akid) ? iam.lookupSecret(akid) : undefined);
  const apis = [
    ecsService(ecs),
    elbv2Service(elbv2),
    acmService(acm),
    iamService(iam),
    stsService(iam, { enforce: enforceIam, issuer: oidc }),
    ec2Service(ec2),
    logsService(logs),
    ecrService(ecr),
    kmsService(kms),
    secretsManagerService(secretsManager),
    ssmService(ssm),
    cloudWatchService(cloudwatch),
    autoScalingService(autoscaling),
  ];
  const gateway = createGateway({
    services: apis,
    defaultAccountId: accountId,
    defaultRegion: region,
    strictAuth: opts.strictAuth ?? false,
    lookupSecret,
    ids,
    // Strict mode judges a signature's date against the injected clock.
    now: () => clock.now(),
    bodyIdleMs: timeouts.apiBodyIdleMs,
    observe: (call) => activity.record(call),
    ...(enforceIam ? { authorize: authorizer.authorizeCall } : {}),
  });
  const consoleServer = new ConsoleServer({
    port,
    strictAuth: opts.strictAuth ?? false,
    defaultRegion: region,
    invoke: (req) => gateway.invoke(req),
    clock,
    runtime,
    activity,
    feed,
    assets: new Assets(),
    services: apis.map((s) => s.signingName),
    listeners: () => dataPlane.listeners(),
    keyValid: (akid) => lookupSecret(akid) !== undefined,
    ...(enforceIam ? { permits: consolePermitsPort(iam, authorizer, (akid) => !(opts.strictAuth ?? false) || lookupSecret(akid) !== undefined) } : {}),
  });
  http.serve(
    frontDoor({
      isRegistryPath,
      registry: (req, res) => registry.handle(req, res),
      gateway: (req, res) => gateway.handle(req, res),
      console: (req, res) => consoleServer.handle(req, res),
      endpoints: {
        health: () => ({ status: "ok", instanceId, vpc: vpc.status() }),
        // Where each load-balancer listener is actually served (src/proxy/host-ports.ts).
        listeners: () => ({ listeners: dataPlane.listeners() }),
        // The OIDC issuer's discovery document and keys (public).
        "oidc/.well-known/openid-configuration": () => oidc.discovery(`http://127.0.0.1:${port}`),
      },
      documents: {
        // The local CA's root certificate (public): trust it to verify requested certificates.
        "ca.pem": async () => ({ contentType: "application/x-pem-file", body: await acm.authority.rootPem() }),
        // The OIDC issuer's keys (public), once its key is loaded or made.
        "oidc/jwks": async () => ({ contentType: "application/json", body: JSON.stringify(await oidc.jwks()) }),
      },
    }),
    { accepts: (url) => url.startsWith(EXEC_PATH), handle: (req, socket, head) => execStreams.upgrade(req, socket, head) },
  );

  // `slipway up`'s terminal lines (src/server/reporter.ts).
  if (opts.report) {
    const reporter = new Reporter({ source: reporterSource(ecs.repo), write: opts.report, clock });
    store.onChange((keys) => reporter.changed(keys));
  }

  const api = (req: IncomingMessage, res: ServerResponse) => gateway.handle(req, res);
  if (taskEndpoint && typeof opts.taskEndpoint === "object") {
    const p = await taskEndpoint.listen(taskEndpoint.handler(api), opts.taskEndpoint.host, opts.taskEndpoint.port);
    taskEndpointServes = true;
    taskEndpointUrl = `http://${opts.taskEndpoint.host}:${p}`;
  } else if (taskEndpoint) {
    taskEndpointServes = await startTaskEndpoint(taskEndpoint, { stateFile: join(dataDir, "task-endpoint.json"), api, log });
    if (taskEndpointServes) taskEndpointUrl = "http://169.254.170.2:80";
  }

  // Metrics the platform publishes each minute, from real measurements; then alarms are evaluated.
  const albMetrics = new AlbMetrics({
    counters: trafficCounters,
    health: healthChecker,
    table: () => routing.current(),
    zoneOf: (arn) => elbv2.repo.getLoadBalancer(arn)?.doc.AvailabilityZones?.[0]?.ZoneName,
    publish: (scope, samples) => cloudwatch.metrics.publish(scope, samples),
  });
  const ecsMetrics = new EcsMetrics({
    runtime,
    source: ecsTelemetrySource(ecs),
    publish: (scope, samples) => cloudwatch.metrics.publish(scope, samples),
    logs: performanceLogsPort(logs),
    host: () => {
      const h = host.describe();
      return { cpus: h.cpu / 1024, memoryBytes: h.memoryMiB * 1024 * 1024 };
    },
  });
  // Once per minute: a second call in the same minute (a test, a late tick) joins the first or does nothing.
  let lastMinute = Number.NEGATIVE_INFINITY;
  let minuteRun: Promise<void> | undefined;
  const metricsMinute = (): Promise<void> => {
    minuteRun ??= (async () => {
      const now = clock.now();
      const minute = Math.floor(now / 60_000) * 60_000 - 60_000;
      if (minute <= lastMinute) return;
      lastMinute = minute;
      try {
        albMetrics.publishMinute(minute);
        await ecsMetrics.publishMinute(minute, now);
      } finally {
        cloudwatch.alarms.evaluateAll();
        // Open consoles re-read their charts and scaling activity (the key names no resource).
        feed.broadcast([METRICS_MINUTE_KEY]);
      }
    })().finally(() => (minuteRun = undefined));
    return minuteRun;
  };

  // Periodic jobs.
  background.every("routing-table refresh", INTERVALS.routingRefresh, () => routing.rebuild());
  background.every("ecr lifecycle run", INTERVALS.ecrLifecycle, () => ecr.runLifecycle());
  background.every("log retention", INTERVALS.logRetention, () => logs.expireRetention(), { immediately: true });
  background.every("stopped-task purge", INTERVALS.stoppedTaskPurge, () => ecs.repo.purgeStoppedTasks(clock.now() - STOPPED_TASK_RETENTION_MS));
  background.every("registry gc", INTERVALS.registryGc, () => registry.collectGarbage());
  background.every("registry upload purge", INTERVALS.registryUploadPurge, () => registry.purgeUploads());
  background.every("kms rotation and deletion", INTERVALS.kmsMaintenance, () => kms.maintain(), { immediately: true });
  background.every("secret deletion", INTERVALS.secretDeletion, () => secretsManager.purgeDeleted(), { immediately: true });
  await vpc.start();
  background.every("vpc sync", INTERVALS.vpcSync, () => vpc.sync());
  background.every("metrics and alarm evaluation", INTERVALS.alarmEvaluation, metricsMinute);
  background.every("high-resolution alarm evaluation", INTERVALS.highResolutionAlarms, () => cloudwatch.alarms.evaluateAll({ highResolutionOnly: true }));
  background.every("metric roll-up and retention", INTERVALS.metricRetention, () => (cloudwatch.expire(), autoscaling.expireActivities()), { immediately: true });
  background.every("scheduled scaling", INTERVALS.scheduledScaling, () => autoscaling.runScheduled());
  const idleCollector = opts.idleCollection ? new IdleCollector({ requests: () => http.requests() + trafficCounters.events, collect: fullGc() }) : undefined;
  if (idleCollector) background.every("memory return after a burst and while idle", INTERVALS.idleCollection, () => idleCollector.check());

  // Adopt what survived a restart, then reconcile everything.
  const stopping = new AbortController();
  const started = startSchedulers({ runtimeReady: host.ready, runtime, clock, tasks, services, signal: stopping.signal, log });
  // Credentials and metadata ids of tasks that stopped while Slipway was down.
  if (taskEndpoint) void started.then(() => taskEndpoint.sweep());

  return {
    url: `http://127.0.0.1:${port}`,
    consoleUrl: `http://127.0.0.1:${port}${CONSOLE_PATH}`,
    consoleStats: () => ({ ...consoleServer.stats, execStreams: execStreams.active, execPending: execSessions.pending }),
    port,
    store,
    ecs,
    elbv2,
    routing,
    gateway,
    registry,
    ecr,
    cloudwatch,
    autoscaling,
    metricsMinute,
    acm,
    instanceId,
    oidc,
    taskEndpointUrl,
    vpc,
    idleCollections: () => idleCollector?.collections ?? 0,
    idle: async () => {
      await started;
      // Each controller can enqueue work for the other: wait until both are idle at once.
      do {
        await tasks.idle();
        await services.idle();
        await new Promise((resolve) => setImmediate(resolve));
      } while (!tasks.isIdle() || !services.isIdle());
    },
    leftRunning: async () => {
      const left = ecs.repo
        .liveTaskArns()
        .map((arn) => ecs.repo.getTaskByArn(arn))
        .filter((t) => t !== undefined)
        .map((t) => ({
          cluster: t.cluster,
          service: t.state.serviceName ?? "",
          taskId: t.doc.taskArn.split("/").pop() ?? "",
          lastStatus: t.doc.lastStatus,
        }));
      let containers = 0;
      try {
        containers = (await runtime.list({ [LABELS.managed]: "true", [LABELS.instance]: instanceId })).filter((c) => c.status === "running").length;
      } catch (err) {
        log(`could not list containers: ${(err as Error).message}`);
      }
      return { tasks: left, containers, instanceLabel: `${LABELS.instance}=${instanceId}` };
    },
    close: async () => {
      consoleServer.close();
      execStreams.close();
      stopping.abort();
      background.stop();
      tasks.stop();
      services.stop();
      routing.stop();
      healthChecker.close();
      await dataPlane.close();
      await shipper.close();
      await vpc.close();
      // A signing key still being made writes its file when done: let it, before the caller may
      // remove the data directory.
      await oidc.settled();
      if (taskEndpoint && taskEndpointServes) {
        await taskEndpoint.close();
        if (typeof opts.taskEndpoint !== "object") await tearDownAddress(join(dataDir, "task-endpoint.json"));
      }
      await closeServer(http.server);
      store.close();
    },
  };
}

function readOrCreate(path: string, make: () => string): string {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    const v = make();
    writeFileSync(path, `${v}\n`, { mode: PRIVATE_FILE });
    return v;
  }
}
