/**
 * The EC2 networking APIs of private subnets and their reachability, through the real EC2Client
 * (in-process, ManualClock for AWS's timed states) and the AWS CLI for a round trip: NAT gateways,
 * Elastic IPs, VPC endpoints and their services, managed prefix lists, network interfaces,
 * ReplaceRouteTableAssociation and the main association, DescribeRegions, CreateDefaultVpc /
 * CreateDefaultSubnet, AssociateVpcCidrBlock, the default network ACL, and the bad input AWS
 * refuses (overlapping CIDRs, cross-VPC group references, deleting what is in use, a full subnet).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import * as ec2 from "@aws-sdk/client-ec2";
import { createGateway } from "../../src/aws/gateway.ts";
import { ManualClock } from "../../src/core/clock.ts";
import { seededIds } from "../../src/core/ids.ts";
import { Ec2, ec2Service } from "../../src/services/ec2/index.ts";
import { Store } from "../../src/store/store.ts";
import { awsCli, awsCliSkip } from "../helpers/aws-cli.ts";
import { expectError } from "../helpers/errors.ts";
import { inProcess, type RunningServer, startGatewayServer } from "../helpers/in-process.ts";
import { recordingLogger, sequentialIds } from "./fixtures.ts";

const region = "us-east-1";
const ACCOUNT = "000000000000";
const scope = { accountId: ACCOUNT, region };

function setup() {
  const store = new Store(":memory:");
  const clock = new ManualClock();
  const domain = new Ec2({ store, clock, ids: seededIds("ec2-net"), instanceIds: () => ["i-0123456789abcdef0"] });
  const gateway = createGateway({ services: [ec2Service(domain)], logger: recordingLogger(), ids: sequentialIds() });
  const client = new ec2.EC2Client({
    region,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    endpoint: "http://127.0.0.1:1",
    requestHandler: inProcess(gateway),
    maxAttempts: 1,
  });
  const send = <O>(cmd: { input: unknown } & object) => client.send(cmd as never) as Promise<O>;
  return { store, clock, domain, gateway, client, send };
}

type Env = ReturnType<typeof setup>;

/** A VPC with an internet gateway, a public subnet (route to the IGW) and a private subnet (main table, local only). */
async function vpcWithSubnets(env: Env, cidr = "10.0.0.0/16") {
  const { client } = env;
  const vpc = (await client.send(new ec2.CreateVpcCommand({ CidrBlock: cidr }))).Vpc!;
  const VpcId = vpc.VpcId!;
  const base = cidr.split(".").slice(0, 2).join(".");
  const pub = (await client.send(new ec2.CreateSubnetCommand({ VpcId, CidrBlock: `${base}.1.0/24`, AvailabilityZone: "us-east-1a" }))).Subnet!;
  const priv = (await client.send(new ec2.CreateSubnetCommand({ VpcId, CidrBlock: `${base}.2.0/24`, AvailabilityZone: "us-east-1b" }))).Subnet!;
  const igw = (await client.send(new ec2.CreateInternetGatewayCommand({}))).InternetGateway!;
  await client.send(new ec2.AttachInternetGatewayCommand({ InternetGatewayId: igw.InternetGatewayId, VpcId }));
  const rt = (await client.send(new ec2.CreateRouteTableCommand({ VpcId }))).RouteTable!;
  await client.send(new ec2.CreateRouteCommand({ RouteTableId: rt.RouteTableId, DestinationCidrBlock: "0.0.0.0/0", GatewayId: igw.InternetGatewayId }));
  await client.send(new ec2.AssociateRouteTableCommand({ RouteTableId: rt.RouteTableId, SubnetId: pub.SubnetId }));
  const main = (await client.send(new ec2.DescribeRouteTablesCommand({ Filters: [{ Name: "vpc-id", Values: [VpcId] }, { Name: "association.main", Values: ["true"] }] }))).RouteTables![0]!;
  return { VpcId, pub: pub.SubnetId!, priv: priv.SubnetId!, igw: igw.InternetGatewayId!, publicRt: rt.RouteTableId!, mainRt: main.RouteTableId! };
}

