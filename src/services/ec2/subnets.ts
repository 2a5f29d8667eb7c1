/** Subnets: Create/Describe/Delete, ModifySubnetAttribute. AvailableIpAddressCount is computed (size − 5 − ENIs). */
import type { CreateSubnetRequest, DescribeSubnetsRequest, ModifySubnetAttributeRequest, Subnet, Vpc } from "@aws-sdk/client-ec2";
import { arn, type Scope } from "../../core/arn.ts";
import { contains, formatCidr, overlaps, parseCidr, size, tryParseCidr } from "./cidr.ts";
import type { Ec2Context } from "./context.ts";
import { dependencyViolation, ec2Error, missingParameter } from "./errors.ts";
import { applyFilters } from "./filters.ts";
import type { Ec2Record } from "./repo.ts";
import { requireResource } from "./resources.ts";
import { withTags } from "./tagging.ts";
import { requireZone } from "./zones.ts";

export class Subnets {
  readonly #e: Ec2Context;
  /** Drops the subnet's route-table associations (it is being deleted). */
  readonly #dropAssociations: (scope: Scope, subnetId: string) => void;
  constructor(ctx: Ec2Context, dropAssociations: (scope: Scope, subnetId: string) => void) {
    this.#e = ctx;
    this.#dropAssociations = dropAssociations;
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
    return subnet;
  }

  create(scope: Scope, input: CreateSubnetRequest): Subnet {
    const e = this.#e;
    if (!input.CidrBlock) throw missingParameter("cidrBlock");
    const cidr = parseCidr(input.CidrBlock);
    return e.store.tx(() => {
      e.ensureDefaults(scope);
      const vpc = requireResource<Vpc>(e.repo, scope, "vpc", input.VpcId);
      const vpcCidr = parseCidr(vpc.doc.CidrBlock!);
      if (!contains(vpcCidr, cidr) || cidr.prefix > 28) throw ec2Error("InvalidSubnet.Range", `The CIDR '${input.CidrBlock}' is invalid.`);
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
    const used = this.#e.repo.list(scope, "network-interface").filter((r) => (r.doc as { SubnetId?: string }).SubnetId === subnet.SubnetId).length;
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
      if (inUse) throw dependencyViolation(`The subnet '${subnet.id}' has dependencies and cannot be deleted.`);
      this.#dropAssociations(scope, subnet.id);
      e.repo.delete(scope, subnet.id);
      e.tags.dropAll(scope, subnet.id);
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
      if (input.PrivateDnsHostnameTypeOnLaunch) {
        doc.PrivateDnsNameOptionsOnLaunch = { ...doc.PrivateDnsNameOptionsOnLaunch, HostnameType: input.PrivateDnsHostnameTypeOnLaunch };
      }
      e.repo.put(scope, { id: rec.id, type: "subnet", vpcId: rec.vpcId, doc });
    });
  }
}
