/**
 * The ECR domain: repositories, images, settings and policies over Slipway's OCI registry
 * (src/registry). Repositories and images are the registry's own rows (RegistryMeta); the ECR
 * settings live in the repository's free-form `doc` (see RepoDoc). Knows nothing of HTTP.
 */
import { Readable } from "node:stream";
import type * as ecr from "@aws-sdk/client-ecr";
import { ServiceError } from "../../aws/service-error.ts";
import { arn, parseArn } from "../../core/arn.ts";
import type { Clock } from "../../core/clock.ts";
import { TOKEN_TTL_MS } from "../../registry/auth.ts";
import { RegistryError } from "../../registry/errcodes.ts";
import { deleteManifest, digestOf, pushManifest, resolveManifest } from "../../registry/images.ts";
import { TAG_RE } from "../../registry/manifest.ts";
import type { ImageRecord, RepositoryRecord, Scope } from "../../registry/meta.ts";
import type { Registry } from "../../registry/registry.ts";
import { NAME_RE } from "../../registry/routes.ts";
import { DIGEST_RE } from "../../registry/storage/paths.ts";
import type { Store } from "../../store/store.ts";
import { deleteAllTags, getTags, removeTags, setTags } from "../../store/tags.ts";
import { offsetPage } from "../common/paginate.ts";
import { badNextToken } from "./errors.ts";
import {
  imageNotFound,
  invalidParameter,
  lifecyclePolicyNotFound,
  lifecyclePreviewNotFound,
  repositoryAlreadyExists,
  repositoryNotEmpty,
  repositoryNotFound,
  repositoryPolicyNotFound,
} from "./errors.ts";
import { evaluateLifecyclePolicy, parseLifecyclePolicy } from "./lifecycle.ts";
import { tagIsMutable } from "../../registry/tag-mutability.ts";
import { allRepositories } from "./repo.ts";

export interface EcrDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly registry: Registry;
  /** `localhost:<port>`: where Docker reaches the registry (known after listen). */
  readonly registryHost: () => string;
}

/** What the ECR API keeps in a registry repository's `doc`. Absent fields take ECR's defaults. */
export interface RepoDoc {
  imageTagMutability?: string;
  imageTagMutabilityExclusionFilters?: { filterType: string; filter: string }[];
  scanOnPush?: boolean;
  encryptionType?: string;
  kmsKey?: string;
  repositoryPolicy?: string;
  lifecyclePolicy?: { text: string; lastEvaluatedAt?: number };
  lifecyclePreview?: { text: string; results: { digest: string; tags: string[]; pushedAt: number; rulePriority: number }[] };
}

/** ECR's repository name pattern (2–256 characters). */
const ECR_NAME_RE = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

const SCANNING_UNAVAILABLE = "Image scanning is not available in Slipway: no scan was performed.";

type CallScope = Scope;

export class Ecr {
  readonly deps: EcrDeps;

  constructor(deps: EcrDeps) {
    this.deps = deps;
  }

