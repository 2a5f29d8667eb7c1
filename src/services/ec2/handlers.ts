/**
 * EC2 operations: thin adapters from the wire's typed requests to the domain (anchors rule 2).
 * Inputs and outputs are the @aws-sdk/client-ec2 request/result types; operations without an
 * output shape return `{}`.
 */
import type * as ec2 from "@aws-sdk/client-ec2";
import type { Handler, RequestContext } from "../../aws/service.ts";
import type { Ec2 } from "./ec2.ts";
import { ServiceError } from "../../aws/service-error.ts";
import { invalidParameterValue, missingParameter } from "./errors.ts";
import { describeAccountAttributes, describeAvailabilityZones } from "./zones.ts";

type H<I, O> = (input: I, ctx: RequestContext) => O | Promise<O>;
type Empty = Record<string, never>;

export function ec2Handlers(e: Ec2): Record<string, Handler> {
  const handlers: { [K in keyof Ec2Ops]: H<Ec2Ops[K][0], Ec2Ops[K][1]> } = {
    DescribeAvailabilityZones: (i, c) => ({ AvailabilityZones: describeAvailabilityZones(c.region, i) }),
    DescribeAccountAttributes: (i, c) => ({ AccountAttributes: describeAccountAttributes(c, e.ensureDefaults(c).vpcId, i) }),

    CreateVpc: (i, c) => ({ Vpc: e.vpcs.create(c, i) }),
    DescribeVpcs: (i, c) => page("Vpcs", e.vpcs.describe(c, i), i),
    DeleteVpc: (i, c) => (e.vpcs.delete(c, i.VpcId), {}),
    DescribeVpcAttribute: (i, c) => e.vpcs.describeAttribute(c, i),
    ModifyVpcAttribute: (i, c) => (e.vpcs.modifyAttribute(c, i), {}),

    CreateSubnet: (i, c) => ({ Subnet: e.subnets.create(c, i) }),
    DescribeSubnets: (i, c) => page("Subnets", e.subnets.describe(c, i), i),
    DeleteSubnet: (i, c) => (e.subnets.delete(c, i.SubnetId), {}),
    ModifySubnetAttribute: (i, c) => (e.subnets.modifyAttribute(c, i), {}),

    CreateInternetGateway: (i, c) => ({ InternetGateway: e.routing.createGateway(c, i) }),
    DescribeInternetGateways: (i, c) => page("InternetGateways", e.routing.describeGateways(c, i), i),
    DeleteInternetGateway: (i, c) => (e.routing.deleteGateway(c, i.InternetGatewayId), {}),
    AttachInternetGateway: (i, c) => (e.routing.attachGateway(c, i.InternetGatewayId, i.VpcId), {}),
    DetachInternetGateway: (i, c) => (e.routing.detachGateway(c, i.InternetGatewayId, i.VpcId), {}),

    CreateRouteTable: (i, c) => ({ RouteTable: e.routing.createRouteTable(c, i) }),
    DescribeRouteTables: (i, c) => page("RouteTables", e.routing.describeRouteTables(c, i), i),
    DeleteRouteTable: (i, c) => (e.routing.deleteRouteTable(c, i.RouteTableId), {}),
    AssociateRouteTable: (i, c) => e.routing.associate(c, i),
    DisassociateRouteTable: (i, c) => (e.routing.disassociate(c, i.AssociationId), {}),
    CreateRoute: (i, c) => (e.routing.createRoute(c, i), { Return: true }),
    DeleteRoute: (i, c) => (e.routing.deleteRoute(c, i), {}),

    CreateSecurityGroup: (i, c) => e.groups.create(c, i),
    DescribeSecurityGroups: (i, c) => page("SecurityGroups", e.groups.describe(c, i), i),
    DescribeSecurityGroupRules: (i, c) => page("SecurityGroupRules", e.groups.describeRules(c, i), i),
    DeleteSecurityGroup: (i, c) => ({ Return: true, GroupId: e.groups.delete(c, i.GroupId, i.GroupName) }),
    AuthorizeSecurityGroupIngress: (i, c) => ({ Return: true, SecurityGroupRules: e.groups.authorize(c, false, i) }),
    AuthorizeSecurityGroupEgress: (i, c) => ({ Return: true, SecurityGroupRules: e.groups.authorize(c, true, i) }),
    RevokeSecurityGroupIngress: (i, c) => (e.groups.revoke(c, false, i), { Return: true }),
    RevokeSecurityGroupEgress: (i, c) => (e.groups.revoke(c, true, i), { Return: true }),

    DescribeNetworkInterfaces: (i, c) => page("NetworkInterfaces", e.enis.describe(c, i), i),

    CreateTags: (i, c) => {
      if (!i.Resources?.length) throw missingParameter("resourceIdSet");
      if (!i.Tags?.length) throw missingParameter("tagSet");
      e.ensureDefaults(c);
      e.tags.createTags(c, i.Resources, i.Tags);
      return {};
    },
    DeleteTags: (i, c) => {
      if (!i.Resources?.length) throw missingParameter("resourceIdSet");
      e.ensureDefaults(c);
      e.tags.deleteTags(c, i.Resources, i.Tags);
      return {};
    },
    DescribeTags: (i, c) => (e.ensureDefaults(c), page("Tags", e.tags.describe(c, i), i)),
  };
  const out: Record<string, Handler> = {};
  for (const [name, h] of Object.entries(handlers) as [string, Handler][]) {
    out[name] = (input: { DryRun?: boolean } | undefined, ctx) => {
      if (input?.DryRun) throw new ServiceError("DryRunOperation", "Request would have succeeded, but DryRun flag is set.", { status: 412 });
      return h(input, ctx);
    };
  }
  return out;
}

