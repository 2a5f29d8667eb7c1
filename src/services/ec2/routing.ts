/** Internet gateways and route tables (routes, associations, the main table of each VPC). */
import type {
  AssociateRouteTableRequest,
  AssociateRouteTableResult,
  CreateInternetGatewayRequest,
  CreateRouteRequest,
  CreateRouteTableRequest,
  DeleteRouteRequest,
  DescribeInternetGatewaysRequest,
  DescribeRouteTablesRequest,
  InternetGateway,
  Route,
  RouteTable,
} from "@aws-sdk/client-ec2";
import type { Scope } from "../../core/arn.ts";
import { isIpv6Cidr, parseCidr, formatCidr } from "./cidr.ts";
import type { Ec2 } from "./ec2.ts";
import { checkId, dependencyViolation, ec2Error, invalidParameterValue, missingParameter, notFound } from "./errors.ts";
import { applyFilters } from "./filters.ts";
import type { Ec2Record } from "./repo.ts";
import { withTags } from "./tagging.ts";

export class Routing {
  readonly #e: Ec2;
  constructor(e: Ec2) {
    this.#e = e;
  }

  // ---- internet gateways
  requireGateway(scope: Scope, id: string | undefined): Ec2Record<InternetGateway> {
    if (!id) throw missingParameter("internetGatewayId");
    checkId("igw", id);
    const rec = this.#e.repo.get<InternetGateway>(scope, id);
    if (!rec || rec.type !== "internet-gateway") notFound("igw", id);
    return rec;
  }

  insertGateway(scope: Scope): InternetGateway {
    const id = this.#e.newId("igw");
    const igw: InternetGateway = { Attachments: [], InternetGatewayId: id, OwnerId: scope.accountId };
    this.#e.repo.put(scope, { id, type: "internet-gateway", vpcId: undefined, doc: igw });
    return igw;
  }

