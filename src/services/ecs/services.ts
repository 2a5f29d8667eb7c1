import type {
  CreateServiceRequest,
  DeleteServiceRequest,
  Deployment,
  DeploymentConfiguration,
  DescribeServiceDeploymentsRequest,
  DescribeServiceDeploymentsResponse,
  DescribeServicesRequest,
  DescribeServicesResponse,
  ListServiceDeploymentsRequest,
  ListServiceDeploymentsResponse,
  ListServicesRequest,
  LoadBalancer,
  NetworkConfiguration,
  Service,
  ServiceDeployment,
  ServiceEvent,
  TaskDefinition,
  UpdateServiceRequest,
} from "@aws-sdk/client-ecs";
import { arn, shortName, type Scope } from "../../core/arn.ts";
import type { Tagging } from "../common/tagging.ts";
import type { Clusters } from "./clusters.ts";
import type { CallScope, EcsDeps } from "./context.ts";
import { invalidParameter, serviceNotActive, serviceNotFound } from "./errors.ts";
import type { DeploymentRecord, DeploymentSpec, ServiceState } from "./model.ts";
import { offsetPage } from "../common/paginate.ts";
import { badNextToken } from "./errors.ts";
import type { LoadBalancing } from "./load-balancing.ts";
import { checkAwsvpc, type TaskNetworking } from "./networking.ts";
import type { EcsRepo, ServiceRecord } from "./repo.ts";
import { rolloutReasons } from "./service-events.ts";
import { ecsTags } from "./tags.ts";
import type { TaskDefinitions } from "./task-definitions.ts";
import { opt, validateLaunch } from "./tasks.ts";

export const serviceArn = (scope: Scope, cluster: string, name: string) => arn("ecs", scope, `service/${cluster}/${name}`);

const DEFAULT_DEPLOYMENT_CONFIGURATION: DeploymentConfiguration = {
  deploymentCircuitBreaker: { enable: false, rollback: false },
  maximumPercent: 200,
  minimumHealthyPercent: 100,
};

export class Services {
  readonly #deps: EcsDeps;
  readonly #repo: EcsRepo;
  readonly #tags: Tagging;
  readonly #clusters: Clusters;
  readonly #taskDefinitions: TaskDefinitions;
  readonly #lb: LoadBalancing | undefined;
  readonly #network: TaskNetworking | undefined;

  constructor(
    deps: EcsDeps,
    repo: EcsRepo,
    tags: Tagging,
    clusters: Clusters,
    taskDefinitions: TaskDefinitions,
    lb: LoadBalancing | undefined,
    network: TaskNetworking | undefined,
  ) {
    this.#deps = deps;
    this.#repo = repo;
    this.#tags = tags;
    this.#clusters = clusters;
    this.#taskDefinitions = taskDefinitions;
    this.#lb = lb;
    this.#network = network;
  }

