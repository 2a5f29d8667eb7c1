/**
 * What a network interface can reach, decided on the VPC view as AWS decides it: resolve the
 * name (an interface endpoint with private DNS answers for its service inside the VPC), route the
 * address through the subnet's route table (longest prefix; prefix-list routes count with their
 * CIDRs), then check the security groups both ways. Pure functions, no I/O: ECS's task start asks
 * them before it pulls images, reads secrets or creates log streams (the platform's traffic leaves
 * through the task's ENI since Fargate platform version 1.4.0,
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-task-networking.html), and
 * the kernel rules (rules.ts) use the same route decisions for the application's own traffic.
 *
 * Routes to the internet (https://docs.aws.amazon.com/vpc/latest/userguide/VPC_Internet_Gateway.html,
 * https://docs.aws.amazon.com/vpc/latest/userguide/vpc-nat-gateway.html): through an internet
 * gateway only with a public address on the interface; through a NAT gateway when it is
 * available, public, and its own subnet routes to an attached internet gateway.
 */
import type { EniView, NetworkView, RouteView, RuleView, SubnetView } from "./view.ts";

/** The AWS service endpoints a task start talks to (short names, as in com.amazonaws.REGION.X). */
export type AwsService = "ecr.api" | "ecr.dkr" | "s3" | "logs" | "secretsmanager" | "ssm" | "kms" | "sts";

/**
 * The public address each service answers at, as Slipway draws it: addresses of Amazon's ranges
 * (S3's inside the S3 prefix list, so a gateway endpoint's route covers it), used in route
 * lookups and in the i/o timeout texts. Registries outside AWS (Docker Hub) are "the internet".
 */
export const PUBLIC_ADDRESS: Readonly<Record<AwsService | "internet", string>> = {
  "ecr.api": "52.46.154.17",
  "ecr.dkr": "52.46.154.29",
  s3: "52.216.8.34",
  logs: "52.46.154.41",
  secretsmanager: "52.46.154.53",
  ssm: "52.46.154.65",
  kms: "52.46.154.77",
  sts: "52.46.154.89",
  internet: "44.205.64.79",
};

export type Reach = { readonly ok: true; readonly via: string; readonly address: string } | { readonly ok: false; readonly why: string; readonly address: string };

// ---- addresses ------------------------------------------------------------------------------

export function ipToNumber(ip: string): number {
  const p = ip.split(".").map(Number);
  return ((p[0]! << 24) >>> 0) + (p[1]! << 16) + (p[2]! << 8) + p[3]!;
}

export function inCidr(ip: string, cidr: string): boolean {
  const [base = "", len = "32"] = cidr.split("/");
  const bits = Number(len);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return ((ipToNumber(ip) & mask) >>> 0) === ((ipToNumber(base) & mask) >>> 0);
}

const prefixOf = (cidr: string) => Number(cidr.split("/")[1] ?? 32);

// ---- routes ---------------------------------------------------------------------------------

/** The route the subnet's table picks for an address (longest prefix), with the CIDR that matched. */
export function routeFor(subnet: SubnetView, ip: string): { route: RouteView; cidr: string } | undefined {
  let best: { route: RouteView; cidr: string } | undefined;
  for (const route of subnet.routes) {
    for (const cidr of route.cidrs) {
      if (!inCidr(ip, cidr)) continue;
      if (!best || prefixOf(cidr) > prefixOf(best.cidr)) best = { route, cidr };
    }
  }
  return best;
}

const describeRoute = (subnet: SubnetView, r: { route: RouteView; cidr: string }) =>
  `the route ${r.route.prefixListId ?? r.cidr} → ${r.route.target.id} of ${subnet.routeTableId}`;

/**
 * Whether traffic from `eni` to a public address can leave the VPC along the route the subnet
 * picks for it (not security groups: callers check those).
 */
