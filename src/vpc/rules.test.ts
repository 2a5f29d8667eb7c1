/** The security-group rules and the reachability decisions on hand-made VPC views (no kernel, no I/O). */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { inboundPath, outboundPath, reachService, routeFor } from "./reachability.ts";
import { buildRules } from "./rules.ts";
import type { EniView, GroupView, NetworkView, RouteView, SubnetView } from "./view.ts";

const local: RouteView = { cidrs: ["10.0.0.0/16"], target: { kind: "local", id: "local" }, state: "active" };
const toIgw: RouteView = { cidrs: ["0.0.0.0/0"], target: { kind: "igw", id: "igw-1" }, state: "active" };

function view(over: { subnets?: SubnetView[]; enis?: EniView[]; groups?: GroupView[]; extra?: Partial<NetworkView> } = {}): NetworkView {
  const subnets = over.subnets ?? [
    { id: "subnet-pub", vpcId: "vpc-1", cidr: "10.0.1.0/24", zone: "us-east-1a", routeTableId: "rtb-pub", routes: [local, toIgw] },
    { id: "subnet-priv", vpcId: "vpc-1", cidr: "10.0.2.0/24", zone: "us-east-1b", routeTableId: "rtb-priv", routes: [local] },
  ];
  return {
    vpcs: new Map([["vpc-1", { id: "vpc-1", account: "0", region: "us-east-1", cidrs: ["10.0.0.0/16"], dnsSupport: true, dnsHostnames: true, internetGatewayId: "igw-1" }]]),
    subnets: new Map(subnets.map((s) => [s.id, s])),
    enis: new Map((over.enis ?? []).map((e) => [e.id, e])),
    groups: new Map((over.groups ?? []).map((g) => [g.id, g])),
    natGateways: new Map(),
    endpoints: new Map(),
    ...over.extra,
  };
}

const eni = (id: string, ip: string, groups: string[], o: Partial<EniView> = {}): EniView => ({
  id,
  vpcId: "vpc-1",
  subnetId: "subnet-pub",
  kind: "task",
  description: "arn:aws:ecs:us-east-1:0:attachment/x",
  privateIps: [ip],
  groupIds: groups,
  ...o,
});
const allEgress = (g: string) => ({ id: `sgr-e-${g}`, groupId: g, protocol: "-1", cidrs: ["0.0.0.0/0"] });

const groups: GroupView[] = [
  { id: "sg-alb", vpcId: "vpc-1", name: "alb", ingress: [{ id: "sgr-80", groupId: "sg-alb", protocol: "tcp", from: 80, to: 80, cidrs: ["0.0.0.0/0"] }], egress: [allEgress("sg-alb")] },
  { id: "sg-tasks", vpcId: "vpc-1", name: "tasks", ingress: [{ id: "sgr-8080", groupId: "sg-tasks", protocol: "tcp", from: 8080, to: 8080, cidrs: [], peerGroupId: "sg-alb" }], egress: [allEgress("sg-tasks")] },
  { id: "sg-none", vpcId: "vpc-1", name: "none", ingress: [], egress: [] },
];

