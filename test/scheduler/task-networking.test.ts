/**
 * awsvpc tasks in subnets EC2 knows, on the in-process harness (FakeRuntime, ManualClock), through
 * the real ECS and EC2 clients: one address per task (DescribeTasks, DescribeNetworkInterfaces and
 * the container agree), spread over subnets and zones, a full subnet (ECS's text), the cluster's
 * per-launch-type counts; and what a Fargate task's start can reach from its subnet: a private
 * subnet without a NAT gateway or endpoints, then with a NAT gateway route; ECR's interface
 * endpoints and the S3 gateway endpoint one by one; Secrets Manager and Logs endpoints; a public
 * subnet without a public IP. Each failure carries ECS's text, in the task and the service's events.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import * as ec2 from "@aws-sdk/client-ec2";
import * as ecs from "@aws-sdk/client-ecs";
import * as sm from "@aws-sdk/client-secrets-manager";
import { type Harness, harness, messages, SCOPE, webContainer } from "../helpers/harness.ts";

const EXEC_ROLE = "arn:aws:iam::000000000000:role/ecsTaskExecutionRole";
const creds = { accessKeyId: "test", secretAccessKey: "test" };
const detail = (t: ecs.Task, name: string) => t.attachments?.[0]?.details?.find((d) => d.name === name)?.value;

function clients(h: Harness) {
  const common = { region: "us-east-1", endpoint: h.s.url, credentials: creds, maxAttempts: 1 };
  return { ec2: new ec2.EC2Client(common), ecs: new ecs.ECSClient(common), sm: new sm.SecretsManagerClient(common) };
}

describe("one address per task", () => {
  let h: Harness;
  let c: ReturnType<typeof clients>;
  before(async () => {
    h = await harness({ slipway: { unreachableTimeoutMs: 3000 } });
    c = clients(h);
  });
  after(async () => {
    c.ec2.destroy();
    c.ecs.destroy();
    c.sm.destroy();
    await h.close();
  });

  test("a two-subnet service: one task per zone; the ENI's address everywhere; Fargate counted as Fargate", async () => {
    const subnets = (await c.ec2.send(new ec2.DescribeSubnetsCommand({ Filters: [{ Name: "default-for-az", Values: ["true"] }] }))).Subnets!;
    const [a, b] = subnets;
    const sg = (await c.ec2.send(new ec2.CreateSecurityGroupCommand({ GroupName: "spread", Description: "spread" }))).GroupId!;
    const td = h.registerTd({ family: "spread", networkMode: "awsvpc", requiresCompatibilities: ["FARGATE"], cpu: "256", memory: "512" });
    h.createService({
      serviceName: "spread",
      taskDefinition: td,
      desiredCount: 2,
      launchType: "FARGATE",
      networkConfiguration: { awsvpcConfiguration: { subnets: [a!.SubnetId!, b!.SubnetId!], securityGroups: [sg], assignPublicIp: "ENABLED" } },
    });
    assert.ok(await h.until(() => h.tasks("spread").filter((t) => t.lastStatus === "RUNNING").length === 2, 30_000));
    const tasks = h.tasks("spread");
    assert.deepEqual(new Set(tasks.map((t) => detail(t, "subnetId"))), new Set([a!.SubnetId, b!.SubnetId]), "the tasks land in both subnets");
    assert.deepEqual(new Set(tasks.map((t) => t.availabilityZone)), new Set(["us-east-1a", "us-east-1b"]));
    for (const t of tasks) {
      const ip = detail(t, "privateIPv4Address")!;
      const subnet = subnets.find((s) => s.SubnetId === detail(t, "subnetId"))!;
      assert.ok(ip.startsWith(subnet.CidrBlock!.split(".").slice(0, 3).join(".")), `${ip} in ${subnet.CidrBlock}`);
      assert.equal(detail(t, "privateDnsName"), `ip-${ip.replace(/\./g, "-")}.ec2.internal`);
      assert.equal(t.containers![0]!.networkInterfaces![0]!.privateIpv4Address, ip);
      const eni = (await c.ec2.send(new ec2.DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [detail(t, "networkInterfaceId")!] }))).NetworkInterfaces![0]!;
      assert.equal(eni.PrivateIpAddress, ip);
      assert.match(eni.Association?.PublicIp ?? "", /^198\.1[89]\./, "assignPublicIp ENABLED gives the ENI a public address");
      const container = (await h.containersOf(t.taskArn!))[0]!;
      const spec = h.rt.specOf(container.id)!;
      assert.equal(spec.network.mode === "network" && spec.network.ipv4Address, ip, "the container gets the ENI's address");
      assert.equal(container.ips[spec.network.mode === "network" ? spec.network.name : ""], ip);
      assert.equal(spec.hostname, `ip-${ip.replace(/\./g, "-")}.ec2.internal`);
    }
    const cluster = (await c.ecs.send(new ecs.DescribeClustersCommand({ clusters: ["default"], include: ["STATISTICS"] }))).clusters![0]!;
    const stat = (n: string) => cluster.statistics!.find((x) => x.name === n)?.value;
    assert.equal(stat("runningFargateTasksCount"), "2");
    assert.equal(stat("runningEC2TasksCount"), "0");
    await c.ecs.send(new ecs.DeleteServiceCommand({ cluster: "default", service: "spread", force: true }));
  });

  test("a full subnet: the task stops with ECS's text, said in the service's events; nothing half made", async () => {
    const vpc = (await c.ec2.send(new ec2.CreateVpcCommand({ CidrBlock: "10.3.0.0/16" }))).Vpc!;
    const tiny = (await c.ec2.send(new ec2.CreateSubnetCommand({ VpcId: vpc.VpcId, CidrBlock: "10.3.0.0/28" }))).Subnet!;
    for (let i = 0; i < 11; i++) await c.ec2.send(new ec2.CreateNetworkInterfaceCommand({ SubnetId: tiny.SubnetId }));
    const td = h.registerTd({ family: "full", networkMode: "awsvpc", requiresCompatibilities: ["FARGATE"], cpu: "256", memory: "512" });
    const run = await c.ecs.send(
      new ecs.RunTaskCommand({ taskDefinition: td, launchType: "FARGATE", networkConfiguration: { awsvpcConfiguration: { subnets: [tiny.SubnetId!] } } }),
    );
    const t = run.tasks![0]!;
    assert.equal(t.stopCode, "TaskFailedToStart");
    assert.equal(t.stoppedReason, `Unexpected EC2 error while attempting to Create Network Interface in subnet '${tiny.SubnetId}': InsufficientFreeAddressesInSubnet`);
    assert.ok(await h.until(async () => (await c.ecs.send(new ecs.DescribeTasksCommand({ tasks: [t.taskArn!] }))).tasks![0]!.lastStatus === "STOPPED", 10_000));
    const enis = await c.ec2.send(new ec2.DescribeNetworkInterfacesCommand({ Filters: [{ Name: "subnet-id", Values: [tiny.SubnetId!] }] }));
    assert.equal(enis.NetworkInterfaces!.length, 11);

    h.createService({
      serviceName: "full",
      taskDefinition: td,
      launchType: "FARGATE",
      networkConfiguration: { awsvpcConfiguration: { subnets: [tiny.SubnetId!], assignPublicIp: "ENABLED" } },
    });
    const text = `(service full) was unable to place a task. Reason: Unexpected EC2 error while attempting to Create Network Interface with public IP assignment enabled in subnet '${tiny.SubnetId}': InsufficientFreeAddressesInSubnet.`;
    assert.ok(await h.until(() => messages(h.service("full")).includes(text), 30_000), messages(h.service("full")).join("\n"));
    await c.ecs.send(new ecs.DeleteServiceCommand({ cluster: "default", service: "full", force: true }));
  });

  test("the EC2 launch type never gets a public IP", async () => {
    const subnet = (await c.ec2.send(new ec2.DescribeSubnetsCommand({}))).Subnets![0]!;
    const td = h.registerTd({ family: "ec2-awsvpc", networkMode: "awsvpc" });
    await assert.rejects(
      c.ecs.send(
        new ecs.RunTaskCommand({ taskDefinition: td, launchType: "EC2", networkConfiguration: { awsvpcConfiguration: { subnets: [subnet.SubnetId!], assignPublicIp: "ENABLED" } } }),
      ),
      { name: "InvalidParameterException", message: "Assign public IP is not supported for this launch type." },
    );
  });
});

describe("reachability from a subnet", () => {
  let h: Harness;
  let c: ReturnType<typeof clients>;
  let vpcId: string;
  let publicSubnet: string;
  let privateSubnet: string;
  let privateRt: string;
  let sg: string;
  let ecrImage: string;

  before(async () => {
    h = await harness({ slipway: { unreachableTimeoutMs: 3000 } });
    c = clients(h);
    ecrImage = "000000000000.dkr.ecr.us-east-1.amazonaws.com/app:1";
    h.rt.addRemoteImage(`127.0.0.1:${h.s.port}/app:1`);
    const vpc = (await c.ec2.send(new ec2.CreateVpcCommand({ CidrBlock: "10.7.0.0/16" }))).Vpc!;
    vpcId = vpc.VpcId!;
    await c.ec2.send(new ec2.ModifyVpcAttributeCommand({ VpcId: vpcId, EnableDnsHostnames: { Value: true } }));
    publicSubnet = (await c.ec2.send(new ec2.CreateSubnetCommand({ VpcId: vpcId, CidrBlock: "10.7.1.0/24", AvailabilityZone: "us-east-1a" }))).Subnet!.SubnetId!;
    privateSubnet = (await c.ec2.send(new ec2.CreateSubnetCommand({ VpcId: vpcId, CidrBlock: "10.7.2.0/24", AvailabilityZone: "us-east-1b" }))).Subnet!.SubnetId!;
    const igw = (await c.ec2.send(new ec2.CreateInternetGatewayCommand({}))).InternetGateway!.InternetGatewayId!;
    await c.ec2.send(new ec2.AttachInternetGatewayCommand({ InternetGatewayId: igw, VpcId: vpcId }));
    const publicRt = (await c.ec2.send(new ec2.CreateRouteTableCommand({ VpcId: vpcId }))).RouteTable!.RouteTableId!;
    await c.ec2.send(new ec2.CreateRouteCommand({ RouteTableId: publicRt, DestinationCidrBlock: "0.0.0.0/0", GatewayId: igw }));
    await c.ec2.send(new ec2.AssociateRouteTableCommand({ RouteTableId: publicRt, SubnetId: publicSubnet }));
    privateRt = (await c.ec2.send(new ec2.CreateRouteTableCommand({ VpcId: vpcId }))).RouteTable!.RouteTableId!;
    await c.ec2.send(new ec2.AssociateRouteTableCommand({ RouteTableId: privateRt, SubnetId: privateSubnet }));
    sg = (await c.ec2.send(new ec2.CreateSecurityGroupCommand({ GroupName: "tasks", Description: "tasks", VpcId: vpcId }))).GroupId!;
  });
  after(async () => {
    c.ec2.destroy();
    c.ecs.destroy();
    c.sm.destroy();
    await h.close();
  });

  /** Runs one Fargate task; resolves with its final state once it runs or stops. */
  async function runOne(family: string, containers: ecs.ContainerDefinition[], subnet: string, assignPublicIp: "ENABLED" | "DISABLED" = "DISABLED") {
    const td = h.registerTd({ family, networkMode: "awsvpc", requiresCompatibilities: ["FARGATE"], cpu: "256", memory: "512", executionRoleArn: EXEC_ROLE, containerDefinitions: containers });
    const arn = (await c.ecs.send(new ecs.RunTaskCommand({ taskDefinition: td, launchType: "FARGATE", networkConfiguration: { awsvpcConfiguration: { subnets: [subnet], securityGroups: [sg], assignPublicIp } } })))
      .tasks![0]!.taskArn!;
    const describe = async () => (await c.ecs.send(new ecs.DescribeTasksCommand({ tasks: [arn] }))).tasks![0]!;
    assert.ok(await h.until(async () => ["RUNNING", "STOPPED"].includes((await describe()).lastStatus!), 30_000));
    return describe();
  }

  test("a private subnet without NAT or endpoints: CannotPullContainerError with the timeout wording, in the service's events; a NAT gateway route lets the next task start", async () => {
    const td = h.registerTd({ family: "private-web", networkMode: "awsvpc", requiresCompatibilities: ["FARGATE"], cpu: "256", memory: "512" });
    h.createService({
      serviceName: "private-web",
      taskDefinition: td,
      launchType: "FARGATE",
      networkConfiguration: { awsvpcConfiguration: { subnets: [privateSubnet], securityGroups: [sg] } },
    });
    const text = (await (async () => {
      assert.ok(await h.until(() => h.tasks("private-web").some((t) => t.stopCode === "TaskFailedToStart"), 30_000));
      return h.tasks("private-web").find((t) => t.stopCode === "TaskFailedToStart")!.stoppedReason!;
    })())!;
    assert.match(
      text,
      /^CannotPullContainerError: pull image manifest has been retried 5 time\(s\): failed to resolve ref docker\.io\/library\/web:1: failed to do request: Head "https:\/\/registry-1\.docker\.io\/v2\/library\/web\/manifests\/1": dial tcp [\d.]+:443: i\/o timeout$/,
    );
    assert.ok(await h.until(() => messages(h.service("private-web")).includes(`(service private-web) was unable to place a task. Reason: ${text}.`), 10_000));
    assert.ok(h.logs.some((l) => l.includes(`cannot reach the registry of web:1 (the internet)`) && l.includes(privateRt) && l.includes("has no route")), h.logs.join("\n"));

    // A NAT gateway in the public subnet and a default route to it.
    const eip = await c.ec2.send(new ec2.AllocateAddressCommand({}));
    const nat = (await c.ec2.send(new ec2.CreateNatGatewayCommand({ SubnetId: publicSubnet, AllocationId: eip.AllocationId }))).NatGateway!.NatGatewayId!;
    await c.ec2.send(new ec2.CreateRouteCommand({ RouteTableId: privateRt, DestinationCidrBlock: "0.0.0.0/0", NatGatewayId: nat }));
    assert.ok(await h.until(() => h.tasks("private-web").some((t) => t.lastStatus === "RUNNING"), 60_000), messages(h.service("private-web")).join("\n"));
    await c.ecs.send(new ecs.DeleteServiceCommand({ cluster: "default", service: "private-web", force: true }));
    assert.ok(await h.until(() => h.tasks("private-web").every((t) => t.lastStatus === "STOPPED"), 60_000));
    await c.ec2.send(new ec2.DeleteRouteCommand({ RouteTableId: privateRt, DestinationCidrBlock: "0.0.0.0/0" }));
    await c.ec2.send(new ec2.DeleteNatGatewayCommand({ NatGatewayId: nat }));
  });

  test("ECR from a private subnet: registry auth, then the registry, then the layers, each needing its endpoint", async () => {
    const app = [webContainer({ image: ecrImage })];
    const auth = await runOne("ecr-none", app, privateSubnet);
    assert.equal(auth.stopCode, "TaskFailedToStart");
    assert.match(
      auth.stoppedReason!,
      /^ResourceInitializationError: unable to pull secrets or registry auth: The task cannot pull registry auth from Amazon ECR: There is a connection issue between the task and Amazon ECR\. Check your task network configuration\. RequestError: send request failed caused by: Post "https:\/\/api\.ecr\.us-east-1\.amazonaws\.com\/": dial tcp [\d.]+:443: i\/o timeout$/,
    );

    const endpoint = (service: string, extra: Partial<ec2.CreateVpcEndpointRequest> = {}) =>
      c.ec2.send(new ec2.CreateVpcEndpointCommand({ VpcId: vpcId, ServiceName: `com.amazonaws.us-east-1.${service}`, VpcEndpointType: "Interface", SubnetIds: [privateSubnet], ...extra }));
    // Endpoints get the VPC's default group, which admits only its own members: allow 443 from the tasks.
    const def = (await c.ec2.send(new ec2.DescribeSecurityGroupsCommand({ Filters: [{ Name: "vpc-id", Values: [vpcId] }, { Name: "group-name", Values: ["default"] }] }))).SecurityGroups![0]!.GroupId!;
    await c.ec2.send(new ec2.AuthorizeSecurityGroupIngressCommand({ GroupId: def, IpPermissions: [{ IpProtocol: "tcp", FromPort: 443, ToPort: 443, UserIdGroupPairs: [{ GroupId: sg }] }] }));
    await endpoint("ecr.api");
    h.clock.advance(1000);
    const dkr = await runOne("ecr-api-only", app, privateSubnet);
    assert.match(
      dkr.stoppedReason!,
      /^CannotPullContainerError: The task cannot pull '000000000000\.dkr\.ecr\.us-east-1\.amazonaws\.com\/app:1' from the Amazon ECR repository 'app'\. There is a connection issue between the task and Amazon ECR\. Check your task network configuration\. failed to do request: Head "https:\/\/000000000000\.dkr\.ecr\.us-east-1\.amazonaws\.com\/v2\/app\/manifests\/1": dial tcp [\d.]+:443: i\/o timeout$/,
    );
    await endpoint("ecr.dkr");
    h.clock.advance(1000);
    const layers = await runOne("ecr-no-s3", app, privateSubnet);
    assert.match(layers.stoppedReason!, /^CannotPullContainerError: The task cannot pull .* failed to copy: httpReadSeeker: failed open: failed to do request: Get "https:\/\/prod-us-east-1-starport-layer-bucket\.s3\.us-east-1\.amazonaws\.com\/": dial tcp 52\.216\.[\d.]+:443: i\/o timeout$/);
    assert.ok(h.logs.some((l) => l.includes("no S3 gateway endpoint")), h.logs.join("\n"));
    await c.ec2.send(new ec2.CreateVpcEndpointCommand({ VpcId: vpcId, ServiceName: "com.amazonaws.us-east-1.s3", RouteTableIds: [privateRt] }));
    h.clock.advance(1000);
    const ok = await runOne("ecr-ok", app, privateSubnet);
    assert.equal(ok.lastStatus, "RUNNING", ok.stoppedReason);

    // awslogs and a Secrets Manager secret need their endpoints too.
    const logged = [webContainer({ image: ecrImage, logConfiguration: { logDriver: "awslogs", options: { "awslogs-group": "/app", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "x", "awslogs-create-group": "true" } } })];
    const logs = await runOne("ecr-logs", logged, privateSubnet);
    assert.match(logs.stoppedReason!, /^ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: failed to create Cloudwatch log stream: RequestError: send request failed caused by: Post "https:\/\/logs\.us-east-1\.amazonaws\.com\/": dial tcp [\d.]+:443: i\/o timeout$/);
    const secretArn = (await c.sm.send(new sm.CreateSecretCommand({ Name: "db", SecretString: "x" }))).ARN!;
    const secret = await runOne("ecr-secret", [webContainer({ image: ecrImage, secrets: [{ name: "DB", valueFrom: secretArn }] })], privateSubnet);
    assert.equal(
      secret.stoppedReason,
      `ResourceInitializationError: unable to pull secrets or registry auth: unable to retrieve secret from asm: There is a connection issue between the task and AWS Secrets Manager. Check your task network configuration. failed to fetch secret ${secretArn} from secrets manager: operation error Secrets Manager: GetSecretValue, https response error StatusCode: 0, RequestID: , canceled, context deadline exceeded.`,
    );
    await endpoint("logs");
    await endpoint("secretsmanager");
    h.clock.advance(1000);
    assert.equal((await runOne("ecr-logs-2", logged, privateSubnet)).lastStatus, "RUNNING");
    assert.equal((await runOne("ecr-secret-2", [webContainer({ image: ecrImage, secrets: [{ name: "DB", valueFrom: secretArn }] })], privateSubnet)).lastStatus, "RUNNING");
  });

  test("the tutorials' gotcha: a public subnet with assignPublicIp DISABLED fails the same way; ENABLED runs", async () => {
    const off = await runOne("public-off", [webContainer()], publicSubnet, "DISABLED");
    assert.equal(off.stopCode, "TaskFailedToStart");
    assert.match(off.stoppedReason!, /^CannotPullContainerError: pull image manifest has been retried 5 time\(s\): .* i\/o timeout$/);
    assert.ok(h.logs.some((l) => l.includes("needs a public IP") && l.includes("assignPublicIp is DISABLED")), h.logs.join("\n"));
    const on = await runOne("public-on", [webContainer()], publicSubnet, "ENABLED");
    assert.equal(on.lastStatus, "RUNNING", on.stoppedReason);
  });
});
