/**
 * The EC2 (networking) domain, assembled: what the handlers use and what ECS (awsvpc tasks) and
 * ELBv2 (load balancer nodes) call. Every account+region gets, lazily and once, a default VPC
 * 172.31.0.0/16 with a default subnet per zone, a main route table routing 0.0.0.0/0 to an
 * attached internet gateway, and a `default` security group; ids come from the injected IdGen.
 *
 * The resource modules get an `Ec2Context` (store, repo, tags, ids, the defaults) and, where one
 * needs another, a small function wired here; none of them imports this file.
 */
import type { NetworkInterface, SecurityGroup, Subnet, Vpc } from "@aws-sdk/client-ec2";
import type { Scope } from "../../core/arn.ts";
import type { Clock } from "../../core/clock.ts";
import type { IdGen } from "../../core/ids.ts";
import type { Store } from "../../store/store.ts";
import type { Ec2Context } from "./context.ts";
import { InternetGateways } from "./internet-gateways.ts";
import { type EniOwner, type NetworkInterfaceRequest, NetworkInterfaces } from "./network-interfaces.ts";
import { Ec2Repo, type ScopeDefaults } from "./repo.ts";
import { RouteTables } from "./route-tables.ts";
import { SecurityGroups } from "./security-groups.ts";
import { Subnets } from "./subnets.ts";
import { Ec2Tags } from "./tagging.ts";
import { Vpcs } from "./vpcs.ts";
import { ZONE_LETTERS } from "./zones.ts";

export type { EniOwner, NetworkInterfaceRequest } from "./network-interfaces.ts";

export interface Ec2Deps {
  readonly store: Store;
  readonly clock: Clock;
  readonly ids: IdGen;
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
    this.routeTables = new RouteTables(ctx);
    this.gateways = new InternetGateways(ctx);
    this.groups = new SecurityGroups(ctx, (scope, groupId) => this.securityGroupInUse(scope, groupId));
    this.vpcs = new Vpcs(ctx, {
      mainRouteTable: (scope, vpcId, cidrBlock) => void this.routeTables.insert(scope, vpcId, cidrBlock, true),
      defaultSecurityGroup: (scope, vpcId) => void this.groups.insertDefault(scope, vpcId),
    });
    this.subnets = new Subnets(ctx, (scope, subnetId) => this.routeTables.dropSubnetAssociations(scope, subnetId));
    this.enis = new NetworkInterfaces(ctx, {
      clock: deps.clock,
      ids: deps.ids,
      defaultSecurityGroupId: (scope, vpcId) => this.defaultSecurityGroup(scope, vpcId).GroupId!,
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
      const d = { vpcId, dhcpOptionsId };
      this.repo.putDefaults(scope, d);
      return d;
    });
  }

  // ---- hooks for ECS and ELBv2 ------------------------------------------------------------

  /** The scope's default VPC (made on first use). */
  defaultVpc(scope: Scope): Vpc {
    const { vpcId } = this.ensureDefaults(scope);
    return this.vpcs.present(scope, this.repo.get<Vpc>(scope, vpcId)!.doc);
  }

  /** The default VPC's default subnets, one per zone (a, b, c). */
  defaultSubnets(scope: Scope): Subnet[] {
    const { vpcId } = this.ensureDefaults(scope);
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
    const vid = vpcId ?? this.ensureDefaults(scope).vpcId;
    const rec = this.repo.list<SecurityGroup>(scope, "security-group", vid).find((g) => g.doc.GroupName === "default");
    if (!rec) throw new Error(`VPC ${vid} has no default security group`);
    return this.groups.present(scope, this.groups.require(scope, rec.id));
  }

  /** True when a network interface uses the group (DeleteSecurityGroup → DependencyViolation). */
  securityGroupInUse(scope: Scope, groupId: string): boolean {
    return this.enis.all(scope).some((n) => n.Groups?.some((g) => g.GroupId === groupId));
  }

  /**
   * The ENI of `owner` in `subnetId`, made if missing (idempotent; groups are updated in place).
   * Errors are EC2's (InvalidSubnetID.NotFound, InvalidGroup.NotFound, InvalidParameterValue).
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

  /** The attachment ids of every awsvpc task's ENI, in every scope (the task orphan sweep). */
  taskAttachments(): { scope: Scope; attachmentId: string }[] {
    return this.repo.listEverywhere<NetworkInterface>("network-interface").flatMap(({ scope, record }) => {
      const m = /^arn:aws:ecs:[^:]*:[^:]*:attachment\/(.+)$/.exec(record.doc.Description ?? "");
      return m ? [{ scope, attachmentId: m[1]! }] : [];
    });
  }
}