  /** CreateService/UpdateService checks of `loadBalancers` against the task definition (§3.4). */
  #validateLoadBalancers(td: TaskDefinition, lbs: readonly LoadBalancer[]): void {
    const mode = td.networkMode ?? "bridge";
    for (const l of lbs) {
      if (!l.targetGroupArn) {
        if (l.loadBalancerName) throw invalidParameter("Classic Load Balancers are not supported by Slipway; use a target group.");
        throw invalidParameter("targetGroupArn must be specified.");
      }
      const tg = this.#lb?.targetGroup(l.targetGroupArn);
      if (!tg) throw invalidParameter(`The target group ${l.targetGroupArn} does not exist.`);
      if (!tg.inUse) {
        throw invalidParameter(`The target group with targetGroupArn ${l.targetGroupArn} does not have an associated load balancer.`);
      }
      const c = td.containerDefinitions?.find((x) => x.name === l.containerName);
      if (!c) throw invalidParameter(`The container ${l.containerName} does not exist in the task definition.`);
      if (!c.portMappings?.some((p) => p.containerPort === l.containerPort)) {
        throw invalidParameter(`The container ${l.containerName} did not have a container port ${l.containerPort} defined.`);
      }
      if ((mode === "awsvpc") !== (tg.targetType === "ip")) {
        throw invalidParameter(
          `The provided target group ${l.targetGroupArn} has target type ${tg.targetType}, which is incompatible with the ${mode} network mode specified in the task definition.`,
        );
      }
    }
  }

  create(scope: CallScope, input: CreateServiceRequest): Service {
    return this.#deps.store.tx(() => {
      const cluster = this.#clusters.require(scope, input.cluster);
      const clusterName = cluster.clusterName!;
      const name = input.serviceName!;
      if (!/^[a-zA-Z0-9_-]{1,255}$/.test(name)) {
        throw invalidParameter("Service name should be between 1 and 255 characters long and can only contain letters, numbers, underscores, and hyphens.");
      }
      const existing = this.#repo.getService(scope, clusterName, name);
      if (existing && existing.doc.status !== "INACTIVE") throw invalidParameter("Creation of service was not idempotent.");
      if (input.launchType && input.capacityProviderStrategy?.length) {
        throw invalidParameter("Specify either Launch Type or Capacity Provider Strategy, but not both.");
      }
      const strategy = input.schedulingStrategy ?? "REPLICA";
      const desired = strategy === "DAEMON" ? 1 : (input.desiredCount ?? 0);
      if (desired < 0) throw invalidParameter("desiredCount cannot be negative.");
      if (input.deploymentController?.type && input.deploymentController.type !== "ECS") {
        throw invalidParameter(`Deployment controller type ${input.deploymentController.type} is not supported by Slipway yet.`);
      }
      const td = this.#taskDefinitions.resolveForLaunch(scope, input.taskDefinition!);
      const usesCapacityProviders = (input.capacityProviderStrategy?.length ?? 0) > 0;
      const launchType = usesCapacityProviders ? undefined : (input.launchType ?? "EC2");
      const effectiveLaunch = launchType ?? (input.capacityProviderStrategy!.some((s) => s.capacityProvider?.startsWith("FARGATE")) ? "FARGATE" : "EC2");
      const network = normaliseNetwork(input.networkConfiguration);
      validateLaunch(td, effectiveLaunch, network);
      if ((td.networkMode ?? "bridge") === "awsvpc") checkAwsvpc(this.#network, scope, network);
      this.#validateLoadBalancers(td, input.loadBalancers ?? []);
      const deploymentConfiguration = mergeDeploymentConfiguration(input.deploymentConfiguration);
      validateDeploymentConfiguration(deploymentConfiguration);

      const now = new Date(this.#deps.clock.now());
      const sArn = serviceArn(scope, clusterName, name);
      const doc: Service = {
        serviceArn: sArn,
        serviceName: name,
        clusterArn: cluster.clusterArn!,
        loadBalancers: input.loadBalancers ?? [],
        serviceRegistries: input.serviceRegistries ?? [],
        status: "ACTIVE",
        desiredCount: desired,
        runningCount: 0,
        pendingCount: 0,
        ...opt("launchType", launchType),
        ...(usesCapacityProviders ? { capacityProviderStrategy: input.capacityProviderStrategy } : {}),
        ...(effectiveLaunch === "FARGATE" ? { platformVersion: input.platformVersion ?? "LATEST" } : opt("platformVersion", input.platformVersion)),
        taskDefinition: td.taskDefinitionArn!,
        deploymentConfiguration,
        deployments: [],
        ...opt("roleArn", input.role),
        events: [],
        createdAt: now,
        placementConstraints: input.placementConstraints ?? [],
        placementStrategy: input.placementStrategy ?? [],
        ...opt("networkConfiguration", network),
        ...opt("healthCheckGracePeriodSeconds", input.healthCheckGracePeriodSeconds),
        schedulingStrategy: strategy,
        deploymentController: { type: "ECS" },
        createdBy: scope.principalArn,
        enableECSManagedTags: input.enableECSManagedTags ?? false,
        propagateTags: input.propagateTags ?? "NONE",
        enableExecuteCommand: input.enableExecuteCommand ?? false,
        ...opt("availabilityZoneRebalancing", input.availabilityZoneRebalancing),
        ...opt("serviceConnectConfiguration", input.serviceConnectConfiguration),
        ...opt("vpcLatticeConfigurations", input.vpcLatticeConfigurations),
      };
      const rec: ServiceRecord = { doc, state: { history: [], steady: false } };
      this.startDeployment(scope, clusterName, rec, { taskDefinition: td.taskDefinitionArn!, ...opt("launchType", launchType ?? effectiveLaunch), ...opt("platformVersion", doc.platformVersion), ...opt("networkConfiguration", network) });
      this.#repo.putService(scope, clusterName, rec);
      this.#tags.set(sArn, ecsTags.read(input.tags));
      return this.present(scope, clusterName, rec, false);
    });
  }

  update(scope: CallScope, input: UpdateServiceRequest): Service {
    return this.#deps.store.tx(() => {
      const cluster = this.#clusters.require(scope, input.cluster);
      const clusterName = cluster.clusterName!;
      const rec = this.#repo.getService(scope, clusterName, shortName(input.service ?? ""));
      if (!rec) throw serviceNotFound();
      if (rec.doc.status !== "ACTIVE") throw serviceNotActive();
      const doc = rec.doc;
      const primary = rec.state.history.find((d) => d.id === doc.deployments?.[0]?.id);
      const current: DeploymentSpec = primary?.spec ?? { taskDefinition: doc.taskDefinition! };
      let next: DeploymentSpec = { ...current };
      let trigger = input.forceNewDeployment === true;

      if (input.taskDefinition !== undefined) {
        const td = this.#taskDefinitions.resolveForLaunch(scope, input.taskDefinition);
        if (td.taskDefinitionArn !== current.taskDefinition) trigger = true;
        next.taskDefinition = td.taskDefinitionArn!;
      }
      if (input.networkConfiguration !== undefined) {
        const network = normaliseNetwork(input.networkConfiguration);
        if (JSON.stringify(network) !== JSON.stringify(current.networkConfiguration)) trigger = true;
        next = { ...next, ...opt("networkConfiguration", network) };
      }
      if (input.platformVersion !== undefined && input.platformVersion !== current.platformVersion) {
        trigger = true;
        next.platformVersion = input.platformVersion;
      }
      if (input.loadBalancers !== undefined && JSON.stringify(input.loadBalancers) !== JSON.stringify(doc.loadBalancers ?? [])) {
        trigger = true;
        doc.loadBalancers = input.loadBalancers;
      }
      if (trigger) {
        const td = this.#taskDefinitions.resolveForLaunch(scope, next.taskDefinition);
        validateLaunch(td, next.launchType ?? "EC2", next.networkConfiguration);
        if ((td.networkMode ?? "bridge") === "awsvpc") checkAwsvpc(this.#network, scope, next.networkConfiguration);
        this.#validateLoadBalancers(td, doc.loadBalancers ?? []);
      }
      if (input.desiredCount !== undefined) {
        if (input.desiredCount < 0) throw invalidParameter("desiredCount cannot be negative.");
        if (doc.schedulingStrategy !== "DAEMON") doc.desiredCount = input.desiredCount;
      }
      if (input.deploymentConfiguration !== undefined) {
        const merged = mergeDeploymentConfiguration({ ...doc.deploymentConfiguration, ...input.deploymentConfiguration });
        validateDeploymentConfiguration(merged);
        doc.deploymentConfiguration = merged;
      }
      if (input.healthCheckGracePeriodSeconds !== undefined) doc.healthCheckGracePeriodSeconds = input.healthCheckGracePeriodSeconds;
      if (input.enableExecuteCommand !== undefined) doc.enableExecuteCommand = input.enableExecuteCommand;
      if (input.enableECSManagedTags !== undefined) doc.enableECSManagedTags = input.enableECSManagedTags;
      if (input.propagateTags !== undefined) doc.propagateTags = input.propagateTags;
      if (input.availabilityZoneRebalancing !== undefined) doc.availabilityZoneRebalancing = input.availabilityZoneRebalancing;
      if (input.placementConstraints !== undefined) doc.placementConstraints = input.placementConstraints;
      if (input.placementStrategy !== undefined) doc.placementStrategy = input.placementStrategy;
      if (input.serviceRegistries !== undefined) doc.serviceRegistries = input.serviceRegistries;
      if (input.capacityProviderStrategy !== undefined) doc.capacityProviderStrategy = input.capacityProviderStrategy;
      if (trigger) {
        this.startDeployment(scope, clusterName, rec, next);
      } else if (doc.deployments?.[0]) {
        doc.deployments[0].desiredCount = doc.desiredCount;
        doc.deployments[0].updatedAt = new Date(this.#deps.clock.now());
      }
      rec.state.steady = false;
      this.#repo.putService(scope, clusterName, rec);
      return this.present(scope, clusterName, rec, false);
    });
  }

  /**
   * Makes a new PRIMARY deployment (synchronously: UpdateService's response must show it) and
   * demotes the others to ACTIVE with desiredCount 0.
   */
  startDeployment(scope: Scope, clusterName: string, rec: ServiceRecord, spec: DeploymentSpec, rollback?: { fromId: string; toId: string }): Deployment {
    const doc = rec.doc;
    const now = new Date(this.#deps.clock.now());
    const num = this.#deps.ids.digits(19);
    const id = `ecs-svc/${num}`;
    for (const d of doc.deployments ?? []) {
      d.status = "ACTIVE";
      d.desiredCount = 0;
      d.updatedAt = now;
    }
    const dep: Deployment = {
      id,
      status: "PRIMARY",
      taskDefinition: spec.taskDefinition,
      desiredCount: doc.desiredCount ?? 0,
      pendingCount: 0,
      runningCount: 0,
      failedTasks: 0,
      createdAt: now,
      updatedAt: now,
      ...opt("launchType", doc.launchType),
      ...opt("capacityProviderStrategy", doc.capacityProviderStrategy),
      ...opt("platformVersion", spec.platformVersion),
      ...(spec.launchType === "FARGATE" ? { platformFamily: "Linux" } : {}),
      ...opt("networkConfiguration", spec.networkConfiguration),
      rolloutState: "IN_PROGRESS",
      rolloutStateReason: rollback ? rolloutReasons.rollingBack(rollback.toId) : rolloutReasons.inProgress(id),
    };
    doc.deployments = [dep, ...(doc.deployments ?? [])];
    doc.taskDefinition = spec.taskDefinition;
    if (spec.networkConfiguration) doc.networkConfiguration = spec.networkConfiguration;
    const cluster = clusterName;
    const record: DeploymentRecord = {
      id,
      status: "IN_PROGRESS",
      serviceDeploymentArn: arn("ecs", scope, `service-deployment/${cluster}/${doc.serviceName}/${this.#deps.ids.hex(10)}`),
      serviceRevisionArn: arn("ecs", scope, `service-revision/${cluster}/${doc.serviceName}/${num}`),
      sourceRevisionArns: rec.state.history
        .filter((h) => (doc.deployments ?? []).some((d) => d.id === h.id && d.id !== id))
        .map((h) => h.serviceRevisionArn),
      spec,
      createdAt: now.getTime(),
      startedAt: now.getTime(),
      ...(rollback ? { rollbackFrom: rollback.fromId } : {}),
    };
    for (const h of rec.state.history) {
      if (h.status === "IN_PROGRESS" || h.status === "PENDING") {
        h.status = "STOPPED";
        h.statusReason = "Superseded by a newer deployment.";
        h.finishedAt = now.getTime();
      }
    }
    rec.state.history = [record, ...rec.state.history].slice(0, 100);
    doc.currentServiceDeployment = record.serviceDeploymentArn;
    rec.state.steady = false;
    return dep;
  }

  describe(scope: CallScope, input: DescribeServicesRequest): DescribeServicesResponse {
    const cluster = this.#clusters.require(scope, input.cluster);
    const names = input.services ?? [];
    if (names.length === 0) throw invalidParameter("Services cannot be empty.");
    if (names.length > 10) throw invalidParameter("Services cannot contain more than 10 elements.");
    const withTags = input.include?.includes("TAGS") ?? false;
    const services: Service[] = [];
    const failures: { arn: string; reason: string }[] = [];
    for (const ref of names) {
      const rec = this.#repo.getService(scope, cluster.clusterName!, shortName(ref));
      if (rec) services.push(this.present(scope, cluster.clusterName!, rec, withTags));
      else failures.push({ arn: ref.startsWith("arn:") ? ref : serviceArn(scope, cluster.clusterName!, ref), reason: "MISSING" });
    }
    return { services, failures };
  }

  list(scope: CallScope, input: ListServicesRequest): { serviceArns: string[]; nextToken?: string } {
    const cluster = this.#clusters.require(scope, input.cluster);
    let services = this.#repo.listServices(scope, cluster.clusterName!, ["ACTIVE"]);
    if (input.launchType) services = services.filter((s) => s.launchType === input.launchType);
    if (input.schedulingStrategy) services = services.filter((s) => s.schedulingStrategy === input.schedulingStrategy);
    const page = offsetPage(services.map((s) => s.serviceArn!), input.maxResults ?? 10, input.nextToken, badNextToken);
    return { serviceArns: page.items, ...opt("nextToken", page.next) };
  }

  delete(scope: CallScope, input: DeleteServiceRequest): Service {
    return this.#deps.store.tx(() => {
      const cluster = this.#clusters.require(scope, input.cluster);
      const clusterName = cluster.clusterName!;
      const rec = this.#repo.getService(scope, clusterName, shortName(input.service ?? ""));
      if (!rec) throw serviceNotFound();
      if (rec.doc.status !== "ACTIVE") throw serviceNotActive();
      if ((rec.doc.desiredCount ?? 0) > 0 && !input.force && rec.doc.schedulingStrategy !== "DAEMON") {
        throw invalidParameter("The service cannot be stopped while it is scaled above 0.");
      }
      rec.doc.status = "DRAINING";
      rec.doc.desiredCount = 0;
      for (const d of rec.doc.deployments ?? []) d.desiredCount = 0;
      rec.state.steady = false;
      this.#repo.putService(scope, clusterName, rec);
      return this.present(scope, clusterName, rec, false);
    });
  }

  listDeployments(scope: CallScope, input: ListServiceDeploymentsRequest): ListServiceDeploymentsResponse {
    const cluster = this.#clusters.require(scope, input.cluster);
    const rec = this.#repo.getService(scope, cluster.clusterName!, shortName(input.service ?? ""));
    if (!rec) throw serviceNotFound();
    let history = rec.state.history;
    if (input.status?.length) history = history.filter((h) => input.status!.includes(h.status as never));
    const after = input.createdAt?.after?.getTime();
    const before = input.createdAt?.before?.getTime();
    if (after !== undefined) history = history.filter((h) => h.createdAt >= after);
    if (before !== undefined) history = history.filter((h) => h.createdAt <= before);
    const page = offsetPage(history, input.maxResults ?? 20, input.nextToken, badNextToken);
    return {
      serviceDeployments: page.items.map((h) => ({
        serviceDeploymentArn: h.serviceDeploymentArn,
        serviceArn: rec.doc.serviceArn!,
        clusterArn: rec.doc.clusterArn!,
        startedAt: new Date(h.startedAt),
        createdAt: new Date(h.createdAt),
        ...(h.finishedAt !== undefined ? { finishedAt: new Date(h.finishedAt) } : {}),
        targetServiceRevisionArn: h.serviceRevisionArn,
        status: h.status as ServiceDeployment["status"],
        ...opt("statusReason", h.statusReason),
      })),
      ...opt("nextToken", page.next),
    };
  }

  describeDeployments(scope: CallScope, input: DescribeServiceDeploymentsRequest): DescribeServiceDeploymentsResponse {
    const out: ServiceDeployment[] = [];
    const failures: { arn: string; reason: string }[] = [];
    for (const ref of input.serviceDeploymentArns ?? []) {
      const parts = ref.split(":").pop()?.split("/") ?? [];
      const [, clusterName, serviceName] = parts;
      const rec = clusterName && serviceName ? this.#repo.getService(scope, clusterName, serviceName) : undefined;
      const h = rec?.state.history.find((x) => x.serviceDeploymentArn === ref);
      if (!rec || !h) {
        failures.push({ arn: ref, reason: "MISSING" });
        continue;
      }
      const dep = rec.doc.deployments?.find((d) => d.id === h.id);
      out.push({
        serviceDeploymentArn: h.serviceDeploymentArn,
        serviceArn: rec.doc.serviceArn!,
        clusterArn: rec.doc.clusterArn!,
        createdAt: new Date(h.createdAt),
        startedAt: new Date(h.startedAt),
        ...(h.finishedAt !== undefined ? { finishedAt: new Date(h.finishedAt) } : {}),
        updatedAt: new Date(h.finishedAt ?? h.startedAt),
        sourceServiceRevisions: h.sourceRevisionArns.map((a) => ({ arn: a })),
        targetServiceRevision: {
          arn: h.serviceRevisionArn,
          requestedTaskCount: dep?.desiredCount ?? 0,
          runningTaskCount: dep?.runningCount ?? 0,
          pendingTaskCount: dep?.pendingCount ?? 0,
        },
        status: h.status as ServiceDeployment["status"],
        ...opt("statusReason", h.statusReason),
        deploymentConfiguration: rec.doc.deploymentConfiguration!,
        ...(h.rollbackFrom ? { rollback: { reason: rolloutReasons.failed(), startedAt: new Date(h.startedAt), serviceRevisionArn: h.serviceRevisionArn } } : {}),
      });
    }
    return { serviceDeployments: out, failures };
  }

  /** The Service as Describe returns it, with live task counts (fills in `rec.doc` itself). */
  present(scope: Scope, clusterName: string, rec: ServiceRecord, withTags: boolean): Service {
    const doc = rec.doc;
    const counts = this.#repo.serviceTaskCounts(scope, clusterName, doc.serviceName!);
    let running = 0;
    let pending = 0;
    for (const d of doc.deployments ?? []) {
      const c = counts.get(d.id ?? "");
      d.runningCount = c?.running ?? 0;
      d.pendingCount = c?.pending ?? 0;
      running += d.runningCount;
      pending += d.pendingCount;
    }
    doc.runningCount = running;
    doc.pendingCount = pending;
    if (withTags) doc.tags = ecsTags.write(this.#tags.of(doc.serviceArn!));
    return doc;
  }

  /** Adds an event (newest first, at most 100 kept). */
  addEvent(rec: ServiceRecord, message: string): void {
    const ev: ServiceEvent = { id: this.#deps.ids.uuid(), createdAt: new Date(this.#deps.clock.now()), message };
    rec.doc.events = [ev, ...(rec.doc.events ?? [])].slice(0, 100);
  }
}

function mergeDeploymentConfiguration(dc: DeploymentConfiguration | undefined): DeploymentConfiguration {
  return {
    ...DEFAULT_DEPLOYMENT_CONFIGURATION,
    ...dc,
    deploymentCircuitBreaker: dc?.deploymentCircuitBreaker ?? DEFAULT_DEPLOYMENT_CONFIGURATION.deploymentCircuitBreaker!,
    maximumPercent: dc?.maximumPercent ?? 200,
    minimumHealthyPercent: dc?.minimumHealthyPercent ?? 100,
  };
}

function validateDeploymentConfiguration(dc: DeploymentConfiguration): void {
  if (dc.maximumPercent! < 100) throw invalidParameter("Maximum percent must be at least 100.");
  if (dc.minimumHealthyPercent! < 0 || dc.minimumHealthyPercent! > 100) {
    throw invalidParameter("Minimum healthy percent must be between 0 and 100.");
  }
}

/** AWS echoes awsvpcConfiguration with assignPublicIp defaulted to DISABLED. */
function normaliseNetwork(nc: NetworkConfiguration | undefined): NetworkConfiguration | undefined {
  if (!nc?.awsvpcConfiguration) return nc;
  return {
    awsvpcConfiguration: {
      ...nc.awsvpcConfiguration,
      subnets: nc.awsvpcConfiguration.subnets ?? [],
      securityGroups: nc.awsvpcConfiguration.securityGroups ?? [],
      assignPublicIp: nc.awsvpcConfiguration.assignPublicIp ?? "DISABLED",
    },
  };
}

export type { ServiceState };