describe("kernel rules", () => {
  const v = view({
    enis: [
      eni("eni-aaaa", "10.0.1.5", ["sg-tasks"], { publicIp: "198.18.0.2" }),
      eni("eni-bbbb", "10.0.1.6", ["sg-none"]),
      eni("eni-lb01", "10.0.1.4", ["sg-alb"], { kind: "elb", description: "ELB app/web/1" }),
    ],
    groups,
  });
  const rules = buildRules({
    view: v,
    prefix: "SWVtest",
    bridges: "slwtest+",
    subnets: new Set(["subnet-pub"]),
    boundSources: new Set(["10.0.1.4"]),
    hostAddresses: ["192.0.2.2"],
    logPrefix: "slwvtest:",
  });
  const lines = rules.text.split("\n");
  const chain = (name: string) => lines.filter((l) => l.startsWith(`-A ${name} `));

  test("every chain is declared with the prefix, then filled, in one restore transaction", () => {
    assert.equal(lines[0], "*filter");
    assert.equal(lines.at(-2), "COMMIT");
    for (const c of rules.chains) {
      assert.ok(c.startsWith("SWVtest-") && c.length <= 28, c);
      assert.ok(lines.includes(`:${c} - [0:0]`));
    }
  });

  test("a group reference admits exactly the ALB's ENI address; the ALB's traffic goes through its egress first", () => {
    assert.deepEqual(chain("SWVtest-I-aaaa"), [
      `-A SWVtest-I-aaaa -p tcp -m tcp --dport 8080 -s 10.0.1.4/32 -m comment --comment "sgr-8080 sg-tasks" -j ACCEPT`,
      ...chain("SWVtest-I-aaaa").slice(1),
    ]);
    assert.ok(chain("SWVtest-I-aaaa").at(-1)!.endsWith("-j DROP"));
    assert.ok(chain("SWVtest-OUT").includes("-A SWVtest-OUT -s 10.0.1.4/32 -j SWVtest-E-lb01"));
    assert.ok(chain("SWVtest-T-lb01").includes("-A SWVtest-T-lb01 -d 10.0.1.5/32 -j SWVtest-I-aaaa"));
  });

  test("stateful: replies pass first; DNS is never filtered; the task endpoint is left to its own chain", () => {
    assert.equal(chain("SWVtest-FWD")[0], "-A SWVtest-FWD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT");
    assert.ok(chain("SWVtest-FWD").includes("-A SWVtest-FWD -p udp -m udp --dport 53 -j ACCEPT"));
    assert.ok(chain("SWVtest-IN").includes("-A SWVtest-IN -d 169.254.170.2/32 -j RETURN"));
  });

  test("a group with no egress drops everything the interface sends, with a logged reason", () => {
    const e = chain("SWVtest-E-bbbb");
    assert.equal(e.length, 2);
    const code = /slwvtest:(\w+)/.exec(e[0]!)![1]!;
    assert.equal(rules.reasons.get(code), "no outbound rule of sg-none on the task ENI eni-bbbb (10.0.1.6) allows it");
  });

  test("the host is the internet: only a CIDR rule containing its address admits it, and only with a public IP", () => {
    const h = chain("SWVtest-H-aaaa");
    assert.equal(h.filter((l) => l.endsWith("-j ACCEPT")).length, 0, "sg-tasks admits only the ALB's group");
    const code = /slwvtest:(\w+)/.exec(h[0]!)![1]!;
    assert.match(rules.reasons.get(code)!, /^the host counts as the internet: no inbound rule of sg-tasks/);
    const open = buildRules({
      view: view({
        enis: [eni("eni-aaaa", "10.0.1.5", ["sg-open"], { publicIp: "198.18.0.2" }), eni("eni-cccc", "10.0.1.7", ["sg-open"])],
        groups: [{ id: "sg-open", vpcId: "vpc-1", name: "open", ingress: [{ id: "sgr-any", groupId: "sg-open", protocol: "tcp", from: 0, to: 65535, cidrs: ["0.0.0.0/0"] }], egress: [] }],
      }),
      prefix: "SWVtest",
      bridges: "slwtest+",
      subnets: new Set(["subnet-pub"]),
      boundSources: new Set(),
      hostAddresses: ["192.0.2.2"],
      logPrefix: "slwvtest:",
    });
    const ol = open.text.split("\n");
    assert.ok(ol.includes(`-A SWVtest-H-aaaa -p tcp -m comment --comment "sgr-any sg-open" -j ACCEPT`));
    assert.ok(!ol.some((l) => l.startsWith("-A SWVtest-H-cccc") && l.endsWith("ACCEPT")), "no public IP: the internet cannot reach it");
  });

  test("egress to the internet follows the subnet's routes: an IGW route needs a public IP", () => {
    assert.ok(chain("SWVtest-T-aaaa").includes("-A SWVtest-T-aaaa -d 0.0.0.0/0 -j ACCEPT"));
    const t = chain("SWVtest-T-bbbb").filter((l) => l.includes("0.0.0.0/0"));
    assert.ok(t.at(-1)!.endsWith("-j DROP"));
    const code = /slwvtest:(\w+)/.exec(t[0]!)![1]!;
    assert.match(rules.reasons.get(code)!, /needs a public IP on eni-bbbb, and it has none \(assignPublicIp is DISABLED\)/);
  });

  test("protocols and port ranges: all, a range, ICMP type/code, a protocol number; IPv6-only rules do not apply", () => {
    const g: GroupView = {
      id: "sg-mix",
      vpcId: "vpc-1",
      name: "mix",
      ingress: [
        { id: "r1", groupId: "sg-mix", protocol: "udp", from: 1000, to: 2000, cidrs: ["10.0.0.0/16"] },
        { id: "r2", groupId: "sg-mix", protocol: "icmp", from: 8, to: -1, cidrs: ["10.0.0.0/16"] },
        { id: "r3", groupId: "sg-mix", protocol: "50", cidrs: ["10.0.0.0/16"] },
        { id: "r4", groupId: "sg-mix", protocol: "icmpv6", from: -1, to: -1, cidrs: ["10.0.0.0/16"] },
      ],
      egress: [],
    };
    const r = buildRules({
      view: view({ enis: [eni("eni-dddd", "10.0.1.8", ["sg-mix"])], groups: [g] }),
      prefix: "SWVtest",
      bridges: "slwtest+",
      subnets: new Set(["subnet-pub"]),
      boundSources: new Set(),
      hostAddresses: [],
      logPrefix: "slwvtest:",
    }).text;
    assert.ok(r.includes(`-A SWVtest-I-dddd -p udp -m udp --dport 1000:2000 -s 10.0.0.0/16 -m comment --comment "r1 sg-mix" -j ACCEPT`));
    assert.ok(r.includes(`-A SWVtest-I-dddd -p icmp -m icmp --icmp-type 8 -s 10.0.0.0/16 -m comment --comment "r2 sg-mix" -j ACCEPT`));
    assert.ok(r.includes(`-A SWVtest-I-dddd -p 50 -s 10.0.0.0/16 -m comment --comment "r3 sg-mix" -j ACCEPT`));
    assert.ok(!r.includes("r4 sg-mix"));
  });

  test("interfaces in subnets without a bridge on this host are not filtered here", () => {
    const r = buildRules({
      view: v,
      prefix: "SWVtest",
      bridges: "slwtest+",
      subnets: new Set(),
      boundSources: new Set(),
      hostAddresses: [],
      logPrefix: "slwvtest:",
    });
    assert.deepEqual(r.chains, ["SWVtest-FWD", "SWVtest-OUT", "SWVtest-IN"]);
  });
});