  get #meta() {
    return this.deps.registry.meta;
  }

  // ---- repositories ----------------------------------------------------------------------

  createRepository(s: CallScope, i: ecr.CreateRepositoryRequest): ecr.Repository {
    const name = i.repositoryName ?? "";
    validateName(name);
    const mutability = i.imageTagMutability ?? "MUTABLE";
    const filters = (i.imageTagMutabilityExclusionFilters ?? []).map((f) => ({ filterType: f.filterType ?? "WILDCARD", filter: f.filter ?? "" }));
    checkExclusions(mutability, filters);
    const enc = i.encryptionConfiguration;
    const encryptionType = enc?.encryptionType ?? "AES256";
    if (encryptionType === "AES256" && enc?.kmsKey) throw invalidParameter("Invalid parameter at 'encryptionConfiguration': kmsKey can only be specified when encryptionType is KMS or KMS_DSSE");
    const doc: RepoDoc = {
      imageTagMutability: mutability,
      ...(filters.length ? { imageTagMutabilityExclusionFilters: filters } : {}),
      scanOnPush: i.imageScanningConfiguration?.scanOnPush ?? false,
      encryptionType,
      ...(enc?.kmsKey ? { kmsKey: enc.kmsKey } : {}),
    };
    const tags = (i.tags ?? []).map((t) => ({ key: t.Key ?? "", value: t.Value ?? "" }));
    return this.deps.store.tx(() => {
      const { repository, created } = this.#meta.createRepository(s, name, doc as Record<string, unknown>);
      if (!created) throw repositoryAlreadyExists(name, s.account);
      if (tags.length) setTags(this.deps.store, this.repositoryArn(s, name), tags);
      return this.#toRepository(repository);
    });
  }

  describeRepositories(s: CallScope, i: ecr.DescribeRepositoriesRequest): ecr.DescribeRepositoriesResponse {
    if (i.repositoryNames?.length) {
      if (i.nextToken !== undefined || i.maxResults !== undefined) throw invalidParameter("maxResults and nextToken can not be used with repositoryNames");
      return { repositories: i.repositoryNames.map((n) => this.#toRepository(this.#repo(s, n))) };
    }
    const page = offsetPage(this.#meta.listRepositories(s), i.maxResults ?? 1000, i.nextToken, badNextToken);
    return { repositories: page.items.map((r) => this.#toRepository(r)), ...(page.next ? { nextToken: page.next } : {}) };
  }

  deleteRepository(s: CallScope, i: ecr.DeleteRepositoryRequest): ecr.Repository {
    const name = i.repositoryName ?? "";
    return this.deps.store.tx(() => {
      const repo = this.#repo(s, name);
      const out = this.#toRepository(repo);
      const result = this.#meta.deleteRepository(s, name, { force: i.force ?? false });
      if (result === "not-found") throw repositoryNotFound(name, s.account);
      if (result === "not-empty") throw repositoryNotEmpty(name, s.account);
      deleteAllTags(this.deps.store, this.repositoryArn(s, name));
      return out;
    });
  }

  repositoryArn(s: CallScope, name: string): string {
    return arn("ecr", { accountId: s.account, region: s.region }, `repository/${name}`);
  }

  // ---- images ----------------------------------------------------------------------------

  listImages(s: CallScope, i: ecr.ListImagesRequest): ecr.ListImagesResponse {
    const name = i.repositoryName ?? "";
    this.#repo(s, name);
    const ids: ecr.ImageIdentifier[] = [];
    for (const img of this.#images(s, name, i.filter?.tagStatus)) {
      if (img.tags.length === 0) ids.push({ imageDigest: img.digest });
      for (const t of img.tags) ids.push({ imageDigest: img.digest, imageTag: t });
    }
    const page = offsetPage(ids, i.maxResults ?? 1000, i.nextToken, badNextToken);
    return { imageIds: page.items, ...(page.next ? { nextToken: page.next } : {}) };
  }

  describeImages(s: CallScope, i: ecr.DescribeImagesRequest): ecr.DescribeImagesResponse {
    const name = i.repositoryName ?? "";
    const repo = this.#repo(s, name);
    if (i.imageIds?.length) {
      if (i.nextToken !== undefined || i.maxResults !== undefined) throw invalidParameter("maxResults and nextToken can not be used with imageIds");
      const all = this.#meta.listImages(s, name);
      const details: ecr.ImageDetail[] = [];
      const seen = new Set<string>();
      for (const id of i.imageIds) {
        const m = this.#findImage(s, name, all, id);
        if (!m) {
          throw imageNotFound(`The image with imageId {${describeId(id)}} does not exist within the repository with name '${name}' in the registry with id '${s.account}'`);
        }
        if (seen.has(m.digest)) continue;
        seen.add(m.digest);
        details.push(this.#detail(s, repo, m));
      }
      return { imageDetails: details };
    }
    const page = offsetPage(this.#images(s, name, i.filter?.tagStatus), i.maxResults ?? 1000, i.nextToken, badNextToken);
    return { imageDetails: page.items.map((m) => this.#detail(s, repo, m)), ...(page.next ? { nextToken: page.next } : {}) };
  }

  batchGetImage(s: CallScope, i: ecr.BatchGetImageRequest): ecr.BatchGetImageResponse {
    const name = i.repositoryName ?? "";
    this.#repo(s, name);
    const images: ecr.Image[] = [];
    const failures: ecr.ImageFailure[] = [];
    for (const id of i.imageIds ?? []) {
      const r = this.#resolveId(s, name, id);
      if ("failure" in r) {
        failures.push(r.failure);
        continue;
      }
      const m = this.#meta.getManifest(s, name, r.digest)!;
      if (i.acceptedMediaTypes?.length && !i.acceptedMediaTypes.includes(m.mediaType)) {
        failures.push({ imageId: id, failureCode: "ImageNotFound", failureReason: "Requested image not found" });
        continue;
      }
      images.push({
        registryId: s.account,
        repositoryName: name,
        imageId: { imageDigest: m.digest, ...(id.imageTag ? { imageTag: id.imageTag } : {}) },
        imageManifest: m.body.toString("utf8"),
        imageManifestMediaType: m.mediaType,
      });
    }
    return { images, failures };
  }

  batchDeleteImage(s: CallScope, i: ecr.BatchDeleteImageRequest): ecr.BatchDeleteImageResponse {
    const name = i.repositoryName ?? "";
    this.#repo(s, name);
    const imageIds: ecr.ImageIdentifier[] = [];
    const failures: ecr.ImageFailure[] = [];
    this.deps.store.tx(() => {
      for (const id of i.imageIds ?? []) {
        const r = this.#resolveId(s, name, id);
        if ("failure" in r) {
          failures.push(r.failure);
          continue;
        }
        if (id.imageDigest) {
          // By digest: the image and every tag on it.
          const tags = this.#meta.listImages(s, name).find((m) => m.digest === r.digest)?.tags ?? [];
          deleteManifest(this.#meta, s, name, r.digest);
          if (tags.length === 0) imageIds.push({ imageDigest: r.digest });
          for (const t of tags) imageIds.push({ imageDigest: r.digest, imageTag: t });
        } else {
          // By tag: the tag; removing an image's last tag deletes the image (ECR's rule).
          deleteManifest(this.#meta, s, name, id.imageTag!);
          const left = this.#meta.listImages(s, name).find((m) => m.digest === r.digest);
          if (left && left.tags.length === 0) this.#meta.deleteManifest(s, name, r.digest);
          imageIds.push({ imageDigest: r.digest, imageTag: id.imageTag! });
        }
      }
    });
    return { imageIds, failures };
  }

  putImage(s: CallScope, i: ecr.PutImageRequest): ecr.Image {
    const name = i.repositoryName ?? "";
    const repo = this.#repo(s, name);
    const body = Buffer.from(i.imageManifest ?? "", "utf8");
    const digest = digestOf(body);
    const tag = i.imageTag;
    if (i.imageDigest && i.imageDigest !== digest) {
      throw new ServiceError("ImageDigestDoesNotMatchException", `The supplied image digest '${i.imageDigest}' does not match the digest '${digest}' calculated for the manifest`);
    }
    if (tag !== undefined && !TAG_RE.test(tag)) throw invalidParameter(`Invalid parameter at 'imageTag' failed to satisfy constraint: 'Invalid image tag'`);
    const existing = tag !== undefined ? this.#meta.resolveTag(s, name, tag) : this.#meta.getManifest(s, name, digest) ? digest : undefined;
    if (existing === digest) {
      throw new ServiceError(
        "ImageAlreadyExistsException",
        `Image with digest '${digest}'${tag !== undefined ? ` and tag '${tag}'` : ""} already exists in the repository with name '${name}' in registry with id '${s.account}'`,
      );
    }
    if (tag !== undefined && existing !== undefined && !tagIsMutable(docOf(repo), tag)) {
      throw new ServiceError(
        "ImageTagAlreadyExistsException",
        `The image tag '${tag}' already exists in the '${name}' repository and cannot be overwritten because the repository is immutable.`,
      );
    }
    let pushed: { digest: string; mediaType: string };
    try {
      pushed = pushManifest(this.#meta, s, name, { body, contentType: i.imageManifestMediaType, reference: tag ?? digest });
    } catch (err) {
      throw this.#mapRegistryError(err, s, name, body);
    }
    return {
      registryId: s.account,
      repositoryName: name,
      imageId: { imageDigest: pushed.digest, ...(tag !== undefined ? { imageTag: tag } : {}) },
      imageManifest: body.toString("utf8"),
      imageManifestMediaType: pushed.mediaType,
    };
  }

  getAuthorizationToken(s: CallScope): ecr.GetAuthorizationTokenResponse {
    const expiresAt = this.deps.clock.now() + TOKEN_TTL_MS;
    return {
      authorizationData: [
        {
          authorizationToken: this.deps.registry.auth.issueAuthorizationToken({ accountId: s.account, region: s.region, expiresAt }),
          expiresAt: new Date(expiresAt),
          proxyEndpoint: `http://${this.deps.registryHost()}`,
        },
      ],
    };
  }

  // ---- layers (the ECR API's own upload path; Docker uses /v2/) ---------------------------

  batchCheckLayerAvailability(s: CallScope, i: ecr.BatchCheckLayerAvailabilityRequest): ecr.BatchCheckLayerAvailabilityResponse {
    const name = i.repositoryName ?? "";
    this.#repo(s, name);
    const layers: ecr.Layer[] = [];
    const failures: ecr.LayerFailure[] = [];
    for (const d of i.layerDigests ?? []) {
      if (!DIGEST_RE.test(d)) {
        failures.push({ layerDigest: d, failureCode: "InvalidLayerDigest", failureReason: "Invalid layer digest" });
        continue;
      }
      const b = this.#meta.linkedBlob(s, name, d);
      if (!b) failures.push({ layerDigest: d, failureCode: "MissingLayerDigest", failureReason: "Could not find the layer" });
      else layers.push({ layerDigest: d, layerAvailability: "AVAILABLE", layerSize: b.size });
    }
    return { layers, failures };
  }

  getDownloadUrlForLayer(s: CallScope, i: ecr.GetDownloadUrlForLayerRequest): ecr.GetDownloadUrlForLayerResponse {
    const name = i.repositoryName ?? "";
    this.#repo(s, name);
    const d = i.layerDigest ?? "";
    if (!DIGEST_RE.test(d) || !this.#meta.linkedBlob(s, name, d)) {
      throw new ServiceError("LayersNotFoundException", `The image layer '${d}' does not exist in the repository with name '${name}' in the registry with id '${s.account}'`);
    }
    return { downloadUrl: `http://${this.deps.registryHost()}/v2/${name}/blobs/${d}`, layerDigest: d };
  }

  async initiateLayerUpload(s: CallScope, i: ecr.InitiateLayerUploadRequest): Promise<ecr.InitiateLayerUploadResponse> {
    const name = i.repositoryName ?? "";
    this.#repo(s, name);
    const st = await this.deps.registry.uploads.start(s, name);
    return { uploadId: st.uuid, partSize: 5 * 1024 * 1024 };
  }

  async uploadLayerPart(s: CallScope, i: ecr.UploadLayerPartRequest): Promise<ecr.UploadLayerPartResponse> {
    const name = i.repositoryName ?? "";
    this.#repo(s, name);
    const uuid = i.uploadId ?? "";
    const part = Buffer.from(i.layerPartBlob ?? new Uint8Array());
    try {
      const st = await this.deps.registry.uploads.append(s, name, uuid, Readable.from([part]), { start: i.partFirstByte ?? 0, end: i.partLastByte ?? 0 });
      return { registryId: s.account, repositoryName: name, uploadId: uuid, lastByteReceived: st.size - 1 };
    } catch (err) {
      throw this.#mapUploadError(err, uuid);
    }
  }

  async completeLayerUpload(s: CallScope, i: ecr.CompleteLayerUploadRequest): Promise<ecr.CompleteLayerUploadResponse> {
    const name = i.repositoryName ?? "";
    this.#repo(s, name);
    const uuid = i.uploadId ?? "";
    const digest = i.layerDigests?.[0] ?? "";
    try {
      const r = await this.deps.registry.uploads.commit(s, name, uuid, digest);
      return { registryId: s.account, repositoryName: name, uploadId: uuid, layerDigest: r.digest };
    } catch (err) {
      throw this.#mapUploadError(err, uuid);
    }
  }

  // ---- settings --------------------------------------------------------------------------

  putImageTagMutability(s: CallScope, i: ecr.PutImageTagMutabilityRequest): ecr.PutImageTagMutabilityResponse {
    const name = i.repositoryName ?? "";
    const mutability = i.imageTagMutability ?? "MUTABLE";
    const filters = (i.imageTagMutabilityExclusionFilters ?? []).map((f) => ({ filterType: f.filterType ?? "WILDCARD", filter: f.filter ?? "" }));
    checkExclusions(mutability, filters);
    this.#updateDoc(s, name, (d) => {
      d.imageTagMutability = mutability;
      if (filters.length) d.imageTagMutabilityExclusionFilters = filters;
      else delete d.imageTagMutabilityExclusionFilters;
    });
    return {
      registryId: s.account,
      repositoryName: name,
      imageTagMutability: mutability,
      ...(filters.length ? { imageTagMutabilityExclusionFilters: filters as ecr.ImageTagMutabilityExclusionFilter[] } : {}),
    };
  }

  putImageScanningConfiguration(s: CallScope, i: ecr.PutImageScanningConfigurationRequest): ecr.PutImageScanningConfigurationResponse {
    const name = i.repositoryName ?? "";
    const scanOnPush = i.imageScanningConfiguration?.scanOnPush ?? false;
    this.#updateDoc(s, name, (d) => {
      d.scanOnPush = scanOnPush;
    });
    return { registryId: s.account, repositoryName: name, imageScanningConfiguration: { scanOnPush } };
  }

  setRepositoryPolicy(s: CallScope, i: ecr.SetRepositoryPolicyRequest): ecr.SetRepositoryPolicyResponse {
    const name = i.repositoryName ?? "";
    const text = i.policyText ?? "";
    let policy: unknown;
    try {
      policy = JSON.parse(text);
    } catch {
      policy = undefined;
    }
    if (typeof policy !== "object" || policy === null || !("Statement" in policy)) {
      throw invalidParameter("Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid repository policy provided'");
    }
    this.#updateDoc(s, name, (d) => {
      d.repositoryPolicy = text;
    });
    return { registryId: s.account, repositoryName: name, policyText: text };
  }

  getRepositoryPolicy(s: CallScope, i: ecr.GetRepositoryPolicyRequest): ecr.GetRepositoryPolicyResponse {
    const name = i.repositoryName ?? "";
    const d = docOf(this.#repo(s, name));
    if (d.repositoryPolicy === undefined) throw repositoryPolicyNotFound(name, s.account);
    return { registryId: s.account, repositoryName: name, policyText: d.repositoryPolicy };
  }

  deleteRepositoryPolicy(s: CallScope, i: ecr.DeleteRepositoryPolicyRequest): ecr.DeleteRepositoryPolicyResponse {
    const name = i.repositoryName ?? "";
    let text = "";
    this.#updateDoc(s, name, (d) => {
      if (d.repositoryPolicy === undefined) throw repositoryPolicyNotFound(name, s.account);
      text = d.repositoryPolicy;
      delete d.repositoryPolicy;
    });
    return { registryId: s.account, repositoryName: name, policyText: text };
  }

  // ---- lifecycle policies ----------------------------------------------------------------

  putLifecyclePolicy(s: CallScope, i: ecr.PutLifecyclePolicyRequest): ecr.PutLifecyclePolicyResponse {
    const name = i.repositoryName ?? "";
    const text = i.lifecyclePolicyText ?? "";
    parseLifecyclePolicy(text);
    this.#updateDoc(s, name, (d) => {
      d.lifecyclePolicy = { text };
    });
    return { registryId: s.account, repositoryName: name, lifecyclePolicyText: text };
  }

  getLifecyclePolicy(s: CallScope, i: ecr.GetLifecyclePolicyRequest): ecr.GetLifecyclePolicyResponse {
    const name = i.repositoryName ?? "";
    const p = docOf(this.#repo(s, name)).lifecyclePolicy;
    if (!p) throw lifecyclePolicyNotFound(name, s.account);
    return {
      registryId: s.account,
      repositoryName: name,
      lifecyclePolicyText: p.text,
      ...(p.lastEvaluatedAt !== undefined ? { lastEvaluatedAt: new Date(p.lastEvaluatedAt) } : {}),
    };
  }

  deleteLifecyclePolicy(s: CallScope, i: ecr.DeleteLifecyclePolicyRequest): ecr.DeleteLifecyclePolicyResponse {
    const name = i.repositoryName ?? "";
    let p: RepoDoc["lifecyclePolicy"];
    this.#updateDoc(s, name, (d) => {
      p = d.lifecyclePolicy;
      if (!p) throw lifecyclePolicyNotFound(name, s.account);
      delete d.lifecyclePolicy;
    });
    return {
      registryId: s.account,
      repositoryName: name,
      lifecyclePolicyText: p!.text,
      ...(p!.lastEvaluatedAt !== undefined ? { lastEvaluatedAt: new Date(p!.lastEvaluatedAt) } : {}),
    };
  }

  /** Evaluates the given (or stored) policy against the repository's images now; the result is kept for Get. */
  startLifecyclePolicyPreview(s: CallScope, i: ecr.StartLifecyclePolicyPreviewRequest): ecr.StartLifecyclePolicyPreviewResponse {
    const name = i.repositoryName ?? "";
    const repo = this.#repo(s, name);
    const text = i.lifecyclePolicyText ?? docOf(repo).lifecyclePolicy?.text;
    if (text === undefined) throw lifecyclePolicyNotFound(name, s.account);
    const policy = parseLifecyclePolicy(text);
    const verdicts = evaluateLifecyclePolicy(policy, this.#meta.listImages(s, name), this.deps.clock.now());
    const results = verdicts.map((v) => ({ digest: v.image.digest, tags: [...v.image.tags], pushedAt: v.image.pushedAt, rulePriority: v.appliedRulePriority }));
    this.#updateDoc(s, name, (d) => {
      d.lifecyclePreview = { text, results };
    });
    return { registryId: s.account, repositoryName: name, lifecyclePolicyText: text, status: "COMPLETE" };
  }

  getLifecyclePolicyPreview(s: CallScope, i: ecr.GetLifecyclePolicyPreviewRequest): ecr.GetLifecyclePolicyPreviewResponse {
    const name = i.repositoryName ?? "";
    const preview = docOf(this.#repo(s, name)).lifecyclePreview;
    if (!preview) throw lifecyclePreviewNotFound(name, s.account);
    let results = preview.results;
    const tagStatus = i.filter?.tagStatus;
    if (tagStatus === "TAGGED") results = results.filter((r) => r.tags.length > 0);
    if (tagStatus === "UNTAGGED") results = results.filter((r) => r.tags.length === 0);
    if (i.imageIds?.length) {
      results = results.filter((r) => i.imageIds!.some((id) => (id.imageDigest ? id.imageDigest === r.digest : false) || (id.imageTag ? r.tags.includes(id.imageTag) : false)));
    }
    const page = offsetPage(results, i.maxResults ?? 100, i.nextToken, badNextToken);
    return {
      registryId: s.account,
      repositoryName: name,
      lifecyclePolicyText: preview.text,
      status: "COMPLETE",
      previewResults: page.items.map((r) => ({
        imageTags: r.tags,
        imageDigest: r.digest,
        imagePushedAt: new Date(r.pushedAt),
        action: { type: "EXPIRE" },
        appliedRulePriority: r.rulePriority,
      })),
      summary: { expiringImageTotalCount: preview.results.length },
      ...(page.next ? { nextToken: page.next } : {}),
    };
  }

  /** The scheduled run: every repository with a lifecycle policy expires what the policy says. */
  applyLifecyclePolicies(): { expired: number } {
    const now = this.deps.clock.now();
    let expired = 0;
    for (const r of allRepositories(this.deps.store)) {
      const s = { account: r.account, region: r.region };
      this.deps.store.tx(() => {
        const repo = this.#meta.getRepository(s, r.name);
        const p = repo ? docOf(repo).lifecyclePolicy : undefined;
        if (!repo || !p) return;
        let policy;
        try {
          policy = parseLifecyclePolicy(p.text);
        } catch {
          return;
        }
        for (const v of evaluateLifecyclePolicy(policy, this.#meta.listImages(s, r.name), now)) {
          if (this.#meta.deleteManifest(s, r.name, v.image.digest)) expired++;
        }
        const doc = docOf(repo);
        doc.lifecyclePolicy = { text: p.text, lastEvaluatedAt: now };
        this.#meta.updateRepositoryDoc(s, r.name, doc as Record<string, unknown>);
      });
    }
    return { expired };
  }

  /** Runs applyLifecyclePolicies every `intervalMs` (default 1 h) on the injected clock; returns a stop function. */
  startLifecycle(intervalMs = 3600_000, onError: (err: unknown) => void = () => {}): () => void {
    const ac = new AbortController();
    void (async () => {
      while (!ac.signal.aborted) {
        try {
          await this.deps.clock.sleep(intervalMs, ac.signal);
        } catch {
          return;
        }
        try {
          this.applyLifecyclePolicies();
        } catch (err) {
          onError(err);
        }
      }
    })();
    return () => ac.abort();
  }

  // ---- tags, registry, scanning ----------------------------------------------------------

  tagResource(i: ecr.TagResourceRequest): void {
    const a = this.#taggable(i.resourceArn ?? "");
    setTags(this.deps.store, a, (i.tags ?? []).map((t) => ({ key: t.Key ?? "", value: t.Value ?? "" })));
  }

  untagResource(i: ecr.UntagResourceRequest): void {
    removeTags(this.deps.store, this.#taggable(i.resourceArn ?? ""), i.tagKeys ?? []);
  }

  listTagsForResource(i: ecr.ListTagsForResourceRequest): ecr.ListTagsForResourceResponse {
    return { tags: getTags(this.deps.store, this.#taggable(i.resourceArn ?? "")).map((t) => ({ Key: t.key, Value: t.value })) };
  }

  describeRegistry(s: CallScope): ecr.DescribeRegistryResponse {
    return { registryId: s.account, replicationConfiguration: { rules: [] } };
  }

  /**
   * Slipway stores scan-on-push but does not scan. An image of a repository that asked for scans
   * reports FAILED with a description saying so (the ImageScanComplete waiter stops at once);
   * otherwise no scan exists (ScanNotFoundException). Findings are never invented.
   */
  describeImageScanFindings(s: CallScope, i: ecr.DescribeImageScanFindingsRequest): ecr.DescribeImageScanFindingsResponse {
    const name = i.repositoryName ?? "";
    const repo = this.#repo(s, name);
    const id = i.imageId ?? {};
    const m = this.#findImage(s, name, this.#meta.listImages(s, name), id);
    if (!m) throw imageNotFound(`The image with imageId {${describeId(id)}} does not exist within the repository with name '${name}' in the registry with id '${s.account}'`);
    if (!docOf(repo).scanOnPush) {
      throw new ServiceError(
        "ScanNotFoundException",
        `Image scan does not exist for the image with '{${describeId(id)}}' in the repository with name '${name}' in the registry with id '${s.account}'`,
      );
    }
    return {
      registryId: s.account,
      repositoryName: name,
      imageId: { imageDigest: m.digest, ...(id.imageTag ? { imageTag: id.imageTag } : {}) },
      imageScanStatus: { status: "FAILED", description: SCANNING_UNAVAILABLE },
    };
  }

  // ---- helpers ---------------------------------------------------------------------------

  #repo(s: CallScope, name: string): RepositoryRecord {
    const r = this.#meta.getRepository(s, name);
    if (!r) throw repositoryNotFound(name, s.account);
    return r;
  }

  #updateDoc(s: CallScope, name: string, fn: (d: RepoDoc) => void): void {
    this.deps.store.tx(() => {
      const d = docOf(this.#repo(s, name));
      fn(d);
      this.#meta.updateRepositoryDoc(s, name, d as Record<string, unknown>);
    });
  }

  #taggable(resourceArn: string): string {
    const p = parseArn(resourceArn);
    if (!p || p.service !== "ecr" || !p.resource.startsWith("repository/")) {
      throw invalidParameter(`Invalid parameter at 'resourceArn' failed to satisfy constraint: 'Invalid ARN'`);
    }
    const name = p.resource.slice("repository/".length);
    this.#repo({ account: p.accountId, region: p.region }, name);
    return resourceArn;
  }

  #toRepository(r: RepositoryRecord): ecr.Repository {
    const d = docOf(r);
    const s = { account: r.account, region: r.region };
    return {
      repositoryArn: this.repositoryArn(s, r.name),
      registryId: r.account,
      repositoryName: r.name,
      repositoryUri: `${this.deps.registryHost()}/${r.name}`,
      createdAt: new Date(r.createdAt),
      imageTagMutability: (d.imageTagMutability ?? "MUTABLE") as ecr.ImageTagMutability,
      ...(d.imageTagMutabilityExclusionFilters?.length
        ? { imageTagMutabilityExclusionFilters: d.imageTagMutabilityExclusionFilters as ecr.ImageTagMutabilityExclusionFilter[] }
        : {}),
      imageScanningConfiguration: { scanOnPush: d.scanOnPush ?? false },
      encryptionConfiguration: { encryptionType: (d.encryptionType ?? "AES256") as ecr.EncryptionType, ...(d.kmsKey ? { kmsKey: d.kmsKey } : {}) },
    };
  }

  #images(s: CallScope, name: string, tagStatus: string | undefined): ImageRecord[] {
    const all = this.#meta.listImages(s, name);
    if (tagStatus === "TAGGED") return all.filter((m) => m.tags.length > 0);
    if (tagStatus === "UNTAGGED") return all.filter((m) => m.tags.length === 0);
    return all;
  }

  #findImage(s: CallScope, name: string, all: ImageRecord[], id: ecr.ImageIdentifier): ImageRecord | undefined {
    const r = this.#resolveId(s, name, id);
    return "failure" in r ? undefined : all.find((m) => m.digest === r.digest);
  }

  /** An imageId → the digest it names, or ECR's failure entry. */
  #resolveId(s: CallScope, name: string, id: ecr.ImageIdentifier): { digest: string } | { failure: ecr.ImageFailure } {
    const fail = (failureCode: ecr.ImageFailureCode, failureReason: string) => ({ failure: { imageId: id, failureCode, failureReason } });
    if (!id.imageDigest && !id.imageTag) return fail("MissingDigestAndTag", "Invalid request parameters: both tag and digest cannot be null");
    if (id.imageDigest && !DIGEST_RE.test(id.imageDigest)) return fail("InvalidImageDigest", "Invalid request parameters: image digest should satisfy the regex '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'");
    if (id.imageTag && !TAG_RE.test(id.imageTag)) return fail("InvalidImageTag", "Invalid request parameters: image tag should satisfy the regex '[a-zA-Z0-9-_.]+'");
    const byTag = id.imageTag ? this.#meta.resolveTag(s, name, id.imageTag) : undefined;
    if (id.imageTag && id.imageDigest) {
      if (!byTag) return fail("ImageNotFound", "Requested image not found");
      if (byTag !== id.imageDigest) return fail("ImageTagDoesNotMatchDigest", "Invalid request parameters: given tag does not map to the given digest");
      return { digest: byTag };
    }
    const m = resolveManifest(this.#meta, s, name, id.imageDigest ?? id.imageTag!);
    return m ? { digest: m.digest } : fail("ImageNotFound", "Requested image not found");
  }

  #detail(s: CallScope, repo: RepositoryRecord, m: ImageRecord): ecr.ImageDetail {
    const body = this.#meta.getManifest(s, repo.name, m.digest)?.body;
    let artifactMediaType: string | undefined;
    try {
      const parsed = body ? (JSON.parse(body.toString("utf8")) as { config?: { mediaType?: string } }) : undefined;
      artifactMediaType = parsed?.config?.mediaType;
    } catch {
      artifactMediaType = undefined;
    }
    return {
      registryId: s.account,
      repositoryName: repo.name,
      imageDigest: m.digest,
      ...(m.tags.length ? { imageTags: m.tags } : {}),
      imageSizeInBytes: m.imageSize,
      imagePushedAt: new Date(m.pushedAt),
      imageManifestMediaType: m.mediaType,
      ...(artifactMediaType ? { artifactMediaType } : {}),
      ...(m.subjectDigest ? { subjectManifestDigest: m.subjectDigest } : {}),
      ...(docOf(repo).scanOnPush ? { imageScanStatus: { status: "FAILED" as const, description: SCANNING_UNAVAILABLE } } : {}),
      imageStatus: "ACTIVE",
    };
  }

  #mapRegistryError(err: unknown, s: CallScope, name: string, body: Buffer): unknown {
    if (!(err instanceof RegistryError)) return err;
    switch (err.code) {
      case "NAME_UNKNOWN":
        return repositoryNotFound(name, s.account);
      case "TAG_INVALID":
        return err.message.includes("immutable") ? new ServiceError("ImageTagAlreadyExistsException", err.message) : invalidParameter(`Invalid parameter at 'imageTag' failed to satisfy constraint: 'Invalid image tag'`);
      case "MANIFEST_BLOB_UNKNOWN": {
        const missing = ((err.detail as { missing?: string[] } | undefined)?.missing ?? []).join(", ");
        let isIndex = false;
        try {
          isIndex = Array.isArray((JSON.parse(body.toString("utf8")) as { manifests?: unknown }).manifests);
        } catch {
          isIndex = false;
        }
        return isIndex
          ? new ServiceError("ReferencedImagesNotFoundException", `The following referenced images were not found: [${missing}]`)
          : new ServiceError("LayersNotFoundException", `Layers with digests '[${missing}]' required for pushing image into repository with name '${name}' in the registry with id '${s.account}' do not exist`);
      }
      case "MANIFEST_INVALID":
      case "DIGEST_INVALID":
        return invalidParameter(`Invalid parameter at 'ImageManifest' failed to satisfy constraint: 'Invalid JSON syntax'`);
      default:
        return invalidParameter(err.message);
    }
  }

  #mapUploadError(err: unknown, uuid: string): unknown {
    if (!(err instanceof RegistryError)) return err;
    if (err.code === "BLOB_UPLOAD_UNKNOWN") return new ServiceError("UploadNotFoundException", `Upload with id '${uuid}' was not found`);
    if (err.code === "DIGEST_INVALID") return new ServiceError("InvalidLayerException", "The layer digest calculation performed by Amazon ECR does not match the digest specified");
    if (err.code === "RANGE_INVALID" || err.code === "BLOB_UPLOAD_INVALID") return new ServiceError("InvalidLayerPartException", `The layer part is not valid: ${err.message}`);
    return invalidParameter(err.message);
  }
}

