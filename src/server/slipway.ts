/**
 * The composition root: opens the store, builds the runtime, clock and ids, assembles the
 * services and their controllers, and serves everything on one loopback port.
 * Nothing else constructs these pieces; tests call startSlipway() with fakes.
 */
import { randomUUID } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { cpus, hostname, totalmem } from "node:os";
import { join, resolve, sep } from "node:path";
import { createGateway, type Gateway } from "../aws/gateway.ts";
import type { ServiceDefinition } from "../aws/service.ts";
import { type Clock, systemClock } from "../core/clock.ts";
import { type IdGen, randomIds } from "../core/ids.ts";
import { DockerRuntime } from "../runtime/docker/docker-runtime.ts";
import { type ContainerRuntime, LABELS } from "../runtime/runtime.ts";
import { Controller } from "../scheduler/controller.ts";
import { ServiceReconciler } from "../scheduler/service-reconciler.ts";
import { type LocalImages, TaskReconciler } from "../scheduler/task-reconciler.ts";
import type { HostDescription } from "../services/ecs/container-instances.ts";
import { Ecs } from "../services/ecs/ecs.ts";
import { ecsService } from "../services/ecs/index.ts";
import { Elbv2 } from "../services/elbv2/elbv2.ts";
import { elbv2Service } from "../services/elbv2/index.ts";
import { RoutingTableSource } from "../services/elbv2/table-source.ts";
import { createRegistry, type Registry } from "../registry/registry.ts";
import { isRegistryPath } from "../registry/routes.ts";
import { TOKEN_TTL_MS } from "../registry/auth.ts";
import { Ecr, ecrService } from "../services/ecr/index.ts";
import { toRegistryImage } from "../services/ecr/image-ref.ts";
import { accountHasRepositories } from "../services/ecr/repo.ts";
import { Store } from "../store/store.ts";
import { LogShipper } from "../logs/shipper.ts";
import { DataPlane } from "../proxy/data-plane.ts";
import { HealthChecker } from "../proxy/health-checker.ts";
import type { LoadBalancing } from "../services/ecs/load-balancing.ts";
import type { TaskNetworking } from "../services/ecs/networking.ts";
import type { LoadBalancerNetworking } from "../services/elbv2/networking.ts";
import { Ec2 } from "../services/ec2/ec2.ts";
import { ec2Service } from "../services/ec2/index.ts";
import { Iam, iamService } from "../services/iam/index.ts";
import { Logs } from "../services/logs/index.ts";
import { logsService } from "../services/logs/index.ts";
import { stsService } from "../services/sts/index.ts";
import { parseArn } from "../core/arn.ts";

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
  /** The OCI registry under /v2/. `strict` defaults to strictAuth. */
  registry?: { strict?: boolean; autoCreateRepositories?: boolean };
}

export interface Slipway {
  readonly url: string;
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
  /** Stops serving and scheduling; containers keep running (a restart adopts them). */
  close(): Promise<void>;
}

