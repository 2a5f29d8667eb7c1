import type {
  CreateServiceRequest,
  DeleteServiceRequest,
  DeploymentConfiguration,
  DescribeServicesRequest,
  DescribeServicesResponse,
  ListServicesRequest,
  LoadBalancer,
  NetworkConfiguration,
  Service,
  TaskDefinition,
  UpdateServiceRequest,
} from "@aws-sdk/client-ecs";
import { arn, shortName, type Scope } from "../../core/arn.ts";
import { offsetPage } from "../common/paginate.ts";
import type { Tagging } from "../common/tagging.ts";
import type { Clusters } from "./clusters.ts";
import { type CallScope, type EcsDeps, opt } from "./context.ts";
import type { Deployments } from "./deployments.ts";
import { badNextToken, invalidParameter, serviceNotActive, serviceNotFound } from "./errors.ts";
import type { DeploymentConfigurationDoc, DeploymentSpec, ServiceDoc } from "./model.ts";
import type { LoadBalancing } from "./load-balancing.ts";
import { checkAwsvpc, type TaskNetworking } from "./networking.ts";
import type { EcsRepo, ServiceRecord } from "./repo.ts";
import { ecsTags } from "./tags.ts";
import type { TaskDefinitions } from "./task-definitions.ts";
import { validateLaunch } from "./tasks.ts";

export const serviceArn = (scope: Scope, cluster: string, name: string) => arn("ecs", scope, `service/${cluster}/${name}`);

