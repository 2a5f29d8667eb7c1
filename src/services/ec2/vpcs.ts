/** VPCs: Create/Describe/Delete, Describe/ModifyVpcAttribute. Creating a VPC also makes its main route table and default security group. */
import type {
  AssociateVpcCidrBlockRequest,
  AssociateVpcCidrBlockResult,
  CreateVpcRequest,
  DisassociateVpcCidrBlockResult,
  DescribeVpcAttributeRequest,
  DescribeVpcAttributeResult,
  DescribeVpcsRequest,
  ModifyVpcAttributeRequest,
  RouteTable,
  Vpc,
} from "@aws-sdk/client-ec2";
import type { Scope } from "../../core/arn.ts";
import { type Cidr, contains, formatCidr, overlaps, parseCidr, tryParseCidr } from "./cidr.ts";
import type { Ec2Context } from "./context.ts";
import { dependencyViolation, ec2Error, invalidParameterValue, missingParameter, notFound, notImplemented, operationNotPermitted } from "./errors.ts";
import { applyFilters } from "./filters.ts";
import type { Ec2Record } from "./repo.ts";
import { requireResource } from "./resources.ts";
import { withTags } from "./tagging.ts";

export interface VpcState {
  enableDnsHostnames: boolean;
  enableDnsSupport: boolean;
  enableNetworkAddressUsageMetrics: boolean;
}

export type VpcRecord = Ec2Record<Vpc, VpcState>;

/** What a new VPC comes with, made by the route-table and security-group modules. */
export interface VpcParts {
  /** The VPC's main route table (a local route for its CIDR). */
  mainRouteTable(scope: Scope, vpcId: string, cidrBlock: string): void;
  /** The VPC's `default` security group. */
  defaultSecurityGroup(scope: Scope, vpcId: string): void;
  /** The VPC's default network ACL. */
  defaultNetworkAcl(scope: Scope, vpcId: string): void;
  /** A CIDR was added to (or removed from) the VPC: the local route of every route table follows. */
  localRoute(scope: Scope, vpcId: string, cidr: string, present: boolean): void;
  /** Live VPC endpoints of the VPC (gateway endpoints have no interface that would block deletion). */
  endpoints(scope: Scope, vpcId: string): string[];
  /** The VPC is deleted: its network ACLs go. */
  dropped(scope: Scope, vpcId: string): void;
}

/** At most five IPv4 CIDR blocks per VPC (the default quota). */
export const MAX_VPC_CIDRS = 5;

/** The private ranges whose mixing AWS restricts in one VPC, and the always-restricted 198.19.0.0/16. */
const PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"].map((c) => tryParseCidr(c)!);
const RESTRICTED = tryParseCidr("198.19.0.0/16")!;

/** The CIDRs a VPC holds now (associated ones). */
export function vpcCidrs(vpc: Vpc): string[] {
  const set = (vpc.CidrBlockAssociationSet ?? []).filter((a) => a.CidrBlockState?.State === "associated").map((a) => a.CidrBlock!);
  return set.length ? set : vpc.CidrBlock ? [vpc.CidrBlock] : [];
}

export class Vpcs {
  readonly #e: Ec2Context;
  readonly #parts: VpcParts;
  constructor(ctx: Ec2Context, parts: VpcParts) {
    this.#e = ctx;
    this.#parts = parts;
  }

