/**
 * Security groups as kernel filter rules: a pure function from the VPC view to an
 * iptables-restore text of chains this Slipway owns (every name starts with its own prefix, so two
 * Slipways on one host never touch each other's), and a table of the reasons its drop rules log.
 *
 * Semantics (https://docs.aws.amazon.com/vpc/latest/userguide/vpc-security-groups.html,
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/security-group-connection-tracking.html):
 * rules only allow; a new flow needs the source interface's egress AND the destination
 * interface's ingress; replies of an allowed flow pass (connection tracking); a rule naming a
 * group matches the private addresses of the interfaces that carry it; a prefix list matches its
 * CIDRs. Dropped, never rejected: AWS's clients see timeouts. DNS is never filtered (AWS does not
 * filter the VPC resolver; Slipway's tasks resolve through Docker's, so port 53 passes).
 *
 * Where packets are seen (one host, https://docs.docker.com/engine/network/packet-filtering-firewalls/):
 *  - FORWARD, from DOCKER-USER (before Docker's own rules): task ↔ task, task → internet,
 *    outside → task;
 *  - OUTPUT: the host → a task. A packet from a load balancer's ENI address (the data plane binds
 *    it) is that ENI's traffic; any other is the internet (the host counts as the internet);
 *  - INPUT: a task → the host (the internet, again), except 169.254.170.2 (the task endpoint).
 *
 * Chains, for prefix P and interface i (its id's hex part):
 *   P-FWD, P-OUT, P-IN         the entry points;
 *   P-E-i / P-T-i              i's egress rules / where an allowed packet of i goes next (another
 *                              interface's ingress, the VPC, or the route to the internet);
 *   P-I-i / P-N-i / P-H-i      i's ingress from its VPC / from outside the VPC / from the host;
 *   P-G-i                      i's egress to the host.
 */
import { createHash } from "node:crypto";
import { inboundPath, inCidr, members, outboundPath, PUBLIC_ADDRESS } from "./reachability.ts";
import type { EniView, NetworkView, RuleView } from "./view.ts";

export const TASK_ENDPOINT_ADDRESS = "169.254.170.2";

export interface RuleInputs {
  readonly view: NetworkView;
  /** Chain name prefix (at most 8 characters: names stay within iptables' 28). */
  readonly prefix: string;
  /** Interface pattern of this Slipway's subnet bridges (`slw1a2b+`). */
  readonly bridges: string;
  /** Subnets whose bridge exists on this host: only their interfaces are filtered. */
  readonly subnets: ReadonlySet<string>;
  /** Load balancer ENI addresses bound on this host (the data plane's sources). */
  readonly boundSources: ReadonlySet<string>;
  /** The host's own addresses, as the internet would see them (CIDR rules that contain one admit the host). */
  readonly hostAddresses: readonly string[];
  /** The kernel log prefix of drop rules (`<logPrefix><code> `). */
  readonly logPrefix: string;
}

export interface RuleSet {
  /** iptables-restore input (for --noflush): every chain declared, then filled. */
  readonly text: string;
  readonly chains: readonly string[];
  /** Log code → why the packet was dropped. */
  readonly reasons: ReadonlyMap<string, string>;
}

const short = (eniId: string) => eniId.slice(eniId.indexOf("-") + 1);

/** The iptables protocol/port arguments of a rule; null when it cannot match IPv4 packets. */
function protoArgs(r: RuleView): string[] | null {
  switch (r.protocol) {
    case "-1":
      return [];
    case "tcp":
    case "udp": {
      const from = r.from ?? 0;
      const to = r.to ?? 65535;
      if (from <= 0 && to >= 65535) return ["-p", r.protocol];
      return ["-p", r.protocol, "-m", r.protocol, "--dport", from === to ? `${from}` : `${from}:${to}`];
    }
    case "icmp": {
      const type = r.from ?? -1;
      const code = r.to ?? -1;
      if (type === -1) return ["-p", "icmp"];
      return ["-p", "icmp", "-m", "icmp", "--icmp-type", code === -1 ? `${type}` : `${type}/${code}`];
    }
    case "icmpv6":
    case "58":
      return null;
    default:
      return /^\d+$/.test(r.protocol) ? ["-p", r.protocol] : null;
  }
}

/** The peers of a rule: CIDRs, or the member addresses of the group it names. */
function peers(view: NetworkView, r: RuleView): string[] {
  if (r.peerGroupId) return [...new Set(members(view, r.peerGroupId))].map((ip) => `${ip}/32`);
  return [...r.cidrs];
}

