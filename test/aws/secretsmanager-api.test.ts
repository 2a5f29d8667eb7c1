/**
 * Secrets Manager through the real SecretsManagerClient (in-process gateway, ManualClock, KMS wired
 * through the same port as in Slipway): the secret lifecycle, versions and staging labels, the
 * deletion window, listing, policies, and AWS's errors on each bad path. Values are encrypted under
 * the secret's KMS key: disabling the key makes reads fail.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import * as kms from "@aws-sdk/client-kms";
import * as sm from "@aws-sdk/client-secrets-manager";
import { createGateway } from "../../src/aws/gateway.ts";
import { ManualClock } from "../../src/core/clock.ts";
import { seededIds } from "../../src/core/ids.ts";
import { secretKeysPort } from "../../src/server/ports.ts";
import { Kms, kmsService, MasterKey } from "../../src/services/kms/index.ts";
import { SecretsManager, secretsManagerService } from "../../src/services/secretsmanager/index.ts";
import { Store } from "../../src/store/store.ts";
import { expectError } from "../helpers/errors.ts";
import { inProcess } from "../helpers/in-process.ts";

const ACCOUNT = "000000000000";
const REGION = "us-east-1";
const DAY = 86_400_000;
const T1 = "11111111111111111111111111111111";
const T2 = "22222222222222222222222222222222";
const T3 = "33333333333333333333333333333333";

function setup(path = ":memory:") {
  const clock = new ManualClock(Date.UTC(2026, 0, 1, 12));
  const store = new Store(path);
  const ids = seededIds("sm");
  const kmsDomain = new Kms({ store, clock, ids, masterKey: MasterKey.ephemeral() });
  const domain = new SecretsManager({ store, clock, ids, keys: secretKeysPort(kmsDomain) });
  const gateway = createGateway({ services: [secretsManagerService(domain), kmsService(kmsDomain)], logger: { error: () => {} } });
  const common = {
    region: REGION,
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    endpoint: "http://localhost",
    requestHandler: inProcess(gateway),
    maxAttempts: 1,
  };
  return { clock, store, domain, gateway, client: new sm.SecretsManagerClient(common), kms: new kms.KMSClient(common) };
}

const value = async (c: sm.SecretsManagerClient, input: sm.GetSecretValueRequest) => (await c.send(new sm.GetSecretValueCommand(input))).SecretString;

describe("Secrets Manager secrets", () => {
  test("create, get by name, full ARN and partial ARN; describe; ARN suffix of six characters", async () => {
    const { client, clock } = setup();
    const created = await client.send(new sm.CreateSecretCommand({ Name: "prod/db", SecretString: '{"password":"hunter2"}', Description: "db", ClientRequestToken: T1 }));
    assert.match(created.ARN!, new RegExp(`^arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:prod/db-[A-Za-z0-9]{6}$`));
    assert.equal(created.Name, "prod/db");
    assert.equal(created.VersionId, T1);
    const partial = created.ARN!.slice(0, -7);
    for (const id of ["prod/db", created.ARN!, partial]) assert.equal(await value(client, { SecretId: id }), '{"password":"hunter2"}');
    const got = await client.send(new sm.GetSecretValueCommand({ SecretId: "prod/db" }));
    assert.deepEqual(got.VersionStages, ["AWSCURRENT"]);
    assert.equal(got.VersionId, T1);
    assert.deepEqual(got.CreatedDate, new Date(clock.now()));

    const d = await client.send(new sm.DescribeSecretCommand({ SecretId: "prod/db" }));
    assert.equal(d.ARN, created.ARN);
    assert.equal(d.Description, "db");
    assert.equal(d.KmsKeyId, undefined, "the default key is not named");
    assert.deepEqual(d.VersionIdsToStages, { [T1]: ["AWSCURRENT"] });
    assert.deepEqual(d.LastAccessedDate, new Date(Date.UTC(2026, 0, 1)), "date resolution");
    assert.equal(d.RotationEnabled, undefined);
    assert.equal(d.Tags, undefined);
    assert.equal(d.DeletedDate, undefined);

    // A secret without a value has no version.
    const empty = await client.send(new sm.CreateSecretCommand({ Name: "empty" }));
    assert.equal(empty.VersionId, undefined);
    assert.equal((await client.send(new sm.DescribeSecretCommand({ SecretId: "empty" }))).VersionIdsToStages, undefined);
    await expectError(client.send(new sm.GetSecretValueCommand({ SecretId: "empty" })), "ResourceNotFoundException", "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT");
  });

  test("bad input: names, tokens, sizes, both values, unknown secrets, duplicates — nothing is created", async () => {
    const { client, gateway } = setup();
    await expectError(
      client.send(new sm.CreateSecretCommand({ Name: "bad name!", SecretString: "x" })),
      "ValidationException",
      "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!",
    );
    await expectError(client.send(new sm.CreateSecretCommand({ Name: "n".repeat(513), SecretString: "x" })), "ValidationException", /at 'name' failed to satisfy constraint: Member must have length less than or equal to 512/);
    await expectError(client.send(new sm.CreateSecretCommand({ Name: "big", SecretString: "x".repeat(65537) })), "ValidationException", /secretString/);
    await expectError(client.send(new sm.CreateSecretCommand({ Name: "t", SecretString: "x", ClientRequestToken: "short" })), "ValidationException", /clientRequestToken/);
    await expectError(
      client.send(new sm.CreateSecretCommand({ Name: "both", SecretString: "x", SecretBinary: new Uint8Array([1]) })),
      "InvalidParameterException",
      "You can't specify both a binary secret value and a string secret value in the same secret.",
    );
    await expectError(client.send(new sm.CreateSecretCommand({ Name: "r", SecretString: "x", AddReplicaRegions: [{ Region: "eu-west-1" }] })), "InvalidRequestException", /AddReplicaRegions/);
    await expectError(client.send(new sm.GetSecretValueCommand({ SecretId: "nope" })), "ResourceNotFoundException", "Secrets Manager can't find the specified secret.");
    await expectError(client.send(new sm.GetSecretValueCommand({ SecretId: `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:nope-AbCdEf` })), "ResourceNotFoundException", "Secrets Manager can't find the specified secret.");
    await expectError(client.send(new sm.DescribeSecretCommand({ SecretId: "has space" })), "ValidationException", /Invalid name/);
    // Wrong JSON types and a malformed body.
    const raw = (target: string, body: string) =>
      gateway.invoke({ method: "POST", url: "/", headers: { "x-amz-target": `secretsmanager.${target}`, "content-type": "application/x-amz-json-1.1" }, body });
    const wrongType = await raw("CreateSecret", JSON.stringify({ Name: 5, SecretString: "x" }));
    assert.equal(wrongType.status, 400);
    assert.equal(JSON.parse(wrongType.body).__type, "SerializationException");
    const garbage = await raw("CreateSecret", "{not json");
    assert.equal(JSON.parse(garbage.body).__type, "SerializationException");
    // A raw call with a value and no token (SDKs always fill one in).
    const noToken = await raw("CreateSecret", JSON.stringify({ Name: "raw", SecretString: "x" }));
    assert.deepEqual(JSON.parse(noToken.body), {
      __type: "InvalidRequestException",
      Message: "You must provide a ClientRequestToken value. We recommend a UUID-type value.",
    });
    const missing = await raw("GetSecretValue", JSON.stringify({}));
    assert.deepEqual(JSON.parse(missing.body), {
      __type: "ValidationException",
      message: "1 validation error detected: Value null at 'secretId' failed to satisfy constraint: Member must not be null",
    });
    assert.deepEqual((await client.send(new sm.ListSecretsCommand({}))).SecretList, []);

    await client.send(new sm.CreateSecretCommand({ Name: "dup", SecretString: "a", ClientRequestToken: T1 }));
    // The same request again (same token, same value) is a retry: it succeeds with what it made.
    const retry = await client.send(new sm.CreateSecretCommand({ Name: "dup", SecretString: "a", ClientRequestToken: T1 }));
    assert.equal(retry.VersionId, T1);
    await expectError(client.send(new sm.CreateSecretCommand({ Name: "dup", SecretString: "b", ClientRequestToken: T2 })), "ResourceExistsException", "The operation failed because the secret dup already exists.");
  });

  test("delete with a recovery window, errors while scheduled, restore, force delete, name reuse gets a new ARN", async () => {
    const { client, clock, domain } = setup();
    const { ARN } = await client.send(new sm.CreateSecretCommand({ Name: "app", SecretString: "v1", ClientRequestToken: T1 }));
    await expectError(client.send(new sm.DeleteSecretCommand({ SecretId: "app", RecoveryWindowInDays: 6 })), "InvalidParameterException", "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).");
    await expectError(
      client.send(new sm.DeleteSecretCommand({ SecretId: "app", RecoveryWindowInDays: 7, ForceDeleteWithoutRecovery: true })),
      "InvalidParameterException",
      "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.",
    );
    const del = await client.send(new sm.DeleteSecretCommand({ SecretId: "app", RecoveryWindowInDays: 7 }));
    assert.equal(del.ARN, ARN);
    assert.deepEqual(del.DeletionDate, new Date(clock.now() + 7 * DAY));
    const marked = "You can't perform this operation on the secret because it was marked for deletion.";
    await expectError(client.send(new sm.GetSecretValueCommand({ SecretId: "app" })), "InvalidRequestException", marked);
    await expectError(client.send(new sm.PutSecretValueCommand({ SecretId: "app", SecretString: "v2" })), "InvalidRequestException", marked);
    await expectError(client.send(new sm.UpdateSecretCommand({ SecretId: "app", Description: "x" })), "InvalidRequestException", marked);
    await expectError(client.send(new sm.TagResourceCommand({ SecretId: "app", Tags: [{ Key: "a", Value: "b" }] })), "InvalidRequestException", marked);
    await expectError(client.send(new sm.DeleteSecretCommand({ SecretId: "app" })), "InvalidRequestException", "You tried to perform the operation on a secret that's currently marked deleted.");
    await expectError(
      client.send(new sm.CreateSecretCommand({ Name: "app", SecretString: "x" })),
      "InvalidRequestException",
      "You can't create this secret because a secret with this name is already scheduled for deletion.",
    );
    assert.deepEqual((await client.send(new sm.DescribeSecretCommand({ SecretId: "app" }))).DeletedDate, del.DeletionDate);
    assert.deepEqual((await client.send(new sm.ListSecretsCommand({}))).SecretList, []);
    assert.equal((await client.send(new sm.ListSecretsCommand({ IncludePlannedDeletion: true }))).SecretList!.length, 1);

    assert.deepEqual(await client.send(new sm.RestoreSecretCommand({ SecretId: "app" })).then((r) => [r.ARN, r.Name]), [ARN, "app"]);
    assert.equal(await value(client, { SecretId: "app" }), "v1", "nothing was lost");

    await client.send(new sm.DeleteSecretCommand({ SecretId: "app", RecoveryWindowInDays: 7 }));
    clock.advance(7 * DAY);
    await expectError(client.send(new sm.DescribeSecretCommand({ SecretId: "app" })), "ResourceNotFoundException");
    assert.equal(domain.purgeDeleted(), 0, "already gone");
    const again = await client.send(new sm.CreateSecretCommand({ Name: "app", SecretString: "v9", ClientRequestToken: T2 }));
    assert.notEqual(again.ARN, ARN, "a new secret with the same name gets a new suffix");
    await expectError(client.send(new sm.GetSecretValueCommand({ SecretId: ARN })), "ResourceNotFoundException");

    await client.send(new sm.DeleteSecretCommand({ SecretId: "app", ForceDeleteWithoutRecovery: true }));
    await expectError(client.send(new sm.DescribeSecretCommand({ SecretId: "app" })), "ResourceNotFoundException");
    // Forced deletion of a secret that does not exist succeeds.
    await client.send(new sm.DeleteSecretCommand({ SecretId: "never-was", ForceDeleteWithoutRecovery: true }));
    await expectError(client.send(new sm.DeleteSecretCommand({ SecretId: "never-was" })), "ResourceNotFoundException");
  });

  test("ListSecrets: filters (prefix, negation, case rules), sorting, paging, bad token", async () => {
    const { client, clock } = setup();
    for (const [name, desc, tag] of [
      ["prod/db", "Database password", "team-a"],
      ["prod/api", "API key", "team-b"],
      ["dev/db", "database for dev", "team-a"],
    ] as const) {
      await client.send(new sm.CreateSecretCommand({ Name: name, Description: desc, Tags: [{ Key: "team", Value: tag }] }));
      clock.advance(1000);
    }
    const names = (r: sm.ListSecretsResponse) => r.SecretList!.map((s) => s.Name);
    assert.deepEqual(names(await client.send(new sm.ListSecretsCommand({}))), ["prod/db", "prod/api", "dev/db"]);
    assert.deepEqual(names(await client.send(new sm.ListSecretsCommand({ SortBy: "name" }))), ["dev/db", "prod/api", "prod/db"]);
    assert.deepEqual(names(await client.send(new sm.ListSecretsCommand({ SortOrder: "desc" }))), ["dev/db", "prod/api", "prod/db"]);
    assert.deepEqual(names(await client.send(new sm.ListSecretsCommand({ Filters: [{ Key: "name", Values: ["prod/"] }] }))), ["prod/db", "prod/api"]);
    assert.deepEqual(names(await client.send(new sm.ListSecretsCommand({ Filters: [{ Key: "name", Values: ["Prod/"] }] }))), [], "name is case-sensitive");
    assert.deepEqual(names(await client.send(new sm.ListSecretsCommand({ Filters: [{ Key: "description", Values: ["DATABASE"] }] }))), ["prod/db", "dev/db"]);
    assert.deepEqual(names(await client.send(new sm.ListSecretsCommand({ Filters: [{ Key: "name", Values: ["!prod/"] }] }))), ["dev/db"]);
    assert.deepEqual(
      names(await client.send(new sm.ListSecretsCommand({ Filters: [{ Key: "tag-value", Values: ["team-a"] }, { Key: "name", Values: ["prod"] }] }))),
      ["prod/db"],
    );
    assert.deepEqual(names(await client.send(new sm.ListSecretsCommand({ Filters: [{ Key: "all", Values: ["api"] }] }))), ["prod/api"]);
    const page1 = await client.send(new sm.ListSecretsCommand({ MaxResults: 2 }));
    assert.equal(page1.SecretList!.length, 2);
    const page2 = await client.send(new sm.ListSecretsCommand({ MaxResults: 2, NextToken: page1.NextToken }));
    assert.deepEqual(names(page2), ["dev/db"]);
    assert.equal(page2.NextToken, undefined);
    await expectError(client.send(new sm.ListSecretsCommand({ NextToken: "bogus" })), "InvalidNextTokenException");
    await expectError(client.send(new sm.ListSecretsCommand({ MaxResults: 101 })), "ValidationException", /maxResults/);
    await expectError(client.send(new sm.ListSecretsCommand({ Filters: [{ Key: "colour" as sm.FilterNameStringType, Values: ["x"] }] })), "ValidationException", /filters\.1\.member\.key/);
    const entry = (await client.send(new sm.ListSecretsCommand({ Filters: [{ Key: "name", Values: ["prod/db"] }] }))).SecretList![0]!;
    assert.deepEqual(entry.Tags, [{ Key: "team", Value: "team-a" }]);
  });
});

describe("Secrets Manager versions and labels", () => {
  test("PutSecretValue moves AWSCURRENT and AWSPREVIOUS; idempotent token; custom labels move; deprecated versions", async () => {
    const { client } = setup();
    await client.send(new sm.CreateSecretCommand({ Name: "s", SecretString: "v1", ClientRequestToken: T1 }));
    const put = await client.send(new sm.PutSecretValueCommand({ SecretId: "s", SecretString: "v2", ClientRequestToken: T2 }));
    assert.equal(put.VersionId, T2);
    assert.deepEqual(put.VersionStages, ["AWSCURRENT"]);
    assert.equal(await value(client, { SecretId: "s" }), "v2");
    assert.equal(await value(client, { SecretId: "s", VersionStage: "AWSPREVIOUS" }), "v1");
    assert.equal(await value(client, { SecretId: "s", VersionId: T1 }), "v1");
    assert.deepEqual((await client.send(new sm.DescribeSecretCommand({ SecretId: "s" }))).VersionIdsToStages, { [T1]: ["AWSPREVIOUS"], [T2]: ["AWSCURRENT"] });

    // Same token, same value: a no-op that answers the version's present labels.
    assert.deepEqual((await client.send(new sm.PutSecretValueCommand({ SecretId: "s", SecretString: "v2", ClientRequestToken: T2 }))).VersionStages, ["AWSCURRENT"]);
    await expectError(
      client.send(new sm.PutSecretValueCommand({ SecretId: "s", SecretString: "other", ClientRequestToken: T2 })),
      "ResourceExistsException",
      /You can't use ClientRequestToken 2{32} because that value is already in use for a version of secret arn:aws:secretsmanager:/,
    );

    // A version staged only as AWSPENDING does not become current.
    await client.send(new sm.PutSecretValueCommand({ SecretId: "s", SecretString: "v3", ClientRequestToken: T3, VersionStages: ["AWSPENDING"] }));
    assert.equal(await value(client, { SecretId: "s" }), "v2");
    assert.equal(await value(client, { SecretId: "s", VersionStage: "AWSPENDING" }), "v3");
    await expectError(client.send(new sm.GetSecretValueCommand({ SecretId: "s", VersionId: T1, VersionStage: "AWSCURRENT" })), "InvalidRequestException", "You provided a VersionStage that is not associated to the provided VersionId.");
    await expectError(client.send(new sm.GetSecretValueCommand({ SecretId: "s", VersionStage: "NOPE" })), "ResourceNotFoundException", "Secrets Manager can't find the specified secret value for staging label: NOPE");
    const unknown = "9".repeat(32);
    await expectError(client.send(new sm.GetSecretValueCommand({ SecretId: "s", VersionId: unknown })), "ResourceNotFoundException", `Secrets Manager can't find the specified secret value for VersionId: ${unknown}`);
    await expectError(client.send(new sm.GetSecretValueCommand({ SecretId: "s", VersionId: "short" })), "ValidationException", /versionId/);
    await expectError(client.send(new sm.PutSecretValueCommand({ SecretId: "s", ClientRequestToken: "4".repeat(32) })), "InvalidRequestException", "You must provide either SecretString or SecretBinary.");

    // Moving AWSCURRENT needs its present holder named; the old holder becomes AWSPREVIOUS.
    await expectError(
      client.send(new sm.UpdateSecretVersionStageCommand({ SecretId: "s", VersionStage: "AWSCURRENT", MoveToVersionId: T3 })),
      "InvalidParameterException",
      `The parameter RemoveFromVersionId can't be empty. Staging label AWSCURRENT is currently attached to version ${T2}, so you must explicitly reference that version in RemoveFromVersionId.`,
    );
    const moved = await client.send(new sm.UpdateSecretVersionStageCommand({ SecretId: "s", VersionStage: "AWSCURRENT", MoveToVersionId: T3, RemoveFromVersionId: T2 }));
    assert.deepEqual(Object.keys(moved).filter((k) => k !== "$metadata").sort(), ["ARN", "Name"]);
    assert.deepEqual((await client.send(new sm.DescribeSecretCommand({ SecretId: "s" }))).VersionIdsToStages, {
      [T2]: ["AWSPREVIOUS"],
      [T3]: ["AWSCURRENT", "AWSPENDING"],
    });
    await expectError(
      client.send(new sm.UpdateSecretVersionStageCommand({ SecretId: "s", VersionStage: "AWSCURRENT", RemoveFromVersionId: T3 })),
      "InvalidParameterException",
      "You can only move staging label AWSCURRENT to a different secret version. It can’t be completely removed.",
    );
    await client.send(new sm.UpdateSecretVersionStageCommand({ SecretId: "s", VersionStage: "AWSPENDING", RemoveFromVersionId: T3 }));

    // T1 lost every label: deprecated, listed only with IncludeDeprecated (no VersionStages key), still readable by id.
    const listed = await client.send(new sm.ListSecretVersionIdsCommand({ SecretId: "s" }));
    assert.deepEqual(listed.Versions!.map((v) => v.VersionId), [T2, T3]);
    assert.deepEqual(listed.Versions![0]!.KmsKeyIds, ["DefaultEncryptionKey"]);
    const all = await client.send(new sm.ListSecretVersionIdsCommand({ SecretId: "s", IncludeDeprecated: true }));
    const t1 = all.Versions!.find((v) => v.VersionId === T1)!;
    assert.ok(!("VersionStages" in t1));
    assert.equal(await value(client, { SecretId: "s", VersionId: T1 }), "v1");
  });

  test("custom labels move with their version; binary values; UpdateSecret with a value; BatchGetSecretValue", async () => {
    const { client } = setup();
    await client.send(new sm.CreateSecretCommand({ Name: "b", SecretBinary: new Uint8Array([0, 1, 2, 255]), ClientRequestToken: T1 }));
    const got = await client.send(new sm.GetSecretValueCommand({ SecretId: "b" }));
    assert.deepEqual(got.SecretBinary, new Uint8Array([0, 1, 2, 255]));
    assert.equal(got.SecretString, undefined);
    await client.send(new sm.PutSecretValueCommand({ SecretId: "b", SecretString: "x", ClientRequestToken: T2, VersionStages: ["one", "two"] }));
    await client.send(new sm.PutSecretValueCommand({ SecretId: "b", SecretString: "y", ClientRequestToken: T3, VersionStages: ["one", "two", "three"] }));
    assert.deepEqual((await client.send(new sm.DescribeSecretCommand({ SecretId: "b" }))).VersionIdsToStages, {
      [T1]: ["AWSCURRENT"],
      [T3]: ["one", "three", "two"],
    });
    const upd = await client.send(new sm.UpdateSecretCommand({ SecretId: "b", SecretString: "z", ClientRequestToken: "5".repeat(32), Description: "now text" }));
    assert.equal(upd.VersionId, "5".repeat(32));
    assert.equal(await value(client, { SecretId: "b" }), "z");
    const meta = await client.send(new sm.UpdateSecretCommand({ SecretId: "b", Description: "meta only" }));
    assert.equal(meta.VersionId, undefined, "a metadata-only update makes no version");

    await client.send(new sm.CreateSecretCommand({ Name: "c", SecretString: "cv" }));
    const batch = await client.send(new sm.BatchGetSecretValueCommand({ SecretIdList: ["b", "c", "missing"] }));
    assert.deepEqual(batch.SecretValues!.map((v) => [v.Name, v.SecretString]), [["b", "z"], ["c", "cv"]]);
    assert.deepEqual(batch.Errors, [{ SecretId: "missing", ErrorCode: "ResourceNotFoundException", Message: "Secrets Manager can't find the specified secret." }]);
    const byFilter = await client.send(new sm.BatchGetSecretValueCommand({ Filters: [{ Key: "name", Values: ["c"] }], MaxResults: 5 }));
    assert.deepEqual(byFilter.SecretValues!.map((v) => v.Name), ["c"]);
    await expectError(client.send(new sm.BatchGetSecretValueCommand({})), "InvalidParameterException");
    await expectError(
      client.send(new sm.BatchGetSecretValueCommand({ SecretIdList: ["b"], MaxResults: 3 })),
      "InvalidParameterException",
      "'Filters' not specified. 'Filters' must also be specified when 'MaxResults' is provided.",
    );
  });
});

describe("Secrets Manager encryption", () => {
  test("a customer key: KmsKeyId echoed, disabled key fails reads with DecryptionFailure and writes with EncryptionFailure, re-encrypt on key change", async () => {
    const { client, kms: k } = setup();
    const key = (await k.send(new kms.CreateKeyCommand({}))).KeyMetadata!;
    await k.send(new kms.CreateAliasCommand({ AliasName: "alias/app", TargetKeyId: key.KeyId }));
    await client.send(new sm.CreateSecretCommand({ Name: "k", SecretString: "under-cmk", KmsKeyId: "alias/app", ClientRequestToken: T1 }));
    assert.equal((await client.send(new sm.DescribeSecretCommand({ SecretId: "k" }))).KmsKeyId, "alias/app");
    assert.deepEqual((await client.send(new sm.ListSecretVersionIdsCommand({ SecretId: "k" }))).Versions![0]!.KmsKeyIds, ["alias/app"]);

    await k.send(new kms.DisableKeyCommand({ KeyId: key.KeyId }));
    await expectError(client.send(new sm.GetSecretValueCommand({ SecretId: "k" })), "DecryptionFailure", "Secrets Manager can't decrypt the protected secret text using the provided KMS key.");
    await expectError(client.send(new sm.PutSecretValueCommand({ SecretId: "k", SecretString: "x", ClientRequestToken: T2 })), "EncryptionFailure", /can't encrypt the protected secret text/);
    await k.send(new kms.EnableKeyCommand({ KeyId: key.KeyId }));
    assert.equal(await value(client, { SecretId: "k" }), "under-cmk");

    // A key scheduled for deletion (a key "in use") makes reads fail; cancelling gives everything back.
    await k.send(new kms.ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 7 }));
    await expectError(client.send(new sm.GetSecretValueCommand({ SecretId: "k" })), "DecryptionFailure");
    await k.send(new kms.CancelKeyDeletionCommand({ KeyId: key.KeyId }));
    await k.send(new kms.EnableKeyCommand({ KeyId: key.KeyId }));
    assert.equal(await value(client, { SecretId: "k" }), "under-cmk");

    // Switching to the default key re-encrypts the current value: it survives disabling the old key.
    await client.send(new sm.UpdateSecretCommand({ SecretId: "k", KmsKeyId: "" }));
    assert.equal((await client.send(new sm.DescribeSecretCommand({ SecretId: "k" }))).KmsKeyId, undefined);
    await k.send(new kms.DisableKeyCommand({ KeyId: key.KeyId }));
    assert.equal(await value(client, { SecretId: "k" }), "under-cmk");
    const managed = (await k.send(new kms.DescribeKeyCommand({ KeyId: "alias/aws/secretsmanager" }))).KeyMetadata!;
    assert.equal(managed.KeyManager, "AWS");
    await expectError(client.send(new sm.CreateSecretCommand({ Name: "k2", SecretString: "x", KmsKeyId: key.Arn })), "EncryptionFailure");
    await expectError(client.send(new sm.DescribeSecretCommand({ SecretId: "k2" })), "ResourceNotFoundException", "Secrets Manager can't find the specified secret.");
  });

  test("no plaintext in the database file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "slipway-sm-"));
    try {
      const { client, store } = setup(join(dir, "db.sqlite"));
      const plaintext = "PLAINTEXT-CANARY-7f3e9a";
      await client.send(new sm.CreateSecretCommand({ Name: "canary", SecretString: plaintext, ClientRequestToken: T1 }));
      await client.send(new sm.PutSecretValueCommand({ SecretId: "canary", SecretString: `${plaintext}-2`, ClientRequestToken: T2 }));
      assert.equal(await value(client, { SecretId: "canary" }), `${plaintext}-2`);
      store.db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
      for (const f of readdirSync(dir)) assert.ok(!readFileSync(join(dir, f)).includes(plaintext), `${f} holds the plaintext`);
      store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("Secrets Manager other operations", () => {
  test("resource policies, tags, random passwords, rotation refused", async () => {
    const { client } = setup();
    await client.send(new sm.CreateSecretCommand({ Name: "p", SecretString: "x" }));
    assert.equal((await client.send(new sm.GetResourcePolicyCommand({ SecretId: "p" }))).ResourcePolicy, undefined);
    const policy = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: "arn:aws:iam::000000000000:root" }, Action: "secretsmanager:*", Resource: "*" }] });
    await client.send(new sm.PutResourcePolicyCommand({ SecretId: "p", ResourcePolicy: policy }));
    assert.equal((await client.send(new sm.GetResourcePolicyCommand({ SecretId: "p" }))).ResourcePolicy, policy);
    await expectError(client.send(new sm.PutResourcePolicyCommand({ SecretId: "p", ResourcePolicy: "{nope" })), "MalformedPolicyDocumentException");
    const open = JSON.stringify({ Statement: [{ Effect: "Allow", Principal: "*", Action: "secretsmanager:GetSecretValue", Resource: "*" }] });
    await expectError(client.send(new sm.PutResourcePolicyCommand({ SecretId: "p", ResourcePolicy: open, BlockPublicPolicy: true })), "PublicPolicyException");
    const v = await client.send(new sm.ValidateResourcePolicyCommand({ ResourcePolicy: open }));
    assert.equal(v.PolicyValidationPassed, false);
    assert.equal(v.ValidationErrors![0]!.CheckName, "PUBLIC_ACCESS_CHECK");
    assert.equal((await client.send(new sm.ValidateResourcePolicyCommand({ ResourcePolicy: policy }))).PolicyValidationPassed, true);
    await client.send(new sm.DeleteResourcePolicyCommand({ SecretId: "p" }));
    await client.send(new sm.DeleteResourcePolicyCommand({ SecretId: "p" }));
    assert.equal((await client.send(new sm.GetResourcePolicyCommand({ SecretId: "p" }))).ResourcePolicy, undefined);

    await client.send(new sm.TagResourceCommand({ SecretId: "p", Tags: [{ Key: "a", Value: "1" }, { Key: "b", Value: "2" }] }));
    await client.send(new sm.UntagResourceCommand({ SecretId: "p", TagKeys: ["a"] }));
    assert.deepEqual((await client.send(new sm.DescribeSecretCommand({ SecretId: "p" }))).Tags, [{ Key: "b", Value: "2" }]);
    await expectError(client.send(new sm.TagResourceCommand({ SecretId: "p", Tags: Array.from({ length: 50 }, (_, i) => ({ Key: `k${i}`, Value: "" })) })), "LimitExceededException");

    const pw = (await client.send(new sm.GetRandomPasswordCommand({}))).RandomPassword!;
    assert.equal(pw.length, 32);
    assert.match(pw, /[a-z]/);
    assert.match(pw, /[A-Z]/);
    assert.match(pw, /[0-9]/);
    const digits = (await client.send(new sm.GetRandomPasswordCommand({ PasswordLength: 12, ExcludeLowercase: true, ExcludeUppercase: true, ExcludePunctuation: true }))).RandomPassword!;
    assert.match(digits, /^[0-9]{12}$/);
    await expectError(client.send(new sm.GetRandomPasswordCommand({ PasswordLength: 2 })), "InvalidParameterException", "Password length is too short based on the required types.");
    await expectError(client.send(new sm.GetRandomPasswordCommand({ PasswordLength: 5000 })), "ValidationException", /passwordLength/);

    await expectError(client.send(new sm.RotateSecretCommand({ SecretId: "p" })), "InvalidRequestException", "No Lambda rotation function ARN is associated with this secret.");
    await expectError(
      client.send(new sm.RotateSecretCommand({ SecretId: "p", RotationLambdaARN: "arn:aws:lambda:us-east-1:000000000000:function:rot" })),
      "InvalidRequestException",
      /Slipway does not run Lambda functions/,
    );
    assert.deepEqual((await client.send(new sm.ListSecretVersionIdsCommand({ SecretId: "p" }))).Versions!.length, 1, "rotation made no version");
    await expectError(client.send(new sm.ReplicateSecretToRegionsCommand({ SecretId: "p", AddReplicaRegions: [{ Region: "eu-west-1" }] })), "NotImplemented", /ReplicateSecretToRegions/, 501);
  });
});
