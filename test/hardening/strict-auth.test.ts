/**
 * Strict SigV4 refuses what AWS refuses, through real clients against a real socket:
 * - dates more than 15 minutes from the server's clock (the SDK with a skewed clock), per protocol;
 * - presigned URLs past their X-Amz-Expires, or asking for more than a week;
 * - UNSIGNED-PAYLOAD or a declared payload hash on API calls: the body's own hash is always the
 *   one verified, so a body changed after signing fails;
 * - X-Amz-Target or Host left out of SignedHeaders (an unsigned target would turn a signed
 *   DescribeClusters into a CreateCluster);
 * - temporary credentials without their session token.
 * And the cost of a refusal: an unauthenticated request is answered from its headers, before its
 * body is read and before any service model loads, so 15 MiB bodies cost no memory.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import * as ec2 from "@aws-sdk/client-ec2";
import * as ecs from "@aws-sdk/client-ecs";
import * as iam from "@aws-sdk/client-iam";
import * as sts from "@aws-sdk/client-sts";
import { Sha256 } from "@smithy/core/checksum";
import { SignatureV4 } from "@smithy/signature-v4";
import { createGateway } from "../../src/aws/gateway.ts";
import { systemClock } from "../../src/core/clock.ts";
import { FakeRuntime } from "../../src/runtime/fake-runtime.ts";
import { type Slipway, startSlipway } from "../../src/server/slipway.ts";
import { echoEcs } from "../aws/echo-services.ts";
import { recordingLogger } from "../aws/fixtures.ts";
import { expectError } from "../helpers/errors.ts";
import { startGatewayServer } from "../helpers/in-process.ts";
import { v8Gc } from "../../src/core/gc.ts";

const REGION = "us-east-1";
const ACCOUNT = "111122223333";
const KEY = { accessKeyId: "AKIDSTRICTTEST", secretAccessKey: "strict-secret-key-for-tests" };
const TARGET = "AmazonEC2ContainerServiceV20141113";
const TRUST = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: "sts:AssumeRole" }] });

let s: Slipway;
let dir: string;
const host = () => `127.0.0.1:${s.port}`;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "slipway-strict-"));
  s = await startSlipway({
    port: 0,
    dataDir: dir,
    runtime: new FakeRuntime({ clock: systemClock }),
    strictAuth: true,
    credentials: [{ ...KEY, accountId: ACCOUNT }],
    log: () => {},
  });
});
after(async () => {
  await s.close();
  rmSync(dir, { recursive: true, force: true });
});

const cfg = (extra: Record<string, unknown> = {}) => ({ region: REGION, endpoint: s.url, credentials: KEY, maxAttempts: 1, ...extra });

function signer(service: string, credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } = KEY): SignatureV4 {
  return new SignatureV4({ credentials, region: REGION, service, sha256: Sha256, applyChecksum: false });
}

/** An ECS JSON call signed by the SDK's signer, with the given options; returns what to send. */
async function signedEcs(operation: string, body: string, opts: { headers?: Record<string, string>; unsignable?: string[]; date?: Date } = {}) {
  const request = {
    method: "POST",
    protocol: "http:",
    hostname: "127.0.0.1",
    port: s.port,
    path: "/",
    query: {},
    headers: { host: host(), "content-type": "application/x-amz-json-1.1", "x-amz-target": `${TARGET}.${operation}`, ...opts.headers },
    body,
  };
  const out = await signer("ecs").sign(request, { signingDate: opts.date ?? new Date(), unsignableHeaders: new Set(opts.unsignable ?? []) });
  return out.headers as Record<string, string>;
}

async function post(headers: Record<string, string>, body: string): Promise<{ status: number; json: { __type: string; message: string } }> {
  const res = await fetch(s.url, { method: "POST", headers, body });
  return { status: res.status, json: (await res.json()) as { __type: string; message: string } };
}

const clusterNames = async () =>
  ((await new ecs.ECSClient(cfg()).send(new ecs.ListClustersCommand({}))).clusterArns ?? []).map((a) => a.split("/").pop());

