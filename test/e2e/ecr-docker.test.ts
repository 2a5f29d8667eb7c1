/**
 * End-to-end: ECR with the real Docker CLI and AWS CLI against a `slipway up` child process.
 * create-repository → get-login-password | docker login → docker push (multi-layer) → pull back by
 * tag and digest → describe-images → IMMUTABLE refusals (docker push and put-image) → an ECS
 * service running the pushed image from its ECR-style URI → push a new image to the same tag and
 * force a new deployment → the new digest runs → a missing tag fails with CannotPullContainerError
 * → batch-delete-image. Skipped (with the reason) without Docker or the AWS CLI.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { dockerAvailable, ensureTestImages, TEST_IMAGES } from "../helpers/docker.ts";
import {
  AWS_ENV,
  aws,
  awsCliAvailable,
  cleanDataDir,
  docker,
  httpGet,
  instanceIdOf,
  jsonFileArg,
  managedContainers,
  pollUntil,
  type SlipwayProcess,
  startSlipwayProcess,
  tempDataDir,
} from "../helpers/slipway-process.ts";

const run = promisify(execFile);
const skip = (await dockerAvailable()) ?? (await awsCliAvailable());
if (skip) console.log(`# skipping ECR Docker e2e: ${skip}`);

const SUFFIX = `${process.pid}-${Date.now().toString(36)}`;
const REPO = `e2e/web-${SUFFIX}`;
const IMM = `e2e/imm-${SUFFIX}`;
const CLUSTER = `e2e-ecr-${SUFFIX}`;
const ACCOUNT = "000000000000";

describe("ECR with Docker and the AWS CLI", { skip }, () => {
  let slipway: SlipwayProcess | undefined;
  let dataDir = "";
  let dockerConfig = "";
  let url = "";
  let host = "";
  let instanceId = "";
  const localRefs = new Set<string>();

  const ecr = <T = any>(...args: string[]) => aws<T>(url, ["ecr", ...args]);
  const ecs = <T = any>(...args: string[]) => aws<T>(url, ["ecs", ...args]);
  /** docker with this suite's own DOCKER_CONFIG (the login is not written to the user's config). */
  const dk = async (args: string[]) => (await run("docker", args, { env: { ...process.env, DOCKER_CONFIG: dockerConfig }, maxBuffer: 16 * 1024 * 1024 })).stdout;
  const tagAndPush = async (source: string, ref: string) => {
    localRefs.add(ref);
    await dk(["tag", source, ref]);
    return dk(["push", ref]);
  };
  const describeImage = async (repo: string, tag: string) =>
    (await ecr<{ imageDetails: any[] }>("describe-images", "--repository-name", repo, "--image-ids", `imageTag=${tag}`)).imageDetails[0];

  before(async () => {
    await ensureTestImages();
    dataDir = tempDataDir("slipway-e2e-ecr-");
    dockerConfig = mkdtempSync(join(tmpdir(), "slipway-e2e-docker-config-"));
    slipway = await startSlipwayProcess({ dataDir });
    url = slipway.url;
    host = `localhost:${slipway.port}`;
    instanceId = instanceIdOf(dataDir);
  });

  after(async () => {
    await slipway?.kill("SIGTERM");
    if (dataDir) await cleanDataDir(dataDir);
    // Our tags only (the underlying test images stay): what we pushed and what tasks pulled.
    const port = slipway?.port;
    if (port) {
      const all = (await docker(["images", "--format", "{{.Repository}}:{{.Tag}}"]).catch(() => "")).split("\n");
      for (const r of all) if (r.startsWith(`localhost:${port}/`) || r.startsWith(`127.0.0.1:${port}/`)) localRefs.add(r);
      const digests = (await docker(["images", "--digests", "--format", "{{.Repository}}@{{.Digest}}"]).catch(() => "")).split("\n");
      for (const r of digests) if ((r.startsWith(`localhost:${port}/`) || r.startsWith(`127.0.0.1:${port}/`)) && !r.endsWith("@<none>")) localRefs.add(r);
    }
    for (const ref of localRefs) await docker(["rmi", ref]).catch(() => "");
    if (dockerConfig) rmSync(dockerConfig, { recursive: true, force: true });
  });

  let v1Digest = "";
  let v2Digest = "";

  test("create-repository, get-login-password | docker login, docker push, pull back, describe-images", async () => {
    const created = await ecr<{ repository: any }>("create-repository", "--repository-name", REPO, "--image-scanning-configuration", "scanOnPush=true");
    assert.equal(created.repository.repositoryUri, `${host}/${REPO}`);
    await ecr("create-repository", "--repository-name", IMM, "--image-tag-mutability", "IMMUTABLE");

    const login = await run("sh", ["-c", `aws ecr get-login-password --endpoint-url ${url} | docker login --username AWS --password-stdin ${host}`], {
      env: { ...process.env, ...AWS_ENV, DOCKER_CONFIG: dockerConfig },
    });
    assert.match(login.stdout, /Login Succeeded/);

    await tagAndPush(TEST_IMAGES.web, `${host}/${REPO}:latest`);
    const d = await describeImage(REPO, "latest");
    v1Digest = d.imageDigest;
    assert.match(v1Digest, /^sha256:[a-f0-9]{64}$/);
    assert.deepEqual(d.imageTags, ["latest"]);
    assert.ok(d.imageSizeInBytes > 0);
    assert.equal(d.imageManifestMediaType, "application/vnd.docker.distribution.manifest.v2+json");
    const listed = await ecr<{ imageIds: any[] }>("list-images", "--repository-name", REPO);
    assert.deepEqual(listed.imageIds, [{ imageDigest: v1Digest, imageTag: "latest" }]);
    // A multi-layer image: every layer is in the repository.
    const got = await ecr<{ images: any[] }>("batch-get-image", "--repository-name", REPO, "--image-ids", "imageTag=latest");
    const manifest = JSON.parse(got.images[0].imageManifest);
    assert.ok(manifest.layers.length > 1, `expected several layers, got ${manifest.layers.length}`);
    assert.equal(d.imageSizeInBytes, manifest.layers.reduce((n: number, l: any) => n + l.size, 0));

    // Pull it back, by tag and by digest.
    await dk(["rmi", `${host}/${REPO}:latest`]);
    await dk(["pull", `${host}/${REPO}:latest`]);
    const byDigest = `${host}/${REPO}@${v1Digest}`;
    localRefs.add(byDigest);
    await dk(["pull", byDigest]);
    const repoDigests = JSON.parse(await dk(["image", "inspect", "--format", "{{json .RepoDigests}}", `${host}/${REPO}:latest`])) as string[];
    assert.ok(repoDigests.includes(byDigest), repoDigests.join(", "));
  });

  test("IMMUTABLE: a second push of the same tag is refused by docker push and put-image, changing nothing", async () => {
    await tagAndPush(TEST_IMAGES.web, `${host}/${IMM}:v1`);
    const before = await describeImage(IMM, "v1");
    await assert.rejects(tagAndPush(TEST_IMAGES.webV2, `${host}/${IMM}:v1`), /immutable|tag invalid|TAG_INVALID/i);
    // put-image with the v2 manifest (its layers were uploaded by the refused push).
    await tagAndPush(TEST_IMAGES.webV2, `${host}/${REPO}:v2`);
    const v2 = await ecr<{ images: any[] }>("batch-get-image", "--repository-name", REPO, "--image-ids", "imageTag=v2");
    v2Digest = v2.images[0].imageId.imageDigest;
    await assert.rejects(
      ecr("put-image", "--repository-name", IMM, "--image-tag", "v1", "--image-manifest", v2.images[0].imageManifest),
      /ImageTagAlreadyExistsException/,
    );
    const after = await describeImage(IMM, "v1");
    assert.equal(after.imageDigest, before.imageDigest);
    assert.deepEqual((await ecr<{ imageIds: any[] }>("list-images", "--repository-name", IMM)).imageIds, [{ imageDigest: before.imageDigest, imageTag: "v1" }]);
  });

  test("ECS runs the pushed image from its ECR URI; a new push + force-new-deployment runs the new digest", async () => {
    const image = `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/${REPO}:latest`;
    await ecs("create-cluster", "--cluster-name", CLUSTER);
    const td = await ecs<{ taskDefinition: any }>(
      "register-task-definition",
      "--cli-input-json",
      jsonFileArg(dataDir, "td.json", {
        family: `ecr-web-${SUFFIX}`,
        networkMode: "bridge",
        requiresCompatibilities: ["EC2"],
        containerDefinitions: [{ name: "web", image, essential: true, memory: 64, stopTimeout: 2, portMappings: [{ containerPort: 8080, hostPort: 0, protocol: "tcp" }] }],
      }),
    );
    await ecs(
      "create-service", "--cluster", CLUSTER, "--service-name", "web", "--task-definition", td.taskDefinition.taskDefinitionArn, "--desired-count", "1",
      "--deployment-configuration", "minimumHealthyPercent=0,maximumPercent=100",
    );

    const runningWith = (digest: string) =>
      pollUntil(
        async () => {
          const { taskArns } = await ecs<{ taskArns: string[] }>("list-tasks", "--cluster", CLUSTER, "--service-name", "web", "--desired-status", "RUNNING");
          if (taskArns.length !== 1) return undefined;
          const { tasks } = await ecs<{ tasks: any[] }>("describe-tasks", "--cluster", CLUSTER, "--tasks", ...taskArns);
          const t = tasks[0];
          if (t.lastStatus !== "RUNNING" || t.containers[0].imageDigest !== digest) return undefined;
          const b = t.containers[0].networkBindings.find((x: any) => x.containerPort === 8080);
          const res = await httpGet(`http://127.0.0.1:${b.hostPort}/`);
          return res.status === 200 ? { task: t, body: res.body } : undefined;
        },
        { timeoutMs: 120_000, what: `the service running ${digest}` },
      );

    const first = await runningWith(v1Digest);
    assert.match(first.body, /version=v1/);
    assert.equal(first.task.containers[0].image, image, "the task reports the task definition's image");

    // Same tag, new image.
    await tagAndPush(TEST_IMAGES.webV2, `${host}/${REPO}:latest`);
    assert.equal((await describeImage(REPO, "latest")).imageDigest, v2Digest);
    await ecs("update-service", "--cluster", CLUSTER, "--service", "web", "--force-new-deployment");
    const second = await runningWith(v2Digest);
    assert.match(second.body, /version=v2/);
    assert.notEqual(second.task.taskArn, first.task.taskArn);
    const containers = (await managedContainers(instanceId, [`label=slipway.cluster=${CLUSTER}`])).filter((c) => c.state === "running");
    assert.equal(containers.length, 1);
  });

  test("a missing tag stops the task with CannotPullContainerError", async () => {
    const td = await ecs<{ taskDefinition: any }>(
      "register-task-definition",
      "--cli-input-json",
      jsonFileArg(dataDir, "missing.json", {
        family: `ecr-missing-${SUFFIX}`,
        networkMode: "bridge",
        containerDefinitions: [{ name: "web", image: `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/${REPO}:no-such-tag`, essential: true, memory: 64 }],
      }),
    );
    const { tasks } = await ecs<{ tasks: any[] }>("run-task", "--cluster", CLUSTER, "--task-definition", td.taskDefinition.taskDefinitionArn);
    const stopped = await pollUntil(
      async () => {
        const t = (await ecs<{ tasks: any[] }>("describe-tasks", "--cluster", CLUSTER, "--tasks", tasks[0].taskArn)).tasks[0];
        return t.lastStatus === "STOPPED" ? t : undefined;
      },
      { timeoutMs: 60_000, what: "the task to stop" },
    );
    assert.equal(stopped.stopCode, "TaskFailedToStart");
    assert.match(stopped.stoppedReason, /^CannotPullContainerError: /);
    assert.match(stopped.containers[0].reason, /^CannotPullContainerError: /);
  });

  test("batch-delete-image by tag and by digest; delete-repository --force", async () => {
    const byTag = await ecr<{ imageIds: any[]; failures: any[] }>("batch-delete-image", "--repository-name", REPO, "--image-ids", "imageTag=v2", "imageTag=nope");
    // v2 was also `latest`: the tag goes, the image stays.
    assert.deepEqual(byTag.imageIds, [{ imageDigest: v2Digest, imageTag: "v2" }]);
    assert.equal(byTag.failures[0].failureCode, "ImageNotFound");
    const byDigest = await ecr<{ imageIds: any[] }>("batch-delete-image", "--repository-name", REPO, "--image-ids", `imageDigest=${v1Digest}`);
    assert.deepEqual(byDigest.imageIds, [{ imageDigest: v1Digest }]);
    assert.deepEqual((await ecr<{ imageIds: any[] }>("list-images", "--repository-name", REPO)).imageIds, [{ imageDigest: v2Digest, imageTag: "latest" }]);
    await assert.rejects(ecr("delete-repository", "--repository-name", IMM), /RepositoryNotEmptyException/);
    await ecr("delete-repository", "--repository-name", IMM, "--force", "--registry-id", ACCOUNT);
    await assert.rejects(ecr("describe-repositories", "--repository-names", IMM), /RepositoryNotFoundException/);
  });
});
