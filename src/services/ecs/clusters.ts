import type {
  ClusterField,
  ClusterSetting,
  CreateClusterRequest,
  ListClustersRequest,
  ListClustersResponse,
  DeleteClusterRequest,
  DescribeClustersRequest,
  DescribeClustersResponse,
  PutClusterCapacityProvidersRequest,
  UpdateClusterRequest,
  UpdateClusterSettingsRequest,
} from "@aws-sdk/client-ecs";
import { ServiceError } from "../../aws/service-error.ts";
import { arn, shortName, type Scope } from "../../core/arn.ts";
import type { Tagging } from "../common/tagging.ts";
import { offsetPage } from "../common/paginate.ts";
import { type EcsDeps, opt } from "./context.ts";
import { badNextToken, clusterNotFound, invalidParameter } from "./errors.ts";
import type { ClusterDoc } from "./model.ts";
import type { EcsRepo } from "./repo.ts";
import { ecsTags } from "./tags.ts";

export const clusterArn = (scope: Scope, name: string) => arn("ecs", scope, `cluster/${name}`);

const DEFAULT_SETTINGS: ClusterSetting[] = [{ name: "containerInsights", value: "disabled" }];

export class Clusters {
  readonly #deps: EcsDeps;
  readonly #repo: EcsRepo;
  readonly #tags: Tagging;
  constructor(deps: EcsDeps, repo: EcsRepo, tags: Tagging) {
    this.#deps = deps;
    this.#repo = repo;
    this.#tags = tags;
  }

  /** The ACTIVE cluster named by a short name or ARN (default "default"), or ClusterNotFoundException. */
  require(scope: Scope, nameOrArn: string | undefined): ClusterDoc {
    const c = this.#repo.getCluster(scope, shortName(nameOrArn ?? "default"));
    if (!c || c.status !== "ACTIVE") throw clusterNotFound();
    return c;
  }

