/**
 * Drives one ECS task's containers towards its desired status, through the task lifecycle of
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-lifecycle-explanation.html
 * (PROVISIONING → PENDING → RUNNING → DEACTIVATING → STOPPING → STOPPED).
 *
 * Level-triggered and crash-safe: actual state is always re-read from the runtime by the task's
 * label, never remembered; container names are deterministic (slipway-<taskId>-<name>), so a
 * pass interrupted by a crash re-finds what it created instead of creating it twice. Writes go
 * through `#mutate`, which re-reads the record inside the transaction and changes only the
 * fields this reconciler owns (lastStatus, containers, timestamps, health), so it never
 * overwrites a concurrent StopTask or scheduler decision.
 */
import type { ContainerDefinition, LogConfiguration, Task } from "@aws-sdk/client-ecs";
import { type Scope, shortName } from "../core/arn.ts";
import type { Clock } from "../core/clock.ts";
import { type ContainerRuntime, type ContainerState, type ImageInfo, LABELS, PullError, type RegistryAuth } from "../runtime/runtime.ts";
import { type PlannedContainer, toContainerSpecs } from "../services/ecs/container-spec.ts";
import type { EcsDeps } from "../services/ecs/context.ts";
import type { Ecs } from "../services/ecs/ecs.ts";
import { type ObjectReader, resolveEnvironmentFiles } from "../services/ecs/env-files.ts";
import { isPendingStatus, type TaskDefinitionDoc } from "../services/ecs/model.ts";
import type { TaskNetworking } from "../services/ecs/networking.ts";
import type { EcsRepo, Located, TaskRecord } from "../services/ecs/repo.ts";
import type { LaunchKind, ResolvedSecrets } from "../services/ecs/secrets.ts";
import { networkFailure, type TaskReachability } from "../services/ecs/task-reachability.ts";
import type { TaskToCheck } from "../services/ecs/permissions.ts";
import { stopReasons } from "../services/ecs/service-events.ts";
import type { TaskDefinitions } from "../services/ecs/task-definitions.ts";
import type { Reconciler, ReconcileResult } from "./controller.ts";
import { drainLine, PullProgressLog } from "./progress.ts";

export interface TaskReconcilerOptions {
  /** Docker network awsvpc tasks join (each task gets its own IP on it). */
  awsvpcNetwork: string;
  /** Host address bridge-mode ports are published on. */
  bindHostIp: string;
  /** Id of this Slipway data directory; labels every container so instances never touch each other's. */
  instanceId: string;
  /** awslogs: log-group checks before start, and log following once containers run. */
  logs?: TaskLogs;
  /** Wakes a key early (e.g. when a background docker stop finishes). */
  wake: (key: string) => void;
  log?: (msg: string) => void;
  /** Images in Slipway's own registry (ECR): always pulled, from their loopback address, with a token. */
  localImages?: LocalImages;
  /** Where environmentFiles' S3 objects are read from (src/services/ecs/env-files.ts). */
  envFileObjects?: ObjectReader;
  /** `secrets`, `secretOptions` and `repositoryCredentials`, read at task start (src/services/ecs/secrets.ts). */
  secrets?: TaskSecrets;
  /** The task endpoint at 169.254.170.2: each container's platform variables; release at stop. */
  identity?: TaskIdentity;
  /** awsvpc tasks with an ENI in a subnet EC2 knows: the Docker network of that subnet (src/vpc). */
  subnetNetworks?: SubnetNetworkPort;
  /** Fargate tasks with an ENI: what their start must reach through it (src/services/ecs/task-reachability.ts). */
  reachability?: TaskReachability;
  /** How long a start that cannot reach what it needs keeps trying before it fails, as ECS's calls time out. Default 5 s. */
  unreachableTimeoutMs?: number;
  /** IAM enforcement: the roles' trust and the execution role's permissions, checked at task start. */
  permissions?: TaskPermissions;
}

/** What ECS's task start is allowed to do under IAM (src/services/ecs/permissions.ts); the stopped reason, or undefined. */
export interface TaskPermissions {
  check(task: TaskToCheck): string | undefined;
}

/** The subnet networks as the task reconciler sees them (src/vpc/subnet-networks.ts). */
export interface SubnetNetworkPort {
  /** The network's name (deterministic). */
  name(subnetId: string): string;
  /** Makes the network if missing; or says why it cannot exist on this host. */
  ensure(subnetId: string): Promise<{ name: string } | { error: string }>;
}

