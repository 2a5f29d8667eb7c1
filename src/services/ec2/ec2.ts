/**
 * The EC2 (networking) domain, assembled: what the handlers use and what ECS (awsvpc tasks),
 * ELBv2 (load balancer nodes) and the VPC data plane (src/vpc) call. Every account+region gets,
 * lazily and once, a default VPC 172.31.0.0/16 with a default subnet per zone, a main route table
 * routing 0.0.0.0/0 to an attached internet gateway, a `default` security group and a default
 * network ACL (https://docs.aws.amazon.com/vpc/latest/userguide/default-vpc.html); ids come from
 * the injected IdGen. Deleting the default VPC is allowed; CreateDefaultVpc makes a new one.
 *
 * The resource modules get an `Ec2Context` (store, repo, tags, ids, the defaults) and, where one
 * needs another, a small function wired here; none of them imports this file.
 */
import type { CreateDefaultVpcResult, NetworkInterface, SecurityGroup, Subnet, Vpc } from "@aws-sdk/client-ec2";
import type { Scope } from "../../core/arn.ts";
import type { Clock } from "../../core/clock.ts";
import type { IdGen } from "../../core/ids.ts";
import type { Store } from "../../store/store.ts";
import type { NetworkView } from "../../vpc/view.ts";
import { Addresses } from "./addresses.ts";
import type { Ec2Context } from "./context.ts";
import { ec2Error } from "./errors.ts";
import { InternetGateways } from "./internet-gateways.ts";
import { NatGateways } from "./nat-gateways.ts";
import { NetworkAcls } from "./network-acls.ts";
import { type EniOwner, type NetworkInterfaceRequest, NetworkInterfaces } from "./network-interfaces.ts";
import { buildNetworkView } from "./network-view.ts";
import { PrefixLists } from "./prefix-lists.ts";
import { Ec2Repo, type ScopeDefaults } from "./repo.ts";
import { RouteTables } from "./route-tables.ts";
import { type SgDoc, type SgState, SecurityGroups } from "./security-groups.ts";
import { Subnets } from "./subnets.ts";
import { Ec2Tags } from "./tagging.ts";
import { VpcEndpoints } from "./vpc-endpoints.ts";
import { Vpcs } from "./vpcs.ts";
import { ZONE_LETTERS } from "./zones.ts";

export type { EniOwner, NetworkInterfaceRequest } from "./network-interfaces.ts";

export interface Ec2Deps {
  readonly store: Store;
  readonly clock: Clock;
  readonly ids: IdGen;
  /** The EC2 instance ids that exist in a scope (the container instances): AttachNetworkInterface's targets. */
  readonly instanceIds?: (scope: Scope) => readonly string[];
  /** Says, in Slipway's log, a setting that is stored but not applied. */
  readonly warn?: (msg: string) => void;
}

export const DEFAULT_VPC_CIDR = "172.31.0.0/16";
const DEFAULT_SUBNET_CIDRS = ["172.31.0.0/20", "172.31.16.0/20", "172.31.32.0/20"] as const;

export class Ec2 {
  readonly deps: Ec2Deps;
  readonly repo: Ec2Repo;
  readonly tags: Ec2Tags;
  readonly vpcs: Vpcs;
  readonly subnets: Subnets;
  readonly gateways: InternetGateways;
  readonly routeTables: RouteTables;
  readonly groups: SecurityGroups;
  readonly enis: NetworkInterfaces;
  readonly addresses: Addresses;
  readonly natGateways: NatGateways;
  readonly prefixLists: PrefixLists;
  readonly endpoints: VpcEndpoints;
  readonly networkAcls: NetworkAcls;