  create(scope: Scope, input: CreateClusterRequest): ClusterDoc {
    const name = input.clusterName ?? "default";
    if (!/^[a-zA-Z0-9_-]{1,255}$/.test(name)) {
      throw invalidParameter(
        "Cluster name should be between 1 and 255 characters long and can only contain letters, numbers, underscores, and hyphens.",
      );
    }
    return this.#deps.store.tx(() => {
      const existing = this.#repo.getCluster(scope, name);
      if (existing && existing.status === "ACTIVE") return this.#present(scope, existing, ["TAGS", "SETTINGS", "CONFIGURATIONS"]);
      const cluster: ClusterDoc = {
        clusterArn: clusterArn(scope, name),
        clusterName: name,
        status: "ACTIVE",
        registeredContainerInstancesCount: 0,
        runningTasksCount: 0,
        pendingTasksCount: 0,
        activeServicesCount: 0,
        statistics: [],
        settings: input.settings?.length ? input.settings : DEFAULT_SETTINGS,
        capacityProviders: input.capacityProviders ?? [],
        defaultCapacityProviderStrategy: input.defaultCapacityProviderStrategy ?? [],
        ...(input.configuration ? { configuration: input.configuration } : {}),
        ...(input.serviceConnectDefaults
          ? { serviceConnectDefaults: { namespace: input.serviceConnectDefaults.namespace } }
          : {}),
      };
      this.#repo.putCluster(scope, cluster);
      this.#tags.clear(cluster.clusterArn);
      this.#tags.set(cluster.clusterArn, ecsTags.read(input.tags));
      return this.#present(scope, cluster, ["TAGS", "SETTINGS", "CONFIGURATIONS"]);
    });
  }

  describe(scope: Scope, input: DescribeClustersRequest): DescribeClustersResponse {
    const names = input.clusters?.length ? input.clusters : ["default"];
    const include = new Set(input.include ?? []);
    const clusters: ClusterDoc[] = [];
    const failures: { arn: string; reason: string }[] = [];
    for (const ref of names) {
      const c = this.#repo.getCluster(scope, shortName(ref));
      if (c) clusters.push(this.#present(scope, c, [...include]));
      else failures.push({ arn: ref.startsWith("arn:") ? ref : clusterArn(scope, ref), reason: "MISSING" });
    }
    return { clusters, failures };
  }

  list(scope: Scope, input: ListClustersRequest): ListClustersResponse {
    const arns = this.#repo.listClusters(scope).map((c) => c.clusterArn);
    const page = offsetPage(arns, input.maxResults ?? 100, input.nextToken, badNextToken);
    return { clusterArns: page.items, ...opt("nextToken", page.next) };
  }

  delete(scope: Scope, input: DeleteClusterRequest): ClusterDoc {
    return this.#deps.store.tx(() => {
      const c = this.require(scope, input.cluster);
      const name = c.clusterName;
      if (this.#repo.countServices(scope, name, ["ACTIVE", "DRAINING"]) > 0) {
        throw new ServiceError("ClusterContainsServicesException", "The Cluster cannot be deleted while Services are active.");
      }
      if (this.#repo.countTasks(scope, name).active > 0) {
        throw new ServiceError("ClusterContainsTasksException", "The Cluster cannot be deleted while Tasks are active.");
      }
      const deleted: ClusterDoc = { ...c, status: "INACTIVE" };
      this.#repo.putCluster(scope, deleted);
      return this.#present(scope, deleted, []);
    });
  }

  update(scope: Scope, input: UpdateClusterRequest): ClusterDoc {
    return this.#deps.store.tx(() => {
      const c = this.require(scope, input.cluster);
      const next: ClusterDoc = {
        ...c,
        ...(input.settings ? { settings: mergeSettings(c.settings ?? [], input.settings) } : {}),
        ...(input.configuration ? { configuration: input.configuration } : {}),
        ...(input.serviceConnectDefaults ? { serviceConnectDefaults: { namespace: input.serviceConnectDefaults.namespace } } : {}),
      };
      this.#repo.putCluster(scope, next);
      return this.#present(scope, next, ["SETTINGS", "CONFIGURATIONS", "TAGS"]);
    });
  }

  updateSettings(scope: Scope, input: UpdateClusterSettingsRequest): ClusterDoc {
    return this.update(scope, { cluster: input.cluster, settings: input.settings });
  }

  putCapacityProviders(scope: Scope, input: PutClusterCapacityProvidersRequest): ClusterDoc {
    return this.#deps.store.tx(() => {
      const c = this.require(scope, input.cluster);
      for (const p of input.capacityProviders ?? []) {
        if (p !== "FARGATE" && p !== "FARGATE_SPOT") {
          throw invalidParameter(`The specified capacity provider '${p}' is not in an ACTIVE state. Specify a valid capacity provider and try again.`);
        }
      }
      const next: ClusterDoc = {
        ...c,
        capacityProviders: input.capacityProviders ?? [],
        defaultCapacityProviderStrategy: input.defaultCapacityProviderStrategy ?? [],
      };
      this.#repo.putCluster(scope, next);
      return this.#present(scope, next, ["SETTINGS", "CONFIGURATIONS", "TAGS"]);
    });
  }

  /** Live counts and the optional parts DescribeClusters' `include` asks for. */
  #present(scope: Scope, c: ClusterDoc, include: readonly (ClusterField | string)[]): ClusterDoc {
    const name = c.clusterName;
    const counts = this.#repo.countTasks(scope, name);
    const out: ClusterDoc = {
      ...c,
      registeredContainerInstancesCount: c.status === "ACTIVE" ? 1 : 0,
      runningTasksCount: counts.running,
      pendingTasksCount: counts.pending,
      activeServicesCount: this.#repo.countServices(scope, name, ["ACTIVE"]),
    };
    if (!include.includes("SETTINGS")) delete out.settings;
    if (!include.includes("CONFIGURATIONS")) delete out.configuration;
    if (include.includes("TAGS")) {
      out.tags = ecsTags.write(this.#tags.of(c.clusterArn));
    }
    if (include.includes("STATISTICS")) {
      // Each launch type counts its own tasks: a Fargate task is never an EC2 task.
      out.statistics = [
        { name: "runningEC2TasksCount", value: String(counts.running - counts.fargateRunning) },
        { name: "runningFargateTasksCount", value: String(counts.fargateRunning) },
        { name: "pendingEC2TasksCount", value: String(counts.pending - counts.fargatePending) },
        { name: "pendingFargateTasksCount", value: String(counts.fargatePending) },
      ];
    }
    if (include.includes("ATTACHMENTS")) out.attachments = [];
    return out;
  }
}

function mergeSettings(current: ClusterSetting[], updates: ClusterSetting[]): ClusterSetting[] {
  const out = current.filter((s) => !updates.some((u) => u.name === s.name));
  return [...out, ...updates];
}
