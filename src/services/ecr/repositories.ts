/**
 * ECR repositories: create, describe, delete, their settings (tag mutability, scan on push) and
 * the registry they live in. A repository is the registry's own record; ECR's settings are its
 * RepoDoc (repo.ts).
 */
import type * as ecr from "@aws-sdk/client-ecr";
import { arn, parseArn, type Scope } from "../../core/arn.ts";
import type { Tag, Tagging } from "../common/tagging.ts";
import { offsetPage } from "../common/paginate.ts";
import type { EcrDeps } from "./context.ts";
import { KeyUnavailable } from "../common/key-unavailable.ts";
import { badNextToken, invalidParameter, kmsException, repositoryAlreadyExists, repositoryNotEmpty, repositoryNotFound } from "./errors.ts";
import type { StoredRepository } from "./ports.ts";
import { docOf, type EcrRepo, type RepoDoc } from "./repo.ts";

/** ECR's repository name pattern (2–256 characters). */
const ECR_NAME_RE = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

export const repositoryArn = (scope: Scope, name: string) => arn("ecr", scope, `repository/${name}`);

/** The tagging rule: a tag's ARN must name an existing repository; tags are kept under that ARN. */
export function taggableRepository(repo: EcrRepo, resourceArn: string): string {
  const p = parseArn(resourceArn);
  if (!p || p.service !== "ecr" || !p.resource.startsWith("repository/")) {
    throw invalidParameter(`Invalid parameter at 'resourceArn' failed to satisfy constraint: 'Invalid ARN'`);
  }
  repo.require({ accountId: p.accountId, region: p.region }, p.resource.slice("repository/".length));
  return resourceArn;
}

export class Repositories {
  readonly #deps: EcrDeps;
  readonly #repo: EcrRepo;
  readonly #tagging: Tagging;

  constructor(deps: EcrDeps, repo: EcrRepo, tagging: Tagging) {
    this.#deps = deps;
    this.#repo = repo;
    this.#tagging = tagging;
  }