  constructor(deps: Ec2Deps) {
    this.deps = deps;
    this.repo = new Ec2Repo(deps.store);
    this.tags = new Ec2Tags(deps.store, this.repo);
    const ctx: Ec2Context = {
      store: deps.store,
      repo: this.repo,
      tags: this.tags,
      newId: (prefix) => this.newId(prefix),
      ensureDefaults: (scope) => this.ensureDefaults(scope),
    };
    const clock = deps.clock;
    this.networkAcls = new NetworkAcls(ctx);
    this.prefixLists = new PrefixLists(ctx, (scope, id) => this.prefixListUsers(scope, id));
    this.natGateways = new NatGateways(ctx, {
      clock,
      eni: (scope, req) => this.enis.ensure(scope, req),
      releaseEni: (scope, owner) => void this.enis.release(scope, owner),
      hasInternetGateway: (scope, vpcId) => this.gateways.attachedTo(scope, vpcId).length > 0,
      address: (scope, allocationId) => {
        const rec = this.repo.get<{ PublicIp?: string; AssociationId?: string }>(scope, allocationId);
        return rec?.type === "elastic-ip" ? { publicIp: rec.doc.PublicIp!, associated: Boolean(rec.doc.AssociationId) } : undefined;
      },
      associate: (scope, allocationId, eniId) => this.addresses.associateForNat(scope, allocationId, this.enis.require(scope, eniId).doc),
    });
    this.endpoints = new VpcEndpoints(ctx, {
      clock,
      eni: (scope, req) => this.enis.ensure(scope, req),
      releaseEni: (scope, owner, keep) => void this.enis.release(scope, owner, keep),
      dnsAttributes: (scope, vpcId) => {
        const s = this.vpcs.require(scope, vpcId).state;
        return { support: s.enableDnsSupport, hostnames: s.enableDnsHostnames };
      },
      defaultSecurityGroupId: (scope, vpcId) => this.defaultSecurityGroup(scope, vpcId).GroupId!,
      addRoute: (scope, rt, vpcId, pl, ep) => this.routeTables.addEndpointRoute(scope, rt, vpcId, pl, ep),
      removeRoute: (scope, rt, pl, ep) => this.routeTables.removeEndpointRoute(scope, rt, pl, ep),
      suffix: () => deps.ids.hex(4),
      warn: (msg) => deps.warn?.(msg),
    });
    this.routeTables = new RouteTables(ctx, {
      natGatewayState: (scope, id) => {
        const s = this.natGateways.state(scope, id);
        if (!s) return undefined;
        return s.state === "available" ? "usable" : "unusable";
      },
      internetGatewayVpc: (scope, id) => {
        const rec = this.repo.get(scope, id);
        return rec?.type === "internet-gateway" ? rec.vpcId : null;
      },
      vpcEndpoint: (scope, id) => {
        const ep = this.repo.get<{ VpcEndpointType?: string }, { deletedAt?: number }>(scope, id);
        return ep?.type === "vpc-endpoint" && ep.state.deletedAt === undefined ? { vpcId: ep.vpcId!, type: ep.doc.VpcEndpointType ?? "Gateway" } : undefined;
      },
      prefixListExists: (scope, id) => this.prefixLists.exists(scope, id),
      routeTableDeleted: (scope, id) => this.endpoints.dropRouteTable(scope, id),
    });
    this.gateways = new InternetGateways(ctx, (scope, vpcId) => this.mappedPublicAddresses(scope, vpcId));
    this.groups = new SecurityGroups(ctx, {
      inUse: (scope, groupId) => this.securityGroupInUse(scope, groupId),
      prefixListExists: (scope, id) => this.prefixLists.exists(scope, id),
      defaultVpcId: (scope) => this.defaultVpcId(scope),
    });
    this.vpcs = new Vpcs(ctx, {
      mainRouteTable: (scope, vpcId, cidrBlock) => void this.routeTables.insert(scope, vpcId, cidrBlock, true),
      defaultSecurityGroup: (scope, vpcId) => void this.groups.insertDefault(scope, vpcId),
      defaultNetworkAcl: (scope, vpcId) => void this.networkAcls.ensureDefault(scope, vpcId),
      localRoute: (scope, vpcId, cidr, present) => this.routeTables.setLocalRoute(scope, vpcId, cidr, present),
      endpoints: (scope, vpcId) => this.endpoints.ofVpc(scope, vpcId).map((x) => x.VpcEndpointId!),
      dropped: (scope, vpcId) => this.networkAcls.dropVpc(scope, vpcId),
    });
    this.subnets = new Subnets(ctx, {
      created: (scope, vpcId, subnetId) => this.networkAcls.associate(scope, vpcId, subnetId),
      deleted: (scope, subnetId) => {
        this.routeTables.dropSubnetAssociations(scope, subnetId);
        this.networkAcls.dropSubnet(scope, subnetId);
      },
      usedAddresses: (scope, subnetId) => this.enis.usedAddresses(scope, subnetId).size,
      natGateways: (scope, subnetId) => this.natGateways.liveInSubnet(scope, subnetId),
      defaultVpcId: (scope) => this.defaultVpcId(scope),
    });
    this.enis = new NetworkInterfaces(ctx, {
      clock,
      ids: deps.ids,
      defaultSecurityGroupId: (scope, vpcId) => this.defaultSecurityGroup(scope, vpcId).GroupId!,
      allocatePublicIp: (scope) => this.addresses.allocatePublicIp(scope),
      instanceIds: (scope) => deps.instanceIds?.(scope) ?? [],
      releaseAssociation: (scope, eni) => {
        for (const a of eni.PrivateIpAddresses ?? []) {
          if (a.Association?.AllocationId) this.addresses.disassociateByAllocation(scope, a.Association.AllocationId);
        }
      },
    });
    this.addresses = new Addresses(ctx, {
      setAssociation: (scope, eniId, association, privateIp) => this.enis.setAssociation(scope, eniId, association, privateIp),
      enis: (scope) => this.enis.all(scope),
      natGatewayUsing: (scope, allocationId) => this.natGateways.usingAllocation(scope, allocationId),
    });
  }

