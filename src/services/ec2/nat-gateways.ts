/**
 * NAT gateways (https://docs.aws.amazon.com/vpc/latest/userguide/vpc-nat-gateway.html), zonal:
 * `pending` for a second, then `available`; a configuration AWS would refuse (no internet gateway
 * on the VPC, an Elastic IP that is missing or already associated, a full subnet) is not an API
 * error but the `failed` state with AWS's FailureCode and FailureMessage. DeleteNatGateway makes it
 * `deleting` for a second, then `deleted`, listed for an hour as AWS does (Terraform reads
 * `deleted` as gone). A public gateway has an interface in its subnet (InterfaceType natGateway)
 * carrying its Elastic IP; deleting it disassociates the address but never releases it, and the
 * routes that pointed at it turn `blackhole`.
 *
 * States follow the injected clock when read, so nothing runs in the background.
 */
import type { CreateNatGatewayRequest, DescribeNatGatewaysRequest, NatGateway, NatGatewayAddress, Subnet } from "@aws-sdk/client-ec2";
import type { Scope } from "../../core/arn.ts";
import type { Clock } from "../../core/clock.ts";
import type { Ec2Context } from "./context.ts";
import { ec2Error, invalidParameterCombination, invalidParameterValue, missingParameter, notFound, notImplemented } from "./errors.ts";
import { applyFilters } from "./filters.ts";
import type { EniOwner, NetworkInterfaceRequest } from "./network-interfaces.ts";
import type { Ec2Record } from "./repo.ts";
import { requireResource } from "./resources.ts";
import { withTags } from "./tagging.ts";

/** How long a NAT gateway stays `pending` and `deleting`, and how long `deleted`/`failed` ones stay listed. */
export const NAT_PENDING_MS = 1000;
export const NAT_DELETING_MS = 1000;
export const NAT_LISTED_AFTER_MS = 60 * 60 * 1000;

interface NatState {
  createdAt: number;
  deletedAt?: number;
  failed?: boolean;
}
type NatDoc = Omit<NatGateway, "State" | "Tags">;
type NatRecord = Ec2Record<NatDoc, NatState>;

/** What NAT gateways need from the other modules. */
export interface NatParts {
  readonly clock: Clock;
  /** An interface in the subnet (requester-managed), or throws InsufficientFreeAddressesInSubnet. */
  eni(scope: Scope, req: NetworkInterfaceRequest): { NetworkInterfaceId?: string | undefined; PrivateIpAddress?: string | undefined };
  releaseEni(scope: Scope, owner: EniOwner): void;
  /** Whether an internet gateway is attached to the VPC. */
  hasInternetGateway(scope: Scope, vpcId: string): boolean;
  /** The Elastic IP (undefined when unknown) and whether it is associated already. */
  address(scope: Scope, allocationId: string): { publicIp: string; associated: boolean } | undefined;
  /** Associates the address with the NAT gateway's interface; returns the association id. */
  associate(scope: Scope, allocationId: string, eniId: string): string;
}

export class NatGateways {
  readonly #e: Ec2Context;
  readonly #parts: NatParts;
  constructor(ctx: Ec2Context, parts: NatParts) {
    this.#e = ctx;
    this.#parts = parts;
  }

  /** The state now: pending → available, deleting → deleted, by the clock. */
  stateOf(rec: NatRecord): NatGateway["State"] {
    const now = this.#parts.clock.now();
    const s = rec.state;
    if (s.deletedAt !== undefined) return now - s.deletedAt >= NAT_DELETING_MS ? "deleted" : "deleting";
    if (s.failed) return "failed";
    return now - s.createdAt >= NAT_PENDING_MS ? "available" : "pending";
  }

