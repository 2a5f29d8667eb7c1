/**
 * Every ECR operation through the real ECRClient against startSlipway on FakeRuntime. Image
 * content is pushed through the registry's own HTTP API (/v2/) with fetch.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import * as ecr from "@aws-sdk/client-ecr";
import * as kmsSdk from "@aws-sdk/client-kms";
import { ManualClock } from "../../src/core/clock.ts";
import { seededIds } from "../../src/core/ids.ts";
import { TOKEN_TTL_MS } from "../../src/registry/auth.ts";
import { FakeRuntime } from "../../src/runtime/fake-runtime.ts";
import { startSlipway, type Slipway } from "../../src/server/slipway.ts";
import { expectError } from "../helpers/errors.ts";

const ACCOUNT = "000000000000";
const REGION = "us-east-1";
const DAY = 86_400_000;
const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const OCI_CONFIG = "application/vnd.oci.image.config.v1+json";

let s: Slipway;
let client: ecr.ECRClient;
let kmsClient: kmsSdk.KMSClient;
let dir: string;
let clock: ManualClock;

const sha = (b: Buffer) => `sha256:${createHash("sha256").update(b).digest("hex")}`;


async function pushBlob(repo: string, content: Buffer): Promise<{ digest: string; size: number }> {
  const digest = sha(content);
  const r = await fetch(`${s.url}/v2/${repo}/blobs/uploads/?digest=${digest}`, { method: "POST", body: content, headers: { "content-type": "application/octet-stream" } });
  assert.equal(r.status, 201, await r.text());
  return { digest, size: content.length };
}

/** An OCI image with one config and the given layers; returns the manifest text and digest. */
async function imageManifest(repo: string, layers: string[], push = true): Promise<{ manifest: string; digest: string; size: number }> {
  const blobs = layers.map((l) => Buffer.from(l));
  const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: blobs.map(sha) } }));
  const descs = [];
  if (push) await pushBlob(repo, config);
  for (const b of blobs) {
    if (push) await pushBlob(repo, b);
    descs.push({ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: sha(b), size: b.length });
  }
  const manifest = JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: OCI_CONFIG, digest: sha(config), size: config.length }, layers: descs });
  return { manifest, digest: sha(Buffer.from(manifest)), size: blobs.reduce((n, b) => n + b.length, 0) };
}

async function pushImage(repo: string, tag: string, layers: string[]): Promise<{ digest: string; manifest: string; size: number }> {
  const m = await imageManifest(repo, layers);
  const r = await fetch(`${s.url}/v2/${repo}/manifests/${tag}`, { method: "PUT", body: m.manifest, headers: { "content-type": OCI_MANIFEST } });
  assert.equal(r.status, 201, await r.text());
  return m;
}

before(async () => {
  clock = new ManualClock();
  dir = mkdtempSync(join(tmpdir(), "slipway-ecr-api-"));
  s = await startSlipway({ port: 0, dataDir: dir, runtime: new FakeRuntime({ clock }), clock, ids: seededIds("ecr"), log: () => {} });
  client = new ecr.ECRClient({ region: REGION, endpoint: s.url, credentials: { accessKeyId: "test", secretAccessKey: "test" }, maxAttempts: 1 });
  kmsClient = new kmsSdk.KMSClient({ region: REGION, endpoint: s.url, credentials: { accessKeyId: "test", secretAccessKey: "test" }, maxAttempts: 1 });
});

