/**
 * EC2 networking through the real EC2Client (in-process) and the AWS CLI (sockets): the default
 * VPC, VPC/subnet/gateway/route-table/security-group lifecycles, filters, tags, Terraform's
 * security-group sequence, and the ENI hooks ECS and ELBv2 use.
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
import { inProcess, type RunningServer, startGatewayServer } from "../helpers/in-process.ts";
import { recordingLogger, sequentialIds } from "./fixtures.ts";
import { expectError } from "../helpers/errors.ts";

const region = "us-east-1";
const ACCOUNT = "000000000000";
const scope = { accountId: ACCOUNT, region };

function setup(opts: { region?: string } = {}) {
  const store = new Store(":memory:");
  const domain = new Ec2({ store, clock: new ManualClock(), ids: seededIds("ec2-test") });
  const logger = recordingLogger();
  const gateway = createGateway({ services: [ec2Service(domain)], logger, ids: sequentialIds() });
  const client = new ec2.EC2Client({
    region: opts.region ?? region,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    endpoint: "http://127.0.0.1:1",
    requestHandler: inProcess(gateway),
    maxAttempts: 1,
  });
  return { store, domain, gateway, client, logger };
}

type Client = ec2.EC2Client;


async function defaultVpcId(client: Client): Promise<string> {
  const out = await client.send(new ec2.DescribeVpcsCommand({ Filters: [{ Name: "isDefault", Values: ["true"] }] }));
  return out.Vpcs![0]!.VpcId!;
}

describe("EC2 defaults", () => {
  test("a default VPC with three default subnets, a main route table, an IGW and a default group", async () => {
    const { client } = setup();
    const vpcs = (await client.send(new ec2.DescribeVpcsCommand({}))).Vpcs!;
    assert.equal(vpcs.length, 1);
    const vpc = vpcs[0]!;
    assert.match(vpc.VpcId!, /^vpc-[0-9a-f]{17}$/);
    assert.equal(vpc.CidrBlock, "172.31.0.0/16");
    assert.equal(vpc.IsDefault, true);
    assert.equal(vpc.State, "available");
    assert.equal(vpc.InstanceTenancy, "default");
    assert.equal(vpc.OwnerId, ACCOUNT);
    assert.match(vpc.DhcpOptionsId!, /^dopt-[0-9a-f]{17}$/);
    assert.equal(vpc.CidrBlockAssociationSet?.[0]?.CidrBlockState?.State, "associated");

    const subnets = (await client.send(new ec2.DescribeSubnetsCommand({ Filters: [{ Name: "vpc-id", Values: [vpc.VpcId!] }] }))).Subnets!;
    assert.deepEqual(
      subnets.map((s) => [s.AvailabilityZone, s.AvailabilityZoneId, s.CidrBlock, s.DefaultForAz, s.MapPublicIpOnLaunch, s.AvailableIpAddressCount]),
      [
        ["us-east-1a", "use1-az1", "172.31.0.0/20", true, true, 4091],
        ["us-east-1b", "use1-az2", "172.31.16.0/20", true, true, 4091],
        ["us-east-1c", "use1-az3", "172.31.32.0/20", true, true, 4091],
      ],
    );
    for (const s of subnets) {
      assert.match(s.SubnetId!, /^subnet-[0-9a-f]{17}$/);
      assert.equal(s.SubnetArn, `arn:aws:ec2:${region}:${ACCOUNT}:subnet/${s.SubnetId}`);
      assert.equal(s.State, "available");
      assert.equal(s.VpcId, vpc.VpcId);
    }

    const main = (
      await client.send(
        new ec2.DescribeRouteTablesCommand({
          Filters: [
            { Name: "association.main", Values: ["true"] },
            { Name: "vpc-id", Values: [vpc.VpcId!] },
          ],
        }),
      )
    ).RouteTables!;
    assert.equal(main.length, 1);
    const igws = (await client.send(new ec2.DescribeInternetGatewaysCommand({ Filters: [{ Name: "attachment.vpc-id", Values: [vpc.VpcId!] }] })))
      .InternetGateways!;
    assert.equal(igws.length, 1);
    assert.deepEqual(igws[0]!.Attachments, [{ State: "available", VpcId: vpc.VpcId }]);
    assert.deepEqual(main[0]!.Routes, [
      { DestinationCidrBlock: "172.31.0.0/16", GatewayId: "local", Origin: "CreateRouteTable", State: "active" },
      { DestinationCidrBlock: "0.0.0.0/0", GatewayId: igws[0]!.InternetGatewayId, Origin: "CreateRoute", State: "active" },
    ]);
    assert.equal(main[0]!.Associations?.[0]?.Main, true);

    const groups = (await client.send(new ec2.DescribeSecurityGroupsCommand({}))).SecurityGroups!;
    assert.equal(groups.length, 1);
    const sg = groups[0]!;
    assert.match(sg.GroupId!, /^sg-[0-9a-f]{17}$/);
    assert.equal(sg.GroupName, "default");
    assert.equal(sg.Description, "default VPC security group");
    assert.deepEqual(sg.IpPermissions, [
      { IpProtocol: "-1", UserIdGroupPairs: [{ GroupId: sg.GroupId, UserId: ACCOUNT }], IpRanges: [], Ipv6Ranges: [], PrefixListIds: [] },
    ]);
    assert.deepEqual(sg.IpPermissionsEgress, [
      { IpProtocol: "-1", UserIdGroupPairs: [], IpRanges: [{ CidrIp: "0.0.0.0/0" }], Ipv6Ranges: [], PrefixListIds: [] },
    ]);
  });

  test("defaults are made once per account+region and are deterministic for a seeded IdGen", async () => {
    const a = setup();
    const b = setup();
    const id1 = await defaultVpcId(a.client);
    assert.equal(await defaultVpcId(a.client), id1);
    assert.equal(await defaultVpcId(b.client), id1, "same seed → same ids");
    assert.equal(a.domain.defaultVpc(scope).VpcId, id1);
    const other = setup({ region: "eu-west-1" });
    const euVpc = await defaultVpcId(other.client);
    const subnets = (await other.client.send(new ec2.DescribeSubnetsCommand({}))).Subnets!;
    assert.deepEqual(
      subnets.map((s) => [s.AvailabilityZone, s.AvailabilityZoneId]),
      [
        ["eu-west-1a", "euw1-az1"],
        ["eu-west-1b", "euw1-az2"],
        ["eu-west-1c", "euw1-az3"],
      ],
    );
    assert.equal(other.domain.defaultVpc({ accountId: ACCOUNT, region: "eu-west-1" }).VpcId, euVpc);
    assert.equal(a.store.db.prepare("SELECT COUNT(*) AS n FROM ec2_defaults").get()!["n"], 1);
  });

  test("DescribeAvailabilityZones, DescribeAccountAttributes", async () => {
    const { client } = setup();
    const zones = (await client.send(new ec2.DescribeAvailabilityZonesCommand({}))).AvailabilityZones!;
    assert.deepEqual(zones[0], {
      ZoneName: "us-east-1a",
      ZoneId: "use1-az1",
      State: "available",
      OptInStatus: "opt-in-not-required",
      Messages: [],
      RegionName: "us-east-1",
      GroupName: "us-east-1",
      NetworkBorderGroup: "us-east-1",
      ZoneType: "availability-zone",
      GroupLongName: "us-east-1",
    });
    assert.deepEqual(zones.map((z) => z.ZoneId), ["use1-az1", "use1-az2", "use1-az3"]);
    const b = (await client.send(new ec2.DescribeAvailabilityZonesCommand({ Filters: [{ Name: "zone-name", Values: ["*b"] }] }))).AvailabilityZones!;
    assert.deepEqual(b.map((z) => z.ZoneName), ["us-east-1b"]);
    const byName = (await client.send(new ec2.DescribeAvailabilityZonesCommand({ ZoneNames: ["us-east-1c"] }))).AvailabilityZones!;
    assert.deepEqual(byName.map((z) => z.ZoneId), ["use1-az3"]);
    await expectError(client.send(new ec2.DescribeAvailabilityZonesCommand({ ZoneNames: ["mars-1a"] })), "InvalidParameterValue");

    const attrs = (await client.send(new ec2.DescribeAccountAttributesCommand({}))).AccountAttributes!;
    const get = (n: string) => attrs.find((a) => a.AttributeName === n)?.AttributeValues?.map((v) => v.AttributeValue);
    assert.deepEqual(get("supported-platforms"), ["VPC"]);
    assert.deepEqual(get("default-vpc"), [await defaultVpcId(client)]);
    assert.deepEqual(get("max-instances"), ["20"]);
    const one = (await client.send(new ec2.DescribeAccountAttributesCommand({ AttributeNames: ["default-vpc"] }))).AccountAttributes!;
    assert.equal(one.length, 1);
  });

  test("DescribeVpcAttribute / ModifyVpcAttribute (Terraform's data.aws_vpc reads)", async () => {
    const { client } = setup();
    const VpcId = await defaultVpcId(client);
    const attr = async (Attribute: ec2.VpcAttributeName) => client.send(new ec2.DescribeVpcAttributeCommand({ VpcId, Attribute }));
    assert.deepEqual((await attr("enableDnsHostnames")).EnableDnsHostnames, { Value: true });
    assert.deepEqual((await attr("enableDnsSupport")).EnableDnsSupport, { Value: true });
    const m = await attr("enableNetworkAddressUsageMetrics");
    assert.deepEqual(m.EnableNetworkAddressUsageMetrics, { Value: false });
    assert.equal(m.VpcId, VpcId);
    await client.send(new ec2.ModifyVpcAttributeCommand({ VpcId, EnableDnsHostnames: { Value: false } }));
    assert.deepEqual((await attr("enableDnsHostnames")).EnableDnsHostnames, { Value: false });
    await expectError(
      client.send(new ec2.ModifyVpcAttributeCommand({ VpcId, EnableDnsHostnames: { Value: true }, EnableDnsSupport: { Value: true } })),
      "InvalidParameterValue",
    );
    await expectError(
      client.send(new ec2.DescribeVpcAttributeCommand({ VpcId: "vpc-0123456789abcdef0", Attribute: "enableDnsSupport" })),
      "InvalidVpcID.NotFound",
      "The vpc ID 'vpc-0123456789abcdef0' does not exist",
    );
  });
});

describe("EC2 VPCs, subnets, gateways and route tables", () => {
  test("VPC lifecycle with tags, filters, subnets, IGW, route tables, routes and dependency checks", async () => {
    const { client } = setup();
    const vpc = (
      await client.send(
        new ec2.CreateVpcCommand({ CidrBlock: "10.0.0.0/16", TagSpecifications: [{ ResourceType: "vpc", Tags: [{ Key: "Name", Value: "app" }] }] }),
      )
    ).Vpc!;
    assert.equal(vpc.IsDefault, false);
    assert.deepEqual(vpc.Tags, [{ Key: "Name", Value: "app" }]);
    const VpcId = vpc.VpcId!;
    assert.deepEqual(
      (await client.send(new ec2.DescribeVpcAttributeCommand({ VpcId, Attribute: "enableDnsHostnames" }))).EnableDnsHostnames,
      { Value: false },
    );
    // filters: tag, cidr, is-default, wildcard
    const byTag = await client.send(new ec2.DescribeVpcsCommand({ Filters: [{ Name: "tag:Name", Values: ["ap*"] }] }));
    assert.deepEqual(byTag.Vpcs!.map((v) => v.VpcId), [VpcId]);
    const notDefault = await client.send(new ec2.DescribeVpcsCommand({ Filters: [{ Name: "is-default", Values: ["false"] }] }));
    assert.deepEqual(notDefault.Vpcs!.map((v) => v.VpcId), [VpcId]);
    const byCidr = await client.send(new ec2.DescribeVpcsCommand({ Filters: [{ Name: "cidr-block", Values: ["172.31.*"] }] }));
    assert.equal(byCidr.Vpcs!.length, 1);
    assert.equal((await client.send(new ec2.DescribeVpcsCommand({ VpcIds: [VpcId] }))).Vpcs!.length, 1);
    await expectError(client.send(new ec2.DescribeVpcsCommand({ VpcIds: ["vpc-0123456789abcdef0"] })), "InvalidVpcID.NotFound");
    await expectError(client.send(new ec2.DescribeVpcsCommand({ VpcIds: ["nope"] })), "InvalidVpcID.Malformed");
    await expectError(client.send(new ec2.DescribeVpcsCommand({ Filters: [{ Name: "colour", Values: ["x"] }] })), "InvalidParameterValue", "The filter 'colour' is invalid");
    await expectError(client.send(new ec2.CreateVpcCommand({ CidrBlock: "10.0.0.0/8" })), "InvalidVpc.Range");
    await expectError(client.send(new ec2.CreateVpcCommand({ CidrBlock: "10.0.0.300/16" })), "InvalidParameterValue");

    // the new VPC has its own main route table and default group
    const own = await client.send(new ec2.DescribeSecurityGroupsCommand({ Filters: [{ Name: "vpc-id", Values: [VpcId] }] }));
    assert.deepEqual(own.SecurityGroups!.map((g) => g.GroupName), ["default"]);

    // subnets
    const subnet = (
      await client.send(
        new ec2.CreateSubnetCommand({
          VpcId,
          CidrBlock: "10.0.1.0/24",
          AvailabilityZone: "us-east-1b",
          TagSpecifications: [{ ResourceType: "subnet", Tags: [{ Key: "tier", Value: "public" }] }],
        }),
      )
    ).Subnet!;
    assert.equal(subnet.AvailabilityZoneId, "use1-az2");
    assert.equal(subnet.AvailableIpAddressCount, 251);
    assert.equal(subnet.DefaultForAz, false);
    assert.equal(subnet.MapPublicIpOnLaunch, false);
    assert.deepEqual(subnet.Tags, [{ Key: "tier", Value: "public" }]);
    const SubnetId = subnet.SubnetId!;
    await expectError(client.send(new ec2.CreateSubnetCommand({ VpcId, CidrBlock: "10.1.0.0/24" })), "InvalidSubnet.Range", "The CIDR '10.1.0.0/24' is invalid.");
    await expectError(client.send(new ec2.CreateSubnetCommand({ VpcId, CidrBlock: "10.0.1.128/25" })), "InvalidSubnet.Conflict");
    await expectError(client.send(new ec2.CreateSubnetCommand({ VpcId: "vpc-0123456789abcdef0", CidrBlock: "10.0.2.0/24" })), "InvalidVpcID.NotFound");
    await client.send(new ec2.ModifySubnetAttributeCommand({ SubnetId, MapPublicIpOnLaunch: { Value: true } }));
    const filtered = await client.send(
      new ec2.DescribeSubnetsCommand({
        Filters: [
          { Name: "vpc-id", Values: [VpcId] },
          { Name: "map-public-ip-on-launch", Values: ["true"] },
          { Name: "availability-zone", Values: ["us-east-1b"] },
        ],
      }),
    );
    assert.deepEqual(filtered.Subnets!.map((s) => s.SubnetId), [SubnetId]);
    const defaults = await client.send(new ec2.DescribeSubnetsCommand({ Filters: [{ Name: "default-for-az", Values: ["true"] }] }));
    assert.equal(defaults.Subnets!.length, 3);
    assert.deepEqual((await client.send(new ec2.DescribeSubnetsCommand({ SubnetIds: [SubnetId] }))).Subnets!.map((s) => s.CidrBlock), ["10.0.1.0/24"]);
    await expectError(
      client.send(new ec2.DescribeSubnetsCommand({ SubnetIds: ["subnet-0123456789abcdef0"] })),
      "InvalidSubnetID.NotFound",
      "The subnet ID 'subnet-0123456789abcdef0' does not exist",
    );

    // internet gateway
    const igw = (await client.send(new ec2.CreateInternetGatewayCommand({}))).InternetGateway!;
    const InternetGatewayId = igw.InternetGatewayId!;
    assert.match(InternetGatewayId, /^igw-[0-9a-f]{17}$/);
    assert.deepEqual(igw.Attachments, []);
    await client.send(new ec2.AttachInternetGatewayCommand({ InternetGatewayId, VpcId }));
    await expectError(client.send(new ec2.AttachInternetGatewayCommand({ InternetGatewayId, VpcId })), "Resource.AlreadyAssociated");
    await expectError(client.send(new ec2.DeleteInternetGatewayCommand({ InternetGatewayId })), "DependencyViolation");
    await expectError(
      client.send(new ec2.DescribeInternetGatewaysCommand({ InternetGatewayIds: ["igw-0123456789abcdef0"] })),
      "InvalidInternetGatewayID.NotFound",
    );

    // route table, association, routes
    const rt = (await client.send(new ec2.CreateRouteTableCommand({ VpcId }))).RouteTable!;
    const RouteTableId = rt.RouteTableId!;
    assert.deepEqual(rt.Routes, [{ DestinationCidrBlock: "10.0.0.0/16", GatewayId: "local", Origin: "CreateRouteTable", State: "active" }]);
    assert.deepEqual(rt.Associations, []);
    assert.deepEqual((await client.send(new ec2.CreateRouteCommand({ RouteTableId, DestinationCidrBlock: "0.0.0.0/0", GatewayId: InternetGatewayId }))).Return, true);
    await expectError(
      client.send(new ec2.CreateRouteCommand({ RouteTableId, DestinationCidrBlock: "0.0.0.0/0", GatewayId: InternetGatewayId })),
      "RouteAlreadyExists",
    );
    const assoc = await client.send(new ec2.AssociateRouteTableCommand({ RouteTableId, SubnetId }));
    assert.match(assoc.AssociationId!, /^rtbassoc-[0-9a-f]{17}$/);
    assert.deepEqual(assoc.AssociationState, { State: "associated" });
    const bySubnet = await client.send(new ec2.DescribeRouteTablesCommand({ Filters: [{ Name: "association.subnet-id", Values: [SubnetId] }] }));
    assert.deepEqual(bySubnet.RouteTables!.map((r) => r.RouteTableId), [RouteTableId]);
    assert.equal(bySubnet.RouteTables![0]!.Routes!.length, 2);
    await expectError(client.send(new ec2.DeleteRouteTableCommand({ RouteTableId })), "DependencyViolation");
    await client.send(new ec2.DisassociateRouteTableCommand({ AssociationId: assoc.AssociationId }));
    await expectError(client.send(new ec2.DisassociateRouteTableCommand({ AssociationId: assoc.AssociationId })), "InvalidAssociationID.NotFound");
    await client.send(new ec2.DeleteRouteCommand({ RouteTableId, DestinationCidrBlock: "0.0.0.0/0" }));
    await expectError(client.send(new ec2.DeleteRouteCommand({ RouteTableId, DestinationCidrBlock: "0.0.0.0/0" })), "InvalidRoute.NotFound");
    await expectError(client.send(new ec2.DescribeRouteTablesCommand({ RouteTableIds: ["rtb-0123456789abcdef0"] })), "InvalidRouteTableID.NotFound");

    // DeleteVpc is refused while anything lives in it, then everything comes down
    await expectError(client.send(new ec2.DeleteVpcCommand({ VpcId })), "DependencyViolation");
    await client.send(new ec2.DeleteRouteTableCommand({ RouteTableId }));
    await client.send(new ec2.DetachInternetGatewayCommand({ InternetGatewayId, VpcId }));
    await expectError(client.send(new ec2.DetachInternetGatewayCommand({ InternetGatewayId, VpcId })), "Gateway.NotAttached");
    await client.send(new ec2.DeleteInternetGatewayCommand({ InternetGatewayId }));
    await client.send(new ec2.DeleteSubnetCommand({ SubnetId }));
    await expectError(client.send(new ec2.DeleteSubnetCommand({ SubnetId })), "InvalidSubnetID.NotFound");
    await client.send(new ec2.DeleteVpcCommand({ VpcId }));
    await expectError(client.send(new ec2.DescribeVpcsCommand({ VpcIds: [VpcId] })), "InvalidVpcID.NotFound");
    assert.equal((await client.send(new ec2.DescribeSecurityGroupsCommand({}))).SecurityGroups!.length, 1, "the VPC's default group went with it");
    assert.equal((await client.send(new ec2.DescribeRouteTablesCommand({}))).RouteTables!.length, 1);
    const tags = await client.send(new ec2.DescribeTagsCommand({ Filters: [{ Name: "resource-id", Values: [VpcId] }] }));
    assert.deepEqual(tags.Tags, [], "tags are dropped with the resource");
  });
});

describe("EC2 security groups", () => {
  test("Terraform's aws_security_group sequence: create with tags, revoke default egress, authorize, read, delete", async () => {
    const { client } = setup();
    const VpcId = await defaultVpcId(client);
    const created = await client.send(
      new ec2.CreateSecurityGroupCommand({
        GroupName: "web",
        Description: "web traffic",
        VpcId,
        TagSpecifications: [{ ResourceType: "security-group", Tags: [{ Key: "Name", Value: "web" }] }],
      }),
    );
    const GroupId = created.GroupId!;
    assert.match(GroupId, /^sg-[0-9a-f]{17}$/);
    assert.deepEqual(created.Tags, [{ Key: "Name", Value: "web" }]);
    assert.equal(created.SecurityGroupArn, `arn:aws:ec2:${region}:${ACCOUNT}:security-group/${GroupId}`);

    const read = async () => (await client.send(new ec2.DescribeSecurityGroupsCommand({ GroupIds: [GroupId] }))).SecurityGroups![0]!;
    const fresh = await read();
    assert.deepEqual(fresh.IpPermissions, []);
    assert.deepEqual(fresh.IpPermissionsEgress, [
      { IpProtocol: "-1", UserIdGroupPairs: [], IpRanges: [{ CidrIp: "0.0.0.0/0" }], Ipv6Ranges: [], PrefixListIds: [] },
    ]);
    assert.equal(fresh.VpcId, VpcId);
    assert.equal(fresh.Description, "web traffic");
    assert.deepEqual(fresh.Tags, [{ Key: "Name", Value: "web" }]);

    // the provider revokes the default IPv4 and IPv6 egress rules, one call each
    const revokeAll = (range: Partial<ec2.IpPermission>) =>
      client.send(new ec2.RevokeSecurityGroupEgressCommand({ GroupId, IpPermissions: [{ IpProtocol: "-1", FromPort: 0, ToPort: 0, ...range }] }));
    assert.equal((await revokeAll({ IpRanges: [{ CidrIp: "0.0.0.0/0" }] })).Return, true);
    await expectError(
      revokeAll({ Ipv6Ranges: [{ CidrIpv6: "::/0" }] }),
      "InvalidPermission.NotFound",
      "The specified rule does not exist in this security group.",
    );
    assert.deepEqual((await read()).IpPermissionsEgress, []);

    const ingress = await client.send(
      new ec2.AuthorizeSecurityGroupIngressCommand({
        GroupId,
        IpPermissions: [
          { IpProtocol: "tcp", FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: "0.0.0.0/0", Description: "http" }] },
          { IpProtocol: "tcp", FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: "10.0.0.0/8" }], Ipv6Ranges: [{ CidrIpv6: "::/0" }] },
        ],
      }),
    );
    assert.equal(ingress.Return, true);
    assert.equal(ingress.SecurityGroupRules!.length, 3);
    assert.deepEqual(
      ingress.SecurityGroupRules!.map((r) => [r.IsEgress, r.IpProtocol, r.FromPort, r.ToPort, r.CidrIpv4 ?? r.CidrIpv6, r.GroupId]),
      [
        [false, "tcp", 80, 80, "0.0.0.0/0", GroupId],
        [false, "tcp", 443, 443, "10.0.0.0/8", GroupId],
        [false, "tcp", 443, 443, "::/0", GroupId],
      ],
    );
    assert.match(ingress.SecurityGroupRules![0]!.SecurityGroupRuleId!, /^sgr-[0-9a-f]{17}$/);
    const egress = await client.send(
      new ec2.AuthorizeSecurityGroupEgressCommand({ GroupId, IpPermissions: [{ IpProtocol: "-1", FromPort: 0, ToPort: 0, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }] }),
    );
    assert.equal(egress.SecurityGroupRules![0]!.IsEgress, true);
    await expectError(
      client.send(
        new ec2.AuthorizeSecurityGroupIngressCommand({ GroupId, IpPermissions: [{ IpProtocol: "tcp", FromPort: 80, ToPort: 80, IpRanges: [{ CidrIp: "0.0.0.0/0" }] }] }),
      ),
      "InvalidPermission.Duplicate",
      'the specified rule "peer: 0.0.0.0/0, TCP, from port: 80, to port: 80, ALLOW" already exists',
    );

    const sg = await read();
    assert.deepEqual(sg.IpPermissions, [
      { IpProtocol: "tcp", FromPort: 80, ToPort: 80, UserIdGroupPairs: [], IpRanges: [{ CidrIp: "0.0.0.0/0", Description: "http" }], Ipv6Ranges: [], PrefixListIds: [] },
      {
        IpProtocol: "tcp",
        FromPort: 443,
        ToPort: 443,
        UserIdGroupPairs: [],
        IpRanges: [{ CidrIp: "10.0.0.0/8" }],
        Ipv6Ranges: [{ CidrIpv6: "::/0" }],
        PrefixListIds: [],
      },
    ]);
    assert.deepEqual(sg.IpPermissionsEgress, [
      { IpProtocol: "-1", UserIdGroupPairs: [], IpRanges: [{ CidrIp: "0.0.0.0/0" }], Ipv6Ranges: [], PrefixListIds: [] },
    ]);

    // filters Terraform and people use
    const byName = await client.send(new ec2.DescribeSecurityGroupsCommand({ Filters: [{ Name: "group-name", Values: ["we*"] }, { Name: "vpc-id", Values: [VpcId] }] }));
    assert.deepEqual(byName.SecurityGroups!.map((g) => g.GroupId), [GroupId]);
    const byPort = await client.send(new ec2.DescribeSecurityGroupsCommand({ Filters: [{ Name: "ip-permission.from-port", Values: ["443"] }] }));
    assert.deepEqual(byPort.SecurityGroups!.map((g) => g.GroupId), [GroupId]);
    const byLegacyName = await client.send(new ec2.DescribeSecurityGroupsCommand({ GroupNames: ["web"] }));
    assert.deepEqual(byLegacyName.SecurityGroups!.map((g) => g.GroupId), [GroupId]);
    const rules = await client.send(new ec2.DescribeSecurityGroupRulesCommand({ Filters: [{ Name: "group-id", Values: [GroupId] }] }));
    assert.equal(rules.SecurityGroupRules!.length, 4);

    // revoke ingress (by permission and by rule id)
    await client.send(
      new ec2.RevokeSecurityGroupIngressCommand({ GroupId, IpPermissions: [{ IpProtocol: "tcp", FromPort: 443, ToPort: 443, Ipv6Ranges: [{ CidrIpv6: "::/0" }] }] }),
    );
    await client.send(new ec2.RevokeSecurityGroupIngressCommand({ GroupId, SecurityGroupRuleIds: [ingress.SecurityGroupRules![1]!.SecurityGroupRuleId!] }));
    assert.deepEqual((await read()).IpPermissions!.map((p) => p.FromPort), [80]);

    // Terraform's delete: look for lingering ENIs, delete, then expect NotFound
    const enis = await client.send(new ec2.DescribeNetworkInterfacesCommand({ Filters: [{ Name: "group-id", Values: [GroupId] }] }));
    assert.deepEqual(enis.NetworkInterfaces, []);
    const deleted = await client.send(new ec2.DeleteSecurityGroupCommand({ GroupId }));
    assert.equal(deleted.Return, true);
    assert.equal(deleted.GroupId, GroupId);
    await expectError(
      client.send(new ec2.DescribeSecurityGroupsCommand({ GroupIds: [GroupId] })),
      "InvalidGroup.NotFound",
      `The security group '${GroupId}' does not exist`,
    );
    await expectError(client.send(new ec2.DeleteSecurityGroupCommand({ GroupId })), "InvalidGroup.NotFound");
  });

  test("create errors, group references, the default group, malformed ids", async () => {
    const { client } = setup();
    const VpcId = await defaultVpcId(client);
    const a = (await client.send(new ec2.CreateSecurityGroupCommand({ GroupName: "a", Description: "a" }))).GroupId!;
    assert.equal((await client.send(new ec2.DescribeSecurityGroupsCommand({ GroupIds: [a] }))).SecurityGroups![0]!.VpcId, VpcId, "no VpcId → default VPC");
    await expectError(
      client.send(new ec2.CreateSecurityGroupCommand({ GroupName: "a", Description: "again", VpcId })),
      "InvalidGroup.Duplicate",
      `The security group 'a' already exists for VPC '${VpcId}'`,
    );
    await expectError(client.send(new ec2.CreateSecurityGroupCommand({ GroupName: "sg-x", Description: "x" })), "InvalidParameterValue");
    await expectError(client.send(new ec2.CreateSecurityGroupCommand({ GroupName: "x", Description: "x", VpcId: "vpc-0123456789abcdef0" })), "InvalidVpcID.NotFound");
    await expectError(client.send(new ec2.DescribeSecurityGroupsCommand({ GroupIds: ["web"] })), "InvalidGroupId.Malformed");
    await expectError(client.send(new ec2.DescribeSecurityGroupsCommand({ GroupNames: ["nope"] })), "InvalidGroup.NotFound");

    // b allows traffic from a: a is now referenced and cannot be deleted
    const b = (await client.send(new ec2.CreateSecurityGroupCommand({ GroupName: "b", Description: "b" }))).GroupId!;
    await client.send(
      new ec2.AuthorizeSecurityGroupIngressCommand({ GroupId: b, IpPermissions: [{ IpProtocol: "tcp", FromPort: 8080, ToPort: 8080, UserIdGroupPairs: [{ GroupId: a }] }] }),
    );
    const bDoc = (await client.send(new ec2.DescribeSecurityGroupsCommand({ GroupIds: [b] }))).SecurityGroups![0]!;
    assert.deepEqual(bDoc.IpPermissions![0]!.UserIdGroupPairs, [{ GroupId: a, UserId: ACCOUNT }]);
    await expectError(client.send(new ec2.DeleteSecurityGroupCommand({ GroupId: a })), "DependencyViolation", `resource ${a} has a dependent object`);
    await expectError(
      client.send(
        new ec2.AuthorizeSecurityGroupIngressCommand({ GroupId: b, IpPermissions: [{ IpProtocol: "tcp", FromPort: 1, ToPort: 2, UserIdGroupPairs: [{ GroupId: "sg-0123456789abcdef0" }] }] }),
      ),
      "InvalidGroup.NotFound",
    );
    await expectError(
      client.send(new ec2.AuthorizeSecurityGroupIngressCommand({ GroupId: b, IpPermissions: [{ IpProtocol: "tcp", IpRanges: [{ CidrIp: "0.0.0.0/0" }] }] })),
      "InvalidParameterValue",
    );
    // legacy top-level parameters
    await client.send(new ec2.AuthorizeSecurityGroupIngressCommand({ GroupName: "b", IpProtocol: "udp", FromPort: 53, ToPort: 53, CidrIp: "10.0.0.0/8" }));
    const udp = (await client.send(new ec2.DescribeSecurityGroupsCommand({ GroupIds: [b] }))).SecurityGroups![0]!.IpPermissions!.find((p) => p.IpProtocol === "udp");
    assert.deepEqual(udp?.IpRanges, [{ CidrIp: "10.0.0.0/8" }]);
    await client.send(new ec2.DeleteSecurityGroupCommand({ GroupId: b }));
    await client.send(new ec2.DeleteSecurityGroupCommand({ GroupName: "a" }));

    const def = (await client.send(new ec2.DescribeSecurityGroupsCommand({ Filters: [{ Name: "group-name", Values: ["default"] }] }))).SecurityGroups![0]!;
    await expectError(
      client.send(new ec2.DeleteSecurityGroupCommand({ GroupId: def.GroupId })),
      "CannotDelete",
      `the specified group: "${def.GroupId}" name: "default" cannot be deleted by a user`,
    );
  });

  test("DependencyViolation while an ENI made by the domain hook uses the group; gone once released", async () => {
    const { client, domain } = setup();
    const subnets = domain.defaultSubnets(scope);
    assert.equal(subnets.length, 3);
    const GroupId = (await client.send(new ec2.CreateSecurityGroupCommand({ GroupName: "task", Description: "task" }))).GroupId!;
    assert.equal(domain.securityGroupInUse(scope, GroupId), false);
    const owner = { kind: "ecs-task" as const, attachmentId: "6f1c2a3b-0000-4000-a000-000000000001" };
    const eni = domain.networkInterfaceFor(scope, { owner, subnetId: subnets[0]!.SubnetId!, securityGroupIds: [GroupId] });
    assert.match(eni.NetworkInterfaceId!, /^eni-[0-9a-f]{17}$/);
    assert.equal(eni.PrivateIpAddress, "172.31.0.4");
    assert.equal(domain.networkInterfaceFor(scope, { owner, subnetId: subnets[0]!.SubnetId!, securityGroupIds: [GroupId] }).NetworkInterfaceId, eni.NetworkInterfaceId, "idempotent");
    assert.equal(domain.securityGroupInUse(scope, GroupId), true);

    const listed = await client.send(new ec2.DescribeNetworkInterfacesCommand({ Filters: [{ Name: "group-id", Values: [GroupId] }] }));
    const n = listed.NetworkInterfaces![0]!;
    assert.equal(n.Description, `arn:aws:ecs:${region}:${ACCOUNT}:attachment/${owner.attachmentId}`);
    assert.equal(n.InterfaceType, "interface");
    assert.equal(n.Attachment?.InstanceOwnerId, "amazon-aws");
    assert.equal(n.Status, "in-use");
    assert.equal(n.RequesterManaged, true);
    assert.deepEqual(n.Groups, [{ GroupId, GroupName: "task" }]);
    assert.equal(n.SubnetId, subnets[0]!.SubnetId);
    assert.equal(n.AvailabilityZone, "us-east-1a");
    assert.ok(n.Attachment?.AttachTime instanceof Date);
    assert.equal(
      (await client.send(new ec2.DescribeSubnetsCommand({ SubnetIds: [subnets[0]!.SubnetId!] }))).Subnets![0]!.AvailableIpAddressCount,
      4090,
    );

    await expectError(client.send(new ec2.DeleteSecurityGroupCommand({ GroupId })), "DependencyViolation", `resource ${GroupId} has a dependent object`);
    await expectError(client.send(new ec2.DeleteSubnetCommand({ SubnetId: subnets[0]!.SubnetId })), "DependencyViolation");
    assert.deepEqual(domain.releaseNetworkInterfaces(scope, owner), [eni.NetworkInterfaceId]);
    assert.equal(domain.securityGroupInUse(scope, GroupId), false);
    await client.send(new ec2.DeleteSecurityGroupCommand({ GroupId }));
  });

  test("load balancer ENIs: what Terraform's aws_lb delete looks for", async () => {
    const { client, domain } = setup();
    const subnets = domain.defaultSubnets(scope);
    const owner = { kind: "elb" as const, loadBalancerName: "web", loadBalancerId: "0123456789abcdef" };
    for (const s of subnets.slice(0, 2)) domain.networkInterfaceFor(scope, { owner, subnetId: s.SubnetId! });
    const other = domain.networkInterfaceFor(scope, { owner: { kind: "ecs-task", attachmentId: "a-1" }, subnetId: subnets[0]!.SubnetId! });
    assert.equal(other.PrivateIpAddress, "172.31.0.5", "next free address in the subnet");
    const out = await client.send(
      new ec2.DescribeNetworkInterfacesCommand({
        Filters: [
          { Name: "attachment.instance-owner-id", Values: ["amazon-elb"] },
          { Name: "description", Values: ["ELB app/web/0123456789abcdef"] },
        ],
      }),
    );
    assert.equal(out.NetworkInterfaces!.length, 2);
    for (const n of out.NetworkInterfaces!) {
      assert.equal(n.RequesterId, "amazon-elb");
      assert.equal(n.InterfaceType, "interface");
      assert.deepEqual(n.Groups!.map((g) => g.GroupName), ["default"], "no groups given → the VPC's default group");
    }
    const byWildcard = await client.send(new ec2.DescribeNetworkInterfacesCommand({ Filters: [{ Name: "description", Values: ["ELB *"] }] }));
    assert.equal(byWildcard.NetworkInterfaces!.length, 2);
    const bySubnet = await client.send(
      new ec2.DescribeNetworkInterfacesCommand({ Filters: [{ Name: "subnet-id", Values: [subnets[0]!.SubnetId!] }, { Name: "vpc-id", Values: [subnets[0]!.VpcId!] }] }),
    );
    assert.equal(bySubnet.NetworkInterfaces!.length, 2);
    const byId = await client.send(new ec2.DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [other.NetworkInterfaceId!] }));
    assert.equal(byId.NetworkInterfaces![0]!.Attachment?.InstanceOwnerId, "amazon-aws");
    await expectError(
      client.send(new ec2.DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: ["eni-0123456789abcdef0"] })),
      "InvalidNetworkInterfaceID.NotFound",
      "The networkInterface ID 'eni-0123456789abcdef0' does not exist",
    );
    assert.equal(domain.releaseNetworkInterfaces(scope, owner).length, 2);
    const after = await client.send(new ec2.DescribeNetworkInterfacesCommand({ Filters: [{ Name: "attachment.instance-owner-id", Values: ["amazon-elb"] }] }));
    assert.deepEqual(after.NetworkInterfaces, []);
    // hook lookups
    assert.equal(domain.subnet(scope, subnets[1]!.SubnetId!)?.AvailabilityZone, "us-east-1b");
    assert.equal(domain.subnet(scope, "subnet-0123456789abcdef0"), undefined);
    assert.equal(domain.defaultSecurityGroup(scope).GroupName, "default");
    assert.throws(
      () => domain.networkInterfaceFor(scope, { owner, subnetId: "subnet-0123456789abcdef0" }),
      (err: Error) => err.name === "InvalidSubnetID.NotFound",
    );
  });
});

describe("EC2 tags", () => {
  test("CreateTags / DescribeTags (filters) / DeleteTags on any resource", async () => {
    const { client } = setup();
    const VpcId = await defaultVpcId(client);
    const SubnetId = (await client.send(new ec2.DescribeSubnetsCommand({}))).Subnets![0]!.SubnetId!;
    const GroupId = (await client.send(new ec2.DescribeSecurityGroupsCommand({}))).SecurityGroups![0]!.GroupId!;
    await client.send(
      new ec2.CreateTagsCommand({
        Resources: [VpcId, SubnetId, GroupId],
        Tags: [
          { Key: "env", Value: "dev" },
          { Key: "team", Value: "core" },
        ],
      }),
    );
    const all = await client.send(new ec2.DescribeTagsCommand({}));
    assert.equal(all.Tags!.length, 6);
    const vpcOnly = await client.send(new ec2.DescribeTagsCommand({ Filters: [{ Name: "resource-type", Values: ["vpc"] }] }));
    assert.deepEqual(vpcOnly.Tags, [
      { Key: "env", Value: "dev", ResourceId: VpcId, ResourceType: "vpc" },
      { Key: "team", Value: "core", ResourceId: VpcId, ResourceType: "vpc" },
    ]);
    const byKey = await client.send(new ec2.DescribeTagsCommand({ Filters: [{ Name: "key", Values: ["env"] }, { Name: "resource-id", Values: [SubnetId] }] }));
    assert.deepEqual(byKey.Tags, [{ Key: "env", Value: "dev", ResourceId: SubnetId, ResourceType: "subnet" }]);
    const byValue = await client.send(new ec2.DescribeTagsCommand({ Filters: [{ Name: "value", Values: ["co*"] }] }));
    assert.equal(byValue.Tags!.length, 3);
    assert.deepEqual((await client.send(new ec2.DescribeVpcsCommand({ Filters: [{ Name: "tag-key", Values: ["team"] }] }))).Vpcs!.map((v) => v.VpcId), [VpcId]);
    assert.deepEqual(
      (await client.send(new ec2.DescribeSecurityGroupsCommand({ Filters: [{ Name: "tag:env", Values: ["dev"] }] }))).SecurityGroups!.map((g) => g.GroupId),
      [GroupId],
    );

    // DeleteTags: with a non-matching value nothing goes; by key alone it goes
    await client.send(new ec2.DeleteTagsCommand({ Resources: [VpcId], Tags: [{ Key: "env", Value: "prod" }] }));
    assert.equal((await client.send(new ec2.DescribeVpcsCommand({ VpcIds: [VpcId] }))).Vpcs![0]!.Tags!.length, 2);
    await client.send(new ec2.DeleteTagsCommand({ Resources: [VpcId], Tags: [{ Key: "env" }] }));
    assert.deepEqual((await client.send(new ec2.DescribeVpcsCommand({ VpcIds: [VpcId] }))).Vpcs![0]!.Tags, [{ Key: "team", Value: "core" }]);
    await client.send(new ec2.DeleteTagsCommand({ Resources: [SubnetId] }));
    assert.equal((await client.send(new ec2.DescribeSubnetsCommand({ SubnetIds: [SubnetId] }))).Subnets![0]!.Tags, undefined);

    await expectError(client.send(new ec2.CreateTagsCommand({ Resources: ["vpc-0123456789abcdef0"], Tags: [{ Key: "a", Value: "b" }] })), "InvalidVpcID.NotFound");
    await expectError(client.send(new ec2.CreateTagsCommand({ Resources: [VpcId], Tags: [{ Key: "aws:x", Value: "b" }] })), "InvalidParameterValue");
  });
});

describe("EC2 request options", () => {
  test("MaxResults/NextToken pages (SDK paginator) and DryRun answers DryRunOperation (412)", async () => {
    const { client } = setup();
    for (const n of ["p1", "p2", "p3", "p4"]) await client.send(new ec2.CreateSecurityGroupCommand({ GroupName: n, Description: n }));
    const first = await client.send(new ec2.DescribeSecurityGroupsCommand({ MaxResults: 2 }));
    assert.equal(first.SecurityGroups!.length, 2);
    assert.ok(first.NextToken);
    const names: string[] = [];
    for await (const p of ec2.paginateDescribeSecurityGroups({ client, pageSize: 2 }, {})) names.push(...p.SecurityGroups!.map((g) => g.GroupName!));
    assert.deepEqual(names, ["default", "p1", "p2", "p3", "p4"]);
    await expectError(client.send(new ec2.DescribeVpcsCommand({ NextToken: "garbage" })), "InvalidParameterValue");
    await assert.rejects(client.send(new ec2.CreateVpcCommand({ CidrBlock: "10.9.0.0/16", DryRun: true })), (err: Error & { $metadata?: { httpStatusCode?: number } }) => {
      assert.equal(err.name, "DryRunOperation");
      assert.equal(err.$metadata?.httpStatusCode, 412);
      return true;
    });
    assert.equal((await client.send(new ec2.DescribeVpcsCommand({}))).Vpcs!.length, 1, "a dry run changes nothing");
  });
});

describe("EC2 over sockets", () => {
  const skipCli = awsCliSkip("the EC2 CLI round trip");
  let server: RunningServer;
  let domain: Ec2;
  before(async () => {
    const s = setup();
    domain = s.domain;
    server = await startGatewayServer(s.gateway);
  });
  after(() => server.close());

  test("aws ec2 describe-vpcs --filters Name=isDefault,Values=true; an error with its code", { skip: skipCli }, async () => {
    const aws = (...args: string[]) => awsCli(server.url, ...args);
    const ok = await aws("ec2", "describe-vpcs", "--filters", "Name=isDefault,Values=true");
    assert.equal(ok.code, 0, ok.stderr);
    const vpcs = JSON.parse(ok.stdout).Vpcs;
    assert.equal(vpcs.length, 1);
    assert.equal(vpcs[0].VpcId, domain.defaultVpc(scope).VpcId);
    assert.equal(vpcs[0].CidrBlock, "172.31.0.0/16");
    assert.equal(vpcs[0].IsDefault, true);
    const bad = await aws("ec2", "describe-security-groups", "--group-ids", "sg-0123456789abcdef0");
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /InvalidGroup\.NotFound/);
  });
});
