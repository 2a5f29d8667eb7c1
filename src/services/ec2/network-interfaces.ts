/**
 * Network interfaces. Two kinds:
 *  - requester-managed ENIs that other services make and remove through the hooks (awsvpc tasks,
 *    load balancer nodes; NAT gateways and interface endpoints through their own modules), listed
 *    with the fields Terraform filters on (description, attachment.instance-owner-id, group-id);
 *  - ENIs users make with CreateNetworkInterface, attach to one of the container instances'
 *    EC2 instance ids, detach, modify and delete.
 *
 * Every private address comes from the subnet's CIDR, never from Docker: the first four
 * addresses and the last are reserved (https://docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html),
 * and new addresses are taken round-robin from the last one handed out, so an address released by
 * a stopped task is not reused at once (stale connection tracking, stale load-balancer targets).
 */
import type {
  AttachNetworkInterfaceRequest,
  AttachNetworkInterfaceResult,
  CreateNetworkInterfaceRequest,
  DescribeNetworkInterfacesRequest,
  DetachNetworkInterfaceRequest,
  ModifyNetworkInterfaceAttributeRequest,
  NetworkInterface,
  NetworkInterfaceAssociation,
  SecurityGroup,
  Subnet,
} from "@aws-sdk/client-ec2";
import type { Scope } from "../../core/arn.ts";
import type { Clock } from "../../core/clock.ts";
import type { IdGen } from "../../core/ids.ts";
import { formatIp, parseIp, size, tryParseCidr } from "./cidr.ts";
import type { Ec2Context } from "./context.ts";
import { ec2Error, invalidParameterValue, missingParameter, notFound, notImplemented, operationNotPermitted } from "./errors.ts";
import { applyFilters } from "./filters.ts";
import type { Ec2Record } from "./repo.ts";
import { requireResource } from "./resources.ts";
import { withTags } from "./tagging.ts";

/** Who an ENI belongs to. The owner decides its description and requester fields, as on AWS. */
export type EniOwner =
  /** An ALB/NLB node: description `ELB app/NAME/ID`, requester and instance owner `amazon-elb`. */
  | { readonly kind: "elb"; readonly loadBalancerName: string; readonly loadBalancerId: string; readonly lbType?: "app" | "net" }
  /** An awsvpc task: description `arn:aws:ecs:REGION:ACCOUNT:attachment/UUID`, instance owner `amazon-aws`. */
  | { readonly kind: "ecs-task"; readonly attachmentId: string }
  /** A NAT gateway's interface (InterfaceType natGateway). */
  | { readonly kind: "nat"; readonly natGatewayId: string }
  /** An interface VPC endpoint's interface in one subnet (InterfaceType vpc_endpoint). */
  | { readonly kind: "vpce"; readonly vpcEndpointId: string };

export interface NetworkInterfaceRequest {
  readonly owner: EniOwner;
  readonly subnetId: string;
  /** Empty or absent: the VPC's default security group. */
  readonly securityGroupIds?: readonly string[];
  /** A public IPv4 address from Amazon's pool (ECS `assignPublicIp: ENABLED`). */
  readonly publicIp?: boolean;
}

/** The account AWS's Fargate ENIs name as requester. */
const ECS_REQUESTER_ID = "578734482556";

export function ownerDescription(scope: Scope, owner: EniOwner): string {
  switch (owner.kind) {
    case "elb":
      return `ELB ${owner.lbType ?? "app"}/${owner.loadBalancerName}/${owner.loadBalancerId}`;
    case "ecs-task":
      return `arn:aws:ecs:${scope.region}:${scope.accountId}:attachment/${owner.attachmentId}`;
    case "nat":
      return `Interface for NAT Gateway ${owner.natGatewayId}`;
    case "vpce":
      return `VPC Endpoint Interface ${owner.vpcEndpointId}`;
  }
}

/** The EC2 private DNS name of an address (us-east-1 names differ from other regions'). */
export function privateDnsName(region: string, ip: string): string {
  const host = `ip-${ip.replace(/\./g, "-")}`;
  return region === "us-east-1" ? `${host}.ec2.internal` : `${host}.${region}.compute.internal`;
}

