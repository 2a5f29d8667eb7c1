import type {
  ContainerInstance,
  DescribeContainerInstancesRequest,
  DescribeContainerInstancesResponse,
  ListContainerInstancesRequest,
  Resource,
} from "@aws-sdk/client-ecs";
import { arn, shortName, type Scope } from "../../core/arn.ts";
import { offsetPage } from "../common/paginate.ts";
import type { Tagging } from "../common/tagging.ts";
import type { Clusters } from "./clusters.ts";
import { type EcsDeps, opt } from "./context.ts";
import type { ContainerInstanceDoc } from "./model.ts";
import type { HostCapacity } from "./placement.ts";
import type { EcsRepo } from "./repo.ts";
import { badNextToken } from "./errors.ts";
import { ecsTags } from "./tags.ts";

export interface HostDescription extends HostCapacity {
  name: string;
  dockerVersion: string;
  architecture: string;
}

/** Each cluster's one container instance is the Docker host Slipway runs on. */
export class ContainerInstances {
  readonly #deps: EcsDeps;
  readonly #repo: EcsRepo;
  readonly #tags: Tagging;
  readonly #clusters: Clusters;
  readonly #host: () => HostDescription;

  constructor(deps: EcsDeps, repo: EcsRepo, tags: Tagging, clusters: Clusters, host: () => HostDescription) {
    this.#deps = deps;
    this.#repo = repo;
    this.#tags = tags;
    this.#clusters = clusters;
    this.#host = host;
  }

  /** The cluster's container instance record, created on first use (inside the caller's tx). */
  ensure(scope: Scope, cluster: string): ContainerInstanceDoc {
    const existing = this.#repo.getContainerInstance(scope, cluster);
    if (existing) return existing;
    const host = this.#host();
    const ci: ContainerInstanceDoc = {
      containerInstanceArn: arn("ecs", scope, `container-instance/${cluster}/${this.#deps.ids.hex(16)}`),
      ec2InstanceId: `i-${this.#deps.ids.hex(9).slice(0, 17)}`,
      version: 1,
      versionInfo: { agentVersion: "slipway", agentHash: "slipway", dockerVersion: `DockerVersion: ${host.dockerVersion}` },
      status: "ACTIVE",
      agentConnected: true,
      registeredAt: new Date(this.#deps.clock.now()),
      attributes: [
        { name: "ecs.availability-zone", value: `${scope.region}a` },
        { name: "ecs.os-type", value: "linux" },
        { name: "ecs.cpu-architecture", value: host.architecture === "aarch64" ? "arm64" : "x86_64" },
        { name: "ecs.instance-type", value: "slipway.local" },
        { name: "com.amazonaws.ecs.capability.logging-driver.awslogs" },
        { name: "ecs.capability.container-health-check" },
        { name: "ecs.capability.task-eni" },
      ],
    };
    this.#repo.putContainerInstance(scope, cluster, ci);
    return ci;
  }

  arnOf(scope: Scope, cluster: string, ref: string): string {
    const ci = this.ensure(scope, cluster);
    return shortName(ref) === shortName(ci.containerInstanceArn) ? ci.containerInstanceArn : ref;
  }

  list(scope: Scope, input: ListContainerInstancesRequest): { containerInstanceArns: string[]; nextToken?: string } {
    const cluster = this.#clusters.require(scope, input.cluster);
    const arns =
      input.status && input.status !== "ACTIVE" ? [] : [this.#deps.store.tx(() => this.ensure(scope, cluster.clusterName)).containerInstanceArn];
    const page = offsetPage(arns, input.maxResults ?? 100, input.nextToken, badNextToken);
    return { containerInstanceArns: page.items, ...opt("nextToken", page.next) };
  }

  describe(scope: Scope, input: DescribeContainerInstancesRequest): DescribeContainerInstancesResponse {
    const cluster = this.#clusters.require(scope, input.cluster);
    const ci = this.#deps.store.tx(() => this.ensure(scope, cluster.clusterName));
    const out: ContainerInstance[] = [];
    const failures: { arn: string; reason: string }[] = [];
    for (const ref of input.containerInstances ?? []) {
      if (shortName(ref) === shortName(ci.containerInstanceArn)) out.push(this.#present(ci, input.include?.includes("TAGS") ?? false));
      else failures.push({ arn: ref, reason: "MISSING" });
    }
    return { containerInstances: out, failures };
  }

  #present(ci: ContainerInstanceDoc, withTags: boolean): ContainerInstance {
    const host = this.#host();
    const used = this.#repo.hostUsage();
    const mine = this.#repo.hostUsage(ci.containerInstanceArn);
    const resources = (cpu: number, mem: number, ports: string[]): Resource[] => [
      { name: "CPU", type: "INTEGER", integerValue: cpu, doubleValue: 0, longValue: 0 },
      { name: "MEMORY", type: "INTEGER", integerValue: mem, doubleValue: 0, longValue: 0 },
      { name: "PORTS", type: "STRINGSET", stringSetValue: ports, doubleValue: 0, longValue: 0, integerValue: 0 },
      { name: "PORTS_UDP", type: "STRINGSET", stringSetValue: [], doubleValue: 0, longValue: 0, integerValue: 0 },
    ];
    return {
      ...ci,
      registeredResources: resources(host.cpu, host.memoryMiB, ["22", "2375", "2376", "51678", "51679"]),
      remainingResources: resources(
        Math.max(0, host.cpu - used.cpu),
        Math.max(0, host.memoryMiB - used.memoryMiB),
        ["22", "2375", "2376", "51678", "51679", ...[...used.ports].map(String)],
      ),
      runningTasksCount: mine.running,
      pendingTasksCount: mine.pending,
      ...(withTags ? { tags: ecsTags.write(this.#tags.of(ci.containerInstanceArn)) } : {}),
    };
  }
}