  #records(scope: Scope): NatRecord[] {
    const now = this.#parts.clock.now();
    return this.#e.repo
      .list<NatDoc, NatState>(scope, "natgateway")
      .filter((r) => {
        const gone = r.state.deletedAt ?? (r.state.failed ? r.state.createdAt : undefined);
        return gone === undefined || now - gone < NAT_LISTED_AFTER_MS;
      });
  }

  #get(scope: Scope, id: string): NatRecord | undefined {
    return this.#records(scope).find((r) => r.id === id);
  }

  /** A gateway that is listed (any state), else NatGatewayNotFound. */
  require(scope: Scope, id: string | undefined): NatRecord {
    if (!id) throw missingParameter("NatGatewayId");
    const rec = this.#get(scope, id);
    if (!rec) notFound("nat", id);
    return rec;
  }

  /** The state of a gateway (undefined once no longer listed): routes and reachability read it. */
  state(scope: Scope, id: string): { state: NatGateway["State"]; subnetId: string; vpcId: string; publicIp?: string; connectivity: string } | undefined {
    const rec = this.#get(scope, id);
    if (!rec) return undefined;
    const primary = rec.doc.NatGatewayAddresses?.[0];
    return {
      state: this.stateOf(rec),
      subnetId: rec.doc.SubnetId!,
      vpcId: rec.doc.VpcId!,
      ...(primary?.PublicIp ? { publicIp: primary.PublicIp } : {}),
      connectivity: rec.doc.ConnectivityType ?? "public",
    };
  }

  /** The live (pending or available) gateway holding an Elastic IP. */
  usingAllocation(scope: Scope, allocationId: string): string | undefined {
    return this.#records(scope).find((r) => {
      const st = this.stateOf(r);
      return (st === "pending" || st === "available") && r.doc.NatGatewayAddresses?.some((a) => a.AllocationId === allocationId);
    })?.id;
  }

  /** Live gateways in a subnet (DeleteSubnet refuses while there are). */
  liveInSubnet(scope: Scope, subnetId: string): string[] {
    return this.#records(scope)
      .filter((r) => r.doc.SubnetId === subnetId && (this.stateOf(r) === "pending" || this.stateOf(r) === "available"))
      .map((r) => r.id);
  }

  create(scope: Scope, input: CreateNatGatewayRequest): NatGateway {
    const e = this.#e;
    if (input.AvailabilityMode === "regional" || (input.VpcId && !input.SubnetId)) throw notImplemented("regional NAT gateways (AvailabilityMode regional)");
    if (input.SecondaryAllocationIds?.length || input.SecondaryPrivateIpAddresses?.length || input.SecondaryPrivateIpAddressCount) {
      throw notImplemented("secondary NAT gateway addresses");
    }
    if (input.PrivateIpAddress) throw notImplemented("PrivateIpAddress on NAT gateways (the address is taken from the subnet)");
    if (!input.SubnetId) throw missingParameter("SubnetId");
    const connectivity = input.ConnectivityType ?? "public";
    if (connectivity !== "public" && connectivity !== "private") {
      throw invalidParameterValue(`Value (${connectivity}) for parameter ConnectivityType is invalid. Valid values: public, private.`);
    }
    if (connectivity === "public" && !input.AllocationId) throw missingParameter("AllocationId");
    if (connectivity === "private" && input.AllocationId) {
      throw invalidParameterCombination("An Elastic IP address cannot be specified for a private NAT gateway.");
    }
    return e.store.tx(() => {
      e.ensureDefaults(scope);
      const subnet = requireResource<Subnet>(e.repo, scope, "subnet", input.SubnetId).doc;
      const id = e.newId("nat");
      const now = this.#parts.clock.now();
      const doc: NatDoc = {
        CreateTime: new Date(now),
        NatGatewayAddresses: [],
        NatGatewayId: id,
        SubnetId: subnet.SubnetId,
        VpcId: subnet.VpcId,
        ConnectivityType: connectivity,
      };
      const fail = (code: string, message: string) => {
        e.repo.put(scope, { id, type: "natgateway", vpcId: subnet.VpcId, doc: { ...doc, FailureCode: code, FailureMessage: message }, state: { createdAt: now, failed: true } });
      };
      const allocationId = input.AllocationId;
      const address = allocationId ? this.#parts.address(scope, allocationId) : undefined;
      if (connectivity === "public" && !this.#parts.hasInternetGateway(scope, subnet.VpcId!)) {
        fail("Gateway.NotAttached", `Network ${subnet.VpcId} has no Internet gateway attached`);
      } else if (allocationId && !address) {
        fail("InvalidAllocationID.NotFound", `Elastic IP address ${allocationId} could not be associated with this NAT gateway`);
      } else if (allocationId && (address!.associated || this.usingAllocation(scope, allocationId))) {
        fail("Resource.AlreadyAssociated", `Elastic IP address ${allocationId} is already associated`);
      } else {
        let eni: { NetworkInterfaceId?: string | undefined; PrivateIpAddress?: string | undefined };
        try {
          eni = this.#parts.eni(scope, { owner: { kind: "nat", natGatewayId: id }, subnetId: subnet.SubnetId!, securityGroupIds: [] });
        } catch (err) {
          if ((err as { code?: string }).code !== "InsufficientFreeAddressesInSubnet") throw err;
          eni = {};
        }
        if (!eni.NetworkInterfaceId) {
          fail("InsufficientFreeAddressesInSubnet", "Subnet has insufficient free addresses to create this NAT gateway");
        } else {
          const addr: NatGatewayAddress = {
            NetworkInterfaceId: eni.NetworkInterfaceId,
            PrivateIp: eni.PrivateIpAddress,
            IsPrimary: true,
            Status: "succeeded",
          };
          if (allocationId) {
            addr.AllocationId = allocationId;
            addr.PublicIp = address!.publicIp;
            addr.AssociationId = this.#parts.associate(scope, allocationId, eni.NetworkInterfaceId);
          }
          e.repo.put(scope, { id, type: "natgateway", vpcId: subnet.VpcId, doc: { ...doc, NatGatewayAddresses: [addr] }, state: { createdAt: now } });
        }
      }
      e.tags.applySpecs(scope, id, "natgateway", input.TagSpecifications);
      return this.#present(scope, this.#get(scope, id)!);
    });
  }

  delete(scope: Scope, id: string | undefined): string {
    const e = this.#e;
    return e.store.tx(() => {
      e.ensureDefaults(scope);
      const rec = this.require(scope, id);
      if (rec.state.deletedAt !== undefined) return rec.id;
      this.#parts.releaseEni(scope, { kind: "nat", natGatewayId: rec.id });
      e.repo.put(scope, { id: rec.id, type: "natgateway", vpcId: rec.vpcId, doc: rec.doc, state: { ...rec.state, deletedAt: this.#parts.clock.now() } });
      return rec.id;
    });
  }

  #present(scope: Scope, rec: NatRecord): NatGateway {
    const state = this.stateOf(rec);
    const out: NatGateway = { ...rec.doc, State: state };
    if (rec.state.deletedAt !== undefined) out.DeleteTime = new Date(rec.state.deletedAt);
    if (state === "deleting" || state === "deleted") {
      out.NatGatewayAddresses = (out.NatGatewayAddresses ?? []).map((a) => ({ ...a, Status: state === "deleted" ? "succeeded" : "disassociating" }));
    }
    return withTags(out, this.#e.tags.of(scope, rec.id));
  }

  describe(scope: Scope, input: DescribeNatGatewaysRequest): NatGateway[] {
    const e = this.#e;
    e.ensureDefaults(scope);
    for (const id of input.NatGatewayIds ?? []) this.require(scope, id);
    let all = this.#records(scope);
    if (input.NatGatewayIds?.length) all = all.filter((r) => input.NatGatewayIds!.includes(r.id));
    return applyFilters(
      all,
      input.Filter,
      {
        "nat-gateway-id": (r) => r.id,
        state: (r) => this.stateOf(r),
        "subnet-id": (r) => r.doc.SubnetId,
        "vpc-id": (r) => r.doc.VpcId,
      },
      (r) => e.tags.of(scope, r.id),
    ).map((r) => this.#present(scope, r));
  }
}

export const natNotFound = (id: string) => ec2Error("NatGatewayNotFound", `The Nat Gateway ${id} was not found`);
