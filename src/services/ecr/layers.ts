/**
 * The ECR API's own layer path (BatchCheckLayerAvailability, GetDownloadUrlForLayer and the
 * Initiate/UploadLayerPart/Complete upload), over the registry's blob uploads; Docker uses /v2/.
 */
import type * as ecr from "@aws-sdk/client-ecr";
import type { Scope } from "../../core/arn.ts";
import type { EcrDeps } from "./context.ts";
import { invalidLayer, invalidLayerPart, invalidParameter, layerNotFound, uploadNotFound } from "./errors.ts";
import type { EcrRepo } from "./repo.ts";

/** The part size InitiateLayerUpload advises. */
const PART_SIZE = 5 * 1024 * 1024;

export class Layers {
  readonly #deps: EcrDeps;
  readonly #repo: EcrRepo;

  constructor(deps: EcrDeps, repo: EcrRepo) {
    this.#deps = deps;
    this.#repo = repo;
  }

  get #registry() {
    return this.#deps.registry;
  }

  batchCheckAvailability(s: Scope, i: ecr.BatchCheckLayerAvailabilityRequest): ecr.BatchCheckLayerAvailabilityResponse {
    const name = i.repositoryName ?? "";
    this.#repo.require(s, name);
    const layers: ecr.Layer[] = [];
    const failures: ecr.LayerFailure[] = [];
    for (const d of i.layerDigests ?? []) {
      if (!this.#registry.isDigest(d)) {
        failures.push({ layerDigest: d, failureCode: "InvalidLayerDigest", failureReason: "Invalid layer digest" });
        continue;
      }
      const b = this.#registry.linkedBlob(s, name, d);
      if (!b) failures.push({ layerDigest: d, failureCode: "MissingLayerDigest", failureReason: "Could not find the layer" });
      else layers.push({ layerDigest: d, layerAvailability: "AVAILABLE", layerSize: b.size });
    }
    return { layers, failures };
  }

  downloadUrl(s: Scope, i: ecr.GetDownloadUrlForLayerRequest): ecr.GetDownloadUrlForLayerResponse {
    const name = i.repositoryName ?? "";
    this.#repo.require(s, name);
    const d = i.layerDigest ?? "";
    if (!this.#registry.isDigest(d) || !this.#registry.linkedBlob(s, name, d)) throw layerNotFound(d, name, s.accountId);
    return { downloadUrl: `http://${this.#deps.registryHost()}/v2/${name}/blobs/${d}`, layerDigest: d };
  }

  async initiateUpload(s: Scope, i: ecr.InitiateLayerUploadRequest): Promise<ecr.InitiateLayerUploadResponse> {
    const name = i.repositoryName ?? "";
    this.#repo.require(s, name);
    const { uploadId } = await this.#registry.startUpload(s, name);
    return { uploadId, partSize: PART_SIZE };
  }

  async uploadPart(s: Scope, i: ecr.UploadLayerPartRequest): Promise<ecr.UploadLayerPartResponse> {
    const name = i.repositoryName ?? "";
    this.#repo.require(s, name);
    const uploadId = i.uploadId ?? "";
    try {
      const st = await this.#registry.appendUpload(s, name, uploadId, i.layerPartBlob ?? new Uint8Array(), { start: i.partFirstByte ?? 0, end: i.partLastByte ?? 0 });
      return { registryId: s.accountId, repositoryName: name, uploadId, lastByteReceived: st.size - 1 };
    } catch (err) {
      throw this.#uploadError(err, uploadId);
    }
  }

  async completeUpload(s: Scope, i: ecr.CompleteLayerUploadRequest): Promise<ecr.CompleteLayerUploadResponse> {
    const name = i.repositoryName ?? "";
    this.#repo.require(s, name);
    const uploadId = i.uploadId ?? "";
    try {
      const r = await this.#registry.completeUpload(s, name, uploadId, i.layerDigests?.[0] ?? "");
      return { registryId: s.accountId, repositoryName: name, uploadId, layerDigest: r.digest };
    } catch (err) {
      throw this.#uploadError(err, uploadId);
    }
  }

  /** A registry upload failure → ECR's exception for it. */
  #uploadError(err: unknown, uploadId: string): unknown {
    const r = this.#registry.rejection(err);
    if (!r) return err;
    if (r.code === "BLOB_UPLOAD_UNKNOWN") return uploadNotFound(uploadId);
    if (r.code === "DIGEST_INVALID") return invalidLayer();
    if (r.code === "RANGE_INVALID" || r.code === "BLOB_UPLOAD_INVALID") return invalidLayerPart(r.message);
    return invalidParameter(r.message);
  }
}
