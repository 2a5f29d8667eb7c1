/**
 * VPC endpoints (https://docs.aws.amazon.com/vpc/latest/privatelink/create-interface-endpoint.html,
 * https://docs.aws.amazon.com/vpc/latest/privatelink/gateway-endpoints.html) and the AWS services
 * they reach (DescribeVpcEndpointServices).
 *
 * Interface endpoints get one requester-managed interface per subnet (one subnet per zone), with
 * the endpoint's security groups (the VPC's default group when none is given); with private DNS,
 * the service's own name resolves to those interfaces inside the VPC, which needs the VPC's
 * enableDnsSupport and enableDnsHostnames. Gateway endpoints (S3, DynamoDB) add a route to the
 * service's AWS-managed prefix list in each of their route tables. An endpoint is `pending` for a
 * second, then `available`; deleting makes it `deleting` for a second, then it is gone. States
 * follow the injected clock when read.
 */
import type {
  CreateVpcEndpointRequest,
  DescribeVpcEndpointServicesRequest,
  DescribeVpcEndpointsRequest,
  DnsEntry,
  ModifyVpcEndpointRequest,
  ServiceDetail,
  Subnet,
  UnsuccessfulItem,
  VpcEndpoint,
} from "@aws-sdk/client-ec2";
import { createHash } from "node:crypto";
import type { Scope } from "../../core/arn.ts";
import type { Clock } from "../../core/clock.ts";
import type { Ec2Context } from "./context.ts";
import { ec2Error, invalidParameter, missingParameter, notFound, notFoundError, notImplemented } from "./errors.ts";
import { applyFilters } from "./filters.ts";
import type { EniOwner, NetworkInterfaceRequest } from "./network-interfaces.ts";
import { awsPrefixListId } from "./prefix-lists.ts";
import type { Ec2Record } from "./repo.ts";
import { requireResource } from "./resources.ts";
import { withTags } from "./tagging.ts";
import { zones } from "./zones.ts";

export const ENDPOINT_PENDING_MS = 1000;
export const ENDPOINT_DELETING_MS = 1000;

/** The services Slipway offers endpoints for: short name → types and (interface) private DNS name. */
const SERVICES: Readonly<Record<string, { interface: boolean; gateway: boolean; dns?: (r: string) => string }>> = {
  "ecr.api": { interface: true, gateway: false, dns: (r) => `api.ecr.${r}.amazonaws.com` },
  "ecr.dkr": { interface: true, gateway: false, dns: (r) => `*.dkr.ecr.${r}.amazonaws.com` },
  logs: { interface: true, gateway: false, dns: (r) => `logs.${r}.amazonaws.com` },
  secretsmanager: { interface: true, gateway: false, dns: (r) => `secretsmanager.${r}.amazonaws.com` },
  ssm: { interface: true, gateway: false, dns: (r) => `ssm.${r}.amazonaws.com` },
  ssmmessages: { interface: true, gateway: false, dns: (r) => `ssmmessages.${r}.amazonaws.com` },
  ec2messages: { interface: true, gateway: false, dns: (r) => `ec2messages.${r}.amazonaws.com` },
  kms: { interface: true, gateway: false, dns: (r) => `kms.${r}.amazonaws.com` },
  sts: { interface: true, gateway: false, dns: (r) => `sts.${r}.amazonaws.com` },
  ecs: { interface: true, gateway: false, dns: (r) => `ecs.${r}.amazonaws.com` },
  "ecs-agent": { interface: true, gateway: false, dns: (r) => `ecs-a.${r}.amazonaws.com` },
  "ecs-telemetry": { interface: true, gateway: false, dns: (r) => `ecs-t.${r}.amazonaws.com` },
  elasticloadbalancing: { interface: true, gateway: false, dns: (r) => `elasticloadbalancing.${r}.amazonaws.com` },
  ec2: { interface: true, gateway: false, dns: (r) => `ec2.${r}.amazonaws.com` },
  monitoring: { interface: true, gateway: false, dns: (r) => `monitoring.${r}.amazonaws.com` },
  s3: { interface: true, gateway: true, dns: (r) => `*.s3.${r}.amazonaws.com` },
  dynamodb: { interface: false, gateway: true },
};

/** `com.amazonaws.REGION.SHORT` → SHORT, for a service of this region, else undefined. */
export function serviceShortName(region: string, serviceName: string): string | undefined {
  const prefix = `com.amazonaws.${region}.`;
  if (!serviceName.startsWith(prefix)) return undefined;
  const short = serviceName.slice(prefix.length);
  return SERVICES[short] ? short : undefined;
}