  require(scope: Scope, id: string | undefined): VpcRecord {
    return requireResource<Vpc, VpcState>(this.#e.repo, scope, "vpc", id);
  }

  /** A VPC with its main route table and default security group. */
  insert(scope: Scope, cidrBlock: string, opts: { isDefault: boolean; dhcpOptionsId: string; tenancy?: string }): Vpc {
    const e = this.#e;
    const id = e.newId("vpc");
    const vpc: Vpc = {
      OwnerId: scope.accountId,
      InstanceTenancy: (opts.tenancy ?? "default") as Vpc["InstanceTenancy"],
      Ipv6CidrBlockAssociationSet: [],
      CidrBlockAssociationSet: [{ AssociationId: e.newId("vpc-cidr-assoc"), CidrBlock: cidrBlock, CidrBlockState: { State: "associated" } }],
      IsDefault: opts.isDefault,
      BlockPublicAccessStates: { InternetGatewayBlockMode: "off" },
      VpcId: id,
      State: "available",
      CidrBlock: cidrBlock,
      DhcpOptionsId: opts.dhcpOptionsId,
    };
    const state: VpcState = { enableDnsHostnames: opts.isDefault, enableDnsSupport: true, enableNetworkAddressUsageMetrics: false };
    e.repo.put(scope, { id, type: "vpc", vpcId: id, doc: vpc, state });
    this.#parts.mainRouteTable(scope, id, cidrBlock);
    this.#parts.defaultSecurityGroup(scope, id);
    this.#parts.defaultNetworkAcl(scope, id);
    return vpc;
  }

  create(scope: Scope, input: CreateVpcRequest): Vpc {
    if (input.Ipv4IpamPoolId || input.Ipv6IpamPoolId) throw notImplemented("IPAM pools");
    if (input.AmazonProvidedIpv6CidrBlock || input.Ipv6CidrBlock || input.Ipv6Pool) throw notImplemented("IPv6 CIDR blocks", "IPv6 is out of scope");
    if (!input.CidrBlock) throw missingParameter("CidrBlock");
    const cidr = parseCidr(input.CidrBlock);
    if (cidr.prefix < 16 || cidr.prefix > 28) throw ec2Error("InvalidVpc.Range", `The CIDR '${input.CidrBlock}' is invalid.`);
    return this.#e.store.tx(() => {
      const d = this.#e.ensureDefaults(scope);
      const vpc = this.insert(scope, formatCidr(cidr), { isDefault: false, dhcpOptionsId: d.dhcpOptionsId, tenancy: input.InstanceTenancy });
      this.#e.tags.applySpecs(scope, vpc.VpcId!, "vpc", input.TagSpecifications);
      return this.present(scope, vpc);
    });
  }

  present(scope: Scope, vpc: Vpc): Vpc {
    return withTags(vpc, this.#e.tags.of(scope, vpc.VpcId!));
  }

  describe(scope: Scope, input: DescribeVpcsRequest): Vpc[] {
    this.#e.ensureDefaults(scope);
    for (const id of input.VpcIds ?? []) this.require(scope, id);
    let all = this.#e.repo.list<Vpc>(scope, "vpc").map((r) => r.doc);
    if (input.VpcIds?.length) all = all.filter((v) => input.VpcIds!.includes(v.VpcId!));
    const tagsOf = (v: Vpc) => this.#e.tags.of(scope, v.VpcId!);
    return applyFilters(
      all,
      input.Filters,
      {
        "vpc-id": (v) => v.VpcId,
        "cidr": (v) => v.CidrBlock,
        "cidr-block": (v) => v.CidrBlock,
        "cidr-block-association.cidr-block": (v) => (v.CidrBlockAssociationSet ?? []).map((a) => a.CidrBlock),
        "cidr-block-association.association-id": (v) => (v.CidrBlockAssociationSet ?? []).map((a) => a.AssociationId),
        "cidr-block-association.state": (v) => (v.CidrBlockAssociationSet ?? []).map((a) => a.CidrBlockState?.State),
        "ipv6-cidr-block-association.ipv6-cidr-block": (v) => (v.Ipv6CidrBlockAssociationSet ?? []).map((a) => a.Ipv6CidrBlock),
        "dhcp-options-id": (v) => v.DhcpOptionsId,
        "is-default": (v) => v.IsDefault,
        isDefault: (v) => v.IsDefault,
        "owner-id": (v) => v.OwnerId,
        state: (v) => v.State,
      },
      tagsOf,
    ).map((v) => this.present(scope, v));
  }

  delete(scope: Scope, id: string | undefined): void {
    const e = this.#e;
    e.store.tx(() => {
      const vpc = this.require(scope, id);
      const vpcId = vpc.id;
      const blockers = [
        ...e.repo.list(scope, "subnet", vpcId),
        ...e.repo.list(scope, "network-interface", vpcId),
        ...e.repo.list<{ GroupName?: string }>(scope, "security-group", vpcId).filter((g) => g.doc.GroupName !== "default"),
        ...e.repo.list<RouteTable>(scope, "route-table", vpcId).filter((r) => !r.doc.Associations?.some((a) => a.Main)),
        ...e.repo.list(scope, "internet-gateway", vpcId),
        ...this.#parts.endpoints(scope, vpcId),
      ];
      if (blockers.length) {
        throw dependencyViolation(`The vpc '${vpcId}' has dependencies and cannot be deleted.`);
      }
      for (const r of [...e.repo.list(scope, "route-table", vpcId), ...e.repo.list(scope, "security-group", vpcId)]) {
        e.repo.delete(scope, r.id);
        e.tags.dropAll(scope, r.id);
      }
      this.#parts.dropped(scope, vpcId);
      e.repo.delete(scope, vpcId);
      e.tags.dropAll(scope, vpcId);
    });
  }

  /**
   * AssociateVpcCidrBlock: a secondary IPv4 block, within AWS's rules
   * (https://docs.aws.amazon.com/vpc/latest/userguide/vpc-cidr-blocks.html): /16 to /28, no
   * overlap with the VPC's blocks, no mixing of the RFC 1918 ranges, never 198.19.0.0/16, five at most.
   */
  associateCidr(scope: Scope, input: AssociateVpcCidrBlockRequest): AssociateVpcCidrBlockResult {
    const e = this.#e;
    if (input.AmazonProvidedIpv6CidrBlock || input.Ipv6CidrBlock || input.Ipv6Pool || input.Ipv6IpamPoolId) {
      throw notImplemented("IPv6 CIDR blocks", "IPv6 is out of scope");
    }
    if (input.Ipv4IpamPoolId) throw notImplemented("IPAM pools");
    if (!input.CidrBlock) throw missingParameter("CidrBlock");
    const cidr = parseCidr(input.CidrBlock);
    const text = formatCidr(cidr);
    if (cidr.prefix < 16 || cidr.prefix > 28) throw ec2Error("InvalidVpc.Range", `The CIDR '${input.CidrBlock}' is invalid.`);
    return e.store.tx(() => {
      e.ensureDefaults(scope);
      const vpc = this.require(scope, input.VpcId);
      const current = vpcCidrs(vpc.doc).map((c) => tryParseCidr(c)!);
      if (current.length >= MAX_VPC_CIDRS) {
        throw ec2Error("CidrLimitExceeded", `This network '${vpc.id}' has met its maximum number of allowed CIDRs: ${MAX_VPC_CIDRS}`);
      }
      const clash = current.find((c) => overlaps(c, cidr));
      if (clash) throw ec2Error("InvalidVpc.Range", `The CIDR '${text}' overlaps with the CIDR '${formatCidr(clash)}' of ${vpc.id}.`);
      if (restricted(current[0]!, cidr)) {
        throw ec2Error(
          "InvalidVpc.Range",
          `The CIDR '${text}' is restricted. Use a CIDR from the same private address range as the current VPC CIDR, or use a publicly-routable CIDR.`,
        );
      }
      const AssociationId = e.newId("vpc-cidr-assoc");
      const assoc = { AssociationId, CidrBlock: text, CidrBlockState: { State: "associated" as const } };
      const doc: Vpc = { ...vpc.doc, CidrBlockAssociationSet: [...(vpc.doc.CidrBlockAssociationSet ?? []), assoc] };
      e.repo.put(scope, { id: vpc.id, type: "vpc", vpcId: vpc.id, doc, state: vpc.state });
      this.#parts.localRoute(scope, vpc.id, text, true);
      return { VpcId: vpc.id, CidrBlockAssociation: { AssociationId, CidrBlock: text, CidrBlockState: { State: "associating" } } };
    });
  }

  disassociateCidr(scope: Scope, associationId: string | undefined): DisassociateVpcCidrBlockResult {
    const e = this.#e;
    if (!associationId) throw missingParameter("AssociationId");
    return e.store.tx(() => {
      e.ensureDefaults(scope);
      const vpc = e.repo.list<Vpc, VpcState>(scope, "vpc").find((v) => v.doc.CidrBlockAssociationSet?.some((a) => a.AssociationId === associationId));
      if (!vpc) notFound("vpc-cidr-assoc", associationId);
      const assoc = vpc.doc.CidrBlockAssociationSet!.find((a) => a.AssociationId === associationId)!;
      if (assoc.CidrBlock === vpc.doc.CidrBlock) {
        throw operationNotPermitted(`The vpc CIDR block with association ID ${associationId} may not be disassociated. It is the primary IPv4 CIDR block of the VPC`);
      }
      const block = tryParseCidr(assoc.CidrBlock!)!;
      const inUse = e.repo.list<{ CidrBlock?: string }>(scope, "subnet", vpc.id).some((s) => contains(block, tryParseCidr(s.doc.CidrBlock ?? "") ?? block));
      if (inUse) throw ec2Error("InvalidCidrBlock.InUse", `The vpc ${vpc.id} currently has a subnet within CIDR block ${assoc.CidrBlock}`);
      const doc: Vpc = { ...vpc.doc, CidrBlockAssociationSet: vpc.doc.CidrBlockAssociationSet!.filter((a) => a !== assoc) };
      e.repo.put(scope, { id: vpc.id, type: "vpc", vpcId: vpc.id, doc, state: vpc.state });
      this.#parts.localRoute(scope, vpc.id, assoc.CidrBlock!, false);
      return { VpcId: vpc.id, CidrBlockAssociation: { AssociationId: associationId, CidrBlock: assoc.CidrBlock, CidrBlockState: { State: "disassociating" } } };
    });
  }

  describeAttribute(scope: Scope, input: DescribeVpcAttributeRequest): DescribeVpcAttributeResult {
    this.#e.ensureDefaults(scope);
    const vpc = this.require(scope, input.VpcId);
    const s = vpc.state;
    switch (input.Attribute) {
      case "enableDnsHostnames":
        return { VpcId: vpc.id, EnableDnsHostnames: { Value: s.enableDnsHostnames } };
      case "enableDnsSupport":
        return { VpcId: vpc.id, EnableDnsSupport: { Value: s.enableDnsSupport } };
      case "enableNetworkAddressUsageMetrics":
        return { VpcId: vpc.id, EnableNetworkAddressUsageMetrics: { Value: s.enableNetworkAddressUsageMetrics } };
      default:
        throw invalidParameterValue(`Value (${input.Attribute}) for parameter attribute is invalid. Unknown attribute.`);
    }
  }

  modifyAttribute(scope: Scope, input: ModifyVpcAttributeRequest): void {
    const given = [input.EnableDnsHostnames, input.EnableDnsSupport, input.EnableNetworkAddressUsageMetrics].filter((v) => v !== undefined);
    if (given.length !== 1) {
      throw invalidParameterValue("Fields for multiple attribute types specified: enableDnsHostnames, enableDnsSupport, enableNetworkAddressUsageMetrics");
    }
    this.#e.store.tx(() => {
      this.#e.ensureDefaults(scope);
      const vpc = this.require(scope, input.VpcId);
      const state = { ...vpc.state };
      if (input.EnableDnsHostnames) state.enableDnsHostnames = input.EnableDnsHostnames.Value ?? false;
      if (input.EnableDnsSupport) state.enableDnsSupport = input.EnableDnsSupport.Value ?? false;
      if (input.EnableNetworkAddressUsageMetrics) state.enableNetworkAddressUsageMetrics = input.EnableNetworkAddressUsageMetrics.Value ?? false;
      this.#e.repo.put(scope, { id: vpc.id, type: "vpc", vpcId: vpc.id, doc: vpc.doc, state });
    });
  }
}

/** Whether `added` may not join a VPC whose primary block is `primary` (the RFC 1918 mixing rule). */
function restricted(primary: Cidr, added: Cidr): boolean {
  if (overlaps(RESTRICTED, added)) return true;
  const home = PRIVATE_RANGES.find((r) => contains(r, primary));
  return PRIVATE_RANGES.some((r) => r !== home && overlaps(r, added)) && home !== undefined;
}