/** The task's ENI as its attachment records it: subnet, address, DNS name (undefined for placeholder subnets). */
export function taskEni(doc: Pick<Task, "attachments">): { subnetId: string; ip: string; dnsName?: string; eniId?: string } | undefined {
  const a = doc.attachments?.find((x) => x.type === "ElasticNetworkInterface");
  const d = (n: string) => a?.details?.find((x) => x.name === n)?.value;
  const ip = d("privateIPv4Address");
  const subnetId = d("subnetId");
  if (!ip || !subnetId) return undefined;
  const dnsName = d("privateDnsName");
  const eniId = d("networkInterfaceId");
  return { subnetId, ip, ...(dnsName ? { dnsName } : {}), ...(eniId ? { eniId } : {}) };
}

/** How the task reconciler reads a task's secrets (src/services/ecs/secrets.ts's SecretResolver). */
export interface TaskSecrets {
  /** Every secret of the containers, or the task's stopped reason (ECS's text for the launch type). */
  resolve(containers: readonly ContainerDefinition[], scope: Scope, launch: LaunchKind): ResolvedSecrets | { error: string };
}

/** The task endpoint as the task reconciler sees it (src/task-endpoint/endpoint.ts). */
export interface TaskIdentity {
  /** KEY=VALUE platform variables of one container (metadata and credentials URIs, AWS_ENDPOINT_URL). */
  environment(task: { taskArn: string; taskRoleArn?: string; launchType?: string }, containerName: string): string[];
  /** The task stopped: its credentials are revoked. */
  release(taskArn: string): void;
}

/** How the task reconciler pulls images that Slipway's registry serves (src/services/ecr/image-ref.ts). */
export interface LocalImages {
  /** Undefined for an image of any other registry. `name`/`reference`/`accountId`: the ECR repository, tag or digest, owner. */
  resolve(
    image: string,
    task: { account: string; region: string },
  ): { pullRef: string; repository: string; auth: RegistryAuth; name?: string; reference?: string; accountId?: string } | undefined;
}

/** The awslogs log driver, as the task reconciler sees it (src/awslogs/shipper.ts implements it). */
export interface TaskLogs {
  /** Creates log groups marked awslogs-create-group; returns the AWS error text if one is missing. */
  prepare(task: { taskArn: string; containers: readonly { name: string; logConfiguration?: LogConfiguration }[] }): string | undefined;
  /** Follows the containers' output (idempotent per container). */
  follow(task: { taskArn: string; taskId: string; containers: { name: string; runtimeId: string; logConfiguration?: LogConfiguration }[] }): void;
}

const START_POLL_MS = 250;
const RUNNING_POLL_MS = 2000;

export class TaskReconciler implements Reconciler {
  readonly name = "task";
  readonly #deps: EcsDeps;
  readonly #repo: EcsRepo;
  readonly #taskDefinitions: TaskDefinitions;
  /** EC2's ENIs of awsvpc tasks: released when the task is STOPPED. */
  readonly #network: TaskNetworking | undefined;
  readonly #rt: ContainerRuntime;
  readonly #opts: TaskReconcilerOptions;
  readonly #clock: Clock;
  /** Labels of every container and network this Slipway makes and looks for. */
  readonly #mine: Record<string, string>;
  /** Background `docker stop` calls in flight, by container id. */
  readonly #stopping = new Map<string, Promise<void>>();
  /** Tasks whose drain was announced in the log (once each). */
  readonly #drainsAnnounced = new Set<string>();
  /**
   * Secrets of starting tasks, read once per start (as the agent does) and kept only in memory
   * until the task runs or stops: values never reach the store.
   */
  readonly #secrets = new Map<string, ResolvedSecrets>();
  /** Starting tasks that cannot reach what they need: since when (the emulated timeout runs from there). */
  readonly #unreachableSince = new Map<string, number>();

  constructor(ecs: Ecs, runtime: ContainerRuntime, opts: TaskReconcilerOptions) {
    this.#deps = ecs.deps;
    this.#repo = ecs.repo;
    this.#taskDefinitions = ecs.taskDefinitions;
    this.#network = ecs.network;
    this.#rt = runtime;
    this.#opts = opts;
    this.#clock = ecs.deps.clock;
    this.#mine = { [LABELS.instance]: opts.instanceId };
  }

  listKeys(): string[] {
    return this.#repo.liveTaskArns().map((a) => `task:${a}`);
  }

