/** The ECS domain, assembled: what handlers and the scheduler share. */
import { parseArn } from "../../core/arn.ts";
import { AccountSettings } from "./account-settings.ts";
import { Clusters } from "./clusters.ts";
import { ContainerInstances, type HostDescription } from "./container-instances.ts";
import type { EcsDeps } from "./context.ts";
import { invalidParameter, resourceNotFound } from "./errors.ts";
import type { LoadBalancing } from "./load-balancing.ts";
import type { TaskNetworking } from "./networking.ts";
import { EcsExec, type ExecSessionsPort } from "./exec.ts";
import { EcsRepo } from "./repo.ts";
import { Services } from "./services.ts";
import { Tasks } from "./tasks.ts";
import { getTaskDefinitionByArn } from "./task-definitions.ts";

export class Ecs {
  readonly deps: EcsDeps;
  readonly repo: EcsRepo;
  readonly clusters: Clusters;
  readonly instances: ContainerInstances;
  readonly tasks: Tasks;
  readonly services: Services;
  readonly settings: AccountSettings;
  /** The load balancer port, once ELBv2 is wired (src/server/slipway.ts). */
  lb: LoadBalancing | undefined;
  /** The EC2 port awsvpc tasks get their ENIs from, once EC2 is wired (src/server/slipway.ts). */
  network: TaskNetworking | undefined;
  /** ECS Exec sessions (src/exec/), once wired (src/server/slipway.ts). */
  execSessions: ExecSessionsPort | undefined;
  readonly exec: EcsExec;

  constructor(deps: EcsDeps, host: () => HostDescription) {
    this.deps = deps;
    this.repo = new EcsRepo(deps.store);
    this.clusters = new Clusters(deps, this.repo);
    this.instances = new ContainerInstances(deps, this.repo, host);
    this.instances.setClusters(this.clusters);
    this.tasks = new Tasks(deps, this.repo, this.clusters, this.instances, host, () => this.network);
    this.services = new Services(deps, this.repo, this.clusters, () => this.lb, () => this.network);
    this.settings = new AccountSettings(this.repo);
    this.exec = new EcsExec(this.repo, this.clusters, () => this.execSessions);
  }

  /** TagResource and friends: the ARN must name an existing ECS resource. */
  requireTaggable(resourceArn: string): void {
    const p = parseArn(resourceArn);
    if (!p || p.service !== "ecs") throw invalidParameter("The ARN provided is invalid.");
    const scope = { accountId: p.accountId, region: p.region };
    const [kind, a, b] = p.resource.split("/");
    const exists =
      kind === "cluster"
        ? this.repo.getCluster(scope, a ?? "")?.status === "ACTIVE"
        : kind === "service"
          ? this.repo.getService(scope, a ?? "", b ?? "") !== undefined
          : kind === "task"
            ? this.repo.getTask(scope, a ?? "", b ?? "") !== undefined
            : kind?.startsWith("task-definition")
              ? getTaskDefinitionByArn(this.deps, resourceArn) !== undefined
              : kind === "container-instance"
                ? this.repo.getContainerInstance(scope, a ?? "")?.containerInstanceArn === resourceArn
                : false;
    if (!exists) throw resourceNotFound("The specified resource could not be found.");
  }
}
