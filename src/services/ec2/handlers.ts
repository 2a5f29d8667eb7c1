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
import { describeAccountAttributes, describeAvailabilityZones, describeRegions } from "./zones.ts";

export function ec2Handlers(e: Ec2): HandlerTable {
  return withDryRun(
    defineHandlers<EC2>()({
      DescribeAvailabilityZones: (i, c) => ({ AvailabilityZones: describeAvailabilityZones(c.region, i) }),
      DescribeAccountAttributes: (i, c) => ({ AccountAttributes: describeAccountAttributes(c, e.defaultVpcId(c) ?? "none", i) }),
      DescribeRegions: (i, c) => ({ Regions: describeRegions(c.region, i) }),

      CreateVpc: (i, c) => ({ Vpc: e.vpcs.create(c, i) }),
      CreateDefaultVpc: (_i, c) => e.createDefaultVpc(c),
      AssociateVpcCidrBlock: (i, c) => e.vpcs.associateCidr(c, i),
      DisassociateVpcCidrBlock: (i, c) => e.vpcs.disassociateCidr(c, i.AssociationId),
      DescribeVpcs: (i, c) => page("Vpcs", e.vpcs.describe(c, i), i),
      DeleteVpc: (i, c) => (e.vpcs.delete(c, i.VpcId), {}),
      DescribeVpcAttribute: (i, c) => e.vpcs.describeAttribute(c, i),
      ModifyVpcAttribute: (i, c) => (e.vpcs.modifyAttribute(c, i), {}),

      CreateSubnet: (i, c) => ({ Subnet: e.subnets.create(c, i) }),
      DescribeSubnets: (i, c) => page("Subnets", e.subnets.describe(c, i), i),
      DeleteSubnet: (i, c) => (e.subnets.delete(c, i.SubnetId), {}),
      ModifySubnetAttribute: (i, c) => (e.subnets.modifyAttribute(c, i), {}),
      CreateDefaultSubnet: (i, c) => ({ Subnet: e.subnets.createDefault(c, i) }),

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
      ReplaceRouteTableAssociation: (i, c) => e.routeTables.replaceAssociation(c, i),
      CreateRoute: (i, c) => (e.routeTables.createRoute(c, i), { Return: true }),
      ReplaceRoute: (i, c) => (e.routeTables.replaceRoute(c, i), {}),
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
      CreateNetworkInterface: (i, c) => ({ NetworkInterface: e.enis.create(c, i) }),
      DeleteNetworkInterface: (i, c) => (e.enis.delete(c, i.NetworkInterfaceId), {}),
      AttachNetworkInterface: (i, c) => e.enis.attach(c, i),
      DetachNetworkInterface: (i, c) => (e.enis.detach(c, i), {}),
      ModifyNetworkInterfaceAttribute: (i, c) => (e.enis.modifyAttribute(c, i), {}),

      AllocateAddress: (i, c) => e.addresses.allocate(c, i),
      AssociateAddress: (i, c) => ({ AssociationId: e.addresses.associate(c, i) }),
      DisassociateAddress: (i, c) => (e.addresses.disassociate(c, i), {}),
      ReleaseAddress: (i, c) => (e.addresses.release(c, i), {}),
      DescribeAddresses: (i, c) => ({ Addresses: e.addresses.describe(c, i) }),
      // Reverse DNS (PTR) records of Elastic IPs: none are set.
      DescribeAddressesAttribute: (i, c) => {
        for (const id of i.AllocationIds ?? []) e.addresses.require(c, id);
        return { Addresses: [] };
      },

      CreateNatGateway: (i, c) => ({ NatGateway: e.natGateways.create(c, i), ...(i.ClientToken ? { ClientToken: i.ClientToken } : {}) }),
      DeleteNatGateway: (i, c) => ({ NatGatewayId: e.natGateways.delete(c, i.NatGatewayId) }),
      DescribeNatGateways: (i, c) => page("NatGateways", e.natGateways.describe(c, i), i),

      CreateVpcEndpoint: (i, c) => ({ VpcEndpoint: e.endpoints.create(c, i), ...(i.ClientToken ? { ClientToken: i.ClientToken } : {}) }),
      DescribeVpcEndpoints: (i, c) => page("VpcEndpoints", e.endpoints.describe(c, i), i),
      ModifyVpcEndpoint: (i, c) => (e.endpoints.modify(c, i), { Return: true }),
      DeleteVpcEndpoints: (i, c) => ({ Unsuccessful: e.endpoints.delete(c, i.VpcEndpointIds) }),
      DescribeVpcEndpointServices: (i, c) => e.endpoints.services(c, i),

      DescribePrefixLists: (i, c) => page("PrefixLists", e.prefixLists.describe(c, i), i),
      DescribeManagedPrefixLists: (i, c) => page("PrefixLists", e.prefixLists.describeManaged(c, i), i),
      GetManagedPrefixListEntries: (i, c) => page("Entries", e.prefixLists.entries(c, i), i),
      GetManagedPrefixListAssociations: (i, c) => page("PrefixListAssociations", e.prefixLists.associations(c, i.PrefixListId), i),
      CreateManagedPrefixList: (i, c) => ({ PrefixList: e.prefixLists.create(c, i) }),
      ModifyManagedPrefixList: (i, c) => ({ PrefixList: e.prefixLists.modify(c, i) }),
      DeleteManagedPrefixList: (i, c) => ({ PrefixList: e.prefixLists.delete(c, i.PrefixListId) }),

      DescribeNetworkAcls: (i, c) => page("NetworkAcls", e.networkAcls.describe(c, i), i),

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
