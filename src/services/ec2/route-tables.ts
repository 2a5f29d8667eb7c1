/** Route tables: routes, subnet and gateway associations, the main table of each VPC. */
import type {
  AssociateRouteTableRequest,
  AssociateRouteTableResult,
  CreateRouteRequest,
  CreateRouteTableRequest,
  DeleteRouteRequest,
  DescribeRouteTablesRequest,
  Route,
  RouteTable,
  Vpc,
} from "@aws-sdk/client-ec2";
import type { Scope } from "../../core/arn.ts";
import { formatCidr, isIpv6Cidr, parseCidr } from "./cidr.ts";
import type { Ec2Context } from "./context.ts";
import { dependencyViolation, ec2Error, invalidParameterValue, missingParameter, notFound } from "./errors.ts";
import { applyFilters } from "./filters.ts";
import type { Ec2Record } from "./repo.ts";
import { requireResource } from "./resources.ts";
import { withTags } from "./tagging.ts";

export class RouteTables {
  readonly #e: Ec2Context;
  constructor(ctx: Ec2Context) {
    this.#e = ctx;
  }

  require(scope: Scope, id: string | undefined): Ec2Record<RouteTable> {
    return requireResource<RouteTable>(this.#e.repo, scope, "route-table", id);
  }

  insert(scope: Scope, vpcId: string, vpcCidr: string, main: boolean): RouteTable {
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

  ofVpc(scope: Scope, vpcId: string): RouteTable[] {
    return this.#e.repo.list<RouteTable>(scope, "route-table", vpcId).map((r) => r.doc);
  }

  #save(scope: Scope, rt: RouteTable): void {
    this.#e.repo.put(scope, { id: rt.RouteTableId!, type: "route-table", vpcId: rt.VpcId, doc: rt });
  }

  create(scope: Scope, input: CreateRouteTableRequest): RouteTable {
    const e = this.#e;
    return e.store.tx(() => {
      e.ensureDefaults(scope);
      const vpc = requireResource<Vpc>(e.repo, scope, "vpc", input.VpcId);
      const rt = this.insert(scope, vpc.id, vpc.doc.CidrBlock!, false);
      e.tags.applySpecs(scope, rt.RouteTableId!, "route-table", input.TagSpecifications);
      return this.#present(scope, rt);
    });
  }

  delete(scope: Scope, id: string | undefined): void {
    const e = this.#e;
    e.store.tx(() => {
      const rt = this.require(scope, id);
      if (rt.doc.Associations?.length) throw dependencyViolation(`The routeTable '${rt.id}' has dependencies and cannot be deleted.`);
      e.repo.delete(scope, rt.id);
      e.tags.dropAll(scope, rt.id);
    });
  }

  associate(scope: Scope, input: AssociateRouteTableRequest): AssociateRouteTableResult {
    const e = this.#e;
    return e.store.tx(() => {
      const rt = this.require(scope, input.RouteTableId);
      if (!input.SubnetId && !input.GatewayId) throw missingParameter("subnetId");
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

  disassociate(scope: Scope, associationId: string | undefined): void {
    const e = this.#e;
    e.store.tx(() => {
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
    e.store.tx(() => {
      const rt = this.require(scope, input.RouteTableId);
      const dest = input.DestinationCidrBlock ?? input.DestinationIpv6CidrBlock;
      if (!dest) throw missingParameter("destinationCidrBlock");
      const destination = isIpv6Cidr(dest) ? dest : formatCidr(parseCidr(dest, "destinationCidrBlock"));
      const key = (r: Route) => r.DestinationCidrBlock ?? r.DestinationIpv6CidrBlock;
      if (rt.doc.Routes?.some((r) => key(r) === destination)) {
        throw ec2Error("RouteAlreadyExists", `The route identified by ${destination} already exists.`);
      }
      if (input.GatewayId) requireResource(this.#e.repo, scope, "internet-gateway", input.GatewayId);
      if (input.NetworkInterfaceId) requireResource(e.repo, scope, "network-interface", input.NetworkInterfaceId);
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
    const rt = this.require(scope, rtId);
    this.#save(scope, { ...rt.doc, Routes: [...(rt.doc.Routes ?? []), route] });
  }

  deleteRoute(scope: Scope, input: DeleteRouteRequest): void {
    const e = this.#e;
    e.store.tx(() => {
      const rt = this.require(scope, input.RouteTableId);
      const dest = input.DestinationCidrBlock ?? input.DestinationIpv6CidrBlock;
      if (!dest) throw missingParameter("destinationCidrBlock");
      const routes = rt.doc.Routes ?? [];
      const match = routes.find((r) => (r.DestinationCidrBlock ?? r.DestinationIpv6CidrBlock) === dest);
      if (!match) throw ec2Error("InvalidRoute.NotFound", `no route with destination-cidr-block ${dest} in route table ${rt.id}`);
      if (match.GatewayId === "local") throw invalidParameterValue(`cannot remove local route ${dest} in route table ${rt.id}`);
      this.#save(scope, { ...rt.doc, Routes: routes.filter((r) => r !== match) });
    });
  }

  describe(scope: Scope, input: DescribeRouteTablesRequest): RouteTable[] {
    const e = this.#e;
    e.ensureDefaults(scope);
    for (const id of input.RouteTableIds ?? []) this.require(scope, id);
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
    ).map((r) => this.#present(scope, r));
  }

  #present(scope: Scope, rt: RouteTable): RouteTable {
    return withTags(rt, this.#e.tags.of(scope, rt.RouteTableId!));
  }
}