export async function startSlipway(opts: SlipwayOptions = {}): Promise<Slipway> {
  const log = opts.log ?? ((m: string) => console.error(m));
  const clock = opts.clock ?? systemClock;
  const ids = opts.ids ?? randomIds;
  const dataDir = opts.dataDir ?? ".slipway";
  mkdirSync(dataDir, { recursive: true });
  // Always random, even with seeded test ids: two Slipways must never share an instance label.
  const instanceId = readOrCreate(join(dataDir, "instance-id"), () => randomUUID());
  const store = new Store(join(dataDir, "slipway.db"), { fsync: opts.fsync ?? false });
  const runtime = opts.runtime ?? new DockerRuntime();

  let host: HostDescription = {
    name: hostname(),
    cpu: cpus().length * 1024,
    memoryMiB: Math.floor(totalmem() / 1024 / 1024),
    dockerVersion: "unknown",
    architecture: process.arch === "arm64" ? "aarch64" : "x86_64",
  };
  const hostReady = runtime.info().then(
    (info) => {
      host = {
        name: info.name,
        cpu: info.cpus * 1024,
        memoryMiB: Math.floor(info.memoryBytes / 1024 / 1024),
        dockerVersion: info.serverVersion,
        architecture: info.architecture,
      };
    },
    (err: unknown) => log(`warning: container runtime not reachable (${(err as Error).message}); tasks cannot start`),
  );

  const deps = { store, clock, ids };
  const registry = createRegistry({
    store,
    dataDir,
    clock,
    ids,
    defaultAccountId: opts.accountId ?? "000000000000",
    defaultRegion: opts.region ?? "us-east-1",
    strict: opts.registry?.strict ?? opts.strictAuth ?? false,
    autoCreateRepositories: opts.registry?.autoCreateRepositories ?? false,
    log,
  });
  // ECR over the registry. The port is known only after listen: URIs and the pull rewrite read it late.
  let listenPort = 0;
  const ecr = new Ecr({ store, clock, registry, registryHost: () => `localhost:${listenPort}` });
  const stopLifecycle = ecr.startLifecycle(3600_000, (err) => log(`ecr lifecycle run failed: ${(err as Error).message}`));
  const hostedAccounts = new Set([opts.accountId ?? "000000000000", ...(opts.credentials ?? []).map((c) => c.accountId)]);
  const localImages: LocalImages = {
    resolve: (image, task) => {
      const ref = toRegistryImage(image, {
        port: listenPort,
        account: task.account,
        region: task.region,
        hostsAccount: (a) => hostedAccounts.has(a) || accountHasRepositories(store, a),
      });
      if (!ref) return undefined;
      const password = registry.auth.issueToken({ accountId: ref.account, region: ref.region, expiresAt: clock.now() + TOKEN_TTL_MS });
      return { pullRef: ref.pullRef, repository: ref.repository, auth: { username: "AWS", password, serveraddress: ref.registryHost } };
    },
  };
  const iam = new Iam(deps);
  const ec2 = new Ec2(deps);
  const logs = new Logs(deps);
  const stopRetention = logs.startRetention();
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
    onListening: (listenerArn, port) => log(`listener ${listenerArn} on http://127.0.0.1:${port}`),
  });
  const unbindable = new Set<number>();
  const routing = new RoutingTableSource(
    { store, repo: elbv2.repo, clock },
    { chooseHostPort: (port) => listenerHostPort(port, unbindable) },
  );
  routing.onChange((table) => {
    dataPlane.apply(table);
    healthChecker.update(table);
  });
  routing.start();
  dataPlane.apply(routing.current());
  healthChecker.update(routing.current());
  const ecs = new Ecs(deps, { host: () => host, lb: loadBalancingPort(elbv2), network: taskNetworkingPort(ec2) });
  elbv2.network = loadBalancerNetworkingPort(ec2);

  let taskController: Controller | undefined;
  const taskReconciler = new TaskReconciler(ecs, runtime, {
    awsvpcNetwork: opts.awsvpcNetwork ?? "slipway-awsvpc",
    bindHostIp: "127.0.0.1",
    instanceId,
    localImages,
    wake: (key) => taskController?.enqueue(key),
    logs: { prepare: (t) => shipper.ensureGroupForTask(t), follow: (t) => shipper.follow(t) },
    envFileObjects: localObjects(join(dataDir, "s3")),
    log,
  });
  taskController = new Controller(taskReconciler, { clock, log });
  const serviceController = new Controller(new ServiceReconciler(ecs), { clock, log });
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

  const services: ServiceDefinition[] = [
    ecsService(ecs),
    elbv2Service(elbv2),
    iamService(iam),
    stsService(iam),
    ec2Service(ec2),
    logsService(logs),
    ecrService(ecr),
  ];
  const secrets = new Map((opts.credentials ?? []).map((c) => [c.accessKeyId, c]));
  const gateway = createGateway({
    services,
    defaultAccountId: opts.accountId ?? "000000000000",
    defaultRegion: opts.region ?? "us-east-1",
    strictAuth: opts.strictAuth ?? false,
    // IAM-issued key ids start AKIA (users) or ASIA (sessions); other ids skip the IAM lookup.
    lookupSecret: (akid) => secrets.get(akid) ?? (/^A[KS]IA/.test(akid) ? iam.lookupSecret(akid) : undefined),
    ids,
  });


  const server: Server = createServer((req, res) => {
    if (isRegistryPath(req.url)) {
      void registry.handle(req, res);
      return;
    }
    if (req.url === "/_slipway/listeners") {
      // Where each load-balancer listener is actually served (see listenerHostPort).
      const listeners = [...routing.current().listeners.values()].map((l) => ({
        listenerArn: l.listenerArn,
        loadBalancerArn: l.loadBalancerArn,
        port: l.port,
        hostPort: l.hostPort,
        boundPort: dataPlane.boundPort(l.listenerArn) ?? null,
      }));
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ listeners }));
      return;
    }
    if (req.url === "/_slipway/health") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ status: "ok", instanceId }));
      return;
    }
    void gateway.handle(req, res);
  });
  server.keepAliveTimeout = 65_000;
  // Layer pushes can stream for longer than Node's default 300 s request timeout.
  server.requestTimeout = 0;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 4566, opts.host ?? "127.0.0.1", () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  listenPort = port;

  // Adopt what survived a restart: remove leftovers of stopped tasks, then reconcile everything.
  const events = new AbortController();
  void hostReady.then(async () => {
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
    void watchEvents(runtime, clock, events.signal, (arn) => taskController!.enqueue(`task:${arn}`));
  });
  const purge = setInterval(() => ecs.repo.purgeStoppedTasks(clock.now() - 3 * 3600_000), 600_000);
  purge.unref();
  // Unreferenced registry blobs (after a 1 h grace period) and stale uploads.
  const gc = setInterval(() => {
    void Promise.resolve(registry.collectGarbage()).catch((err: unknown) => log(`registry gc failed: ${(err as Error).message}`));
  }, 3600_000);
  gc.unref();

  return {
    url: `http://127.0.0.1:${port}`,
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
      await hostReady;
      // Each controller can enqueue work for the other: wait until both are idle at once.
      do {
        await taskController!.idle();
        await serviceController.idle();
        await new Promise((resolve) => setImmediate(resolve));
      } while (!taskController!.isIdle() || !serviceController.isIdle());
    },
    close: async () => {
      clearInterval(purge);
      clearInterval(gc);
      events.abort();
      taskController!.stop();
      serviceController.stop();
      routing.stop();
      stopRetention();
      stopLifecycle();
      healthChecker.close();
      await dataPlane.close();
      await shipper.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      store.close();
    },
  };
}

