/**
 * ELBv2 operations: thin adapters from the wire's typed requests to the domain, typed by the
 * @aws-sdk/client-elastic-load-balancing-v2 aggregated client.
 */
import type { ElasticLoadBalancingV2, TargetDescription } from "@aws-sdk/client-elastic-load-balancing-v2";
import { defineHandlers } from "../../aws/define-service.ts";
import type { HandlerTable } from "../../aws/service.ts";
import { nextMarker, page } from "./common.ts";
import type { Elbv2 } from "./elbv2.ts";
import { describeSslPolicies } from "./listener-certificates.ts";

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

const targetRefs = (ts: readonly TargetDescription[] | undefined) =>
  (ts ?? []).map((t) => ({ id: t.Id ?? "", port: t.Port, availabilityZone: t.AvailabilityZone }));

export function elbv2Handlers(e: Elbv2): HandlerTable {
  return defineHandlers<ElasticLoadBalancingV2>()({
    CreateLoadBalancer: (i, c) => ({ LoadBalancers: [e.loadBalancers.create(c, i)] }),
    DescribeLoadBalancers: (i, c) => e.loadBalancers.describe(c, i),
    DeleteLoadBalancer: (i, c) => {
      e.loadBalancers.delete(c, i.LoadBalancerArn);
      return {};
    },
    DescribeLoadBalancerAttributes: (i, c) => ({ Attributes: e.loadBalancers.attributes(c, i.LoadBalancerArn) }),
    ModifyLoadBalancerAttributes: (i, c) => ({ Attributes: e.loadBalancers.modifyAttributes(c, i.LoadBalancerArn, i.Attributes ?? []) }),
    SetSecurityGroups: (i, c) => ({ SecurityGroupIds: e.loadBalancers.setSecurityGroups(c, i.LoadBalancerArn, i.SecurityGroups ?? []) }),
    SetSubnets: (i, c) => e.loadBalancers.setSubnets(c, i),
    DescribeCapacityReservation: (i, c) => {
      e.loadBalancers.require(c, i.LoadBalancerArn);
      return { DecreaseRequestsRemaining: 2, CapacityReservationState: [] };
    },
    DescribeAccountLimits: (i) => {
      const p = page(ACCOUNT_LIMITS, i.PageSize, i.Marker);
      return { Limits: p.items, ...nextMarker(p) };
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

    AddListenerCertificates: (i, c) => ({ Certificates: e.listenerCertificates.add(c, i.ListenerArn, i.Certificates) }),
    RemoveListenerCertificates: (i, c) => (e.listenerCertificates.remove(c, i.ListenerArn, i.Certificates), {}),
    DescribeListenerCertificates: (i, c) => e.listenerCertificates.describe(c, i.ListenerArn, i.PageSize, i.Marker),
    DescribeSSLPolicies: (i) => describeSslPolicies(i),

    AddTags: (i, c) => (e.addTags(c, i.ResourceArns, i.Tags), {}),
    RemoveTags: (i, c) => (e.removeTags(c, i.ResourceArns, i.TagKeys), {}),
    DescribeTags: (i, c) => ({ TagDescriptions: e.describeTags(c, i.ResourceArns) }),
  });
}
