import type {
  Attachment,
  DescribeTasksRequest,
  DescribeTasksResponse,
  Failure,
  ListTasksRequest,
  NetworkConfiguration,
  RunTaskRequest,
  RunTaskResponse,
  StartTaskRequest,
  StopTaskRequest,
  Tag,
  Task,
  TaskDefinition,
  TaskOverride,
  TaskStopCode,
} from "@aws-sdk/client-ecs";
import { arn, shortName, type Scope } from "../../core/arn.ts";
import { offsetPage } from "../common/paginate.ts";
import type { Tagging } from "../common/tagging.ts";
import type { Clusters } from "./clusters.ts";
import { type EcsDeps, opt } from "./context.ts";
import { dependencyOrder, taskResources } from "./container-spec.ts";
import type { ContainerInstances } from "./container-instances.ts";
import { badNextToken, invalidParameter, serviceNotFound } from "./errors.ts";
import { execAgent } from "./exec.ts";
import type { ContainerDoc, TaskDefinitionDoc, TaskDoc, TaskState } from "./model.ts";
import { type AwsvpcPlan, checkAwsvpc, noFreeAddressReason, SubnetFullError, spreadOrder, type TaskNetworking } from "./networking.ts";
import { type HostCapacity, placementFailure } from "./placement.ts";
import type { EcsRepo, TaskRecord } from "./repo.ts";
import { ecsTags } from "./tags.ts";
import type { TaskDefinitions } from "./task-definitions.ts";

export interface LaunchOptions {
  launchType?: string;
  platformVersion?: string;
  networkConfiguration?: NetworkConfiguration;
  overrides?: TaskOverride;
  startedBy?: string;
  group?: string;
  tags?: Tag[];
  enableExecuteCommand?: boolean;
  service?: { name: string; arn: string; deploymentId: string };
}

export type LaunchResult = { task: TaskRecord } | { failure: Failure };

export const taskArn = (scope: Scope, cluster: string, id: string) => arn("ecs", scope, `task/${cluster}/${id}`);

/** The network mode a task runs in: Fargate is always awsvpc; EC2 defaults to bridge. */
export function networkModeOf(td: TaskDefinition): string {
  return td.networkMode ?? "bridge";
}

export class Tasks {
  readonly #deps: EcsDeps;
  readonly #repo: EcsRepo;
  readonly #tags: Tagging;
  readonly #clusters: Clusters;
  readonly #instances: ContainerInstances;
  readonly #taskDefinitions: TaskDefinitions;
  readonly #host: () => HostCapacity;
  readonly #network: TaskNetworking | undefined;

  constructor(
    deps: EcsDeps,
    repo: EcsRepo,
    tags: Tagging,
    clusters: Clusters,
    instances: ContainerInstances,
    taskDefinitions: TaskDefinitions,
    host: () => HostCapacity,
    network: TaskNetworking | undefined,
  ) {
    this.#deps = deps;
    this.#repo = repo;
    this.#tags = tags;
    this.#clusters = clusters;
    this.#instances = instances;
    this.#taskDefinitions = taskDefinitions;
    this.#host = host;
    this.#network = network;
  }

