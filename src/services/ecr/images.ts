/**
 * ECR images: list, describe, get, delete and put manifests of a repository, and the (absent)
 * scan findings. Images are the registry's manifests with their tags; pushes go through the
 * registry's own push rules, so PutImage and `docker push` agree.
 */
import type * as ecr from "@aws-sdk/client-ecr";
import type { Scope } from "../../core/arn.ts";
import { offsetPage } from "../common/paginate.ts";
import { describeId, type EcrDeps, SCANNING_UNAVAILABLE } from "./context.ts";
import {
  badNextToken,
  imageAlreadyExists,
  imageDigestDoesNotMatch,
  imageNotFound,
  imageTagAlreadyExists,
  invalidImageTag,
  invalidManifestJson,
  invalidParameter,
  layersNotFoundForImage,
  referencedImagesNotFound,
  repositoryNotFound,
  scanNotFound,
} from "./errors.ts";
import type { StoredImage, StoredRepository } from "./ports.ts";
import { docOf, type EcrRepo } from "./repo.ts";

export class Images {
  readonly #deps: EcrDeps;
  readonly #repo: EcrRepo;

  constructor(deps: EcrDeps, repo: EcrRepo) {
    this.#deps = deps;
    this.#repo = repo;
  }

  get #registry() {
    return this.#deps.registry;
  }

  list(s: Scope, i: ecr.ListImagesRequest): ecr.ListImagesResponse {
    const name = i.repositoryName ?? "";
    this.#repo.require(s, name);
    const ids: ecr.ImageIdentifier[] = [];
    for (const img of this.#images(s, name, i.filter?.tagStatus)) {
      if (img.tags.length === 0) ids.push({ imageDigest: img.digest });
      for (const t of img.tags) ids.push({ imageDigest: img.digest, imageTag: t });
    }
    const page = offsetPage(ids, i.maxResults ?? 1000, i.nextToken, badNextToken);
    return { imageIds: page.items, ...(page.next ? { nextToken: page.next } : {}) };
  }

  describe(s: Scope, i: ecr.DescribeImagesRequest): ecr.DescribeImagesResponse {
    const name = i.repositoryName ?? "";
    const repo = this.#repo.require(s, name);
    if (i.imageIds?.length) {
      if (i.nextToken !== undefined || i.maxResults !== undefined) throw invalidParameter("maxResults and nextToken can not be used with imageIds");
      const all = this.#registry.listImages(s, name);
      const details: ecr.ImageDetail[] = [];
      const seen = new Set<string>();
      for (const id of i.imageIds) {
        const m = this.#findImage(s, name, all, id);
        if (!m) throw imageNotFound(notFoundMessage(id, name, s.accountId));
        if (seen.has(m.digest)) continue;
        seen.add(m.digest);
        details.push(this.#detail(s, repo, m));
      }
      return { imageDetails: details };
    }
    const page = offsetPage(this.#images(s, name, i.filter?.tagStatus), i.maxResults ?? 1000, i.nextToken, badNextToken);
    return { imageDetails: page.items.map((m) => this.#detail(s, repo, m)), ...(page.next ? { nextToken: page.next } : {}) };
  }

  batchGet(s: Scope, i: ecr.BatchGetImageRequest): ecr.BatchGetImageResponse {
    const name = i.repositoryName ?? "";
    this.#repo.require(s, name);
    const images: ecr.Image[] = [];
    const failures: ecr.ImageFailure[] = [];
    for (const id of i.imageIds ?? []) {
      const r = this.#resolveId(s, name, id);
      if ("failure" in r) {
        failures.push(r.failure);
        continue;
      }
      const m = this.#registry.getManifest(s, name, r.digest)!;
      if (i.acceptedMediaTypes?.length && !i.acceptedMediaTypes.includes(m.mediaType)) {
        failures.push({ imageId: id, failureCode: "ImageNotFound", failureReason: "Requested image not found" });
        continue;
      }
      images.push({
        registryId: s.accountId,
        repositoryName: name,
        imageId: { imageDigest: m.digest, ...(id.imageTag ? { imageTag: id.imageTag } : {}) },
        imageManifest: m.body.toString("utf8"),
        imageManifestMediaType: m.mediaType,
      });
    }
    return { images, failures };
  }

  batchDelete(s: Scope, i: ecr.BatchDeleteImageRequest): ecr.BatchDeleteImageResponse {
    const name = i.repositoryName ?? "";
    this.#repo.require(s, name);
    const imageIds: ecr.ImageIdentifier[] = [];
    const failures: ecr.ImageFailure[] = [];
    this.#deps.store.tx(() => {
      for (const id of i.imageIds ?? []) {
        const r = this.#resolveId(s, name, id);
        if ("failure" in r) {
          failures.push(r.failure);
          continue;
        }
        if (id.imageDigest) {
          // By digest: the image and every tag on it.
          const tags = this.#registry.listImages(s, name).find((m) => m.digest === r.digest)?.tags ?? [];
          this.#registry.deleteManifest(s, name, r.digest);
          if (tags.length === 0) imageIds.push({ imageDigest: r.digest });
          for (const t of tags) imageIds.push({ imageDigest: r.digest, imageTag: t });
        } else {
          // By tag: the tag; removing an image's last tag deletes the image (ECR's rule).
          this.#registry.deleteManifest(s, name, id.imageTag!);
          const left = this.#registry.listImages(s, name).find((m) => m.digest === r.digest);
          if (left && left.tags.length === 0) this.#registry.deleteManifest(s, name, r.digest);
          imageIds.push({ imageDigest: r.digest, imageTag: id.imageTag! });
        }
      }
    });
    return { imageIds, failures };
  }

  put(s: Scope, i: ecr.PutImageRequest): ecr.Image {
    const name = i.repositoryName ?? "";
    const repo = this.#repo.require(s, name);
    const body = Buffer.from(i.imageManifest ?? "", "utf8");
    const digest = this.#registry.digestOf(body);
    const tag = i.imageTag;
    if (i.imageDigest && i.imageDigest !== digest) throw imageDigestDoesNotMatch(i.imageDigest, digest);
    if (tag !== undefined && !this.#registry.isTag(tag)) throw invalidImageTag();
    const existing = tag !== undefined ? this.#registry.resolveTag(s, name, tag) : this.#registry.getManifest(s, name, digest) ? digest : undefined;
    if (existing === digest) throw imageAlreadyExists(digest, tag, name, s.accountId);
    if (tag !== undefined && existing !== undefined && !this.#registry.tagIsMutable(docOf(repo), tag)) throw imageTagAlreadyExists(tag, name);
    let pushed: { digest: string; mediaType: string };
    try {
      pushed = this.#registry.pushManifest(s, name, { body, contentType: i.imageManifestMediaType, reference: tag ?? digest });
    } catch (err) {
      throw this.#pushError(err, s, name, tag, body);
    }
    return {
      registryId: s.accountId,
      repositoryName: name,
      imageId: { imageDigest: pushed.digest, ...(tag !== undefined ? { imageTag: tag } : {}) },
      imageManifest: body.toString("utf8"),
      imageManifestMediaType: pushed.mediaType,
    };
  }

  /**
   * Slipway stores scan-on-push but does not scan. An image of a repository that asked for scans
   * reports FAILED with a description saying so (the ImageScanComplete waiter stops at once);
   * otherwise no scan exists (ScanNotFoundException). Findings are never invented.
   */
  describeScanFindings(s: Scope, i: ecr.DescribeImageScanFindingsRequest): ecr.DescribeImageScanFindingsResponse {
    const name = i.repositoryName ?? "";
    const repo = this.#repo.require(s, name);
    const id = i.imageId ?? {};
    const m = this.#findImage(s, name, this.#registry.listImages(s, name), id);
    if (!m) throw imageNotFound(notFoundMessage(id, name, s.accountId));
    if (!docOf(repo).scanOnPush) throw scanNotFound(describeId(id), name, s.accountId);
    return {
      registryId: s.accountId,
      repositoryName: name,
      imageId: { imageDigest: m.digest, ...(id.imageTag ? { imageTag: id.imageTag } : {}) },
      imageScanStatus: { status: "FAILED", description: SCANNING_UNAVAILABLE },
    };
  }

  // ---- helpers ---------------------------------------------------------------------------

  #images(s: Scope, name: string, tagStatus: string | undefined): StoredImage[] {
    const all = this.#registry.listImages(s, name);
    if (tagStatus === "TAGGED") return all.filter((m) => m.tags.length > 0);
    if (tagStatus === "UNTAGGED") return all.filter((m) => m.tags.length === 0);
    return all;
  }

  #findImage(s: Scope, name: string, all: StoredImage[], id: ecr.ImageIdentifier): StoredImage | undefined {
    const r = this.#resolveId(s, name, id);
    return "failure" in r ? undefined : all.find((m) => m.digest === r.digest);
  }

  /** An imageId → the digest it names, or ECR's failure entry. */
  #resolveId(s: Scope, name: string, id: ecr.ImageIdentifier): { digest: string } | { failure: ecr.ImageFailure } {
    const fail = (failureCode: ecr.ImageFailureCode, failureReason: string) => ({ failure: { imageId: id, failureCode, failureReason } });
    if (!id.imageDigest && !id.imageTag) return fail("MissingDigestAndTag", "Invalid request parameters: both tag and digest cannot be null");
    if (id.imageDigest && !this.#registry.isDigest(id.imageDigest)) return fail("InvalidImageDigest", "Invalid request parameters: image digest should satisfy the regex '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'");
    if (id.imageTag && !this.#registry.isTag(id.imageTag)) return fail("InvalidImageTag", "Invalid request parameters: image tag should satisfy the regex '[a-zA-Z0-9-_.]+'");
    const byTag = id.imageTag ? this.#registry.resolveTag(s, name, id.imageTag) : undefined;
    if (id.imageTag && id.imageDigest) {
      if (!byTag) return fail("ImageNotFound", "Requested image not found");
      if (byTag !== id.imageDigest) return fail("ImageTagDoesNotMatchDigest", "Invalid request parameters: given tag does not map to the given digest");
      return { digest: byTag };
    }
    const m = this.#registry.resolveManifest(s, name, id.imageDigest ?? id.imageTag!);
    return m ? { digest: m.digest } : fail("ImageNotFound", "Requested image not found");
  }

  #detail(s: Scope, repo: StoredRepository, m: StoredImage): ecr.ImageDetail {
    const body = this.#registry.getManifest(s, repo.name, m.digest)?.body;
    let artifactMediaType: string | undefined;
    try {
      const parsed = body ? (JSON.parse(body.toString("utf8")) as { config?: { mediaType?: string } }) : undefined;
      artifactMediaType = parsed?.config?.mediaType;
    } catch {
      artifactMediaType = undefined;
    }
    return {
      registryId: s.accountId,
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

  /** A registry push failure → ECR's exception for it. */
  #pushError(err: unknown, s: Scope, name: string, tag: string | undefined, body: Buffer): unknown {
    const r = this.#registry.rejection(err);
    if (!r) return err;
    switch (r.code) {
      case "NAME_UNKNOWN":
        return repositoryNotFound(name, s.accountId);
      case "TAG_INVALID":
        // The registry's immutable-tag rule (a tag moved by a concurrent push) or a malformed tag.
        return r.message.includes("immutable") && tag !== undefined ? imageTagAlreadyExists(tag, name) : invalidImageTag();
      case "MANIFEST_BLOB_UNKNOWN": {
        const missing = (r.missing ?? []).join(", ");
        return isIndex(body) ? referencedImagesNotFound(missing) : layersNotFoundForImage(missing, name, s.accountId);
      }
      case "MANIFEST_INVALID":
      case "DIGEST_INVALID":
        return invalidManifestJson();
      default:
        return invalidParameter(r.message);
    }
  }
}

function notFoundMessage(id: ecr.ImageIdentifier, name: string, account: string): string {
  return `The image with imageId {${describeId(id)}} does not exist within the repository with name '${name}' in the registry with id '${account}'`;
}

/** Whether a manifest body is an index (its `manifests` list), which ECR reports differently. */
function isIndex(body: Buffer): boolean {
  try {
    return Array.isArray((JSON.parse(body.toString("utf8")) as { manifests?: unknown }).manifests);
  } catch {
    return false;
  }
}
