/** The ECS domain, assembled: what handlers and the scheduler share. */
import { Tagging } from "../common/tagging.ts";
import { AccountSettings } from "./account-settings.ts";
import { Clusters } from "./clusters.ts";
import { ContainerInstances, type HostDescription } from "./container-instances.ts";
import type { EcsDeps } from "./context.ts";
import { Deployments } from "./deployments.ts";
import type { LoadBalancing } from "./load-balancing.ts";
import type { TaskNetworking } from "./networking.ts";
import { EcsExec, type ExecSessionsPort } from "./exec.ts";
import { EcsRepo } from "./repo.ts";
import { ServiceEventLog } from "./service-events.ts";
import { Services } from "./services.ts";
import { ecsTaggingRules } from "./tags.ts";
import { TaskDefinitions } from "./task-definitions.ts";
import { Tasks } from "./tasks.ts";

/** What ECS needs from the host and from the other services (src/server/slipway.ts adapts them). */
export interface EcsPorts {
  /** The Docker host, each cluster's one container instance (its capacity is read on each use). */
  readonly host: () => HostDescription;
  /** ELBv2, for services with load balancers. Without it, loadBalancers name no target group. */
  readonly lb?: LoadBalancing | undefined;
  /** EC2, where awsvpc tasks get their ENIs. Without it, every subnet is a placeholder (see networking.ts). */
  readonly network?: TaskNetworking | undefined;
  /** ECS Exec sessions (src/exec/). Without it, ExecuteCommand finds no agent to talk to. */
  readonly exec?: ExecSessionsPort | undefined;
  /** Hears warnings meant for the operator (task definition settings Slipway does not implement). */
  readonly warn?: ((msg: string) => void) | undefined;
}

export class Ecs {
  readonly deps: EcsDeps;
  readonly repo: EcsRepo;
  readonly tags: Tagging;
  readonly clusters: Clusters;
  readonly taskDefinitions: TaskDefinitions;
  readonly instances: ContainerInstances;
  readonly tasks: Tasks;
  readonly events: ServiceEventLog;
  readonly deployments: Deployments;
  readonly services: Services;
  readonly settings: AccountSettings;
  readonly lb: LoadBalancing | undefined;
  readonly network: TaskNetworking | undefined;
  readonly exec: EcsExec;

  constructor(deps: EcsDeps, ports: EcsPorts) {
    this.deps = deps;
    this.lb = ports.lb;
    this.network = ports.network;
    this.repo = new EcsRepo(deps.store);
    this.tags = new Tagging(deps.store, ecsTaggingRules(this.repo));
    this.clusters = new Clusters(deps, this.repo, this.tags);
    this.taskDefinitions = new TaskDefinitions(deps, this.repo, this.tags, ports.warn);
    this.instances = new ContainerInstances(deps, this.repo, this.tags, this.clusters, ports.host);
    this.tasks = new Tasks(deps, this.repo, this.tags, this.clusters, this.instances, this.taskDefinitions, ports.host, this.network);
    this.events = new ServiceEventLog(deps);
    this.deployments = new Deployments(deps, this.repo, this.clusters, this.events);
    this.services = new Services(deps, this.repo, this.tags, this.clusters, this.taskDefinitions, this.deployments, this.lb, this.network);
    this.settings = new AccountSettings(this.repo);
    this.exec = new EcsExec(this.repo, this.clusters, ports.exec);
  }
}
