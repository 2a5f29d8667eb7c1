/**
 * Subnets: Create/Describe/Delete, ModifySubnetAttribute, CreateDefaultSubnet. A subnet lies in
 * one of its VPC's CIDR blocks; AvailableIpAddressCount is computed (size − 5 reserved − the
 * addresses its interfaces hold).
 */
import type { CreateDefaultSubnetRequest, CreateSubnetRequest, DescribeSubnetsRequest, ModifySubnetAttributeRequest, Subnet, Vpc } from "@aws-sdk/client-ec2";
import { arn, type Scope } from "../../core/arn.ts";
import { contains, formatCidr, overlaps, parseCidr, size, tryParseCidr } from "./cidr.ts";
import type { Ec2Context } from "./context.ts";
import { dependencyViolation, ec2Error, missingParameter, notImplemented } from "./errors.ts";
import { applyFilters } from "./filters.ts";
import type { Ec2Record } from "./repo.ts";
import { requireResource } from "./resources.ts";
import { withTags } from "./tagging.ts";
import { vpcCidrs } from "./vpcs.ts";
import { requireZone } from "./zones.ts";

/** What subnets need from the other modules. */
export interface SubnetParts {
  /** A new subnet joins its VPC's default network ACL. */
  created(scope: Scope, vpcId: string, subnetId: string): void;
  /** The subnet is being deleted: its route-table and ACL associations go. */
  deleted(scope: Scope, subnetId: string): void;
  /** Addresses held in the subnet by interfaces. */
  usedAddresses(scope: Scope, subnetId: string): number;
  /** Live NAT gateways in the subnet (they block its deletion). */
  natGateways(scope: Scope, subnetId: string): string[];
  /** The default VPC, or undefined once it was deleted. */
  defaultVpcId(scope: Scope): string | undefined;
}

export class Subnets {
  readonly #e: Ec2Context;
  readonly #parts: SubnetParts;
  constructor(ctx: Ec2Context, parts: SubnetParts) {
    this.#e = ctx;
    this.#parts = parts;
  }

