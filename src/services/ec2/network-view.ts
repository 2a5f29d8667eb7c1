/**
 * Builds the VPC data plane's snapshot (src/vpc/view.ts) from EC2's store: every scope, with each
 * subnet's routes resolved (its table, route states, prefix-list CIDRs) and each rule's peer
 * resolved to CIDRs or a group. Pure reads; nothing is made (no scope gets defaults from this).
 */
import type { NetworkInterface, Subnet, Vpc } from "@aws-sdk/client-ec2";
import type { EndpointView, EniKind, EniView, GroupView, NatGatewayView, NetworkView, RouteView, RuleView, SubnetView, VpcView } from "../../vpc/view.ts";
import type { Ec2 } from "./ec2.ts";
import type { SgDoc, SgState } from "./security-groups.ts";
import { serviceShortName } from "./vpc-endpoints.ts";
import { vpcCidrs, type VpcState } from "./vpcs.ts";

function eniKind(n: NetworkInterface): EniKind {
  if (n.InterfaceType === "natGateway") return "nat";
  if (n.InterfaceType === "vpc_endpoint") return "vpce";
  if (n.Description?.startsWith("ELB ")) return "elb";
  if (n.RequesterManaged && n.Description?.startsWith("arn:aws:ecs:")) return "task";
  return "user";
}

export function buildNetworkView(ec2: Ec2): NetworkView {
  const repo = ec2.repo;
  const vpcs = new Map<string, VpcView>();
  const subnets = new Map<string, SubnetView>();
  const enis = new Map<string, EniView>();
  const groups = new Map<string, GroupView>();
  const natGateways = new Map<string, NatGatewayView>();
  const endpoints = new Map<string, EndpointView>();

  for (const { scope, record } of repo.listEverywhere<Vpc>("vpc")) {
    const state = (repo.get<Vpc, VpcState>(scope, record.id)?.state ?? {}) as Partial<VpcState>;
    const igw = ec2.gateways.attachedTo(scope, record.id)[0];
    vpcs.set(record.id, {
      id: record.id,
      account: scope.accountId,
      region: scope.region,
      cidrs: vpcCidrs(record.doc),
      dnsSupport: state.enableDnsSupport ?? true,
      dnsHostnames: state.enableDnsHostnames ?? false,
      ...(igw?.InternetGatewayId ? { internetGatewayId: igw.InternetGatewayId } : {}),
    });
  }

  for (const { scope, record } of repo.listEverywhere<Subnet>("subnet")) {
    const s = record.doc;
    const table = ec2.routeTables.forSubnet(scope, s.SubnetId!, s.VpcId!);
    const routes: RouteView[] = (table?.Routes ?? []).flatMap((r) => {
      const cidrs = r.DestinationPrefixListId ? (ec2.prefixLists.cidrs(scope, r.DestinationPrefixListId) ?? []) : r.DestinationCidrBlock ? [r.DestinationCidrBlock] : [];
      if (!cidrs.length) return [];
      const gw = r.GatewayId ?? "";
      const target: RouteView["target"] =
        gw === "local"
          ? { kind: "local", id: "local" }
          : gw.startsWith("igw-")
            ? { kind: "igw", id: gw }
            : gw.startsWith("vpce-")
              ? { kind: "vpce", id: gw }
              : r.NatGatewayId
                ? { kind: "nat", id: r.NatGatewayId }
                : r.NetworkInterfaceId
                  ? { kind: "eni", id: r.NetworkInterfaceId }
                  : { kind: "other", id: gw };
      return [{ cidrs, ...(r.DestinationPrefixListId ? { prefixListId: r.DestinationPrefixListId } : {}), target, state: r.State === "blackhole" ? "blackhole" : "active" }];
    });
    subnets.set(s.SubnetId!, {
      id: s.SubnetId!,
      vpcId: s.VpcId!,
      cidr: s.CidrBlock!,
      zone: s.AvailabilityZone!,
      routeTableId: table?.RouteTableId ?? "",
      routes,
    });
  }

  for (const { record } of repo.listEverywhere<NetworkInterface>("network-interface")) {
    const n = record.doc;
    enis.set(n.NetworkInterfaceId!, {
      id: n.NetworkInterfaceId!,
      vpcId: n.VpcId!,
      subnetId: n.SubnetId!,
      kind: eniKind(n),
      description: n.Description ?? "",
      privateIps: (n.PrivateIpAddresses ?? []).map((a) => a.PrivateIpAddress!).filter(Boolean),
      ...(n.Association?.PublicIp ? { publicIp: n.Association.PublicIp } : {}),
      groupIds: (n.Groups ?? []).map((g) => g.GroupId!),
    });
  }

  for (const { scope, record } of repo.listEverywhere<SgDoc>("security-group")) {
    const state = repo.get<SgDoc, SgState>(scope, record.id)!.state;
    const rules = (egress: boolean): RuleView[] =>
      state.rules
        .filter((r) => r.egress === egress && !r.cidr6)
        .map((r) => ({
          id: r.id,
          groupId: record.id,
          protocol: r.proto,
          ...(r.from !== undefined ? { from: r.from } : {}),
          ...(r.to !== undefined ? { to: r.to } : {}),
          cidrs: r.cidr ? [r.cidr] : r.prefixListId ? (ec2.prefixLists.cidrs(scope, r.prefixListId) ?? []) : [],
          ...(r.prefixListId ? { prefixListId: r.prefixListId } : {}),
          ...(r.groupId ? { peerGroupId: r.groupId } : {}),
        }));
    groups.set(record.id, { id: record.id, vpcId: record.vpcId!, name: record.doc.GroupName ?? "", ingress: rules(false), egress: rules(true) });
  }

  for (const { scope, record } of repo.listEverywhere<{ NatGatewayId?: string }>("natgateway")) {
    const s = ec2.natGateways.state(scope, record.id);
    if (!s) continue;
    natGateways.set(record.id, {
      id: record.id,
      vpcId: s.vpcId,
      subnetId: s.subnetId,
      state: s.state ?? "pending",
      connectivity: s.connectivity,
      ...(s.publicIp ? { publicIp: s.publicIp } : {}),
    });
  }

  for (const { scope, record } of repo.listEverywhere<{ VpcId?: string }>("vpc-endpoint")) {
    const ep = ec2.endpoints.ofVpc(scope, record.vpcId!).find((x) => x.VpcEndpointId === record.id);
    if (!ep) continue;
    endpoints.set(record.id, {
      id: record.id,
      vpcId: ep.VpcId!,
      service: serviceShortName(scope.region, ep.ServiceName!) ?? ep.ServiceName!,
      type: ep.VpcEndpointType === "Interface" ? "Interface" : "Gateway",
      state: ep.State ?? "pending",
      privateDns: ep.PrivateDnsEnabled ?? false,
      eniIds: ep.NetworkInterfaceIds ?? [],
    });
  }

  return { vpcs, subnets, enis, groups, natGateways, endpoints };
}