const DEFAULT_DEPLOYMENT_CONFIGURATION: DeploymentConfigurationDoc = {
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
  readonly #deployments: Deployments;
  readonly #lb: LoadBalancing | undefined;
  readonly #network: TaskNetworking | undefined;

  constructor(
    deps: EcsDeps,
    repo: EcsRepo,
    tags: Tagging,
    clusters: Clusters,
    taskDefinitions: TaskDefinitions,
    deployments: Deployments,
    lb: LoadBalancing | undefined,
    network: TaskNetworking | undefined,
  ) {
    this.#deps = deps;
    this.#repo = repo;
    this.#tags = tags;
    this.#clusters = clusters;
    this.#taskDefinitions = taskDefinitions;
    this.#deployments = deployments;
    this.#lb = lb;
    this.#network = network;
  }

  /**
   * CreateService/UpdateService checks of `loadBalancers`: each names a target group that a
   * listener uses, a container and port of the task definition, and a target type that fits its
   * network mode (`ip` for awsvpc, `instance` otherwise).
   */
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
      const clusterName = cluster.clusterName;
      const name = input.serviceName ?? "";
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
      const providers = input.capacityProviderStrategy ?? [];
      const usesCapacityProviders = providers.length > 0;
      const launchType = usesCapacityProviders ? undefined : (input.launchType ?? "EC2");
      const effectiveLaunch = launchType ?? (providers.some((s) => s.capacityProvider?.startsWith("FARGATE")) ? "FARGATE" : "EC2");
      const network = normaliseNetwork(input.networkConfiguration);
      validateLaunch(td, effectiveLaunch, network);
      if ((td.networkMode ?? "bridge") === "awsvpc") checkAwsvpc(this.#network, scope, network);
      this.#validateLoadBalancers(td, input.loadBalancers ?? []);
      const deploymentConfiguration = mergeDeploymentConfiguration(input.deploymentConfiguration);
      validateDeploymentConfiguration(deploymentConfiguration);

      const now = new Date(this.#deps.clock.now());
      const sArn = serviceArn(scope, clusterName, name);
      const doc: ServiceDoc = {
        serviceArn: sArn,
        serviceName: name,
        clusterArn: cluster.clusterArn,
        loadBalancers: input.loadBalancers ?? [],
        serviceRegistries: input.serviceRegistries ?? [],
        status: "ACTIVE",
        desiredCount: desired,
        runningCount: 0,
        pendingCount: 0,
        ...opt("launchType", launchType),
        ...(usesCapacityProviders ? { capacityProviderStrategy: input.capacityProviderStrategy } : {}),
        ...(effectiveLaunch === "FARGATE" ? { platformVersion: input.platformVersion ?? "LATEST" } : opt("platformVersion", input.platformVersion)),
        taskDefinition: td.taskDefinitionArn,
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
      this.#deployments.start(scope, clusterName, rec, {
        taskDefinition: td.taskDefinitionArn,
        launchType: effectiveLaunch,
        ...opt("platformVersion", doc.platformVersion),
        ...opt("networkConfiguration", network),
      });
      this.#repo.putService(scope, clusterName, rec);
      this.#tags.set(sArn, ecsTags.read(input.tags));
      return this.present(scope, clusterName, rec, false);
    });
  }

  update(scope: Scope, input: UpdateServiceRequest): Service {
    return this.#deps.store.tx(() => {
      const cluster = this.#clusters.require(scope, input.cluster);
      const clusterName = cluster.clusterName;
      const rec = this.#repo.getService(scope, clusterName, shortName(input.service ?? ""));
      if (!rec) throw serviceNotFound();
      if (rec.doc.status !== "ACTIVE") throw serviceNotActive();
      const doc = rec.doc;
      const primary = rec.state.history.find((d) => d.id === doc.deployments[0]?.id);
      const current: DeploymentSpec = primary?.spec ?? { taskDefinition: doc.taskDefinition };
      let next: DeploymentSpec = { ...current };
      let trigger = input.forceNewDeployment === true;

      if (input.taskDefinition !== undefined) {
        const td = this.#taskDefinitions.resolveForLaunch(scope, input.taskDefinition);
        if (td.taskDefinitionArn !== current.taskDefinition) trigger = true;
        next.taskDefinition = td.taskDefinitionArn;
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
      if (input.loadBalancers !== undefined && JSON.stringify(input.loadBalancers) !== JSON.stringify(doc.loadBalancers)) {
        trigger = true;
        doc.loadBalancers = input.loadBalancers;
      }
      if (trigger) {
        const td = this.#taskDefinitions.resolveForLaunch(scope, next.taskDefinition);
        validateLaunch(td, next.launchType ?? "EC2", next.networkConfiguration);
        if ((td.networkMode ?? "bridge") === "awsvpc") checkAwsvpc(this.#network, scope, next.networkConfiguration);
        this.#validateLoadBalancers(td, doc.loadBalancers);
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
      const current0 = doc.deployments[0];
      if (trigger) {
        this.#deployments.start(scope, clusterName, rec, next);
      } else if (current0) {
        current0.desiredCount = doc.desiredCount;
        current0.updatedAt = new Date(this.#deps.clock.now());
      }
      rec.state.steady = false;
      this.#repo.putService(scope, clusterName, rec);
      return this.present(scope, clusterName, rec, false);
    });
  }

  describe(scope: Scope, input: DescribeServicesRequest): DescribeServicesResponse {
    const cluster = this.#clusters.require(scope, input.cluster);
    const names = input.services ?? [];
    if (names.length === 0) throw invalidParameter("Services cannot be empty.");
    if (names.length > 10) throw invalidParameter("Services cannot contain more than 10 elements.");
    const withTags = input.include?.includes("TAGS") ?? false;
    const services: Service[] = [];
    const failures: { arn: string; reason: string }[] = [];
    for (const ref of names) {
      const doc = this.#repo.getServiceDoc(scope, cluster.clusterName, shortName(ref));
      if (doc) services.push(this.present(scope, cluster.clusterName, { doc }, withTags));
      else failures.push({ arn: ref.startsWith("arn:") ? ref : serviceArn(scope, cluster.clusterName, ref), reason: "MISSING" });
    }
    return { services, failures };
  }

  list(scope: Scope, input: ListServicesRequest): { serviceArns: string[]; nextToken?: string } {
    const cluster = this.#clusters.require(scope, input.cluster);
    let services = this.#repo.listServices(scope, cluster.clusterName, ["ACTIVE"]);
    if (input.launchType) services = services.filter((s) => s.launchType === input.launchType);
    if (input.schedulingStrategy) services = services.filter((s) => s.schedulingStrategy === input.schedulingStrategy);
    const page = offsetPage(services.map((s) => s.serviceArn), input.maxResults ?? 10, input.nextToken, badNextToken);
    return { serviceArns: page.items, ...opt("nextToken", page.next) };
  }

  delete(scope: Scope, input: DeleteServiceRequest): Service {
    return this.#deps.store.tx(() => {
      const cluster = this.#clusters.require(scope, input.cluster);
      const clusterName = cluster.clusterName;
      const rec = this.#repo.getService(scope, clusterName, shortName(input.service ?? ""));
      if (!rec) throw serviceNotFound();
      if (rec.doc.status !== "ACTIVE") throw serviceNotActive();
      if (rec.doc.desiredCount > 0 && !input.force && rec.doc.schedulingStrategy !== "DAEMON") {
        throw invalidParameter("The service cannot be stopped while it is scaled above 0.");
      }
      rec.doc.status = "DRAINING";
      rec.doc.desiredCount = 0;
      for (const d of rec.doc.deployments) d.desiredCount = 0;
      rec.state.steady = false;
      this.#repo.putService(scope, clusterName, rec);
      return this.present(scope, clusterName, rec, false);
    });
  }

  /** The Service as Describe returns it, with live task counts (fills in `rec.doc` itself). */
  present(scope: Scope, clusterName: string, rec: Pick<ServiceRecord, "doc">, withTags: boolean): Service {
    const doc = rec.doc;
    const counts = this.#repo.serviceTaskCounts(scope, clusterName, doc.serviceName);
    let running = 0;
    let pending = 0;
    for (const d of doc.deployments) {
      const c = counts.get(d.id);
      d.runningCount = c?.running ?? 0;
      d.pendingCount = c?.pending ?? 0;
      running += d.runningCount;
      pending += d.pendingCount;
    }
    doc.runningCount = running;
    doc.pendingCount = pending;
    if (withTags) doc.tags = ecsTags.write(this.#tags.of(doc.serviceArn));
    return doc;
  }

}

function mergeDeploymentConfiguration(dc: DeploymentConfiguration | undefined): DeploymentConfigurationDoc {
  return {
    ...DEFAULT_DEPLOYMENT_CONFIGURATION,
    ...dc,
    deploymentCircuitBreaker: dc?.deploymentCircuitBreaker ?? DEFAULT_DEPLOYMENT_CONFIGURATION.deploymentCircuitBreaker,
    maximumPercent: dc?.maximumPercent ?? 200,
    minimumHealthyPercent: dc?.minimumHealthyPercent ?? 100,
  };
}

function validateDeploymentConfiguration(dc: DeploymentConfigurationDoc): void {
  if (dc.maximumPercent < 100) throw invalidParameter("Maximum percent must be at least 100.");
  if (dc.minimumHealthyPercent < 0 || dc.minimumHealthyPercent > 100) {
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