describe("reachability", () => {
  test("longest prefix wins; prefix-list routes count with their CIDRs", () => {
    const s: SubnetView = {
      id: "s",
      vpcId: "vpc-1",
      cidr: "10.0.1.0/24",
      zone: "a",
      routeTableId: "rtb",
      routes: [local, toIgw, { cidrs: ["52.216.0.0/15"], prefixListId: "pl-s3", target: { kind: "vpce", id: "vpce-1" }, state: "active" }],
    };
    assert.equal(routeFor(s, "52.216.8.34")?.route.target.id, "vpce-1");
    assert.equal(routeFor(s, "8.8.8.8")?.route.target.id, "igw-1");
    assert.equal(routeFor(s, "10.0.5.5")?.route.target.kind, "local");
  });

  test("a NAT gateway route works only when the gateway is available, public, and its subnet routes to an IGW", () => {
    const natRoute: RouteView = { cidrs: ["0.0.0.0/0"], target: { kind: "nat", id: "nat-1" }, state: "active" };
    const base = view({
      subnets: [
        { id: "subnet-pub", vpcId: "vpc-1", cidr: "10.0.1.0/24", zone: "a", routeTableId: "rtb-pub", routes: [local, toIgw] },
        { id: "subnet-priv", vpcId: "vpc-1", cidr: "10.0.2.0/24", zone: "b", routeTableId: "rtb-priv", routes: [local, natRoute] },
      ],
    });
    const nat = (state: string, connectivity = "public") =>
      ({ ...base, natGateways: new Map([["nat-1", { id: "nat-1", vpcId: "vpc-1", subnetId: "subnet-pub", state, connectivity, publicIp: "198.18.0.9" }]]) }) as NetworkView;
    const task = eni("eni-p", "10.0.2.5", [], { subnetId: "subnet-priv" });
    assert.deepEqual(outboundPath(nat("available"), task, "8.8.8.8"), { ok: true, via: "nat-1 (198.18.0.9)" });
    assert.equal(outboundPath(nat("pending"), task, "8.8.8.8").ok, false);
    assert.equal(outboundPath(nat("available", "private"), task, "8.8.8.8").ok, false);
    assert.equal(inboundPath(nat("available"), task).ok, false, "a NAT gateway does not let the internet in");
  });

  test("an interface endpoint with private DNS answers for its service, if both groups allow 443", () => {
    const v = view({
      enis: [
        eni("eni-task", "10.0.2.5", ["sg-tasks"], { subnetId: "subnet-priv" }),
        eni("eni-ep", "10.0.2.9", ["sg-ep"], { kind: "vpce", subnetId: "subnet-priv", description: "VPC Endpoint Interface vpce-1" }),
      ],
      groups: [...groups, { id: "sg-ep", vpcId: "vpc-1", name: "ep", ingress: [], egress: [] }],
      extra: {
        endpoints: new Map([["vpce-1", { id: "vpce-1", vpcId: "vpc-1", service: "ecr.api", type: "Interface", state: "available", privateDns: true, eniIds: ["eni-ep"] }]]),
      },
    });
    const blocked = reachService(v, "eni-task", "ecr.api");
    assert.equal(blocked.ok, false);
    assert.match((blocked as { why: string }).why, /no inbound rule of sg-ep on the interface endpoint vpce-1 for ecr\.api allows TCP 443 from 10\.0\.2\.5/);
    (v.groups as Map<string, GroupView>).set("sg-ep", { id: "sg-ep", vpcId: "vpc-1", name: "ep", ingress: [{ id: "r", groupId: "sg-ep", protocol: "tcp", from: 443, to: 443, cidrs: ["10.0.0.0/16"] }], egress: [] });
    assert.deepEqual(reachService(v, "eni-task", "ecr.api"), { ok: true, via: "interface endpoint vpce-1 (10.0.2.9)", address: "10.0.2.9" });
    const none = reachService(v, "eni-task", "logs");
    assert.equal(none.ok, false);
    assert.match((none as { why: string }).why, /rtb-priv \(the route table of subnet-priv\) has no route to .*; no interface endpoint for com\.amazonaws\.us-east-1\.logs/);
  });
});
