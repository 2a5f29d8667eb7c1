/**
 * Security groups in the kernel: what they cost the ALB data plane, and how soon a rule change
 * takes effect. Needs root, Docker and wrk.
 *
 *   node bench/vpc-enforcement.ts [--rounds 3] [--seconds 10] [--connections 50] [--changes 10] [--api 200]
 *
 * 1. Throughput. Two `slipway up` processes side by side, identical but for
 *    --security-groups auto (enforced: the ALB connects from its ENI addresses, every new flow
 *    walks the chains) and --security-groups off. Each: a VPC of its own, two tasks of
 *    slipway-test/web in two subnets with the tutorial's groups (tasks: 8080 from the ALB's group
 *    only), an ALB. wrk -t2 -c<connections> on /health (a static file) through each listener,
 *    alternating which goes first per round. Prints the medians and the change.
 * 2. authorize-security-group-ingress → first allowed connection. On the enforcing Slipway, a task
 *    whose group admits nothing from the host; per change: authorize tcp 8080 from 0.0.0.0/0 and
 *    open a new TCP connection from the host to the task every 2 ms until one connects (time from
 *    just before the API call); then revoke and wait until connections fail again.
 * 3. The API call itself against a peer: AuthorizeSecurityGroupIngress + Revoke round trips on
 *    Slipway and on moto_server (which stores rules and enforces nothing), side by side.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import * as ec2 from "@aws-sdk/client-ec2";
import * as ecs from "@aws-sdk/client-ecs";
import * as elb from "@aws-sdk/client-elastic-load-balancing-v2";
import { median, onExitStop, percentile, type Proc, sleep, startMoto, startSlipwayProcess, table } from "./lib.ts";

const { values: args } = parseArgs({
  options: {
    rounds: { type: "string", default: "3" },
    seconds: { type: "string", default: "10" },
    connections: { type: "string", default: "50" },
    changes: { type: "string", default: "10" },
    api: { type: "string", default: "200" },
  },
});
if (process.getuid?.() !== 0) throw new Error("run as root: the enforcing Slipway programs iptables");

const procs: Proc[] = [];
onExitStop(() => procs);
const creds = { accessKeyId: "test", secretAccessKey: "test" };
const clients = (endpoint: string) => ({
  ec2: new ec2.EC2Client({ region: "us-east-1", endpoint, credentials: creds, maxAttempts: 1 }),
  ecs: new ecs.ECSClient({ region: "us-east-1", endpoint, credentials: creds, maxAttempts: 1 }),
  elb: new elb.ElasticLoadBalancingV2Client({ region: "us-east-1", endpoint, credentials: creds, maxAttempts: 1 }),
});

/** A 10.x/16 no Docker network or host route uses. */
function freeCidr(avoid: Set<number>): string {
  const used = execFileSync("sh", ["-c", "docker network inspect $(docker network ls -q) --format '{{range .IPAM.Config}}{{.Subnet}} {{end}}'; ip -4 route show"], { encoding: "utf8" });
  for (let x = 150; x < 250; x++) {
    if (avoid.has(x) || used.includes(`10.${x}.`)) continue;
    avoid.add(x);
    return `10.${x}.0.0/16`;
  }
  throw new Error("no free 10.x.0.0/16");
}

interface Stack {
  name: string;
  proc: Proc & { dataDir: string };
  listener: number;
  taskIp: string;
  tasksSg: string;
  c: ReturnType<typeof clients>;
}

