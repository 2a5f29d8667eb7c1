/**
 * ELBv2 operations: thin adapters from the wire's typed requests to the domain.
 * Inputs and outputs are the @aws-sdk/client-elastic-load-balancing-v2 request/response types.
 */
import type * as elb from "@aws-sdk/client-elastic-load-balancing-v2";
import type { Handler, RequestContext } from "../../aws/service.ts";
import { ServiceError } from "../../aws/service-error.ts";
import { getTags, removeTags, setTags } from "../../store/tags.ts";
import { checkTags, page } from "./common.ts";
import type { Elbv2 } from "./elbv2.ts";
import { validation } from "./errors.ts";

type H<I, O> = (input: I, ctx: RequestContext) => O | Promise<O>;

/** DescribeAccountLimits: AWS's default quotas. */
const ACCOUNT_LIMITS: { Name: string; Max: string }[] = [
  { Name: "application-load-balancers", Max: "50" },
  { Name: "target-groups", Max: "3000" },
  { Name: "targets-per-application-load-balancer", Max: "1000" },
  { Name: "listeners-per-application-load-balancer", Max: "50" },
  { Name: "rules-per-application-load-balancer", Max: "100" },
  { Name: "network-load-balancers", Max: "50" },
  { Name: "targets-per-network-load-balancer", Max: "3000" },
  { Name: "targets-per-availability-zone-per-network-load-balancer", Max: "500" },
  { Name: "listeners-per-network-load-balancer", Max: "50" },
  { Name: "condition-values-per-alb-rule", Max: "5" },
  { Name: "condition-wildcards-per-alb-rule", Max: "5" },
  { Name: "target-groups-per-application-load-balancer", Max: "100" },
  { Name: "target-groups-per-action-on-application-load-balancer", Max: "5" },
  { Name: "target-groups-per-action-on-network-load-balancer", Max: "1" },
  { Name: "certificates-per-application-load-balancer", Max: "25" },
  { Name: "certificates-per-network-load-balancer", Max: "25" },
  { Name: "targets-per-target-group", Max: "1000" },
  { Name: "target-id-registrations-per-application-load-balancer", Max: "1000" },
  { Name: "network-load-balancer-enis-per-vpc", Max: "1200" },
  { Name: "application-load-balancer-enis-per-vpc", Max: "1200" },
  { Name: "gateway-load-balancers", Max: "100" },
  { Name: "gateway-load-balancers-per-vpc", Max: "100" },
  { Name: "geneve-target-groups", Max: "100" },
  { Name: "targets-per-availability-zone-per-gateway-load-balancer", Max: "300" },
];

const targetRefs = (ts: readonly elb.TargetDescription[] | undefined) =>
  (ts ?? []).map((t) => ({ id: t.Id ?? "", port: t.Port, availabilityZone: t.AvailabilityZone }));

const tagArns = (arns: readonly string[] | undefined): readonly string[] => {
  if (!arns?.length) throw validation("At least one resource ARN must be specified");
  if (arns.length > 20) throw validation("At most 20 resource ARNs can be specified");
  return arns;
};

