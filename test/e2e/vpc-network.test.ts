/**
 * End-to-end: VPC networking on one host, through the AWS CLI, real Docker and the kernel, on a
 * `slipway up` child process (root: security groups enforced). A VPC of its own (a free
 * 10.1xx.0.0/16) with two public subnets in two zones, an internet gateway and a private subnet:
 *
 *  - the tutorial's groups (ALB: 80 from anywhere; tasks: 8080 only from the ALB's group): the app
 *    answers through the ALB, from both subnets, each task at the one address DescribeTasks,
 *    DescribeNetworkInterfaces and the target group show; `curl` from the host to a task's address
 *    times out (Slipway's log says which rule); a task of another service whose group is not
 *    allowed cannot connect, can once its group is authorized (timed), cannot after the revoke;
 *  - a deployment under load fails zero requests with enforcement on;
 *  - a Fargate service in the private subnet fails with ECS's CannotPullContainerError text, in
 *    its events; a NAT gateway route lets the next task start; assignPublicIp DISABLED in a public
 *    subnet fails the same way;
 *  - bad input through the CLI: a group in use, a group of another VPC, an overlapping subnet;
 *  - /_slipway/health says groups are enforced; after the process is gone, `slipway clean` removes
 *    its chains, jumps, addresses and networks.
 *
 * Skipped, with the reason, without Docker, the AWS CLI, or root. Its vpc-network.haproxy.test.ts
 * twin runs the load-balancer parts against the HAProxy data plane (SLIPWAY_TEST_DATA_PLANE).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { request } from "node:http";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { dockerAvailable, ensureTestImages } from "../helpers/docker.ts";
import {
  aws,
  AwsCliError,
  awsCliAvailable,
  cleanDataDir,
  docker,
  freePort,
  freeVpcCidr,
  instanceIdOf,
  jsonFileArg,
  pollUntil,
  REPO_ROOT,
  type SlipwayProcess,
  startSlipwayProcess,
  tempDataDir,
} from "../helpers/slipway-process.ts";
import { albRequest, DATA_PLANE, dataPlaneAvailable, startLoad, versionOf, waitForStatus } from "./alb-harness.ts";

const run = promisify(execFile);

async function whySkip(): Promise<string | undefined> {
  if (typeof process.getuid === "function" && process.getuid() !== 0) return "not root (security groups need iptables)";
  return (await dockerAvailable()) ?? (await awsCliAvailable()) ?? (await dataPlaneAvailable());
}
/** The HAProxy twin runs only the load balancer's tests (the rest does not depend on the data plane). */
const albOnly = DATA_PLANE === "haproxy" ? "the HAProxy twin runs only the load balancer's tests" : false;
const skip = await whySkip();
if (skip) console.log(`# skipping VPC network e2e: ${skip}`);

const WEB = "slipway-test/web:latest";
const BUSYBOX = "slipway-test/busybox:latest";

/** GET from the host, straight to an address (no ALB), with a short timeout: the status, or the error. */
function direct(url: string, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve) => {
    const req = request(url, { timeout: timeoutMs, agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve(String(res.statusCode)));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", (err) => resolve(err.message));
  });
}