describe("NAT gateways and Elastic IPs", () => {
  test("pending → available; the EIP shows its ENI; the route to it; delete → deleting → deleted, the route blackhole, the EIP kept", async () => {
    const env = setup();
    const { client, clock } = env;
    const net = await vpcWithSubnets(env);
    const eip = await client.send(new ec2.AllocateAddressCommand({ Domain: "vpc", TagSpecifications: [{ ResourceType: "elastic-ip", Tags: [{ Key: "Name", Value: "nat" }] }] }));
    assert.match(eip.AllocationId!, /^eipalloc-[0-9a-f]{17}$/);
    assert.equal(eip.PublicIp, "198.18.0.1");
    assert.equal(eip.Domain, "vpc");
    assert.equal(eip.PublicIpv4Pool, "amazon");
    assert.equal(eip.NetworkBorderGroup, region);

    const created = (await client.send(new ec2.CreateNatGatewayCommand({ SubnetId: net.pub, AllocationId: eip.AllocationId }))).NatGateway!;
    assert.match(created.NatGatewayId!, /^nat-[0-9a-f]{17}$/);
    assert.equal(created.State, "pending");
    assert.equal(created.ConnectivityType, "public");
    assert.equal(created.VpcId, net.VpcId);
    const addr = created.NatGatewayAddresses![0]!;
    assert.equal(addr.AllocationId, eip.AllocationId);
    assert.equal(addr.PublicIp, "198.18.0.1");
    assert.equal(addr.PrivateIp, "10.0.1.4");
    assert.equal(addr.IsPrimary, true);
    assert.match(addr.NetworkInterfaceId!, /^eni-/);
    assert.match(addr.AssociationId!, /^eipassoc-/);

    const eni = (await client.send(new ec2.DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [addr.NetworkInterfaceId!] }))).NetworkInterfaces![0]!;
    assert.equal(eni.InterfaceType, "natGateway");
    assert.equal(eni.Description, `Interface for NAT Gateway ${created.NatGatewayId}`);
    assert.equal(eni.Association?.PublicIp, "198.18.0.1");
    const described = (await client.send(new ec2.DescribeAddressesCommand({ AllocationIds: [eip.AllocationId!] }))).Addresses![0]!;
    assert.equal(described.NetworkInterfaceId, eni.NetworkInterfaceId);
    assert.equal(described.PrivateIpAddress, "10.0.1.4");
    assert.equal(described.AssociationId, addr.AssociationId);
    assert.deepEqual(described.Tags, [{ Key: "Name", Value: "nat" }]);

    await client.send(new ec2.CreateRouteCommand({ RouteTableId: net.mainRt, DestinationCidrBlock: "0.0.0.0/0", NatGatewayId: created.NatGatewayId }));
    const routeState = async () =>
      (await client.send(new ec2.DescribeRouteTablesCommand({ RouteTableIds: [net.mainRt] }))).RouteTables![0]!.Routes!.find((r) => r.NatGatewayId)!.State;
    assert.equal(await routeState(), "blackhole", "a pending gateway does not route yet");
    clock.advance(1000);
    const available = (await client.send(new ec2.DescribeNatGatewaysCommand({ NatGatewayIds: [created.NatGatewayId!] }))).NatGateways![0]!;
    assert.equal(available.State, "available");
    assert.equal(await routeState(), "active");
    const byFilter = await client.send(new ec2.DescribeNatGatewaysCommand({ Filter: [{ Name: "state", Values: ["available"] }, { Name: "vpc-id", Values: [net.VpcId] }] }));
    assert.equal(byFilter.NatGateways!.length, 1);

    // In use: the address cannot be released or moved, the subnet cannot go.
    await expectError(client.send(new ec2.ReleaseAddressCommand({ AllocationId: eip.AllocationId })), "InvalidIPAddress.InUse");
    await expectError(client.send(new ec2.DisassociateAddressCommand({ AssociationId: addr.AssociationId })), "InvalidIPAddress.InUse");
    await expectError(client.send(new ec2.DeleteSubnetCommand({ SubnetId: net.pub })), "DependencyViolation");
    await expectError(
      client.send(new ec2.DetachInternetGatewayCommand({ InternetGatewayId: net.igw, VpcId: net.VpcId })),
      "DependencyViolation",
      `Network ${net.VpcId} has some mapped public address(es). Please unmap those public address(es) before detaching the gateway.`,
    );

    assert.equal((await client.send(new ec2.DeleteNatGatewayCommand({ NatGatewayId: created.NatGatewayId }))).NatGatewayId, created.NatGatewayId);
    const deleting = (await client.send(new ec2.DescribeNatGatewaysCommand({ NatGatewayIds: [created.NatGatewayId!] }))).NatGateways![0]!;
    assert.equal(deleting.State, "deleting");
    assert.ok(deleting.DeleteTime instanceof Date);
    assert.equal(await routeState(), "blackhole", "nothing is lost: the route stays, as a blackhole");
    clock.advance(1000);
    assert.equal((await client.send(new ec2.DescribeNatGatewaysCommand({ NatGatewayIds: [created.NatGatewayId!] }))).NatGateways![0]!.State, "deleted");
    const kept = (await client.send(new ec2.DescribeAddressesCommand({ AllocationIds: [eip.AllocationId!] }))).Addresses![0]!;
    assert.equal(kept.AssociationId, undefined, "disassociated, not released");
    assert.equal(kept.PublicIp, "198.18.0.1");
    await ec2.waitUntilNatGatewayDeleted({ client, maxWaitTime: 5, minDelay: 1 }, { NatGatewayIds: [created.NatGatewayId!] });
    clock.advance(60 * 60 * 1000);
    await expectError(
      client.send(new ec2.DescribeNatGatewaysCommand({ NatGatewayIds: [created.NatGatewayId!] })),
      "NatGatewayNotFound",
      `The Nat Gateway ${created.NatGatewayId} was not found`,
    );
    await client.send(new ec2.ReleaseAddressCommand({ AllocationId: eip.AllocationId }));
    await expectError(client.send(new ec2.DescribeAddressesCommand({ AllocationIds: [eip.AllocationId!] })), "InvalidAllocationID.NotFound");
  });

  test("failures arrive as the failed state with AWS's code; MissingParameter for a public gateway without an address", async () => {
    const env = setup();
    const { client } = env;
    const vpc = (await client.send(new ec2.CreateVpcCommand({ CidrBlock: "10.1.0.0/16" }))).Vpc!;
    const subnet = (await client.send(new ec2.CreateSubnetCommand({ VpcId: vpc.VpcId, CidrBlock: "10.1.0.0/28" }))).Subnet!;
    const eip = await client.send(new ec2.AllocateAddressCommand({}));
    const noIgw = (await client.send(new ec2.CreateNatGatewayCommand({ SubnetId: subnet.SubnetId, AllocationId: eip.AllocationId }))).NatGateway!;
    assert.equal(noIgw.State, "failed");
    assert.equal(noIgw.FailureCode, "Gateway.NotAttached");
    assert.equal(noIgw.FailureMessage, `Network ${vpc.VpcId} has no Internet gateway attached`);
    await expectError(client.send(new ec2.CreateNatGatewayCommand({ SubnetId: subnet.SubnetId })), "MissingParameter", "The request must contain the parameter AllocationId");
    const priv = (await client.send(new ec2.CreateNatGatewayCommand({ SubnetId: subnet.SubnetId, ConnectivityType: "private" }))).NatGateway!;
    assert.equal(priv.State, "pending");
    assert.equal(priv.NatGatewayAddresses![0]!.PublicIp, undefined);
    await expectError(client.send(new ec2.DeleteNatGatewayCommand({ NatGatewayId: "nat-0123456789abcdef0" })), "NatGatewayNotFound");

    // Five Elastic IPs per region.
    for (let i = 0; i < 4; i++) await client.send(new ec2.AllocateAddressCommand({}));
    await expectError(client.send(new ec2.AllocateAddressCommand({})), "AddressLimitExceeded", "The maximum number of addresses has been reached.");
  });

  test("an Elastic IP on a user's ENI: associate, reassociate, disassociate", async () => {
    const env = setup();
    const { client } = env;
    const net = await vpcWithSubnets(env);
    const eni = (await client.send(new ec2.CreateNetworkInterfaceCommand({ SubnetId: net.pub, Description: "mine" }))).NetworkInterface!;
    const eip = await client.send(new ec2.AllocateAddressCommand({}));
    const { AssociationId } = await client.send(new ec2.AssociateAddressCommand({ AllocationId: eip.AllocationId, NetworkInterfaceId: eni.NetworkInterfaceId }));
    const withIp = (await client.send(new ec2.DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eni.NetworkInterfaceId!] }))).NetworkInterfaces![0]!;
    assert.equal(withIp.Association?.PublicIp, eip.PublicIp);
    assert.equal(withIp.Association?.AllocationId, eip.AllocationId);
    assert.equal(withIp.Association?.AssociationId, AssociationId);
    await expectError(
      client.send(new ec2.AssociateAddressCommand({ AllocationId: eip.AllocationId, NetworkInterfaceId: eni.NetworkInterfaceId, AllowReassociation: false })),
      "Resource.AlreadyAssociated",
    );
    await expectError(client.send(new ec2.AssociateAddressCommand({ AllocationId: eip.AllocationId, InstanceId: "i-0123456789abcdef1" })), "InvalidInstanceID.NotFound");
    const filtered = await client.send(new ec2.DescribeAddressesCommand({ Filters: [{ Name: "network-interface-id", Values: [eni.NetworkInterfaceId!] }] }));
    assert.equal(filtered.Addresses!.length, 1);
    await client.send(new ec2.DisassociateAddressCommand({ AssociationId }));
    const without = (await client.send(new ec2.DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eni.NetworkInterfaceId!] }))).NetworkInterfaces![0]!;
    assert.equal(without.Association, undefined);
    await expectError(client.send(new ec2.DisassociateAddressCommand({ AssociationId })), "InvalidAssociationID.NotFound");
    assert.deepEqual((await client.send(new ec2.DescribeAddressesAttributeCommand({ AllocationIds: [eip.AllocationId!], Attribute: "domain-name" }))).Addresses, []);
  });
});