export function outboundPath(view: NetworkView, eni: EniView, ip: string): { ok: true; via: string } | { ok: false; why: string } {
  const subnet = view.subnets.get(eni.subnetId);
  if (!subnet) return { ok: false, why: `subnet ${eni.subnetId} no longer exists` };
  const r = routeFor(subnet, ip);
  if (!r) return { ok: false, why: `${subnet.routeTableId} (the route table of ${subnet.id}) has no route to ${ip}` };
  const what = describeRoute(subnet, r);
  if (r.route.state === "blackhole") return { ok: false, why: `${what} is a blackhole (its target is gone or not available)` };
  switch (r.route.target.kind) {
    case "local":
      return { ok: true, via: "local" };
    case "igw":
      return eni.publicIp
        ? { ok: true, via: `${r.route.target.id} (public IP ${eni.publicIp})` }
        : { ok: false, why: `${what} needs a public IP on ${eni.id}, and it has none (assignPublicIp is DISABLED)` };
    case "nat": {
      const nat = view.natGateways.get(r.route.target.id);
      if (!nat || nat.state !== "available") return { ok: false, why: `${what}: the NAT gateway is ${nat?.state ?? "gone"}` };
      if (nat.connectivity !== "public") return { ok: false, why: `${what}: ${nat.id} is a private NAT gateway (no internet access)` };
      const natSubnet = view.subnets.get(nat.subnetId);
      const onward = natSubnet && routeFor(natSubnet, ip);
      if (!onward || onward.route.target.kind !== "igw" || onward.route.state !== "active") {
        return { ok: false, why: `${what}: the NAT gateway's subnet ${nat.subnetId} has no route to an internet gateway` };
      }
      return { ok: true, via: `${nat.id} (${nat.publicIp ?? "no public IP"})` };
    }
    case "vpce": {
      const ep = view.endpoints.get(r.route.target.id);
      return ep?.state === "available" ? { ok: true, via: `gateway endpoint ${ep.id}` } : { ok: false, why: `${what}: the endpoint is ${ep?.state ?? "gone"}` };
    }
    default:
      return { ok: false, why: `${what} does not lead to the internet in Slipway` };
  }
}

/** Whether the internet can open connections to `eni`: a public address and a route back through an internet gateway. */
export function inboundPath(view: NetworkView, eni: EniView): { ok: true; via: string } | { ok: false; why: string } {
  if (!eni.publicIp) return { ok: false, why: `${eni.id} has no public IP, so nothing outside its VPC can reach it` };
  const out = outboundPath(view, eni, PUBLIC_ADDRESS.internet);
  if (!out.ok) return out;
  const subnet = view.subnets.get(eni.subnetId)!;
  const r = routeFor(subnet, PUBLIC_ADDRESS.internet);
  if (r?.route.target.kind !== "igw") return { ok: false, why: `${subnet.routeTableId} sends the internet to ${r?.route.target.id ?? "nowhere"}, not to an internet gateway` };
  return { ok: true, via: `${r.route.target.id} (public IP ${eni.publicIp})` };
}

// ---- security groups ------------------------------------------------------------------------

/** Private addresses of every interface that carries the group (what a group reference matches). */
export function members(view: NetworkView, groupId: string): string[] {
  const out: string[] = [];
  for (const e of view.enis.values()) if (e.groupIds.includes(groupId)) out.push(...e.privateIps);
  return out;
}

export function ruleMatches(view: NetworkView, r: RuleView, peer: string, protocol: "tcp" | "udp" | "icmp", port: number): boolean {
  if (r.protocol !== "-1" && r.protocol !== protocol) return false;
  if ((protocol === "tcp" || protocol === "udp") && r.protocol !== "-1") {
    if (r.from !== undefined && r.from !== -1 && (port < r.from || port > (r.to ?? r.from))) return false;
  }
  if (r.peerGroupId) return members(view, r.peerGroupId).includes(peer);
  return r.cidrs.some((c) => inCidr(peer, c));
}