describe("dates outside AWS's 15-minute window", () => {
  test("awsJson (ECS): InvalidSignatureException, 'Signature expired' or 'Signature not yet current'", async () => {
    const late = new ecs.ECSClient(cfg({ systemClockOffset: -20 * 60_000 }));
    await expectError(late.send(new ecs.ListClustersCommand({})), "InvalidSignatureException", /^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 15 min\.\)$/);
    const early = new ecs.ECSClient(cfg({ systemClockOffset: 20 * 60_000 }));
    await expectError(early.send(new ecs.ListClustersCommand({})), "InvalidSignatureException", /^Signature not yet current: \d{8}T\d{6}Z is still later than \d{8}T\d{6}Z \(\d{8}T\d{6}Z \+ 15 min\.\)$/);
    // Within the window: served.
    await new ecs.ECSClient(cfg({ systemClockOffset: 10 * 60_000 })).send(new ecs.ListClustersCommand({}));
  });

  test("awsQuery (STS): SignatureDoesNotMatch 403; ec2Query: RequestExpired", async () => {
    await expectError(new sts.STSClient(cfg({ systemClockOffset: -3 * 365 * 86_400_000 })).send(new sts.GetCallerIdentityCommand({})), "SignatureDoesNotMatch", /^Signature expired: /, 403);
    await expectError(new ec2.EC2Client(cfg({ systemClockOffset: 16 * 60_000 })).send(new ec2.DescribeVpcsCommand({})), "RequestExpired", "Request has expired.");
    assert.equal((await new sts.STSClient(cfg()).send(new sts.GetCallerIdentityCommand({}))).Account, ACCOUNT);
  });
});

describe("presigned URLs", () => {
  async function presigned(expiresIn: number, signingDate: Date): Promise<string> {
    const out = await signer("sts").presign(
      { method: "GET", protocol: "http:", hostname: "127.0.0.1", port: s.port, path: "/", query: { Action: "GetCallerIdentity", Version: "2011-06-15" }, headers: { host: host() } },
      { expiresIn, signingDate },
    );
    return `${s.url}/?${new URLSearchParams(out.query as Record<string, string>).toString()}`;
  }

  test("valid within X-Amz-Expires, refused after it", async () => {
    const fresh = await fetch(await presigned(300, new Date()));
    assert.equal(fresh.status, 200, await fresh.clone().text());
    assert.match(await fresh.text(), new RegExp(`<Account>${ACCOUNT}</Account>`));
    // Signed 10 minutes ago for 5 minutes: within the 15-minute skew, but past its own expiry.
    const stale = await fetch(await presigned(300, new Date(Date.now() - 10 * 60_000)));
    assert.equal(stale.status, 403);
    const text = await stale.text();
    assert.match(text, /<Code>SignatureDoesNotMatch<\/Code>/);
    assert.match(text, /<Message>Request has expired: it was valid until \d{8}T\d{6}Z \(X-Amz-Date \d{8}T\d{6}Z \+ X-Amz-Expires 300 s\)/);
    // Signed a day ago for two days: still valid (a presigned URL is not bound to the 15 minutes).
    assert.equal((await fetch(await presigned(2 * 86_400, new Date(Date.now() - 86_400_000)))).status, 200);
  });

  test("X-Amz-Expires above a week is refused as an incomplete signature", async () => {
    const url = new URL(await presigned(300, new Date()));
    url.searchParams.set("X-Amz-Expires", "604801");
    const res = await fetch(url);
    assert.equal(res.status, 400);
    assert.match(await res.text(), /<Code>IncompleteSignature<\/Code><Message>X-Amz-Expires must be a number of seconds from 1 to 604800/);
  });
});