export function elbv2Handlers(e: Elbv2): Record<string, Handler> {
  const store = e.deps.store;
  const handlers: { [K in keyof Elbv2Ops]: H<Elbv2Ops[K][0], Elbv2Ops[K][1]> } = {
    CreateLoadBalancer: (i, c) => ({ LoadBalancers: [e.loadBalancers.create(c, i)] }),
    DescribeLoadBalancers: (i, c) => e.loadBalancers.describe(c, i),
    DeleteLoadBalancer: (i, c) => {
      e.loadBalancers.delete(c, i.LoadBalancerArn);
      return {};
    },
    DescribeLoadBalancerAttributes: (i, c) => ({ Attributes: e.loadBalancers.attributes(c, i.LoadBalancerArn) }),
    ModifyLoadBalancerAttributes: (i, c) => ({ Attributes: e.loadBalancers.modifyAttributes(c, i.LoadBalancerArn, i.Attributes ?? []) }),
    SetSecurityGroups: (i, c) => ({ SecurityGroupIds: e.loadBalancers.setSecurityGroups(c, i.LoadBalancerArn, i.SecurityGroups ?? []) }),
    SetSubnets: (i, c) => e.loadBalancers.setSubnets(c, i) as elb.SetSubnetsOutput,
    DescribeCapacityReservation: (i, c) => {
      e.loadBalancers.require(c, i.LoadBalancerArn);
      return { DecreaseRequestsRemaining: 2, CapacityReservationState: [] };
    },
    DescribeAccountLimits: (i) => {
      const p = page(ACCOUNT_LIMITS, i.PageSize, i.Marker);
      return { Limits: p.items, ...(p.NextMarker ? { NextMarker: p.NextMarker } : {}) };
    },

    CreateTargetGroup: (i, c) => ({ TargetGroups: [e.targetGroups.create(c, i)] }),
    DescribeTargetGroups: (i, c) => e.targetGroups.describe(c, i, (arn) => e.repo.getLoadBalancer(arn) !== undefined),
    ModifyTargetGroup: (i, c) => ({ TargetGroups: [e.targetGroups.modify(c, i)] }),
    DeleteTargetGroup: (i, c) => {
      e.targetGroups.delete(c, i.TargetGroupArn);
      return {};
    },
    DescribeTargetGroupAttributes: (i, c) => ({ Attributes: e.targetGroups.attributes(c, i.TargetGroupArn) }),
    ModifyTargetGroupAttributes: (i, c) => ({ Attributes: e.targetGroups.modifyAttributes(c, i.TargetGroupArn, i.Attributes ?? []) }),
    RegisterTargets: (i, c) => {
      e.targetGroups.register(c, i.TargetGroupArn, targetRefs(i.Targets));
      return {};
    },
    DeregisterTargets: (i, c) => {
      e.targetGroups.deregister(c, i.TargetGroupArn, targetRefs(i.Targets));
      return {};
    },
    DescribeTargetHealth: (i, c) => ({ TargetHealthDescriptions: e.targetGroups.describeHealth(c, i.TargetGroupArn, i.Targets) }),

    CreateListener: (i, c) => ({ Listeners: [e.listeners.create(c, i)] }),
    DescribeListeners: (i, c) => e.listeners.describe(c, i),
    ModifyListener: (i, c) => ({ Listeners: [e.listeners.modify(c, i)] }),
    DeleteListener: (i, c) => {
      e.listeners.delete(c, i.ListenerArn);
      return {};
    },
    DescribeListenerAttributes: (i, c) => ({ Attributes: e.listeners.attributes(c, i.ListenerArn) }),
    ModifyListenerAttributes: (i, c) => ({ Attributes: e.listeners.modifyAttributes(c, i.ListenerArn, i.Attributes ?? []) }),

    CreateRule: (i, c) => ({ Rules: [e.listeners.createRule(c, i)] }),
    DescribeRules: (i, c) => e.listeners.describeRules(c, i),
    ModifyRule: (i, c) => ({ Rules: [e.listeners.modifyRule(c, i)] }),
    DeleteRule: (i, c) => {
      e.listeners.deleteRule(c, i.RuleArn);
      return {};
    },
    SetRulePriorities: (i, c) => ({ Rules: e.listeners.setRulePriorities(c, i.RulePriorities ?? []) }),

    AddTags: (i, c) => {
      const arns = tagArns(i.ResourceArns);
      const tags = checkTags(i.Tags);
      if (tags.length === 0) throw validation("At least one tag must be specified");
      store.tx(() => {
        for (const a of arns) {
          e.requireTaggable(c, a);
          setTags(store, a, tags);
          if (getTags(store, a).length > 50) {
            throw new ServiceError("TooManyTagsException", "The quota for the number of tags that can be assigned to a load balancer has been reached");
          }
        }
      });
      return {};
    },
    RemoveTags: (i, c) => {
      const arns = tagArns(i.ResourceArns);
      store.tx(() => {
        for (const a of arns) {
          e.requireTaggable(c, a);
          removeTags(store, a, i.TagKeys ?? []);
        }
      });
      return {};
    },
    DescribeTags: (i, c) => {
      const arns = tagArns(i.ResourceArns);
      return {
        TagDescriptions: arns.map((a) => {
          e.requireTaggable(c, a);
          return { ResourceArn: a, Tags: getTags(store, a).map((t) => ({ Key: t.key, Value: t.value })) };
        }),
      };
    },
  };
  return handlers as unknown as Record<string, Handler>;
}