  /** `vpc-` + 17 hex digits (AWS's long ids). */
  newId(prefix: string): string {
    return `${prefix}-${this.deps.ids.hex(9).slice(0, 17)}`;
  }

  /** The scope's default VPC and DHCP options, made on first use (idempotent, one transaction). */
  ensureDefaults(scope: Scope): ScopeDefaults {
    const known = this.repo.getDefaults(scope);
    if (known) return known;
    return this.deps.store.tx(() => {
      const again = this.repo.getDefaults(scope);
      if (again) return again;
      const dhcpOptionsId = this.newId("dopt");
      this.repo.put(scope, {
        id: dhcpOptionsId,
        type: "dhcp-options",
        vpcId: undefined,
        doc: {
          DhcpOptionsId: dhcpOptionsId,
          OwnerId: scope.accountId,
          DhcpConfigurations: [
            { Key: "domain-name", Values: [{ Value: scope.region === "us-east-1" ? "ec2.internal" : `${scope.region}.compute.internal` }] },
            { Key: "domain-name-servers", Values: [{ Value: "AmazonProvidedDNS" }] },
          ],
        },
      });
      const vpcId = this.#makeDefaultVpc(scope, dhcpOptionsId);
      const d = { vpcId, dhcpOptionsId };
      this.repo.putDefaults(scope, d);
      return d;
    });
  }

