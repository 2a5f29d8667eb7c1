/**
 * Bad input for every service beside ECS, through the real SDK clients (and raw fetch for bodies
 * no SDK would send) against startSlipway on FakeRuntime: malformed requests, unknown ids, and
 * deleting what is still in use. Each gets AWS's error, nothing is lost (the resource still
 * describes afterwards), and the server keeps serving after each.
 *
 * Also the ENIs of awsvpc tasks and load balancers (src/services/ecs/networking.ts,
 * src/services/elbv2/networking.ts): made with the security groups they were given, listed by
 * DescribeNetworkInterfaces group-id (what Terraform polls before deleting a group), holding
 * their groups against DeleteSecurityGroup, released when the task stops / the LB goes, and
 * released on restart for a task that is STOPPED while its ENI is still there.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import * as cwl from "@aws-sdk/client-cloudwatch-logs";
import * as ec2 from "@aws-sdk/client-ec2";
import * as ecr from "@aws-sdk/client-ecr";
import * as ecs from "@aws-sdk/client-ecs";
import * as elb from "@aws-sdk/client-elastic-load-balancing-v2";
import * as iam from "@aws-sdk/client-iam";
import * as sts from "@aws-sdk/client-sts";
import { ManualClock } from "../../src/core/clock.ts";
import { seededIds } from "../../src/core/ids.ts";
import { FakeRuntime } from "../../src/runtime/fake-runtime.ts";
import { startSlipway, type Slipway } from "../../src/server/slipway.ts";
import { EcsRepo } from "../../src/services/ecs/repo.ts";
import { Store } from "../../src/store/store.ts";
import { expectError } from "../helpers/errors.ts";

const REGION = "us-east-1";
const ACCOUNT = "000000000000";
const credentials = { accessKeyId: "test", secretAccessKey: "test" };
const TRUST = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" }],
});
const EXEC_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy";

let s: Slipway;
let dir: string;
let clock: ManualClock;
let rt: FakeRuntime;
let clients: ReturnType<typeof makeClients>;

function makeClients(url: string) {
  const cfg = { region: REGION, endpoint: url, credentials, maxAttempts: 1 };
  return {
    ecs: new ecs.ECSClient(cfg),
    ec2: new ec2.EC2Client(cfg),
    elb: new elb.ElasticLoadBalancingV2Client(cfg),
    ecr: new ecr.ECRClient(cfg),
    iam: new iam.IAMClient(cfg),
    sts: new sts.STSClient(cfg),
    logs: new cwl.CloudWatchLogsClient(cfg),
  };
}

async function start(): Promise<void> {
  s = await startSlipway({ port: 0, dataDir: dir, runtime: rt, clock, ids: seededIds("bad-input"), log: () => {} });
  clients = makeClients(s.url);
}

async function stop(): Promise<void> {
  for (const c of Object.values(clients)) c.destroy();
  await s.close();
}

before(async () => {
  clock = new ManualClock();
  rt = new FakeRuntime({ clock });
  rt.addImage("web:1");
  dir = mkdtempSync(join(tmpdir(), "slipway-bad-input-"));
  await start();
});

after(async () => {
  await stop();
  rmSync(dir, { recursive: true, force: true });
});


/** The server still answers: its health endpoint and one call of every service. */
async function stillServing(): Promise<void> {
  const h = await fetch(`${s.url}/_slipway/health`);
  assert.equal(h.status, 200);
  await h.arrayBuffer();
  await Promise.all([
    clients.ecr.send(new ecr.DescribeRepositoriesCommand({})),
    clients.elb.send(new elb.DescribeLoadBalancersCommand({})),
    clients.ec2.send(new ec2.DescribeVpcsCommand({})),
    clients.iam.send(new iam.ListRolesCommand({})),
    clients.sts.send(new sts.GetCallerIdentityCommand({})),
    clients.logs.send(new cwl.DescribeLogGroupsCommand({})),
  ]);
}

const settle = async () => {
  for (let i = 0; i < 6; i++) {
    await new Promise<void>((r) => setImmediate(r));
    await s.idle();
  }
};

const signed = (service: string) =>
  `AWS4-HMAC-SHA256 Credential=test/20260101/${REGION}/${service}/aws4_request, SignedHeaders=host, Signature=00`;