/** Operation name → [request, response] types, from the SDK. */
interface Elbv2Ops {
  CreateLoadBalancer: [elb.CreateLoadBalancerInput, elb.CreateLoadBalancerOutput];
  DescribeLoadBalancers: [elb.DescribeLoadBalancersInput, elb.DescribeLoadBalancersOutput];
  DeleteLoadBalancer: [elb.DeleteLoadBalancerInput, elb.DeleteLoadBalancerOutput];
  DescribeLoadBalancerAttributes: [elb.DescribeLoadBalancerAttributesInput, elb.DescribeLoadBalancerAttributesOutput];
  ModifyLoadBalancerAttributes: [elb.ModifyLoadBalancerAttributesInput, elb.ModifyLoadBalancerAttributesOutput];
  SetSecurityGroups: [elb.SetSecurityGroupsInput, elb.SetSecurityGroupsOutput];
  SetSubnets: [elb.SetSubnetsInput, elb.SetSubnetsOutput];
  DescribeCapacityReservation: [elb.DescribeCapacityReservationInput, elb.DescribeCapacityReservationOutput];
  DescribeAccountLimits: [elb.DescribeAccountLimitsInput, elb.DescribeAccountLimitsOutput];
  CreateTargetGroup: [elb.CreateTargetGroupInput, elb.CreateTargetGroupOutput];
  DescribeTargetGroups: [elb.DescribeTargetGroupsInput, elb.DescribeTargetGroupsOutput];
  ModifyTargetGroup: [elb.ModifyTargetGroupInput, elb.ModifyTargetGroupOutput];
  DeleteTargetGroup: [elb.DeleteTargetGroupInput, elb.DeleteTargetGroupOutput];
  DescribeTargetGroupAttributes: [elb.DescribeTargetGroupAttributesInput, elb.DescribeTargetGroupAttributesOutput];
  ModifyTargetGroupAttributes: [elb.ModifyTargetGroupAttributesInput, elb.ModifyTargetGroupAttributesOutput];
  RegisterTargets: [elb.RegisterTargetsInput, elb.RegisterTargetsOutput];
  DeregisterTargets: [elb.DeregisterTargetsInput, elb.DeregisterTargetsOutput];
  DescribeTargetHealth: [elb.DescribeTargetHealthInput, elb.DescribeTargetHealthOutput];
  CreateListener: [elb.CreateListenerInput, elb.CreateListenerOutput];
  DescribeListeners: [elb.DescribeListenersInput, elb.DescribeListenersOutput];
  ModifyListener: [elb.ModifyListenerInput, elb.ModifyListenerOutput];
  DeleteListener: [elb.DeleteListenerInput, elb.DeleteListenerOutput];
  DescribeListenerAttributes: [elb.DescribeListenerAttributesInput, elb.DescribeListenerAttributesOutput];
  ModifyListenerAttributes: [elb.ModifyListenerAttributesInput, elb.ModifyListenerAttributesOutput];
  CreateRule: [elb.CreateRuleInput, elb.CreateRuleOutput];
  DescribeRules: [elb.DescribeRulesInput, elb.DescribeRulesOutput];
  ModifyRule: [elb.ModifyRuleInput, elb.ModifyRuleOutput];
  DeleteRule: [elb.DeleteRuleInput, elb.DeleteRuleOutput];
  SetRulePriorities: [elb.SetRulePrioritiesInput, elb.SetRulePrioritiesOutput];
  AddTags: [elb.AddTagsInput, elb.AddTagsOutput];
  RemoveTags: [elb.RemoveTagsInput, elb.RemoveTagsOutput];
  DescribeTags: [elb.DescribeTagsInput, elb.DescribeTagsOutput];
}