  createGateway(scope: Scope, input: CreateInternetGatewayRequest): InternetGateway {
    return this.#e.deps.store.tx(() => {
      this.#e.ensureDefaults(scope);
      const igw = this.insertGateway(scope);
      this.#e.tags.applySpecs(scope, igw.InternetGatewayId!, "internet-gateway", input.TagSpecifications);
      return this.#presentGateway(scope, igw);
    });
  }

  gatewaysAttachedTo(scope: Scope, vpcId: string): InternetGateway[] {
    return this.#e.repo.list<InternetGateway>(scope, "internet-gateway", vpcId).map((r) => r.doc);
  }

  attachGateway(scope: Scope, igwId: string | undefined, vpcId: string | undefined): void {
    const e = this.#e;
    e.deps.store.tx(() => {
      e.ensureDefaults(scope);
      const igw = this.requireGateway(scope, igwId);
      const vpc = e.vpcs.require(scope, vpcId);
      if (igw.doc.Attachments?.length) {
        throw ec2Error("Resource.AlreadyAssociated", `resource ${igw.id} is already attached to network ${igw.vpcId}`);
      }
      if (this.gatewaysAttachedTo(scope, vpc.id).length) {
        throw ec2Error("Resource.AlreadyAssociated", `Network ${vpc.id} already has an internet gateway attached`);
      }
      e.repo.put(scope, { id: igw.id, type: "internet-gateway", vpcId: vpc.id, doc: { ...igw.doc, Attachments: [{ State: "available", VpcId: vpc.id }] } });
    });
  }

  detachGateway(scope: Scope, igwId: string | undefined, vpcId: string | undefined): void {
    const e = this.#e;
    e.deps.store.tx(() => {
      const igw = this.requireGateway(scope, igwId);
      const vpc = e.vpcs.require(scope, vpcId);
      if (igw.vpcId !== vpc.id) throw ec2Error("Gateway.NotAttached", `resource ${igw.id} is not attached to network ${vpc.id}`);
      e.repo.put(scope, { id: igw.id, type: "internet-gateway", vpcId: undefined, doc: { ...igw.doc, Attachments: [] } });
    });
  }

  deleteGateway(scope: Scope, igwId: string | undefined): void {
    const e = this.#e;
    e.deps.store.tx(() => {
      const igw = this.requireGateway(scope, igwId);
      if (igw.vpcId) throw dependencyViolation(`The internetGateway '${igw.id}' has dependencies and cannot be deleted.`);
      e.repo.delete(scope, igw.id);
      e.tags.dropAll(scope, igw.id);
    });
  }

  describeGateways(scope: Scope, input: DescribeInternetGatewaysRequest): InternetGateway[] {
    const e = this.#e;
    e.ensureDefaults(scope);
    for (const id of input.InternetGatewayIds ?? []) this.requireGateway(scope, id);
    let all = e.repo.list<InternetGateway>(scope, "internet-gateway").map((r) => r.doc);
    if (input.InternetGatewayIds?.length) all = all.filter((g) => input.InternetGatewayIds!.includes(g.InternetGatewayId!));
    return applyFilters(
      all,
      input.Filters,
      {
        "internet-gateway-id": (g) => g.InternetGatewayId,
        "attachment.vpc-id": (g) => (g.Attachments ?? []).map((a) => a.VpcId),
        "attachment.state": (g) => (g.Attachments ?? []).map((a) => a.State),
        "owner-id": (g) => g.OwnerId,
      },
      (g) => e.tags.of(scope, g.InternetGatewayId!),
    ).map((g) => this.#presentGateway(scope, g));
  }

  #presentGateway(scope: Scope, igw: InternetGateway): InternetGateway {
    return withTags(igw, this.#e.tags.of(scope, igw.InternetGatewayId!));
  }

  // ---- route tables
  requireRouteTable(scope: Scope, id: string | undefined): Ec2Record<RouteTable> {
    if (!id) throw missingParameter("routeTableId");
    checkId("rtb", id);
    const rec = this.#e.repo.get<RouteTable>(scope, id);
    if (!rec || rec.type !== "route-table") notFound("rtb", id);
    return rec;
  }

  insertRouteTable(scope: Scope, vpcId: string, vpcCidr: string, main: boolean): RouteTable {
    const e = this.#e;
    const id = e.newId("rtb");
    const rt: RouteTable = {
      Associations: main
        ? [{ Main: true, RouteTableAssociationId: e.newId("rtbassoc"), RouteTableId: id, AssociationState: { State: "associated" } }]
        : [],
      PropagatingVgws: [],
      RouteTableId: id,
      Routes: [{ DestinationCidrBlock: vpcCidr, GatewayId: "local", Origin: "CreateRouteTable", State: "active" }],
      VpcId: vpcId,
      OwnerId: scope.accountId,
    };
    e.repo.put(scope, { id, type: "route-table", vpcId, doc: rt });
    return rt;
  }

  routeTablesOf(scope: Scope, vpcId: string): RouteTable[] {
    return this.#e.repo.list<RouteTable>(scope, "route-table", vpcId).map((r) => r.doc);
  }

  #save(scope: Scope, rt: RouteTable): void {
    this.#e.repo.put(scope, { id: rt.RouteTableId!, type: "route-table", vpcId: rt.VpcId, doc: rt });
  }

  createRouteTable(scope: Scope, input: CreateRouteTableRequest): RouteTable {
    const e = this.#e;
    return e.deps.store.tx(() => {
      e.ensureDefaults(scope);
      const vpc = e.vpcs.require(scope, input.VpcId);
      const rt = this.insertRouteTable(scope, vpc.id, vpc.doc.CidrBlock!, false);
      e.tags.applySpecs(scope, rt.RouteTableId!, "route-table", input.TagSpecifications);
      return this.#presentRouteTable(scope, rt);
    });
  }

  deleteRouteTable(scope: Scope, id: string | undefined): void {
    const e = this.#e;
    e.deps.store.tx(() => {
      const rt = this.requireRouteTable(scope, id);
      if (rt.doc.Associations?.length) throw dependencyViolation(`The routeTable '${rt.id}' has dependencies and cannot be deleted.`);
      e.repo.delete(scope, rt.id);
      e.tags.dropAll(scope, rt.id);
    });
  }

  associate(scope: Scope, input: AssociateRouteTableRequest): AssociateRouteTableResult {
    const e = this.#e;
    return e.deps.store.tx(() => {
      const rt = this.requireRouteTable(scope, input.RouteTableId);
      if (!input.SubnetId && !input.GatewayId) throw missingParameter("subnetId");
      const assocId = e.newId("rtbassoc");
      if (input.SubnetId) {
        const subnet = e.subnets.require(scope, input.SubnetId);
        if (subnet.vpcId !== rt.vpcId) throw invalidParameterValue(`Route table ${rt.id} and subnet ${subnet.id} belong to different networks`);
        for (const other of this.routeTablesOf(scope, rt.vpcId!)) {
          if (other.Associations?.some((a) => a.SubnetId === subnet.id)) {
            throw ec2Error("Resource.AlreadyAssociated", `the specified association for route table ${other.RouteTableId} conflicts with an existing association`);
          }
        }
      } else {
        this.requireGateway(scope, input.GatewayId);
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

  disassociate(scope: Scope, associationId: string | undefined): void {
    const e = this.#e;
    e.deps.store.tx(() => {
      if (!associationId) throw missingParameter("associationId");
      for (const rec of e.repo.list<RouteTable>(scope, "route-table")) {
        const a = rec.doc.Associations?.find((x) => x.RouteTableAssociationId === associationId);
        if (!a) continue;
        if (a.Main) throw invalidParameterValue(`cannot disassociate the main route table association ${associationId}`);
        this.#save(scope, { ...rec.doc, Associations: rec.doc.Associations!.filter((x) => x !== a) });
        return;
      }
      notFound("rtbassoc", associationId);
    });
  }

  dropSubnetAssociations(scope: Scope, subnetId: string): void {
    for (const rec of this.#e.repo.list<RouteTable>(scope, "route-table")) {
      const kept = (rec.doc.Associations ?? []).filter((a) => a.SubnetId !== subnetId);
      if (kept.length !== (rec.doc.Associations ?? []).length) this.#save(scope, { ...rec.doc, Associations: kept });
    }
  }

  createRoute(scope: Scope, input: CreateRouteRequest): void {
    const e = this.#e;
    e.deps.store.tx(() => {
      const rt = this.requireRouteTable(scope, input.RouteTableId);
      const dest = input.DestinationCidrBlock ?? input.DestinationIpv6CidrBlock;
      if (!dest) throw missingParameter("destinationCidrBlock");
      const destination = isIpv6Cidr(dest) ? dest : formatCidr(parseCidr(dest, "destinationCidrBlock"));
      const key = (r: Route) => r.DestinationCidrBlock ?? r.DestinationIpv6CidrBlock;
      if (rt.doc.Routes?.some((r) => key(r) === destination)) {
        throw ec2Error("RouteAlreadyExists", `The route identified by ${destination} already exists.`);
      }
      if (input.GatewayId) this.requireGateway(scope, input.GatewayId);
      if (input.NetworkInterfaceId) e.enis.require(scope, input.NetworkInterfaceId);
      const target = {
        ...(input.GatewayId ? { GatewayId: input.GatewayId } : {}),
        ...(input.NatGatewayId ? { NatGatewayId: input.NatGatewayId } : {}),
        ...(input.NetworkInterfaceId ? { NetworkInterfaceId: input.NetworkInterfaceId } : {}),
        ...(input.VpcPeeringConnectionId ? { VpcPeeringConnectionId: input.VpcPeeringConnectionId } : {}),
        ...(input.TransitGatewayId ? { TransitGatewayId: input.TransitGatewayId } : {}),
        ...(input.VpcEndpointId ? { GatewayId: input.VpcEndpointId } : {}),
        ...(input.EgressOnlyInternetGatewayId ? { EgressOnlyInternetGatewayId: input.EgressOnlyInternetGatewayId } : {}),
      };
      if (!Object.keys(target).length) throw missingParameter("gatewayId");
      const route: Route = {
        ...(isIpv6Cidr(destination) ? { DestinationIpv6CidrBlock: destination } : { DestinationCidrBlock: destination }),
        ...target,
        Origin: "CreateRoute",
        State: "active",
      };
      this.#save(scope, { ...rt.doc, Routes: [...(rt.doc.Routes ?? []), route] });
    });
  }

  /** Used by the defaults: 0.0.0.0/0 → igw on the main table. */
  addRoute(scope: Scope, rtId: string, route: Route): void {
    const rt = this.requireRouteTable(scope, rtId);
    this.#save(scope, { ...rt.doc, Routes: [...(rt.doc.Routes ?? []), route] });
  }

  deleteRoute(scope: Scope, input: DeleteRouteRequest): void {
    const e = this.#e;
    e.deps.store.tx(() => {
      const rt = this.requireRouteTable(scope, input.RouteTableId);
      const dest = input.DestinationCidrBlock ?? input.DestinationIpv6CidrBlock;
      if (!dest) throw missingParameter("destinationCidrBlock");
      const routes = rt.doc.Routes ?? [];
      const match = routes.find((r) => (r.DestinationCidrBlock ?? r.DestinationIpv6CidrBlock) === dest);
      if (!match) throw ec2Error("InvalidRoute.NotFound", `no route with destination-cidr-block ${dest} in route table ${rt.id}`);
      if (match.GatewayId === "local") throw invalidParameterValue(`cannot remove local route ${dest} in route table ${rt.id}`);
      this.#save(scope, { ...rt.doc, Routes: routes.filter((r) => r !== match) });
    });
  }

  describeRouteTables(scope: Scope, input: DescribeRouteTablesRequest): RouteTable[] {
    const e = this.#e;
    e.ensureDefaults(scope);
    for (const id of input.RouteTableIds ?? []) this.requireRouteTable(scope, id);
    let all = e.repo.list<RouteTable>(scope, "route-table").map((r) => r.doc);
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
        "route.gateway-id": (r) => routes(r).map((x) => x.GatewayId),
        "route.nat-gateway-id": (r) => routes(r).map((x) => x.NatGatewayId),
        "route.origin": (r) => routes(r).map((x) => x.Origin),
        "route.state": (r) => routes(r).map((x) => x.State),
      },
      (r) => e.tags.of(scope, r.RouteTableId!),
    ).map((r) => this.#presentRouteTable(scope, r));
  }

  #presentRouteTable(scope: Scope, rt: RouteTable): RouteTable {
    return withTags(rt, this.#e.tags.of(scope, rt.RouteTableId!));
  }
}
