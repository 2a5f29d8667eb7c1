/**
 * The composition root: builds every piece in dependency order and connects them. It holds no
 * logic of its own: the front door is src/server/http.ts, the adapters between services are
 * src/server/ports.ts, periodic jobs are src/server/background.ts. Tests call startSlipway() with
 * fakes (runtime, clock, ids).
 */
import { randomUUID } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createGateway, type Gateway } from "../aws/gateway.ts";
import { type Clock, systemClock } from "../core/clock.ts";
import { DEFAULT_ACCOUNT_ID, DEFAULT_AWSVPC_NETWORK, DEFAULT_DATA_DIR, DEFAULT_PORT, DEFAULT_REGION } from "../core/config.ts";
import { type IdGen, randomIds } from "../core/ids.ts";
import { LogShipper } from "../logs/shipper.ts";
import { DataPlane } from "../proxy/data-plane.ts";
import { HealthChecker } from "../proxy/health-checker.ts";
import { createRegistry, type Registry } from "../registry/registry.ts";
import { isRegistryPath } from "../registry/routes.ts";
import { DockerRuntime } from "../runtime/docker/docker-runtime.ts";
import { Host } from "../runtime/host.ts";
import { type ContainerRuntime, LABELS } from "../runtime/runtime.ts";
import { Controller } from "../scheduler/controller.ts";
import { watchRuntimeEvents } from "../scheduler/runtime-events.ts";
import { ServiceReconciler } from "../scheduler/service-reconciler.ts";
import { INSTANCE_LABEL, TaskReconciler } from "../scheduler/task-reconciler.ts";
import { Ec2 } from "../services/ec2/ec2.ts";
import { ec2Service } from "../services/ec2/index.ts";
import { Ecr, ecrService } from "../services/ecr/index.ts";
import { Ecs } from "../services/ecs/ecs.ts";
import { localObjects } from "../services/ecs/env-files.ts";
import { ecsService } from "../services/ecs/index.ts";
import { Elbv2 } from "../services/elbv2/elbv2.ts";
import { elbv2Service } from "../services/elbv2/index.ts";
import { RoutingTableSource } from "../services/elbv2/table-source.ts";
import { Iam, iamService } from "../services/iam/index.ts";
import { Logs, logsService } from "../services/logs/index.ts";
import { stsService } from "../services/sts/index.ts";
import { Store } from "../store/store.ts";
import { Activity, mayChangeState } from "../console/activity.ts";
import { Assets } from "../console/assets.ts";
import { Feed } from "../console/feed.ts";
import { CONSOLE_PATH, ConsoleServer } from "../console/server.ts";
import { ExecSessions } from "../exec/sessions.ts";
import { EXEC_PATH, ExecStreams } from "../exec/websocket.ts";
import { Background, INTERVALS, STOPPED_TASK_RETENTION_MS } from "./background.ts";
import { closeServer, frontDoor, listen } from "./http.ts";
import { loadBalancerNetworkingPort, loadBalancingPort, localImagesPort, reporterSource, taskNetworkingPort } from "./ports.ts";
import { Reporter } from "./reporter.ts";

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  accountId: string;
}

export interface SlipwayOptions {
  /** 0 picks a free port. Default 4566. */
  port?: number;
  host?: string;
  /** Where the database lives. Default ./.slipway */
  dataDir?: string;
  accountId?: string;
  region?: string;
  strictAuth?: boolean;
  credentials?: Credentials[];
  runtime?: ContainerRuntime;
  clock?: Clock;
  ids?: IdGen;
  /** fsync every commit (survives power loss, slower writes). Default false: crash-safe only. */
  fsync?: boolean;
  /** Name of the Docker network awsvpc tasks join. */
  awsvpcNetwork?: string;
  log?: (msg: string) => void;
  /**
   * Where a line per deployment start and finish and per failed task goes (src/server/reporter.ts);
   * `slipway up` passes stdout unless --quiet. Default: not reported.
   */
  report?: (line: string) => void;
  /** The OCI registry under /v2/. `strict` defaults to strictAuth. */
  registry?: { strict?: boolean; autoCreateRepositories?: boolean };
}