describe("the payload hash is the body's own", () => {
  test("UNSIGNED-PAYLOAD on an API call is refused, with or without a changed body", async () => {
    const body = JSON.stringify({ clusterName: "unsigned" });
    const headers = await signedEcs("CreateCluster", body, { headers: { "x-amz-content-sha256": "UNSIGNED-PAYLOAD" } });
    for (const sent of [body, JSON.stringify({ clusterName: "swapped" })]) {
      const r = await post(headers, sent);
      assert.equal(r.status, 400);
      assert.equal(r.json.__type, "InvalidSignatureException");
    }
    assert.deepEqual((await clusterNames()).filter((n) => n === "unsigned" || n === "swapped"), []);
  });

  test("a declared hex hash must be the body's: a body changed after signing fails", async () => {
    const body = JSON.stringify({ clusterName: "hashed" });
    const headers = await signedEcs("CreateCluster", body, { headers: { "x-amz-content-sha256": createHash("sha256").update(body).digest("hex") } });
    const changed = await post(headers, JSON.stringify({ clusterName: "hashex" }));
    assert.equal(changed.json.__type, "InvalidSignatureException");
    const ok = await post(headers, body);
    assert.equal(ok.status, 200, ok.json.message);
    // Without any declared hash (what the SDKs send), the same holds.
    const plain = await signedEcs("CreateCluster", JSON.stringify({ clusterName: "plain" }));
    assert.equal((await post(plain, JSON.stringify({ clusterName: "plaix" }))).json.__type, "InvalidSignatureException");
    assert.ok((await clusterNames()).includes("hashed"));
    assert.ok(!(await clusterNames()).includes("hashex"));
  });
});