interface EndpointState {
  createdAt: number;
  deletedAt?: number;
}
type EndpointDoc = Omit<VpcEndpoint, "State" | "Tags">;
type EndpointRecord = Ec2Record<EndpointDoc, EndpointState>;

const DEFAULT_POLICY = JSON.stringify({ Version: "2008-10-17", Statement: [{ Effect: "Allow", Principal: "*", Action: "*", Resource: "*" }] });

/** What endpoints need from the other modules. */
export interface EndpointParts {
  readonly clock: Clock;
  eni(scope: Scope, req: NetworkInterfaceRequest): { NetworkInterfaceId?: string | undefined };
  releaseEni(scope: Scope, owner: EniOwner, keepSubnetIds?: readonly string[]): void;
  /** The VPC's DNS attributes (private DNS needs both). */
  dnsAttributes(scope: Scope, vpcId: string): { support: boolean; hostnames: boolean };
  defaultSecurityGroupId(scope: Scope, vpcId: string): string;
  /** Adds the gateway endpoint's prefix-list route to a route table of the VPC (RouteAlreadyExists when taken). */
  addRoute(scope: Scope, routeTableId: string, vpcId: string, prefixListId: string, endpointId: string): void;
  removeRoute(scope: Scope, routeTableId: string, prefixListId: string, endpointId: string): void;
  /** A random lower-case suffix for the endpoint's DNS names. */
  suffix(): string;
  /** A setting stored but not applied (a custom endpoint policy). */
  warn(msg: string): void;
}

export class VpcEndpoints {
  readonly #e: Ec2Context;
  readonly #parts: EndpointParts;
  constructor(ctx: Ec2Context, parts: EndpointParts) {
    this.#e = ctx;
    this.#parts = parts;
  }

  /** On the wire AWS spells endpoint states in lower case ("available"), whatever the model's enum says. */
  stateOf(rec: EndpointRecord): VpcEndpoint["State"] {
    const now = this.#parts.clock.now();
    const s = rec.state.deletedAt !== undefined ? "deleting" : now - rec.state.createdAt >= ENDPOINT_PENDING_MS ? "available" : "pending";
    return s as VpcEndpoint["State"];
  }