describe("VPC endpoints and prefix lists", () => {
  test("interface endpoints: one ENI per zone with the endpoint's groups, private DNS rules, states; gateway endpoints: prefix-list routes", async () => {
    const env = setup();
    const { client, clock } = env;
    const net = await vpcWithSubnets(env);
    const sg = (await client.send(new ec2.CreateSecurityGroupCommand({ GroupName: "endpoints", Description: "443 from the VPC", VpcId: net.VpcId }))).GroupId!;
    const svc = `com.amazonaws.${region}.ecr.dkr`;
    await expectError(
      client.send(new ec2.CreateVpcEndpointCommand({ VpcId: net.VpcId, ServiceName: svc, VpcEndpointType: "Interface", SubnetIds: [net.priv], SecurityGroupIds: [sg] })),
      "InvalidParameter",
      `Enabling private DNS requires both enableDnsSupport and enableDnsHostnames VPC attributes set to true for ${net.VpcId}`,
    );
    await client.send(new ec2.ModifyVpcAttributeCommand({ VpcId: net.VpcId, EnableDnsHostnames: { Value: true } }));
    const ep = (
      await client.send(
        new ec2.CreateVpcEndpointCommand({
          VpcId: net.VpcId,
          ServiceName: svc,
          VpcEndpointType: "Interface",
          SubnetIds: [net.priv],
          SecurityGroupIds: [sg],
          TagSpecifications: [{ ResourceType: "vpc-endpoint", Tags: [{ Key: "Name", Value: "dkr" }] }],
        }),
      )
    ).VpcEndpoint!;
    assert.match(ep.VpcEndpointId!, /^vpce-[0-9a-f]{17}$/);
    assert.equal(ep.State, "pending");
    assert.equal(ep.PrivateDnsEnabled, true);
    assert.deepEqual(ep.SubnetIds, [net.priv]);
    assert.deepEqual(ep.Groups, [{ GroupId: sg, GroupName: "endpoints" }]);
    assert.equal(ep.NetworkInterfaceIds!.length, 1);
    assert.ok(ep.DnsEntries!.some((d) => d.DnsName === `*.dkr.ecr.${region}.amazonaws.com`));
    assert.ok(ep.DnsEntries!.some((d) => d.DnsName!.startsWith(`${ep.VpcEndpointId}-`) && d.DnsName!.endsWith(`.ecr.dkr.${region}.vpce.amazonaws.com`)));
    assert.deepEqual(JSON.parse(ep.PolicyDocument!).Statement[0].Principal, "*");
    const eni = (await client.send(new ec2.DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: ep.NetworkInterfaceIds }))).NetworkInterfaces![0]!;
    assert.equal(eni.InterfaceType, "vpc_endpoint");
    assert.equal(eni.SubnetId, net.priv);
    assert.deepEqual(eni.Groups, [{ GroupId: sg, GroupName: "endpoints" }]);
    clock.advance(1000);
    assert.equal((await client.send(new ec2.DescribeVpcEndpointsCommand({ VpcEndpointIds: [ep.VpcEndpointId!] }))).VpcEndpoints![0]!.State, "available");

    await expectError(
      client.send(new ec2.CreateVpcEndpointCommand({ VpcId: net.VpcId, ServiceName: svc, VpcEndpointType: "Interface", SubnetIds: [net.pub] })),
      "InvalidParameter",
      `private-dns-enabled cannot be set because there is already a conflicting DNS domain for *.dkr.ecr.${region}.amazonaws.com in the VPC ${net.VpcId}`,
    );
    await expectError(
      client.send(new ec2.CreateVpcEndpointCommand({ VpcId: net.VpcId, ServiceName: `com.amazonaws.${region}.nope` })),
      "InvalidServiceName",
      `The Vpc Endpoint Service 'com.amazonaws.${region}.nope' does not exist`,
    );
    await expectError(
      client.send(new ec2.CreateVpcEndpointCommand({ VpcId: net.VpcId, ServiceName: `com.amazonaws.${region}.logs` })),
      "InvalidParameter",
      "Endpoint type (Gateway) does not match available service types ([Interface]).",
    );
    // The endpoint's group is in use.
    await expectError(client.send(new ec2.DeleteSecurityGroupCommand({ GroupId: sg })), "DependencyViolation", `resource ${sg} has a dependent object`);

    // Gateway endpoint for S3 on the main table (the private subnet's).
    const s3 = (await client.send(new ec2.CreateVpcEndpointCommand({ VpcId: net.VpcId, ServiceName: `com.amazonaws.${region}.s3`, RouteTableIds: [net.mainRt] }))).VpcEndpoint!;
    assert.equal(s3.VpcEndpointType, "Gateway");
    assert.deepEqual(s3.RouteTableIds, [net.mainRt]);
    const pl = (await client.send(new ec2.DescribePrefixListsCommand({ Filters: [{ Name: "prefix-list-name", Values: [`com.amazonaws.${region}.s3`] }] }))).PrefixLists![0]!;
    assert.equal(pl.PrefixListId, "pl-63a5400a");
    assert.ok(pl.Cidrs!.length > 0);
    const main = (await client.send(new ec2.DescribeRouteTablesCommand({ RouteTableIds: [net.mainRt] }))).RouteTables![0]!;
    const route = main.Routes!.find((r) => r.DestinationPrefixListId === pl.PrefixListId)!;
    assert.equal(route.GatewayId, s3.VpcEndpointId);
    assert.equal(route.State, "active");
    await expectError(
      client.send(new ec2.CreateVpcEndpointCommand({ VpcId: net.VpcId, ServiceName: `com.amazonaws.${region}.s3`, RouteTableIds: [net.mainRt] })),
      "RouteAlreadyExists",
    );
    await expectError(
      client.send(new ec2.CreateRouteCommand({ RouteTableId: net.publicRt, DestinationCidrBlock: "10.9.0.0/16", VpcEndpointId: ep.VpcEndpointId })),
      "RouteNotSupported",
      `Route table contains unsupported route target: ${ep.VpcEndpointId}. VPC Endpoints of this type cannot be used as route targets.`,
    );
    await client.send(new ec2.ModifyVpcEndpointCommand({ VpcEndpointId: s3.VpcEndpointId, AddRouteTableIds: [net.publicRt] }));
    assert.ok(
      (await client.send(new ec2.DescribeRouteTablesCommand({ RouteTableIds: [net.publicRt] }))).RouteTables![0]!.Routes!.some((r) => r.GatewayId === s3.VpcEndpointId),
    );

    // A VPC with endpoints cannot be deleted; DeleteVpcEndpoints reports unknown ids, not throws.
    const out = await client.send(new ec2.DeleteVpcEndpointsCommand({ VpcEndpointIds: [ep.VpcEndpointId!, s3.VpcEndpointId!, "vpce-0123456789abcdef0"] }));
    assert.deepEqual(out.Unsuccessful, [
      { ResourceId: "vpce-0123456789abcdef0", Error: { Code: "InvalidVpcEndpointId.NotFound", Message: "The VpcEndpoint ID 'vpce-0123456789abcdef0' does not exist" } },
    ]);
    assert.equal((await client.send(new ec2.DescribeVpcEndpointsCommand({ VpcEndpointIds: [ep.VpcEndpointId!] }))).VpcEndpoints![0]!.State, "deleting");
    assert.ok(!(await client.send(new ec2.DescribeRouteTablesCommand({ RouteTableIds: [net.mainRt] }))).RouteTables![0]!.Routes!.some((r) => r.DestinationPrefixListId));
    clock.advance(1000);
    await expectError(client.send(new ec2.DescribeVpcEndpointsCommand({ VpcEndpointIds: [ep.VpcEndpointId!] })), "InvalidVpcEndpointId.NotFound");
    await client.send(new ec2.DeleteSecurityGroupCommand({ GroupId: sg }));
  });

  test("DescribeVpcEndpointServices: the services ECS needs, S3 as Gateway and Interface", async () => {
    const { client } = setup();
    const all = await client.send(new ec2.DescribeVpcEndpointServicesCommand({}));
    for (const s of ["ecr.api", "ecr.dkr", "logs", "secretsmanager", "ssm", "s3", "dynamodb", "kms", "sts", "ecs"]) {
      assert.ok(all.ServiceNames!.includes(`com.amazonaws.${region}.${s}`), s);
    }
    const s3 = await client.send(new ec2.DescribeVpcEndpointServicesCommand({ ServiceNames: [`com.amazonaws.${region}.s3`] }));
    assert.deepEqual(s3.ServiceDetails!.map((d) => d.ServiceType![0]!.ServiceType), ["Gateway", "Interface"]);
    const api = (await client.send(new ec2.DescribeVpcEndpointServicesCommand({ Filters: [{ Name: "service-name", Values: [`com.amazonaws.${region}.ecr.api`] }] }))).ServiceDetails![0]!;
    assert.equal(api.PrivateDnsName, `api.ecr.${region}.amazonaws.com`);
    assert.equal(api.Owner, "amazon");
    assert.equal(api.AcceptanceRequired, false);
    assert.deepEqual(api.AvailabilityZones, ["us-east-1a", "us-east-1b", "us-east-1c"]);
    await expectError(client.send(new ec2.DescribeVpcEndpointServicesCommand({ ServiceNames: ["com.amazonaws.us-east-1.nope"] })), "InvalidServiceName");
  });

  test("customer-managed prefix lists: versions, entries, use in a rule blocks deletion", async () => {
    const { client } = setup();
    const pl = (
      await client.send(new ec2.CreateManagedPrefixListCommand({ PrefixListName: "office", MaxEntries: 3, AddressFamily: "IPv4", Entries: [{ Cidr: "203.0.113.7/24", Description: "hq" }] }))
    ).PrefixList!;
    assert.match(pl.PrefixListId!, /^pl-[0-9a-f]{17}$/);
    assert.equal(pl.State, "create-complete");
    assert.equal(pl.Version, 1);
    assert.equal(pl.OwnerId, ACCOUNT);
    const modified = (await client.send(new ec2.ModifyManagedPrefixListCommand({ PrefixListId: pl.PrefixListId, CurrentVersion: 1, AddEntries: [{ Cidr: "198.51.100.0/24" }] }))).PrefixList!;
    assert.equal(modified.Version, 2);
    assert.equal(modified.State, "modify-complete");
    await expectError(client.send(new ec2.ModifyManagedPrefixListCommand({ PrefixListId: pl.PrefixListId, CurrentVersion: 1, AddEntries: [{ Cidr: "192.0.2.0/24" }] })), "PrefixListVersionMismatch");
    assert.deepEqual(
      (await client.send(new ec2.GetManagedPrefixListEntriesCommand({ PrefixListId: pl.PrefixListId }))).Entries,
      [{ Cidr: "203.0.113.0/24", Description: "hq" }, { Cidr: "198.51.100.0/24" }],
    );
    assert.deepEqual((await client.send(new ec2.GetManagedPrefixListEntriesCommand({ PrefixListId: pl.PrefixListId, TargetVersion: 1 }))).Entries, [{ Cidr: "203.0.113.0/24", Description: "hq" }]);
    const managed = await client.send(new ec2.DescribeManagedPrefixListsCommand({}));
    assert.deepEqual(managed.PrefixLists!.map((p) => p.PrefixListName), [`com.amazonaws.${region}.s3`, `com.amazonaws.${region}.dynamodb`, "office"]);
    assert.equal(managed.PrefixLists![0]!.OwnerId, "AWS");

    const sg = (await client.send(new ec2.CreateSecurityGroupCommand({ GroupName: "web", Description: "web" }))).GroupId!;
    await client.send(new ec2.AuthorizeSecurityGroupIngressCommand({ GroupId: sg, IpPermissions: [{ IpProtocol: "tcp", FromPort: 443, ToPort: 443, PrefixListIds: [{ PrefixListId: pl.PrefixListId }] }] }));
    await expectError(
      client.send(new ec2.AuthorizeSecurityGroupIngressCommand({ GroupId: sg, IpPermissions: [{ IpProtocol: "tcp", FromPort: 1, ToPort: 1, PrefixListIds: [{ PrefixListId: "pl-0123456789abcdef0" }] }] })),
      "InvalidPrefixListID.NotFound",
    );
    assert.deepEqual((await client.send(new ec2.GetManagedPrefixListAssociationsCommand({ PrefixListId: pl.PrefixListId }))).PrefixListAssociations, [{ ResourceId: sg, ResourceOwner: ACCOUNT }]);
    await expectError(client.send(new ec2.DeleteManagedPrefixListCommand({ PrefixListId: pl.PrefixListId })), "DependencyViolation");
    await expectError(client.send(new ec2.DeleteManagedPrefixListCommand({ PrefixListId: "pl-63a5400a" })), "InvalidPrefixListModification");
    await client.send(new ec2.RevokeSecurityGroupIngressCommand({ GroupId: sg, IpPermissions: [{ IpProtocol: "tcp", FromPort: 443, ToPort: 443, PrefixListIds: [{ PrefixListId: pl.PrefixListId }] }] }));
    assert.equal((await client.send(new ec2.DeleteManagedPrefixListCommand({ PrefixListId: pl.PrefixListId }))).PrefixList!.State, "delete-complete");
  });
});