  /** The default VPC with its subnets, internet gateway and default route (inside the caller's tx). */
  #makeDefaultVpc(scope: Scope, dhcpOptionsId: string): string {
    const vpc = this.vpcs.insert(scope, DEFAULT_VPC_CIDR, { isDefault: true, dhcpOptionsId });
    const vpcId = vpc.VpcId!;
    ZONE_LETTERS.forEach((letter, i) => {
      this.subnets.insert(scope, vpcId, DEFAULT_SUBNET_CIDRS[i]!, `${scope.region}${letter}`, true);
    });
    const igw = this.gateways.insert(scope);
    this.repo.put(scope, {
      id: igw.InternetGatewayId!,
      type: "internet-gateway",
      vpcId,
      doc: { ...igw, Attachments: [{ State: "available", VpcId: vpcId }] },
    });
    const main = this.routeTables.ofVpc(scope, vpcId)[0]!;
    this.routeTables.addRoute(scope, main.RouteTableId!, {
      DestinationCidrBlock: "0.0.0.0/0",
      GatewayId: igw.InternetGatewayId,
      Origin: "CreateRoute",
      State: "active",
    });
    return vpcId;
  }

  /** The default VPC's id, or undefined once it was deleted. */
  defaultVpcId(scope: Scope): string | undefined {
    const { vpcId } = this.ensureDefaults(scope);
    return this.repo.get(scope, vpcId)?.type === "vpc" ? vpcId : undefined;
  }

  /** CreateDefaultVpc: only when the scope has none (https://docs.aws.amazon.com/vpc/latest/userguide/work-with-default-vpc.html). */
  createDefaultVpc(scope: Scope): CreateDefaultVpcResult {
    return this.deps.store.tx(() => {
      const d = this.ensureDefaults(scope);
      if (this.defaultVpcId(scope)) throw ec2Error("DefaultVpcAlreadyExists", "A Default VPC already exists for this account in this region.");
      const vpcId = this.#makeDefaultVpc(scope, d.dhcpOptionsId);
      this.repo.putDefaults(scope, { vpcId, dhcpOptionsId: d.dhcpOptionsId });
      return { Vpc: this.vpcs.present(scope, this.repo.get<Vpc>(scope, vpcId)!.doc) };
    });
  }

  // ---- hooks for ECS, ELBv2 and the VPC data plane ---------------------------------------

  /** The scope's default VPC (made on first use); throws once it was deleted. */
  defaultVpc(scope: Scope): Vpc {
    const vpcId = this.defaultVpcId(scope);
    if (!vpcId) throw ec2Error("DefaultVpcDoesNotExist", "No default VPC exists for this account in this region.");
    return this.vpcs.present(scope, this.repo.get<Vpc>(scope, vpcId)!.doc);
  }

  /** The default VPC's default subnets, one per zone. */
  defaultSubnets(scope: Scope): Subnet[] {
    const vpcId = this.defaultVpcId(scope);
    if (!vpcId) return [];
    return this.repo.list<Subnet>(scope, "subnet", vpcId).filter((s) => s.doc.DefaultForAz).map((s) => this.subnets.present(scope, s.doc));
  }

  /** A subnet by id, or undefined (callers raise their own service's error). */
  subnet(scope: Scope, id: string): Subnet | undefined {
    this.ensureDefaults(scope);
    const rec = this.repo.get<Subnet>(scope, id);
    return rec?.type === "subnet" ? this.subnets.present(scope, rec.doc) : undefined;
  }

  vpc(scope: Scope, id: string): Vpc | undefined {
    this.ensureDefaults(scope);
    const rec = this.repo.get<Vpc>(scope, id);
    return rec?.type === "vpc" ? this.vpcs.present(scope, rec.doc) : undefined;
  }

  /** A security group by id, or undefined. */
  securityGroup(scope: Scope, id: string): SecurityGroup | undefined {
    this.ensureDefaults(scope);
    const rec = this.repo.get(scope, id);
    return rec?.type === "security-group" ? this.groups.present(scope, this.groups.require(scope, id)) : undefined;
  }

  /** The `default` group of a VPC (the default VPC when none is given). */
  defaultSecurityGroup(scope: Scope, vpcId?: string): SecurityGroup {
    const vid = vpcId ?? this.defaultVpcId(scope);
    const rec = vid ? this.repo.list<SecurityGroup>(scope, "security-group", vid).find((g) => g.doc.GroupName === "default") : undefined;
    if (!rec) throw new Error(`VPC ${vid ?? "(no default VPC)"} has no default security group`);
    return this.groups.present(scope, this.groups.require(scope, rec.id));
  }

  /** True when a network interface uses the group (DeleteSecurityGroup → DependencyViolation). */
  securityGroupInUse(scope: Scope, groupId: string): boolean {
    return this.enis.all(scope).some((n) => n.Groups?.some((g) => g.GroupId === groupId));
  }

  /** Security groups and route tables that name a prefix list. */
  prefixListUsers(scope: Scope, prefixListId: string): { resourceId: string }[] {
    const groups = this.repo
      .list<SgDoc, SgState>(scope, "security-group")
      .filter((g) => g.state.rules.some((r) => r.prefixListId === prefixListId))
      .map((g) => ({ resourceId: g.id }));
    const tables = this.routeTables
      .ofVpcAll(scope)
      .filter((t) => t.Routes?.some((r) => r.DestinationPrefixListId === prefixListId))
      .map((t) => ({ resourceId: t.RouteTableId! }));
    return [...groups, ...tables];
  }

  /** Whether public addresses are mapped in a VPC (DetachInternetGateway refuses then). */
  mappedPublicAddresses(scope: Scope, vpcId: string): boolean {
    return this.enis.all(scope).some((n) => n.VpcId === vpcId && (n.PrivateIpAddresses ?? []).some((a) => a.Association?.PublicIp));
  }

  /**
   * The ENI of `owner` in `subnetId`, made if missing (idempotent; groups are updated in place).
   * Errors are EC2's (InvalidSubnetID.NotFound, InvalidGroup.NotFound, InvalidParameterValue,
   * InsufficientFreeAddressesInSubnet).
   */
  networkInterfaceFor(scope: Scope, req: NetworkInterfaceRequest): NetworkInterface {
    return this.enis.ensure(scope, req);
  }

  /**
   * Deletes every ENI of `owner` (a stopped task, a deleted load balancer) except those in
   * `keepSubnetIds` (a load balancer's remaining subnets); returns their ids. Idempotent.
   */
  releaseNetworkInterfaces(scope: Scope, owner: EniOwner, keepSubnetIds?: readonly string[]): string[] {
    return this.enis.release(scope, owner, keepSubnetIds);
  }

  /** The interfaces of an owner (a load balancer's nodes: their addresses are its sources). */
  networkInterfacesOf(scope: Scope, owner: EniOwner): NetworkInterface[] {
    return this.enis.of(scope, owner);
  }

  /**
   * The VPC of an existing subnet or security group, else undefined. Unlike the lookups above it
   * never makes the scope's defaults: a scope without them has no resources to find.
   */
  vpcOf(scope: Scope, type: "subnet" | "security-group", id: string): string | undefined {
    const rec = this.repo.get(scope, id);
    return rec?.type === type ? rec.vpcId : undefined;
  }

  /** The availability zone of an existing subnet (no defaults made). */
  zoneOf(scope: Scope, subnetId: string): string | undefined {
    const rec = this.repo.get<Subnet>(scope, subnetId);
    return rec?.type === "subnet" ? rec.doc.AvailabilityZone : undefined;
  }

  /** Free addresses left in a subnet (no defaults made); undefined for an unknown subnet. */
  freeAddresses(scope: Scope, subnetId: string): number | undefined {
    const rec = this.repo.get<Subnet>(scope, subnetId);
    return rec?.type === "subnet" ? this.subnets.present(scope, rec.doc).AvailableIpAddressCount : undefined;
  }

  /** The attachment ids of every awsvpc task's ENI, in every scope (the task orphan sweep). */
  taskAttachments(): { scope: Scope; attachmentId: string }[] {
    return this.repo.listEverywhere<NetworkInterface>("network-interface").flatMap(({ scope, record }) => {
      const m = /^arn:aws:ecs:[^:]*:[^:]*:attachment\/(.+)$/.exec(record.doc.Description ?? "");
      return m ? [{ scope, attachmentId: m[1]! }] : [];
    });
  }

  /** The whole VPC networking state, every scope, resolved (src/vpc reads only this). */
  view(): NetworkView {
    return buildNetworkView(this);
  }
}
