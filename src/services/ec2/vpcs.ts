/** VPCs: Create/Describe/Delete, Describe/ModifyVpcAttribute. Creating a VPC also makes its main route table and default security group. */
import type {
  CreateVpcRequest,
  DescribeVpcAttributeRequest,
  DescribeVpcAttributeResult,
  DescribeVpcsRequest,
  ModifyVpcAttributeRequest,
  RouteTable,
  Vpc,
} from "@aws-sdk/client-ec2";
import type { Scope } from "../../core/arn.ts";
import { formatCidr, parseCidr } from "./cidr.ts";
import type { Ec2Context } from "./context.ts";
import { dependencyViolation, ec2Error, invalidParameterValue, missingParameter } from "./errors.ts";
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
    return vpc;
  }

  create(scope: Scope, input: CreateVpcRequest): Vpc {
    if (!input.CidrBlock) throw missingParameter("cidrBlock");
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
      ];
      if (blockers.length) {
        throw dependencyViolation(`The vpc '${vpcId}' has dependencies and cannot be deleted.`);
      }
      for (const r of [...e.repo.list(scope, "route-table", vpcId), ...e.repo.list(scope, "security-group", vpcId)]) {
        e.repo.delete(scope, r.id);
        e.tags.dropAll(scope, r.id);
      }
      e.repo.delete(scope, vpcId);
      e.tags.dropAll(scope, vpcId);
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
