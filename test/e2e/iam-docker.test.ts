/**
 * IAM enforcement of the registry with the real Docker CLI: Slipway (in process, strict SigV4 and
 * so IAM enforcement on) serves ECR; root pushes an image; an IAM user with only
 * AmazonEC2ContainerRegistryReadOnly logs in with its own GetAuthorizationToken, pulls it, and
 * cannot push: docker shows ECR's denial. A repository policy naming the user then lets it push.
 * Skipped (with the reason) without Docker.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import * as ecr from "@aws-sdk/client-ecr";
import * as iam from "@aws-sdk/client-iam";
import { systemClock } from "../../src/core/clock.ts";
import { FakeRuntime } from "../../src/runtime/fake-runtime.ts";
import { type Slipway, startSlipway } from "../../src/server/slipway.ts";
import { dockerAvailable, ensureTestImages, TEST_IMAGES } from "../helpers/docker.ts";

const run = promisify(execFile);
const skip = await dockerAvailable();
if (skip) console.log(`# skipping the registry IAM e2e: ${skip}`);

const ACCOUNT = "000000000000";
const ROOT = { accessKeyId: "AKIDROOTEXAMPLE00003", secretAccessKey: "root-secret-key-for-docker-iam-tests000" };
const REPO = `iam/web-${process.pid}-${Date.now().toString(36)}`;

describe("docker push/pull under IAM enforcement", { skip }, () => {
  let s: Slipway;
  let dir = "";
  let dockerConfig = "";
  const refs = new Set<string>();
  const dk = async (args: string[], input?: string) => {
    const child = run("docker", args, { env: { ...process.env, DOCKER_CONFIG: dockerConfig }, maxBuffer: 16 * 1024 * 1024 });
    if (input !== undefined) {
      child.child.stdin?.end(input);
    }
    return (await child).stdout;
  };
  const login = async (creds: { accessKeyId: string; secretAccessKey: string }) => {
    const client = new ecr.ECRClient({ region: "us-east-1", endpoint: s.url, credentials: creds, maxAttempts: 1 });
    const token = (await client.send(new ecr.GetAuthorizationTokenCommand({}))).authorizationData![0]!.authorizationToken!;
    const password = Buffer.from(token, "base64").toString("utf8").slice("AWS:".length);
    await dk(["login", "--username", "AWS", "--password-stdin", `localhost:${s.port}`], password);
  };

  before(async () => {
    await ensureTestImages();
    dir = mkdtempSync(join(tmpdir(), "slipway-iam-docker-"));
    dockerConfig = mkdtempSync(join(tmpdir(), "slipway-iam-docker-config-"));
    s = await startSlipway({ port: 0, dataDir: dir, runtime: new FakeRuntime({ clock: systemClock }), strictAuth: true, credentials: [{ ...ROOT, accountId: ACCOUNT }], log: () => {} });
  });

  after(async () => {
    for (const r of refs) await run("docker", ["rmi", r]).catch(() => {});
    await s?.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(dockerConfig, { recursive: true, force: true });
  });

  test("a read-only user pulls but cannot push; docker prints ECR's denial", async () => {
    const rootIam = new iam.IAMClient({ region: "us-east-1", endpoint: s.url, credentials: ROOT, maxAttempts: 1 });
    await new ecr.ECRClient({ region: "us-east-1", endpoint: s.url, credentials: ROOT, maxAttempts: 1 }).send(new ecr.CreateRepositoryCommand({ repositoryName: REPO }));
    const image = `localhost:${s.port}/${REPO}`;
    // Root pushes v1.
    await login(ROOT);
    refs.add(`${image}:v1`);
    await dk(["tag", TEST_IMAGES.busybox, `${image}:v1`]);
    await dk(["push", `${image}:v1`]);
    await dk(["rmi", `${image}:v1`]);

    await rootIam.send(new iam.CreateUserCommand({ UserName: "puller" }));
    await rootIam.send(new iam.AttachUserPolicyCommand({ UserName: "puller", PolicyArn: "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly" }));
    const k = (await rootIam.send(new iam.CreateAccessKeyCommand({ UserName: "puller" }))).AccessKey!;
    await login({ accessKeyId: k.AccessKeyId!, secretAccessKey: k.SecretAccessKey! });
    await dk(["pull", `${image}:v1`]);

    refs.add(`${image}:v2`);
    await dk(["tag", TEST_IMAGES.web, `${image}:v2`]);
    await assert.rejects(dk(["push", `${image}:v2`]), (err: { stderr?: string; stdout?: string }) => {
      const out = `${err.stdout ?? ""}${err.stderr ?? ""}`;
      assert.match(
        out,
        new RegExp(
          `denied: User: arn:aws:iam::${ACCOUNT}:user/puller is not authorized to perform: ecr:InitiateLayerUpload on resource: arn:aws:ecr:us-east-1:${ACCOUNT}:repository/${REPO.replace("/", "\\/")} because no identity-based policy allows the ecr:InitiateLayerUpload action`,
        ),
      );
      return true;
    });

    // A repository policy that names the user grants the push on its own.
    await new ecr.ECRClient({ region: "us-east-1", endpoint: s.url, credentials: ROOT, maxAttempts: 1 }).send(
      new ecr.SetRepositoryPolicyCommand({
        repositoryName: REPO,
        policyText: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: { AWS: `arn:aws:iam::${ACCOUNT}:user/puller` },
              Action: ["ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload", "ecr:PutImage", "ecr:BatchCheckLayerAvailability"],
            },
          ],
        }),
      }),
    );
    await dk(["push", `${image}:v2`]);
  });
});