async function stack(name: string, securityGroups: "auto" | "off", cidr: string): Promise<Stack> {
  // Its own data directory, kept at stop, so `slipway clean --data-dir` (below) finds the instance
  // and removes its tasks and subnet networks (a directory removed at stop would leave them).
  const proc = await startSlipwayProcess({ dataDir: mkdtempSync(join(tmpdir(), "slipway-bench-vpc-")), env: { SLIPWAY_SECURITY_GROUPS: securityGroups } });
  procs.push(proc);
  const c = clients(proc.url);
  const b = cidr.split(".").slice(0, 2).join(".");
  const vpc = (await c.ec2.send(new ec2.CreateVpcCommand({ CidrBlock: cidr }))).Vpc!.VpcId!;
  const subnets = [];
  for (const [i, az] of [[1, "us-east-1a"], [2, "us-east-1b"]] as const) {
    subnets.push((await c.ec2.send(new ec2.CreateSubnetCommand({ VpcId: vpc, CidrBlock: `${b}.${i}.0/24`, AvailabilityZone: az }))).Subnet!.SubnetId!);
  }
  const igw = (await c.ec2.send(new ec2.CreateInternetGatewayCommand({}))).InternetGateway!.InternetGatewayId!;
  await c.ec2.send(new ec2.AttachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: vpc }));
  const main = (await c.ec2.send(new ec2.DescribeRouteTablesCommand({ Filters: [{ Name: "vpc-id", Values: [vpc] }] }))).RouteTables![0]!.RouteTableId!;
  await c.ec2.send(new ec2.CreateRouteCommand({ RouteTableId: main, DestinationCidrBlock: "0.0.0.0/0", GatewayId: igw }));
  const albSg = (await c.ec2.send(new ec2.CreateSecurityGroupCommand({ GroupName: "alb", Description: "alb", VpcId: vpc }))).GroupId!;
  await c.ec2.send(new ec2.AuthorizeSecurityGroupIngressCommand({ GroupId: albSg, IpPermissions: [{ IpProtocol: "tcp", FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }] }));
  const tasksSg = (await c.ec2.send(new ec2.CreateSecurityGroupCommand({ GroupName: "tasks", Description: "tasks", VpcId: vpc }))).GroupId!;
  await c.ec2.send(new ec2.AuthorizeSecurityGroupIngressCommand({ GroupId: tasksSg, IpPermissions: [{ IpProtocol: "tcp", FromPort: 8080, ToPort: 8080, UserIdGroupPairs: [{ GroupId: albSg }] }] }));
  await c.ecs.send(new ecs.CreateClusterCommand({ clusterName: "bench" }));
  await c.ecs.send(
    new ecs.RegisterTaskDefinitionCommand({
      family: "web",
      networkMode: "awsvpc",
      requiresCompatibilities: ["FARGATE"],
      cpu: "256",
      memory: "512",
      containerDefinitions: [{ name: "web", image: "slipway-test/web:latest", essential: true, portMappings: [{ containerPort: 8080 }] }],
    }),
  );
  const tg = (
    await c.elb.send(
      new elb.CreateTargetGroupCommand({ Name: `${name}-tg`, Protocol: "HTTP", Port: 8080, VpcId: vpc, TargetType: "ip", HealthCheckPath: "/health", HealthCheckIntervalSeconds: 5, HealthCheckTimeoutSeconds: 2, HealthyThresholdCount: 2 }),
    )
  ).TargetGroups![0]!.TargetGroupArn!;
  const lb = (await c.elb.send(new elb.CreateLoadBalancerCommand({ Name: `${name}-alb`, Subnets: subnets, SecurityGroups: [albSg] }))).LoadBalancers![0]!;
  const listener = 20000 + Math.floor(Math.random() * 20000);
  await c.elb.send(new elb.CreateListenerCommand({ LoadBalancerArn: lb.LoadBalancerArn, Protocol: "HTTP", Port: listener, DefaultActions: [{ Type: "forward", TargetGroupArn: tg }] }));
  await c.ecs.send(
    new ecs.CreateServiceCommand({
      cluster: "bench",
      serviceName: "web",
      taskDefinition: "web",
      desiredCount: 2,
      launchType: "FARGATE",
      networkConfiguration: { awsvpcConfiguration: { subnets, securityGroups: [tasksSg], assignPublicIp: "ENABLED" } },
      loadBalancers: [{ targetGroupArn: tg, containerName: "web", containerPort: 8080 }],
    }),
  );
  const deadline = Date.now() + 120_000;
  for (;;) {
    const h = (await c.elb.send(new elb.DescribeTargetHealthCommand({ TargetGroupArn: tg }))).TargetHealthDescriptions ?? [];
    if (h.filter((t) => t.TargetHealth?.State === "healthy").length === 2) {
      return { name, proc, listener, taskIp: h[0]!.Target!.Id!, tasksSg, c };
    }
    if (Date.now() > deadline) throw new Error(`${name}: targets not healthy after 120 s`);
    await sleep(500);
  }
}

function wrk(port: number): number {
  const out = execFileSync("wrk", ["-t2", `-c${args.connections}`, `-d${args.seconds}s`, `http://127.0.0.1:${port}/health`], { encoding: "utf8" });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1];
  if (non2xx) throw new Error(`wrk saw ${non2xx} non-2xx answers on ${port}`);
  return rps;
}

/** Opens a TCP connection every 2 ms (each with its own 300 ms timeout) until one connects; resolves with the time. */
function firstConnect(ip: string, port: number, t0: number, maxMs = 10_000): Promise<number> {
  return new Promise((resolve, reject) => {
    let done = false;
    const tryOnce = () => {
      if (done) return;
      if (performance.now() - t0 > maxMs) {
        done = true;
        reject(new Error(`no connection to ${ip}:${port} within ${maxMs} ms`));
        return;
      }
      const s = connect({ host: ip, port, timeout: 300 });
      s.once("connect", () => {
        s.destroy();
        if (!done) {
          done = true;
          resolve(performance.now() - t0);
        }
      });
      s.once("timeout", () => s.destroy());
      s.once("error", () => s.destroy());
      setTimeout(tryOnce, 2);
    };
    tryOnce();
  });
}

function blocked(ip: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: ip, port, timeout: 300 });
    s.once("connect", () => (s.destroy(), resolve(false)));
    s.once("timeout", () => (s.destroy(), resolve(true)));
    s.once("error", () => (s.destroy(), resolve(true)));
  });
}