  create(s: Scope, i: ecr.CreateRepositoryRequest, tags: readonly Tag[]): ecr.Repository {
    const name = i.repositoryName ?? "";
    this.#validateName(name);
    const mutability = i.imageTagMutability ?? "MUTABLE";
    const filters = exclusionFilters(i.imageTagMutabilityExclusionFilters);
    checkExclusions(mutability, filters);
    const enc = i.encryptionConfiguration;
    const encryptionType = enc?.encryptionType ?? "AES256";
    if (encryptionType === "AES256" && enc?.kmsKey) throw invalidParameter("Invalid parameter at 'encryptionConfiguration': kmsKey can only be specified when encryptionType is KMS or KMS_DSSE");
    return this.#deps.store.tx(() => {
      const kmsKey = encryptionType === "AES256" ? undefined : this.#kmsKey(s, enc?.kmsKey);
      const doc: RepoDoc = {
        imageTagMutability: mutability,
        ...(filters.length ? { imageTagMutabilityExclusionFilters: filters } : {}),
        scanOnPush: i.imageScanningConfiguration?.scanOnPush ?? false,
        encryptionType,
        ...(kmsKey ? { kmsKey } : {}),
      };
      const { repository, created } = this.#deps.registry.createRepository(s, name, doc as Record<string, unknown>);
      if (!created) throw repositoryAlreadyExists(name, s.accountId);
      this.#tagging.set(repositoryArn(s, name), tags);
      return this.present(repository);
    });
  }

  /** The key a KMS-encrypted repository names (checked with KMS), or aws/ecr's ARN when it names none. */
  #kmsKey(s: Scope, kmsKey: string | undefined): string | undefined {
    const keys = this.#deps.keys;
    if (!keys) return kmsKey;
    try {
      const arn = keys.keyArn(s, kmsKey);
      return kmsKey ?? arn;
    } catch (err) {
      if (err instanceof KeyUnavailable) throw kmsException(err.message, err.code);
      throw err;
    }
  }

  describe(s: Scope, i: ecr.DescribeRepositoriesRequest): ecr.DescribeRepositoriesResponse {
    if (i.repositoryNames?.length) {
      if (i.nextToken !== undefined || i.maxResults !== undefined) throw invalidParameter("maxResults and nextToken can not be used with repositoryNames");
      return { repositories: i.repositoryNames.map((n) => this.present(this.#repo.require(s, n))) };
    }
    const page = offsetPage(this.#deps.registry.listRepositories(s), i.maxResults ?? 1000, i.nextToken, badNextToken);
    return { repositories: page.items.map((r) => this.present(r)), ...(page.next ? { nextToken: page.next } : {}) };
  }

  delete(s: Scope, i: ecr.DeleteRepositoryRequest): ecr.Repository {
    const name = i.repositoryName ?? "";
    return this.#deps.store.tx(() => {
      const out = this.present(this.#repo.require(s, name));
      const result = this.#deps.registry.deleteRepository(s, name, i.force ?? false);
      if (result === "not-found") throw repositoryNotFound(name, s.accountId);
      if (result === "not-empty") throw repositoryNotEmpty(name, s.accountId);
      this.#tagging.clear(repositoryArn(s, name));
      return out;
    });
  }

  putImageTagMutability(s: Scope, i: ecr.PutImageTagMutabilityRequest): ecr.PutImageTagMutabilityResponse {
    const name = i.repositoryName ?? "";
    const mutability = i.imageTagMutability ?? "MUTABLE";
    const filters = exclusionFilters(i.imageTagMutabilityExclusionFilters);
    checkExclusions(mutability, filters);
    this.#repo.updateDoc(s, name, (d) => {
      d.imageTagMutability = mutability;
      if (filters.length) d.imageTagMutabilityExclusionFilters = filters;
      else delete d.imageTagMutabilityExclusionFilters;
    });
    return {
      registryId: s.accountId,
      repositoryName: name,
      imageTagMutability: mutability,
      ...(filters.length ? { imageTagMutabilityExclusionFilters: filters as ecr.ImageTagMutabilityExclusionFilter[] } : {}),
    };
  }

  putImageScanningConfiguration(s: Scope, i: ecr.PutImageScanningConfigurationRequest): ecr.PutImageScanningConfigurationResponse {
    const name = i.repositoryName ?? "";
    const scanOnPush = i.imageScanningConfiguration?.scanOnPush ?? false;
    this.#repo.updateDoc(s, name, (d) => {
      d.scanOnPush = scanOnPush;
    });
    return { registryId: s.accountId, repositoryName: name, imageScanningConfiguration: { scanOnPush } };
  }

  /** The caller's registry: its id is the account; Slipway replicates nothing. */
  describeRegistry(s: Scope): ecr.DescribeRegistryResponse {
    return { registryId: s.accountId, replicationConfiguration: { rules: [] } };
  }

  present(r: StoredRepository): ecr.Repository {
    const d = docOf(r);
    return {
      repositoryArn: repositoryArn(r, r.name),
      registryId: r.accountId,
      repositoryName: r.name,
      repositoryUri: `${this.#deps.registryHost()}/${r.name}`,
      createdAt: new Date(r.createdAt),
      imageTagMutability: (d.imageTagMutability ?? "MUTABLE") as ecr.ImageTagMutability,
      ...(d.imageTagMutabilityExclusionFilters?.length
        ? { imageTagMutabilityExclusionFilters: d.imageTagMutabilityExclusionFilters as ecr.ImageTagMutabilityExclusionFilter[] }
        : {}),
      imageScanningConfiguration: { scanOnPush: d.scanOnPush ?? false },
      encryptionConfiguration: { encryptionType: (d.encryptionType ?? "AES256") as ecr.EncryptionType, ...(d.kmsKey ? { kmsKey: d.kmsKey } : {}) },
    };
  }

  /** ECR's pattern and length, and the registry's own name grammar (which Docker must accept too). */
  #validateName(name: string): void {
    if (name.length < 2 || name.length > 256 || !ECR_NAME_RE.test(name) || !this.#deps.registry.isRepositoryName(name)) {
      throw invalidParameter(
        `Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must satisfy regular expression '(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*''`,
      );
    }
  }
}

function exclusionFilters(filters: ecr.ImageTagMutabilityExclusionFilter[] | undefined): { filterType: string; filter: string }[] {
  return (filters ?? []).map((f) => ({ filterType: f.filterType ?? "WILDCARD", filter: f.filter ?? "" }));
}

function checkExclusions(mutability: string, filters: { filter: string }[]): void {
  const withExclusion = mutability.endsWith("_WITH_EXCLUSION");
  if (withExclusion && filters.length === 0) throw invalidParameter(`imageTagMutabilityExclusionFilters are required when imageTagMutability is ${mutability}`);
  if (!withExclusion && filters.length > 0) throw invalidParameter(`imageTagMutabilityExclusionFilters can only be used when imageTagMutability is MUTABLE_WITH_EXCLUSION or IMMUTABLE_WITH_EXCLUSION`);
}