export interface Slipway {
  readonly url: string;
  /** The web console: `${url}/_slipway/console/`. */
  readonly consoleUrl: string;
  /** Open console event streams and sessions, live exec streams (tests, benchmarks). */
  consoleStats(): { sessions: number; streams: number; tails: number; execStreams: number; execPending: number };
  readonly port: number;
  readonly store: Store;
  readonly ecs: Ecs;
  readonly elbv2: Elbv2;
  /** The load balancers' routing table (the data plane serves from it). */
  readonly routing: RoutingTableSource;
  readonly gateway: Gateway;
  readonly registry: Registry;
  /** The ECR API's domain (lifecycle runs, tests). */
  readonly ecr: Ecr;
  readonly instanceId: string;
  /** Resolves when the schedulers have nothing queued or running (tests). */
  idle(): Promise<void>;
  /** What keeps running when Slipway stops (its tasks' containers): for the shutdown summary. */
  leftRunning(): Promise<LeftRunning>;
  /** Stops serving and scheduling; containers keep running (a restart adopts them). */
  close(): Promise<void>;
}

export interface LeftRunning {
  /** Tasks not yet STOPPED, by cluster and service ("" for standalone tasks). */
  readonly tasks: readonly { cluster: string; service: string; taskId: string; lastStatus: string }[];
  /** Running containers this Slipway made (label slipway.instance). */
  readonly containers: number;
  /** The Docker label that names them. */
  readonly instanceLabel: string;
}

