/**
 * Network interfaces: made and removed only by Slipway itself (the hooks ECS and ELBv2 call,
 * see Ec2.networkInterfaceFor), listed by DescribeNetworkInterfaces with the fields Terraform
 * filters on: description, attachment.instance-owner-id, group-id.
 */
import type { DescribeNetworkInterfacesRequest, NetworkInterface, SecurityGroup, Subnet } from "@aws-sdk/client-ec2";
import type { Scope } from "../../core/arn.ts";
import type { Clock } from "../../core/clock.ts";
import type { IdGen } from "../../core/ids.ts";
import { formatIp, size, tryParseCidr } from "./cidr.ts";
import type { Ec2Context } from "./context.ts";
import { invalidParameterValue } from "./errors.ts";
import { applyFilters } from "./filters.ts";
import type { Ec2Record } from "./repo.ts";
import { requireResource } from "./resources.ts";
import { withTags } from "./tagging.ts";

/** Who an ENI belongs to. The owner decides its description and requester fields, as on AWS. */
export type EniOwner =
  /** An ALB/NLB node: description `ELB app/NAME/ID`, requester and instance owner `amazon-elb`. */
  | { readonly kind: "elb"; readonly loadBalancerName: string; readonly loadBalancerId: string; readonly lbType?: "app" | "net" }
  /** An awsvpc task: description `arn:aws:ecs:REGION:ACCOUNT:attachment/UUID`, instance owner `amazon-aws`. */
  | { readonly kind: "ecs-task"; readonly attachmentId: string };

export interface NetworkInterfaceRequest {
  readonly owner: EniOwner;
  readonly subnetId: string;
  /** Empty or absent: the VPC's default security group. */
  readonly securityGroupIds?: readonly string[];
}

/** The account AWS's Fargate ENIs name as requester. */
const ECS_REQUESTER_ID = "578734482556";

export function ownerDescription(scope: Scope, owner: EniOwner): string {
  return owner.kind === "elb"
    ? `ELB ${owner.lbType ?? "app"}/${owner.loadBalancerName}/${owner.loadBalancerId}`
    : `arn:aws:ecs:${scope.region}:${scope.accountId}:attachment/${owner.attachmentId}`;
}

/** What ENIs need besides the EC2 context: the attach time, MAC addresses, and a VPC's `default` group. */
export interface NetworkInterfaceDeps {
  readonly clock: Clock;
  readonly ids: IdGen;
  /** The id of the VPC's `default` security group (an ENI given no groups gets it). */
  defaultSecurityGroupId(scope: Scope, vpcId: string): string;
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

  ensure(scope: Scope, req: NetworkInterfaceRequest): NetworkInterface {
    const e = this.#e;
    return e.store.tx(() => {
      e.ensureDefaults(scope);
      const subnet = requireResource<Subnet>(e.repo, scope, "subnet", req.subnetId).doc;
      const groupIds = req.securityGroupIds?.length ? [...new Set(req.securityGroupIds)] : [this.#deps.defaultSecurityGroupId(scope, subnet.VpcId!)];
      const groups = groupIds.map((id) => {
        const g = requireResource<SecurityGroup>(e.repo, scope, "security-group", id);
        if (g.vpcId !== subnet.VpcId) {
          throw invalidParameterValue(`Security group ${id} and subnet ${subnet.SubnetId} belong to different networks.`);
        }
        return { GroupId: g.id, GroupName: g.doc.GroupName };
      });
      const description = ownerDescription(scope, req.owner);
      const existing = this.all(scope).find((n) => n.Description === description && n.SubnetId === subnet.SubnetId);
      if (existing) {
        const updated = { ...existing, Groups: groups };
        e.repo.put(scope, { id: existing.NetworkInterfaceId!, type: "network-interface", vpcId: existing.VpcId, doc: updated });
        return this.present(scope, updated);
      }
      const id = e.newId("eni");
      const ip = this.#nextIp(scope, subnet);
      const mac = `0e:${this.#deps.ids.hex(5).match(/../g)!.join(":")}`;
      const elb = req.owner.kind === "elb";
      const eni: NetworkInterface = {
        Attachment: {
          AttachTime: new Date(this.#deps.clock.now()),
          AttachmentId: e.newId("eni-attach"),
          DeleteOnTermination: false,
          DeviceIndex: 1,
          NetworkCardIndex: 0,
          InstanceOwnerId: elb ? "amazon-elb" : "amazon-aws",
          Status: "attached",
        },
        AvailabilityZone: subnet.AvailabilityZone,
        AvailabilityZoneId: subnet.AvailabilityZoneId,
        Description: description,
        Groups: groups,
        InterfaceType: "interface",
        Ipv6Addresses: [],
        MacAddress: mac,
        NetworkInterfaceId: id,
        OwnerId: scope.accountId,
        PrivateDnsName: `ip-${ip.replace(/\./g, "-")}.ec2.internal`,
        PrivateIpAddress: ip,
        PrivateIpAddresses: [{ Primary: true, PrivateDnsName: `ip-${ip.replace(/\./g, "-")}.ec2.internal`, PrivateIpAddress: ip }],
        RequesterId: elb ? "amazon-elb" : ECS_REQUESTER_ID,
        RequesterManaged: true,
        SourceDestCheck: true,
        Status: "in-use",
        SubnetId: subnet.SubnetId,
        VpcId: subnet.VpcId,
      };
      e.repo.put(scope, { id, type: "network-interface", vpcId: subnet.VpcId, doc: eni });
      return this.present(scope, eni);
    });
  }

  release(scope: Scope, owner: EniOwner, keepSubnetIds: readonly string[] = []): string[] {
    const e = this.#e;
    return e.store.tx(() => {
      const description = ownerDescription(scope, owner);
      const gone = this.all(scope).filter((n) => n.Description === description && !keepSubnetIds.includes(n.SubnetId!));
      for (const n of gone) {
        e.repo.delete(scope, n.NetworkInterfaceId!);
        e.tags.dropAll(scope, n.NetworkInterfaceId!);
      }
      return gone.map((n) => n.NetworkInterfaceId!);
    });
  }

  #nextIp(scope: Scope, subnet: Subnet): string {
    const cidr = tryParseCidr(subnet.CidrBlock!)!;
    const used = new Set(this.all(scope).filter((n) => n.SubnetId === subnet.SubnetId).map((n) => n.PrivateIpAddress));
    // AWS reserves the first four addresses and the last one.
    for (let i = 4; i < size(cidr) - 1; i++) {
      const ip = formatIp(cidr.base + i);
      if (!used.has(ip)) return ip;
    }
    throw this.#insufficient(subnet.SubnetId!);
  }

  #insufficient(subnetId: string) {
    return invalidParameterValue(`There are not enough free addresses in subnet '${subnetId}' to satisfy the requested number of instances.`);
  }

  present(scope: Scope, eni: NetworkInterface): NetworkInterface {
    return withTags(eni, this.#e.tags.of(scope, eni.NetworkInterfaceId!));
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
        "attachment.attachment-id": (n) => n.Attachment?.AttachmentId,
        "attachment.status": (n) => n.Attachment?.Status,
        "attachment.device-index": (n) => n.Attachment?.DeviceIndex,
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
        "private-dns-name": (n) => n.PrivateDnsName,
        "mac-address": (n) => n.MacAddress,
        "owner-id": (n) => n.OwnerId,
        "source-dest-check": (n) => n.SourceDestCheck,
      },
      (n) => e.tags.of(scope, n.NetworkInterfaceId!),
    ).map((n) => this.present(scope, n));
  }
}
