/**
 * Elastic IP addresses (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/elastic-ip-addresses-eip.html):
 * allocate, associate with a network interface, disassociate, release, describe. Public addresses
 * (these and the ones tasks get with `assignPublicIp: ENABLED`) come from 198.18.0.0/15, a block
 * reserved for benchmarking (RFC 2544) that no real network routes, so no address Slipway shows
 * as public can be mistaken for a real one. Five per region, as the account attributes say.
 */
import type {
  Address,
  AllocateAddressRequest,
  AllocateAddressResult,
  AssociateAddressRequest,
  DescribeAddressesRequest,
  DisassociateAddressRequest,
  NetworkInterface,
  ReleaseAddressRequest,
} from "@aws-sdk/client-ec2";
import type { Scope } from "../../core/arn.ts";
import { formatIp, parseIp } from "./cidr.ts";
import type { Ec2Context } from "./context.ts";
import { ec2Error, invalidParameterCombination, invalidParameterValue, missingParameter, notFound, notImplemented } from "./errors.ts";
import { applyFilters } from "./filters.ts";
import { publicDnsName } from "./network-interfaces.ts";
import type { Ec2Record } from "./repo.ts";
import { requireResource } from "./resources.ts";
import { withTags } from "./tagging.ts";

/** 198.18.0.0/15: the first and last addresses are never handed out. */
const POOL_BASE = parseIp("198.18.0.0")!;
const POOL_SIZE = 2 ** 17;
export const MAX_ELASTIC_IPS = 5;

/** What Elastic IPs need from the network-interface module. */
export interface AddressParts {
  /** Sets or clears the ENI's public association (the primary address unless `privateIp`). */
  setAssociation(scope: Scope, eniId: string, association: NetworkInterface["Association"] | undefined, privateIp?: string): void;
  /** Every ENI of the scope. */
  enis(scope: Scope): NetworkInterface[];
  /** The NAT gateway that holds this allocation, if any (its address cannot be moved or released). */
  natGatewayUsing(scope: Scope, allocationId: string): string | undefined;
}

export class Addresses {
  readonly #e: Ec2Context;
  readonly #parts: AddressParts;
  constructor(ctx: Ec2Context, parts: AddressParts) {
    this.#e = ctx;
    this.#parts = parts;
  }

  require(scope: Scope, id: string | undefined): Ec2Record<Address> {
    if (!id) throw missingParameter("AllocationId");
    const rec = this.#e.repo.get<Address>(scope, id);
    if (!rec || rec.type !== "elastic-ip") notFound("eipalloc", id);
    return rec;
  }

  all(scope: Scope): Address[] {
    return this.#e.repo.list<Address>(scope, "elastic-ip").map((r) => r.doc);
  }

  /** The lowest free public address of the scope. */
  allocatePublicIp(scope: Scope): string {
    const used = new Set<string>();
    for (const a of this.all(scope)) if (a.PublicIp) used.add(a.PublicIp);
    for (const n of this.#parts.enis(scope)) {
      if (n.Association?.PublicIp) used.add(n.Association.PublicIp);
    }
    for (let i = 1; i < POOL_SIZE - 1; i++) {
      const ip = formatIp(POOL_BASE + i);
      if (!used.has(ip)) return ip;
    }
    throw ec2Error("InsufficientAddressCapacity", "There are no more public addresses in Slipway's pool (198.18.0.0/15).");
  }

  allocate(scope: Scope, input: AllocateAddressRequest): AllocateAddressResult {
    const e = this.#e;
    if (input.Domain && input.Domain !== "vpc") throw invalidParameterValue(`Value (${input.Domain}) for parameter domain is invalid. Only 'vpc' is supported.`);
    if (input.Address) throw notImplemented("Address (recovering a specific Elastic IP address)");
    if (input.CustomerOwnedIpv4Pool || input.IpamPoolId) throw notImplemented("customer-owned and IPAM address pools");
    if (input.PublicIpv4Pool && input.PublicIpv4Pool !== "amazon") throw notImplemented(`PublicIpv4Pool ${input.PublicIpv4Pool}`, "only 'amazon'");
    if (input.NetworkBorderGroup && input.NetworkBorderGroup !== scope.region) {
      throw invalidParameterValue(`The network border group '${input.NetworkBorderGroup}' is not valid in region ${scope.region}.`);
    }
    return e.store.tx(() => {
      e.ensureDefaults(scope);
      if (this.all(scope).length >= MAX_ELASTIC_IPS) throw ec2Error("AddressLimitExceeded", "The maximum number of addresses has been reached.");
      const id = e.newId("eipalloc");
      const doc: Address = {
        AllocationId: id,
        PublicIp: this.allocatePublicIp(scope),
        Domain: "vpc",
        PublicIpv4Pool: "amazon",
        NetworkBorderGroup: scope.region,
      };
      e.repo.put(scope, { id, type: "elastic-ip", vpcId: undefined, doc });
      e.tags.applySpecs(scope, id, "elastic-ip", input.TagSpecifications);
      return { AllocationId: id, PublicIp: doc.PublicIp, Domain: "vpc", PublicIpv4Pool: "amazon", NetworkBorderGroup: scope.region };
    });
  }