export function docOf(r: RepositoryRecord): RepoDoc {
  return structuredClone(r.doc) as RepoDoc;
}

/** Whether a tag may be moved in a repository with this doc (tag mutability and its exclusions). */

function validateName(name: string): void {
  if (name.length < 2 || name.length > 256 || !ECR_NAME_RE.test(name) || !NAME_RE.test(name)) {
    throw invalidParameter(
      `Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must satisfy regular expression '(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*''`,
    );
  }
}

function checkExclusions(mutability: string, filters: { filter: string }[]): void {
  const withExclusion = mutability.endsWith("_WITH_EXCLUSION");
  if (withExclusion && filters.length === 0) throw invalidParameter(`imageTagMutabilityExclusionFilters are required when imageTagMutability is ${mutability}`);
  if (!withExclusion && filters.length > 0) throw invalidParameter(`imageTagMutabilityExclusionFilters can only be used when imageTagMutability is MUTABLE_WITH_EXCLUSION or IMMUTABLE_WITH_EXCLUSION`);
}

function describeId(id: ecr.ImageIdentifier): string {
  return [id.imageDigest ? `imageDigest:'${id.imageDigest}'` : "", id.imageTag ? `imageTag:'${id.imageTag}'` : ""].filter(Boolean).join(", ");
}