export async function startSlipway(opts: SlipwayOptions = {}): Promise<Slipway> {
  const log = opts.log ?? ((m: string) => console.error(m));
  const clock = opts.clock ?? systemClock;
  const ids = opts.ids ?? randomIds;
  const accountId = opts.accountId ?? DEFAULT_ACCOUNT_ID;
  const region = opts.region ?? DEFAULT_REGION;
  const dataDir = opts.dataDir ?? DEFAULT_DATA_DIR;
  mkdirSync(dataDir, { recursive: true });
  // Always random, even with seeded test ids: two Slipways must never share an instance label.
  const instanceId = readOrCreate(join(dataDir, "instance-id"), () => randomUUID());
  const store = new Store(join(dataDir, "slipway.db"), { fsync: opts.fsync ?? false });
  const runtime = opts.runtime ?? new DockerRuntime();
  const host = new Host(runtime, log);
  const deps = { store, clock, ids };
  // The port first: ECR's repository URIs and the image-pull rewrite name it.
  const http = await listen({ port: opts.port ?? DEFAULT_PORT, host: opts.host ?? "127.0.0.1" });
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
    log,
  });
  const ecr = new Ecr({ store, clock, registry, registryHost: () => `localhost:${port}` });
  const ecs = new Ecs(deps, () => host.describe());
  const iam = new Iam(deps);
  const ec2 = new Ec2(deps);
  const logs = new Logs(deps);
  const shipper = new LogShipper(deps, logs, runtime, { log });

  // The load balancer: control plane (ELBv2 API + routing snapshot), health checks, data plane.
  const elbv2 = new Elbv2(deps);
  const healthChecker = new HealthChecker({ clock });
  elbv2.setHealthView(healthChecker);
  const dataPlane = new DataPlane({
    health: healthChecker,
    clock,
    // A listener port that cannot be bound (privileged, or taken by another program) moves to its
    // fallback port (listenerHostPort); the table is rebuilt and the data plane binds that.
    onBindError: (listenerArn, hostPort, err) => {
      unbindable.add(hostPort);
      log(`listener ${listenerArn} cannot bind 127.0.0.1:${hostPort} (${err.code ?? err.message}); moving it to 127.0.0.1:${listenerHostPort(hostPort, unbindable)}`);
      queueMicrotask(() => routing.rebuild());
    },
    onListening: (listenerArn, p) => log(`listener ${listenerArn} on http://127.0.0.1:${p}`),
  });
  const unbindable = new Set<number>();
  const routing = new RoutingTableSource(
    { store, repo: elbv2.repo, clock },
    { chooseHostPort: (p) => listenerHostPort(p, unbindable) },
  );
  routing.onChange((table) => {
    dataPlane.apply(table);
    healthChecker.update(table);
  });
  routing.start();
  dataPlane.apply(routing.current());
  healthChecker.update(routing.current());
  ecs.lb = loadBalancingPort(elbv2);
  ecs.network = taskNetworkingPort(ec2);
  elbv2.network = loadBalancerNetworkingPort(ec2);
  const taskNetworking = ecs.network;

  let taskController: Controller | undefined;
  const taskReconciler = new TaskReconciler(deps, ecs.repo, runtime, {
    awsvpcNetwork: opts.awsvpcNetwork ?? DEFAULT_AWSVPC_NETWORK,
    bindHostIp: "127.0.0.1",
    instanceId,
    localImages: localImagesPort({
      store,
      clock,
      registry,
      port,
      hostedAccounts: new Set([accountId, ...(opts.credentials ?? []).map((c) => c.accountId)]),
    }),
    wake: (key) => taskController?.enqueue(key),
    logs: { prepare: (t) => shipper.ensureGroupForTask(t), follow: (t) => shipper.follow(t) },
    networking: taskNetworking,
    envFileObjects: localObjects(join(dataDir, "s3")),
    log,
  });
  taskController = new Controller(taskReconciler, { clock, log });
  const serviceController = new Controller(new ServiceReconciler(deps, ecs.repo, ecs.services, ecs.tasks, ecs.lb), { clock, log });
  store.onChange((keys) => {
    for (const k of keys) {
      if (k.startsWith("task:")) taskController!.enqueue(k);
      else if (k.startsWith("service:")) serviceController.enqueue(k);
    }
  });
  // A target's health changed: wake the services that use its target group.
  healthChecker.onChange((tgArn) => {
    for (const arn of ecs.repo.serviceArnsUsingTargetGroup(tgArn)) serviceController.enqueue(`service:${arn}`);
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
  // ECS Exec: ExecuteCommand opens a session; its stream is a WebSocket on this port.
  const execSessions = new ExecSessions({ clock, streamBase: () => `ws://127.0.0.1:${port}${EXEC_PATH.slice(0, -1)}` });
  const execStreams = new ExecStreams({ sessions: execSessions, runtime, port: () => port, log });
  ecs.execSessions = execSessions;

  const credentials = new Map((opts.credentials ?? []).map((c) => [c.accessKeyId, c]));
  const services = [ecsService(ecs), elbv2Service(elbv2), iamService(iam), stsService(iam), ec2Service(ec2), logsService(logs), ecrService(ecr)];
  const gateway = createGateway({
    services,
    defaultAccountId: accountId,
    defaultRegion: region,
    strictAuth: opts.strictAuth ?? false,
    // IAM-issued key ids start AKIA (users) or ASIA (sessions); other ids skip the IAM lookup.
    lookupSecret: (akid) => credentials.get(akid) ?? (/^A[KS]IA/.test(akid) ? iam.lookupSecret(akid) : undefined),
    ids,
    now: () => clock.now(),
    observe: (call) => activity.record(call),
  });
  const listenerViews = () =>
    [...routing.current().listeners.values()].map((l) => ({
      listenerArn: l.listenerArn,
      loadBalancerArn: l.loadBalancerArn,
      port: l.port,
      hostPort: dataPlane.boundPort(l.listenerArn) ?? l.hostPort,
    }));
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
    services: services.map((s) => s.signingName),
    listeners: listenerViews,
  });
  http.serve(
    frontDoor({
      isRegistryPath,
      registry: (req, res) => registry.handle(req, res),
      gateway: (req, res) => gateway.handle(req, res),
      console: (req, res) => consoleServer.handle(req, res),
      endpoints: {
        health: () => ({ status: "ok", instanceId }),
        // Where each load-balancer listener is actually served (see listenerHostPort).
        listeners: () => ({
          listeners: [...routing.current().listeners.values()].map((l) => ({
            listenerArn: l.listenerArn,
            loadBalancerArn: l.loadBalancerArn,
            port: l.port,
            hostPort: l.hostPort,
            boundPort: dataPlane.boundPort(l.listenerArn) ?? null,
          })),
        }),
      },
    }),
    { accepts: (url) => url.startsWith(EXEC_PATH), handle: (req, socket, head) => execStreams.upgrade(req, socket, head) },
  );

  if (opts.report) {
    const reporter = new Reporter({ source: reporterSource(ecs.repo), write: opts.report, clock });
    store.onChange((keys) => reporter.changed(keys));
  }

  // Periodic jobs.
  background.every("ecr lifecycle run", INTERVALS.ecrLifecycle, () => ecr.applyLifecyclePolicies());
  background.every("log retention", INTERVALS.logRetention, () => logs.enforceRetention(), { immediately: true });
  background.every("stopped-task purge", INTERVALS.stoppedTaskPurge, () => ecs.repo.purgeStoppedTasks(clock.now() - STOPPED_TASK_RETENTION_MS));
  background.every("registry gc", INTERVALS.registryGc, () => registry.collectGarbage());

  // Adopt what survived a restart: remove leftovers of stopped tasks, then reconcile everything.
  const events = new AbortController();
  void host.ready.then(async () => {
    try {
      const removed = await taskReconciler.collectOrphans();
      if (removed) log(`removed ${removed} orphaned container(s)`);
      const enis = taskReconciler.collectOrphanNetworkInterfaces();
      if (enis) log(`released ${enis} network interface(s) of stopped tasks`);
    } catch (err) {
      log(`orphan collection failed: ${(err as Error).message}`);
    }
    taskController!.start();
    serviceController.start();
    void watchRuntimeEvents(runtime, clock, events.signal, (arn) => taskController!.enqueue(`task:${arn}`));
  });

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
    instanceId,
    idle: async () => {
      await host.ready;
      // Each controller can enqueue work for the other: wait until both are idle at once.
      do {
        await taskController!.idle();
        await serviceController.idle();
        await new Promise((resolve) => setImmediate(resolve));
      } while (!taskController!.isIdle() || !serviceController.isIdle());
    },
    leftRunning: async () => {
      const tasks = ecs.repo
        .liveTaskArns()
        .map((arn) => ecs.repo.getTaskByArn(arn))
        .filter((t) => t !== undefined)
        .map((t) => ({
          cluster: t.doc.clusterArn?.split("/").pop() ?? "",
          service: t.state.serviceName ?? "",
          taskId: t.doc.taskArn?.split("/").pop() ?? "",
          lastStatus: t.doc.lastStatus ?? "",
        }));
      let containers = 0;
      try {
        containers = (await runtime.list({ [LABELS.managed]: "true", [INSTANCE_LABEL]: instanceId })).filter((c) => c.status === "running").length;
      } catch (err) {
        log(`could not list containers: ${(err as Error).message}`);
      }
      return { tasks, containers, instanceLabel: `${INSTANCE_LABEL}=${instanceId}` };
    },
    close: async () => {
      consoleServer.close();
      execStreams.close();
      background.stop();
      events.abort();
      taskController!.stop();
      serviceController.stop();
      routing.stop();
      healthChecker.close();
      await dataPlane.close();
      await shipper.close();
      await closeServer(http.server);
      store.close();
    },
  };
}

/**
 * The loopback port a listener on `port` binds: the port itself, or when that cannot be bound
 * (privileged without root, or taken), `port + 18000` for ports below 1024 (80 → 18080) and
 * `port + 10000` above, then the next port that has not failed.
 */
export function listenerHostPort(port: number, unbindable: ReadonlySet<number>): number {
  if (!unbindable.has(port)) return port;
  let p = port < 1024 ? port + 18000 : port + 10000;
  if (p > 65535) p = 20000 + (port % 10000);
  while (unbindable.has(p)) p = p >= 65535 ? 20000 : p + 1;
  return p;
}

function readOrCreate(path: string, make: () => string): string {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    const v = make();
    writeFileSync(path, v + "\n");
    return v;
  }
}
