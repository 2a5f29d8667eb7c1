/**
 * KMS through the real KMSClient (in-process gateway, ManualClock): keys and their states, aliases
 * (with the AWS managed ones created on first use), authenticated encryption, rotation, policies,
 * tags, and AWS's errors on each bad path.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import * as kms from "@aws-sdk/client-kms";
import { createGateway } from "../../src/aws/gateway.ts";
import { ManualClock } from "../../src/core/clock.ts";
import { seededIds } from "../../src/core/ids.ts";
import { Kms, kmsService, MasterKey } from "../../src/services/kms/index.ts";
import { Store } from "../../src/store/store.ts";
import { expectError } from "../helpers/errors.ts";
import { inProcess } from "../helpers/in-process.ts";

const ACCOUNT = "000000000000";
const REGION = "us-east-1";
const DAY = 86_400_000;

function setup() {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const store = new Store(":memory:");
  const domain = new Kms({ store, clock, ids: seededIds("kms"), masterKey: MasterKey.ephemeral() });
  const gateway = createGateway({ services: [kmsService(domain)], logger: { error: () => {} } });
  const client = new kms.KMSClient({
    region: REGION,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    endpoint: "http://localhost",
    requestHandler: inProcess(gateway),
    maxAttempts: 1,
  });
  return { clock, store, domain, client, gateway };
}

const text = (b: Uint8Array | undefined) => Buffer.from(b ?? new Uint8Array()).toString("utf8");
const bytes = (s: string) => new Uint8Array(Buffer.from(s, "utf8"));

describe("KMS keys", () => {
  test("CreateKey defaults, DescribeKey by id, ARN and alias, ListKeys", async () => {
    const { client } = setup();
    const md = (await client.send(new kms.CreateKeyCommand({ Description: "app key", Tags: [{ TagKey: "env", TagValue: "dev" }] }))).KeyMetadata!;
    assert.match(md.KeyId!, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal(md.Arn, `arn:aws:kms:${REGION}:${ACCOUNT}:key/${md.KeyId}`);
    assert.equal(md.AWSAccountId, ACCOUNT);
    assert.deepEqual(md.CreationDate, new Date(Date.UTC(2026, 0, 1)));
    assert.equal(md.Enabled, true);
    assert.equal(md.KeyState, "Enabled");
    assert.equal(md.KeyUsage, "ENCRYPT_DECRYPT");
    assert.equal(md.KeySpec, "SYMMETRIC_DEFAULT");
    assert.equal(md.CustomerMasterKeySpec, "SYMMETRIC_DEFAULT");
    assert.equal(md.KeyManager, "CUSTOMER");
    assert.equal(md.Origin, "AWS_KMS");
    assert.equal(md.MultiRegion, false);
    assert.deepEqual(md.EncryptionAlgorithms, ["SYMMETRIC_DEFAULT"]);
    assert.match(md.CurrentKeyMaterialId!, /^[0-9a-f]{64}$/);

    await client.send(new kms.CreateAliasCommand({ AliasName: "alias/app", TargetKeyId: md.KeyId }));
    for (const id of [md.KeyId!, md.Arn!, "alias/app", `arn:aws:kms:${REGION}:${ACCOUNT}:alias/app`]) {
      assert.equal((await client.send(new kms.DescribeKeyCommand({ KeyId: id }))).KeyMetadata!.Arn, md.Arn);
    }
    const listed = await client.send(new kms.ListKeysCommand({}));
    assert.deepEqual(listed.Keys, [{ KeyId: md.KeyId, KeyArn: md.Arn }]);
    assert.equal(listed.Truncated, false);
    const tags = await client.send(new kms.ListResourceTagsCommand({ KeyId: md.KeyId }));
    assert.deepEqual(tags.Tags, [{ TagKey: "env", TagValue: "dev" }]);
    const policy = await client.send(new kms.GetKeyPolicyCommand({ KeyId: md.KeyId }));
    assert.equal(policy.PolicyName, "default");
    assert.deepEqual(JSON.parse(policy.Policy!).Statement[0].Principal, { AWS: `arn:aws:iam::${ACCOUNT}:root` });
  });

  test("unknown, malformed and foreign-region key ids", async () => {
    const { client } = setup();
    const missing = "11111111-2222-4333-8444-555555555555";
    await expectError(client.send(new kms.DescribeKeyCommand({ KeyId: missing })), "NotFoundException", `Key 'arn:aws:kms:${REGION}:${ACCOUNT}:key/${missing}' does not exist`);
    await expectError(client.send(new kms.DescribeKeyCommand({ KeyId: "not-a-key" })), "NotFoundException", "Invalid keyId 'not-a-key'");
    await expectError(client.send(new kms.DescribeKeyCommand({ KeyId: `arn:aws:kms:eu-west-1:${ACCOUNT}:key/${missing}` })), "NotFoundException", "Invalid arn eu-west-1");
    await expectError(client.send(new kms.DescribeKeyCommand({ KeyId: "alias/nope" })), "NotFoundException", `Alias arn:aws:kms:${REGION}:${ACCOUNT}:alias/nope is not found.`);
    await expectError(client.send(new kms.DescribeKeyCommand({ KeyId: "" })), "ValidationException", /keyId/);
    await expectError(client.send(new kms.CreateKeyCommand({ KeySpec: "RSA_2048" })), "UnsupportedOperationException", /KeySpec RSA_2048/);
    await expectError(client.send(new kms.CreateKeyCommand({ Policy: "{not json" })), "MalformedPolicyDocumentException");
    await expectError(client.send(new kms.CreateKeyCommand({ Tags: [{ TagKey: "aws:x", TagValue: "y" }] })), "TagException", "Tags beginning with aws: are reserved");
    await expectError(client.send(new kms.CreateKeyCommand({ KeyUsage: "NOT_A_USAGE" as kms.KeyUsageType })), "ValidationException", /keyUsage/);
    assert.deepEqual((await client.send(new kms.ListKeysCommand({}))).Keys, [], "nothing was created by the failed calls");
  });

  test("disable, enable, schedule and cancel deletion; key-state errors on every crypto call", async () => {
    const { client, clock, domain } = setup();
    const { KeyMetadata: md } = await client.send(new kms.CreateKeyCommand({}));
    const arn = md!.Arn!;
    const blob = (await client.send(new kms.EncryptCommand({ KeyId: md!.KeyId, Plaintext: bytes("hello") }))).CiphertextBlob!;

    await client.send(new kms.DisableKeyCommand({ KeyId: arn }));
    await client.send(new kms.DisableKeyCommand({ KeyId: arn })); // idempotent
    const off = (await client.send(new kms.DescribeKeyCommand({ KeyId: arn }))).KeyMetadata!;
    assert.equal(off.KeyState, "Disabled");
    assert.equal(off.Enabled, false);
    await expectError(client.send(new kms.EncryptCommand({ KeyId: arn, Plaintext: bytes("x") })), "DisabledException", `${arn} is disabled.`);
    await expectError(client.send(new kms.DecryptCommand({ CiphertextBlob: blob })), "DisabledException", `${arn} is disabled.`);
    await expectError(client.send(new kms.GenerateDataKeyCommand({ KeyId: arn, KeySpec: "AES_256" })), "DisabledException");
    await expectError(client.send(new kms.EnableKeyRotationCommand({ KeyId: arn })), "DisabledException");
    await client.send(new kms.EnableKeyCommand({ KeyId: arn }));
    assert.equal(text((await client.send(new kms.DecryptCommand({ CiphertextBlob: blob }))).Plaintext), "hello");

    await expectError(client.send(new kms.ScheduleKeyDeletionCommand({ KeyId: arn, PendingWindowInDays: 6 })), "ValidationException", /pendingWindowInDays/);
    await expectError(client.send(new kms.ScheduleKeyDeletionCommand({ KeyId: "alias/aws/ssm" })), "NotFoundException", "Invalid keyId 'alias/aws/ssm'");
    const sched = await client.send(new kms.ScheduleKeyDeletionCommand({ KeyId: md!.KeyId, PendingWindowInDays: 7 }));
    assert.equal(sched.KeyId, arn);
    assert.equal(sched.KeyState, "PendingDeletion");
    assert.equal(sched.PendingWindowInDays, 7);
    assert.deepEqual(sched.DeletionDate, new Date(clock.now() + 7 * DAY));
    const pending = (await client.send(new kms.DescribeKeyCommand({ KeyId: arn }))).KeyMetadata!;
    assert.equal(pending.KeyState, "PendingDeletion");
    assert.deepEqual(pending.DeletionDate, sched.DeletionDate);
    assert.equal(pending.PendingDeletionWindowInDays, 7);
    await expectError(client.send(new kms.DecryptCommand({ CiphertextBlob: blob })), "KMSInvalidStateException", `${arn} is pending deletion.`);
    await expectError(client.send(new kms.EnableKeyCommand({ KeyId: arn })), "KMSInvalidStateException", `${arn} is pending deletion.`);
    await expectError(client.send(new kms.ScheduleKeyDeletionCommand({ KeyId: arn })), "KMSInvalidStateException", `${arn} is pending deletion.`);
    await expectError(client.send(new kms.CreateAliasCommand({ AliasName: "alias/late", TargetKeyId: arn })), "KMSInvalidStateException");

    // Cancelling leaves the key Disabled; enabling it makes the old ciphertext readable again.
    assert.equal((await client.send(new kms.CancelKeyDeletionCommand({ KeyId: arn }))).KeyId, arn);
    assert.equal((await client.send(new kms.DescribeKeyCommand({ KeyId: arn }))).KeyMetadata!.KeyState, "Disabled");
    await expectError(client.send(new kms.CancelKeyDeletionCommand({ KeyId: arn })), "KMSInvalidStateException");
    await client.send(new kms.EnableKeyCommand({ KeyId: arn }));
    assert.equal(text((await client.send(new kms.DecryptCommand({ CiphertextBlob: blob }))).Plaintext), "hello");

    // Once the window passes the key is gone, and so is every ciphertext it made.
    await client.send(new kms.CreateAliasCommand({ AliasName: "alias/doomed", TargetKeyId: arn }));
    await client.send(new kms.ScheduleKeyDeletionCommand({ KeyId: arn, PendingWindowInDays: 7 }));
    clock.advance(7 * DAY);
    await expectError(client.send(new kms.DescribeKeyCommand({ KeyId: arn })), "NotFoundException", `Key '${arn}' does not exist`);
    await expectError(client.send(new kms.DecryptCommand({ CiphertextBlob: blob })), "NotFoundException", `Key '${arn}' does not exist`);
    assert.deepEqual(domain.maintain(), { rotated: 0, deleted: 1 });
    assert.deepEqual((await client.send(new kms.ListKeysCommand({}))).Keys, []);
    const aliases = (await client.send(new kms.ListAliasesCommand({}))).Aliases!.map((a) => a.AliasName);
    assert.ok(!aliases.includes("alias/doomed"));
  });
});

describe("KMS crypto", () => {
  test("Encrypt/Decrypt: context binding, KeyId checks, tampering, size limits, non-determinism", async () => {
    const { client, gateway } = setup();
    const a = (await client.send(new kms.CreateKeyCommand({}))).KeyMetadata!;
    const b = (await client.send(new kms.CreateKeyCommand({}))).KeyMetadata!;
    const context = { app: "web", env: "dev" };
    const enc = await client.send(new kms.EncryptCommand({ KeyId: a.KeyId, Plaintext: bytes("s3cr3t"), EncryptionContext: context }));
    assert.equal(enc.KeyId, a.Arn);
    assert.equal(enc.EncryptionAlgorithm, "SYMMETRIC_DEFAULT");
    assert.ok(!Buffer.from(enc.CiphertextBlob!).includes("s3cr3t"));
    const again = await client.send(new kms.EncryptCommand({ KeyId: a.KeyId, Plaintext: bytes("s3cr3t"), EncryptionContext: context }));
    assert.notDeepEqual(again.CiphertextBlob, enc.CiphertextBlob);

    // The blob names its key: no KeyId needed; pair order of the context does not matter.
    const dec = await client.send(new kms.DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: { env: "dev", app: "web" } }));
    assert.equal(text(dec.Plaintext), "s3cr3t");
    assert.equal(dec.KeyId, a.Arn);
    assert.equal(dec.KeyMaterialId, a.CurrentKeyMaterialId);

    await expectError(client.send(new kms.DecryptCommand({ CiphertextBlob: enc.CiphertextBlob })), "InvalidCiphertextException");
    await expectError(client.send(new kms.DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: { app: "web", env: "prod" } })), "InvalidCiphertextException");
    await expectError(
      client.send(new kms.DecryptCommand({ CiphertextBlob: enc.CiphertextBlob, EncryptionContext: context, KeyId: b.KeyId })),
      "IncorrectKeyException",
      "The key ID in the request does not identify a CMK that can perform this operation.",
    );
    const tampered = Buffer.from(enc.CiphertextBlob!);
    tampered[tampered.length - 20]! ^= 1;
    await expectError(client.send(new kms.DecryptCommand({ CiphertextBlob: tampered, EncryptionContext: context })), "InvalidCiphertextException");
    await expectError(client.send(new kms.DecryptCommand({ CiphertextBlob: bytes("not a blob at all, really not") })), "InvalidCiphertextException");
    await expectError(
      client.send(new kms.EncryptCommand({ KeyId: a.KeyId, Plaintext: new Uint8Array(4097) })),
      "ValidationException",
      "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096",
    );
    await expectError(client.send(new kms.EncryptCommand({ KeyId: a.KeyId, Plaintext: bytes("x"), EncryptionAlgorithm: "RSAES_OAEP_SHA_1" })), "InvalidKeyUsageException");
    await expectError(client.send(new kms.EncryptCommand({ KeyId: a.KeyId, Plaintext: bytes("x"), DryRun: true })), "DryRunOperationException");

    // On the wire the message member is left out, as AWS does (the SDK then says "UnknownError").
    const raw = await gateway.invoke({
      method: "POST",
      url: "/",
      headers: { "x-amz-target": "TrentService.Decrypt", "content-type": "application/x-amz-json-1.1" },
      body: JSON.stringify({ CiphertextBlob: Buffer.from(enc.CiphertextBlob!).toString("base64") }),
    });
    assert.equal(raw.status, 400);
    assert.deepEqual(JSON.parse(raw.body), { __type: "InvalidCiphertextException" });

    const re = await client.send(new kms.ReEncryptCommand({ CiphertextBlob: enc.CiphertextBlob, SourceEncryptionContext: context, DestinationKeyId: b.Arn }));
    assert.equal(re.SourceKeyId, a.Arn);
    assert.equal(re.KeyId, b.Arn);
    assert.equal(text((await client.send(new kms.DecryptCommand({ CiphertextBlob: re.CiphertextBlob }))).Plaintext), "s3cr3t");
  });

  test("GenerateDataKey, WithoutPlaintext, GenerateRandom", async () => {
    const { client } = setup();
    const k = (await client.send(new kms.CreateKeyCommand({}))).KeyMetadata!;
    const dk = await client.send(new kms.GenerateDataKeyCommand({ KeyId: k.KeyId, KeySpec: "AES_256" }));
    assert.equal(dk.Plaintext!.byteLength, 32);
    assert.equal(dk.KeyId, k.Arn);
    assert.deepEqual((await client.send(new kms.DecryptCommand({ CiphertextBlob: dk.CiphertextBlob }))).Plaintext, dk.Plaintext);
    assert.equal((await client.send(new kms.GenerateDataKeyCommand({ KeyId: k.KeyId, NumberOfBytes: 64 }))).Plaintext!.byteLength, 64);
    const np = await client.send(new kms.GenerateDataKeyWithoutPlaintextCommand({ KeyId: k.KeyId, KeySpec: "AES_128" }));
    assert.ok(!("Plaintext" in np));
    assert.equal((await client.send(new kms.DecryptCommand({ CiphertextBlob: np.CiphertextBlob }))).Plaintext!.byteLength, 16);
    await expectError(client.send(new kms.GenerateDataKeyCommand({ KeyId: k.KeyId })), "ValidationException", "Please specify either number of bytes or key spec.");
    await expectError(client.send(new kms.GenerateDataKeyCommand({ KeyId: k.KeyId, NumberOfBytes: 1025 })), "ValidationException", /numberOfBytes/);
    assert.equal((await client.send(new kms.GenerateRandomCommand({ NumberOfBytes: 48 }))).Plaintext!.byteLength, 48);
    await expectError(client.send(new kms.GenerateRandomCommand({})), "ValidationException", "NumberOfBytes is required.");
  });

  test("rotation keeps old material: ciphertext from before a rotation still decrypts", async () => {
    const { client, clock, domain } = setup();
    const k = (await client.send(new kms.CreateKeyCommand({}))).KeyMetadata!;
    assert.deepEqual(await client.send(new kms.GetKeyRotationStatusCommand({ KeyId: k.KeyId })).then((r) => ({ ...r, $metadata: undefined })), {
      $metadata: undefined,
      KeyId: k.Arn,
      KeyRotationEnabled: false,
    });
    const before = (await client.send(new kms.EncryptCommand({ KeyId: k.KeyId, Plaintext: bytes("old") }))).CiphertextBlob;
    await expectError(client.send(new kms.EnableKeyRotationCommand({ KeyId: k.KeyId, RotationPeriodInDays: 30 })), "ValidationException", /rotationPeriodInDays/);
    await client.send(new kms.EnableKeyRotationCommand({ KeyId: k.KeyId, RotationPeriodInDays: 90 }));
    const status = await client.send(new kms.GetKeyRotationStatusCommand({ KeyId: k.KeyId }));
    assert.equal(status.KeyRotationEnabled, true);
    assert.equal(status.RotationPeriodInDays, 90);
    assert.deepEqual(status.NextRotationDate, new Date(clock.now() + 90 * DAY));
    clock.advance(90 * DAY);
    assert.deepEqual(domain.maintain(), { rotated: 1, deleted: 0 });
    await client.send(new kms.RotateKeyOnDemandCommand({ KeyId: k.KeyId }));
    const rotations = (await client.send(new kms.ListKeyRotationsCommand({ KeyId: k.KeyId }))).Rotations!;
    assert.deepEqual(rotations.map((r) => r.RotationType), ["AUTOMATIC", "ON_DEMAND"]);
    const now = (await client.send(new kms.DescribeKeyCommand({ KeyId: k.KeyId }))).KeyMetadata!;
    assert.notEqual(now.CurrentKeyMaterialId, k.CurrentKeyMaterialId);
    const dec = await client.send(new kms.DecryptCommand({ CiphertextBlob: before }));
    assert.equal(text(dec.Plaintext), "old");
    assert.equal(dec.KeyMaterialId, k.CurrentKeyMaterialId);
  });
});

describe("KMS aliases and managed keys", () => {
  test("alias rules, update, delete, ListAliases with predefined AWS aliases", async () => {
    const { client } = setup();
    const a = (await client.send(new kms.CreateKeyCommand({}))).KeyMetadata!;
    const b = (await client.send(new kms.CreateKeyCommand({}))).KeyMetadata!;
    await expectError(
      client.send(new kms.CreateAliasCommand({ AliasName: "app", TargetKeyId: a.KeyId })),
      "ValidationException",
      'Alias must start with the prefix "alias/". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html',
    );
    await expectError(client.send(new kms.CreateAliasCommand({ AliasName: "alias/aws/mine", TargetKeyId: a.KeyId })), "NotAuthorizedException");
    await expectError(client.send(new kms.CreateAliasCommand({ AliasName: "alias/bad name", TargetKeyId: a.KeyId })), "ValidationException", /aliasName/);
    await client.send(new kms.CreateAliasCommand({ AliasName: "alias/app", TargetKeyId: a.KeyId }));
    await expectError(
      client.send(new kms.CreateAliasCommand({ AliasName: "alias/app", TargetKeyId: b.KeyId })),
      "AlreadyExistsException",
      `An alias with the name arn:aws:kms:${REGION}:${ACCOUNT}:alias/app already exists`,
    );
    await expectError(client.send(new kms.CreateAliasCommand({ AliasName: "alias/x", TargetKeyId: "alias/app" })), "NotFoundException", "Invalid keyId 'alias/app'");

    const listed = (await client.send(new kms.ListAliasesCommand({}))).Aliases!;
    assert.deepEqual(
      listed.map((x) => [x.AliasName, x.TargetKeyId]),
      [
        ["alias/app", a.KeyId],
        ["alias/aws/ecr", undefined],
        ["alias/aws/secretsmanager", undefined],
        ["alias/aws/ssm", undefined],
      ],
    );
    await client.send(new kms.UpdateAliasCommand({ AliasName: "alias/app", TargetKeyId: b.Arn }));
    assert.deepEqual((await client.send(new kms.ListAliasesCommand({ KeyId: b.KeyId }))).Aliases!.map((x) => x.AliasName), ["alias/app"]);
    await client.send(new kms.DeleteAliasCommand({ AliasName: "alias/app" }));
    await expectError(client.send(new kms.DeleteAliasCommand({ AliasName: "alias/app" })), "NotFoundException", `Alias arn:aws:kms:${REGION}:${ACCOUNT}:alias/app is not found.`);
    const paged = await client.send(new kms.ListAliasesCommand({ Limit: 2 }));
    assert.equal(paged.Aliases!.length, 2);
    assert.equal(paged.Truncated, true);
    const rest = await client.send(new kms.ListAliasesCommand({ Limit: 2, Marker: paged.NextMarker }));
    assert.equal(rest.Truncated, false);
    await expectError(client.send(new kms.ListAliasesCommand({ Marker: "garbage" })), "InvalidMarkerException");
  });

  test("an AWS managed key is created on first use of its alias, with AWS's metadata, and customers cannot manage it", async () => {
    const { client } = setup();
    const md = (await client.send(new kms.DescribeKeyCommand({ KeyId: "alias/aws/secretsmanager" }))).KeyMetadata!;
    assert.equal(md.KeyManager, "AWS");
    assert.equal(md.Description, "Default key that protects my Secrets Manager data when no other key is defined");
    const again = (await client.send(new kms.DescribeKeyCommand({ KeyId: "alias/aws/secretsmanager" }))).KeyMetadata!;
    assert.equal(again.KeyId, md.KeyId);
    const alias = (await client.send(new kms.ListAliasesCommand({}))).Aliases!.find((a) => a.AliasName === "alias/aws/secretsmanager")!;
    assert.equal(alias.TargetKeyId, md.KeyId);
    assert.equal((await client.send(new kms.GetKeyRotationStatusCommand({ KeyId: md.KeyId }))).KeyRotationEnabled, true);
    await expectError(client.send(new kms.DisableKeyCommand({ KeyId: md.KeyId })), "UnsupportedOperationException");
    await expectError(client.send(new kms.ScheduleKeyDeletionCommand({ KeyId: md.KeyId })), "UnsupportedOperationException");
    await expectError(client.send(new kms.CreateAliasCommand({ AliasName: "alias/mine", TargetKeyId: md.KeyId })), "UnsupportedOperationException");
  });

  test("tags: limits and reserved prefix; untag; pending-deletion keys refuse", async () => {
    const { client } = setup();
    const k = (await client.send(new kms.CreateKeyCommand({}))).KeyMetadata!;
    await client.send(new kms.TagResourceCommand({ KeyId: k.KeyId, Tags: [{ TagKey: "a", TagValue: "1" }, { TagKey: "b", TagValue: "2" }] }));
    await client.send(new kms.TagResourceCommand({ KeyId: k.Arn, Tags: [{ TagKey: "a", TagValue: "3" }] }));
    await expectError(client.send(new kms.TagResourceCommand({ KeyId: k.KeyId, Tags: [{ TagKey: "c", TagValue: "1" }, { TagKey: "c", TagValue: "2" }] })), "TagException", "Duplicate tag keys");
    const many = Array.from({ length: 49 }, (_, i) => ({ TagKey: `k${i}`, TagValue: "v" }));
    await expectError(client.send(new kms.TagResourceCommand({ KeyId: k.KeyId, Tags: many })), "TagException", "Too many tags");
    await expectError(client.send(new kms.TagResourceCommand({ KeyId: k.KeyId, Tags: [{ TagKey: "x".repeat(129), TagValue: "" }] })), "ValidationException", /tags\.1\.member\.tagKey/);
    await client.send(new kms.UntagResourceCommand({ KeyId: k.KeyId, TagKeys: ["b"] }));
    assert.deepEqual((await client.send(new kms.ListResourceTagsCommand({ KeyId: k.KeyId }))).Tags, [{ TagKey: "a", TagValue: "3" }]);
    await client.send(new kms.ScheduleKeyDeletionCommand({ KeyId: k.KeyId }));
    await expectError(client.send(new kms.TagResourceCommand({ KeyId: k.KeyId, Tags: [{ TagKey: "z", TagValue: "1" }] })), "KMSInvalidStateException");
  });

  test("key policies: put, get, bad name, malformed", async () => {
    const { client } = setup();
    const k = (await client.send(new kms.CreateKeyCommand({}))).KeyMetadata!;
    const policy = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: "*" }, Action: "kms:*", Resource: "*" }] });
    await client.send(new kms.PutKeyPolicyCommand({ KeyId: k.KeyId, PolicyName: "default", Policy: policy }));
    assert.equal((await client.send(new kms.GetKeyPolicyCommand({ KeyId: k.KeyId, PolicyName: "default" }))).Policy, policy);
    await expectError(client.send(new kms.GetKeyPolicyCommand({ KeyId: k.KeyId, PolicyName: "other" })), "NotFoundException", "No such policy exists: other");
    await expectError(client.send(new kms.PutKeyPolicyCommand({ KeyId: k.KeyId, Policy: "[" })), "MalformedPolicyDocumentException");
    assert.deepEqual((await client.send(new kms.ListKeyPoliciesCommand({ KeyId: k.KeyId }))).PolicyNames, ["default"]);
  });
});
