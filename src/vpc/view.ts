/**
 * The VPC networking state the kernel enforcement and the reachability checks read: an immutable
 * snapshot that EC2 builds from its store (src/services/ec2/network-view.ts) after every EC2 write
 * and that nothing here writes back. Like the load balancer's RoutingTable, consumers never query
 * the store; they get a new view. Everything is resolved already: a subnet carries the routes of
 * the table it uses (with their states), a rule carries the CIDRs of its prefix list.
 */

export interface NetworkView {
  readonly vpcs: ReadonlyMap<string, VpcView>;
  readonly subnets: ReadonlyMap<string, SubnetView>;
  /** Network interfaces by id. */
  readonly enis: ReadonlyMap<string, EniView>;
  readonly groups: ReadonlyMap<string, GroupView>;
  readonly natGateways: ReadonlyMap<string, NatGatewayView>;
  readonly endpoints: ReadonlyMap<string, EndpointView>;
}

export interface VpcView {
  readonly id: string;
  readonly account: string;
  readonly region: string;
  /** The associated IPv4 blocks, primary first. */
  readonly cidrs: readonly string[];
  readonly dnsSupport: boolean;
  readonly dnsHostnames: boolean;
  /** The internet gateway attached to the VPC, if any. */
  readonly internetGatewayId?: string;
}

export interface SubnetView {
  readonly id: string;
  readonly vpcId: string;
  readonly cidr: string;
  readonly zone: string;
  /** The route table the subnet uses (its explicit association, else the main table). */
  readonly routeTableId: string;
  readonly routes: readonly RouteView[];
}

export interface RouteView {
  /** A CIDR, or the prefix list's CIDRs (prefixListId set). */
  readonly cidrs: readonly string[];
  readonly prefixListId?: string;
  readonly target: { readonly kind: "local" | "igw" | "nat" | "vpce" | "eni" | "other"; readonly id: string };
  readonly state: "active" | "blackhole";
}

export type EniKind = "task" | "elb" | "nat" | "vpce" | "user";

export interface EniView {
  readonly id: string;
  readonly vpcId: string;
  readonly subnetId: string;
  readonly kind: EniKind;
  /** The ENI's description (the owner: a task attachment ARN, `ELB app/NAME/ID`, …). */
  readonly description: string;
  readonly privateIps: readonly string[];
  /** A public address (an Elastic IP or a task's assignPublicIp), which the internet can route to. */
  readonly publicIp?: string;
  readonly groupIds: readonly string[];
}

export interface GroupView {
  readonly id: string;
  readonly vpcId: string;
  readonly name: string;
  readonly ingress: readonly RuleView[];
  readonly egress: readonly RuleView[];
}

export interface RuleView {
  /** The rule's id (sgr-…), named in logs and in the kernel rules' comments. */
  readonly id: string;
  readonly groupId: string;
  /** "-1" (all), "tcp", "udp", "icmp", "icmpv6", or a protocol number. */
  readonly protocol: string;
  /** tcp/udp: the port range; icmp: type (from) and code (to), -1 for all. */
  readonly from?: number;
  readonly to?: number;
  /** The peer: CIDRs (a CIDR rule, or a prefix list's CIDRs), or the members of a group. */
  readonly cidrs: readonly string[];
  readonly prefixListId?: string;
  readonly peerGroupId?: string;
}

export interface NatGatewayView {
  readonly id: string;
  readonly vpcId: string;
  readonly subnetId: string;
  readonly state: string;
  readonly connectivity: string;
  readonly publicIp?: string;
}

export interface EndpointView {
  readonly id: string;
  readonly vpcId: string;
  /** The service's short name: "ecr.api", "s3", … */
  readonly service: string;
  readonly type: "Interface" | "Gateway";
  readonly state: string;
  readonly privateDns: boolean;
  /** Interface endpoints: their interfaces. */
  readonly eniIds: readonly string[];
}

export const emptyView = (): NetworkView => ({
  vpcs: new Map(),
  subnets: new Map(),
  enis: new Map(),
  groups: new Map(),
  natGateways: new Map(),
  endpoints: new Map(),
});