after(async () => {
  client.destroy();
  kmsClient.destroy();
  await s.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("ECR API through ECRClient", () => {
  test("repositories: Create (defaults, settings, tags), errors, Describe with pagination, DescribeRegistry", async () => {
    const c = await client.send(new ecr.CreateRepositoryCommand({ repositoryName: "team/app", tags: [{ Key: "team", Value: "core" }] }));
    const r = c.repository!;
    assert.equal(r.repositoryArn, `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/team/app`);
    assert.equal(r.registryId, ACCOUNT);
    assert.equal(r.repositoryUri, `localhost:${s.port}/team/app`);
    assert.equal(r.imageTagMutability, "MUTABLE");
    assert.deepEqual(r.imageScanningConfiguration, { scanOnPush: false });
    assert.deepEqual(r.encryptionConfiguration, { encryptionType: "AES256" });
    assert.ok(r.createdAt instanceof Date && r.createdAt.getTime() === clock.now());

    const kms = await client.send(
      new ecr.CreateRepositoryCommand({
        repositoryName: "kms-app",
        imageTagMutability: "IMMUTABLE",
        imageScanningConfiguration: { scanOnPush: true },
        encryptionConfiguration: { encryptionType: "KMS" },
      }),
    );
    // No key named: the AWS managed key aws/ecr, created on first use, is the repository's key.
    const managed = await kmsClient.send(new kmsSdk.DescribeKeyCommand({ KeyId: "alias/aws/ecr" }));
    assert.equal(managed.KeyMetadata?.KeyManager, "AWS");
    assert.deepEqual(kms.repository?.encryptionConfiguration, { encryptionType: "KMS", kmsKey: managed.KeyMetadata?.Arn }, "aws/ecr's ARN, not an invented one");
    assert.equal(kms.repository?.imageTagMutability, "IMMUTABLE");
    assert.deepEqual(kms.repository?.imageScanningConfiguration, { scanOnPush: true });
    const customer = (await kmsClient.send(new kmsSdk.CreateKeyCommand({}))).KeyMetadata!;
    const withKey = await client.send(
      new ecr.CreateRepositoryCommand({ repositoryName: "kms-key", encryptionConfiguration: { encryptionType: "KMS", kmsKey: customer.Arn } }),
    );
    assert.equal(withKey.repository?.encryptionConfiguration?.kmsKey, customer.Arn);
    // A key KMS does not have is refused with KMS's message and code, and no repository is made.
    await expectError(
      client.send(
        new ecr.CreateRepositoryCommand({ repositoryName: "kms-missing", encryptionConfiguration: { encryptionType: "KMS", kmsKey: "arn:aws:kms:us-east-1:000000000000:key/k1" } }),
      ),
      "KmsException",
      "Invalid keyId 'arn:aws:kms:us-east-1:000000000000:key/k1'",
    );
    await expectError(client.send(new ecr.DescribeRepositoriesCommand({ repositoryNames: ["kms-missing"] })), "RepositoryNotFoundException");
    const excl = await client.send(
      new ecr.CreateRepositoryCommand({
        repositoryName: "excl",
        imageTagMutability: "IMMUTABLE_WITH_EXCLUSION",
        imageTagMutabilityExclusionFilters: [{ filterType: "WILDCARD", filter: "latest" }],
      }),
    );
    assert.deepEqual(excl.repository?.imageTagMutabilityExclusionFilters, [{ filterType: "WILDCARD", filter: "latest" }]);

    await expectError(
      client.send(new ecr.CreateRepositoryCommand({ repositoryName: "team/app" })),
      "RepositoryAlreadyExistsException",
      `The repository with name 'team/app' already exists in the registry with id '${ACCOUNT}'`,
    );
    for (const bad of ["Team", "a", "-x", "a//b", "x_"]) {
      await expectError(client.send(new ecr.CreateRepositoryCommand({ repositoryName: bad })), "InvalidParameterException", /repositoryName/);
    }

    const all = await client.send(new ecr.DescribeRepositoriesCommand({}));
    assert.deepEqual(all.repositories?.map((x) => x.repositoryName), ["excl", "kms-app", "kms-key", "team/app"]);
    const p1 = await client.send(new ecr.DescribeRepositoriesCommand({ maxResults: 3 }));
    assert.equal(p1.repositories?.length, 3);
    const p2 = await client.send(new ecr.DescribeRepositoriesCommand({ maxResults: 3, nextToken: p1.nextToken! }));
    assert.deepEqual(p2.repositories?.map((x) => x.repositoryName), ["team/app"]);
    assert.equal(p2.nextToken, undefined);
    const one = await client.send(new ecr.DescribeRepositoriesCommand({ repositoryNames: ["kms-app"], registryId: ACCOUNT }));
    assert.equal(one.repositories?.[0]?.repositoryUri, `localhost:${s.port}/kms-app`);
    await expectError(
      client.send(new ecr.DescribeRepositoriesCommand({ repositoryNames: ["nope"] })),
      "RepositoryNotFoundException",
      `The repository with name 'nope' does not exist in the registry with id '${ACCOUNT}'`,
    );

    const reg = await client.send(new ecr.DescribeRegistryCommand({}));
    assert.equal(reg.registryId, ACCOUNT);
    assert.deepEqual(reg.replicationConfiguration, { rules: [] });
  });

  test("tags: Tag/Untag/ListTagsForResource", async () => {
    const arn = `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/team/app`;
    assert.deepEqual((await client.send(new ecr.ListTagsForResourceCommand({ resourceArn: arn }))).tags, [{ Key: "team", Value: "core" }]);
    await client.send(new ecr.TagResourceCommand({ resourceArn: arn, tags: [{ Key: "env", Value: "dev" }, { Key: "team", Value: "web" }] }));
    assert.deepEqual((await client.send(new ecr.ListTagsForResourceCommand({ resourceArn: arn }))).tags, [
      { Key: "team", Value: "web" },
      { Key: "env", Value: "dev" },
    ]);
    await client.send(new ecr.UntagResourceCommand({ resourceArn: arn, tagKeys: ["team"] }));
    assert.deepEqual((await client.send(new ecr.ListTagsForResourceCommand({ resourceArn: arn }))).tags, [{ Key: "env", Value: "dev" }]);
    await expectError(client.send(new ecr.ListTagsForResourceCommand({ resourceArn: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/nope` })), "RepositoryNotFoundException");
    await expectError(client.send(new ecr.ListTagsForResourceCommand({ resourceArn: "arn:aws:ecs:us-east-1:000000000000:cluster/x" })), "InvalidParameterException");
  });

  let v1 = { digest: "", manifest: "", size: 0 };
  let v2 = { digest: "", manifest: "", size: 0 };

  test("images: ListImages, DescribeImages, BatchGetImage after a push through /v2/", async () => {
    v1 = await pushImage("team/app", "v1", ["layer-a", "layer-b"]);
    clock.advance(1000);
    v2 = await pushImage("team/app", "v2", ["layer-c"]);
    clock.advance(1000);
    // v1 also tagged latest; then an untagged image (pushed by digest).
    await fetch(`${s.url}/v2/team/app/manifests/latest`, { method: "PUT", body: v1.manifest, headers: { "content-type": OCI_MANIFEST } });
    const u = await imageManifest("team/app", ["layer-u"]);
    assert.equal((await fetch(`${s.url}/v2/team/app/manifests/${u.digest}`, { method: "PUT", body: u.manifest, headers: { "content-type": OCI_MANIFEST } })).status, 201);

    const list = await client.send(new ecr.ListImagesCommand({ repositoryName: "team/app" }));
    assert.deepEqual(
      list.imageIds?.map((i) => `${i.imageTag ?? "-"}@${i.imageDigest}`).sort(),
      [`latest@${v1.digest}`, `v1@${v1.digest}`, `v2@${v2.digest}`, `-@${u.digest}`].sort(),
    );
    const untagged = await client.send(new ecr.ListImagesCommand({ repositoryName: "team/app", filter: { tagStatus: "UNTAGGED" } }));
    assert.deepEqual(untagged.imageIds, [{ imageDigest: u.digest }]);
    const page = await client.send(new ecr.ListImagesCommand({ repositoryName: "team/app", maxResults: 2 }));
    assert.equal(page.imageIds?.length, 2);
    const rest = await client.send(new ecr.ListImagesCommand({ repositoryName: "team/app", maxResults: 2, nextToken: page.nextToken! }));
    assert.equal(rest.imageIds?.length, 2);
    assert.equal(rest.nextToken, undefined);

    const d = await client.send(new ecr.DescribeImagesCommand({ repositoryName: "team/app", imageIds: [{ imageTag: "v1" }] }));
    const det = d.imageDetails![0]!;
    assert.equal(det.imageDigest, v1.digest);
    assert.deepEqual(det.imageTags, ["latest", "v1"]);
    assert.equal(det.imageSizeInBytes, v1.size);
    assert.equal(det.imageManifestMediaType, OCI_MANIFEST);
    assert.equal(det.artifactMediaType, OCI_CONFIG);
    assert.equal(det.registryId, ACCOUNT);
    assert.equal(det.repositoryName, "team/app");
    assert.equal(det.imagePushedAt?.getTime(), Date.UTC(2026, 0, 1));
    const tagged = await client.send(new ecr.DescribeImagesCommand({ repositoryName: "team/app", filter: { tagStatus: "TAGGED" } }));
    assert.deepEqual(tagged.imageDetails?.map((x) => x.imageDigest), [v1.digest, v2.digest]);
    await expectError(
      client.send(new ecr.DescribeImagesCommand({ repositoryName: "team/app", imageIds: [{ imageTag: "nope" }] })),
      "ImageNotFoundException",
      `The image with imageId {imageTag:'nope'} does not exist within the repository with name 'team/app' in the registry with id '${ACCOUNT}'`,
    );
    await expectError(client.send(new ecr.DescribeImagesCommand({ repositoryName: "nope" })), "RepositoryNotFoundException");

    const g = await client.send(
      new ecr.BatchGetImageCommand({
        repositoryName: "team/app",
        imageIds: [{ imageTag: "v2" }, { imageDigest: v1.digest }, { imageTag: "nope" }, { imageTag: "v2", imageDigest: v1.digest }, {}],
      }),
    );
    assert.equal(g.images?.length, 2);
    assert.equal(g.images?.[0]?.imageManifest, v2.manifest);
    assert.equal(g.images?.[0]?.imageManifestMediaType, OCI_MANIFEST);
    assert.deepEqual(g.images?.[0]?.imageId, { imageDigest: v2.digest, imageTag: "v2" });
    assert.deepEqual(g.failures?.map((f) => f.failureCode), ["ImageNotFound", "ImageTagDoesNotMatchDigest", "MissingDigestAndTag"]);
  });

  test("PutImage: retag, ImageAlreadyExists, LayersNotFound, immutable tags, digest mismatch", async () => {
    const put = await client.send(new ecr.PutImageCommand({ repositoryName: "team/app", imageManifest: v2.manifest, imageTag: "stable" }));
    assert.deepEqual(put.image?.imageId, { imageDigest: v2.digest, imageTag: "stable" });
    assert.equal(put.image?.imageManifestMediaType, OCI_MANIFEST);
    await expectError(
      client.send(new ecr.PutImageCommand({ repositoryName: "team/app", imageManifest: v2.manifest, imageTag: "stable" })),
      "ImageAlreadyExistsException",
      `Image with digest '${v2.digest}' and tag 'stable' already exists in the repository with name 'team/app' in registry with id '${ACCOUNT}'`,
    );
    const missing = await imageManifest("team/app", ["never-pushed"], false);
    await expectError(client.send(new ecr.PutImageCommand({ repositoryName: "team/app", imageManifest: missing.manifest, imageTag: "x" })), "LayersNotFoundException");
    await expectError(
      client.send(new ecr.PutImageCommand({ repositoryName: "team/app", imageManifest: v2.manifest, imageTag: "y", imageDigest: v1.digest })),
      "ImageDigestDoesNotMatchException",
    );
    await expectError(client.send(new ecr.PutImageCommand({ repositoryName: "team/app", imageManifest: "{not json", imageTag: "y" })), "InvalidParameterException");

    // IMMUTABLE: the first push of a tag works, moving it fails and changes nothing.
    const a = await pushImage("kms-app", "v1", ["imm-a"]);
    const b = await imageManifest("kms-app", ["imm-b"]);
    await expectError(
      client.send(new ecr.PutImageCommand({ repositoryName: "kms-app", imageManifest: b.manifest, imageTag: "v1" })),
      "ImageTagAlreadyExistsException",
      "The image tag 'v1' already exists in the 'kms-app' repository and cannot be overwritten because the repository is immutable.",
    );
    const still = await client.send(new ecr.DescribeImagesCommand({ repositoryName: "kms-app", imageIds: [{ imageTag: "v1" }] }));
    assert.equal(still.imageDetails?.[0]?.imageDigest, a.digest);
    // IMMUTABLE_WITH_EXCLUSION: `latest` may move, others may not.
    await pushImage("excl", "latest", ["e1"]);
    await pushImage("excl", "v1", ["e1"]);
    const e2 = await imageManifest("excl", ["e2"]);
    await client.send(new ecr.PutImageCommand({ repositoryName: "excl", imageManifest: e2.manifest, imageTag: "latest" }));
    await expectError(client.send(new ecr.PutImageCommand({ repositoryName: "excl", imageManifest: e2.manifest, imageTag: "v1" })), "ImageTagAlreadyExistsException");
  });

  test("GetAuthorizationToken: AWS:<token> valid for 12 h at the proxy endpoint", async () => {
    const t = await client.send(new ecr.GetAuthorizationTokenCommand({}));
    const d = t.authorizationData![0]!;
    assert.equal(d.proxyEndpoint, `http://localhost:${s.port}`);
    assert.equal(d.expiresAt?.getTime(), clock.now() + TOKEN_TTL_MS);
    const [user, password] = Buffer.from(d.authorizationToken!, "base64").toString("utf8").split(":");
    assert.equal(user, "AWS");
    assert.deepEqual(s.registry.auth.verifyToken(password!, clock.now()), { accountId: ACCOUNT, region: REGION, expiresAt: clock.now() + TOKEN_TTL_MS });
    // The token works as registry credentials.
    const r = await fetch(`${s.url}/v2/team/app/tags/list`, { headers: { authorization: `Basic ${d.authorizationToken}` } });
    assert.equal(r.status, 200);
  });

  test("layers: BatchCheckLayerAvailability, GetDownloadUrlForLayer, Initiate/UploadLayerPart/CompleteLayerUpload", async () => {
    const layerA = sha(Buffer.from("layer-a"));
    const chk = await client.send(new ecr.BatchCheckLayerAvailabilityCommand({ repositoryName: "team/app", layerDigests: [layerA, sha(Buffer.from("zzz")), "bad"] }));
    assert.deepEqual(chk.layers, [{ layerDigest: layerA, layerAvailability: "AVAILABLE", layerSize: 7 }]);
    assert.deepEqual(chk.failures?.map((f) => f.failureCode), ["MissingLayerDigest", "InvalidLayerDigest"]);
    const url = await client.send(new ecr.GetDownloadUrlForLayerCommand({ repositoryName: "team/app", layerDigest: layerA }));
    assert.equal(url.downloadUrl, `http://localhost:${s.port}/v2/team/app/blobs/${layerA}`);
    assert.equal(await (await fetch(`${s.url}/v2/team/app/blobs/${layerA}`)).text(), "layer-a");
    await expectError(client.send(new ecr.GetDownloadUrlForLayerCommand({ repositoryName: "team/app", layerDigest: sha(Buffer.from("zzz")) })), "LayersNotFoundException");

    const content = Buffer.from("uploaded-through-the-ecr-api");
    const init = await client.send(new ecr.InitiateLayerUploadCommand({ repositoryName: "team/app" }));
    assert.ok(init.uploadId && init.partSize);
    const p1 = await client.send(
      new ecr.UploadLayerPartCommand({ repositoryName: "team/app", uploadId: init.uploadId, partFirstByte: 0, partLastByte: 9, layerPartBlob: content.subarray(0, 10) }),
    );
    assert.equal(p1.lastByteReceived, 9);
    const p2 = await client.send(
      new ecr.UploadLayerPartCommand({ repositoryName: "team/app", uploadId: init.uploadId, partFirstByte: 10, partLastByte: content.length - 1, layerPartBlob: content.subarray(10) }),
    );
    assert.equal(p2.lastByteReceived, content.length - 1);
    const done = await client.send(new ecr.CompleteLayerUploadCommand({ repositoryName: "team/app", uploadId: init.uploadId, layerDigests: [sha(content)] }));
    assert.equal(done.layerDigest, sha(content));
    assert.equal(await (await fetch(`${s.url}/v2/team/app/blobs/${sha(content)}`)).text(), content.toString());
    await expectError(
      client.send(new ecr.UploadLayerPartCommand({ repositoryName: "team/app", uploadId: "nope", partFirstByte: 0, partLastByte: 0, layerPartBlob: Buffer.from("x") })),
      "UploadNotFoundException",
    );
  });

  test("settings: PutImageTagMutability, PutImageScanningConfiguration, repository policies, scan findings", async () => {
    const m = await client.send(new ecr.PutImageTagMutabilityCommand({ repositoryName: "team/app", imageTagMutability: "IMMUTABLE" }));
    assert.equal(m.imageTagMutability, "IMMUTABLE");
    const other = await imageManifest("team/app", ["layer-c", "more"]);
    await expectError(client.send(new ecr.PutImageCommand({ repositoryName: "team/app", imageManifest: other.manifest, imageTag: "v2" })), "ImageTagAlreadyExistsException");
    await client.send(new ecr.PutImageTagMutabilityCommand({ repositoryName: "team/app", imageTagMutability: "MUTABLE" }));
    const desc = await client.send(new ecr.DescribeRepositoriesCommand({ repositoryNames: ["team/app"] }));
    assert.equal(desc.repositories?.[0]?.imageTagMutability, "MUTABLE");

    await expectError(
      client.send(new ecr.DescribeImageScanFindingsCommand({ repositoryName: "team/app", imageId: { imageTag: "v1" } })),
      "ScanNotFoundException",
    );
    const sc = await client.send(new ecr.PutImageScanningConfigurationCommand({ repositoryName: "team/app", imageScanningConfiguration: { scanOnPush: true } }));
    assert.deepEqual(sc.imageScanningConfiguration, { scanOnPush: true });
    const f = await client.send(new ecr.DescribeImageScanFindingsCommand({ repositoryName: "team/app", imageId: { imageTag: "v1" } }));
    assert.equal(f.imageScanStatus?.status, "FAILED");
    assert.match(f.imageScanStatus?.description ?? "", /not available in Slipway/);
    assert.equal(f.imageScanFindings, undefined, "findings are never invented");
    await client.send(new ecr.PutImageScanningConfigurationCommand({ repositoryName: "team/app", imageScanningConfiguration: { scanOnPush: false } }));

    await expectError(
      client.send(new ecr.GetRepositoryPolicyCommand({ repositoryName: "team/app" })),
      "RepositoryPolicyNotFoundException",
      `Repository policy does not exist for the repository with name 'team/app' in the registry with id '${ACCOUNT}'`,
    );
    const policyText = JSON.stringify({ Version: "2012-10-17", Statement: [{ Sid: "pull", Effect: "Allow", Principal: "*", Action: ["ecr:BatchGetImage"] }] });
    const set = await client.send(new ecr.SetRepositoryPolicyCommand({ repositoryName: "team/app", policyText }));
    assert.equal(set.policyText, policyText);
    assert.equal((await client.send(new ecr.GetRepositoryPolicyCommand({ repositoryName: "team/app" }))).policyText, policyText);
    assert.equal((await client.send(new ecr.DeleteRepositoryPolicyCommand({ repositoryName: "team/app" }))).policyText, policyText);
    await expectError(client.send(new ecr.DeleteRepositoryPolicyCommand({ repositoryName: "team/app" })), "RepositoryPolicyNotFoundException");
    await expectError(client.send(new ecr.SetRepositoryPolicyCommand({ repositoryName: "team/app", policyText: "{" })), "InvalidParameterException");
  });

  test("lifecycle: Put/Get/Delete, validation, preview, and the hourly run on the injected clock", async () => {
    await client.send(new ecr.CreateRepositoryCommand({ repositoryName: "life" }));
    await expectError(
      client.send(new ecr.GetLifecyclePolicyCommand({ repositoryName: "life" })),
      "LifecyclePolicyNotFoundException",
      `Lifecycle policy does not exist for the repository with name 'life' in the registry with id '${ACCOUNT}'`,
    );
    await expectError(client.send(new ecr.PutLifecyclePolicyCommand({ repositoryName: "life", lifecyclePolicyText: JSON.stringify({ rules: [{ rulePriority: 1 }] }) })), "InvalidParameterException");
    const text = JSON.stringify({
      rules: [
        { rulePriority: 1, description: "untagged after 7 days", selection: { tagStatus: "untagged", countType: "sinceImagePushed", countUnit: "days", countNumber: 7 }, action: { type: "expire" } },
        { rulePriority: 2, description: "keep 2 release-", selection: { tagStatus: "tagged", tagPrefixList: ["release-"], countType: "imageCountMoreThan", countNumber: 2 }, action: { type: "expire" } },
      ],
    });
    const digests: string[] = [];
    for (let i = 0; i < 4; i++) {
      digests.push((await pushImage("life", `release-${i}`, [`rel-${i}`])).digest);
      clock.advance(1000);
    }
    const u = await imageManifest("life", ["untagged-old"]);
    await fetch(`${s.url}/v2/life/manifests/${u.digest}`, { method: "PUT", body: u.manifest, headers: { "content-type": OCI_MANIFEST } });
    clock.advance(8 * DAY);

    const put = await client.send(new ecr.PutLifecyclePolicyCommand({ repositoryName: "life", lifecyclePolicyText: text }));
    assert.equal(put.lifecyclePolicyText, text);
    const got = await client.send(new ecr.GetLifecyclePolicyCommand({ repositoryName: "life" }));
    assert.equal(got.lifecyclePolicyText, text);
    assert.equal(got.lastEvaluatedAt, undefined);

    await expectError(client.send(new ecr.GetLifecyclePolicyPreviewCommand({ repositoryName: "life" })), "LifecyclePolicyPreviewNotFoundException");
    const start = await client.send(new ecr.StartLifecyclePolicyPreviewCommand({ repositoryName: "life" }));
    assert.equal(start.status, "COMPLETE");
    const prev = await client.send(new ecr.GetLifecyclePolicyPreviewCommand({ repositoryName: "life" }));
    assert.equal(prev.status, "COMPLETE");
    assert.deepEqual(prev.summary, { expiringImageTotalCount: 3 });
    assert.deepEqual(
      prev.previewResults?.map((r) => [r.imageTags, r.imageDigest, r.action?.type, r.appliedRulePriority]),
      [
        [["release-0"], digests[0], "EXPIRE", 2],
        [["release-1"], digests[1], "EXPIRE", 2],
        [[], u.digest, "EXPIRE", 1],
      ],
    );
    assert.ok(prev.previewResults?.every((r) => r.imagePushedAt instanceof Date));
    // The preview changes nothing.
    assert.equal((await client.send(new ecr.ListImagesCommand({ repositoryName: "life" }))).imageIds?.length, 5);

    // The hourly run: wait on the condition, not a fixed time.
    clock.advance(3600_000);
    for (let i = 0; i < 1000; i++) {
      if ((await client.send(new ecr.GetLifecyclePolicyCommand({ repositoryName: "life" }))).lastEvaluatedAt) break;
      await new Promise((r) => setImmediate(r));
    }
    const after = await client.send(new ecr.GetLifecyclePolicyCommand({ repositoryName: "life" }));
    assert.equal(after.lastEvaluatedAt?.getTime(), clock.now());
    const left = await client.send(new ecr.ListImagesCommand({ repositoryName: "life" }));
    assert.deepEqual(left.imageIds?.map((i) => i.imageTag).sort(), ["release-2", "release-3"]);

    const del = await client.send(new ecr.DeleteLifecyclePolicyCommand({ repositoryName: "life" }));
    assert.equal(del.lifecyclePolicyText, text);
    await expectError(client.send(new ecr.DeleteLifecyclePolicyCommand({ repositoryName: "life" })), "LifecyclePolicyNotFoundException");
  });

  test("BatchDeleteImage by tag and by digest; failures", async () => {
    // By tag: v1 also carries `latest`, so only the tag goes.
    const byTag = await client.send(new ecr.BatchDeleteImageCommand({ repositoryName: "team/app", imageIds: [{ imageTag: "latest" }, { imageTag: "gone" }] }));
    assert.deepEqual(byTag.imageIds, [{ imageDigest: v1.digest, imageTag: "latest" }]);
    assert.deepEqual(byTag.failures, [{ imageId: { imageTag: "gone" }, failureCode: "ImageNotFound", failureReason: "Requested image not found" }]);
    const still = await client.send(new ecr.DescribeImagesCommand({ repositoryName: "team/app", imageIds: [{ imageDigest: v1.digest }] }));
    assert.deepEqual(still.imageDetails?.[0]?.imageTags, ["v1"]);
    // By digest: the image and all its tags (v2 and stable).
    const byDigest = await client.send(new ecr.BatchDeleteImageCommand({ repositoryName: "team/app", imageIds: [{ imageDigest: v2.digest }] }));
    assert.deepEqual(byDigest.imageIds, [
      { imageDigest: v2.digest, imageTag: "stable" },
      { imageDigest: v2.digest, imageTag: "v2" },
    ]);
    // Removing an image's last tag deletes the image.
    await client.send(new ecr.BatchDeleteImageCommand({ repositoryName: "team/app", imageIds: [{ imageTag: "v1" }] }));
    await expectError(client.send(new ecr.DescribeImagesCommand({ repositoryName: "team/app", imageIds: [{ imageDigest: v1.digest }] })), "ImageNotFoundException");
    assert.equal((await fetch(`${s.url}/v2/team/app/manifests/v2`)).status, 404);
  });

  test("DeleteRepository: RepositoryNotEmpty without force; force with registryId; not found", async () => {
    await expectError(
      client.send(new ecr.DeleteRepositoryCommand({ repositoryName: "kms-app" })),
      "RepositoryNotEmptyException",
      `The repository with name 'kms-app' in registry with id '${ACCOUNT}' cannot be deleted because it still contains images`,
    );
    const d = await client.send(new ecr.DeleteRepositoryCommand({ repositoryName: "kms-app", force: true, registryId: ACCOUNT }));
    assert.equal(d.repository?.repositoryName, "kms-app");
    await expectError(client.send(new ecr.DescribeRepositoriesCommand({ repositoryNames: ["kms-app"] })), "RepositoryNotFoundException");
    await expectError(client.send(new ecr.DeleteRepositoryCommand({ repositoryName: "kms-app" })), "RepositoryNotFoundException");
    const empty = await client.send(new ecr.DeleteRepositoryCommand({ repositoryName: "kms-key" }));
    assert.equal(empty.repository?.repositoryName, "kms-key");
    assert.equal((await fetch(`${s.url}/v2/kms-app/tags/list`)).status, 404);
  });
});