async function watchEvents(runtime: ContainerRuntime, clock: Clock, signal: AbortSignal, onTask: (arn: string) => void): Promise<void> {
  while (!signal.aborted) {
    try {
      for await (const ev of runtime.events(signal)) {
        const arn = ev.labels[LABELS.taskArn];
        if (arn) onTask(arn);
      }
    } catch {
      // The engine went away; the periodic resync still reconciles. Retry the stream shortly.
    }
    if (!signal.aborted) await clock.sleep(1000, signal).catch(() => {});
  }
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

/** Adapts the ELBv2 domain to the narrow port the ECS scheduler uses. */
function loadBalancingPort(elbv2: Elbv2): LoadBalancing {
  const scopeOf = (arn: string) => {
    const p = parseArn(arn)!;
    return { accountId: p.accountId, region: p.region };
  };
  return {
    targetGroup: (arn) => elbv2.targetGroup(arn),
    register: (tg, t) => elbv2.registerTargets(scopeOf(tg), tg, [t]),
    deregister: (tg, t) => elbv2.deregisterTargets(scopeOf(tg), tg, [t]),
    health: (tg, id, port) => {
      const h = elbv2.targetHealth(tg, id, port);
      return h ? { state: h.State ?? "initial", reason: h.Reason, description: h.Description } : undefined;
    },
  };
}

/** Adapts the EC2 domain to the narrow port awsvpc tasks use (src/services/ecs/networking.ts). */
function taskNetworkingPort(ec2: Ec2): TaskNetworking {
  return {
    subnetVpc: (scope, id) => ec2.vpcOf(scope, "subnet", id),
    securityGroupVpc: (scope, id) => ec2.vpcOf(scope, "security-group", id),
    attach: (scope, req) => {
      const eni = ec2.networkInterfaceFor(scope, {
        owner: { kind: "ecs-task", attachmentId: req.attachmentId },
        subnetId: req.subnetId,
        securityGroupIds: req.securityGroupIds,
      });
      return { networkInterfaceId: eni.NetworkInterfaceId!, macAddress: eni.MacAddress };
    },
    release: (scope, attachmentId) => void ec2.releaseNetworkInterfaces(scope, { kind: "ecs-task", attachmentId }),
    attachments: () => ec2.taskAttachments(),
  };
}

/** Adapts the EC2 domain to the narrow port load balancers use (src/services/elbv2/networking.ts). */
function loadBalancerNetworkingPort(ec2: Ec2): LoadBalancerNetworking {
  const owner = (lb: { name: string; id: string }) => ({ kind: "elb", loadBalancerName: lb.name, loadBalancerId: lb.id, lbType: "app" }) as const;
  return {
    subnet: (scope, id) => {
      const vpcId = ec2.vpcOf(scope, "subnet", id);
      const zoneName = ec2.zoneOf(scope, id);
      return vpcId && zoneName ? { vpcId, zoneName } : undefined;
    },
    securityGroupVpc: (scope, id) => ec2.vpcOf(scope, "security-group", id),
    defaultSecurityGroup: (scope, vpcId) => ec2.defaultSecurityGroup(scope, vpcId).GroupId!,
    attach: (scope, lb, subnetIds, groups) => {
      for (const subnetId of subnetIds) ec2.networkInterfaceFor(scope, { owner: owner(lb), subnetId, securityGroupIds: groups });
    },
    release: (scope, lb, keep) => void ec2.releaseNetworkInterfaces(scope, owner(lb), keep),
  };
}

/**
 * environmentFiles' S3 objects, served from `<root>/<bucket>/<key>` (Slipway has no S3); a key
 * that would leave the bucket's directory is treated as missing.
 */
function localObjects(root: string): (bucket: string, key: string) => string | undefined {
  return (bucket, key) => {
    const base = resolve(root, bucket);
    const path = resolve(base, key);
    if (!path.startsWith(base + sep) || bucket.includes("/") || bucket.startsWith(".")) return undefined;
    try {
      return readFileSync(path, "utf8");
    } catch {
      return undefined;
    }
  };
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
