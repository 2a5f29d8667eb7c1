/**
 * Route tables (https://docs.aws.amazon.com/vpc/latest/userguide/VPC_Route_Tables.html): routes,
 * subnet and gateway associations, and the main table of each VPC. A subnet without an explicit
 * association uses its VPC's main table; ReplaceRouteTableAssociation on the main association
 * makes another table main (what Terraform's aws_main_route_table_association does), with a new
 * association id each time. A route whose target is gone or not usable (a deleted NAT gateway, a
 * detached internet gateway, a deleted interface) reads `blackhole`. Gateway endpoints add routes
 * to their service's prefix list (DestinationPrefixListId) through addEndpointRoute.
 */
import type {
  AssociateRouteTableRequest,
  AssociateRouteTableResult,
  CreateRouteRequest,
  CreateRouteTableRequest,
  DeleteRouteRequest,
  DescribeRouteTablesRequest,
  ReplaceRouteRequest,
  ReplaceRouteTableAssociationRequest,
  ReplaceRouteTableAssociationResult,
  Route,
  RouteTable,
  Subnet,
  Vpc,
} from "@aws-sdk/client-ec2";
import type { Scope } from "../../core/arn.ts";
import { formatCidr, isIpv6Cidr, parseCidr } from "./cidr.ts";
import type { Ec2Context } from "./context.ts";
import { dependencyViolation, ec2Error, invalidParameterValue, missingParameter, notFound, notImplemented } from "./errors.ts";
import { applyFilters } from "./filters.ts";
import type { Ec2Record } from "./repo.ts";
import { requireResource } from "./resources.ts";
import { withTags } from "./tagging.ts";

/** What route tables need from the other modules: whether targets exist and are usable. */
export interface RouteParts {
  /** "active", "blackhole", or undefined when the target does not exist at all. */
  natGatewayState(scope: Scope, id: string): "usable" | "unusable" | undefined;
  /** The VPC an internet gateway is attached to (undefined: detached), or null when it does not exist. */
  internetGatewayVpc(scope: Scope, id: string): string | undefined | null;
  /** A live VPC endpoint's VPC and type, or undefined. */
  vpcEndpoint(scope: Scope, id: string): { vpcId: string; type: string } | undefined;
  prefixListExists(scope: Scope, id: string): boolean;
  /** A route table was deleted: gateway endpoints forget it. */
  routeTableDeleted(scope: Scope, id: string): void;
}

const routeKey = (r: Route) => r.DestinationCidrBlock ?? r.DestinationIpv6CidrBlock ?? r.DestinationPrefixListId;

export class RouteTables {
  readonly #e: Ec2Context;
  readonly #parts: RouteParts;
  constructor(ctx: Ec2Context, parts: RouteParts) {
    this.#e = ctx;
    this.#parts = parts;
  }

  require(scope: Scope, id: string | undefined): Ec2Record<RouteTable> {
    return requireResource<RouteTable>(this.#e.repo, scope, "route-table", id);
  }

  /** A table with a local route per VPC CIDR (and the main association when `main`). */
  insert(scope: Scope, vpcId: string, vpcCidrs: string | readonly string[], main: boolean): RouteTable {
    const e = this.#e;
    const id = e.newId("rtb");
    const cidrs = typeof vpcCidrs === "string" ? [vpcCidrs] : vpcCidrs;
    const rt: RouteTable = {
      Associations: main
        ? [{ Main: true, RouteTableAssociationId: e.newId("rtbassoc"), RouteTableId: id, AssociationState: { State: "associated" } }]
        : [],
      PropagatingVgws: [],
      RouteTableId: id,
      Routes: cidrs.map((c) => ({ DestinationCidrBlock: c, GatewayId: "local", Origin: "CreateRouteTable", State: "active" })),
      VpcId: vpcId,
      OwnerId: scope.accountId,
    };
    e.repo.put(scope, { id, type: "route-table", vpcId, doc: rt });
    return rt;
  }

  /** Every route table of the scope. */
  ofVpcAll(scope: Scope): RouteTable[] {
    return this.#e.repo.list<RouteTable>(scope, "route-table").map((r) => r.doc);
  }

  ofVpc(scope: Scope, vpcId: string): RouteTable[] {
    return this.#e.repo.list<RouteTable>(scope, "route-table", vpcId).map((r) => r.doc);
  }

  /** The table a subnet uses: its explicit association, else its VPC's main table. */
  forSubnet(scope: Scope, subnetId: string, vpcId: string): RouteTable | undefined {
    const tables = this.ofVpc(scope, vpcId);
    const explicit = tables.find((t) => t.Associations?.some((a) => a.SubnetId === subnetId));
    const table = explicit ?? tables.find((t) => t.Associations?.some((a) => a.Main));
    return table && this.#withStates(scope, table);
  }

  #save(scope: Scope, rt: RouteTable): void {
    const { Tags: _t, ...doc } = rt;
    doc.Routes = (doc.Routes ?? []).map((r) => ({ ...r, State: "active" }));
    this.#e.repo.put(scope, { id: rt.RouteTableId!, type: "route-table", vpcId: rt.VpcId, doc });
  }