describe("VPC networking end to end", { skip: skip ?? false }, () => {
  let slipway: SlipwayProcess;
  let dataDir: string;
  let instanceId: string;
  let n = 0;
  const ec2 = (...a: string[]) => aws(slipway.url, ["ec2", ...a]);
  const ecs = (...a: string[]) => aws(slipway.url, ["ecs", ...a]);
  const elb = (...a: string[]) => aws(slipway.url, ["elbv2", ...a]);
  const file = (v: unknown) => jsonFileArg(dataDir, `in-${n++}.json`, v);

  let cidr: string;
  let base: string;
  let vpcId: string;
  let subnetA: string;
  let subnetB: string;
  let privateSubnet: string;
  let publicRt: string;
  let privateRt: string;
  let albSg: string;
  let tasksSg: string;
  let clientSg: string;
  let tgArn: string;
  let listenerPort: number;
  const host = "vpc-e2e.example";

  const tasksOf = async (service: string, status = "RUNNING") => {
    const arns = (await ecs("list-tasks", "--cluster", "vpc", "--service-name", service, "--desired-status", status)).taskArns as string[];
    return arns.length ? ((await ecs("describe-tasks", "--cluster", "vpc", "--tasks", ...arns)).tasks as any[]) : [];
  };
  const detail = (t: any, name: string) => (t.attachments?.[0]?.details ?? []).find((d: any) => d.name === name)?.value as string | undefined;
  const events = async (service: string) => ((await ecs("describe-services", "--cluster", "vpc", "--services", service)).services[0].events as any[]).map((e) => e.message as string);

  before(async () => {
    await ensureTestImages();
    dataDir = tempDataDir("slipway-e2e-vpc-");
    slipway = await startSlipwayProcess({ dataDir, env: { SLIPWAY_UNREACHABLE_TIMEOUT: "2", SLIPWAY_DATA_PLANE: DATA_PLANE } });
    instanceId = instanceIdOf(dataDir);
    cidr = await freeVpcCidr();
    base = cidr.split(".").slice(0, 2).join(".");
    vpcId = (await ec2("create-vpc", "--cidr-block", cidr)).Vpc.VpcId;
    subnetA = (await ec2("create-subnet", "--vpc-id", vpcId, "--cidr-block", `${base}.1.0/24`, "--availability-zone", "us-east-1a")).Subnet.SubnetId;
    subnetB = (await ec2("create-subnet", "--vpc-id", vpcId, "--cidr-block", `${base}.2.0/24`, "--availability-zone", "us-east-1b")).Subnet.SubnetId;
    privateSubnet = (await ec2("create-subnet", "--vpc-id", vpcId, "--cidr-block", `${base}.3.0/24`, "--availability-zone", "us-east-1a")).Subnet.SubnetId;
    const igw = (await ec2("create-internet-gateway")).InternetGateway.InternetGatewayId;
    await ec2("attach-internet-gateway", "--internet-gateway-id", igw, "--vpc-id", vpcId);
    publicRt = (await ec2("create-route-table", "--vpc-id", vpcId)).RouteTable.RouteTableId;
    await ec2("create-route", "--route-table-id", publicRt, "--destination-cidr-block", "0.0.0.0/0", "--gateway-id", igw);
    for (const s of [subnetA, subnetB]) await ec2("associate-route-table", "--route-table-id", publicRt, "--subnet-id", s);
    privateRt = (await ec2("create-route-table", "--vpc-id", vpcId)).RouteTable.RouteTableId;
    await ec2("associate-route-table", "--route-table-id", privateRt, "--subnet-id", privateSubnet);

    albSg = (await ec2("create-security-group", "--group-name", "alb", "--description", "HTTP from anywhere", "--vpc-id", vpcId)).GroupId;
    await ec2("authorize-security-group-ingress", "--group-id", albSg, "--protocol", "tcp", "--port", "80", "--cidr", "0.0.0.0/0");
    tasksSg = (await ec2("create-security-group", "--group-name", "tasks", "--description", "8080 from the ALB only", "--vpc-id", vpcId)).GroupId;
    await ec2("authorize-security-group-ingress", "--group-id", tasksSg, "--protocol", "tcp", "--port", "8080", "--source-group", albSg);
    clientSg = (await ec2("create-security-group", "--group-name", "client", "--description", "another service", "--vpc-id", vpcId)).GroupId;

    await ecs("create-cluster", "--cluster-name", "vpc");
    const web = { name: "web", image: WEB, essential: true, stopTimeout: 2, portMappings: [{ containerPort: 8080, protocol: "tcp" }] };
    const td = (family: string, c: object) => ({ family, networkMode: "awsvpc", requiresCompatibilities: ["FARGATE"], cpu: "256", memory: "512", containerDefinitions: [c] });
    await ecs("register-task-definition", "--cli-input-json", file(td("web", web)));
    await ecs("register-task-definition", "--cli-input-json", file(td("web", { ...web, environment: [{ name: "VERSION", value: "v2" }] })));
    await ecs("register-task-definition", "--cli-input-json", file(td("client", { name: "client", image: BUSYBOX, essential: true, stopTimeout: 1, entryPoint: ["sleep", "3600"] })));

    tgArn = (
      await elb("create-target-group", "--name", "vpc-web", "--protocol", "HTTP", "--port", "8080", "--vpc-id", vpcId, "--target-type", "ip",
        "--health-check-path", "/health", "--health-check-interval-seconds", "5", "--health-check-timeout-seconds", "2",
        "--healthy-threshold-count", "2", "--unhealthy-threshold-count", "2")
    ).TargetGroups[0].TargetGroupArn;
    await elb("modify-target-group-attributes", "--target-group-arn", tgArn, "--attributes", "Key=deregistration_delay.timeout_seconds,Value=3");
    const lb = (await elb("create-load-balancer", "--name", "vpc-web", "--subnets", subnetA, subnetB, "--security-groups", albSg)).LoadBalancers[0];
    listenerPort = await freePort();
    await elb("create-listener", "--load-balancer-arn", lb.LoadBalancerArn, "--protocol", "HTTP", "--port", String(listenerPort), "--default-actions", `Type=forward,TargetGroupArn=${tgArn}`);
    await ecs(
      "create-service", "--cluster", "vpc", "--service-name", "web", "--task-definition", "web:1", "--desired-count", "2", "--launch-type", "FARGATE",
      "--network-configuration", `awsvpcConfiguration={subnets=[${subnetA},${subnetB}],securityGroups=[${tasksSg}],assignPublicIp=ENABLED}`,
      "--load-balancers", `targetGroupArn=${tgArn},containerName=web,containerPort=8080`,
      "--deployment-configuration", "minimumHealthyPercent=100,maximumPercent=200",
    );
  });

  after(async () => {
    if (!slipway) return;
    await slipway.kill("SIGTERM");
    await cleanDataDir(dataDir);
  });

  test("the ALB-only group: the app answers through the ALB from both subnets; one address per task everywhere", async () => {
    const bodies = new Set<string>();
    const answers = new Map<string, number>();
    await pollUntil(
      async () => {
        const r = await albRequest(listenerPort, host, "/", { timeoutMs: 3000 });
        const key = `${r.status} ${r.body.trim().slice(0, 60)}`;
        answers.set(key, (answers.get(key) ?? 0) + 1);
        if (r.status === 200) bodies.add(r.body.trim());
        return bodies.size >= 2;
      },
      { timeoutMs: 90_000, intervalMs: 300, what: "both tasks to answer through the ALB" },
    ).catch((err: Error) => {
      throw new Error(`${err.message}; answers: ${JSON.stringify([...answers])}; log tail:\n${slipway.output().split("\n").slice(-15).join("\n")}`);
    });
    const tasks = await tasksOf("web");
    assert.equal(tasks.length, 2);
    assert.deepEqual(new Set(tasks.map((t) => detail(t, "subnetId"))), new Set([subnetA, subnetB]), "one task in each subnet");
    const health = (await elb("describe-target-health", "--target-group-arn", tgArn)).TargetHealthDescriptions as any[];
    for (const t of tasks) {
      const ip = detail(t, "privateIPv4Address")!;
      assert.ok(ip.startsWith(base), ip);
      assert.equal(t.containers[0].networkInterfaces[0].privateIpv4Address, ip);
      const eni = (await ec2("describe-network-interfaces", "--network-interface-ids", detail(t, "networkInterfaceId")!)).NetworkInterfaces[0];
      assert.equal(eni.PrivateIpAddress, ip);
      assert.deepEqual(eni.Groups.map((g: any) => g.GroupId), [tasksSg]);
      assert.ok(health.some((h) => h.Target.Id === ip && h.TargetHealth.State === "healthy"), `target ${ip} healthy`);
      const inspect = JSON.parse(await docker(["inspect", "--format", "{{json .NetworkSettings.Networks}}", `slipway-${t.taskArn.split("/").pop()}-web`]));
      assert.deepEqual(Object.values(inspect).map((x: any) => x.IPAddress), [ip], "Docker gives the container the ENI's address");
      assert.ok([...bodies].some((b) => b.includes(`ip-${ip.replace(/\./g, "-")}`)), `an answer came from ${ip}`);
    }
  });

  test("curl from the host to a task's address is refused (it times out), and Slipway's log says which group refused it", async () => {
    const [t] = await tasksOf("web");
    const ip = detail(t, "privateIPv4Address")!;
    const out = await run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "2", `http://${ip}:8080/`]).then(
      (r) => `answered ${r.stdout}`,
      (err: { code?: number }) => `curl exit ${err.code}`,
    );
    assert.equal(out, "curl exit 28", "a timeout (dropped), not a refusal");
    await pollUntil(async () => slipway.output().includes(`→ ${ip}:8080: the host counts as the internet: no inbound rule of ${tasksSg}`), {
      timeoutMs: 10_000,
      what: "the drop's reason in Slipway's log",
    });
  });

  test("another service's task cannot connect; after authorize it can (timed), after revoke it cannot again", { skip: albOnly }, async () => {
    await ecs(
      "create-service", "--cluster", "vpc", "--service-name", "client", "--task-definition", "client", "--desired-count", "1", "--launch-type", "FARGATE",
      "--network-configuration", `awsvpcConfiguration={subnets=[${subnetA}],securityGroups=[${clientSg}],assignPublicIp=ENABLED}`,
    );
    const client = await pollUntil(async () => (await tasksOf("client"))[0], { timeoutMs: 60_000, what: "the client task to run" });
    const container = `slipway-${client.taskArn.split("/").pop()}-client`;
    const [target] = await tasksOf("web");
    const url = `http://${detail(target, "privateIPv4Address")}:8080/health`;
    const probe = (seconds = 2) => run("docker", ["exec", container, "timeout", String(seconds), "wget", "-q", "-O", "/dev/null", url]).then(() => true, () => false);

    assert.equal(await probe(), false, "not allowed: the tasks' group admits only the ALB's");
    await ec2("authorize-security-group-ingress", "--group-id", tasksSg, "--protocol", "tcp", "--port", "8080", "--source-group", clientSg);
    const t0 = Date.now();
    await pollUntil(() => probe(1), { timeoutMs: 5000, intervalMs: 10, what: "the authorized connection" });
    const ms = Date.now() - t0;
    console.log(`# authorize-security-group-ingress → first allowed connection: ${ms} ms`);
    assert.ok(ms < 1500, `applied within a second (took ${ms} ms)`);
    await ec2("revoke-security-group-ingress", "--group-id", tasksSg, "--protocol", "tcp", "--port", "8080", "--source-group", clientSg);
    await pollUntil(async () => !(await probe(1)), { timeoutMs: 5000, intervalMs: 50, what: "the revoke to apply" });
    assert.equal(await probe(), false);
    await ecs("delete-service", "--cluster", "vpc", "--service", "client", "--force");
  });

  test("a rolling deployment under load fails zero requests with enforcement on", async () => {
    const load = startLoad({ port: listenerPort, host, rate: 40, concurrency: 4, maxMs: 120_000 });
    await ecs("update-service", "--cluster", "vpc", "--service", "web", "--task-definition", "web:2");
    await pollUntil(
      async () => {
        const d = (await ecs("describe-services", "--cluster", "vpc", "--services", "web")).services[0].deployments as any[];
        return d.length === 1 && d[0].rolloutState === "COMPLETED";
      },
      { timeoutMs: 120_000, what: "the deployment to complete" },
    );
    await waitForStatus(listenerPort, host, 200);
    const report = await load.stop();
    assert.ok(report.total > 50, `enough requests (${report.total})`);
    assert.deepEqual(report.failed.slice(0, 3), [], `${report.failed.length} of ${report.total} failed`);
    assert.ok(report.samples.some((s) => versionOf(s.body) === "v2"), "the new version served");
  });

  test("a private subnet without NAT or endpoints: CannotPullContainerError in the service's events; a NAT gateway route lets the next task start", { skip: albOnly }, async () => {
    await ecs(
      "create-service", "--cluster", "vpc", "--service-name", "private", "--task-definition", "web:1", "--desired-count", "1", "--launch-type", "FARGATE",
      "--network-configuration", `awsvpcConfiguration={subnets=[${privateSubnet}],securityGroups=[${tasksSg}]}`,
    );
    const text = await pollUntil(async () => (await events("private")).find((m) => m.includes("was unable to place a task")), {
      timeoutMs: 60_000,
      what: "the failed start in the service's events",
    });
    assert.match(
      text,
      /^\(service private\) was unable to place a task\. Reason: CannotPullContainerError: pull image manifest has been retried 5 time\(s\): failed to resolve ref docker\.io\/slipway-test\/web:latest: failed to do request: Head "https:\/\/registry-1\.docker\.io\/v2\/slipway-test\/web\/manifests\/latest": dial tcp [\d.]+:443: i\/o timeout\.$/,
    );
    const stopped = await tasksOf("private", "STOPPED");
    assert.equal(stopped[0].stopCode, "TaskFailedToStart");
    assert.ok(slipway.output().includes(`${privateRt} (the route table of ${privateSubnet}) has no route`), "the log names the route table");

    const eip = (await ec2("allocate-address", "--domain", "vpc")).AllocationId;
    const nat = (await ec2("create-nat-gateway", "--subnet-id", subnetA, "--allocation-id", eip)).NatGateway.NatGatewayId;
    await run("aws", ["ec2", "wait", "nat-gateway-available", "--nat-gateway-ids", nat, "--endpoint-url", slipway.url], {
      env: { ...process.env, AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test", AWS_DEFAULT_REGION: "us-east-1" },
      timeout: 60_000,
    });
    await ec2("create-route", "--route-table-id", privateRt, "--destination-cidr-block", "0.0.0.0/0", "--nat-gateway-id", nat);
    const running = await pollUntil(async () => (await tasksOf("private"))[0], { timeoutMs: 90_000, what: "a task of the private service to run" });
    assert.ok(detail(running, "privateIPv4Address")!.startsWith(`${base}.3.`));
    await ecs("delete-service", "--cluster", "vpc", "--service", "private", "--force");
  });

  test("the tutorials' gotcha: assignPublicIp DISABLED in a public subnet fails the same way", { skip: albOnly }, async () => {
    const arn = (
      await ecs("run-task", "--cluster", "vpc", "--task-definition", "web:1", "--launch-type", "FARGATE",
        "--network-configuration", `awsvpcConfiguration={subnets=[${subnetB}],securityGroups=[${tasksSg}],assignPublicIp=DISABLED}`)
    ).tasks[0].taskArn;
    const t = await pollUntil(async () => {
      const x = (await ecs("describe-tasks", "--cluster", "vpc", "--tasks", arn)).tasks[0];
      return x.lastStatus === "STOPPED" ? x : undefined;
    }, { timeoutMs: 60_000, what: "the task to stop" });
    assert.equal(t.stopCode, "TaskFailedToStart");
    assert.match(t.stoppedReason, /^CannotPullContainerError: .* i\/o timeout$/);
    assert.ok(slipway.output().includes("needs a public IP"), "the log says the route needs a public IP");
  });

  test("bad input through the CLI: a group in use, a group of another VPC, an overlapping subnet", { skip: albOnly }, async () => {
    const err = async (args: string[]) => {
      try {
        await ec2(...args);
      } catch (e) {
        return (e as AwsCliError).stderr;
      }
      return "no error";
    };
    assert.match(await err(["delete-security-group", "--group-id", tasksSg]), /\(DependencyViolation\).*resource sg-\w+ has a dependent object/);
    const other = (await ec2("describe-security-groups", "--filters", "Name=group-name,Values=default", "Name=vpc-id,Values=" + (await ec2("describe-vpcs", "--filters", "Name=isDefault,Values=true")).Vpcs[0].VpcId)).SecurityGroups[0].GroupId;
    assert.match(
      await err(["authorize-security-group-ingress", "--group-id", tasksSg, "--protocol", "tcp", "--port", "9000", "--source-group", other]),
      /\(InvalidGroup\.NotFound\).*You have specified two resources that belong to different networks\./,
    );
    assert.match(await err(["create-subnet", "--vpc-id", vpcId, "--cidr-block", `${base}.1.128/25`]), /\(InvalidSubnet\.Conflict\)/);
    assert.match(await err(["delete-vpc", "--vpc-id", vpcId]), /\(DependencyViolation\)/);
  });

  test("health says groups are enforced; slipway clean removes the chains, jumps, addresses and networks", { skip: albOnly }, async () => {
    const health = (await (await fetch(`${slipway.url}/_slipway/health`)).json()) as { vpc: { securityGroupsEnforced: boolean; subnets: number } };
    assert.equal(health.vpc.securityGroupsEnforced, true);
    assert.ok(health.vpc.subnets >= 2);
    const prefix = `SWV${instanceId.replace(/-/g, "").slice(0, 4)}`;
    const bridge = `slw${instanceId.replace(/-/g, "").slice(0, 4)}`;
    assert.ok((await run("iptables-save", ["-t", "filter"])).stdout.includes(`:${prefix}-FWD`));
    await slipway.kill("SIGKILL");
    const saved = (await run("iptables-save", ["-t", "filter"])).stdout;
    assert.ok(saved.includes(`-j ${prefix}-FWD`), "a killed Slipway leaves its jumps (recorded)");
    await run(process.execPath, [`${REPO_ROOT}/bin/slipway.js`, "clean", "--data-dir", dataDir, "--keep-data"], { timeout: 120_000 });
    const after = (await run("iptables-save", ["-t", "filter"])).stdout;
    assert.ok(!after.includes(`${prefix}-`), "no chain or jump of this Slipway is left");
    assert.ok(!(await run("ip", ["-4", "-o", "addr", "show"])).stdout.includes(bridge), "no bridge address is left");
    assert.equal((await docker(["network", "ls", "--filter", `label=slipway.instance=${instanceId}`, "-q"])).trim(), "");
    assert.ok(after.includes("-A DOCKER-USER") || after.includes(":DOCKER-USER"), "Docker's own chains are untouched");
  });
});