/** The EC2 public DNS name of an address. */
export function publicDnsName(region: string, ip: string): string {
  const host = `ec2-${ip.replace(/\./g, "-")}`;
  return region === "us-east-1" ? `${host}.compute-1.amazonaws.com` : `${host}.${region}.compute.amazonaws.com`;
}

/** What ENIs need besides the EC2 context. */
export interface NetworkInterfaceDeps {
  readonly clock: Clock;
  readonly ids: IdGen;
  /** The id of the VPC's `default` security group (an ENI given no groups gets it). */
  defaultSecurityGroupId(scope: Scope, vpcId: string): string;
  /** A free public address from Amazon's pool (task public IPs, Elastic IPs). */
  allocatePublicIp(scope: Scope): string;
  /** The EC2 instance ids that exist (the container instances): AttachNetworkInterface's targets. */
  instanceIds(scope: Scope): readonly string[];
  /** Disassociates the Elastic IP associated with an ENI being deleted (AWS does this too). */
  releaseAssociation(scope: Scope, eni: NetworkInterface): void;
}

/** Subnet bookkeeping kept in the subnet record's private state. */
interface SubnetState {
  /** Offset (from the base address) of the last address handed out. */
  lastOffset?: number;
}

export class NetworkInterfaces {
  readonly #e: Ec2Context;
  readonly #deps: NetworkInterfaceDeps;
  constructor(ctx: Ec2Context, deps: NetworkInterfaceDeps) {
    this.#e = ctx;
    this.#deps = deps;
  }

  require(scope: Scope, id: string | undefined): Ec2Record<NetworkInterface> {
    return requireResource<NetworkInterface>(this.#e.repo, scope, "network-interface", id);
  }

  all(scope: Scope): NetworkInterface[] {
    return this.#e.repo.list<NetworkInterface>(scope, "network-interface").map((r) => r.doc);
  }

  /** The requester-managed interfaces of one owner. */
  of(scope: Scope, owner: EniOwner): NetworkInterface[] {
    const description = ownerDescription(scope, owner);
    return this.all(scope).filter((n) => n.Description === description && n.RequesterManaged);
  }

  /** Every private address held in a subnet. */
  usedAddresses(scope: Scope, subnetId: string): Set<string> {
    const used = new Set<string>();
    for (const n of this.all(scope)) {
      if (n.SubnetId !== subnetId) continue;
      for (const a of n.PrivateIpAddresses ?? []) if (a.PrivateIpAddress) used.add(a.PrivateIpAddress);
      if (n.PrivateIpAddress) used.add(n.PrivateIpAddress);
    }
    return used;
  }

  /** The groups an ENI in `subnet` gets: the given ones (each in the subnet's VPC) or the VPC's default. */
  #groups(scope: Scope, subnet: Subnet, ids: readonly string[] | undefined): { GroupId: string; GroupName: string | undefined }[] {
    const e = this.#e;
    const groupIds = ids?.length ? [...new Set(ids)] : [this.#deps.defaultSecurityGroupId(scope, subnet.VpcId!)];
    return groupIds.map((id) => {
      const g = requireResource<SecurityGroup>(e.repo, scope, "security-group", id);
      if (g.vpcId !== subnet.VpcId) {
        throw invalidParameterValue(`Security group ${id} and subnet ${subnet.SubnetId} belong to different networks.`);
      }
      return { GroupId: g.id, GroupName: g.doc.GroupName };
    });
  }

  /** The requester-managed ENI of `owner` in the subnet, made if missing (groups updated in place). */
  ensure(scope: Scope, req: NetworkInterfaceRequest): NetworkInterface {
    const e = this.#e;
    return e.store.tx(() => {
      e.ensureDefaults(scope);
      const subnet = requireResource<Subnet>(e.repo, scope, "subnet", req.subnetId).doc;
      const groups = this.#groups(scope, subnet, req.securityGroupIds);
      const description = ownerDescription(scope, req.owner);
      const existing = this.all(scope).find((n) => n.Description === description && n.SubnetId === subnet.SubnetId);
      if (existing) {
        const updated = { ...existing, Groups: groups };
        this.#save(scope, updated);
        return this.present(scope, updated);
      }
      const ip = this.allocateAddress(scope, subnet);
      const o = req.owner;
      const elb = o.kind === "elb";
      const eni: NetworkInterface = {
        ...this.#base(scope, subnet, ip, groups, description),
        Attachment: {
          AttachTime: new Date(this.#deps.clock.now()),
          AttachmentId: e.newId("eni-attach"),
          DeleteOnTermination: false,
          DeviceIndex: 1,
          NetworkCardIndex: 0,
          InstanceOwnerId: elb ? "amazon-elb" : "amazon-aws",
          Status: "attached",
        },
        InterfaceType: o.kind === "nat" ? "natGateway" : o.kind === "vpce" ? "vpc_endpoint" : "interface",
        RequesterId: elb ? "amazon-elb" : o.kind === "ecs-task" ? ECS_REQUESTER_ID : "AIDAAMAZONMANAGEDENI",
        RequesterManaged: true,
        Status: "in-use",
      };
      if (req.publicIp) {
        const publicIp = this.#deps.allocatePublicIp(scope);
        eni.Association = { IpOwnerId: "amazon", PublicDnsName: publicDnsName(scope.region, publicIp), PublicIp: publicIp };
        eni.PrivateIpAddresses = eni.PrivateIpAddresses!.map((a) => ({ ...a, Association: eni.Association }));
      }
      this.#save(scope, eni);
      return this.present(scope, eni);
    });
  }

  #base(scope: Scope, subnet: Subnet, ip: string, groups: { GroupId: string; GroupName: string | undefined }[], description: string): NetworkInterface {
    const mac = `0e:${this.#deps.ids.hex(5).match(/../g)!.join(":")}`;
    const dns = privateDnsName(scope.region, ip);
    return {
      AvailabilityZone: subnet.AvailabilityZone,
      AvailabilityZoneId: subnet.AvailabilityZoneId,
      Description: description,
      Groups: groups,
      Ipv6Addresses: [],
      MacAddress: mac,
      NetworkInterfaceId: this.#e.newId("eni"),
      OwnerId: scope.accountId,
      PrivateDnsName: dns,
      PrivateIpAddress: ip,
      PrivateIpAddresses: [{ Primary: true, PrivateDnsName: dns, PrivateIpAddress: ip }],
      SourceDestCheck: true,
      SubnetId: subnet.SubnetId,
      TagSet: [],
      VpcId: subnet.VpcId,
    };
  }

  #save(scope: Scope, eni: NetworkInterface): void {
    const { TagSet: _t, Tags: _tags, ...doc } = eni as NetworkInterface & { Tags?: unknown };
    this.#e.repo.put(scope, { id: eni.NetworkInterfaceId!, type: "network-interface", vpcId: eni.VpcId, doc });
  }

