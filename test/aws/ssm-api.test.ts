/**
 * SSM Parameter Store through the real SSMClient (in-process gateway, ManualClock, KMS through the
 * same port as in Slipway): types, versions, selectors, labels, paths, history, DescribeParameters,
 * tags, SecureString encryption, AWS's public parameters, and AWS's errors on each bad path.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as kms from "@aws-sdk/client-kms";
import * as ssm from "@aws-sdk/client-ssm";
import { createGateway } from "../../src/aws/gateway.ts";
import { ManualClock } from "../../src/core/clock.ts";
import { seededIds } from "../../src/core/ids.ts";
import { parameterKeysPort } from "../../src/server/ports.ts";
import { Kms, kmsService, MasterKey } from "../../src/services/kms/index.ts";
import { Ssm, ssmService } from "../../src/services/ssm/index.ts";
import { Store } from "../../src/store/store.ts";
import { expectError } from "../helpers/errors.ts";
import { inProcess } from "../helpers/in-process.ts";

const ACCOUNT = "000000000000";
const REGION = "us-east-1";

function setup() {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const store = new Store(":memory:");
  const ids = seededIds("ssm");
  const kmsDomain = new Kms({ store, clock, ids, masterKey: MasterKey.ephemeral() });
  const domain = new Ssm({ store, clock, ids, keys: parameterKeysPort(kmsDomain) });
  const gateway = createGateway({ services: [ssmService(domain), kmsService(kmsDomain)], logger: { error: () => {} } });
  const common = {
    region: REGION,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    endpoint: "http://localhost",
    requestHandler: inProcess(gateway),
    maxAttempts: 1,
  };
  return { clock, store, gateway, client: new ssm.SSMClient(common), kms: new kms.KMSClient(common) };
}

describe("Parameter Store writes and reads", () => {
  test("String, StringList, versions, Overwrite, selectors, ARNs, GetParameters", async () => {
    const { client, clock } = setup();
    assert.deepEqual(await client.send(new ssm.PutParameterCommand({ Name: "/app/url", Value: "http://a", Type: "String" })).then((r) => [r.Version, r.Tier]), [1, "Standard"]);
    await expectError(
      client.send(new ssm.PutParameterCommand({ Name: "/app/url", Value: "http://b", Type: "String" })),
      "ParameterAlreadyExists",
      "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.",
    );
    clock.advance(1000);
    assert.equal((await client.send(new ssm.PutParameterCommand({ Name: "/app/url", Value: "http://b", Overwrite: true }))).Version, 2);
    const p = (await client.send(new ssm.GetParameterCommand({ Name: "/app/url" }))).Parameter!;
    assert.deepEqual(p, {
      Name: "/app/url",
      Type: "String",
      Value: "http://b",
      Version: 2,
      LastModifiedDate: new Date(clock.now()),
      ARN: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/app/url`,
      DataType: "text",
    });
    const v1 = (await client.send(new ssm.GetParameterCommand({ Name: "/app/url:1" }))).Parameter!;
    assert.equal(v1.Value, "http://a");
    assert.equal(v1.Selector, ":1");
    assert.equal(v1.Name, "/app/url");
    assert.equal((await client.send(new ssm.GetParameterCommand({ Name: `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/app/url` }))).Parameter!.Name, "/app/url");
    await expectError(client.send(new ssm.GetParameterCommand({ Name: "/app/url:9" })), "ParameterVersionNotFound", "Systems Manager could not find version 9 of /app/url. Verify the version and try again.");
    await expectError(client.send(new ssm.GetParameterCommand({ Name: "/nope" })), "ParameterNotFound");

    await client.send(new ssm.PutParameterCommand({ Name: "list", Value: "a,b,c", Type: "StringList" }));
    const many = await client.send(new ssm.GetParametersCommand({ Names: ["list", "/app/url", "/missing", "/app/url:7"] }));
    assert.deepEqual(many.Parameters!.map((x) => [x.Name, x.Value]), [["/app/url", "http://b"], ["list", "a,b,c"]]);
    assert.deepEqual(many.InvalidParameters, ["/missing", "/app/url:7"]);
    const none = await client.send(new ssm.GetParametersCommand({ Names: ["/missing"] }));
    assert.deepEqual(none.InvalidParameters, ["/missing"]);
    assert.deepEqual(none.Parameters, []);
    // "/list" and "list" have the same ARN: one parameter, named as first written.
    assert.equal((await client.send(new ssm.GetParameterCommand({ Name: "/list" }))).Parameter!.Name, "list");
  });

  test("bad input: names, reserved prefixes, empty and over-long values, types, tags with overwrite, wrong JSON types", async () => {
    const { client, gateway } = setup();
    const pathRule = /^Parameter name: can't be prefixed with "ssm" \(case-insensitive\)\. If formed as a path/;
    await expectError(client.send(new ssm.PutParameterCommand({ Name: "{test}-test", Value: "x", Type: "String" })), "ValidationException", pathRule);
    await expectError(client.send(new ssm.GetParameterCommand({ Name: "bad name" })), "ValidationException", pathRule);
    await expectError(client.send(new ssm.PutParameterCommand({ Name: "awsThing", Value: "x", Type: "String" })), "ValidationException", 'Parameter name: can\'t be prefixed with "aws" or "ssm" (case-insensitive).');
    await expectError(client.send(new ssm.PutParameterCommand({ Name: "/aws/service/mine", Value: "x", Type: "String" })), "AccessDeniedException", "No access to reserved parameter name: /aws/service/mine.");
    await expectError(client.send(new ssm.PutParameterCommand({ Name: "/x".repeat(16), Value: "x", Type: "String" })), "HierarchyLevelLimitExceededException");
    await expectError(client.send(new ssm.PutParameterCommand({ Name: `/${"n".repeat(1000)}`, Value: "x", Type: "String" })), "ValidationException", /1011/);
    await expectError(
      client.send(new ssm.PutParameterCommand({ Name: "/e", Value: "", Type: "String" })),
      "ValidationException",
      "1 validation error detected: Value '' at 'value' failed to satisfy constraint: Member must have length greater than or equal to 1.",
    );
    await expectError(client.send(new ssm.PutParameterCommand({ Name: "/big", Value: "x".repeat(4097), Type: "String" })), "ValidationException", /^Standard tier parameters support a maximum parameter value of 4096 characters/);
    await expectError(client.send(new ssm.PutParameterCommand({ Name: "/t", Value: "x" })), "ValidationException", "A parameter type is required when you create a parameter.");
    await expectError(client.send(new ssm.PutParameterCommand({ Name: "/t", Value: "x", Type: "Number" as ssm.ParameterType })), "ValidationException", /type/);
    await expectError(client.send(new ssm.PutParameterCommand({ Name: "/t", Value: "x", Type: "String", DataType: "Text" })), "ValidationException", "The following data type is not supported: Text (Data type names are all lowercase.)");
    await expectError(client.send(new ssm.PutParameterCommand({ Name: "/t", Value: "x", Type: "String", AllowedPattern: "^[0-9]+$" })), "ParameterPatternMismatchException");
    await expectError(client.send(new ssm.PutParameterCommand({ Name: "/t", Value: "x", Type: "String", Overwrite: true, Tags: [{ Key: "a", Value: "b" }] })), "ValidationException", /tags and overwrite can't be used together/);
    await expectError(client.send(new ssm.PutParameterCommand({ Name: "/t", Value: "{{ssm:/other}}", Type: "String" })), "ValidationException", /can't nest another parameter/);
    await expectError(client.send(new ssm.PutParameterCommand({ Name: "/t", Value: "x", Type: "String", Policies: "[]" })), "ValidationException", /Policies/);
    const wrong = await gateway.invoke({
      method: "POST",
      url: "/",
      headers: { "x-amz-target": "AmazonSSM.PutParameter", "content-type": "application/x-amz-json-1.1" },
      body: JSON.stringify({ Name: "/t", Value: "x", Type: "String", Overwrite: "yes" }),
    });
    assert.equal(JSON.parse(wrong.body).__type, "SerializationException");
    const empty = await gateway.invoke({
      method: "POST",
      url: "/",
      headers: { "x-amz-target": "AmazonSSM.GetParameter", "content-type": "application/x-amz-json-1.1" },
      body: JSON.stringify({ Name: "/none" }),
    });
    assert.deepEqual(JSON.parse(empty.body), { __type: "ParameterNotFound" }, "ParameterNotFound carries no message");
    assert.deepEqual((await client.send(new ssm.DescribeParametersCommand({}))).Parameters, [], "nothing was created");
  });

  test("SecureString: encrypted under alias/aws/ssm or a customer key; WithDecryption; disabled key; history", async () => {
    const { client, kms: k } = setup();
    await client.send(new ssm.PutParameterCommand({ Name: "/db/password", Value: "hunter2", Type: "SecureString" }));
    const enc = (await client.send(new ssm.GetParameterCommand({ Name: "/db/password" }))).Parameter!;
    assert.notEqual(enc.Value, "hunter2");
    assert.ok(!Buffer.from(enc.Value!, "base64").includes("hunter2"), "WithDecryption=false answers the ciphertext");
    // The ciphertext is real KMS ciphertext: KMS decrypts it with the parameter's ARN as context.
    const viaKms = await k.send(
      new kms.DecryptCommand({ CiphertextBlob: Buffer.from(enc.Value!, "base64"), EncryptionContext: { PARAMETER_ARN: enc.ARN! } }),
    );
    assert.equal(Buffer.from(viaKms.Plaintext!).toString(), "hunter2");
    assert.equal((await client.send(new ssm.GetParameterCommand({ Name: "/db/password", WithDecryption: true }))).Parameter!.Value, "hunter2");
    assert.equal((await k.send(new kms.DescribeKeyCommand({ KeyId: "alias/aws/ssm" }))).KeyMetadata!.KeyManager, "AWS");

    const key = (await k.send(new kms.CreateKeyCommand({}))).KeyMetadata!;
    await client.send(new ssm.PutParameterCommand({ Name: "/db/token", Value: "t0k3n", Type: "SecureString", KeyId: key.KeyId }));
    const meta = (await client.send(new ssm.DescribeParametersCommand({ ParameterFilters: [{ Key: "Name", Option: "Equals", Values: ["/db/token"] }] }))).Parameters!;
    assert.equal(meta.length, 1);
    assert.equal(meta[0]!.KeyId, key.KeyId);
    assert.equal(meta[0]!.Type, "SecureString");
    await k.send(new kms.DisableKeyCommand({ KeyId: key.KeyId }));
    await expectError(
      client.send(new ssm.GetParameterCommand({ Name: "/db/token", WithDecryption: true })),
      "InvalidKeyId",
      new RegExp(`^${key.Arn!.replace(/[/.]/g, "\\$&")} is disabled\\. \\(Service: AWSKMS; Status Code: 400; Error Code: DisabledException; Request ID: [0-9a-f-]+; Proxy: null\\)$`),
    );
    await expectError(client.send(new ssm.PutParameterCommand({ Name: "/db/token2", Value: "x", Type: "SecureString", KeyId: key.KeyId })), "InvalidKeyId", /is disabled/);
    await expectError(
      client.send(new ssm.PutParameterCommand({ Name: "/db/token3", Value: "x", Type: "SecureString", KeyId: "11111111-2222-4333-8444-555555555555" })),
      "InvalidKeyId",
      /^Key 'arn:aws:kms:us-east-1:000000000000:key\/11111111-2222-4333-8444-555555555555' does not exist \(Service: AWSKMS; Status Code: 400; Error Code: NotFoundException;/,
    );
    await expectError(client.send(new ssm.PutParameterCommand({ Name: "/plain", Value: "x", Type: "String", KeyId: key.KeyId })), "ValidationException", /KeyId/);
    await k.send(new kms.EnableKeyCommand({ KeyId: key.KeyId }));
    assert.equal((await client.send(new ssm.GetParameterCommand({ Name: "/db/token", WithDecryption: true }))).Parameter!.Value, "t0k3n");

    await client.send(new ssm.PutParameterCommand({ Name: "/db/token", Value: "t0k3n-2", Overwrite: true, Description: "rotated" }));
    const history = (await client.send(new ssm.GetParameterHistoryCommand({ Name: "/db/token", WithDecryption: true }))).Parameters!;
    assert.deepEqual(history.map((h) => [h.Version, h.Value, h.Type, h.KeyId]), [
      [1, "t0k3n", "SecureString", key.KeyId],
      [2, "t0k3n-2", "SecureString", key.KeyId],
    ]);
    assert.equal(history[1]!.LastModifiedUser, `arn:aws:iam::${ACCOUNT}:root`);
    await expectError(client.send(new ssm.GetParameterHistoryCommand({ Name: "/nope" })), "ParameterNotFound");
  });

  test("labels, paths (recursive, root), filters, paging, DescribeParameters, deletes, tags, tiers", async () => {
    const { client } = setup();
    for (const [n, t] of [["/a/b/c", "String"], ["/a/b/d", "SecureString"], ["/a/e", "String"], ["/z", "String"], ["flat", "String"]] as const)
      await client.send(new ssm.PutParameterCommand({ Name: n, Value: `v-${n}`, Type: t }));
    await client.send(new ssm.PutParameterCommand({ Name: "/a/e", Value: "v2", Overwrite: true }));

    const lab = await client.send(new ssm.LabelParameterVersionCommand({ Name: "/a/e", ParameterVersion: 1, Labels: ["prod", "1bad", "awsx"] }));
    assert.deepEqual(lab.InvalidLabels, ["1bad", "awsx"]);
    assert.equal(lab.ParameterVersion, 1);
    assert.equal((await client.send(new ssm.GetParameterCommand({ Name: "/a/e:prod" }))).Parameter!.Value, "v-/a/e");
    await client.send(new ssm.LabelParameterVersionCommand({ Name: "/a/e", Labels: ["prod"] }));
    assert.equal((await client.send(new ssm.GetParameterCommand({ Name: "/a/e:prod" }))).Parameter!.Value, "v2", "the label moved to the latest version");
    await expectError(
      client.send(new ssm.LabelParameterVersionCommand({ Name: "/a/e", Labels: Array.from({ length: 10 }, (_, i) => `l${i}`) })),
      "ParameterVersionLabelLimitExceeded",
    );
    await expectError(client.send(new ssm.LabelParameterVersionCommand({ Name: "/a/e", ParameterVersion: 5, Labels: ["x"] })), "ParameterVersionNotFound");
    await expectError(client.send(new ssm.LabelParameterVersionCommand({ Name: "/nope", Labels: ["x"] })), "ParameterNotFound");
    const un = await client.send(new ssm.UnlabelParameterVersionCommand({ Name: "/a/e", ParameterVersion: 2, Labels: ["prod", "other"] }));
    assert.deepEqual([un.RemovedLabels, un.InvalidLabels], [["prod"], ["other"]]);

    const names = (r: ssm.GetParametersByPathResult) => r.Parameters!.map((p) => p.Name);
    assert.deepEqual(names(await client.send(new ssm.GetParametersByPathCommand({ Path: "/a" }))), ["/a/e"]);
    assert.deepEqual(names(await client.send(new ssm.GetParametersByPathCommand({ Path: "/a/", Recursive: true }))), ["/a/b/c", "/a/b/d", "/a/e"]);
    assert.deepEqual(names(await client.send(new ssm.GetParametersByPathCommand({ Path: "/" }))), ["flat", "/z"]);
    assert.deepEqual(
      names(await client.send(new ssm.GetParametersByPathCommand({ Path: "/a", Recursive: true, ParameterFilters: [{ Key: "Type", Values: ["SecureString"] }] }))),
      ["/a/b/d"],
    );
    const secure = await client.send(new ssm.GetParametersByPathCommand({ Path: "/a/b", WithDecryption: true }));
    assert.deepEqual(secure.Parameters!.map((p) => p.Value), ["v-/a/b/c", "v-/a/b/d"]);
    await expectError(client.send(new ssm.GetParametersByPathCommand({ Path: "/a", ParameterFilters: [{ Key: "Name", Values: ["x"] }] })), "InvalidFilterKey", "The following filter key is not valid: Name. Valid filter keys include: [Type, KeyId].");
    await expectError(client.send(new ssm.GetParametersByPathCommand({ Path: "/a", MaxResults: 11 })), "ValidationException", /maxResults/);
    await expectError(client.send(new ssm.GetParametersByPathCommand({ Path: "a" })), "ValidationException", /must begin with a forward slash/);
    const page1 = await client.send(new ssm.GetParametersByPathCommand({ Path: "/", Recursive: true, MaxResults: 2 }));
    const page2 = await client.send(new ssm.GetParametersByPathCommand({ Path: "/", Recursive: true, MaxResults: 2, NextToken: page1.NextToken }));
    const page3 = await client.send(new ssm.GetParametersByPathCommand({ Path: "/", Recursive: true, MaxResults: 2, NextToken: page2.NextToken }));
    assert.deepEqual([...names(page1), ...names(page2), ...names(page3)], ["/a/b/c", "/a/b/d", "/a/e", "flat", "/z"]);
    assert.equal(page3.NextToken, undefined);
    await expectError(client.send(new ssm.GetParametersByPathCommand({ Path: "/", NextToken: "junk" })), "InvalidNextToken");

    const described = (await client.send(new ssm.DescribeParametersCommand({ MaxResults: 50 }))).Parameters!;
    assert.equal(described.length, 5);
    assert.ok(described.every((d) => !("Value" in d)));
    const byPath = await client.send(new ssm.DescribeParametersCommand({ ParameterFilters: [{ Key: "Path", Option: "OneLevel", Values: ["/a"] }] }));
    assert.deepEqual(byPath.Parameters!.map((d) => d.Name), ["/a/e"]);
    const noSlash = await client.send(new ssm.DescribeParametersCommand({ ParameterFilters: [{ Key: "Name", Option: "Equals", Values: ["a/e"] }] }));
    assert.deepEqual(noSlash.Parameters!.map((d) => d.Name), ["/a/e"]);
    await expectError(client.send(new ssm.DescribeParametersCommand({ ParameterFilters: [{ Key: "Label", Values: ["x"] }] })), "InvalidFilterKey");
    await expectError(
      client.send(new ssm.DescribeParametersCommand({ Filters: [{ Key: "Name", Values: ["x"] }], ParameterFilters: [{ Key: "Name", Values: ["x"] }] })),
      "ValidationException",
      "You can use either Filters or ParameterFilters in a single request.",
    );

    await client.send(new ssm.AddTagsToResourceCommand({ ResourceType: "Parameter", ResourceId: "/z", Tags: [{ Key: "env", Value: "dev" }] }));
    assert.deepEqual((await client.send(new ssm.ListTagsForResourceCommand({ ResourceType: "Parameter", ResourceId: "/z" }))).TagList, [{ Key: "env", Value: "dev" }]);
    const tagged = await client.send(new ssm.DescribeParametersCommand({ ParameterFilters: [{ Key: "tag:env", Values: ["dev"] }] }));
    assert.deepEqual(tagged.Parameters!.map((d) => d.Name), ["/z"]);
    await client.send(new ssm.RemoveTagsFromResourceCommand({ ResourceType: "Parameter", ResourceId: "/z", TagKeys: ["env"] }));
    await expectError(client.send(new ssm.AddTagsToResourceCommand({ ResourceType: "Document", ResourceId: "/z", Tags: [{ Key: "a", Value: "b" }] })), "InvalidResourceType");
    await expectError(client.send(new ssm.ListTagsForResourceCommand({ ResourceType: "Parameter", ResourceId: "/nope" })), "InvalidResourceId");

    assert.equal((await client.send(new ssm.PutParameterCommand({ Name: "/adv", Value: "x".repeat(5000), Type: "String", Tier: "Intelligent-Tiering" }))).Tier, "Advanced");
    await expectError(client.send(new ssm.PutParameterCommand({ Name: "/adv", Value: "y", Overwrite: true, Tier: "Standard" })), "ValidationException", /can't downgrade/);

    await client.send(new ssm.DeleteParameterCommand({ Name: "/z" }));
    await expectError(client.send(new ssm.DeleteParameterCommand({ Name: "/z" })), "ParameterNotFound");
    const del = await client.send(new ssm.DeleteParametersCommand({ Names: ["/a/e", "/gone"] }));
    assert.deepEqual([del.DeletedParameters, del.InvalidParameters], [["/a/e"], ["/gone"]]);
    await client.send(new ssm.PutParameterCommand({ Name: "/a/e", Value: "fresh", Type: "String" }));
    assert.equal((await client.send(new ssm.GetParameterCommand({ Name: "/a/e" }))).Parameter!.Version, 1, "re-created names start again at version 1");
  });

  test("100 versions: the oldest goes, unless it carries a label", async () => {
    const { client } = setup();
    await client.send(new ssm.PutParameterCommand({ Name: "/v", Value: "0", Type: "String" }));
    await client.send(new ssm.LabelParameterVersionCommand({ Name: "/v", ParameterVersion: 1, Labels: ["keep"] }));
    for (let i = 2; i <= 100; i++) await client.send(new ssm.PutParameterCommand({ Name: "/v", Value: String(i), Overwrite: true }));
    await expectError(
      client.send(new ssm.PutParameterCommand({ Name: "/v", Value: "101", Overwrite: true })),
      "ParameterMaxVersionLimitExceeded",
      "You attempted to create a new version of /v by calling the PutParameter API with the overwrite flag. Version 1, the oldest version, can't be deleted because it has a label associated with it. Move the label to another version of the parameter, and try again.",
    );
    await client.send(new ssm.UnlabelParameterVersionCommand({ Name: "/v", ParameterVersion: 1, Labels: ["keep"] }));
    assert.equal((await client.send(new ssm.PutParameterCommand({ Name: "/v", Value: "101", Overwrite: true }))).Version, 101);
    await expectError(client.send(new ssm.GetParameterCommand({ Name: "/v:1" })), "ParameterVersionNotFound");
  });
});

describe("AWS public parameters", () => {
  test("the ECS-optimized AMI: recommended JSON, its sub-parameters, the path listing, read-only", async () => {
    const { client, gateway } = setup();
    const rec = (await client.send(new ssm.GetParameterCommand({ Name: "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended" }))).Parameter!;
    assert.equal(rec.Type, "String");
    assert.equal(rec.ARN, `arn:aws:ssm:${REGION}::parameter/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended`);
    const doc = JSON.parse(rec.Value!);
    assert.match(doc.image_id, /^ami-[0-9a-f]{17}$/);
    assert.equal(doc.schema_version, 1);
    assert.equal(doc.os, "Amazon Linux 2023");
    const id = (await client.send(new ssm.GetParameterCommand({ Name: "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id" }))).Parameter!;
    assert.equal(id.Value, doc.image_id);
    assert.equal(
      (await client.send(new ssm.GetParameterCommand({ Name: "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/schema_version" }))).Parameter!.Value,
      "1",
    );
    const children = await client.send(new ssm.GetParametersByPathCommand({ Path: "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended", MaxResults: 10 }));
    assert.deepEqual(children.Parameters!.map((p) => p.Name!.split("/").at(-1)).sort(), [
      "ecs_agent_version",
      "ecs_runtime_version",
      "image_id",
      "image_name",
      "image_version",
      "os",
      "schema_version",
      "source_image_name",
    ]);
    assert.match(
      (await client.send(new ssm.GetParameterCommand({ Name: "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64" }))).Parameter!.Value!,
      /^ami-/,
    );
    const eu = new ssm.SSMClient({
      region: "eu-west-1",
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
      endpoint: "http://localhost",
      requestHandler: inProcess(gateway),
      maxAttempts: 1,
    });
    const euId = (await eu.send(new ssm.GetParameterCommand({ Name: "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id" }))).Parameter!;
    assert.notEqual(euId.Value, doc.image_id, "image ids differ per region");
    await expectError(client.send(new ssm.PutParameterCommand({ Name: "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended", Value: "x", Type: "String", Overwrite: true })), "AccessDeniedException");
    await expectError(client.send(new ssm.GetParameterCommand({ Name: "/aws/service/ecs/optimized-ami/nope" })), "ParameterNotFound");
  });
});