/** The first egress rule of the interface's groups that allows this flow, or undefined. */
export function egressRule(view: NetworkView, eni: EniView, dest: string, protocol: "tcp" | "udp" | "icmp", port: number): RuleView | undefined {
  for (const g of eni.groupIds) for (const r of view.groups.get(g)?.egress ?? []) if (ruleMatches(view, r, dest, protocol, port)) return r;
  return undefined;
}

export function ingressRule(view: NetworkView, eni: EniView, source: string, protocol: "tcp" | "udp" | "icmp", port: number): RuleView | undefined {
  for (const g of eni.groupIds) for (const r of view.groups.get(g)?.ingress ?? []) if (ruleMatches(view, r, source, protocol, port)) return r;
  return undefined;
}

const groupsOf = (eni: EniView) => eni.groupIds.join(", ") || "(none)";

// ---- services -------------------------------------------------------------------------------

/**
 * Can `eni` open TCP to a service at 443? Through an interface endpoint with private DNS (the
 * name resolves to its interfaces; ECR layers excepted: only the S3 gateway endpoint serves
 * them), else through the route to the service's public address.
 */
export function reachService(view: NetworkView, eniId: string, service: AwsService | "internet", opts: { ecrLayers?: boolean } = {}): Reach {
  const eni = view.enis.get(eniId);
  const publicAddress = PUBLIC_ADDRESS[service];
  if (!eni) return { ok: false, why: `the task's network interface ${eniId} no longer exists`, address: publicAddress };
  const vpc = view.vpcs.get(eni.vpcId);
  if (service !== "internet" && !opts.ecrLayers && vpc) {
    const endpoint = [...view.endpoints.values()].find((e) => e.vpcId === eni.vpcId && e.service === service && e.type === "Interface" && e.privateDns);
    if (endpoint && vpc.dnsSupport && vpc.dnsHostnames && endpoint.state === "available") {
      const targets = endpoint.eniIds.map((id) => view.enis.get(id)).filter((x): x is EniView => x !== undefined);
      const target = targets.find((t) => view.subnets.get(t.subnetId)?.zone === view.subnets.get(eni.subnetId)?.zone) ?? targets[0];
      if (!target) return { ok: false, why: `the interface endpoint ${endpoint.id} for ${service} has no network interface in any subnet`, address: publicAddress };
      const ip = target.privateIps[0]!;
      if (!egressRule(view, eni, ip, "tcp", 443)) {
        return { ok: false, why: `no outbound rule of ${groupsOf(eni)} on ${eni.id} allows TCP 443 to ${ip} (interface endpoint ${endpoint.id} for ${service})`, address: ip };
      }
      if (!ingressRule(view, target, eni.privateIps[0]!, "tcp", 443)) {
        return {
          ok: false,
          why: `no inbound rule of ${groupsOf(target)} on the interface endpoint ${endpoint.id} for ${service} allows TCP 443 from ${eni.privateIps[0]}`,
          address: ip,
        };
      }
      return { ok: true, via: `interface endpoint ${endpoint.id} (${ip})`, address: ip };
    }
  }
  const path = outboundPath(view, eni, publicAddress);
  if (!path.ok) {
    const missing = service === "internet" ? "" : service === "s3" && opts.ecrLayers ? "; no S3 gateway endpoint on the subnet's route table" : `; no interface endpoint for com.amazonaws.${vpc?.region ?? "REGION"}.${service} with private DNS in ${eni.vpcId}`;
    return { ok: false, why: `${path.why}${missing}`, address: publicAddress };
  }
  if (!egressRule(view, eni, publicAddress, "tcp", 443)) {
    return { ok: false, why: `no outbound rule of ${groupsOf(eni)} on ${eni.id} allows TCP 443 to ${publicAddress} (${service === "internet" ? "the internet" : service})`, address: publicAddress };
  }
  return { ok: true, via: path.via, address: publicAddress };
}