async function rawJson(target: string, service: string, body: string): Promise<{ status: number; json: { __type: string; message: string } }> {
  const r = await fetch(`${s.url}/`, {
    method: "POST",
    headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": target, authorization: signed(service) },
    body,
  });
  return { status: r.status, json: (await r.json()) as { __type: string; message: string } };
}

async function rawForm(service: string, body: string): Promise<{ status: number; code: string; message: string }> {
  const r = await fetch(`${s.url}/`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded; charset=utf-8", authorization: signed(service) },
    body,
  });
  const text = await r.text();
  return { status: r.status, code: /<Code>([^<]*)<\/Code>/.exec(text)?.[1] ?? "", message: /<Message>([^<]*)<\/Message>/.exec(text)?.[1] ?? "" };
}

async function defaultNetwork(): Promise<{ vpcId: string; subnets: string[] }> {
  const vpc = (await clients.ec2.send(new ec2.DescribeVpcsCommand({ Filters: [{ Name: "isDefault", Values: ["true"] }] }))).Vpcs![0]!;
  const subnets = (await clients.ec2.send(new ec2.DescribeSubnetsCommand({ Filters: [{ Name: "vpc-id", Values: [vpc.VpcId!] }] }))).Subnets!;
  return { vpcId: vpc.VpcId!, subnets: subnets.map((x) => x.SubnetId!).sort() };
}

async function group(name: string, vpcId: string): Promise<string> {
  return (await clients.ec2.send(new ec2.CreateSecurityGroupCommand({ GroupName: name, Description: name, VpcId: vpcId }))).GroupId!;
}

async function enisOf(groupId: string): Promise<ec2.NetworkInterface[]> {
  return (await clients.ec2.send(new ec2.DescribeNetworkInterfacesCommand({ Filters: [{ Name: "group-id", Values: [groupId] }] }))).NetworkInterfaces!;
}

async function groupExists(groupId: string): Promise<void> {
  const g = await clients.ec2.send(new ec2.DescribeSecurityGroupsCommand({ GroupIds: [groupId] }));
  assert.equal(g.SecurityGroups?.[0]?.GroupId, groupId);
}