const avoid = new Set<number>();
console.log(`# ${new Date().toISOString()}  ${execFileSync("nproc", { encoding: "utf8" }).trim()} cores, load ${execFileSync("cat", ["/proc/loadavg"], { encoding: "utf8" }).split(" ").slice(0, 3).join(" ")}`);
const on = await stack("bon", "auto", freeCidr(avoid));
const off = await stack("boff", "off", freeCidr(avoid));

// 1. Throughput.
wrk(on.listener);
wrk(off.listener);
const onRps: number[] = [];
const offRps: number[] = [];
for (let r = 0; r < Number(args.rounds); r++) {
  const order = r % 2 === 0 ? [on, off] : [off, on];
  for (const s of order) (s === on ? onRps : offRps).push(wrk(s.listener));
}
const change = (median(onRps) / median(offRps) - 1) * 100;
console.log("\n## ALB throughput, enforcement on vs off (wrk, /health through the listener)\n");
console.log(table(["security groups", "req/s per round", "median req/s"], [
  ["off", offRps.map((x) => x.toFixed(0)).join(", "), median(offRps)],
  ["on (enforced)", onRps.map((x) => x.toFixed(0)).join(", "), median(onRps)],
]));
console.log(`\nchange with enforcement: ${change >= 0 ? "+" : ""}${change.toFixed(1)} %`);

// 2. authorize → first allowed connection (the host counts as the internet: 0.0.0.0/0).
const perm = { GroupId: on.tasksSg, IpPermissions: [{ IpProtocol: "tcp", FromPort: 8080, ToPort: 8080, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }] };
const lat: number[] = [];
if (!(await blocked(on.taskIp, 8080))) throw new Error("the task answers the host before any rule admits it");
for (let i = 0; i < Number(args.changes); i++) {
  const t0 = performance.now();
  const first = firstConnect(on.taskIp, 8080, t0);
  await on.c.ec2.send(new ec2.AuthorizeSecurityGroupIngressCommand(perm));
  lat.push(await first);
  await on.c.ec2.send(new ec2.RevokeSecurityGroupIngressCommand(perm));
  const until = Date.now() + 5000;
  while (!(await blocked(on.taskIp, 8080))) if (Date.now() > until) throw new Error("revoke not applied within 5 s");
}
console.log("\n## authorize-security-group-ingress → first allowed connection (host → task, new TCP connection every 2 ms)\n");
console.log(table(["changes", "median ms", "p90 ms", "max ms"], [[lat.length, median(lat), percentile(lat, 90), Math.max(...lat)]]));

// 3. The API call on Slipway and on moto.
const moto = await startMoto();
procs.push(moto);
const mc = clients(moto.url);
const motoVpc = (await mc.ec2.send(new ec2.CreateVpcCommand({ CidrBlock: "10.1.0.0/16" }))).Vpc!.VpcId!;
const motoSg = (await mc.ec2.send(new ec2.CreateSecurityGroupCommand({ GroupName: "tasks", Description: "tasks", VpcId: motoVpc }))).GroupId!;
async function apiRounds(client: ec2.EC2Client, groupId: string): Promise<number[]> {
  const p = { GroupId: groupId, IpPermissions: [{ IpProtocol: "tcp", FromPort: 9000, ToPort: 9000, IpRanges: [{ CidrIp: "203.0.113.0/24" }] }] };
  const ms: number[] = [];
  for (let i = 0; i < Number(args.api); i++) {
    const t0 = performance.now();
    await client.send(new ec2.AuthorizeSecurityGroupIngressCommand(p));
    ms.push(performance.now() - t0);
    await client.send(new ec2.RevokeSecurityGroupIngressCommand(p));
  }
  return ms;
}
await apiRounds(on.c.ec2, on.tasksSg);
await apiRounds(mc.ec2, motoSg);
const slipApi = await apiRounds(on.c.ec2, on.tasksSg);
const motoApi = await apiRounds(mc.ec2, motoSg);
console.log("\n## AuthorizeSecurityGroupIngress round trip (SDK), Slipway (enforcing) vs moto (stores only)\n");
console.log(table(["server", "calls", "median ms", "p90 ms"], [
  ["Slipway", slipApi.length, median(slipApi), percentile(slipApi, 90)],
  ["moto", motoApi.length, median(motoApi), percentile(motoApi, 90)],
]));
console.log(`\nSlipway / moto (median): ${(median(slipApi) / median(motoApi)).toFixed(2)}x`);

for (const p of procs) await p.stop();
// What each Slipway left in Docker (its tasks, its subnet networks) and its data directory: `slipway clean`.
for (const s of [on, off]) {
  execFileSync(process.execPath, [new URL("../bin/slipway.js", import.meta.url).pathname, "clean", "--data-dir", s.proc.dataDir], { stdio: "ignore" });
}