  create(scope: Scope, input: CreateRouteTableRequest): RouteTable {
    const e = this.#e;
    return e.store.tx(() => {
      e.ensureDefaults(scope);
      const vpc = requireResource<Vpc>(e.repo, scope, "vpc", input.VpcId);
      const cidrs = (vpc.doc.CidrBlockAssociationSet ?? []).filter((a) => a.CidrBlockState?.State === "associated").map((a) => a.CidrBlock!);
      const rt = this.insert(scope, vpc.id, cidrs.length ? cidrs : [vpc.doc.CidrBlock!], false);
      e.tags.applySpecs(scope, rt.RouteTableId!, "route-table", input.TagSpecifications);
      return this.#present(scope, rt);
    });
  }

  delete(scope: Scope, id: string | undefined): void {
    const e = this.#e;
    e.store.tx(() => {
      const rt = this.require(scope, id);
      if (rt.doc.Associations?.length) throw dependencyViolation(`The routeTable '${rt.id}' has dependencies and cannot be deleted.`);
      this.#parts.routeTableDeleted(scope, rt.id);
      e.repo.delete(scope, rt.id);
      e.tags.dropAll(scope, rt.id);
    });
  }

  associate(scope: Scope, input: AssociateRouteTableRequest): AssociateRouteTableResult {
    const e = this.#e;
    return e.store.tx(() => {
      const rt = this.require(scope, input.RouteTableId);
      if (!input.SubnetId && !input.GatewayId) throw missingParameter("SubnetId");
      const assocId = e.newId("rtbassoc");
      if (input.SubnetId) {
        const subnet = requireResource(e.repo, scope, "subnet", input.SubnetId);
        if (subnet.vpcId !== rt.vpcId) throw invalidParameterValue(`Route table ${rt.id} and subnet ${subnet.id} belong to different networks`);
        for (const other of this.ofVpc(scope, rt.vpcId!)) {
          if (other.Associations?.some((a) => a.SubnetId === subnet.id)) {
            throw ec2Error("Resource.AlreadyAssociated", `the specified association for route table ${other.RouteTableId} conflicts with an existing association`);
          }
        }
      } else {
        requireResource(this.#e.repo, scope, "internet-gateway", input.GatewayId);
      }
      const assoc = {
        Main: false,
        RouteTableAssociationId: assocId,
        RouteTableId: rt.id,
        ...(input.SubnetId ? { SubnetId: input.SubnetId } : { GatewayId: input.GatewayId }),
        AssociationState: { State: "associated" as const },
      };
      this.#save(scope, { ...rt.doc, Associations: [...(rt.doc.Associations ?? []), assoc] });
      return { AssociationId: assocId, AssociationState: { State: "associated" } };
    });
  }

  /** The table holding an association id, and the association. */
  #findAssociation(scope: Scope, associationId: string): { rec: Ec2Record<RouteTable>; index: number } {
    for (const rec of this.#e.repo.list<RouteTable>(scope, "route-table")) {
      const index = (rec.doc.Associations ?? []).findIndex((x) => x.RouteTableAssociationId === associationId);
      if (index >= 0) return { rec, index };
    }
    notFound("rtbassoc", associationId);
  }

  disassociate(scope: Scope, associationId: string | undefined): void {
    const e = this.#e;
    e.store.tx(() => {
      if (!associationId) throw missingParameter("AssociationId");
      const { rec, index } = this.#findAssociation(scope, associationId);
      const a = rec.doc.Associations![index]!;
      if (a.Main) throw invalidParameterValue(`cannot disassociate the main route table association ${associationId}`);
      this.#save(scope, { ...rec.doc, Associations: rec.doc.Associations!.filter((x) => x !== a) });
    });
  }