describe("malformed requests", () => {
  test("ECR and Logs (awsJson1_1): broken JSON and wrong types → SerializationException, missing members → ValidationException", async () => {
    for (const [target, service, member] of [
      ["AmazonEC2ContainerRegistry_V20150921.CreateRepository", "ecr", "repositoryName"],
      ["Logs_20140328.CreateLogGroup", "logs", "logGroupName"],
    ] as const) {
      const broken = await rawJson(target, service, "{not json");
      assert.equal(broken.status, 400);
      assert.equal(broken.json.__type, "SerializationException");
      const wrongType = await rawJson(target, service, JSON.stringify({ [member]: 5 }));
      assert.equal(wrongType.status, 400);
      assert.equal(wrongType.json.__type, "SerializationException");
      assert.match(wrongType.json.message, new RegExp(`'${member}', expected string`));
      const missing = await rawJson(target, service, "{}");
      assert.equal(missing.status, 400);
      assert.equal(missing.json.__type, "ValidationException");
      assert.equal(missing.json.message, `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`);
      await stillServing();
    }
    // Nothing was made by any of them.
    assert.deepEqual((await clients.ecr.send(new ecr.DescribeRepositoriesCommand({}))).repositories, []);
    assert.deepEqual((await clients.logs.send(new cwl.DescribeLogGroupsCommand({}))).logGroups, []);
  });

  test("ELBv2, IAM and STS (awsQuery): bad numbers and missing members → ValidationError; no Action → MissingAction; unknown → InvalidAction", async () => {
    const cases: [string, string, string, RegExp][] = [
      ["elasticloadbalancing", "Action=DescribeLoadBalancers&Version=2015-12-01&PageSize=abc", "ValidationError", /Value 'abc' at 'PageSize'/],
      ["elasticloadbalancing", "Action=CreateTargetGroup&Version=2015-12-01", "ValidationError", /Value null at 'Name'/],
      ["elasticloadbalancing", "%%%garbage", "MissingAction", /Missing Action/],
      ["elasticloadbalancing", "Action=NoSuchThing&Version=2015-12-01", "InvalidAction", /NoSuchThing is not valid/],
      ["iam", "Action=GetRole&Version=2010-05-08", "ValidationError", /Value null at 'RoleName'/],
      ["iam", "Action=CreateRole&Version=2010-05-08&RoleName=r&AssumeRolePolicyDocument=%7Bnot", "MalformedPolicyDocument", /invalid Json/],
      ["sts", "Action=AssumeRole&Version=2011-06-15", "ValidationError", /Value null at 'RoleArn'/],
    ];
    for (const [service, body, code, message] of cases) {
      const r = await rawForm(service, body);
      assert.equal(r.status, 400, `${service} ${body}`);
      assert.equal(r.code, code, `${service} ${body}: ${r.message}`);
      assert.match(r.message.replace(/&apos;/g, "'"), message);
      await stillServing();
    }
    await expectError(clients.iam.send(new iam.GetRoleCommand({ RoleName: "r" })), "NoSuchEntityException", undefined, 404);
  });

  test("EC2 (ec2Query): bad numbers → InvalidParameterValue, missing members → MissingParameter (EC2's codes); malformed ids → *.Malformed", async () => {
    const num = await rawForm("ec2", "Action=DescribeVpcs&Version=2016-11-15&MaxResults=abc");
    assert.equal(num.status, 400);
    assert.equal(num.code, "InvalidParameterValue");
    assert.equal(num.message.replace(/&apos;/g, "'"), "Value (abc) for parameter MaxResults is invalid. Expected: 'Integer'.");
    const missing = await rawForm("ec2", "Action=CreateSecurityGroup&Version=2016-11-15&GroupDescription=d");
    assert.equal(missing.status, 400);
    assert.equal(missing.code, "MissingParameter");
    assert.equal(missing.message, "The request must contain the parameter GroupName");
    const badEnum = await rawForm("ec2", "Action=CreateVpcEndpoint&Version=2016-11-15&VpcId=vpc-0123456789abcdef0&ServiceName=x&VpcEndpointType=Bogus");
    assert.equal(badEnum.code, "InvalidParameterValue");
    assert.equal(badEnum.message, "Value (Bogus) for parameter VpcEndpointType is invalid. Valid values: Gateway, GatewayLoadBalancer, Interface, Resource, ServiceNetwork, Tunnel");
    await expectError(clients.ec2.send(new ec2.DeleteSecurityGroupCommand({ GroupId: "sg-1" })), "InvalidGroupId.Malformed", 'Invalid id: "sg-1" (expecting "sg-...")');
    await expectError(clients.ec2.send(new ec2.DescribeSubnetsCommand({ SubnetIds: ["subnet-x"] })), "InvalidSubnetID.Malformed");
    await stillServing();
  });
});