  require(scope: Scope, id: string | undefined): Ec2Record<Subnet> {
    return requireResource<Subnet>(this.#e.repo, scope, "subnet", id);
  }

  insert(scope: Scope, vpcId: string, cidrBlock: string, zoneName: string, defaultForAz: boolean): Subnet {
    const e = this.#e;
    const zone = requireZone(scope.region, zoneName, undefined);
    const id = e.newId("subnet");
    const subnet: Subnet = {
      AvailabilityZoneId: zone.ZoneId,
      MapCustomerOwnedIpOnLaunch: false,
      OwnerId: scope.accountId,
      AssignIpv6AddressOnCreation: false,
      Ipv6CidrBlockAssociationSet: [],
      SubnetArn: arn("ec2", scope, `subnet/${id}`),
      EnableDns64: false,
      Ipv6Native: false,
      PrivateDnsNameOptionsOnLaunch: { HostnameType: "ip-name", EnableResourceNameDnsARecord: false, EnableResourceNameDnsAAAARecord: false },
      BlockPublicAccessStates: { InternetGatewayBlockMode: "off" },
      SubnetId: id,
      State: "available",
      VpcId: vpcId,
      CidrBlock: cidrBlock,
      AvailableIpAddressCount: 0,
      AvailabilityZone: zone.ZoneName,
      DefaultForAz: defaultForAz,
      MapPublicIpOnLaunch: defaultForAz,
    };
    e.repo.put(scope, { id, type: "subnet", vpcId, doc: subnet });
    this.#parts.created(scope, vpcId, id);
    return subnet;
  }

  create(scope: Scope, input: CreateSubnetRequest): Subnet {
    const e = this.#e;
    if (input.Ipv6CidrBlock || input.Ipv6Native || input.Ipv6IpamPoolId) throw notImplemented("IPv6 subnets", "IPv6 is out of scope");
    if (input.Ipv4IpamPoolId) throw notImplemented("IPAM pools");
    if (!input.VpcId) throw missingParameter("VpcId");
    if (!input.CidrBlock) throw missingParameter("CidrBlock");
    const cidr = parseCidr(input.CidrBlock);
    return e.store.tx(() => {
      e.ensureDefaults(scope);
      const vpc = requireResource<Vpc>(e.repo, scope, "vpc", input.VpcId);
      const inside = vpcCidrs(vpc.doc).some((c) => contains(parseCidr(c), cidr));
      if (!inside || cidr.prefix > 28 || cidr.prefix < 16) throw ec2Error("InvalidSubnet.Range", `The CIDR '${input.CidrBlock}' is invalid.`);
      for (const other of e.repo.list<Subnet>(scope, "subnet", vpc.id)) {
        const oc = tryParseCidr(other.doc.CidrBlock!);
        if (oc && overlaps(oc, cidr)) throw ec2Error("InvalidSubnet.Conflict", `The CIDR '${input.CidrBlock}' conflicts with another subnet`);
      }
      const zone = input.AvailabilityZone || input.AvailabilityZoneId
        ? requireZone(scope.region, input.AvailabilityZone, input.AvailabilityZoneId)
        : requireZone(scope.region, `${scope.region}a`, undefined);
      const subnet = this.insert(scope, vpc.id, formatCidr(cidr), zone.ZoneName!, false);
      e.tags.applySpecs(scope, subnet.SubnetId!, "subnet", input.TagSpecifications);
      return this.present(scope, subnet);
    });
  }

  present(scope: Scope, subnet: Subnet): Subnet {
    const used = this.#parts.usedAddresses(scope, subnet.SubnetId!);
    const cidr = tryParseCidr(subnet.CidrBlock!);
    const available = cidr ? Math.max(0, size(cidr) - 5 - used) : 0;
    return withTags({ ...subnet, AvailableIpAddressCount: available }, this.#e.tags.of(scope, subnet.SubnetId!));
  }

  describe(scope: Scope, input: DescribeSubnetsRequest): Subnet[] {
    const e = this.#e;
    e.ensureDefaults(scope);
    for (const id of input.SubnetIds ?? []) this.require(scope, id);
    let all = e.repo.list<Subnet>(scope, "subnet").map((r) => r.doc);
    if (input.SubnetIds?.length) all = all.filter((s) => input.SubnetIds!.includes(s.SubnetId!));
    return applyFilters(
      all,
      input.Filters,
      {
        "subnet-id": (s) => s.SubnetId,
        "vpc-id": (s) => s.VpcId,
        "availability-zone": (s) => s.AvailabilityZone,
        "availabilityZone": (s) => s.AvailabilityZone,
        "availability-zone-id": (s) => s.AvailabilityZoneId,
        "availabilityZoneId": (s) => s.AvailabilityZoneId,
        "cidr": (s) => s.CidrBlock,
        "cidr-block": (s) => s.CidrBlock,
        "cidrBlock": (s) => s.CidrBlock,
        "default-for-az": (s) => s.DefaultForAz,
        "defaultForAz": (s) => s.DefaultForAz,
        "map-public-ip-on-launch": (s) => s.MapPublicIpOnLaunch,
        "owner-id": (s) => s.OwnerId,
        "state": (s) => s.State,
        "subnet-arn": (s) => s.SubnetArn,
      },
      (s) => e.tags.of(scope, s.SubnetId!),
    ).map((s) => this.present(scope, s));
  }

  delete(scope: Scope, id: string | undefined): void {
    const e = this.#e;
    e.store.tx(() => {
      const subnet = this.require(scope, id);
      const inUse = e.repo.list(scope, "network-interface").some((r) => (r.doc as { SubnetId?: string }).SubnetId === subnet.id);
      if (inUse || this.#parts.natGateways(scope, subnet.id).length) {
        throw dependencyViolation(`The subnet '${subnet.id}' has dependencies and cannot be deleted.`);
      }
      this.#parts.deleted(scope, subnet.id);
      e.repo.delete(scope, subnet.id);
      e.tags.dropAll(scope, subnet.id);
    });
  }

  /**
   * CreateDefaultSubnet: a /20 of the default VPC in a zone that has no default subnet
   * (https://docs.aws.amazon.com/vpc/latest/userguide/work-with-default-vpc.html).
   */
  createDefault(scope: Scope, input: CreateDefaultSubnetRequest): Subnet {
    const e = this.#e;
    if (input.Ipv6Native) throw notImplemented("IPv6 subnets", "IPv6 is out of scope");
    return e.store.tx(() => {
      e.ensureDefaults(scope);
      const vpcId = this.#parts.defaultVpcId(scope);
      if (!vpcId) throw ec2Error("DefaultVpcDoesNotExist", "No default VPC exists for this account in this region.");
      const zone = requireZone(scope.region, input.AvailabilityZone, input.AvailabilityZoneId);
      const subnets = e.repo.list<Subnet>(scope, "subnet", vpcId).map((r) => r.doc);
      const taken = subnets.find((s) => s.DefaultForAz && s.AvailabilityZone === zone.ZoneName);
      if (taken) {
        throw ec2Error("DefaultSubnetAlreadyExistsInAvailabilityZone", `'${taken.SubnetId}' is already the default subnet in ${zone.ZoneName}.`);
      }
      const vpc = requireResource<Vpc>(e.repo, scope, "vpc", vpcId).doc;
      const block = parseCidr(vpc.CidrBlock!);
      for (let i = 0; i < size(block) / 4096; i++) {
        const candidate = { base: block.base + i * 4096, prefix: 20 };
        if (subnets.some((s) => overlaps(parseCidr(s.CidrBlock!), candidate))) continue;
        const subnet = this.insert(scope, vpcId, formatCidr(candidate), zone.ZoneName!, true);
        return this.present(scope, subnet);
      }
      throw ec2Error("InsufficientFreeAddressesInSubnet", `The default VPC ${vpcId} has no free /20 left for a default subnet.`);
    });
  }

  modifyAttribute(scope: Scope, input: ModifySubnetAttributeRequest): void {
    const e = this.#e;
    e.store.tx(() => {
      e.ensureDefaults(scope);
      const rec = this.require(scope, input.SubnetId);
      const doc: Subnet = { ...rec.doc };
      if (input.MapPublicIpOnLaunch) doc.MapPublicIpOnLaunch = input.MapPublicIpOnLaunch.Value ?? false;
      if (input.AssignIpv6AddressOnCreation) doc.AssignIpv6AddressOnCreation = input.AssignIpv6AddressOnCreation.Value ?? false;
      if (input.EnableDns64) doc.EnableDns64 = input.EnableDns64.Value ?? false;
      if (input.MapCustomerOwnedIpOnLaunch) doc.MapCustomerOwnedIpOnLaunch = input.MapCustomerOwnedIpOnLaunch.Value ?? false;
      if (input.EnableResourceNameDnsARecordOnLaunch) {
        doc.PrivateDnsNameOptionsOnLaunch = { ...doc.PrivateDnsNameOptionsOnLaunch, EnableResourceNameDnsARecord: input.EnableResourceNameDnsARecordOnLaunch.Value ?? false };
      }
      if (input.EnableResourceNameDnsAAAARecordOnLaunch) {
        doc.PrivateDnsNameOptionsOnLaunch = { ...doc.PrivateDnsNameOptionsOnLaunch, EnableResourceNameDnsAAAARecord: input.EnableResourceNameDnsAAAARecordOnLaunch.Value ?? false };
      }
      if (input.PrivateDnsHostnameTypeOnLaunch) {
        doc.PrivateDnsNameOptionsOnLaunch = { ...doc.PrivateDnsNameOptionsOnLaunch, HostnameType: input.PrivateDnsHostnameTypeOnLaunch };
      }
      e.repo.put(scope, { id: rec.id, type: "subnet", vpcId: rec.vpcId, doc, state: rec.state });
    });
  }
}