  /**
   * Moves an association to another table of the same VPC under a new id. For the main
   * association this changes which table is the VPC's main table.
   */
  replaceAssociation(scope: Scope, input: ReplaceRouteTableAssociationRequest): ReplaceRouteTableAssociationResult {
    const e = this.#e;
    return e.store.tx(() => {
      if (!input.AssociationId) throw missingParameter("AssociationId");
      const target = this.require(scope, input.RouteTableId);
      const { rec, index } = this.#findAssociation(scope, input.AssociationId);
      const old = rec.doc.Associations![index]!;
      if (rec.vpcId !== target.vpcId) {
        throw invalidParameterValue(`Route table ${target.id} and association ${input.AssociationId} belong to different networks`);
      }
      const newId = e.newId("rtbassoc");
      const moved = { ...old, RouteTableAssociationId: newId, RouteTableId: target.id, AssociationState: { State: "associated" as const } };
      this.#save(scope, { ...rec.doc, Associations: rec.doc.Associations!.filter((_, i) => i !== index) });
      const fresh = this.require(scope, target.id).doc;
      this.#save(scope, { ...fresh, Associations: [...(fresh.Associations ?? []), moved] });
      return { NewAssociationId: newId, AssociationState: { State: "associated" } };
    });
  }

  dropSubnetAssociations(scope: Scope, subnetId: string): void {
    for (const rec of this.#e.repo.list<RouteTable>(scope, "route-table")) {
      const kept = (rec.doc.Associations ?? []).filter((a) => a.SubnetId !== subnetId);
      if (kept.length !== (rec.doc.Associations ?? []).length) this.#save(scope, { ...rec.doc, Associations: kept });
    }
  }

  /** The destination (CIDR, IPv6 CIDR or prefix list) of a CreateRoute/ReplaceRoute/DeleteRoute call. */
  #destination(scope: Scope, input: { DestinationCidrBlock?: string | undefined; DestinationIpv6CidrBlock?: string | undefined; DestinationPrefixListId?: string | undefined }): Route {
    if (input.DestinationPrefixListId) {
      if (!this.#parts.prefixListExists(scope, input.DestinationPrefixListId)) notFound("pl", input.DestinationPrefixListId);
      return { DestinationPrefixListId: input.DestinationPrefixListId };
    }
    const dest = input.DestinationCidrBlock ?? input.DestinationIpv6CidrBlock;
    if (!dest) throw missingParameter("DestinationCidrBlock");
    if (isIpv6Cidr(dest)) return { DestinationIpv6CidrBlock: dest.toLowerCase() };
    return { DestinationCidrBlock: formatCidr(parseCidr(dest, "destinationCidrBlock")) };
  }

  /** The route's target, checked: it exists, and sits in (or is attached to) the table's VPC. */
  #target(scope: Scope, rt: Ec2Record<RouteTable>, input: CreateRouteRequest | ReplaceRouteRequest): Route {
    const e = this.#e;
    const vpcId = rt.vpcId!;
    const unsupported = [
      ["TransitGatewayId", input.TransitGatewayId],
      ["CarrierGatewayId", input.CarrierGatewayId],
      ["LocalGatewayId", input.LocalGatewayId],
      ["CoreNetworkArn", input.CoreNetworkArn],
      ["InstanceId", input.InstanceId],
      ["VpcPeeringConnectionId", input.VpcPeeringConnectionId],
      ["EgressOnlyInternetGatewayId", input.EgressOnlyInternetGatewayId],
      ["OdbNetworkArn", (input as { OdbNetworkArn?: string }).OdbNetworkArn],
    ].filter(([, v]) => v);
    if (unsupported.length) throw notImplemented(`routes to ${unsupported[0]![0]}`, "Slipway routes to internet gateways, NAT gateways, VPC endpoints and network interfaces");
    const given = [input.GatewayId, input.NatGatewayId, input.NetworkInterfaceId, input.VpcEndpointId].filter(Boolean);
    if (!given.length) throw missingParameter("GatewayId");
    if (given.length > 1) throw ec2Error("InvalidParameterCombination", "The parameter combination is not valid: only one route target may be given.");
    const gw = input.GatewayId ?? input.VpcEndpointId;
    if (gw?.startsWith("vpce-")) {
      const ep = this.#parts.vpcEndpoint(scope, gw);
      if (!ep) notFound("vpce", gw);
      if (ep.type !== "Gateway") {
        throw ec2Error("RouteNotSupported", `Route table contains unsupported route target: ${gw}. VPC Endpoints of this type cannot be used as route targets.`);
      }
      return { GatewayId: gw };
    }
    if (gw) {
      if (gw === "local") throw invalidParameterValue("The local route target cannot be created or replaced.");
      const attached = this.#parts.internetGatewayVpc(scope, gw);
      if (attached === null) notFound("igw", gw);
      if (attached !== vpcId) throw invalidParameterValue(`route table ${rt.id} and network gateway ${gw} belong to different networks`);
      return { GatewayId: gw };
    }
    if (input.NatGatewayId) {
      if (this.#parts.natGatewayState(scope, input.NatGatewayId) === undefined) notFound("nat", input.NatGatewayId);
      return { NatGatewayId: input.NatGatewayId };
    }
    const eni = requireResource<{ VpcId?: string }>(e.repo, scope, "network-interface", input.NetworkInterfaceId);
    if (eni.vpcId !== vpcId) throw invalidParameterValue(`route table ${rt.id} and interface ${eni.id} belong to different networks`);
    return { NetworkInterfaceId: eni.id };
  }