describe("unknown ids", () => {
  test("each service's not-found error", async () => {
    await expectError(clients.ecr.send(new ecr.DescribeRepositoriesCommand({ repositoryNames: ["nope"] })), "RepositoryNotFoundException", /The repository with name 'nope' does not exist/);
    await expectError(clients.ecr.send(new ecr.DescribeImagesCommand({ repositoryName: "nope" })), "RepositoryNotFoundException");
    await expectError(clients.ecr.send(new ecr.DeleteRepositoryCommand({ repositoryName: "nope" })), "RepositoryNotFoundException");
    const lbArn = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:loadbalancer/app/nope/0123456789abcdef`;
    await expectError(clients.elb.send(new elb.DescribeLoadBalancersCommand({ LoadBalancerArns: [lbArn] })), "LoadBalancerNotFoundException", "One or more load balancers not found");
    await expectError(
      clients.elb.send(new elb.DescribeTargetGroupsCommand({ TargetGroupArns: [`arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/nope/0123456789abcdef`] })),
      "TargetGroupNotFoundException",
    );
    await expectError(
      clients.elb.send(new elb.DescribeListenersCommand({ ListenerArns: [`arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:listener/app/nope/0123456789abcdef/0123456789abcdef`] })),
      "ListenerNotFoundException",
    );
    await expectError(clients.ec2.send(new ec2.DescribeSecurityGroupsCommand({ GroupIds: ["sg-0123456789abcdef0"] })), "InvalidGroup.NotFound", "The security group 'sg-0123456789abcdef0' does not exist");
    await expectError(clients.ec2.send(new ec2.DeleteSecurityGroupCommand({ GroupId: "sg-0123456789abcdef0" })), "InvalidGroup.NotFound");
    await expectError(clients.ec2.send(new ec2.DescribeSubnetsCommand({ SubnetIds: ["subnet-0123456789abcdef0"] })), "InvalidSubnetID.NotFound");
    await expectError(clients.ec2.send(new ec2.DeleteVpcCommand({ VpcId: "vpc-0123456789abcdef0" })), "InvalidVpcID.NotFound");
    await expectError(clients.ec2.send(new ec2.DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: ["eni-0123456789abcdef0"] })), "InvalidNetworkInterfaceID.NotFound");
    await expectError(clients.iam.send(new iam.GetRoleCommand({ RoleName: "nope" })), "NoSuchEntityException", /nope/, 404);
    await expectError(clients.iam.send(new iam.DeleteRoleCommand({ RoleName: "nope" })), "NoSuchEntityException", undefined, 404);
    await expectError(clients.iam.send(new iam.GetPolicyCommand({ PolicyArn: `arn:aws:iam::${ACCOUNT}:policy/nope` })), "NoSuchEntityException", undefined, 404);
    await expectError(
      clients.sts.send(new sts.AssumeRoleCommand({ RoleArn: `arn:aws:iam::${ACCOUNT}:role/nope`, RoleSessionName: "session" })),
      "AccessDenied",
      /is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::000000000000:role\/nope/,
      403,
    );
    await expectError(clients.logs.send(new cwl.DescribeLogStreamsCommand({ logGroupName: "/nope" })), "ResourceNotFoundException", "The specified log group does not exist.");
    await expectError(clients.logs.send(new cwl.GetLogEventsCommand({ logGroupName: "/nope", logStreamName: "x" })), "ResourceNotFoundException");
    await expectError(clients.logs.send(new cwl.DeleteLogGroupCommand({ logGroupName: "/nope" })), "ResourceNotFoundException");
    await stillServing();
  });
});

describe("deleting what is still in use", () => {
  test("a security group used by an awsvpc task: its ENI lists it; DependencyViolation until the task stops", async () => {
    const { vpcId, subnets } = await defaultNetwork();
    const sg = await group("tasks", vpcId);
    await clients.ecs.send(new ecs.CreateClusterCommand({ clusterName: "bad" }));
    await clients.ecs.send(
      new ecs.RegisterTaskDefinitionCommand({ family: "vpc", networkMode: "awsvpc", containerDefinitions: [{ name: "web", image: "web:1", memory: 64 }] }),
    );
    const run = await clients.ecs.send(
      new ecs.RunTaskCommand({ cluster: "bad", taskDefinition: "vpc", networkConfiguration: { awsvpcConfiguration: { subnets: [subnets[1]!], securityGroups: [sg] } } }),
    );
    const task = run.tasks![0]!;
    const details = Object.fromEntries(task.attachments![0]!.details!.map((d) => [d.name, d.value]));
    assert.equal(details.subnetId, subnets[1]);
    const [eni] = await enisOf(sg);
    assert.ok(eni);
    assert.equal(details.networkInterfaceId, eni.NetworkInterfaceId);
    assert.equal(details.macAddress, eni.MacAddress);
    assert.equal(eni.Description, `arn:aws:ecs:${REGION}:${ACCOUNT}:attachment/${task.attachments![0]!.id}`);
    assert.equal(eni.SubnetId, subnets[1]);
    assert.equal(eni.Attachment?.InstanceOwnerId, "amazon-aws");
    assert.deepEqual(eni.Groups?.map((g) => g.GroupId), [sg]);
    await settle();

    await expectError(clients.ec2.send(new ec2.DeleteSecurityGroupCommand({ GroupId: sg })), "DependencyViolation", `resource ${sg} has a dependent object`);
    await expectError(clients.ec2.send(new ec2.DeleteSubnetCommand({ SubnetId: subnets[1]! })), "DependencyViolation");
    await groupExists(sg);
    await stillServing();

    await clients.ecs.send(new ecs.StopTaskCommand({ cluster: "bad", task: task.taskArn! }));
    await settle();
    const stopped = (await clients.ecs.send(new ecs.DescribeTasksCommand({ cluster: "bad", tasks: [task.taskArn!] }))).tasks![0]!;
    assert.equal(stopped.lastStatus, "STOPPED");
    assert.equal(stopped.attachments![0]!.status, "DELETED");
    assert.deepEqual(await enisOf(sg), []);
    await clients.ec2.send(new ec2.DeleteSecurityGroupCommand({ GroupId: sg }));
    await expectError(clients.ec2.send(new ec2.DescribeSecurityGroupsCommand({ GroupIds: [sg] })), "InvalidGroup.NotFound");
  });

  test("awsvpc tasks: a network EC2 knows is checked as ECS checks it; placeholder subnets stay lenient", async () => {
    const { vpcId, subnets } = await defaultNetwork();
    const run = (awsvpcConfiguration: ecs.AwsVpcConfiguration) =>
      clients.ecs.send(new ecs.RunTaskCommand({ cluster: "bad", taskDefinition: "vpc", networkConfiguration: { awsvpcConfiguration } }));
    await expectError(
      run({ subnets: [subnets[0]!], securityGroups: ["sg-0123456789abcdef0"] }),
      "InvalidParameterException",
      "Error retrieving security group information for [sg-0123456789abcdef0]: The security group 'sg-0123456789abcdef0' does not exist (ErrorCode: InvalidGroup.NotFound)",
    );
    await expectError(
      run({ subnets: [subnets[0]!, "subnet-0123456789abcdef0"] }),
      "InvalidParameterException",
      "Error retrieving subnet information for [subnet-0123456789abcdef0]: The subnet ID 'subnet-0123456789abcdef0' does not exist (ErrorCode: InvalidSubnetID.NotFound)",
    );
    await expectError(
      clients.ecs.send(
        new ecs.CreateServiceCommand({
          cluster: "bad",
          serviceName: "svc",
          taskDefinition: "vpc",
          desiredCount: 1,
          networkConfiguration: { awsvpcConfiguration: { subnets: [subnets[0]!], securityGroups: ["sg-0123456789abcdef0"] } },
        }),
      ),
      "InvalidParameterException",
      /Error retrieving security group information for \[sg-0123456789abcdef0\]/,
    );
    // Nothing was launched by the rejected calls.
    assert.deepEqual((await clients.ecs.send(new ecs.ListTasksCommand({ cluster: "bad" }))).taskArns, []);

    // No security group: the VPC's default group, as on AWS.
    const plain = (await run({ subnets: [subnets[0]!] })).tasks![0]!;
    const eniId = plain.attachments![0]!.details!.find((d) => d.name === "networkInterfaceId")!.value!;
    const eni = (await clients.ec2.send(new ec2.DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eniId] }))).NetworkInterfaces![0]!;
    const dflt = (await clients.ec2.send(new ec2.DescribeSecurityGroupsCommand({ Filters: [{ Name: "vpc-id", Values: [vpcId] }, { Name: "group-name", Values: ["default"] }] })))
      .SecurityGroups![0]!;
    assert.deepEqual(eni.Groups?.map((g) => g.GroupId), [dflt.GroupId]);

    // Placeholder ids EC2 does not know: the task runs without an ENI, as before.
    const lenient = (await run({ subnets: ["subnet-1"], securityGroups: ["sg-1"] })).tasks![0]!;
    assert.equal(lenient.attachments![0]!.details!.find((d) => d.name === "subnetId")?.value, "subnet-1");
    assert.match(lenient.attachments![0]!.details!.find((d) => d.name === "networkInterfaceId")!.value!, /^eni-/);
    for (const t of [plain, lenient]) await clients.ecs.send(new ecs.StopTaskCommand({ cluster: "bad", task: t.taskArn! }));
    await settle();
    await expectError(clients.ec2.send(new ec2.DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eniId] })), "InvalidNetworkInterfaceID.NotFound");
  });

  test("a service whose security group went away says so in an event and launches nothing", async () => {
    const { vpcId, subnets } = await defaultNetwork();
    const sg = await group("gone", vpcId);
    await clients.ecs.send(
      new ecs.CreateServiceCommand({
        cluster: "bad",
        serviceName: "orphaned",
        taskDefinition: "vpc",
        desiredCount: 0,
        networkConfiguration: { awsvpcConfiguration: { subnets: [subnets[0]!], securityGroups: [sg] } },
      }),
    );
    await clients.ec2.send(new ec2.DeleteSecurityGroupCommand({ GroupId: sg }));
    await clients.ecs.send(new ecs.UpdateServiceCommand({ cluster: "bad", service: "orphaned", desiredCount: 1 }));
    await settle();
    const svc = (await clients.ecs.send(new ecs.DescribeServicesCommand({ cluster: "bad", services: ["orphaned"] }))).services![0]!;
    assert.equal(svc.runningCount, 0);
    assert.equal(
      svc.events?.[0]?.message,
      `(service orphaned) failed to launch a task with (error Error retrieving security group information for [${sg}]: The security group '${sg}' does not exist (ErrorCode: InvalidGroup.NotFound)).`,
    );
    assert.deepEqual((await clients.ecs.send(new ecs.ListTasksCommand({ cluster: "bad", serviceName: "orphaned" }))).taskArns, []);
    await clients.ecs.send(new ecs.DeleteServiceCommand({ cluster: "bad", service: "orphaned", force: true }));
    await stillServing();
  });

  test("a security group used by a load balancer: one ENI per subnet; DependencyViolation until it is deleted", async () => {
    const { vpcId, subnets } = await defaultNetwork();
    const sg = await group("alb", vpcId);
    const other = await group("alb-2", vpcId);
    await expectError(
      clients.elb.send(new elb.CreateLoadBalancerCommand({ Name: "bad", Subnets: subnets.slice(0, 2), SecurityGroups: ["sg-0123456789abcdef0"] })),
      "InvalidSecurityGroupException",
      "The security group 'sg-0123456789abcdef0' does not exist",
    );
    await expectError(
      clients.elb.send(new elb.CreateLoadBalancerCommand({ Name: "bad", Subnets: [subnets[0]!, "subnet-0123456789abcdef0"], SecurityGroups: [sg] })),
      "SubnetNotFoundException",
    );
    assert.deepEqual((await clients.elb.send(new elb.DescribeLoadBalancersCommand({}))).LoadBalancers, []);

    const lb = (await clients.elb.send(new elb.CreateLoadBalancerCommand({ Name: "bad", Subnets: subnets.slice(0, 2), SecurityGroups: [sg] }))).LoadBalancers![0]!;
    assert.equal(lb.VpcId, vpcId);
    assert.deepEqual(lb.SecurityGroups, [sg]);
    const zones = (await clients.ec2.send(new ec2.DescribeSubnetsCommand({ SubnetIds: subnets.slice(0, 2) }))).Subnets!;
    assert.deepEqual(
      lb.AvailabilityZones!.map((z) => [z.SubnetId, z.ZoneName]).sort(),
      zones.map((z) => [z.SubnetId, z.AvailabilityZone]).sort(),
    );
    const id = lb.LoadBalancerArn!.split("/").at(-1);
    const enis = await enisOf(sg);
    assert.equal(enis.length, 2);
    assert.deepEqual(enis.map((n) => n.SubnetId).sort(), subnets.slice(0, 2));
    for (const n of enis) {
      assert.equal(n.Description, `ELB app/bad/${id}`);
      assert.equal(n.Attachment?.InstanceOwnerId, "amazon-elb");
    }
    // What Terraform's aws_lb destroy polls.
    const byOwner = await clients.ec2.send(
      new ec2.DescribeNetworkInterfacesCommand({ Filters: [{ Name: "attachment.instance-owner-id", Values: ["amazon-elb"] }, { Name: "description", Values: [`ELB app/bad/${id}`] }] }),
    );
    assert.equal(byOwner.NetworkInterfaces!.length, 2);

    await expectError(clients.ec2.send(new ec2.DeleteSecurityGroupCommand({ GroupId: sg })), "DependencyViolation");
    await groupExists(sg);
    await stillServing();

    // SetSecurityGroups moves the ENIs; SetSubnets adds and drops them.
    await clients.elb.send(new elb.SetSecurityGroupsCommand({ LoadBalancerArn: lb.LoadBalancerArn!, SecurityGroups: [other] }));
    assert.deepEqual(await enisOf(sg), []);
    assert.equal((await enisOf(other)).length, 2);
    await clients.elb.send(new elb.SetSubnetsCommand({ LoadBalancerArn: lb.LoadBalancerArn!, Subnets: subnets.slice(1, 3) }));
    assert.deepEqual((await enisOf(other)).map((n) => n.SubnetId).sort(), subnets.slice(1, 3));
    const kept = enis.find((n) => n.SubnetId === subnets[1]);
    assert.ok((await enisOf(other)).some((n) => n.NetworkInterfaceId === kept!.NetworkInterfaceId), "the ENI of a kept subnet stays");

    await clients.ec2.send(new ec2.DeleteSecurityGroupCommand({ GroupId: sg }));
    await expectError(clients.ec2.send(new ec2.DeleteSecurityGroupCommand({ GroupId: other })), "DependencyViolation");
    await clients.elb.send(new elb.DeleteLoadBalancerCommand({ LoadBalancerArn: lb.LoadBalancerArn! }));
    assert.deepEqual(await enisOf(other), []);
    await clients.ec2.send(new ec2.DeleteSecurityGroupCommand({ GroupId: other }));

    // Placeholder subnets: no ENIs, placeholder zones and VPC, as before.
    const loose = (await clients.elb.send(new elb.CreateLoadBalancerCommand({ Name: "loose", Subnets: ["subnet-aaa", "subnet-bbb"], SecurityGroups: ["sg-123"] })))
      .LoadBalancers![0]!;
    assert.deepEqual(loose.SecurityGroups, ["sg-123"]);
    assert.deepEqual(loose.AvailabilityZones!.map((z) => z.SubnetId), ["subnet-aaa", "subnet-bbb"]);
    await clients.elb.send(new elb.DeleteLoadBalancerCommand({ LoadBalancerArn: loose.LoadBalancerArn! }));
  });

  test("a role with attached policies → DeleteConflict; the role and its attachments stay", async () => {
    await clients.iam.send(new iam.CreateRoleCommand({ RoleName: "exec", AssumeRolePolicyDocument: TRUST }));
    await clients.iam.send(new iam.AttachRolePolicyCommand({ RoleName: "exec", PolicyArn: EXEC_POLICY }));
    await clients.iam.send(new iam.PutRolePolicyCommand({ RoleName: "exec", PolicyName: "inline", PolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "logs:*", Resource: "*" }] }) }));
    await expectError(clients.iam.send(new iam.DeleteRoleCommand({ RoleName: "exec" })), "DeleteConflictException", /must (detach|delete)/i, 409);
    assert.equal((await clients.iam.send(new iam.GetRoleCommand({ RoleName: "exec" }))).Role?.RoleName, "exec");
    assert.deepEqual((await clients.iam.send(new iam.ListAttachedRolePoliciesCommand({ RoleName: "exec" }))).AttachedPolicies?.map((p) => p.PolicyArn), [EXEC_POLICY]);
    await stillServing();
    await clients.iam.send(new iam.DetachRolePolicyCommand({ RoleName: "exec", PolicyArn: EXEC_POLICY }));
    await expectError(clients.iam.send(new iam.DeleteRoleCommand({ RoleName: "exec" })), "DeleteConflictException", undefined, 409);
    await clients.iam.send(new iam.DeleteRolePolicyCommand({ RoleName: "exec", PolicyName: "inline" }));
    await clients.iam.send(new iam.DeleteRoleCommand({ RoleName: "exec" }));
  });

  test("a target group used by a listener → ResourceInUse; group and listener stay", async () => {
    const lb = (await clients.elb.send(new elb.CreateLoadBalancerCommand({ Name: "inuse", Subnets: ["subnet-1", "subnet-2"] }))).LoadBalancers![0]!;
    const tg = (await clients.elb.send(new elb.CreateTargetGroupCommand({ Name: "inuse", Protocol: "HTTP", Port: 80, VpcId: "vpc-00000000", TargetType: "ip" })))
      .TargetGroups![0]!;
    const listener = (
      await clients.elb.send(
        new elb.CreateListenerCommand({ LoadBalancerArn: lb.LoadBalancerArn!, Protocol: "HTTP", Port: 47831, DefaultActions: [{ Type: "forward", TargetGroupArn: tg.TargetGroupArn! }] }),
      )
    ).Listeners![0]!;
    await expectError(clients.elb.send(new elb.DeleteTargetGroupCommand({ TargetGroupArn: tg.TargetGroupArn! })), "ResourceInUseException", /currently in use by a listener or a rule/);
    assert.equal((await clients.elb.send(new elb.DescribeTargetGroupsCommand({ TargetGroupArns: [tg.TargetGroupArn!] }))).TargetGroups?.length, 1);
    assert.equal((await clients.elb.send(new elb.DescribeListenersCommand({ ListenerArns: [listener.ListenerArn!] }))).Listeners?.length, 1);
    await stillServing();
    await clients.elb.send(new elb.DeleteListenerCommand({ ListenerArn: listener.ListenerArn! }));
    await clients.elb.send(new elb.DeleteTargetGroupCommand({ TargetGroupArn: tg.TargetGroupArn! }));
    await clients.elb.send(new elb.DeleteLoadBalancerCommand({ LoadBalancerArn: lb.LoadBalancerArn! }));
  });

  test("a repository with images, without force → RepositoryNotEmptyException; the images stay", async () => {
    await clients.ecr.send(new ecr.CreateRepositoryCommand({ repositoryName: "full" }));
    const sha = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;
    const layer = Buffer.from("layer");
    const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [sha(layer)] } }));
    for (const b of [config, layer]) {
      const r = await fetch(`${s.url}/v2/full/blobs/uploads/?digest=${sha(b)}`, { method: "POST", body: b, headers: { "content-type": "application/octet-stream" } });
      assert.equal(r.status, 201, await r.text());
    }
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: { mediaType: "application/vnd.oci.image.config.v1+json", digest: sha(config), size: config.length },
      layers: [{ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: sha(layer), size: layer.length }],
    });
    await clients.ecr.send(new ecr.PutImageCommand({ repositoryName: "full", imageManifest: manifest, imageTag: "v1" }));
    await expectError(clients.ecr.send(new ecr.DeleteRepositoryCommand({ repositoryName: "full" })), "RepositoryNotEmptyException", /cannot be deleted because it still contains images/);
    assert.equal((await clients.ecr.send(new ecr.DescribeRepositoriesCommand({ repositoryNames: ["full"] }))).repositories?.length, 1);
    assert.deepEqual((await clients.ecr.send(new ecr.ListImagesCommand({ repositoryName: "full" }))).imageIds?.map((i) => i.imageTag), ["v1"]);
    await stillServing();
    await clients.ecr.send(new ecr.DeleteRepositoryCommand({ repositoryName: "full", force: true }));
  });

  test("a task STOPPED while its ENI survived (an older version, a hand-edited store) has it released on restart", async () => {
    const { subnets } = await defaultNetwork();
    const t = (
      await clients.ecs.send(new ecs.RunTaskCommand({ cluster: "bad", taskDefinition: "vpc", networkConfiguration: { awsvpcConfiguration: { subnets: [subnets[2]!] } } }))
    ).tasks![0]!;
    await settle();
    const eniId = t.attachments![0]!.details!.find((d) => d.name === "networkInterfaceId")!.value!;
    await stop();
    // With the server down, the task is marked STOPPED behind its back: only the start-up sweep
    // can release the ENI.
    const store = new Store(join(dir, "slipway.db"));
    const repo = new EcsRepo(store);
    const rec = repo.getTaskByArn(t.taskArn!)!;
    rec.doc.lastStatus = "STOPPED";
    rec.doc.desiredStatus = "STOPPED";
    store.tx(() => repo.putTask({ accountId: ACCOUNT, region: REGION }, "bad", rec));
    store.close();
    await start();
    await settle();
    await expectError(clients.ec2.send(new ec2.DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eniId] })), "InvalidNetworkInterfaceID.NotFound");
    await stillServing();
  });
});
