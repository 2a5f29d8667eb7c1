/** Application Load Balancers: create/describe/delete, attributes, security groups, subnets. */
import type {
  AvailabilityZone,
  CreateLoadBalancerInput,
  DescribeLoadBalancersInput,
  DescribeLoadBalancersOutput,
  LoadBalancer,
  SetSubnetsInput,
  SetSubnetsOutput,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { ServiceError } from "../../aws/service-error.ts";
import type { Scope } from "../../core/arn.ts";
import type { Tagging } from "../common/tagging.ts";
import { applyAttributes, LOAD_BALANCER_ATTRIBUTES, toList } from "./attributes.ts";
import { checkArn, checkName, checkTags, type Elbv2Deps, elbArn, nextMarker, page, tagNew, zoneName } from "./common.ts";
import { invalidConfig, loadBalancerNotFound, notPermitted, validation } from "./errors.ts";
import type { LoadBalancerIdentity, LoadBalancerNetworking } from "./networking.ts";
import type { LoadBalancerServing } from "./serving.ts";
import type { Elbv2Repo, LoadBalancerRecord } from "./repo.ts";

const HOSTED_ZONES: Record<string, string> = {
  "us-east-1": "Z35SXDOTRQ7X7K",
  "us-east-2": "Z3AADJGX6KTTL2",
  "us-west-1": "Z368ELLRRE2KJ0",
  "us-west-2": "Z1H1FL5HABSF5",
  "eu-west-1": "Z32O12XQLNTSW2",
  "eu-west-2": "ZHURV8PSTC4K8",
  "eu-central-1": "Z215JYRZR1TBD5",
  "ap-southeast-1": "Z1LMS91P8CMLE5",
  "ap-southeast-2": "Z1GM3OXH4ZPM65",
  "ap-northeast-1": "Z14GRHDCWA56QT",
};
export const DEFAULT_VPC = "vpc-00000000";

/**
 * The DNS name. AWS's is `<name>-<id>.<region>.elb.amazonaws.com`; ours ends in `.elb.localhost`,
 * which curl and browsers resolve to the loopback address without any /etc/hosts entry.
 */
export const dnsName = (name: string, id: string, region: string, scheme: string) =>
  `${scheme === "internal" ? "internal-" : ""}${name}-${id.slice(0, 8)}.${region}.elb.localhost`.toLowerCase();

export class LoadBalancers {
  readonly #deps: Elbv2Deps;
  readonly #repo: Elbv2Repo;
  readonly #tags: (scope: Scope) => Tagging;
  /** Called before a load balancer goes: its listeners and rules go with it. */
  readonly #onDelete: (scope: Scope, lbArn: string) => void;
  readonly #network: LoadBalancerNetworking | undefined;
  readonly #serving: LoadBalancerServing | undefined;
  constructor(
    deps: Elbv2Deps,
    repo: Elbv2Repo,
    tags: (scope: Scope) => Tagging,
    onDelete: (scope: Scope, lbArn: string) => void,
    network: LoadBalancerNetworking | undefined,
    serving?: LoadBalancerServing,
  ) {
    this.#deps = deps;
    this.#repo = repo;
    this.#tags = tags;
    this.#onDelete = onDelete;
    this.#network = network;
    this.#serving = serving;
  }

  /** The Describe document, with the data plane's word on where its listeners are served. */
  present(rec: LoadBalancerRecord): LoadBalancer {
    const notes = this.#serving?.notes(rec.doc.LoadBalancerArn!) ?? [];
    if (notes.length === 0) return rec.doc;
    return { ...rec.doc, State: { Code: rec.doc.State?.Code ?? "active", Reason: notes.join("; ") } };
  }

  require(scope: Scope, arn: string | undefined): LoadBalancerRecord {
    if (!arn) throw validation("A load balancer ARN must be specified");
    const rec = checkArn(arn, "loadbalancer", scope) ? this.#repo.getLoadBalancer(arn) : undefined;
    if (!rec) throw loadBalancerNotFound();
    return rec;
  }

  create(scope: Scope, input: CreateLoadBalancerInput): LoadBalancer {
    const name = checkName("Load balancer", input.Name);
    const type = input.Type ?? "application";
    if (type !== "application") throw invalidConfig(`Load balancer type '${type}' is not supported by Slipway; only 'application' load balancers are`);
    const scheme = input.Scheme ?? "internet-facing";
    const ipType = input.IpAddressType ?? "ipv4";
    if (input.Subnets?.length && input.SubnetMappings?.length) throw validation("You can specify subnets or subnet mappings, not both");
    const placed = this.#place(scope, input.Subnets, input.SubnetMappings?.map((m) => m.SubnetId ?? ""), input.SecurityGroups ?? []);
    const zones = placed.zones;
    const securityGroups = placed.securityGroups;
    const tags = checkTags(input.Tags);
    return this.#deps.store.tx(() => {
      const existing = this.#repo.getLoadBalancerByName(scope, name);
      if (existing) {
        const d = existing.doc;
        const same =
          d.Scheme === scheme &&
          d.IpAddressType === ipType &&
          JSON.stringify(d.AvailabilityZones) === JSON.stringify(zones) &&
          JSON.stringify(d.SecurityGroups) === JSON.stringify(securityGroups);
        if (same) return d;
        throw new ServiceError("DuplicateLoadBalancerNameException", `A load balancer with the same name '${name}' exists, but with different settings`);
      }
      const id = this.#deps.ids.hex(8);
      const doc: LoadBalancer = {
        LoadBalancerArn: elbArn(scope, `loadbalancer/app/${name}/${id}`),
        DNSName: dnsName(name, id, scope.region, scheme),
        CanonicalHostedZoneId: HOSTED_ZONES[scope.region] ?? HOSTED_ZONES["us-east-1"]!,
        CreatedTime: new Date(this.#deps.clock.now()),
        LoadBalancerName: name,
        Scheme: scheme,
        VpcId: placed.vpcId,
        State: { Code: "active" },
        Type: "application",
        AvailabilityZones: zones,
        SecurityGroups: securityGroups,
        IpAddressType: ipType,
      };
      this.#repo.putLoadBalancer(scope, { doc, attributes: {} });
      if (placed.real) this.#network!.attach(scope, { name, id }, zones.map((z) => z.SubnetId!), securityGroups);
      tagNew(this.#tags(scope), doc.LoadBalancerArn!, tags);
      return doc;
    });
  }

  describe(scope: Scope, input: DescribeLoadBalancersInput): DescribeLoadBalancersOutput {
    if (input.LoadBalancerArns?.length && input.Names?.length) throw validation("Load balancer names and load balancer ARNs cannot be specified at the same time");
    let all: LoadBalancerRecord[];
    if (input.LoadBalancerArns?.length) all = input.LoadBalancerArns.map((a) => this.require(scope, a));
    else if (input.Names?.length) {
      all = input.Names.map((n) => {
        const rec = this.#repo.getLoadBalancerByName(scope, n);
        if (!rec) throw loadBalancerNotFound();
        return rec;
      });
    } else all = this.#repo.listLoadBalancers(scope);
    const p = page(all, input.PageSize, input.Marker);
    return { LoadBalancers: p.items.map((r) => this.present(r)), ...nextMarker(p) };
  }

  /** Idempotent: an unknown (well-formed) ARN succeeds. */
  delete(scope: Scope, arn: string | undefined): void {
    if (!arn) throw validation("A load balancer ARN must be specified");
    if (!checkArn(arn, "loadbalancer", scope)) return;
    this.#deps.store.tx(() => {
      const rec = this.#repo.getLoadBalancer(arn);
      if (!rec) return;
      if (rec.attributes["deletion_protection.enabled"] === "true") {
        throw notPermitted(`Load balancer '${arn}' cannot be deleted because deletion protection is enabled`);
      }
      this.#onDelete(scope, arn);
      this.#network?.release(scope, identity(arn));
      this.#repo.deleteLoadBalancer(arn);
      this.#tags(scope).clear(arn);
    });
  }

  attributes(scope: Scope, arn: string | undefined): { Key: string; Value: string }[] {
    return toList(LOAD_BALANCER_ATTRIBUTES, this.require(scope, arn).attributes);
  }

  modifyAttributes(scope: Scope, arn: string | undefined, updates: readonly { Key?: string; Value?: string }[]): { Key: string; Value: string }[] {
    return this.#deps.store.tx(() => {
      const rec = this.require(scope, arn);
      const attributes = applyAttributes("Load balancer", LOAD_BALANCER_ATTRIBUTES, rec.attributes, updates);
      this.#repo.putLoadBalancer(scope, { doc: rec.doc, attributes });
      return toList(LOAD_BALANCER_ATTRIBUTES, attributes);
    });
  }

  setSecurityGroups(scope: Scope, arn: string | undefined, groups: readonly string[]): string[] {
    for (const g of groups) if (!/^sg-[0-9a-zA-Z]+$/.test(g)) throw new ServiceError("InvalidSecurityGroupException", `Invalid security group '${g}'`);
    return this.#deps.store.tx(() => {
      const rec = this.require(scope, arn);
      let result = [...groups];
      const net = this.#network;
      if (net && rec.doc.VpcId !== DEFAULT_VPC) {
        result = this.#checkGroups(net, scope, rec.doc.VpcId!, groups);
        net.attach(scope, identity(rec.doc.LoadBalancerArn!), (rec.doc.AvailabilityZones ?? []).map((z) => z.SubnetId!), result);
      }
      this.#repo.putLoadBalancer(scope, { doc: { ...rec.doc, SecurityGroups: result }, attributes: rec.attributes });
      return result;
    });
  }

  setSubnets(scope: Scope, input: SetSubnetsInput): SetSubnetsOutput {
    return this.#deps.store.tx(() => {
      const rec = this.require(scope, input.LoadBalancerArn);
      if (input.Subnets?.length && input.SubnetMappings?.length) throw validation("You can specify subnets or subnet mappings, not both");
      const placed = this.#place(scope, input.Subnets, input.SubnetMappings?.map((m) => m.SubnetId ?? ""), rec.doc.SecurityGroups ?? []);
      const zones = placed.zones;
      if (placed.real && rec.doc.VpcId !== DEFAULT_VPC && placed.vpcId !== rec.doc.VpcId) {
        throw invalidConfig(`The subnets must belong to the load balancer's VPC '${rec.doc.VpcId}'`);
      }
      const ipType = input.IpAddressType ?? rec.doc.IpAddressType ?? "ipv4";
      const net = this.#network;
      const lb = identity(rec.doc.LoadBalancerArn!);
      const subnetIds = zones.map((z) => z.SubnetId!);
      net?.release(scope, lb, placed.real ? subnetIds : []);
      if (placed.real) net!.attach(scope, lb, subnetIds, placed.securityGroups);
      const doc = { ...rec.doc, AvailabilityZones: zones, IpAddressType: ipType, VpcId: placed.vpcId, SecurityGroups: placed.securityGroups };
      this.#repo.putLoadBalancer(scope, { doc, attributes: rec.attributes });
      return { AvailabilityZones: zones, IpAddressType: ipType };
    });
  }

  /**
   * Where a load balancer goes (networking.ts): with a subnet EC2 knows, every subnet and group is
   * checked and the zones, VPC and (when none are given) groups come from EC2; else placeholders.
   */
  #place(
    scope: Scope,
    subnets: readonly string[] | undefined,
    mapped: readonly string[] | undefined,
    groups: readonly string[],
  ): { zones: AvailabilityZone[]; vpcId: string; securityGroups: string[]; real: boolean } {
    const zones = this.#zones(scope, subnets, mapped);
    const net = this.#network;
    const known = zones.map((z) => net?.subnet(scope, z.SubnetId!));
    if (!net || known.every((k) => k === undefined)) return { zones, vpcId: DEFAULT_VPC, securityGroups: [...groups], real: false };
    const seenZones = new Set<string>();
    const real = zones.map((z, i) => {
      const k = known[i];
      if (!k) throw new ServiceError("SubnetNotFoundException", `The subnet ID '${z.SubnetId}' is not valid`);
      if (seenZones.has(k.zoneName)) throw invalidConfig("A load balancer cannot be attached to multiple subnets in the same Availability Zone");
      seenZones.add(k.zoneName);
      return { ...z, ZoneName: k.zoneName };
    });
    const vpcId = known[0]!.vpcId;
    if (known.some((k) => k!.vpcId !== vpcId)) throw invalidConfig("The subnets must all belong to the same VPC");
    return { zones: real, vpcId, securityGroups: this.#checkGroups(net, scope, vpcId, groups), real: true };
  }

  /** AWS's checks of an ALB's security groups in its VPC; none given: the VPC's default group. */
  #checkGroups(net: LoadBalancerNetworking, scope: Scope, vpcId: string, groups: readonly string[]): string[] {
    if (!groups.length) return [net.defaultSecurityGroup(scope, vpcId)];
    for (const g of groups) {
      const gv = net.securityGroupVpc(scope, g);
      if (gv === undefined) throw new ServiceError("InvalidSecurityGroupException", `The security group '${g}' does not exist`);
      if (gv !== vpcId) throw invalidConfig(`Security group '${g}' does not belong to VPC '${vpcId}'`);
    }
    return [...new Set(groups)];
  }

  /**
   * Zones from subnets, one zone letter per subnet in the order given. Without subnets (a local
   * convenience; AWS requires two) the load balancer gets two placeholder subnets.
   */
  #zones(scope: Scope, subnets: readonly string[] | undefined, mapped: readonly string[] | undefined): AvailabilityZone[] {
    const ids = subnets?.length ? subnets : mapped?.length ? mapped : ["subnet-00000001", "subnet-00000002"];
    const seen = new Set<string>();
    return ids.map((SubnetId, i) => {
      if (!/^subnet-[0-9a-zA-Z]+$/.test(SubnetId)) throw new ServiceError("SubnetNotFoundException", `The subnet ID '${SubnetId}' is not valid`);
      if (seen.has(SubnetId)) throw validation(`Subnet '${SubnetId}' is specified more than once`);
      seen.add(SubnetId);
      return { ZoneName: zoneName(scope.region, i), SubnetId, LoadBalancerAddresses: [] };
    });
  }
}

/** The load balancer's name and id from its ARN (`...:loadbalancer/app/NAME/ID`). */
function identity(arn: string): LoadBalancerIdentity {
  const parts = arn.split("/");
  return { name: parts[parts.length - 2] ?? "", id: parts[parts.length - 1] ?? "" };
}