/** Describe pagination: MaxResults per page, NextToken an opaque offset. */
function page<K extends string, T>(key: K, items: T[], input: { MaxResults?: number; NextToken?: string }): { [P in K]: T[] } & { NextToken?: string } {
  let start = 0;
  if (input.NextToken) {
    const m = /^o(\d+)$/.exec(Buffer.from(input.NextToken, "base64url").toString("utf8"));
    if (!m) throw invalidParameterValue(`Invalid value '${input.NextToken}' for nextToken`);
    start = Number(m[1]);
  }
  const size = input.MaxResults && input.MaxResults > 0 ? input.MaxResults : items.length;
  const end = start + size;
  const result = { [key]: items.slice(start, end) } as { [P in K]: T[] } & { NextToken?: string };
  if (end < items.length) result.NextToken = Buffer.from(`o${end}`).toString("base64url");
  return result;
}

/** Operation name → [request, result] types, from the SDK. */
interface Ec2Ops {
  DescribeAvailabilityZones: [ec2.DescribeAvailabilityZonesRequest, ec2.DescribeAvailabilityZonesResult];
  DescribeAccountAttributes: [ec2.DescribeAccountAttributesRequest, ec2.DescribeAccountAttributesResult];
  CreateVpc: [ec2.CreateVpcRequest, ec2.CreateVpcResult];
  DescribeVpcs: [ec2.DescribeVpcsRequest, ec2.DescribeVpcsResult];
  DeleteVpc: [ec2.DeleteVpcRequest, Empty];
  DescribeVpcAttribute: [ec2.DescribeVpcAttributeRequest, ec2.DescribeVpcAttributeResult];
  ModifyVpcAttribute: [ec2.ModifyVpcAttributeRequest, Empty];
  CreateSubnet: [ec2.CreateSubnetRequest, ec2.CreateSubnetResult];
  DescribeSubnets: [ec2.DescribeSubnetsRequest, ec2.DescribeSubnetsResult];
  DeleteSubnet: [ec2.DeleteSubnetRequest, Empty];
  ModifySubnetAttribute: [ec2.ModifySubnetAttributeRequest, Empty];
  CreateInternetGateway: [ec2.CreateInternetGatewayRequest, ec2.CreateInternetGatewayResult];
  DescribeInternetGateways: [ec2.DescribeInternetGatewaysRequest, ec2.DescribeInternetGatewaysResult];
  DeleteInternetGateway: [ec2.DeleteInternetGatewayRequest, Empty];
  AttachInternetGateway: [ec2.AttachInternetGatewayRequest, Empty];
  DetachInternetGateway: [ec2.DetachInternetGatewayRequest, Empty];
  CreateRouteTable: [ec2.CreateRouteTableRequest, ec2.CreateRouteTableResult];
  DescribeRouteTables: [ec2.DescribeRouteTablesRequest, ec2.DescribeRouteTablesResult];
  DeleteRouteTable: [ec2.DeleteRouteTableRequest, Empty];
  AssociateRouteTable: [ec2.AssociateRouteTableRequest, ec2.AssociateRouteTableResult];
  DisassociateRouteTable: [ec2.DisassociateRouteTableRequest, Empty];
  CreateRoute: [ec2.CreateRouteRequest, ec2.CreateRouteResult];
  DeleteRoute: [ec2.DeleteRouteRequest, Empty];
  CreateSecurityGroup: [ec2.CreateSecurityGroupRequest, ec2.CreateSecurityGroupResult];
  DescribeSecurityGroups: [ec2.DescribeSecurityGroupsRequest, ec2.DescribeSecurityGroupsResult];
  DescribeSecurityGroupRules: [ec2.DescribeSecurityGroupRulesRequest, ec2.DescribeSecurityGroupRulesResult];
  DeleteSecurityGroup: [ec2.DeleteSecurityGroupRequest, ec2.DeleteSecurityGroupResult];
  AuthorizeSecurityGroupIngress: [ec2.AuthorizeSecurityGroupIngressRequest, ec2.AuthorizeSecurityGroupIngressResult];
  AuthorizeSecurityGroupEgress: [ec2.AuthorizeSecurityGroupEgressRequest, ec2.AuthorizeSecurityGroupEgressResult];
  RevokeSecurityGroupIngress: [ec2.RevokeSecurityGroupIngressRequest, ec2.RevokeSecurityGroupIngressResult];
  RevokeSecurityGroupEgress: [ec2.RevokeSecurityGroupEgressRequest, ec2.RevokeSecurityGroupEgressResult];
  DescribeNetworkInterfaces: [ec2.DescribeNetworkInterfacesRequest, ec2.DescribeNetworkInterfacesResult];
  CreateTags: [ec2.CreateTagsRequest, Empty];
  DeleteTags: [ec2.DeleteTagsRequest, Empty];
  DescribeTags: [ec2.DescribeTagsRequest, ec2.DescribeTagsResult];
}
