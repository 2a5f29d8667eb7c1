/**
 * EC2 operations: thin adapters from the wire's typed requests to the domain, typed by the
 * @aws-sdk/client-ec2 aggregated client. Operations without an output shape return `{}`. Every
 * operation honours DryRun: with it set, nothing is done and DryRunOperation (412) is answered.
 */
import type { EC2 } from "@aws-sdk/client-ec2";
import { defineHandlers } from "../../aws/define-service.ts";
import type { Handler, HandlerTable } from "../../aws/service.ts";
import { ServiceError } from "../../aws/service-error.ts";
import type { Ec2 } from "./ec2.ts";
import { missingParameter } from "./errors.ts";
import { describePage as page } from "./pages.ts";
import { describeAccountAttributes, describeAvailabilityZones } from "./zones.ts";

export function ec2Handlers(e: Ec2): HandlerTable {
  return withDryRun(
    defineHandlers<EC2>()({
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

      CreateInternetGateway: (i, c) => ({ InternetGateway: e.gateways.create(c, i) }),
      DescribeInternetGateways: (i, c) => page("InternetGateways", e.gateways.describe(c, i), i),
      DeleteInternetGateway: (i, c) => (e.gateways.delete(c, i.InternetGatewayId), {}),
      AttachInternetGateway: (i, c) => (e.gateways.attach(c, i.InternetGatewayId, i.VpcId), {}),
      DetachInternetGateway: (i, c) => (e.gateways.detach(c, i.InternetGatewayId, i.VpcId), {}),

      CreateRouteTable: (i, c) => ({ RouteTable: e.routeTables.create(c, i) }),
      DescribeRouteTables: (i, c) => page("RouteTables", e.routeTables.describe(c, i), i),
      DeleteRouteTable: (i, c) => (e.routeTables.delete(c, i.RouteTableId), {}),
      AssociateRouteTable: (i, c) => e.routeTables.associate(c, i),
      DisassociateRouteTable: (i, c) => (e.routeTables.disassociate(c, i.AssociationId), {}),
      CreateRoute: (i, c) => (e.routeTables.createRoute(c, i), { Return: true }),
      DeleteRoute: (i, c) => (e.routeTables.deleteRoute(c, i), {}),

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
    }),
  );
}

/** Every handler first answers a DryRun request with DryRunOperation, as EC2 does. */
function withDryRun(handlers: HandlerTable): HandlerTable {
  const out: Record<string, Handler> = {};
  for (const [name, h] of Object.entries(handlers)) {
    if (!h) continue;
    out[name] = (input: { DryRun?: boolean } | undefined, ctx) => {
      if (input?.DryRun) throw new ServiceError("DryRunOperation", "Request would have succeeded, but DryRun flag is set.", { status: 412 });
      return h(input, ctx);
    };
  }
  return out;
}