describe("headers that must be signed", () => {
  test("an unsigned X-Amz-Target cannot turn DescribeClusters into CreateCluster", async () => {
    const body = JSON.stringify({ clusterName: "hijacked" });
    const headers = await signedEcs("DescribeClusters", body, { unsignable: ["x-amz-target"] });
    assert.ok(!headers["authorization"]?.includes("x-amz-target"));
    const r = await post({ ...headers, "x-amz-target": `${TARGET}.CreateCluster` }, body);
    assert.equal(r.status, 400);
    assert.equal(r.json.__type, "IncompleteSignatureException");
    assert.equal(r.json.message, "'x-amz-target' must be a 'SignedHeader' in the AWS Authorization when the request carries it.");
    assert.ok(!(await clusterNames()).includes("hijacked"));
  });

  test("Host must be signed", async () => {
    const headers = await signedEcs("ListClusters", "{}", { unsignable: ["host"] });
    const r = await post(headers, "{}");
    assert.equal(r.json.__type, "IncompleteSignatureException");
    assert.equal(r.json.message, "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  });
});

test("temporary credentials need their session token", async () => {
  const iamClient = new iam.IAMClient(cfg());
  const role = (await iamClient.send(new iam.CreateRoleCommand({ RoleName: "strict-session", AssumeRolePolicyDocument: TRUST }))).Role!;
  const cr = (await new sts.STSClient(cfg()).send(new sts.AssumeRoleCommand({ RoleArn: role.Arn, RoleSessionName: "s1" }))).Credentials!;
  const temp = { accessKeyId: cr.AccessKeyId!, secretAccessKey: cr.SecretAccessKey! };
  const who = await new sts.STSClient(cfg({ credentials: { ...temp, sessionToken: cr.SessionToken } })).send(new sts.GetCallerIdentityCommand({}));
  assert.equal(who.Arn, `arn:aws:sts::${ACCOUNT}:assumed-role/strict-session/s1`);
  await expectError(new sts.STSClient(cfg({ credentials: temp })).send(new sts.GetCallerIdentityCommand({})), "InvalidClientTokenId", "The security token included in the request is invalid.", 403);
  await expectError(
    new sts.STSClient(cfg({ credentials: { ...temp, sessionToken: `${cr.SessionToken}x` } })).send(new sts.GetCallerIdentityCommand({})),
    "InvalidClientTokenId",
    undefined,
    403,
  );
});

describe("refusing costs nothing", () => {
  /** Sends headers declaring `length` body bytes, then waits for the answer before sending any. */
  function answerBeforeBody(headers: Record<string, string>, length: number): Promise<{ head: string; bodySent: number; closed: boolean }> {
    return new Promise((resolve, reject) => {
      const sock = connect(s.port, "127.0.0.1");
      let text = "";
      let bodySent = 0;
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      sock.on("error", () => {});
      sock.on("connect", () => {
        const lines = Object.entries({ host: host(), "content-length": String(length), ...headers }).map(([k, v]) => `${k}: ${v}`);
        sock.write(`POST / HTTP/1.1\r\n${lines.join("\r\n")}\r\n\r\n`);
      });
      sock.on("data", (d) => {
        text += d.toString("latin1");
        if (!text.includes("\r\n\r\n")) return;
        // The answer came before any body byte; now try to send the body: the server closes.
        const pump = (): void => {
          while (bodySent < length && !sock.destroyed) {
            bodySent += chunk.length;
            if (!sock.write(chunk)) return void sock.once("drain", pump);
          }
        };
        pump();
      });
      sock.on("close", () => resolve({ head: text.slice(0, text.indexOf("\r\n\r\n")), bodySent: Math.min(bodySent, length), closed: true }));
      sock.setTimeout(30_000, () => reject(new Error("no answer")));
    });
  }

  test("an unauthenticated 15 MiB request is answered from its headers and its body is never read", async () => {
    const mib15 = 15 * 1024 * 1024;
    const noAuth = await answerBeforeBody({ "content-type": "application/x-amz-json-1.1", "x-amz-target": `${TARGET}.CreateCluster` }, mib15);
    assert.match(noAuth.head, /^HTTP\/1.1 400 /);
    assert.match(noAuth.head, /x-amzn-errortype: MissingAuthenticationTokenException/i);
    assert.match(noAuth.head, /connection: close/i);
    const unknown = await answerBeforeBody(
      {
        "content-type": "application/x-amz-json-1.1",
        "x-amz-target": `${TARGET}.CreateCluster`,
        "x-amz-date": new Date().toISOString().replace(/\.\d{3}Z$/, "Z").replace(/[-:]/g, ""),
        authorization: `AWS4-HMAC-SHA256 Credential=AKIDNOBODY/20260101/${REGION}/ecs/aws4_request, SignedHeaders=host;x-amz-target, Signature=00`,
      },
      mib15,
    );
    assert.match(unknown.head, /x-amzn-errortype: UnrecognizedClientException/i);
  });

  test("memory does not grow with refused 15 MiB bodies", async () => {
    const gc = v8Gc();
    const mib15 = 15 * 1024 * 1024;
    const used = () => {
      gc();
      const m = process.memoryUsage();
      return m.arrayBuffers + m.heapUsed;
    };
    const headers = { "content-type": "application/x-amz-json-1.1", "x-amz-target": `${TARGET}.CreateCluster` };
    await answerBeforeBody(headers, mib15);
    const base = used();
    for (let i = 0; i < 10; i++) await answerBeforeBody(headers, mib15);
    const grown = used() - base;
    // Holding even one refused body would be 15 MiB; ten of them, 150 MiB.
    assert.ok(grown < 8 * 1024 * 1024, `grew ${(grown / 1048576).toFixed(1)} MiB`);
  });

  test("no service model loads before the signature is checked", async () => {
    let loads = 0;
    const def = echoEcs({ calls: [] });
    const gateway = createGateway({
      services: [
        {
          ...def,
          model: () => {
            loads++;
            return typeof def.model === "function" ? def.model() : def.model;
          },
        },
      ],
      strictAuth: true,
      lookupSecret: (id) => (id === KEY.accessKeyId ? { secretAccessKey: KEY.secretAccessKey, accountId: ACCOUNT } : undefined),
      logger: recordingLogger(),
    });
    const server = await startGatewayServer(gateway);
    try {
      const bad = new ecs.ECSClient({ ...cfg(), endpoint: server.url, credentials: { ...KEY, secretAccessKey: "wrong" } });
      await expectError(bad.send(new ecs.ListClustersCommand({})), "InvalidSignatureException");
      await expectError(new ecs.ECSClient({ ...cfg(), endpoint: server.url, credentials: { accessKeyId: "AKIDNOBODY", secretAccessKey: "x" } }).send(new ecs.ListClustersCommand({})), "UnrecognizedClientException");
      assert.equal(loads, 0);
      await new ecs.ECSClient({ ...cfg(), endpoint: server.url }).send(new ecs.ListClustersCommand({}));
      assert.equal(loads, 1);
    } finally {
      await server.close();
    }
  });
});