  /** Listed endpoints: a deleted one stays `deleting` for ENDPOINT_DELETING_MS, then is gone. */
  #records(scope: Scope): EndpointRecord[] {
    const now = this.#parts.clock.now();
    return this.#e.repo
      .list<EndpointDoc, EndpointState>(scope, "vpc-endpoint")
      .filter((r) => r.state.deletedAt === undefined || now - r.state.deletedAt < ENDPOINT_DELETING_MS);
  }

  /** Every live (not deleting) endpoint of a VPC (reachability, VPC deletion). */
  ofVpc(scope: Scope, vpcId: string): (VpcEndpoint & { State: VpcEndpoint["State"] })[] {
    return this.#records(scope)
      .filter((r) => r.vpcId === vpcId && r.state.deletedAt === undefined)
      .map((r) => ({ ...r.doc, State: this.stateOf(r) }));
  }

  /** Route tables with one of this endpoint's routes (a deleted route table drops it). */
  dropRouteTable(scope: Scope, routeTableId: string): void {
    for (const r of this.#records(scope)) {
      if (!r.doc.RouteTableIds?.includes(routeTableId)) continue;
      this.#put(scope, r, { ...r.doc, RouteTableIds: r.doc.RouteTableIds.filter((x) => x !== routeTableId) });
    }
  }

  #put(scope: Scope, rec: EndpointRecord, doc: EndpointDoc, state: EndpointState = rec.state): void {
    this.#e.repo.put(scope, { id: rec.id, type: "vpc-endpoint", vpcId: rec.vpcId, doc, state });
  }

  require(scope: Scope, id: string | undefined): EndpointRecord {
    if (!id) throw missingParameter("VpcEndpointId");
    const rec = this.#records(scope).find((r) => r.id === id);
    if (!rec) notFound("vpce", id);
    return rec;
  }

  #service(scope: Scope, name: string | undefined): string {
    if (!name) throw missingParameter("ServiceName");
    const short = serviceShortName(scope.region, name);
    if (!short) throw ec2Error("InvalidServiceName", `The Vpc Endpoint Service '${name}' does not exist`);
    return short;
  }

  #subnets(scope: Scope, vpcId: string, ids: readonly string[], existing: readonly string[] = []): Subnet[] {
    const e = this.#e;
    const subnets = ids.map((id) => requireResource<Subnet>(e.repo, scope, "subnet", id).doc);
    for (const s of subnets) {
      if (s.VpcId !== vpcId) throw invalidParameter(`The subnet ${s.SubnetId} does not belong to ${vpcId}.`);
    }
    const zonesSeen = new Map<string, string>();
    for (const id of existing) {
      const s = e.repo.get<Subnet>(scope, id)?.doc;
      if (s?.AvailabilityZone) zonesSeen.set(s.AvailabilityZone, id);
    }
    for (const s of subnets) {
      if (zonesSeen.has(s.AvailabilityZone!) && zonesSeen.get(s.AvailabilityZone!) !== s.SubnetId) {
        throw ec2Error(
          "DuplicateSubnetsInSameZone",
          `Found another VPC endpoint subnet in the availability zone of ${s.SubnetId}. VPC endpoint subnets should be in different availability zones supported by the VPC endpoint service.`,
        );
      }
      zonesSeen.set(s.AvailabilityZone!, s.SubnetId!);
    }
    return subnets;
  }

  #checkPrivateDns(scope: Scope, vpcId: string, short: string, selfId?: string): void {
    const dns = this.#parts.dnsAttributes(scope, vpcId);
    if (!dns.support || !dns.hostnames) {
      throw invalidParameter(`Enabling private DNS requires both enableDnsSupport and enableDnsHostnames VPC attributes set to true for ${vpcId}`);
    }
    const name = SERVICES[short]!.dns!(scope.region);
    const clash = this.ofVpc(scope, vpcId).find(
      (x) => x.VpcEndpointId !== selfId && x.PrivateDnsEnabled && x.ServiceName === `com.amazonaws.${scope.region}.${short}` && x.VpcEndpointType === "Interface",
    );
    if (clash) {
      throw invalidParameter(`private-dns-enabled cannot be set because there is already a conflicting DNS domain for ${name} in the VPC ${vpcId}`);
    }
  }

  create(scope: Scope, input: CreateVpcEndpointRequest): VpcEndpoint {
    const e = this.#e;
    if (!input.VpcId) throw missingParameter("VpcId");
    const type = input.VpcEndpointType ?? "Gateway";
    if (type !== "Gateway" && type !== "Interface") throw notImplemented(`VpcEndpointType ${type}`, "only Interface and Gateway");
    if (input.IpAddressType && input.IpAddressType !== "ipv4") throw notImplemented(`IpAddressType ${input.IpAddressType}`, "IPv6 is out of scope");
    if (input.SubnetConfigurations?.length) throw notImplemented("SubnetConfigurations (chosen endpoint addresses)");
    if (input.ServiceNetworkArn || input.ResourceConfigurationArn) throw notImplemented("service-network and resource endpoints");
    return e.store.tx(() => {
      e.ensureDefaults(scope);
      const vpc = requireResource(e.repo, scope, "vpc", input.VpcId);
      const short = this.#service(scope, input.ServiceName);
      const svc = SERVICES[short]!;
      const available = [svc.interface ? "Interface" : undefined, svc.gateway ? "Gateway" : undefined].filter(Boolean);
      if ((type === "Gateway" && !svc.gateway) || (type === "Interface" && !svc.interface)) {
        throw invalidParameter(`Endpoint type (${type}) does not match available service types ([${available.join(", ")}]).`);
      }
      if (input.PolicyDocument !== undefined) {
        try {
          JSON.parse(input.PolicyDocument);
        } catch {
          throw ec2Error("MalformedPolicyDocument", "The policy document is not valid JSON.");
        }
        if (input.PolicyDocument !== DEFAULT_POLICY) this.#parts.warn(`VPC endpoint for ${input.ServiceName}: its policy is stored but not enforced (Slipway enforces no IAM policies yet)`);
      }
      const id = e.newId("vpce");
      const now = this.#parts.clock.now();
      const base: EndpointDoc = {
        VpcEndpointId: id,
        VpcEndpointType: type,
        VpcId: vpc.id,
        ServiceName: input.ServiceName,
        PolicyDocument: input.PolicyDocument ?? DEFAULT_POLICY,
        RouteTableIds: [],
        SubnetIds: [],
        Groups: [],
        IpAddressType: "ipv4",
        DnsOptions: { DnsRecordIpType: type === "Interface" ? "ipv4" : "service-defined" },
        PrivateDnsEnabled: false,
        RequesterManaged: false,
        NetworkInterfaceIds: [],
        DnsEntries: [],
        CreationTimestamp: new Date(now),
        OwnerId: scope.accountId,
      };
      const rec: EndpointRecord = { id, type: "vpc-endpoint", vpcId: vpc.id, doc: base, state: { createdAt: now } };
      if (type === "Gateway") {
        if (input.SubnetIds?.length || input.SecurityGroupIds?.length) throw invalidParameter("Subnets and security groups are only supported for Interface type VPC Endpoints.");
        if (input.PrivateDnsEnabled) throw invalidParameter("Private DNS is only supported for Interface type VPC Endpoints.");
        const pl = awsPrefixListId(scope.region, short);
        for (const rt of new Set(input.RouteTableIds ?? [])) this.#parts.addRoute(scope, rt, vpc.id, pl, id);
        base.RouteTableIds = [...new Set(input.RouteTableIds ?? [])];
        base.DnsEntries = [];
      } else {
        if (input.RouteTableIds?.length) throw invalidParameter("Route table IDs are only supported for Gateway type VPC Endpoints.");
        const privateDns = input.PrivateDnsEnabled ?? true;
        if (privateDns) this.#checkPrivateDns(scope, vpc.id, short);
        const subnets = this.#subnets(scope, vpc.id, [...new Set(input.SubnetIds ?? [])]);
        const groupIds = input.SecurityGroupIds?.length ? [...new Set(input.SecurityGroupIds)] : [this.#parts.defaultSecurityGroupId(scope, vpc.id)];
        base.PrivateDnsEnabled = privateDns;
        base.SubnetIds = subnets.map((s) => s.SubnetId!);
        // Each ENI checks its groups (they must exist and be in the VPC).
        base.NetworkInterfaceIds = subnets.map(
          (s) => this.#parts.eni(scope, { owner: { kind: "vpce", vpcEndpointId: id }, subnetId: s.SubnetId!, securityGroupIds: groupIds }).NetworkInterfaceId!,
        );
        base.Groups = groupIds.map((g) => ({ GroupId: g, GroupName: e.repo.get<{ GroupName?: string }>(scope, g)?.doc.GroupName }));
        base.DnsEntries = this.#dnsEntries(scope, id, short, subnets, privateDns, this.#parts.suffix());
      }
      e.repo.put(scope, { ...rec, doc: base });
      e.tags.applySpecs(scope, id, "vpc-endpoint", input.TagSpecifications);
      return this.#present(scope, this.require(scope, id));
    });
  }

  #dnsEntries(scope: Scope, id: string, short: string, subnets: readonly Subnet[], privateDns: boolean, suffix: string): DnsEntry[] {
    const zone = "Z7HUB22UULQXV";
    const base = `${id}-${suffix}.${short}.${scope.region}.vpce.amazonaws.com`;
    return [
      { DnsName: base, HostedZoneId: zone },
      ...subnets.map((s) => ({ DnsName: `${id}-${suffix}-${s.AvailabilityZone}.${short}.${scope.region}.vpce.amazonaws.com`, HostedZoneId: zone })),
      ...(privateDns && SERVICES[short]!.dns ? [{ DnsName: SERVICES[short]!.dns!(scope.region), HostedZoneId: "ZPRIVATEDNSSLIPWAY" }] : []),
    ];
  }

  modify(scope: Scope, input: ModifyVpcEndpointRequest): void {
    const e = this.#e;
    if (input.AddSubnetIds?.length && input.SubnetConfigurations?.length) throw notImplemented("SubnetConfigurations");
    if (input.IpAddressType && input.IpAddressType !== "ipv4") throw notImplemented(`IpAddressType ${input.IpAddressType}`);
    e.store.tx(() => {
      const rec = this.require(scope, input.VpcEndpointId);
      if (rec.state.deletedAt !== undefined) throw invalidParameter(`The VPC endpoint ${rec.id} is being deleted.`);
      const doc: EndpointDoc = { ...rec.doc };
      const short = serviceShortName(scope.region, doc.ServiceName!)!;
      if (input.ResetPolicy) doc.PolicyDocument = DEFAULT_POLICY;
      if (input.PolicyDocument !== undefined) {
        doc.PolicyDocument = input.PolicyDocument;
        this.#parts.warn(`VPC endpoint ${rec.id}: its policy is stored but not enforced (Slipway enforces no IAM policies yet)`);
      }
      if (doc.VpcEndpointType === "Gateway") {
        if (input.AddSubnetIds?.length || input.AddSecurityGroupIds?.length || input.PrivateDnsEnabled) {
          throw invalidParameter("Subnets, security groups and private DNS are only supported for Interface type VPC Endpoints.");
        }
        const pl = awsPrefixListId(scope.region, short);
        let tables = [...(doc.RouteTableIds ?? [])];
        for (const rt of input.RemoveRouteTableIds ?? []) {
          if (!tables.includes(rt)) continue;
          this.#parts.removeRoute(scope, rt, pl, rec.id);
          tables = tables.filter((x) => x !== rt);
        }
        for (const rt of input.AddRouteTableIds ?? []) {
          if (tables.includes(rt)) continue;
          this.#parts.addRoute(scope, rt, rec.vpcId!, pl, rec.id);
          tables.push(rt);
        }
        doc.RouteTableIds = tables;
      } else {
        if (input.AddRouteTableIds?.length) throw invalidParameter("Route table IDs are only supported for Gateway type VPC Endpoints.");
        let groups = (doc.Groups ?? []).map((g) => g.GroupId!);
        groups = groups.filter((g) => !(input.RemoveSecurityGroupIds ?? []).includes(g));
        for (const g of input.AddSecurityGroupIds ?? []) if (!groups.includes(g)) groups.push(g);
        if (!groups.length) groups = [this.#parts.defaultSecurityGroupId(scope, rec.vpcId!)];
        let subnetIds = (doc.SubnetIds ?? []).filter((s) => !(input.RemoveSubnetIds ?? []).includes(s));
        const added = (input.AddSubnetIds ?? []).filter((s) => !subnetIds.includes(s));
        this.#subnets(scope, rec.vpcId!, added, subnetIds);
        subnetIds = [...subnetIds, ...added];
        this.#parts.releaseEni(scope, { kind: "vpce", vpcEndpointId: rec.id }, subnetIds);
        doc.NetworkInterfaceIds = subnetIds.map(
          (s) => this.#parts.eni(scope, { owner: { kind: "vpce", vpcEndpointId: rec.id }, subnetId: s, securityGroupIds: groups }).NetworkInterfaceId!,
        );
        doc.SubnetIds = subnetIds;
        doc.Groups = groups.map((g) => ({ GroupId: g, GroupName: e.repo.get<{ GroupName?: string }>(scope, g)?.doc.GroupName }));
        if (input.PrivateDnsEnabled !== undefined) {
          if (input.PrivateDnsEnabled && !doc.PrivateDnsEnabled) this.#checkPrivateDns(scope, rec.vpcId!, short, rec.id);
          doc.PrivateDnsEnabled = input.PrivateDnsEnabled;
        }
        const suffix = /-([a-z0-9]{8})\./.exec(doc.DnsEntries?.[0]?.DnsName ?? "")?.[1] ?? this.#parts.suffix();
        const subnets = subnetIds.map((s) => e.repo.get<Subnet>(scope, s)!.doc);
        doc.DnsEntries = this.#dnsEntries(scope, rec.id, short, subnets, doc.PrivateDnsEnabled ?? false, suffix);
      }
      this.#put(scope, rec, doc);
    });
  }

  /** DeleteVpcEndpoints: each id that cannot be deleted is reported, not thrown. */
  delete(scope: Scope, ids: readonly string[] | undefined): UnsuccessfulItem[] {
    const e = this.#e;
    if (!ids?.length) throw missingParameter("VpcEndpointId");
    return e.store.tx(() => {
      e.ensureDefaults(scope);
      const failed: UnsuccessfulItem[] = [];
      for (const id of ids) {
        const rec = this.#records(scope).find((r) => r.id === id);
        if (!rec) {
          const err = notFoundError("vpce", id);
          failed.push({ ResourceId: id, Error: { Code: err.code, Message: err.message } });
          continue;
        }
        if (rec.state.deletedAt !== undefined) continue;
        if (rec.doc.VpcEndpointType === "Gateway") {
          const pl = awsPrefixListId(scope.region, serviceShortName(scope.region, rec.doc.ServiceName!)!);
          for (const rt of rec.doc.RouteTableIds ?? []) this.#parts.removeRoute(scope, rt, pl, rec.id);
        } else {
          this.#parts.releaseEni(scope, { kind: "vpce", vpcEndpointId: rec.id });
        }
        this.#put(scope, rec, rec.doc, { ...rec.state, deletedAt: this.#parts.clock.now() });
        e.tags.dropAll(scope, rec.id);
      }
      return failed;
    });
  }

  #present(scope: Scope, rec: EndpointRecord): VpcEndpoint {
    return withTags({ ...rec.doc, State: this.stateOf(rec) }, this.#e.tags.of(scope, rec.id));
  }

  describe(scope: Scope, input: DescribeVpcEndpointsRequest): VpcEndpoint[] {
    const e = this.#e;
    e.ensureDefaults(scope);
    for (const id of input.VpcEndpointIds ?? []) this.require(scope, id);
    let all = this.#records(scope);
    if (input.VpcEndpointIds?.length) all = all.filter((r) => input.VpcEndpointIds!.includes(r.id));
    return applyFilters(
      all,
      input.Filters,
      {
        "service-name": (r) => r.doc.ServiceName,
        "vpc-id": (r) => r.doc.VpcId,
        "vpc-endpoint-id": (r) => r.id,
        "vpc-endpoint-state": (r) => this.stateOf(r),
        "vpc-endpoint-type": (r) => r.doc.VpcEndpointType,
        "ip-address-type": (r) => r.doc.IpAddressType,
      },
      (r) => e.tags.of(scope, r.id),
    ).map((r) => this.#present(scope, r));
  }

  /** DescribeVpcEndpointServices: the AWS services of the region (S3 twice: Gateway and Interface, as on AWS). */
  services(scope: Scope, input: DescribeVpcEndpointServicesRequest): { ServiceNames: string[]; ServiceDetails: ServiceDetail[] } {
    const region = scope.region;
    const azs = zones(region).map((z) => z.ZoneName!);
    const details: ServiceDetail[] = [];
    for (const [short, svc] of Object.entries(SERVICES)) {
      const name = `com.amazonaws.${region}.${short}`;
      for (const type of ["Gateway", "Interface"] as const) {
        if ((type === "Gateway" && !svc.gateway) || (type === "Interface" && !svc.interface)) continue;
        const dns = type === "Interface" && svc.dns ? svc.dns(region) : undefined;
        details.push({
          ServiceName: name,
          ServiceId: `vpce-svc-${createHash("sha256").update(`${name}/${type}`).digest("hex").slice(0, 17)}`,
          ServiceType: [{ ServiceType: type }],
          ServiceRegion: region,
          AvailabilityZones: azs,
          Owner: "amazon",
          BaseEndpointDnsNames: [type === "Interface" ? `${short}.${region}.vpce.amazonaws.com` : `${short}.${region}.amazonaws.com`],
          ...(dns ? { PrivateDnsName: dns, PrivateDnsNames: [{ PrivateDnsName: dns }], PrivateDnsNameVerificationState: "verified" as const } : {}),
          VpcEndpointPolicySupported: true,
          AcceptanceRequired: false,
          ManagesVpcEndpoints: false,
          PayerResponsibility: "ServiceOwner",
          SupportedIpAddressTypes: ["ipv4"],
          Tags: [],
        });
      }
    }
    for (const n of input.ServiceNames ?? []) {
      if (!details.some((d) => d.ServiceName === n)) throw ec2Error("InvalidServiceName", `The Vpc Endpoint Service '${n}' does not exist`);
    }
    const picked = input.ServiceNames?.length ? details.filter((d) => input.ServiceNames!.includes(d.ServiceName!)) : details;
    const filtered = applyFilters(
      picked,
      input.Filters,
      {
        "service-name": (d) => d.ServiceName,
        "service-type": (d) => (d.ServiceType ?? []).map((t) => t.ServiceType),
        owner: (d) => d.Owner,
        "service-region": (d) => d.ServiceRegion,
        "supported-ip-address-types": (d) => d.SupportedIpAddressTypes ?? [],
      },
      () => [],
    );
    return { ServiceNames: [...new Set(filtered.map((d) => d.ServiceName!))], ServiceDetails: filtered };
  }

  /** The private DNS name an interface endpoint of `short` answers for (reachability messages). */
  static privateDnsName(region: string, short: string): string | undefined {
    return SERVICES[short]?.dns?.(region);
  }
}
