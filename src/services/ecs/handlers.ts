/**
 * ECS operations: thin adapters from the wire's typed requests (@aws-sdk/client-ecs) to the
 * domain. The caller's RequestContext is the scope the domain works in.
 */
import type { ECS } from "@aws-sdk/client-ecs";
import { defineHandlers } from "../../aws/define-service.ts";
import type { HandlerTable } from "../../aws/service.ts";
import type { Ecs } from "./ecs.ts";
import { ecsTags } from "./tags.ts";

export function ecsHandlers(e: Ecs): HandlerTable {
  return defineHandlers<ECS>()({
    CreateCluster: (i, c) => ({ cluster: e.clusters.create(c, i) }),
    DescribeClusters: (i, c) => e.clusters.describe(c, i),
    ListClusters: (i, c) => e.clusters.list(c, i),
    DeleteCluster: (i, c) => ({ cluster: e.clusters.delete(c, i) }),
    UpdateCluster: (i, c) => ({ cluster: e.clusters.update(c, i) }),
    UpdateClusterSettings: (i, c) => ({ cluster: e.clusters.updateSettings(c, i) }),
    PutClusterCapacityProviders: (i, c) => ({ cluster: e.clusters.putCapacityProviders(c, i) }),

    RegisterTaskDefinition: (i, c) => e.taskDefinitions.register(c, i),
    DescribeTaskDefinition: (i, c) => e.taskDefinitions.describe(c, i),
    ListTaskDefinitions: (i, c) => e.taskDefinitions.list(c, i),
    ListTaskDefinitionFamilies: (i, c) => e.taskDefinitions.listFamilies(c, i),
    DeregisterTaskDefinition: (i, c) => e.taskDefinitions.deregister(c, i),
    DeleteTaskDefinitions: (i, c) => e.taskDefinitions.delete(c, i),

    CreateService: (i, c) => ({ service: e.services.create(c, i) }),
    UpdateService: (i, c) => ({ service: e.services.update(c, i) }),
    DescribeServices: (i, c) => e.services.describe(c, i),
    ListServices: (i, c) => e.services.list(c, i),
    DeleteService: (i, c) => ({ service: e.services.delete(c, i) }),
    ListServiceDeployments: (i, c) => e.deployments.list(c, i),
    DescribeServiceDeployments: (i, c) => e.deployments.describe(c, i),

    RunTask: (i, c) => e.tasks.run(c, i),
    StartTask: (i, c) => e.tasks.start(c, i),
    StopTask: (i, c) => ({ task: e.tasks.stop(c, i) }),
    DescribeTasks: (i, c) => e.tasks.describe(c, i),
    ListTasks: (i, c) => e.tasks.list(c, i),
    ExecuteCommand: (i, c) => e.exec.execute(c, i),

    ListContainerInstances: (i, c) => e.instances.list(c, i),
    DescribeContainerInstances: (i, c) => e.instances.describe(c, i),

    TagResource: (i) => {
      e.tags.tag(i.resourceArn!, ecsTags.read(i.tags));
      return {};
    },
    UntagResource: (i) => {
      e.tags.untag(i.resourceArn!, i.tagKeys ?? []);
      return {};
    },
    ListTagsForResource: (i) => ({ tags: ecsTags.write(e.tags.list(i.resourceArn!)) }),

    ListAccountSettings: (i, c) => e.settings.list(c, i),
    PutAccountSettingDefault: (i, c) => ({ setting: e.settings.put(c, i.name!, i.value!) }),
    PutAccountSetting: (i, c) => ({ setting: e.settings.put(c, i.name!, i.value!, i.principalArn) }),
  });
}