  /**
   * Creates one task record (PROVISIONING for awsvpc, else PENDING) if it fits on the host.
   * Must run inside a store transaction; the task reconciler does the rest. An awsvpc task whose
   * subnets EC2 knows gets its ENI here (see networking.ts); a rejected network configuration
   * throws InvalidParameterException (and the caller's transaction rolls back).
   */
  launch(scope: Scope, clusterName: string, td: TaskDefinitionDoc, opts: LaunchOptions): LaunchResult {
    const mode = networkModeOf(td);
    const network = mode === "awsvpc" ? checkAwsvpc(this.#network, scope, opts.networkConfiguration) : undefined;
    const res = taskResources(td, opts.overrides);
    const hostPorts =
      mode === "bridge" || mode === "host"
        ? td.containerDefinitions.flatMap((c) =>
            (c.portMappings ?? [])
              .map((p) => (mode === "host" ? p.containerPort : p.hostPort))
              .filter((p): p is number => typeof p === "number" && p > 0),
          )
        : [];
    const ci = this.#instances.ensure(scope, clusterName);
    const reason = placementFailure(this.#host(), this.#repo.hostUsage(), {
      cpu: res.cpu,
      memoryMiB: res.memoryMiB,
      hostPorts,
    });
    if (reason) return { failure: { arn: ci.containerInstanceArn, reason } };

    const now = new Date(this.#deps.clock.now());
    const id = this.#deps.ids.hex(16);
    const tArn = taskArn(scope, clusterName, id);
    const launchType = opts.launchType ?? "EC2";
    const group = opts.group ?? (opts.service ? `service:${opts.service.name}` : `family:${td.family}`);
    const eni = mode === "awsvpc" ? this.#eniAttachment(scope, clusterName, opts, td.family, network) : undefined;
    const ordered = dependencyOrder(td.containerDefinitions);
    const containers: ContainerDoc[] = ordered.map((c) => {
      const override = opts.overrides?.containerOverrides?.find((o) => o.name === c.name);
      return {
        containerArn: arn("ecs", scope, `container/${clusterName}/${id}/${this.#deps.ids.uuid()}`),
        taskArn: tArn,
        name: c.name,
        image: c.image,
        lastStatus: "PENDING",
        // awsvpc: every container shares the task's ENI, and so its one address.
        networkInterfaces: eni?.address ? [{ attachmentId: eni.attachment.id, privateIpv4Address: eni.address }] : [],
        healthStatus: "UNKNOWN",
        cpu: String(override?.cpu ?? c.cpu ?? 0),
        ...(override?.memory ?? c.memory ? { memory: String(override?.memory ?? c.memory) } : {}),
        ...(override?.memoryReservation ?? c.memoryReservation
          ? { memoryReservation: String(override?.memoryReservation ?? c.memoryReservation) }
          : {}),
      };
    });
    const attachments: Attachment[] = eni ? [eni.attachment] : [];
    const task: TaskDoc = {
      attachments,
      availabilityZone: (eni?.subnetId && this.#network?.subnetZone(scope, eni.subnetId)) || `${scope.region}a`,
      clusterArn: arn("ecs", scope, `cluster/${clusterName}`),
      ...(launchType === "FARGATE" ? {} : { containerInstanceArn: ci.containerInstanceArn }),
      containers,
      cpu: String(res.cpu),
      createdAt: now,
      desiredStatus: "RUNNING",
      enableExecuteCommand: opts.enableExecuteCommand ?? false,
      group,
      healthStatus: "UNKNOWN",
      lastStatus: mode === "awsvpc" ? "PROVISIONING" : "PENDING",
      launchType: launchType as Task["launchType"],
      memory: String(res.memoryMiB),
      overrides: {
        containerOverrides: opts.overrides?.containerOverrides ?? [],
        inferenceAcceleratorOverrides: opts.overrides?.inferenceAcceleratorOverrides ?? [],
        ...(opts.overrides?.cpu ? { cpu: opts.overrides.cpu } : {}),
        ...(opts.overrides?.memory ? { memory: opts.overrides.memory } : {}),
        ...(opts.overrides?.taskRoleArn ? { taskRoleArn: opts.overrides.taskRoleArn } : {}),
        ...(opts.overrides?.executionRoleArn ? { executionRoleArn: opts.overrides.executionRoleArn } : {}),
      },
      ...(launchType === "FARGATE" ? { platformVersion: opts.platformVersion === "LATEST" || !opts.platformVersion ? "1.4.0" : opts.platformVersion, platformFamily: "Linux" } : {}),
      ...(opts.service ? { startedBy: opts.service.deploymentId } : opts.startedBy ? { startedBy: opts.startedBy } : {}),
      taskArn: tArn,
      taskDefinitionArn: td.taskDefinitionArn,
      version: 1,
      ...(td.ephemeralStorage ? { ephemeralStorage: td.ephemeralStorage } : {}),
    };
    const essentials = td.containerDefinitions.filter((c) => c.essential !== false);
    const state: TaskState = {
      family: td.family,
      ...(opts.service
        ? { serviceName: opts.service.name, serviceArn: opts.service.arn, deploymentId: opts.service.deploymentId }
        : {}),
      networkMode: mode,
      cpu: res.cpu,
      memoryMiB: res.memoryMiB,
      hostPorts,
      containers: ordered.map((c) => ({
        name: c.name,
        dockerName: `slipway-${id}-${c.name}`,
        essential: c.essential !== false,
      })),
      hasHealthChecks: essentials.some((c) => c.healthCheck !== undefined),
      ...(ci.ec2InstanceId ? { instanceId: ci.ec2InstanceId } : {}),
    };
    if (eni?.failure) {
      // RunTask and the service still see the task: it stops before it starts, as on ECS.
      task.desiredStatus = "STOPPED";
      task.stopCode = "TaskFailedToStart";
      task.stoppedReason = eni.failure;
      task.stoppingAt = now;
      state.failed = true;
    }
    const rec: TaskRecord = { doc: task, state };
    this.#repo.putTask(scope, clusterName, rec);
    this.#tags.set(tArn, ecsTags.read(opts.tags));
    return { task: rec };
  }

  /**
   * The task's ElasticNetworkInterface attachment. With a network EC2 knows, the ENI is real
   * (DescribeNetworkInterfaces lists it, its security groups cannot be deleted until the task
   * stops) and holds the task's one address, taken from the subnet the spread picks; when no
   * subnet has a free address the task is made to fail with ECS's reason. Otherwise the id is a
   * placeholder and the address is Docker's, known once the task runs.
   */
  #eniAttachment(
    scope: Scope,
    clusterName: string,
    opts: LaunchOptions,
    family: string,
    plan: AwsvpcPlan | undefined,
  ): { attachment: Attachment; subnetId?: string; address?: string; failure?: string } {
    const id = this.#deps.ids.uuid();
    const net = this.#network;
    if (!plan || !net) {
      return {
        attachment: {
          id,
          type: "ElasticNetworkInterface",
          status: "PRECREATED",
          details: [
            { name: "subnetId", value: opts.networkConfiguration?.awsvpcConfiguration?.subnets?.[0] ?? "" },
            { name: "networkInterfaceId", value: `eni-${this.#deps.ids.hex(8)}` },
          ],
        },
      };
    }
    const peers = this.#repo
      .queryTasks(scope, clusterName, { desiredStatus: "RUNNING", ...(opts.service ? { service: opts.service.name } : { family }) })
      .flatMap((t) => t.attachments.flatMap((a) => a.details?.filter((d) => d.name === "subnetId").map((d) => d.value ?? "") ?? []));
    const order = spreadOrder(net, scope, plan.subnetIds, peers);
    for (const subnetId of order) {
      let eni: ReturnType<typeof net.attach>;
      try {
        eni = net.attach(scope, { attachmentId: id, subnetId, securityGroupIds: plan.securityGroupIds, publicIp: plan.assignPublicIp });
      } catch (err) {
        if (err instanceof SubnetFullError) continue;
        throw err;
      }
      return {
        subnetId,
        address: eni.privateIpv4Address,
        attachment: {
          id,
          type: "ElasticNetworkInterface",
          status: "PRECREATED",
          details: [
            { name: "subnetId", value: subnetId },
            { name: "networkInterfaceId", value: eni.networkInterfaceId },
            ...(eni.macAddress ? [{ name: "macAddress", value: eni.macAddress }] : []),
            ...(eni.privateDnsName ? [{ name: "privateDnsName", value: eni.privateDnsName }] : []),
            { name: "privateIPv4Address", value: eni.privateIpv4Address },
          ],
        },
      };
    }
    const subnetId = order[0]!;
    return {
      subnetId,
      failure: noFreeAddressReason(subnetId, plan.assignPublicIp),
      attachment: { id, type: "ElasticNetworkInterface", status: "PRECREATED", details: [{ name: "subnetId", value: subnetId }] },
    };
  }

  run(scope: Scope, input: RunTaskRequest): RunTaskResponse {
    return this.#deps.store.tx(() => {
      const cluster = this.#clusters.require(scope, input.cluster);
      if (input.launchType && input.capacityProviderStrategy?.length) {
        throw invalidParameter("Specify either Launch Type or Capacity Provider Strategy, but not both.");
      }
      const count = input.count ?? 1;
      if (count < 1 || count > 10) throw invalidParameter("Count must be between 1 and 10.");
      if (input.startedBy !== undefined && !/^[a-zA-Z0-9_/-]{0,128}$/.test(input.startedBy)) {
        throw invalidParameter("startedBy may contain up to 128 letters (uppercase and lowercase), numbers, hyphens, underscores and forward slashes.");
      }
      const td = this.#taskDefinitions.resolveForLaunch(scope, input.taskDefinition!);
      const launchType = input.launchType ?? (input.capacityProviderStrategy?.some((s) => s.capacityProvider?.startsWith("FARGATE")) ? "FARGATE" : "EC2");
      validateLaunch(td, launchType, input.networkConfiguration);
      const tasks: Task[] = [];
      const failures: Failure[] = [];
      for (let i = 0; i < count; i++) {
        const r = this.launch(scope, cluster.clusterName, td, {
          launchType,
          ...opt("platformVersion", input.platformVersion),
          ...opt("networkConfiguration", input.networkConfiguration),
          ...opt("overrides", input.overrides),
          ...opt("startedBy", input.startedBy),
          ...opt("group", input.group),
          ...opt("tags", input.tags),
          ...opt("enableExecuteCommand", input.enableExecuteCommand),
        });
        if ("task" in r) tasks.push(this.present(r.task, false));
        else failures.push(r.failure);
      }
      return { tasks, failures };
    });
  }

  start(scope: Scope, input: StartTaskRequest): RunTaskResponse {
    const refs = input.containerInstances ?? [];
    if (!refs.length) throw invalidParameter("Container instances cannot be empty.");
    return this.#deps.store.tx(() => {
      const cluster = this.#clusters.require(scope, input.cluster);
      const ci = this.#instances.ensure(scope, cluster.clusterName);
      const failures: Failure[] = [];
      let count = 0;
      for (const ref of refs) {
        if (shortName(ref) === shortName(ci.containerInstanceArn)) count++;
        else failures.push({ arn: ref, reason: "MISSING" });
      }
      if (count === 0) return { tasks: [], failures };
      const result = this.run(scope, {
        cluster: cluster.clusterName,
        taskDefinition: input.taskDefinition,
        count,
        launchType: "EC2",
        ...opt("networkConfiguration", input.networkConfiguration),
        ...opt("overrides", input.overrides),
        ...opt("startedBy", input.startedBy),
        ...opt("group", input.group),
        ...opt("tags", input.tags),
        ...opt("enableExecuteCommand", input.enableExecuteCommand),
      });
      return { tasks: result.tasks ?? [], failures: [...failures, ...(result.failures ?? [])] };
    });
  }

  stop(scope: Scope, input: StopTaskRequest): Task {
    return this.#deps.store.tx(() => {
      const cluster = this.#clusters.require(scope, input.cluster);
      const rec = this.#repo.getTask(scope, cluster.clusterName, shortName(input.task ?? ""));
      if (!rec) throw invalidParameter("The referenced task was not found.");
      this.requestStop(scope, cluster.clusterName, rec, "UserInitiated", input.reason ?? "Task stopped by user");
      return this.present(rec, false);
    });
  }

  /** Sets desiredStatus STOPPED (once); the reconciler carries the task down to STOPPED. */
  requestStop(scope: Scope, clusterName: string, rec: TaskRecord, stopCode: TaskStopCode, reason: string, failed = false): void {
    if (rec.doc.desiredStatus === "STOPPED") return;
    rec.doc.desiredStatus = "STOPPED";
    rec.doc.stopCode = stopCode;
    rec.doc.stoppedReason = reason;
    rec.doc.stoppingAt = new Date(this.#deps.clock.now());
    rec.doc.version += 1;
    if (failed) rec.state.failed = true;
    this.#repo.putTask(scope, clusterName, rec);
  }

  describe(scope: Scope, input: DescribeTasksRequest): DescribeTasksResponse {
    const cluster = this.#clusters.require(scope, input.cluster);
    if (!input.tasks?.length) throw invalidParameter("Tasks cannot be empty.");
    if (input.tasks.length > 100) throw invalidParameter("Tasks cannot contain more than 100 elements.");
    const withTags = input.include?.includes("TAGS") ?? false;
    const tasks: Task[] = [];
    const failures: Failure[] = [];
    for (const ref of input.tasks) {
      const rec = this.#repo.getTask(scope, cluster.clusterName, shortName(ref));
      if (rec) tasks.push(this.present(rec, withTags));
      else failures.push({ arn: ref.startsWith("arn:") ? ref : taskArn(scope, cluster.clusterName, ref), reason: "MISSING" });
    }
    return { tasks, failures };
  }

  list(scope: Scope, input: ListTasksRequest): { taskArns: string[]; nextToken?: string } {
    const cluster = this.#clusters.require(scope, input.cluster);
    const name = cluster.clusterName;
    let service: string | undefined;
    if (input.serviceName !== undefined) {
      service = shortName(input.serviceName);
      if (!this.#repo.getService(scope, name, service)) throw serviceNotFound();
    }
    if (input.family !== undefined && input.serviceName !== undefined) {
      throw invalidParameter("Only one of family or serviceName may be specified.");
    }
    const arns = this.#repo.queryTaskArns(scope, name, {
      desiredStatus: input.desiredStatus ?? "RUNNING",
      ...opt("family", input.family),
      ...opt("service", service),
      ...opt("startedBy", input.startedBy),
      ...opt("launchType", input.launchType),
      ...(input.containerInstance ? { containerInstance: this.#instances.arnOf(scope, name, input.containerInstance) } : {}),
    });
    const page = offsetPage(arns, input.maxResults ?? 100, input.nextToken, badNextToken);
    return { taskArns: page.items, ...opt("nextToken", page.next) };
  }

  /** The Task as Describe returns it (fills in `rec.doc` itself). */
  present(rec: TaskRecord, withTags: boolean): Task {
    const t = rec.doc;
    if (withTags) t.tags = ecsTags.write(this.#tags.of(t.taskArn));
    if (t.enableExecuteCommand) for (const c of t.containers) c.managedAgents = execAgent(t, c);
    return t;
  }
}

/** AWS's checks for a task definition launched with a launch type and network configuration. */
export function validateLaunch(td: TaskDefinition, launchType: string, nc: NetworkConfiguration | undefined): void {
  const mode = networkModeOf(td);
  if (launchType === "FARGATE" && mode !== "awsvpc") {
    throw invalidParameter("Task definition does not support launch_type FARGATE.");
  }
  if (mode === "awsvpc" && !nc?.awsvpcConfiguration) {
    throw invalidParameter("Network Configuration must be provided when networkMode 'awsvpc' is specified.");
  }
  if (mode === "awsvpc" && nc?.awsvpcConfiguration && !nc.awsvpcConfiguration.subnets?.length) {
    throw invalidParameter("subnets can not be empty.");
  }
  if (mode !== "awsvpc" && nc?.awsvpcConfiguration) {
    throw invalidParameter("Network Configuration is not valid for the given networkMode of this task definition.");
  }
  // On the EC2 launch type a task's ENI never gets a public address
  // (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-networking-awsvpc.html).
  if (launchType === "EC2" && nc?.awsvpcConfiguration?.assignPublicIp === "ENABLED") {
    throw invalidParameter("Assign public IP is not supported for this launch type.");
  }
}
