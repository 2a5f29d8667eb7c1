/**
 * IAM secret access keys and STS session credentials are sealed at rest with the data directory's
 * master key (the KMS master key file): nothing in the data directory holds them in plaintext, they
 * still sign requests in strict mode after a restart, and credentials an older Slipway stored in
 * plaintext are sealed when it starts. Through the real IAM and STS clients.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { after, test } from "node:test";
import * as iam from "@aws-sdk/client-iam";
import * as sts from "@aws-sdk/client-sts";
import { systemClock } from "../../src/core/clock.ts";
import { FakeRuntime } from "../../src/runtime/fake-runtime.ts";
import { startSlipway } from "../../src/server/slipway.ts";

const ACCOUNT = "123456789012";
const ADMIN = { accessKeyId: "AKIDADMINATREST", secretAccessKey: "admin-secret-at-rest" };
const TRUST = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "sts:AssumeRole" }] });
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function start(dataDir: string, logs: string[] = []) {
  const s = await startSlipway({
    port: 0,
    dataDir,
    runtime: new FakeRuntime({ clock: systemClock }),
    strictAuth: true,
    accountId: ACCOUNT,
    credentials: [{ ...ADMIN, accountId: ACCOUNT }],
    log: (m) => logs.push(m),
  });
  const cfg = (credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }) => ({ region: "us-east-1", endpoint: s.url, credentials, maxAttempts: 1 });
  return { s, iam: (c = ADMIN) => new iam.IAMClient(cfg(c)), sts: (c: Parameters<typeof cfg>[0] = ADMIN) => new sts.STSClient(cfg(c)) };
}

/** Every byte of every file under `dir` (database, WAL, keys, registry). */
function everything(dir: string): Buffer {
  const files = readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isFile());
  return Buffer.concat(files.map((e) => readFileSync(join(e.parentPath, e.name))));
}

test("access keys and session credentials never sit in the data directory in plaintext, and still sign after a restart", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "slipway-at-rest-"));
  dirs.push(dataDir);
  let app = await start(dataDir);
  await app.iam().send(new iam.CreateUserCommand({ UserName: "deployer" }));
  const key = (await app.iam().send(new iam.CreateAccessKeyCommand({ UserName: "deployer" }))).AccessKey!;
  const userKey = { accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! };
  const role = (await app.iam().send(new iam.CreateRoleCommand({ RoleName: "deploy", AssumeRolePolicyDocument: TRUST }))).Role!;
  const cr = (await app.sts(userKey).send(new sts.AssumeRoleCommand({ RoleArn: role.Arn, RoleSessionName: "s1" }))).Credentials!;
  const session = { accessKeyId: cr.AccessKeyId!, secretAccessKey: cr.SecretAccessKey!, sessionToken: cr.SessionToken! };
  await app.s.close();

  const bytes = everything(dataDir);
  for (const secret of [userKey.secretAccessKey, session.secretAccessKey, session.sessionToken]) {
    assert.equal(bytes.includes(Buffer.from(secret)), false, "a credential is stored in plaintext");
  }
  // The key ids are not secret and are there; the master key file is owner-only.
  assert.ok(bytes.includes(Buffer.from(userKey.accessKeyId)));

  app = await start(dataDir);
  try {
    assert.equal((await app.sts(userKey).send(new sts.GetCallerIdentityCommand({}))).Arn, `arn:aws:iam::${ACCOUNT}:user/deployer`);
    assert.equal((await app.sts(session).send(new sts.GetCallerIdentityCommand({}))).Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/deploy/s1`);
  } finally {
    await app.s.close();
  }
});

test("credentials an older Slipway stored in plaintext are sealed at start-up and keep working", async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "slipway-at-rest-old-"));
  dirs.push(dataDir);
  let app = await start(dataDir);
  await app.iam().send(new iam.CreateUserCommand({ UserName: "legacy" }));
  const key = (await app.iam().send(new iam.CreateAccessKeyCommand({ UserName: "legacy" }))).AccessKey!;
  await app.s.close();
  // What an older Slipway wrote: the secret as it is.
  const db = new DatabaseSync(join(dataDir, "slipway.db"));
  db.prepare("UPDATE iam_access_keys SET secret = ? WHERE access_key_id = ?").run(key.SecretAccessKey!, key.AccessKeyId!);
  db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  db.close();
  assert.ok(everything(dataDir).includes(Buffer.from(key.SecretAccessKey!)));

  const logs: string[] = [];
  app = await start(dataDir, logs);
  try {
    assert.ok(logs.some((l) => /sealed the credentials of 1 IAM key/.test(l)), logs.join("\n"));
    const me = await app.sts({ accessKeyId: key.AccessKeyId!, secretAccessKey: key.SecretAccessKey! }).send(new sts.GetCallerIdentityCommand({}));
    assert.equal(me.Arn, `arn:aws:iam::${ACCOUNT}:user/legacy`);
  } finally {
    await app.s.close();
  }
  // The sweep compacted the database: the plaintext is gone from its pages and its WAL.
  assert.equal(everything(dataDir).includes(Buffer.from(key.SecretAccessKey!)), false);
});