  /** By AllocationId, else by PublicIp. */
  #find(scope: Scope, allocationId: string | undefined, publicIp: string | undefined): Ec2Record<Address> {
    if (allocationId) return this.require(scope, allocationId);
    if (!publicIp) throw missingParameter("AllocationId");
    const rec = this.#e.repo.list<Address>(scope, "elastic-ip").find((r) => r.doc.PublicIp === publicIp);
    if (!rec) throw ec2Error("InvalidAddress.NotFound", `Address '${publicIp}' not found.`);
    return rec;
  }

  associate(scope: Scope, input: AssociateAddressRequest): string {
    const e = this.#e;
    if (input.InstanceId && input.NetworkInterfaceId) {
      throw invalidParameterCombination("You may specify either an instance or a network interface, but not both.");
    }
    if (input.InstanceId) notFound("i", input.InstanceId);
    if (!input.NetworkInterfaceId) throw missingParameter("NetworkInterfaceId");
    return e.store.tx(() => {
      e.ensureDefaults(scope);
      const rec = this.#find(scope, input.AllocationId, input.PublicIp);
      const eni = requireResource<NetworkInterface>(e.repo, scope, "network-interface", input.NetworkInterfaceId);
      const privateIp = input.PrivateIpAddress ?? eni.doc.PrivateIpAddress!;
      if (!(eni.doc.PrivateIpAddresses ?? []).some((a) => a.PrivateIpAddress === privateIp)) {
        throw invalidParameterValue(`The private IP address ${privateIp} is not associated with the network interface ${eni.id}.`);
      }
      const nat = this.#parts.natGatewayUsing(scope, rec.id);
      if (nat) throw ec2Error("Resource.AlreadyAssociated", `resource ${rec.id} is already associated with ${nat}`);
      if (rec.doc.AssociationId && input.AllowReassociation === false) {
        throw ec2Error("Resource.AlreadyAssociated", `resource ${rec.id} is already associated with associate-id ${rec.doc.AssociationId}`);
      }
      const target = (eni.doc.PrivateIpAddresses ?? []).find((a) => a.PrivateIpAddress === privateIp);
      if (target?.Association?.PublicIp && target.Association.AllocationId !== rec.id) {
        if (input.AllowReassociation === false || !target.Association.AllocationId) {
          throw ec2Error("Resource.AlreadyAssociated", `the address ${privateIp} of ${eni.id} already has a public address (${target.Association.PublicIp})`);
        }
        this.#disassociate(scope, this.require(scope, target.Association.AllocationId));
      }
      if (rec.doc.AssociationId) this.#disassociate(scope, this.#e.repo.get<Address>(scope, rec.id)!);
      const associationId = e.newId("eipassoc");
      this.#put(scope, {
        ...this.#e.repo.get<Address>(scope, rec.id)!.doc,
        AssociationId: associationId,
        NetworkInterfaceId: eni.id,
        NetworkInterfaceOwnerId: scope.accountId,
        PrivateIpAddress: privateIp,
      });
      this.#parts.setAssociation(
        scope,
        eni.id,
        {
          AllocationId: rec.id,
          AssociationId: associationId,
          IpOwnerId: scope.accountId,
          PublicDnsName: publicDnsName(scope.region, rec.doc.PublicIp!),
          PublicIp: rec.doc.PublicIp,
        },
        privateIp,
      );
      return associationId;
    });
  }

  #put(scope: Scope, doc: Address): void {
    this.#e.repo.put(scope, { id: doc.AllocationId!, type: "elastic-ip", vpcId: undefined, doc });
  }

  #disassociate(scope: Scope, rec: Ec2Record<Address>): void {
    const { AssociationId: _a, NetworkInterfaceId: eniId, NetworkInterfaceOwnerId: _o, PrivateIpAddress: privateIp, ...rest } = rec.doc;
    this.#put(scope, rest);
    if (eniId && this.#e.repo.get(scope, eniId)) this.#parts.setAssociation(scope, eniId, undefined, privateIp);
  }

  /** Used by NAT gateways (which own their association) and by ENI deletion. */
  disassociateByAllocation(scope: Scope, allocationId: string): void {
    const rec = this.#e.repo.get<Address>(scope, allocationId);
    if (rec?.type === "elastic-ip" && rec.doc.AssociationId) this.#disassociate(scope, rec);
  }

  /** The association id a NAT gateway gets when it takes this address on its ENI. */
  associateForNat(scope: Scope, allocationId: string, eni: NetworkInterface): string {
    const rec = this.require(scope, allocationId);
    const associationId = this.#e.newId("eipassoc");
    this.#put(scope, {
      ...rec.doc,
      AssociationId: associationId,
      NetworkInterfaceId: eni.NetworkInterfaceId,
      NetworkInterfaceOwnerId: scope.accountId,
      PrivateIpAddress: eni.PrivateIpAddress,
    });
    this.#parts.setAssociation(scope, eni.NetworkInterfaceId!, {
      AllocationId: allocationId,
      AssociationId: associationId,
      IpOwnerId: scope.accountId,
      PublicDnsName: publicDnsName(scope.region, rec.doc.PublicIp!),
      PublicIp: rec.doc.PublicIp,
    });
    return associationId;
  }

  disassociate(scope: Scope, input: DisassociateAddressRequest): void {
    const e = this.#e;
    e.store.tx(() => {
      e.ensureDefaults(scope);
      let rec: Ec2Record<Address> | undefined;
      if (input.AssociationId) {
        rec = e.repo.list<Address>(scope, "elastic-ip").find((r) => r.doc.AssociationId === input.AssociationId);
        if (!rec) notFound("eipassoc", input.AssociationId);
      } else if (input.PublicIp) {
        rec = this.#find(scope, undefined, input.PublicIp);
        if (!rec.doc.AssociationId) return;
      } else {
        throw missingParameter("AssociationId");
      }
      const nat = this.#parts.natGatewayUsing(scope, rec.id);
      if (nat) throw ec2Error("InvalidIPAddress.InUse", `The address ${rec.doc.PublicIp} is in use by ${nat} and cannot be disassociated.`);
      this.#disassociate(scope, rec);
    });
  }

  release(scope: Scope, input: ReleaseAddressRequest): void {
    const e = this.#e;
    e.store.tx(() => {
      e.ensureDefaults(scope);
      const rec = this.#find(scope, input.AllocationId, input.PublicIp);
      const nat = this.#parts.natGatewayUsing(scope, rec.id);
      if (nat || rec.doc.AssociationId) {
        throw ec2Error("InvalidIPAddress.InUse", `The address with allocation id [${rec.id}] is in use${nat ? ` by ${nat}` : ""}.`);
      }
      e.repo.delete(scope, rec.id);
      e.tags.dropAll(scope, rec.id);
    });
  }

  present(scope: Scope, a: Address): Address {
    return withTags(a, this.#e.tags.of(scope, a.AllocationId!));
  }

  describe(scope: Scope, input: DescribeAddressesRequest): Address[] {
    const e = this.#e;
    e.ensureDefaults(scope);
    let all = this.all(scope);
    for (const id of input.AllocationIds ?? []) this.require(scope, id);
    for (const ip of input.PublicIps ?? []) this.#find(scope, undefined, ip);
    if (input.AllocationIds?.length) all = all.filter((a) => input.AllocationIds!.includes(a.AllocationId!));
    if (input.PublicIps?.length) all = all.filter((a) => input.PublicIps!.includes(a.PublicIp!));
    return applyFilters(
      all,
      input.Filters,
      {
        "allocation-id": (a) => a.AllocationId,
        "association-id": (a) => a.AssociationId,
        domain: (a) => a.Domain,
        "instance-id": (a) => a.InstanceId,
        "network-border-group": (a) => a.NetworkBorderGroup,
        "network-interface-id": (a) => a.NetworkInterfaceId,
        "network-interface-owner-id": (a) => a.NetworkInterfaceOwnerId,
        "private-ip-address": (a) => a.PrivateIpAddress,
        "public-ip": (a) => a.PublicIp,
        "public-ipv4-pool": (a) => a.PublicIpv4Pool,
      },
      (a) => e.tags.of(scope, a.AllocationId!),
    ).map((a) => this.present(scope, a));
  }
}