  async reconcile(key: string): Promise<ReconcileResult> {
    const taskArn = key.slice("task:".length);
    const rec = this.#repo.getTaskByArn(taskArn);
    const containers = await this.#rt.list({ [LABELS.taskArn]: taskArn, ...this.#mine });
    if (!rec || rec.doc.lastStatus === "STOPPED") {
      if (rec) this.#releaseNetwork(rec);
      for (const c of containers) await this.#rt.remove(c.id);
      return {};
    }
    if (rec.doc.desiredStatus === "STOPPED") return this.#stop(rec, containers);
    if (rec.doc.lastStatus === "RUNNING") return this.#observe(rec, containers);
    return this.#start(rec, containers);
  }

  /**
   * Releases the ENIs of tasks that are gone or STOPPED (a crash between STOPPED and the release
   * cannot happen, they share a transaction; this covers records purged or edited by older
   * versions). Returns how many were released.
   */
  collectOrphanNetworkInterfaces(): number {
    const net = this.#network;
    if (!net) return 0;
    return this.#deps.store.tx(() => {
      const live = new Set<string>();
      for (const arn of this.#repo.liveTaskArns()) {
        for (const a of this.#repo.getTaskByArn(arn)?.doc.attachments ?? []) if (a.id) live.add(a.id);
      }
      let released = 0;
      for (const { scope, attachmentId } of net.attachments()) {
        if (live.has(attachmentId)) continue;
        net.release(scope, attachmentId);
        released++;
      }
      return released;
    });
  }

  /** Removes managed containers whose task is unknown or STOPPED (crash leftovers). */
  async collectOrphans(): Promise<number> {
    const all = await this.#rt.list({ [LABELS.managed]: "true", ...this.#mine });
    let removed = 0;
    for (const c of all) {
      const arn = c.labels[LABELS.taskArn];
      const rec = arn ? this.#repo.getTaskByArn(arn) : undefined;
      if (!rec || rec.doc.lastStatus === "STOPPED") {
        await this.#rt.remove(c.id);
        removed++;
      }
    }
    return removed;
  }

  // ---- start: PROVISIONING → PENDING → (pull) → create/start in dependsOn order → RUNNING
  async #start(rec: TaskRecord & Located, containers: ContainerState[]): Promise<ReconcileResult> {
    const arn = rec.doc.taskArn;
    const td = this.#taskDefinitions.byArn(rec.doc.taskDefinitionArn);
    if (!td) return this.#failToStart(arn, "ResourceInitializationError: task definition not found");
    const envFiles = resolveEnvironmentFiles(td, rec.doc.overrides, this.#opts.envFileObjects ?? (() => undefined));
    if ("error" in envFiles) return this.#failToStart(arn, envFiles.error);
    // The network first: a Fargate task reaches ECR, Secrets Manager, SSM and Logs through its ENI.
    const blocked = this.#networkBlocked(rec, td);
    if (blocked) return blocked;
    // The roles and the execution role's permissions (IAM enforcement), then secrets and registry
    // credentials before anything else runs, with ECS's stopped reason on failure.
    let secrets = this.#secrets.get(arn);
    if (!secrets && this.#opts.permissions && containers.length === 0) {
      const refused = this.#opts.permissions.check({
        taskArn: arn,
        executionRoleArn: rec.doc.overrides?.executionRoleArn ?? td.executionRoleArn,
        taskRoleArn: rec.doc.overrides?.taskRoleArn ?? td.taskRoleArn,
        scope: rec.scope,
        containers: td.containerDefinitions,
        repositoryOf: (image) => this.#localImage(image, rec.scope)?.repository,
      });
      if (refused) return this.#failToStart(arn, refused);
    }
    if (!secrets && this.#opts.secrets) {
      const r = this.#opts.secrets.resolve(td.containerDefinitions, rec.scope, rec.doc.launchType === "FARGATE" ? "FARGATE" : "EC2");
      if ("error" in r) return this.#failToStart(arn, r.error);
      secrets = r;
      this.#secrets.set(arn, r);
    }

    // An ENI in a subnet EC2 knows: the task joins its subnet's network with the ENI's address.
    const eni = rec.state.networkMode === "awsvpc" ? taskEni(rec.doc) : undefined;
    if (eni && this.#opts.subnetNetworks && containers.length === 0) {
      const net = await this.#opts.subnetNetworks.ensure(eni.subnetId);
      if ("error" in net) {
        this.#opts.log?.(`task ${shortName(arn)}: ${net.error}`);
        return this.#failToStart(arn, `ResourceInitializationError: ${net.error}`);
      }
    }
    if (rec.doc.lastStatus === "PROVISIONING") {
      if (rec.state.networkMode === "awsvpc" && !(eni && this.#opts.subnetNetworks)) {
        await this.#rt.ensureNetwork(this.#opts.awsvpcNetwork, { [LABELS.managed]: "true", ...this.#mine });
      }
      this.#mutate(arn, (t) => {
        if (t.doc.lastStatus === "PROVISIONING") t.doc.lastStatus = "PENDING";
      });
    }

    if (!rec.doc.pullStoppedAt) {
      const failed = await this.#pullImages(rec, td, secrets?.registry);
      if (failed) return failed;
    }

    if (this.#opts.logs && containers.length === 0) {
      const logError = this.#opts.logs.prepare({
        taskArn: arn,
        containers: td.containerDefinitions.map((d) => ({ name: d.name, ...(d.logConfiguration ? { logConfiguration: d.logConfiguration } : {}) })),
      });
      if (logError) return this.#failToStart(arn, logError);
    }

    const planned = this.#plan(rec, td, envFiles.env, secrets?.env);
    const byName = new Map(containers.map((c) => [c.labels[LABELS.container] ?? "", c]));
    const first = planned[0] ? byName.get(planned[0].containerName) : undefined;
    for (const p of planned) {
      let state = byName.get(p.containerName);
      if (state && state.status !== "created") continue;
      const blocked = this.#blockedBy(p, byName);
      if (blocked === "failed") return this.#failToStart(arn, `CannotStartContainerError: dependency of container ${p.containerName} was not met`);
      if (blocked) continue;
      try {
        if (!state) {
          const spec = {
            ...p.spec,
            image: this.#localImage(p.spec.image, rec.scope)?.pullRef ?? p.spec.image,
            labels: { ...p.spec.labels, ...this.#mine },
          };
          if (p.networkFromFirst) {
            if (!first) continue;
            spec.network = { mode: "container", id: first.id };
          }
          const id = await this.#rt.create(spec);
          await this.#rt.start(id);
          state = await this.#rt.inspect(id);
        } else {
          await this.#rt.start(state.id);
          state = await this.#rt.inspect(state.id);
        }
      } catch (err) {
        return this.#failToStart(arn, `CannotStartContainerError: ${(err as Error).message}`);
      }
      if (state) byName.set(p.containerName, state);
      if (p === planned[0]) return { requeueAfterMs: 0 };
    }

    this.#followLogs(rec, td, byName);
    const essentialExited = planned.some((p) => p.essential && byName.get(p.containerName)?.status === "exited");
    const allStarted = planned.every((p) => {
      const s = byName.get(p.containerName);
      return s !== undefined && s.status !== "created";
    });
    if (essentialExited || allStarted) {
      this.#secrets.delete(arn);
      this.#mutate(arn, (t) => {
        if (!isPendingStatus(t.doc.lastStatus)) return;
        this.#applyObserved(t, td, byName);
        if (essentialExited) return;
        const now = new Date(this.#clock.now());
        t.doc.lastStatus = "RUNNING";
        t.doc.startedAt = now;
        t.doc.connectivity = "CONNECTED";
        t.doc.connectivityAt = now;
        t.state.runningAt = now.getTime();
        for (const a of t.doc.attachments) a.status = "ATTACHED";
      });
      return { requeueAfterMs: 0 };
    }
    return { requeueAfterMs: START_POLL_MS };
  }

  /**
   * A Fargate task whose ENI cannot reach what its start needs keeps trying for the emulated
   * timeout (the change that fixes it, a NAT gateway route or an endpoint, lets it through), then
   * fails with ECS's text. Undefined when the start may go on.
   */
  #networkBlocked(rec: TaskRecord & Located, td: TaskDefinitionDoc): ReconcileResult | undefined {
    const arn = rec.doc.taskArn;
    const reach = this.#opts.reachability;
    const eni = taskEni(rec.doc);
    if (!reach || rec.doc.launchType !== "FARGATE" || rec.doc.pullStoppedAt || !eni?.eniId) return undefined;
    const failure = networkFailure(reach, rec.scope, eni.eniId, td.containerDefinitions, (image) => {
      const local = this.#localImage(image, rec.scope);
      return local ? { repository: local.name ?? image, reference: local.reference ?? "latest", accountId: local.accountId ?? rec.scope.accountId } : undefined;
    });
    if (!failure) {
      this.#unreachableSince.delete(arn);
      return undefined;
    }
    const now = this.#clock.now();
    const since = this.#unreachableSince.get(arn);
    if (since === undefined) {
      this.#unreachableSince.set(arn, now);
      this.#opts.log?.(`task ${shortName(arn)}: ${failure.log}`);
    }
    const left = (since ?? now) + (this.#opts.unreachableTimeoutMs ?? 5000) - now;
    if (left > 0) return { requeueAfterMs: Math.min(left, 1000) };
    this.#unreachableSince.delete(arn);
    return this.#failToStart(arn, failure.reason);
  }

  /**
   * Images: an image of Slipway's own registry is always pulled (cheap, and a new push of the
   * same tag is picked up); any other is used as is when present, else pulled. Records each
   * container's image digest. Returns the result of a failed start, or undefined.
   */
  async #pullImages(
    rec: TaskRecord & Located,
    td: TaskDefinitionDoc,
    credentials?: ReadonlyMap<string, { username: string; password: string }>,
  ): Promise<ReconcileResult | undefined> {
    const arn = rec.doc.taskArn;
    this.#mutate(arn, (t) => {
      t.doc.pullStartedAt ??= new Date(this.#clock.now());
    });
    const digests = new Map<string, string | undefined>();
    for (const def of td.containerDefinitions) {
      const image = def.image;
      if (digests.has(image)) continue;
      try {
        const local = this.#localImage(image, rec.scope);
        const progress = new PullProgressLog(this.#clock, (m) => this.#opts.log?.(m), image, arn.split("/").pop()!);
        if (local) {
          const info = await this.#rt.pull(local.pullRef, local.auth, undefined, (p) => progress.progress(p));
          progress.done();
          digests.set(image, pulledDigest(info, local));
        } else {
          // repositoryCredentials: the private registry's login, read from Secrets Manager.
          const creds = credentials?.get(def.name);
          const auth = creds ? { ...creds, serveraddress: registryOf(image) } : undefined;
          let info = await this.#rt.inspectImage(image);
          if (!info) {
            info = await this.#rt.pull(image, auth, undefined, (p) => progress.progress(p));
            progress.done();
          }
          digests.set(image, info.repoDigests[0]?.split("@")[1] ?? info.id);
        }
      } catch (err) {
        if (err instanceof PullError) return this.#failToStart(arn, `CannotPullContainerError: ${err.message}`, image);
        throw err;
      }
    }
    this.#mutate(arn, (t) => {
      t.doc.pullStoppedAt = new Date(this.#clock.now());
      for (const c of t.doc.containers) {
        const d = digests.get(c.image);
        if (d) c.imageDigest = d;
      }
    });
    return undefined;
  }

  /** RUNNING: watch for exits and health changes. */
  async #observe(rec: TaskRecord, containers: ContainerState[]): Promise<ReconcileResult> {
    const byName = new Map(containers.map((c) => [c.labels[LABELS.container] ?? "", c]));
    const td = this.#taskDefinitions.byArn(rec.doc.taskDefinitionArn);
    if (td) this.#followLogs(rec, td, byName);
    this.#mutate(rec.doc.taskArn, (t) => this.#applyObserved(t, td, byName));
    return { requeueAfterMs: RUNNING_POLL_MS };
  }

  /**
   * Copies runtime observations into the task record; an exited essential container stops the
   * task. `td` is the task's definition (undefined once purged).
   */
  #applyObserved(t: TaskRecord, td: TaskDefinitionDoc | undefined, byName: Map<string, ContainerState>): void {
    const taskNet = t.state.networkMode;
    let essentialExited = false;
    for (const sc of t.state.containers) {
      const c = t.doc.containers.find((x) => x.name === sc.name);
      const s = byName.get(sc.name);
      if (!c) continue;
      if (s) {
        sc.runtimeId = s.id;
        c.runtimeId = s.id;
        if (s.status === "running" || s.status === "paused" || s.status === "restarting") c.lastStatus = "RUNNING";
        if (s.status === "exited" || s.status === "dead") {
          c.lastStatus = "STOPPED";
          if (s.exitCode !== undefined) c.exitCode = s.exitCode;
          if (s.oomKilled) c.reason = "OutOfMemoryError: Container killed due to memory usage";
          if (sc.essential) essentialExited = true;
        }
        c.healthStatus = s.health === "healthy" ? "HEALTHY" : s.health === "unhealthy" ? "UNHEALTHY" : "UNKNOWN";
        if (taskNet === "bridge") {
          c.networkBindings = s.ports.map((p) => ({ bindIP: p.hostIp || "0.0.0.0", containerPort: p.containerPort, hostPort: p.hostPort, protocol: p.protocol }));
        }
        // An ENI's address is known from the start; only a placeholder subnet's comes from Docker.
        if (taskNet === "awsvpc" && !taskEni(t.doc)) {
          const ip = Object.values(s.ips)[0] ?? this.#firstIp(byName);
          const attachment = t.doc.attachments[0];
          if (ip && attachment) {
            c.networkInterfaces = [{ attachmentId: attachment.id, privateIpv4Address: ip }];
            const details = (attachment.details ?? []).filter((d) => d.name !== "privateIPv4Address");
            attachment.details = [...details, { name: "privateIPv4Address", value: ip }];
          }
        }
      } else if (c.lastStatus === "RUNNING") {
        c.lastStatus = "STOPPED";
        c.reason = "Container was removed outside of Slipway";
        if (sc.essential) essentialExited = true;
      }
    }
    if (taskNet === "host") {
      for (const c of t.doc.containers) {
        const def = td?.containerDefinitions.find((d) => d.name === c.name);
        // A range mapping (containerPortRange) has no containerPort, and no binding to show.
        c.networkBindings = (def?.portMappings ?? []).map((p) => ({ bindIP: "0.0.0.0", containerPort: p.containerPort, hostPort: p.containerPort, protocol: p.protocol ?? "tcp" }));
      }
    }
    t.doc.healthStatus = aggregateHealth(t);
    if (t.doc.healthStatus === "HEALTHY" && t.state.healthyAt === undefined) t.state.healthyAt = this.#clock.now();
    if (essentialExited && t.doc.desiredStatus === "RUNNING") {
      t.doc.desiredStatus = "STOPPED";
      t.doc.stopCode = "EssentialContainerExited";
      t.doc.stoppedReason = stopReasons.essentialExited;
      t.doc.stoppingAt = new Date(this.#clock.now());
      t.doc.executionStoppedAt ??= new Date(this.#clock.now());
    }
  }

  /** awslogs: ship the output of every started container with an awslogs logConfiguration. */
  #followLogs(rec: TaskRecord, td: TaskDefinitionDoc, byName: Map<string, ContainerState>): void {
    if (!this.#opts.logs) return;
    const containers = td.containerDefinitions.flatMap((d) => {
      const s = byName.get(d.name);
      if (!s || s.status === "created" || d.logConfiguration?.logDriver !== "awslogs") return [];
      return [{ name: d.name, runtimeId: s.id, logConfiguration: d.logConfiguration }];
    });
    if (containers.length === 0) return;
    this.#opts.logs.follow({ taskArn: rec.doc.taskArn, taskId: shortName(rec.doc.taskArn), containers });
  }

  #firstIp(byName: Map<string, ContainerState>): string | undefined {
    for (const s of byName.values()) {
      const ip = Object.values(s.ips)[0];
      if (ip) return ip;
    }
    return undefined;
  }

  // ---- stop: STOPPING (docker stop with stopTimeout) → STOPPED, containers removed
  async #stop(rec: TaskRecord & Located, containers: ContainerState[]): Promise<ReconcileResult> {
    const arn = rec.doc.taskArn;
    const byName = new Map(containers.map((c) => [c.labels[LABELS.container] ?? "", c]));
    const td = this.#taskDefinitions.byArn(rec.doc.taskDefinitionArn);
    // DEACTIVATING: a service task with load-balancer targets is deregistered (by the service
    // scheduler) and drains for the target group's deregistration delay before its containers
    // are stopped.
    if (rec.state.targets?.length && rec.state.serviceArn) {
      const until = rec.state.drainUntil;
      const now = this.#clock.now();
      if (until === undefined || now < until) {
        this.#mutate(arn, (t) => {
          if (t.doc.lastStatus === "RUNNING" || isPendingStatus(t.doc.lastStatus)) t.doc.lastStatus = "DEACTIVATING";
        });
        // Said once per task, as soon as the wait's length is known.
        if (until !== undefined && until - now >= 1000 && !this.#drainsAnnounced.has(arn)) {
          this.#drainsAnnounced.add(arn);
          this.#opts.log?.(drainLine(arn.split("/").pop()!, rec.state.serviceName, rec.state.targets.map((x) => x.targetGroupArn), until - now));
        }
        return { requeueAfterMs: until === undefined ? START_POLL_MS : Math.max(1, until - now) };
      }
    }
    this.#drainsAnnounced.delete(arn);
    if (rec.doc.lastStatus !== "STOPPING" && rec.doc.lastStatus !== "DEPROVISIONING") {
      this.#mutate(arn, (t) => {
        this.#applyObserved(t, td, byName);
        t.doc.lastStatus = "STOPPING";
      });
    }
    const running = containers.filter((c) => c.status === "running" || c.status === "paused" || c.status === "restarting");
    for (const c of running) {
      if (this.#stopping.has(c.id)) continue;
      const name = c.labels[LABELS.container];
      const grace = td?.containerDefinitions.find((d) => d.name === name)?.stopTimeout ?? 30;
      const p = this.#rt
        .stop(c.id, grace)
        .catch((err: unknown) => this.#opts.log?.(`stop ${c.id}: ${(err as Error).message}`))
        .finally(() => {
          this.#stopping.delete(c.id);
          this.#opts.wake(`task:${arn}`);
        });
      this.#stopping.set(c.id, p);
    }
    if (running.length > 0) return { requeueAfterMs: 1000 };

    // STOPPED and the ENI's release commit together: a crash leaves neither or both.
    this.#deps.store.tx(() => {
      this.#mutate(arn, (t) => {
        this.#applyObserved(t, td, byName);
        const now = new Date(this.#clock.now());
        for (const c of t.doc.containers) c.lastStatus = "STOPPED";
        t.doc.lastStatus = "STOPPED";
        t.doc.executionStoppedAt ??= now;
        t.doc.stoppedAt = now;
        t.doc.connectivity = "DISCONNECTED";
        for (const a of t.doc.attachments) a.status = "DELETED";
      });
      this.#releaseNetwork(rec);
      this.#opts.identity?.release(arn);
    });
    this.#secrets.delete(arn);
    for (const c of containers) await this.#rt.remove(c.id);
    return {};
  }

  /** Deletes the ENIs of the task's ElasticNetworkInterface attachments (idempotent). */
  #releaseNetwork(rec: TaskRecord & Located): void {
    const net = this.#network;
    if (!net || rec.state.networkMode !== "awsvpc") return;
    for (const a of rec.doc.attachments) {
      if (a.type === "ElasticNetworkInterface" && a.id) net.release(rec.scope, a.id);
    }
  }

  #localImage(image: string, scope: Scope): ReturnType<LocalImages["resolve"]> {
    return this.#opts.localImages?.resolve(image, { account: scope.accountId, region: scope.region });
  }

  /** The task never reached RUNNING: TaskFailedToStart with AWS's reason text. */
  #failToStart(arn: string, reason: string, image?: string): ReconcileResult {
    this.#secrets.delete(arn);
    this.#unreachableSince.delete(arn);
    this.#mutate(arn, (t) => {
      if (t.doc.desiredStatus === "RUNNING") {
        t.doc.desiredStatus = "STOPPED";
        t.doc.stopCode = "TaskFailedToStart";
        t.doc.stoppedReason = reason;
        t.doc.stoppingAt = new Date(this.#clock.now());
        t.state.failed = true;
      }
      for (const c of t.doc.containers) {
        if (c.lastStatus === "PENDING" && (image === undefined || c.image === image)) c.reason = reason;
      }
    });
    return { requeueAfterMs: 0 };
  }

  #plan(
    rec: TaskRecord & Located,
    td: TaskDefinitionDoc,
    envFiles?: ReadonlyMap<string, readonly string[]>,
    secrets?: ReadonlyMap<string, ReadonlyMap<string, string>>,
  ): PlannedContainer[] {
    const { scope } = rec;
    const mode = rec.state.networkMode;
    const eni = mode === "awsvpc" && this.#opts.subnetNetworks ? taskEni(rec.doc) : undefined;
    const network =
      eni
        ? ({ mode: "network", name: this.#opts.subnetNetworks!.name(eni.subnetId), ipv4Address: eni.ip } as const)
        : mode === "awsvpc"
        ? ({ mode: "network", name: this.#opts.awsvpcNetwork } as const)
        : mode === "host"
          ? ({ mode: "host" } as const)
          : mode === "none"
            ? ({ mode: "none" } as const)
            : ({ mode: "bridge" } as const);
    return toContainerSpecs(
      {
        account: scope.accountId,
        region: scope.region,
        clusterName: rec.cluster,
        taskArn: rec.doc.taskArn,
        taskId: shortName(rec.doc.taskArn),
        ...(rec.state.serviceName ? { serviceName: rec.state.serviceName } : {}),
      },
      td,
      rec.doc.overrides,
      {
        network,
        ...(eni?.dnsName ? { hostname: eni.dnsName } : {}),
        bindHostIp: this.#opts.bindHostIp,
        extraEnv: [`AWS_REGION=${scope.region}`, `AWS_DEFAULT_REGION=${scope.region}`],
        ...(envFiles ? { envFiles } : {}),
        ...(secrets ? { secrets } : {}),
        ...(this.#opts.identity ? { containerEnv: (name: string) => this.#identityEnv(rec, td, name) } : {}),
      },
    );
  }

  /** The task endpoint's variables for one container (the task role of the overrides wins). */
  #identityEnv(rec: TaskRecord, td: TaskDefinitionDoc, containerName: string): string[] {
    const role = rec.doc.overrides?.taskRoleArn ?? td.taskRoleArn;
    return (
      this.#opts.identity?.environment(
        { taskArn: rec.doc.taskArn, ...(role ? { taskRoleArn: role } : {}), ...(rec.doc.launchType ? { launchType: rec.doc.launchType } : {}) },
        containerName,
      ) ?? []
    );
  }

  /** Whether a container's dependsOn conditions hold: undefined (go), "wait", or "failed". */
  #blockedBy(p: PlannedContainer, byName: Map<string, ContainerState>): "wait" | "failed" | undefined {
    for (const dep of p.dependsOn) {
      const s = byName.get(dep.containerName ?? "");
      if (!s || s.status === "created") return "wait";
      switch (dep.condition) {
        case "COMPLETE":
          if (s.status !== "exited") return "wait";
          break;
        case "SUCCESS":
          if (s.status !== "exited") return "wait";
          if (s.exitCode !== 0) return "failed";
          break;
        case "HEALTHY":
          if (s.health === "unhealthy" || s.status === "exited") return "failed";
          if (s.health !== "healthy") return "wait";
          break;
        default:
          break;
      }
    }
    return undefined;
  }

  #mutate(arn: string, fn: (t: TaskRecord) => void): void {
    this.#deps.store.tx(() => {
      const fresh = this.#repo.getTaskByArn(arn);
      if (!fresh) return;
      const before = JSON.stringify(fresh);
      fn(fresh);
      if (JSON.stringify(fresh) === before) return;
      fresh.doc.version += 1;
      this.#repo.putTask(fresh.scope, fresh.cluster, fresh);
    });
  }
}

