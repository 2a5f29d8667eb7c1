/**
 * Application Auto Scaling operations: thin adapters from the wire's typed requests
 * (@aws-sdk/client-application-auto-scaling) to the domain.
 */
import type { ApplicationAutoScaling } from "@aws-sdk/client-application-auto-scaling";
import { defineHandlers } from "../../aws/define-service.ts";
import type { HandlerTable } from "../../aws/service.ts";
import { tagMap } from "../common/tagging.ts";
import type { AutoScaling } from "./autoscaling.ts";

export function autoScalingHandlers(a: AutoScaling): HandlerTable {
  return defineHandlers<ApplicationAutoScaling>()({
    RegisterScalableTarget: (i, c) => ({ ScalableTargetARN: a.register(c, i, tagMap.read(i.Tags)) }),
    DescribeScalableTargets: (i, c) => a.describeTargets(c, i),
    DeregisterScalableTarget: (i, c) => (a.deregister(c, i), {}),
    PutScalingPolicy: (i, c) => a.putPolicy(c, i),
    DescribeScalingPolicies: (i, c) => a.describePolicies(c, i),
    DeleteScalingPolicy: (i, c) => (a.deletePolicy(c, i), {}),
    PutScheduledAction: (i, c) => (a.putScheduled(c, i), {}),
    DescribeScheduledActions: (i, c) => a.describeScheduled(c, i),
    DeleteScheduledAction: (i, c) => (a.deleteScheduled(c, i), {}),
    DescribeScalingActivities: (i, c) => a.describeActivities(c, i),
    TagResource: (i) => (a.tags.tag(i.ResourceARN ?? "", tagMap.read(i.Tags)), {}),
    UntagResource: (i) => (a.tags.untag(i.ResourceARN ?? "", i.TagKeys ?? []), {}),
    ListTagsForResource: (i) => ({ Tags: tagMap.write(a.tags.list(i.ResourceARN ?? "")) }),
  });
}