describe("network interfaces", () => {
  test("create (addresses from the subnet, reserved ones refused), attach to an instance, detach, modify, delete", async () => {
    const env = setup();
    const { client } = env;
    const net = await vpcWithSubnets(env);
    const a = (await client.send(new ec2.CreateNetworkInterfaceCommand({ SubnetId: net.pub, Description: "a", SecondaryPrivateIpAddressCount: 1 }))).NetworkInterface!;
    assert.equal(a.Status, "available");
    assert.equal(a.RequesterManaged, false);
    assert.equal(a.InterfaceType, "interface");
    assert.equal(a.PrivateIpAddress, "10.0.1.4");
    assert.deepEqual(a.PrivateIpAddresses!.map((x) => [x.PrivateIpAddress, x.Primary]), [["10.0.1.4", true], ["10.0.1.5", false]]);
    assert.equal(a.PrivateDnsName, "ip-10-0-1-4.ec2.internal");
    assert.equal(a.Groups![0]!.GroupName, "default");
    await expectError(client.send(new ec2.CreateNetworkInterfaceCommand({ SubnetId: net.pub, PrivateIpAddress: "10.0.1.3" })), "InvalidParameterValue", "Address is in subnet's reserved address range");
    await expectError(client.send(new ec2.CreateNetworkInterfaceCommand({ SubnetId: net.pub, PrivateIpAddress: "10.0.1.255" })), "InvalidParameterValue", "Address is in subnet's reserved address range");
    await expectError(client.send(new ec2.CreateNetworkInterfaceCommand({ SubnetId: net.pub, PrivateIpAddress: "10.0.2.9" })), "InvalidParameterValue", "Address does not fall within the subnet's address range");
    await expectError(client.send(new ec2.CreateNetworkInterfaceCommand({ SubnetId: net.pub, PrivateIpAddress: "10.0.1.5" })), "InvalidIPAddress.InUse");
    const b = (await client.send(new ec2.CreateNetworkInterfaceCommand({ SubnetId: net.pub, PrivateIpAddress: "10.0.1.200" }))).NetworkInterface!;
    assert.equal(b.PrivateIpAddress, "10.0.1.200");

    await expectError(
      client.send(new ec2.AttachNetworkInterfaceCommand({ NetworkInterfaceId: a.NetworkInterfaceId, InstanceId: "i-0123456789abcdef9", DeviceIndex: 1 })),
      "InvalidInstanceID.NotFound",
    );
    const { AttachmentId } = await client.send(new ec2.AttachNetworkInterfaceCommand({ NetworkInterfaceId: a.NetworkInterfaceId, InstanceId: "i-0123456789abcdef0", DeviceIndex: 1 }));
    assert.match(AttachmentId!, /^eni-attach-/);
    const attached = (await client.send(new ec2.DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [a.NetworkInterfaceId!] }))).NetworkInterfaces![0]!;
    assert.equal(attached.Status, "in-use");
    assert.equal(attached.Attachment?.InstanceId, "i-0123456789abcdef0");
    await expectError(client.send(new ec2.DeleteNetworkInterfaceCommand({ NetworkInterfaceId: a.NetworkInterfaceId })), "InvalidNetworkInterface.InUse");
    await client.send(new ec2.DetachNetworkInterfaceCommand({ AttachmentId }));
    assert.equal((await client.send(new ec2.DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [a.NetworkInterfaceId!] }))).NetworkInterfaces![0]!.Status, "available");
    await expectError(client.send(new ec2.DetachNetworkInterfaceCommand({ AttachmentId })), "InvalidAttachmentID.NotFound");

    const sg = (await client.send(new ec2.CreateSecurityGroupCommand({ GroupName: "eni", Description: "eni", VpcId: net.VpcId }))).GroupId!;
    await client.send(new ec2.ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: a.NetworkInterfaceId, Groups: [sg] }));
    assert.deepEqual((await client.send(new ec2.DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [a.NetworkInterfaceId!] }))).NetworkInterfaces![0]!.Groups, [{ GroupId: sg, GroupName: "eni" }]);
    const other = (await client.send(new ec2.CreateSecurityGroupCommand({ GroupName: "elsewhere", Description: "default VPC" }))).GroupId!;
    await expectError(client.send(new ec2.ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: a.NetworkInterfaceId, Groups: [other] })), "InvalidParameterValue");
    await client.send(new ec2.DeleteNetworkInterfaceCommand({ NetworkInterfaceId: a.NetworkInterfaceId }));
    await expectError(client.send(new ec2.DeleteNetworkInterfaceCommand({ NetworkInterfaceId: a.NetworkInterfaceId })), "InvalidNetworkInterfaceID.NotFound");
  });

  test("a full subnet: InsufficientFreeAddressesInSubnet, and nothing half made", async () => {
    const env = setup();
    const { client } = env;
    const vpc = (await client.send(new ec2.CreateVpcCommand({ CidrBlock: "10.2.0.0/16" }))).Vpc!;
    const tiny = (await client.send(new ec2.CreateSubnetCommand({ VpcId: vpc.VpcId, CidrBlock: "10.2.0.0/28" }))).Subnet!;
    assert.equal(tiny.AvailableIpAddressCount, 11);
    for (let i = 0; i < 11; i++) await client.send(new ec2.CreateNetworkInterfaceCommand({ SubnetId: tiny.SubnetId }));
    await expectError(
      client.send(new ec2.CreateNetworkInterfaceCommand({ SubnetId: tiny.SubnetId })),
      "InsufficientFreeAddressesInSubnet",
      `There are not enough free addresses in subnet '${tiny.SubnetId}' to satisfy the requested number of instances.`,
    );
    const listed = await client.send(new ec2.DescribeNetworkInterfacesCommand({ Filters: [{ Name: "subnet-id", Values: [tiny.SubnetId!] }] }));
    assert.equal(listed.NetworkInterfaces!.length, 11);
    assert.equal((await client.send(new ec2.DescribeSubnetsCommand({ SubnetIds: [tiny.SubnetId!] }))).Subnets![0]!.AvailableIpAddressCount, 0);
  });
});