/**
 * Task health over its essential containers: UNHEALTHY if any is, else UNKNOWN if any is (or
 * there is none), else HEALTHY (the HealthStatus rules of the ECS Task and Container API types).
 */
function aggregateHealth(t: TaskRecord): NonNullable<Task["healthStatus"]> {
  const essentials = t.state.containers.filter((c) => c.essential).map((sc) => t.doc.containers.find((c) => c.name === sc.name));
  const states = essentials.map((c) => c?.healthStatus ?? "UNKNOWN");
  if (states.includes("UNHEALTHY")) return "UNHEALTHY";
  if (states.includes("UNKNOWN") || states.length === 0) return "UNKNOWN";
  return "HEALTHY";
}

/** The digest a pull of a Slipway registry image resolved to (the repo digest of that repository). */
function pulledDigest(info: ImageInfo, local: { pullRef: string; repository: string }): string {
  const at = local.pullRef.indexOf("@");
  if (at >= 0) return local.pullRef.slice(at + 1);
  const mine = info.repoDigests.find((d) => d.startsWith(`${local.repository}@`));
  return (mine ?? info.repoDigests[0])?.split("@")[1] ?? info.id;
}

/** The registry an image reference names, as Docker's auth config spells it (Docker Hub's index URL by default). */
export function registryOf(image: string): string {
  const first = image.split("/")[0] ?? "";
  const isHost = image.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost");
  return isHost ? first : "https://index.docker.io/v1/";
}
