/**
 * End-to-end: a real `slipway up` child process driven by the AWS CLI (v1) for KMS, Secrets Manager
 * and SSM Parameter Store: create, read, version, restore and delete, with AWS's errors on each bad
 * path as the CLI prints them. Then: no secret's plaintext anywhere in the data directory, and a
 * kill -9 in the middle of a stream of PutSecretValue calls loses no acknowledged version.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import * as sm from "@aws-sdk/client-secrets-manager";
import { aws, AwsCliError, awsCliAvailable, cleanDataDir, type SlipwayProcess, startSlipwayProcess, tempDataDir } from "../helpers/slipway-process.ts";

const skip = await awsCliAvailable();
if (skip) console.log(`# skipping secrets CLI e2e: ${skip}`);

const CANARY = "CANARY-PLAINTEXT-e2e-4f1c";

/** The CLI's error line for a failed call: "An error occurred (<Code>) when calling the <Op> operation: <message>". */
async function cliError(endpoint: string, args: string[]): Promise<string> {
  try {
    await aws(endpoint, args);
  } catch (err) {
    if (err instanceof AwsCliError) return err.stderr.trim();
    throw err;
  }
  assert.fail(`aws ${args.join(" ")} succeeded`);
}

function allFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? allFiles(p) : [p];
  });
}