describe("route tables, VPCs and regions", () => {
  test("ReplaceRouteTableAssociation moves the main association (a new id each time) and a subnet's", async () => {
    const env = setup();
    const { client } = env;
    const net = await vpcWithSubnets(env);
    const mainAssoc = (await client.send(new ec2.DescribeRouteTablesCommand({ RouteTableIds: [net.mainRt] }))).RouteTables![0]!.Associations!.find((a) => a.Main)!;
    const moved = await client.send(new ec2.ReplaceRouteTableAssociationCommand({ AssociationId: mainAssoc.RouteTableAssociationId, RouteTableId: net.publicRt }));
    assert.notEqual(moved.NewAssociationId, mainAssoc.RouteTableAssociationId);
    assert.equal(moved.AssociationState?.State, "associated");
    const mains = (await client.send(new ec2.DescribeRouteTablesCommand({ Filters: [{ Name: "vpc-id", Values: [net.VpcId] }, { Name: "association.main", Values: ["true"] }] }))).RouteTables!;
    assert.deepEqual(mains.map((t) => t.RouteTableId), [net.publicRt]);
    const byId = await client.send(new ec2.DescribeRouteTablesCommand({ Filters: [{ Name: "association.route-table-association-id", Values: [moved.NewAssociationId!] }] }));
    assert.equal(byId.RouteTables![0]!.RouteTableId, net.publicRt);
    await expectError(
      client.send(new ec2.ReplaceRouteTableAssociationCommand({ AssociationId: mainAssoc.RouteTableAssociationId, RouteTableId: net.mainRt })),
      "InvalidAssociationID.NotFound",
    );
    // Back (what Terraform's delete does), and the old main table can go once it is not main.
    const back = await client.send(new ec2.ReplaceRouteTableAssociationCommand({ AssociationId: moved.NewAssociationId, RouteTableId: net.mainRt }));
    assert.match(back.NewAssociationId!, /^rtbassoc-/);
    await expectError(client.send(new ec2.DeleteRouteTableCommand({ RouteTableId: net.mainRt })), "DependencyViolation");

    await expectError(client.send(new ec2.ReplaceRouteCommand({ RouteTableId: net.publicRt, DestinationCidrBlock: "10.9.0.0/16", GatewayId: net.igw })), "InvalidParameterValue", "There is no route defined for '10.9.0.0/16' in the route table. Use CreateRoute instead.");
  });

  test("AssociateVpcCidrBlock: local routes follow; overlap, RFC 1918 mixing and the limit refused; subnets in the new block", async () => {
    const env = setup();
    const { client } = env;
    const net = await vpcWithSubnets(env);
    const out = await client.send(new ec2.AssociateVpcCidrBlockCommand({ VpcId: net.VpcId, CidrBlock: "10.1.0.0/16" }));
    assert.equal(out.CidrBlockAssociation?.CidrBlock, "10.1.0.0/16");
    const vpc = (await client.send(new ec2.DescribeVpcsCommand({ VpcIds: [net.VpcId] }))).Vpcs![0]!;
    assert.deepEqual(vpc.CidrBlockAssociationSet!.map((a) => [a.CidrBlock, a.CidrBlockState?.State]), [["10.0.0.0/16", "associated"], ["10.1.0.0/16", "associated"]]);
    const rt = (await client.send(new ec2.DescribeRouteTablesCommand({ RouteTableIds: [net.publicRt] }))).RouteTables![0]!;
    assert.deepEqual(rt.Routes!.filter((r) => r.GatewayId === "local").map((r) => r.DestinationCidrBlock), ["10.0.0.0/16", "10.1.0.0/16"]);
    await client.send(new ec2.CreateSubnetCommand({ VpcId: net.VpcId, CidrBlock: "10.1.5.0/24" }));
    await expectError(client.send(new ec2.AssociateVpcCidrBlockCommand({ VpcId: net.VpcId, CidrBlock: "10.0.128.0/17" })), "InvalidVpc.Range", /overlaps/);
    await expectError(client.send(new ec2.AssociateVpcCidrBlockCommand({ VpcId: net.VpcId, CidrBlock: "192.168.0.0/16" })), "InvalidVpc.Range", /is restricted/);
    await expectError(client.send(new ec2.CreateSubnetCommand({ VpcId: net.VpcId, CidrBlock: "10.0.1.128/25" })), "InvalidSubnet.Conflict");
    await expectError(client.send(new ec2.CreateSubnetCommand({ VpcId: net.VpcId, CidrBlock: "10.2.0.0/24" })), "InvalidSubnet.Range");
    await expectError(client.send(new ec2.DisassociateVpcCidrBlockCommand({ AssociationId: out.CidrBlockAssociation!.AssociationId })), "InvalidCidrBlock.InUse");
    await expectError(client.send(new ec2.DisassociateVpcCidrBlockCommand({ AssociationId: vpc.CidrBlockAssociationSet![0]!.AssociationId })), "OperationNotPermitted");
    for (const c of ["10.3.0.0/16", "10.4.0.0/16", "10.5.0.0/16"]) await client.send(new ec2.AssociateVpcCidrBlockCommand({ VpcId: net.VpcId, CidrBlock: c }));
    await expectError(client.send(new ec2.AssociateVpcCidrBlockCommand({ VpcId: net.VpcId, CidrBlock: "10.6.0.0/16" })), "CidrLimitExceeded");
  });

  test("a rule naming a group of another VPC is refused; the default network ACL is described", async () => {
    const env = setup();
    const { client } = env;
    const net = await vpcWithSubnets(env);
    const here = (await client.send(new ec2.CreateSecurityGroupCommand({ GroupName: "here", Description: "x", VpcId: net.VpcId }))).GroupId!;
    const there = (await client.send(new ec2.CreateSecurityGroupCommand({ GroupName: "there", Description: "default VPC" }))).GroupId!;
    await expectError(
      client.send(new ec2.AuthorizeSecurityGroupIngressCommand({ GroupId: here, IpPermissions: [{ IpProtocol: "tcp", FromPort: 80, ToPort: 80, UserIdGroupPairs: [{ GroupId: there }] }] })),
      "InvalidGroup.NotFound",
      "You have specified two resources that belong to different networks.",
    );
    const acls = (await client.send(new ec2.DescribeNetworkAclsCommand({ Filters: [{ Name: "vpc-id", Values: [net.VpcId] }, { Name: "default", Values: ["true"] }] }))).NetworkAcls!;
    assert.equal(acls.length, 1);
    const acl = acls[0]!;
    assert.match(acl.NetworkAclId!, /^acl-/);
    assert.deepEqual(
      acl.Entries!.map((e) => [e.RuleNumber, e.Egress, e.Protocol, e.RuleAction, e.CidrBlock]),
      [
        [100, true, "-1", "allow", "0.0.0.0/0"],
        [32767, true, "-1", "deny", "0.0.0.0/0"],
        [100, false, "-1", "allow", "0.0.0.0/0"],
        [32767, false, "-1", "deny", "0.0.0.0/0"],
      ],
    );
    assert.deepEqual(acl.Associations!.map((a) => a.SubnetId).sort(), [net.pub, net.priv].sort());
    const again = (await client.send(new ec2.DescribeNetworkAclsCommand({ NetworkAclIds: [acl.NetworkAclId!] }))).NetworkAcls![0]!;
    assert.deepEqual(again.Associations, acl.Associations, "association ids are stable");
    const defaults = (await client.send(new ec2.DescribeNetworkAclsCommand({ Filters: [{ Name: "default", Values: ["true"] }] }))).NetworkAcls!;
    assert.equal(defaults.length, 2, "the default VPC has one too");
  });

  test("DescribeRegions; CreateDefaultVpc and CreateDefaultSubnet after the default VPC is gone", async () => {
    const env = setup();
    const { client } = env;
    const regions = (await client.send(new ec2.DescribeRegionsCommand({}))).Regions!;
    assert.ok(regions.some((r) => r.RegionName === "us-east-1" && r.Endpoint === "ec2.us-east-1.amazonaws.com" && r.OptInStatus === "opt-in-not-required"));
    assert.ok(!regions.some((r) => r.OptInStatus === "not-opted-in"));
    const all = (await client.send(new ec2.DescribeRegionsCommand({ AllRegions: true }))).Regions!;
    assert.ok(all.some((r) => r.RegionName === "af-south-1" && r.OptInStatus === "not-opted-in"));
    assert.deepEqual((await client.send(new ec2.DescribeRegionsCommand({ RegionNames: ["eu-west-1"] }))).Regions!.map((r) => r.RegionName), ["eu-west-1"]);

    await expectError(client.send(new ec2.CreateDefaultVpcCommand({})), "DefaultVpcAlreadyExists", "A Default VPC already exists for this account in this region.");
    const vpc = (await client.send(new ec2.DescribeVpcsCommand({ Filters: [{ Name: "isDefault", Values: ["true"] }] }))).Vpcs![0]!;
    const subnets = (await client.send(new ec2.DescribeSubnetsCommand({ Filters: [{ Name: "vpc-id", Values: [vpc.VpcId!] }] }))).Subnets!;
    await expectError(
      client.send(new ec2.CreateDefaultSubnetCommand({ AvailabilityZone: "us-east-1a" })),
      "DefaultSubnetAlreadyExistsInAvailabilityZone",
      `'${subnets[0]!.SubnetId}' is already the default subnet in us-east-1a.`,
    );
    await client.send(new ec2.DeleteSubnetCommand({ SubnetId: subnets[1]!.SubnetId }));
    const again = (await client.send(new ec2.CreateDefaultSubnetCommand({ AvailabilityZone: "us-east-1b" }))).Subnet!;
    assert.equal(again.CidrBlock, "172.31.16.0/20");
    assert.equal(again.DefaultForAz, true);
    assert.equal(again.MapPublicIpOnLaunch, true);

    // Delete the whole default VPC, then make a new one.
    for (const s of (await client.send(new ec2.DescribeSubnetsCommand({ Filters: [{ Name: "vpc-id", Values: [vpc.VpcId!] }] }))).Subnets!) {
      await client.send(new ec2.DeleteSubnetCommand({ SubnetId: s.SubnetId }));
    }
    const igw = (await client.send(new ec2.DescribeInternetGatewaysCommand({ Filters: [{ Name: "attachment.vpc-id", Values: [vpc.VpcId!] }] }))).InternetGateways![0]!;
    await client.send(new ec2.DetachInternetGatewayCommand({ InternetGatewayId: igw.InternetGatewayId, VpcId: vpc.VpcId }));
    await client.send(new ec2.DeleteVpcCommand({ VpcId: vpc.VpcId }));
    await expectError(client.send(new ec2.CreateDefaultSubnetCommand({ AvailabilityZone: "us-east-1a" })), "DefaultVpcDoesNotExist", "No default VPC exists for this account in this region.");
    await expectError(client.send(new ec2.CreateSecurityGroupCommand({ GroupName: "x", Description: "x" })), "VPCIdNotSpecified");
    const attrs = await client.send(new ec2.DescribeAccountAttributesCommand({ AttributeNames: ["default-vpc"] }));
    assert.equal(attrs.AccountAttributes![0]!.AttributeValues![0]!.AttributeValue, "none");
    const made = (await client.send(new ec2.CreateDefaultVpcCommand({}))).Vpc!;
    assert.equal(made.IsDefault, true);
    assert.equal(made.CidrBlock, "172.31.0.0/16");
    assert.notEqual(made.VpcId, vpc.VpcId);
    assert.equal((await client.send(new ec2.DescribeSubnetsCommand({ Filters: [{ Name: "vpc-id", Values: [made.VpcId!] }] }))).Subnets!.length, 3);
  });
});

