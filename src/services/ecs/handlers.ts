/**
 * ECS operations: thin adapters from the wire's typed requests to the domain (anchors rule 2).
 * Inputs and outputs are the @aws-sdk/client-ecs request/response types.
 */
import type * as ecs from "@aws-sdk/client-ecs";
import type { Handler, RequestContext } from "../../aws/service.ts";
import { getTags, removeTags, setTags } from "../../store/tags.ts";
import type { Ecs } from "./ecs.ts";
import { offsetPage } from "../common/paginate.ts";
import { badNextToken } from "./errors.ts";
import * as taskDefinitions from "./task-definitions.ts";

type H<I, O> = (input: I, ctx: RequestContext) => O | Promise<O>;

export function ecsHandlers(e: Ecs): Record<string, Handler> {
  const d = e.deps;
  const handlers: {
    [K in keyof EcsOps]: H<EcsOps[K][0], EcsOps[K][1]>;
  } = {
    CreateCluster: (i, c) => ({ cluster: e.clusters.create(c, i) }),
    DescribeClusters: (i, c) => e.clusters.describe(c, i),
    ListClusters: (i, c) => {
      const page = offsetPage(e.clusters.list(c), i.maxResults ?? 100, i.nextToken, badNextToken);
      return page.next ? { clusterArns: page.items, nextToken: page.next } : { clusterArns: page.items };
    },
    DeleteCluster: (i, c) => ({ cluster: e.clusters.delete(c, i) }),
    UpdateCluster: (i, c) => ({ cluster: e.clusters.update(c, i) }),
    UpdateClusterSettings: (i, c) => ({ cluster: e.clusters.updateSettings(c, i) }),
    PutClusterCapacityProviders: (i, c) => ({ cluster: e.clusters.putCapacityProviders(c, i) }),

    RegisterTaskDefinition: (i, c) => taskDefinitions.registerTaskDefinition(d, c, i),
    DescribeTaskDefinition: (i, c) => taskDefinitions.describeTaskDefinition(d, c, i),
    ListTaskDefinitions: (i, c) => taskDefinitions.listTaskDefinitions(d, c, i),
    ListTaskDefinitionFamilies: (i, c) => taskDefinitions.listTaskDefinitionFamilies(d, c, i),
    DeregisterTaskDefinition: (i, c) => taskDefinitions.deregisterTaskDefinition(d, c, i),
    DeleteTaskDefinitions: (i, c) => taskDefinitions.deleteTaskDefinitions(d, c, i),

    CreateService: (i, c) => ({ service: e.services.create(c, i) }),
    UpdateService: (i, c) => ({ service: e.services.update(c, i) }),
    DescribeServices: (i, c) => e.services.describe(c, i),
    ListServices: (i, c) => e.services.list(c, i),
    DeleteService: (i, c) => ({ service: e.services.delete(c, i) }),
    ListServiceDeployments: (i, c) => e.services.listDeployments(c, i),
    DescribeServiceDeployments: (i, c) => e.services.describeDeployments(c, i),

    RunTask: (i, c) => e.tasks.run(c, i),
    StartTask: (i, c) => e.tasks.start(c, i),
    StopTask: (i, c) => ({ task: e.tasks.stop(c, i) }),
    DescribeTasks: (i, c) => e.tasks.describe(c, i),
    ListTasks: (i, c) => e.tasks.list(c, i),
    ExecuteCommand: (i, c) => e.exec.execute(c, i),

    ListContainerInstances: (i, c) => e.instances.list(c, i),
    DescribeContainerInstances: (i, c) => e.instances.describe(c, i),

    TagResource: (i) => {
      e.requireTaggable(i.resourceArn!);
      setTags(d.store, i.resourceArn!, (i.tags ?? []).map((t) => ({ key: t.key!, value: t.value ?? "" })));
      return {};
    },
    UntagResource: (i) => {
      e.requireTaggable(i.resourceArn!);
      removeTags(d.store, i.resourceArn!, i.tagKeys ?? []);
      return {};
    },
    ListTagsForResource: (i) => {
      e.requireTaggable(i.resourceArn!);
      return { tags: getTags(d.store, i.resourceArn!) };
    },
    ListAccountSettings: (i, c) => e.settings.list(c, i),
    PutAccountSettingDefault: (i, c) => ({ setting: e.settings.put(c, i.name!, i.value!) }),
    PutAccountSetting: (i, c) => ({ setting: e.settings.put(c, i.name!, i.value!, i.principalArn) }),
  };
  return handlers as unknown as Record<string, Handler>;
}

