import assert from "node:assert/strict";
import { test } from "node:test";
import * as ec2 from "@aws-sdk/client-ec2";
import * as elbv2 from "@aws-sdk/client-elastic-load-balancing-v2";
import { ServiceModel, Shape } from "../model/index.ts";
import { decodeForm, ec2Rules, formTree, queryRules } from "./form-codec.ts";

function decode(shape: Shape, form: string, rules = queryRules) {
  const errors: string[] = [];
  const value = decodeForm(shape, formTree(new URLSearchParams(form)), "", rules, errors);
  return { value, errors };
}

test("awsQuery: member.N lists of structs, numbers, ignoring Action/Version", () => {
  const input = new ServiceModel(elbv2).operation("RegisterTargets")?.input;
  assert.ok(input);
  const { value, errors } = decode(
    input,
    "Action=RegisterTargets&Version=2015-12-01&TargetGroupArn=arn&Targets.member.2.Id=b&Targets.member.1.Id=a&Targets.member.1.Port=80",
  );
  assert.deepEqual(errors, []);
  assert.deepEqual(value, { TargetGroupArn: "arn", Targets: [{ Id: "a", Port: 80 }, { Id: "b" }] });
});

test("awsQuery: maps as X.entry.N.key / X.entry.N.value (synthetic map shape)", () => {
  // A static structure schema with one map member: [3, ns, name, traits, names, schemas, requiredCount].
  const map = [2, "test", "AttrMap", 0, 0, 1];
  const shape = Shape.of([3, "test", "Holder", 0, ["Attributes", "Count"], [map, 1], 0]);
  const { value } = decode(shape, "Attributes.entry.1.key=a&Attributes.entry.1.value=1&Attributes.entry.2.key=b&Attributes.entry.2.value=2&Count=3");
  assert.deepEqual(value, { Attributes: { a: 1, b: 2 }, Count: 3 });
});

test("ec2Query: flattened Name.N lists, Filter.N.Value.M, capitalised member names", () => {
  const input = new ServiceModel(ec2).operation("DescribeVpcs")?.input;
  assert.ok(input);
  const { value } = decode(
    input,
    "VpcId.1=vpc-1&VpcId.2=vpc-2&Filter.1.Name=state&Filter.1.Value.1=available&Filter.1.Value.2=pending&DryRun=true&MaxResults=5",
    ec2Rules,
  );
  assert.deepEqual(value, {
    VpcIds: ["vpc-1", "vpc-2"],
    Filters: [{ Name: "state", Values: ["available", "pending"] }],
    DryRun: true,
    MaxResults: 5,
  });
});