describe("secrets, parameters and keys through the AWS CLI", { skip }, () => {
  let dataDir: string;
  let scratch: string;
  let s: SlipwayProcess;

  before(async () => {
    dataDir = tempDataDir("slipway-secrets-");
    scratch = tempDataDir("slipway-secrets-files-");
    s = await startSlipwayProcess({ dataDir });
  });
  after(async () => {
    await s?.kill("SIGTERM");
    await cleanDataDir(dataDir);
    rmSync(scratch, { recursive: true, force: true });
  });

  test("KMS: customer key, alias, encrypt/decrypt, disable, schedule and cancel deletion, errors", async () => {
    const key = (await aws(s.url, ["kms", "create-key", "--description", "e2e"])).KeyMetadata;
    assert.equal(key.KeyState, "Enabled");
    await aws(s.url, ["kms", "create-alias", "--alias-name", "alias/e2e", "--target-key-id", key.KeyId]);
    assert.equal((await aws(s.url, ["kms", "describe-key", "--key-id", "alias/e2e"])).KeyMetadata.Arn, key.Arn);
    const plainFile = join(scratch, "plain.txt");
    writeFileSync(plainFile, "kms plaintext");
    const enc = await aws(s.url, ["kms", "encrypt", "--key-id", "alias/e2e", "--plaintext", `fileb://${plainFile}`]);
    const blobFile = join(scratch, "blob.bin");
    writeFileSync(blobFile, Buffer.from(enc.CiphertextBlob, "base64"));
    assert.equal(Buffer.from((await aws(s.url, ["kms", "decrypt", "--ciphertext-blob", `fileb://${blobFile}`])).Plaintext, "base64").toString(), "kms plaintext");

    await aws(s.url, ["kms", "disable-key", "--key-id", key.KeyId]);
    assert.equal(
      await cliError(s.url, ["kms", "decrypt", "--ciphertext-blob", `fileb://${blobFile}`]),
      `An error occurred (DisabledException) when calling the Decrypt operation: ${key.Arn} is disabled.`,
    );
    await aws(s.url, ["kms", "enable-key", "--key-id", key.KeyId]);
    const sched = await aws(s.url, ["kms", "schedule-key-deletion", "--key-id", key.KeyId, "--pending-window-in-days", "7"]);
    assert.equal(sched.KeyState, "PendingDeletion");
    assert.equal(
      await cliError(s.url, ["kms", "encrypt", "--key-id", key.KeyId, "--plaintext", `fileb://${plainFile}`]),
      `An error occurred (KMSInvalidStateException) when calling the Encrypt operation: ${key.Arn} is pending deletion.`,
    );
    await aws(s.url, ["kms", "cancel-key-deletion", "--key-id", key.KeyId]);
    assert.equal((await aws(s.url, ["kms", "describe-key", "--key-id", key.KeyId])).KeyMetadata.KeyState, "Disabled");
    await aws(s.url, ["kms", "enable-key", "--key-id", key.KeyId]);

    assert.equal(
      await cliError(s.url, ["kms", "describe-key", "--key-id", "11111111-2222-4333-8444-555555555555"]),
      "An error occurred (NotFoundException) when calling the DescribeKey operation: Key 'arn:aws:kms:us-east-1:000000000000:key/11111111-2222-4333-8444-555555555555' does not exist",
    );
    assert.equal(await cliError(s.url, ["kms", "describe-key", "--key-id", "garbage"]), "An error occurred (NotFoundException) when calling the DescribeKey operation: Invalid keyId 'garbage'");
    assert.equal(
      await cliError(s.url, ["kms", "create-alias", "--alias-name", "e2e2", "--target-key-id", key.KeyId]),
      'An error occurred (ValidationException) when calling the CreateAlias operation: Alias must start with the prefix "alias/". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html',
    );
    const aliases = (await aws(s.url, ["kms", "list-aliases"])).Aliases.map((a: { AliasName: string }) => a.AliasName);
    assert.ok(aliases.includes("alias/e2e") && aliases.includes("alias/aws/secretsmanager"));
  });

  test("Secrets Manager: create, read, version, stage, delete, restore, force delete, errors", async () => {
    const created = await aws(s.url, ["secretsmanager", "create-secret", "--name", "e2e/db", "--secret-string", JSON.stringify({ password: CANARY })]);
    assert.match(created.ARN, /:secret:e2e\/db-[A-Za-z0-9]{6}$/);
    const got = await aws(s.url, ["secretsmanager", "get-secret-value", "--secret-id", "e2e/db"]);
    assert.equal(JSON.parse(got.SecretString).password, CANARY);
    const v2 = await aws(s.url, ["secretsmanager", "put-secret-value", "--secret-id", created.ARN, "--secret-string", JSON.stringify({ password: `${CANARY}-2` })]);
    assert.deepEqual(v2.VersionStages, ["AWSCURRENT"]);
    const prev = await aws(s.url, ["secretsmanager", "get-secret-value", "--secret-id", "e2e/db", "--version-stage", "AWSPREVIOUS"]);
    assert.equal(prev.VersionId, created.VersionId);
    const versions = await aws(s.url, ["secretsmanager", "list-secret-version-ids", "--secret-id", "e2e/db"]);
    assert.equal(versions.Versions.length, 2);
    // Roll back: AWSCURRENT back to the first version.
    await aws(s.url, [
      "secretsmanager",
      "update-secret-version-stage",
      "--secret-id",
      "e2e/db",
      "--version-stage",
      "AWSCURRENT",
      "--move-to-version-id",
      created.VersionId,
      "--remove-from-version-id",
      v2.VersionId,
    ]);
    assert.equal(JSON.parse((await aws(s.url, ["secretsmanager", "get-secret-value", "--secret-id", "e2e/db"])).SecretString).password, CANARY);

    assert.equal(
      await cliError(s.url, ["secretsmanager", "create-secret", "--name", "e2e/db", "--secret-string", "x"]),
      "An error occurred (ResourceExistsException) when calling the CreateSecret operation: The operation failed because the secret e2e/db already exists.",
    );
    assert.equal(
      await cliError(s.url, ["secretsmanager", "get-secret-value", "--secret-id", "e2e/missing"]),
      "An error occurred (ResourceNotFoundException) when calling the GetSecretValue operation: Secrets Manager can't find the specified secret.",
    );
    assert.equal(
      await cliError(s.url, ["secretsmanager", "create-secret", "--name", "bad name", "--secret-string", "x"]),
      "An error occurred (ValidationException) when calling the CreateSecret operation: Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!",
    );
    assert.equal(
      await cliError(s.url, ["secretsmanager", "get-secret-value", "--secret-id", "e2e/db", "--version-stage", "NOPE"]),
      "An error occurred (ResourceNotFoundException) when calling the GetSecretValue operation: Secrets Manager can't find the specified secret value for staging label: NOPE",
    );

    const del = await aws(s.url, ["secretsmanager", "delete-secret", "--secret-id", "e2e/db", "--recovery-window-in-days", "7"]);
    assert.ok(del.DeletionDate);
    assert.equal(
      await cliError(s.url, ["secretsmanager", "get-secret-value", "--secret-id", "e2e/db"]),
      "An error occurred (InvalidRequestException) when calling the GetSecretValue operation: You can't perform this operation on the secret because it was marked for deletion.",
    );
    assert.equal(
      await cliError(s.url, ["secretsmanager", "delete-secret", "--secret-id", "e2e/db", "--recovery-window-in-days", "3"]),
      "An error occurred (InvalidParameterException) when calling the DeleteSecret operation: The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).",
    );
    await aws(s.url, ["secretsmanager", "restore-secret", "--secret-id", "e2e/db"]);
    assert.equal(JSON.parse((await aws(s.url, ["secretsmanager", "get-secret-value", "--secret-id", "e2e/db"])).SecretString).password, CANARY);

    await aws(s.url, ["secretsmanager", "create-secret", "--name", "e2e/gone", "--secret-string", "x"]);
    await aws(s.url, ["secretsmanager", "delete-secret", "--secret-id", "e2e/gone", "--force-delete-without-recovery"]);
    assert.match(await cliError(s.url, ["secretsmanager", "describe-secret", "--secret-id", "e2e/gone"]), /\(ResourceNotFoundException\)/);
  });

  test("Parameter Store: SecureString, versions, labels, paths, public parameters, delete, errors", async () => {
    await aws(s.url, ["ssm", "put-parameter", "--name", "/e2e/db/password", "--type", "SecureString", "--value", CANARY]);
    const clear = await aws(s.url, ["ssm", "get-parameter", "--name", "/e2e/db/password", "--with-decryption"]);
    assert.equal(clear.Parameter.Value, CANARY);
    const cipher = await aws(s.url, ["ssm", "get-parameter", "--name", "/e2e/db/password"]);
    assert.notEqual(cipher.Parameter.Value, CANARY);
    assert.equal((await aws(s.url, ["ssm", "put-parameter", "--name", "/e2e/db/password", "--type", "SecureString", "--value", `${CANARY}-2`, "--overwrite"])).Version, 2);
    await aws(s.url, ["ssm", "label-parameter-version", "--name", "/e2e/db/password", "--parameter-version", "1", "--labels", "stable"]);
    assert.equal((await aws(s.url, ["ssm", "get-parameter", "--name", "/e2e/db/password:stable", "--with-decryption"])).Parameter.Value, CANARY);
    const history = await aws(s.url, ["ssm", "get-parameter-history", "--name", "/e2e/db/password"]);
    assert.deepEqual(history.Parameters.map((p: { Version: number }) => p.Version), [1, 2]);
    await aws(s.url, ["ssm", "put-parameter", "--name", "/e2e/url", "--type", "String", "--value", "x-url"]);
    const byPath = await aws(s.url, ["ssm", "get-parameters-by-path", "--path", "/e2e", "--recursive"]);
    assert.deepEqual(byPath.Parameters.map((p: { Name: string }) => p.Name), ["/e2e/db/password", "/e2e/url"]);
    const ami = await aws(s.url, ["ssm", "get-parameter", "--name", "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id"]);
    assert.match(ami.Parameter.Value, /^ami-[0-9a-f]{17}$/);

    assert.equal(
      await cliError(s.url, ["ssm", "put-parameter", "--name", "/e2e/url", "--type", "String", "--value", "y"]),
      "An error occurred (ParameterAlreadyExists) when calling the PutParameter operation: The parameter already exists. To overwrite this value, set the overwrite option in the request to true.",
    );
    assert.equal(
      await cliError(s.url, ["ssm", "get-parameter", "--name", "/e2e/db/password:7"]),
      "An error occurred (ParameterVersionNotFound) when calling the GetParameter operation: Systems Manager could not find version 7 of /e2e/db/password. Verify the version and try again.",
    );
    assert.match(await cliError(s.url, ["ssm", "put-parameter", "--name", "/e2e/{bad}", "--type", "String", "--value", "y"]), /\(ValidationException\) when calling the PutParameter operation: Parameter name: can't be prefixed with "ssm"/);
    await aws(s.url, ["ssm", "delete-parameter", "--name", "/e2e/url"]);
    assert.equal(await cliError(s.url, ["ssm", "get-parameter", "--name", "/e2e/url"]), "An error occurred (ParameterNotFound) when calling the GetParameter operation:");
  });

  test("no plaintext of any secret value or SecureString anywhere in the data directory", async () => {
    const files = allFiles(dataDir);
    assert.ok(files.some((f) => f.endsWith("slipway.db")));
    for (const f of files) {
      const bytes = readFileSync(f);
      assert.ok(!bytes.includes(CANARY), `${f} holds a plaintext value`);
      assert.ok(!bytes.includes("kms plaintext"), `${f} holds KMS plaintext`);
    }
    const mode = statSync(join(dataDir, "kms-master.key")).mode & 0o777;
    assert.equal(mode, 0o600);
  });

  test("kill -9 while PutSecretValue calls stream in loses no acknowledged version", async () => {
    const client = (url: string) =>
      new sm.SecretsManagerClient({ region: "us-east-1", endpoint: url, credentials: { accessKeyId: "test", secretAccessKey: "test" }, maxAttempts: 1 });
    const c = client(s.url);
    await c.send(new sm.CreateSecretCommand({ Name: "e2e/crash", SecretString: "v0" }));
    const acked = new Map<string, string>();
    let stop = false;
    const writer = (async () => {
      for (let i = 1; !stop; i++) {
        try {
          const r = await c.send(new sm.PutSecretValueCommand({ SecretId: "e2e/crash", SecretString: `v${i}` }));
          acked.set(r.VersionId!, `v${i}`);
        } catch {
          return; // the server died mid-call: that one was never acknowledged
        }
      }
    })();
    // Kill once a good number of versions have been acknowledged, with a call in flight.
    while (acked.size < 40) await new Promise((r) => setImmediate(r));
    await s.kill("SIGKILL");
    stop = true;
    await writer;
    c.destroy();
    s = await startSlipwayProcess({ dataDir, port: s.port });
    const c2 = client(s.url);
    try {
      for (const [versionId, v] of acked) {
        const got = await c2.send(new sm.GetSecretValueCommand({ SecretId: "e2e/crash", VersionId: versionId }));
        assert.equal(got.SecretString, v);
      }
      const current = await c2.send(new sm.GetSecretValueCommand({ SecretId: "e2e/crash" }));
      const lastAcked = [...acked.values()].at(-1)!;
      assert.ok(Number(current.SecretString!.slice(1)) >= Number(lastAcked.slice(1)), `AWSCURRENT ${current.SecretString} is older than the last acknowledged ${lastAcked}`);
    } finally {
      c2.destroy();
    }
  });
});