  createRoute(scope: Scope, input: CreateRouteRequest): void {
    const e = this.#e;
    e.store.tx(() => {
      const rt = this.require(scope, input.RouteTableId);
      const dest = this.#destination(scope, input);
      if (rt.doc.Routes?.some((r) => routeKey(r) === routeKey(dest))) {
        throw ec2Error("RouteAlreadyExists", `The route identified by ${routeKey(dest)} already exists.`);
      }
      const route: Route = { ...dest, ...this.#target(scope, rt, input), Origin: "CreateRoute", State: "active" };
      this.#save(scope, { ...rt.doc, Routes: [...(rt.doc.Routes ?? []), route] });
    });
  }

  replaceRoute(scope: Scope, input: ReplaceRouteRequest): void {
    const e = this.#e;
    e.store.tx(() => {
      const rt = this.require(scope, input.RouteTableId);
      const dest = this.#destination(scope, input);
      const routes = rt.doc.Routes ?? [];
      const i = routes.findIndex((r) => routeKey(r) === routeKey(dest));
      if (i < 0) throw invalidParameterValue(`There is no route defined for '${routeKey(dest)}' in the route table. Use CreateRoute instead.`);
      if (routes[i]!.GatewayId === "local" && input.LocalTarget) return;
      const route: Route = { ...dest, ...this.#target(scope, rt, input), Origin: "CreateRoute", State: "active" };
      this.#save(scope, { ...rt.doc, Routes: routes.map((r, j) => (j === i ? route : r)) });
    });
  }

  /** Used by the defaults: 0.0.0.0/0 → igw on the main table. */
  addRoute(scope: Scope, rtId: string, route: Route): void {
    const rt = this.require(scope, rtId);
    this.#save(scope, { ...rt.doc, Routes: [...(rt.doc.Routes ?? []), route] });
  }

  /** A gateway endpoint's route to its prefix list (one per prefix list per table). */
  addEndpointRoute(scope: Scope, rtId: string, vpcId: string, prefixListId: string, endpointId: string): void {
    const rt = this.require(scope, rtId);
    if (rt.vpcId !== vpcId) throw invalidParameterValue(`route table ${rt.id} and VPC endpoint ${endpointId} belong to different networks`);
    if (rt.doc.Routes?.some((r) => r.DestinationPrefixListId === prefixListId)) {
      throw ec2Error("RouteAlreadyExists", `route table ${rt.id} already has a route with destination-prefix-list-id ${prefixListId}`);
    }
    this.#save(scope, { ...rt.doc, Routes: [...(rt.doc.Routes ?? []), { DestinationPrefixListId: prefixListId, GatewayId: endpointId, Origin: "CreateRoute", State: "active" }] });
  }

  removeEndpointRoute(scope: Scope, rtId: string, prefixListId: string, endpointId: string): void {
    const rec = this.#e.repo.get<RouteTable>(scope, rtId);
    if (rec?.type !== "route-table") return;
    this.#save(scope, { ...rec.doc, Routes: (rec.doc.Routes ?? []).filter((r) => !(r.DestinationPrefixListId === prefixListId && r.GatewayId === endpointId)) });
  }

  /** A VPC CIDR was associated (a local route in every table) or disassociated (removed). */
  setLocalRoute(scope: Scope, vpcId: string, cidr: string, present: boolean): void {
    for (const rec of this.#e.repo.list<RouteTable>(scope, "route-table", vpcId)) {
      const routes = (rec.doc.Routes ?? []).filter((r) => !(r.GatewayId === "local" && r.DestinationCidrBlock === cidr));
      if (present) routes.splice(routes.filter((r) => r.GatewayId === "local").length, 0, { DestinationCidrBlock: cidr, GatewayId: "local", Origin: "CreateRouteTable", State: "active" });
      this.#save(scope, { ...rec.doc, Routes: routes });
    }
  }

  deleteRoute(scope: Scope, input: DeleteRouteRequest): void {
    const e = this.#e;
    e.store.tx(() => {
      const rt = this.require(scope, input.RouteTableId);
      const dest = input.DestinationPrefixListId
        ? input.DestinationPrefixListId
        : input.DestinationCidrBlock ?? input.DestinationIpv6CidrBlock;
      if (!dest) throw missingParameter("DestinationCidrBlock");
      const routes = rt.doc.Routes ?? [];
      const match = routes.find((r) => routeKey(r) === dest);
      if (!match) throw ec2Error("InvalidRoute.NotFound", `no route with destination-cidr-block ${dest} in route table ${rt.id}`);
      if (match.GatewayId === "local") throw invalidParameterValue(`cannot remove local route ${dest} in route table ${rt.id}`);
      if (match.GatewayId?.startsWith("vpce-")) {
        throw invalidParameterValue(`The route ${dest} is managed by the VPC endpoint ${match.GatewayId}; modify the endpoint instead.`);
      }
      this.#save(scope, { ...rt.doc, Routes: routes.filter((r) => r !== match) });
    });
  }

  /** Each route's state now: blackhole when its target is gone or unusable. */
  #withStates(scope: Scope, rt: RouteTable): RouteTable {
    return {
      ...rt,
      Routes: (rt.Routes ?? []).map((r) => ({ ...r, State: this.#routeState(scope, rt.VpcId!, r) })),
    };
  }

  #routeState(scope: Scope, vpcId: string, r: Route): "active" | "blackhole" {
    if (r.GatewayId === "local") return "active";
    if (r.NatGatewayId) return this.#parts.natGatewayState(scope, r.NatGatewayId) === "usable" ? "active" : "blackhole";
    if (r.GatewayId?.startsWith("vpce-")) return this.#parts.vpcEndpoint(scope, r.GatewayId) ? "active" : "blackhole";
    if (r.GatewayId?.startsWith("igw-")) return this.#parts.internetGatewayVpc(scope, r.GatewayId) === vpcId ? "active" : "blackhole";
    if (r.NetworkInterfaceId) return this.#e.repo.get(scope, r.NetworkInterfaceId) ? "active" : "blackhole";
    return "active";
  }

  describe(scope: Scope, input: DescribeRouteTablesRequest): RouteTable[] {
    const e = this.#e;
    e.ensureDefaults(scope);
    for (const id of input.RouteTableIds ?? []) this.require(scope, id);
    let all = e.repo.list<RouteTable>(scope, "route-table").map((r) => this.#withStates(scope, r.doc));
    if (input.RouteTableIds?.length) all = all.filter((r) => input.RouteTableIds!.includes(r.RouteTableId!));
    const assocs = (r: RouteTable) => r.Associations ?? [];
    const routes = (r: RouteTable) => r.Routes ?? [];
    return applyFilters(
      all,
      input.Filters,
      {
        "route-table-id": (r) => r.RouteTableId,
        "vpc-id": (r) => r.VpcId,
        "owner-id": (r) => r.OwnerId,
        "association.main": (r) => assocs(r).map((a) => a.Main),
        "association.subnet-id": (r) => assocs(r).map((a) => a.SubnetId),
        "association.gateway-id": (r) => assocs(r).map((a) => a.GatewayId),
        "association.route-table-association-id": (r) => assocs(r).map((a) => a.RouteTableAssociationId),
        "association.route-table-id": (r) => assocs(r).map((a) => a.RouteTableId),
        "route.destination-cidr-block": (r) => routes(r).map((x) => x.DestinationCidrBlock),
        "route.destination-ipv6-cidr-block": (r) => routes(r).map((x) => x.DestinationIpv6CidrBlock),
        "route.destination-prefix-list-id": (r) => routes(r).map((x) => x.DestinationPrefixListId),
        "route.gateway-id": (r) => routes(r).map((x) => x.GatewayId),
        "route.nat-gateway-id": (r) => routes(r).map((x) => x.NatGatewayId),
        "route.origin": (r) => routes(r).map((x) => x.Origin),
        "route.state": (r) => routes(r).map((x) => x.State),
      },
      (r) => e.tags.of(scope, r.RouteTableId!),
    ).map((r) => this.#present(scope, r));
  }

  #present(scope: Scope, rt: RouteTable): RouteTable {
    return withTags(this.#withStates(scope, rt), this.#e.tags.of(scope, rt.RouteTableId!));
  }

  /** The subnets of a VPC that use this table (explicitly, or as main). */
  subnetsUsing(scope: Scope, rtId: string, subnets: readonly Subnet[]): Subnet[] {
    const rt = this.require(scope, rtId).doc;
    return subnets.filter((s) => this.forSubnet(scope, s.SubnetId!, s.VpcId!)?.RouteTableId === rt.RouteTableId);
  }
}