const comment = (text: string) => ["-m", "comment", "--comment", `"${text.replace(/["\\]/g, "")}"`];

export function buildRules(inp: RuleInputs): RuleSet {
  const { view, prefix: P } = inp;
  const reasons = new Map<string, string>();
  const chains: string[] = [];
  const lines: string[] = [];
  const add = (chain: string, ...args: string[]) => lines.push(`-A ${chain} ${args.join(" ")}`);
  const chain = (name: string) => {
    chains.push(name);
    return name;
  };
  /** Logs (rate-limited, with the reason's code) and drops what matches `match`. */
  const drop = (c: string, reason: string, ...match: string[]) => {
    add(c, ...match, "-m", "limit", "--limit", "10/second", "--limit-burst", "20", "-j", "LOG", "--log-prefix", `"${inp.logPrefix}${code(reasons, reason)} "`);
    add(c, ...match, "-j", "DROP");
  };

  const FWD = chain(`${P}-FWD`);
  const OUT = chain(`${P}-OUT`);
  const IN = chain(`${P}-IN`);

  const onHost = (e: EniView) => inp.subnets.has(e.subnetId);
  const tasks = [...view.enis.values()].filter((e) => e.kind === "task" && onHost(e) && e.privateIps.length);
  const sources = [...view.enis.values()].filter((e) => e.kind === "elb" && e.privateIps.some((ip) => inp.boundSources.has(ip)));
  const label = (e: EniView) => (e.kind === "task" ? `the task ENI ${e.id} (${e.privateIps[0]})` : `${e.description} (${e.id}, ${e.privateIps[0]})`);
  const groups = (e: EniView) => e.groupIds.join(", ") || "no group";
  const allVpcCidrs = [...view.vpcs.values()].flatMap((v) => v.cidrs);

  // ---- entry points
  add(FWD, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT");
  add(FWD, "-m", "conntrack", "--ctstate", "INVALID", "-j", "DROP");
  add(FWD, "-p", "udp", "-m", "udp", "--dport", "53", "-j", "ACCEPT");
  add(FWD, "-p", "tcp", "-m", "tcp", "--dport", "53", "-j", "ACCEPT");
  for (const t of tasks) for (const ip of t.privateIps) add(FWD, "-s", `${ip}/32`, "-j", `${P}-E-${short(t.id)}`);
  for (const t of tasks) for (const ip of t.privateIps) add(FWD, "-d", `${ip}/32`, "-j", `${P}-N-${short(t.id)}`);
  add(FWD, "-j", "RETURN");

  add(OUT, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT");
  for (const s of sources) for (const ip of s.privateIps) if (inp.boundSources.has(ip)) add(OUT, "-s", `${ip}/32`, "-j", `${P}-E-${short(s.id)}`);
  for (const t of tasks) for (const ip of t.privateIps) add(OUT, "-d", `${ip}/32`, "-j", `${P}-H-${short(t.id)}`);
  add(OUT, "-j", "RETURN");

  add(IN, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT");
  add(IN, "-d", `${TASK_ENDPOINT_ADDRESS}/32`, "-j", "RETURN");
  add(IN, "-p", "udp", "-m", "udp", "--dport", "53", "-j", "RETURN");
  add(IN, "-p", "tcp", "-m", "tcp", "--dport", "53", "-j", "RETURN");
  for (const t of tasks) for (const ip of t.privateIps) add(IN, "-s", `${ip}/32`, "-j", `${P}-G-${short(t.id)}`);
  add(IN, "-j", "RETURN");

  // ---- per interface: egress, then where the packet goes
  for (const a of [...tasks, ...sources]) {
    const E = chain(`${P}-E-${short(a.id)}`);
    const T = chain(`${P}-T-${short(a.id)}`);
    for (const g of a.groupIds) {
      for (const r of view.groups.get(g)?.egress ?? []) {
        const proto = protoArgs(r);
        if (!proto) continue;
        for (const peer of peers(view, r)) add(E, ...proto, "-d", peer, ...comment(`${r.id} ${g}`), "-j", T);
      }
    }
    drop(E, `no outbound rule of ${groups(a)} on ${label(a)} allows it`);

    const vpc = view.vpcs.get(a.vpcId);
    for (const b of tasks) {
      if (b.id === a.id || b.vpcId !== a.vpcId) continue;
      for (const ip of b.privateIps) add(T, "-d", `${ip}/32`, "-j", `${P}-I-${short(b.id)}`);
    }
    for (const c of vpc?.cidrs ?? []) drop(T, `${label(a)} sent it to an address of ${a.vpcId} that no running task holds`, "-d", c);
    for (const c of allVpcCidrs.filter((c) => !(vpc?.cidrs ?? []).includes(c))) {
      drop(T, `${label(a)} sent it to ${c}, another VPC's range (VPCs are not peered)`, "-d", c);
    }
    // The internet: the subnet's routes, longest prefix first, each allowed only if it leads out.
    const subnet = view.subnets.get(a.subnetId);
    const routes = (subnet?.routes ?? [])
      .filter((r) => r.target.kind !== "local")
      .flatMap((r) => r.cidrs.map((cidr) => ({ r, cidr })))
      .sort((x, y) => Number(y.cidr.split("/")[1]) - Number(x.cidr.split("/")[1]));
    for (const { cidr } of routes) {
      const probe = cidr.split("/")[0]!;
      const path = outboundPath(view, a, cidr === "0.0.0.0/0" ? PUBLIC_ADDRESS.internet : probe);
      if (path.ok) add(T, "-d", cidr, "-j", "ACCEPT");
      else drop(T, `${label(a)} cannot reach ${cidr}: ${path.why}`, "-d", cidr);
    }
    drop(T, `${subnet?.routeTableId ?? "the route table"} of ${a.subnetId} has no route for it (${label(a)})`);
  }

  // ---- per task: ingress from the VPC, from outside it, from the host; egress to the host
  for (const b of tasks) {
    const I = chain(`${P}-I-${short(b.id)}`);
    const N = chain(`${P}-N-${short(b.id)}`);
    const H = chain(`${P}-H-${short(b.id)}`);
    const G = chain(`${P}-G-${short(b.id)}`);
    const inbound = inboundPath(view, b);
    for (const g of b.groupIds) {
      for (const r of view.groups.get(g)?.ingress ?? []) {
        const proto = protoArgs(r);
        if (!proto) continue;
        for (const peer of peers(view, r)) add(I, ...proto, "-s", peer, ...comment(`${r.id} ${g}`), "-j", "ACCEPT");
        if (inbound.ok && !r.peerGroupId) {
          for (const peer of r.cidrs) add(N, ...proto, "-s", peer, ...comment(`${r.id} ${g}`), "-j", "ACCEPT");
          if (r.cidrs.some((c) => inp.hostAddresses.some((h) => inCidr(h, c)))) add(H, ...proto, ...comment(`${r.id} ${g}`), "-j", "ACCEPT");
        }
      }
    }
    drop(I, `no inbound rule of ${groups(b)} on ${label(b)} allows it`);
    drop(N, inbound.ok ? `no inbound rule of ${groups(b)} on ${label(b)} allows it from outside ${b.vpcId}` : `outside ${b.vpcId} cannot reach ${label(b)}: ${inbound.why}`);
    drop(
      H,
      inbound.ok
        ? `the host counts as the internet: no inbound rule of ${groups(b)} on ${label(b)} admits it (${inp.hostAddresses.join(", ") || "no host address"})`
        : `the host counts as the internet, and ${inbound.why} (${label(b)})`,
    );
    const outbound = outboundPath(view, b, PUBLIC_ADDRESS.internet);
    if (outbound.ok) {
      for (const g of b.groupIds) {
        for (const r of view.groups.get(g)?.egress ?? []) {
          const proto = protoArgs(r);
          if (!proto || r.peerGroupId) continue;
          if (r.cidrs.some((c) => inp.hostAddresses.some((h) => inCidr(h, c)))) add(G, ...proto, ...comment(`${r.id} ${g}`), "-j", "RETURN");
        }
      }
    }
    drop(
      G,
      outbound.ok
        ? `the host counts as the internet: no outbound rule of ${groups(b)} on ${label(b)} allows it`
        : `the host counts as the internet, and ${label(b)} cannot reach it: ${outbound.why}`,
    );
  }

  const text = ["*filter", ...chains.map((c) => `:${c} - [0:0]`), ...lines, "COMMIT", ""].join("\n");
  return { text, chains, reasons };
}

function code(reasons: Map<string, string>, reason: string): string {
  const c = createHash("sha256").update(reason).digest("hex").slice(0, 8);
  reasons.set(c, reason);
  return c;
}
