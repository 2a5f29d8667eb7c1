/** ec2Query through the real EC2Client (in-process) and raw form requests. */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as ec2 from "@aws-sdk/client-ec2";
import { createGateway } from "../../src/aws/gateway.ts";
import { inProcess } from "../helpers/in-process.ts";
import { EC2_NAMESPACE, echoEc2, type Recorder } from "./echo-services.ts";
import { credentials, endpoint, recordingLogger, region, sequentialIds } from "./fixtures.ts";

function setup() {
  const rec: Recorder = { calls: [] };
  const gateway = createGateway({ services: [echoEc2(rec)], logger: recordingLogger(), ids: sequentialIds() });
  const client = new ec2.EC2Client({ region, credentials, endpoint, requestHandler: inProcess(gateway), maxAttempts: 1 });
  const raw = (form: string) =>
    gateway.invoke({ method: "POST", url: "/", headers: { "content-type": "application/x-www-form-urlencoded" }, body: form });
  return { rec, client, raw };
}

describe("ec2Query round trip through EC2Client", () => {
  test("DescribeVpcs with VpcIds (Name.N) and Filters (Filter.N.Name / Filter.N.Value.M)", async () => {
    const { rec, client } = setup();
    const input = {
      VpcIds: ["vpc-default", "vpc-2"],
      Filters: [
        { Name: "tag:env", Values: ["test", "prod"] },
        { Name: "state", Values: ["available"] },
      ],
    };
    const out = await client.send(new ec2.DescribeVpcsCommand(input));
    assert.deepEqual(rec.calls[0]?.input, input);
    assert.equal(rec.calls[0]?.ctx.accountId, "000000000000");
    const Tags = [
      { Key: "tag:env", Value: "test,prod" },
      { Key: "state", Value: "available" },
    ];
    assert.deepEqual(out.Vpcs, [
      { VpcId: "vpc-default", CidrBlock: "10.0.0.0/16", IsDefault: true, State: "available", Tags },
      { VpcId: "vpc-2", CidrBlock: "10.0.0.0/16", IsDefault: false, State: "available", Tags },
    ]);
  });

  test("the wire form: no Result wrapper, requestId first, <item> lists, xmlName element names", async () => {
    const { raw } = setup();
    const res = await raw("Action=DescribeVpcs&Version=2016-11-15&VpcId.1=vpc-9");
    assert.equal(res.status, 200);
    assert.equal(
      res.body,
      `<?xml version="1.0" encoding="UTF-8"?><DescribeVpcsResponse xmlns="${EC2_NAMESPACE}"><requestId>req-0001</requestId>` +
        "<vpcSet><item><isDefault>false</isDefault><tagSet></tagSet><vpcId>vpc-9</vpcId><state>available</state>" +
        "<cidrBlock>10.0.0.0/16</cidrBlock></item></vpcSet></DescribeVpcsResponse>",
    );
  });

  test("errors: <Response><Errors><Error><Code>; SDK error name is the dotted code", async () => {
    const { client, raw } = setup();
    await assert.rejects(client.send(new ec2.DescribeSecurityGroupsCommand({ GroupIds: ["sg-1"] })), (err: Error & { $metadata: { httpStatusCode?: number } }) => {
      assert.equal(err.name, "InvalidGroup.NotFound");
      assert.equal(err.message, "The security group 'sg-1' does not exist");
      assert.equal(err.$metadata.httpStatusCode, 400);
      return true;
    });
    const res = await raw("Action=DescribeSecurityGroups&Version=2016-11-15&GroupId.1=sg-2");
    assert.equal(
      res.body,
      '<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>InvalidGroup.NotFound</Code>' +
        "<Message>The security group &apos;sg-2&apos; does not exist</Message></Error></Errors><RequestID>req-0002</RequestID></Response>",
    );
  });

  test("unknown action → InvalidAction; bad boolean → InvalidParameterValue (EC2's code, not ValidationError)", async () => {
    const { raw } = setup();
    const bad = await raw("Action=TeleportInstance&Version=2016-11-15");
    assert.equal(bad.status, 400);
    assert.match(bad.body, /<Code>InvalidAction<\/Code>/);
    const invalid = await raw("Action=DescribeVpcs&Version=2016-11-15&DryRun=maybe");
    assert.equal(invalid.status, 400);
    assert.match(invalid.body, /<Code>InvalidParameterValue<\/Code><Message>Value \(maybe\) for parameter DryRun is invalid\. Expected: &apos;Boolean&apos;\.<\/Message>/);
  });
});