/** Operation name → [request, response] types, from the SDK. */
interface EcsOps {
  CreateCluster: [ecs.CreateClusterRequest, ecs.CreateClusterResponse];
  DescribeClusters: [ecs.DescribeClustersRequest, ecs.DescribeClustersResponse];
  ListClusters: [ecs.ListClustersRequest, ecs.ListClustersResponse];
  DeleteCluster: [ecs.DeleteClusterRequest, ecs.DeleteClusterResponse];
  UpdateCluster: [ecs.UpdateClusterRequest, ecs.UpdateClusterResponse];
  UpdateClusterSettings: [ecs.UpdateClusterSettingsRequest, ecs.UpdateClusterSettingsResponse];
  PutClusterCapacityProviders: [ecs.PutClusterCapacityProvidersRequest, ecs.PutClusterCapacityProvidersResponse];
  RegisterTaskDefinition: [ecs.RegisterTaskDefinitionRequest, ecs.RegisterTaskDefinitionResponse];
  DescribeTaskDefinition: [ecs.DescribeTaskDefinitionRequest, ecs.DescribeTaskDefinitionResponse];
  ListTaskDefinitions: [ecs.ListTaskDefinitionsRequest, ecs.ListTaskDefinitionsResponse];
  ListTaskDefinitionFamilies: [ecs.ListTaskDefinitionFamiliesRequest, ecs.ListTaskDefinitionFamiliesResponse];
  DeregisterTaskDefinition: [ecs.DeregisterTaskDefinitionRequest, ecs.DeregisterTaskDefinitionResponse];
  DeleteTaskDefinitions: [ecs.DeleteTaskDefinitionsRequest, ecs.DeleteTaskDefinitionsResponse];
  CreateService: [ecs.CreateServiceRequest, ecs.CreateServiceResponse];
  UpdateService: [ecs.UpdateServiceRequest, ecs.UpdateServiceResponse];
  DescribeServices: [ecs.DescribeServicesRequest, ecs.DescribeServicesResponse];
  ListServices: [ecs.ListServicesRequest, ecs.ListServicesResponse];
  DeleteService: [ecs.DeleteServiceRequest, ecs.DeleteServiceResponse];
  ListServiceDeployments: [ecs.ListServiceDeploymentsRequest, ecs.ListServiceDeploymentsResponse];
  DescribeServiceDeployments: [ecs.DescribeServiceDeploymentsRequest, ecs.DescribeServiceDeploymentsResponse];
  RunTask: [ecs.RunTaskRequest, ecs.RunTaskResponse];
  StartTask: [ecs.StartTaskRequest, ecs.StartTaskResponse];
  StopTask: [ecs.StopTaskRequest, ecs.StopTaskResponse];
  DescribeTasks: [ecs.DescribeTasksRequest, ecs.DescribeTasksResponse];
  ListTasks: [ecs.ListTasksRequest, ecs.ListTasksResponse];
  ExecuteCommand: [ecs.ExecuteCommandRequest, ecs.ExecuteCommandResponse];
  ListContainerInstances: [ecs.ListContainerInstancesRequest, ecs.ListContainerInstancesResponse];
  DescribeContainerInstances: [ecs.DescribeContainerInstancesRequest, ecs.DescribeContainerInstancesResponse];
  TagResource: [ecs.TagResourceRequest, ecs.TagResourceResponse];
  UntagResource: [ecs.UntagResourceRequest, ecs.UntagResourceResponse];
  ListTagsForResource: [ecs.ListTagsForResourceRequest, ecs.ListTagsForResourceResponse];
  ListAccountSettings: [ecs.ListAccountSettingsRequest, ecs.ListAccountSettingsResponse];
  PutAccountSettingDefault: [ecs.PutAccountSettingDefaultRequest, ecs.PutAccountSettingDefaultResponse];
  PutAccountSetting: [ecs.PutAccountSettingRequest, ecs.PutAccountSettingResponse];
}