  /** Replaces an ENI's stored document (NAT gateways and Elastic IPs set the public association). */
  update(scope: Scope, eni: NetworkInterface): void {
    this.#save(scope, eni);
  }

  release(scope: Scope, owner: EniOwner, keepSubnetIds: readonly string[] = []): string[] {
    const e = this.#e;
    return e.store.tx(() => {
      const description = ownerDescription(scope, owner);
      const gone = this.all(scope).filter((n) => n.Description === description && !keepSubnetIds.includes(n.SubnetId!));
      for (const n of gone) this.#remove(scope, n);
      return gone.map((n) => n.NetworkInterfaceId!);
    });
  }

  #remove(scope: Scope, n: NetworkInterface): void {
    this.#deps.releaseAssociation(scope, n);
    this.#e.repo.delete(scope, n.NetworkInterfaceId!);
    this.#e.tags.dropAll(scope, n.NetworkInterfaceId!);
  }

  /**
   * The next free address of the subnet after the last one handed out (wrapping), or
   * InsufficientFreeAddressesInSubnet.
   */
  allocateAddress(scope: Scope, subnet: Subnet): string {
    const e = this.#e;
    const rec = requireResource<Subnet, SubnetState>(e.repo, scope, "subnet", subnet.SubnetId);
    const cidr = tryParseCidr(subnet.CidrBlock!)!;
    const used = this.usedAddresses(scope, subnet.SubnetId!);
    const first = 4;
    const last = size(cidr) - 2;
    const span = last - first + 1;
    const start = rec.state.lastOffset !== undefined ? rec.state.lastOffset + 1 : first;
    for (let i = 0; i < span; i++) {
      const offset = first + ((start - first + i + span) % span);
      const ip = formatIp(cidr.base + offset);
      if (used.has(ip)) continue;
      e.repo.put(scope, { id: rec.id, type: "subnet", vpcId: rec.vpcId, doc: rec.doc, state: { ...rec.state, lastOffset: offset } });
      return ip;
    }
    throw insufficientAddresses(subnet.SubnetId!);
  }

  /** An address the caller chose: in the subnet, not reserved, not taken. */
  #claimAddress(scope: Scope, subnet: Subnet, ip: string): string {
    const cidr = tryParseCidr(subnet.CidrBlock!)!;
    const n = parseIp(ip);
    if (n === undefined) throw invalidParameterValue(`Value (${ip}) for parameter privateIpAddress is invalid. ${ip} is not a valid IPv4 address.`);
    const offset = n - cidr.base;
    if (offset < 0 || offset >= size(cidr)) throw invalidParameterValue("Address does not fall within the subnet's address range");
    if (offset < 4 || offset === size(cidr) - 1) throw invalidParameterValue("Address is in subnet's reserved address range");
    if (this.usedAddresses(scope, subnet.SubnetId!).has(ip)) throw ec2Error("InvalidIPAddress.InUse", `The specified address ${ip} is already in use.`);
    return ip;
  }

  present(scope: Scope, eni: NetworkInterface): NetworkInterface {
    const tags = this.#e.tags.of(scope, eni.NetworkInterfaceId!);
    const withSet = { ...eni, TagSet: tags.map((t) => ({ Key: t.key, Value: t.value })) };
    return withSet;
  }

  // ---- the API -------------------------------------------------------------------------------

  create(scope: Scope, input: CreateNetworkInterfaceRequest): NetworkInterface {
    const e = this.#e;
    if (!input.SubnetId) throw missingParameter("SubnetId");
    if (input.Ipv6AddressCount || input.Ipv6Addresses?.length || input.Ipv6Prefixes?.length || input.Ipv6PrefixCount) {
      throw notImplemented("IPv6 addresses on network interfaces", "IPv6 is out of scope");
    }
    if (input.Ipv4Prefixes?.length || input.Ipv4PrefixCount) throw notImplemented("IPv4 prefix delegation (Ipv4Prefixes, Ipv4PrefixCount)");
    if (input.InterfaceType) throw notImplemented(`InterfaceType ${input.InterfaceType}`);
    return e.store.tx(() => {
      e.ensureDefaults(scope);
      const subnet = requireResource<Subnet>(e.repo, scope, "subnet", input.SubnetId).doc;
      const groups = this.#groups(scope, subnet, input.Groups);
      const primaryGiven = input.PrivateIpAddress ?? input.PrivateIpAddresses?.find((a) => a.Primary)?.PrivateIpAddress;
      const primary = primaryGiven ? this.#claimAddress(scope, subnet, primaryGiven) : this.allocateAddress(scope, subnet);
      const eni: NetworkInterface = {
        ...this.#base(scope, subnet, primary, groups, input.Description ?? ""),
        InterfaceType: "interface",
        RequesterId: undefined,
        RequesterManaged: false,
        Status: "available",
      };
      delete eni.RequesterId;
      // Save first so that the secondary addresses see the primary as taken.
      this.#save(scope, eni);
      const secondaries: string[] = [];
      for (const a of input.PrivateIpAddresses ?? []) {
        if (a.PrivateIpAddress && a.PrivateIpAddress !== primary) secondaries.push(this.#claimAddress(scope, subnet, a.PrivateIpAddress));
      }
      for (let i = 0; i < (input.SecondaryPrivateIpAddressCount ?? 0); i++) {
        this.#save(scope, this.#withSecondaries(scope, eni, secondaries));
        secondaries.push(this.allocateAddress(scope, subnet));
      }
      const done = this.#withSecondaries(scope, eni, secondaries);
      this.#save(scope, done);
      e.tags.applySpecs(scope, done.NetworkInterfaceId!, "network-interface", input.TagSpecifications);
      return this.present(scope, done);
    });
  }

  #withSecondaries(scope: Scope, eni: NetworkInterface, secondaries: readonly string[]): NetworkInterface {
    return {
      ...eni,
      PrivateIpAddresses: [
        eni.PrivateIpAddresses![0]!,
        ...secondaries.map((ip) => ({ Primary: false, PrivateDnsName: privateDnsName(scope.region, ip), PrivateIpAddress: ip })),
      ],
    };
  }

  delete(scope: Scope, id: string | undefined): void {
    const e = this.#e;
    e.store.tx(() => {
      const rec = this.require(scope, id);
      if (rec.doc.RequesterManaged || rec.doc.Attachment) {
        throw ec2Error("InvalidNetworkInterface.InUse", `The interface ${rec.id} is currently in use.`);
      }
      this.#remove(scope, rec.doc);
    });
  }

  attach(scope: Scope, input: AttachNetworkInterfaceRequest): AttachNetworkInterfaceResult {
    const e = this.#e;
    if (!input.NetworkInterfaceId) throw missingParameter("NetworkInterfaceId");
    if (!input.InstanceId) throw missingParameter("InstanceId");
    if (input.DeviceIndex === undefined) throw missingParameter("DeviceIndex");
    return e.store.tx(() => {
      const rec = this.require(scope, input.NetworkInterfaceId);
      if (!this.#deps.instanceIds(scope).includes(input.InstanceId!)) notFound("i", input.InstanceId!);
      if (rec.doc.Attachment) {
        throw ec2Error("InvalidNetworkInterface.InUse", `Interface: [${rec.id}] in use.`);
      }
      const clash = this.all(scope).find((n) => n.Attachment?.InstanceId === input.InstanceId && n.Attachment?.DeviceIndex === input.DeviceIndex);
      if (clash) throw invalidParameterValue(`Instance '${input.InstanceId}' already has an interface attached at device index '${input.DeviceIndex}'.`);
      const attachmentId = e.newId("eni-attach");
      this.#save(scope, {
        ...rec.doc,
        Status: "in-use",
        Attachment: {
          AttachTime: new Date(this.#deps.clock.now()),
          AttachmentId: attachmentId,
          DeleteOnTermination: false,
          DeviceIndex: input.DeviceIndex,
          NetworkCardIndex: input.NetworkCardIndex ?? 0,
          InstanceId: input.InstanceId,
          InstanceOwnerId: scope.accountId,
          Status: "attached",
        },
      });
      return { AttachmentId: attachmentId, NetworkCardIndex: input.NetworkCardIndex ?? 0 };
    });
  }

  detach(scope: Scope, input: DetachNetworkInterfaceRequest): void {
    const e = this.#e;
    if (!input.AttachmentId) throw missingParameter("AttachmentId");
    e.store.tx(() => {
      const eni = this.all(scope).find((n) => n.Attachment?.AttachmentId === input.AttachmentId);
      if (!eni) notFound("eni-attach", input.AttachmentId!);
      if (eni.RequesterManaged) {
        throw operationNotPermitted(`The network interface ${eni.NetworkInterfaceId} is managed by ${eni.Attachment?.InstanceOwnerId ?? "AWS"} and cannot be detached.`);
      }
      const { Attachment: _a, ...rest } = eni;
      this.#save(scope, { ...rest, Status: "available" });
    });
  }

  modifyAttribute(scope: Scope, input: ModifyNetworkInterfaceAttributeRequest): void {
    const e = this.#e;
    const given = [input.Groups?.length ? 1 : 0, input.Description ? 1 : 0, input.SourceDestCheck ? 1 : 0, input.Attachment ? 1 : 0].reduce((a, b) => a + b, 0);
    if (given === 0) throw missingParameter("Attribute");
    if (input.EnaSrdSpecification || input.EnablePrimaryIpv6 !== undefined || input.ConnectionTrackingSpecification || input.AssociatePublicIpAddress !== undefined) {
      throw notImplemented("this network interface attribute", "only Groups, Description, SourceDestCheck and Attachment.DeleteOnTermination are");
    }
    e.store.tx(() => {
      const rec = this.require(scope, input.NetworkInterfaceId);
      const subnet = requireResource<Subnet>(e.repo, scope, "subnet", rec.doc.SubnetId).doc;
      const doc: NetworkInterface = { ...rec.doc };
      if (input.Groups?.length) doc.Groups = this.#groups(scope, subnet, input.Groups);
      if (input.Description) doc.Description = input.Description.Value ?? "";
      if (input.SourceDestCheck) doc.SourceDestCheck = input.SourceDestCheck.Value ?? true;
      if (input.Attachment && doc.Attachment) {
        if (doc.Attachment.AttachmentId !== input.Attachment.AttachmentId) notFound("eni-attach", input.Attachment.AttachmentId ?? "");
        doc.Attachment = { ...doc.Attachment, DeleteOnTermination: input.Attachment.DeleteOnTermination ?? false };
      }
      this.#save(scope, doc);
    });
  }

  /** Sets (or clears) the public association an Elastic IP gives an ENI. */
  setAssociation(scope: Scope, eniId: string, association: NetworkInterfaceAssociation | undefined, privateIp?: string): void {
    const rec = this.require(scope, eniId);
    const primary = rec.doc.PrivateIpAddress;
    const target = privateIp ?? primary;
    const doc: NetworkInterface = {
      ...rec.doc,
      PrivateIpAddresses: (rec.doc.PrivateIpAddresses ?? []).map((a) => {
        if (a.PrivateIpAddress !== target) return a;
        const { Association: _x, ...rest } = a;
        return association ? { ...rest, Association: association } : rest;
      }),
    };
    if (target === primary) {
      if (association) doc.Association = association;
      else delete doc.Association;
    }
    this.#save(scope, doc);
  }

  describe(scope: Scope, input: DescribeNetworkInterfacesRequest): NetworkInterface[] {
    const e = this.#e;
    e.ensureDefaults(scope);
    for (const id of input.NetworkInterfaceIds ?? []) this.require(scope, id);
    let all = this.all(scope);
    if (input.NetworkInterfaceIds?.length) all = all.filter((n) => input.NetworkInterfaceIds!.includes(n.NetworkInterfaceId!));
    return applyFilters(
      all,
      input.Filters,
      {
        "network-interface-id": (n) => n.NetworkInterfaceId,
        "group-id": (n) => (n.Groups ?? []).map((g) => g.GroupId),
        "group-name": (n) => (n.Groups ?? []).map((g) => g.GroupName),
        "attachment.instance-owner-id": (n) => n.Attachment?.InstanceOwnerId,
        "attachment.instance-id": (n) => n.Attachment?.InstanceId,
        "attachment.attachment-id": (n) => n.Attachment?.AttachmentId,
        "attachment.status": (n) => n.Attachment?.Status,
        "attachment.device-index": (n) => n.Attachment?.DeviceIndex,
        "attachment.delete-on-termination": (n) => n.Attachment?.DeleteOnTermination,
        "association.public-ip": (n) => n.Association?.PublicIp,
        "association.allocation-id": (n) => n.Association?.AllocationId,
        "association.association-id": (n) => n.Association?.AssociationId,
        "association.ip-owner-id": (n) => n.Association?.IpOwnerId,
        description: (n) => n.Description,
        "vpc-id": (n) => n.VpcId,
        "subnet-id": (n) => n.SubnetId,
        "availability-zone": (n) => n.AvailabilityZone,
        status: (n) => n.Status,
        "interface-type": (n) => n.InterfaceType,
        "requester-id": (n) => n.RequesterId,
        "requester-managed": (n) => n.RequesterManaged,
        "private-ip-address": (n) => n.PrivateIpAddress,
        "addresses.private-ip-address": (n) => (n.PrivateIpAddresses ?? []).map((a) => a.PrivateIpAddress),
        "addresses.primary": (n) => (n.PrivateIpAddresses ?? []).map((a) => a.Primary),
        "private-dns-name": (n) => n.PrivateDnsName,
        "mac-address": (n) => n.MacAddress,
        "owner-id": (n) => n.OwnerId,
        "source-dest-check": (n) => n.SourceDestCheck,
      },
      (n) => e.tags.of(scope, n.NetworkInterfaceId!),
    ).map((n) => this.present(scope, n));
  }
}

/** No free address left in the subnet (EC2's code; ECS words it its own way for tasks). */
export function insufficientAddresses(subnetId: string) {
  return ec2Error(
    "InsufficientFreeAddressesInSubnet",
    `There are not enough free addresses in subnet '${subnetId}' to satisfy the requested number of instances.`,
  );
}