describe("EC2 networking over sockets", () => {
  const skipCli = awsCliSkip("the EC2 CLI round trip");
  let server: RunningServer;
  before(async () => {
    server = await startGatewayServer(setup().gateway);
  });
  after(() => server.close());

  test("aws ec2 allocate-address / describe-vpc-endpoint-services / create-nat-gateway errors", { skip: skipCli }, async () => {
    const aws = (...args: string[]) => awsCli(server.url, ...args);
    const alloc = await aws("ec2", "allocate-address", "--domain", "vpc");
    assert.equal(alloc.code, 0, alloc.stderr);
    assert.equal(JSON.parse(alloc.stdout).PublicIp, "198.18.0.1");
    const svc = await aws("ec2", "describe-vpc-endpoint-services", "--service-names", "com.amazonaws.us-east-1.ecr.api");
    assert.equal(svc.code, 0, svc.stderr);
    assert.equal(JSON.parse(svc.stdout).ServiceDetails[0].PrivateDnsName, "api.ecr.us-east-1.amazonaws.com");
    const nat = await aws("ec2", "delete-nat-gateway", "--nat-gateway-id", "nat-0123456789abcdef0");
    assert.notEqual(nat.code, 0);
    assert.match(nat.stderr, /NatGatewayNotFound/);
  });
});


