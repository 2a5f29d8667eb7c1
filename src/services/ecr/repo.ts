/**
 * ECR's storage. ECR has no tables of its own: its repositories and images are the registry's
 * records (reached through the RegistryPort), and its per-repository settings live in the
 * repository's free-form `doc` as a RepoDoc. This is the one place that reads and writes that doc.
 */
import type { Scope } from "../../core/arn.ts";
import type { Store } from "../../store/store.ts";
import { repositoryNotFound } from "./errors.ts";
import type { RegistryPort, StoredRepository } from "./ports.ts";

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

/** A copy of the repository's ECR settings (changing it changes nothing stored). */
export function docOf(r: StoredRepository): RepoDoc {
  return structuredClone(r.doc) as RepoDoc;
}

export class EcrRepo {
  readonly #store: Store;
  readonly #registry: RegistryPort;

  constructor(store: Store, registry: RegistryPort) {
    this.#store = store;
    this.#registry = registry;
  }

  /** The repository, or RepositoryNotFoundException. */
  require(scope: Scope, name: string): StoredRepository {
    const r = this.#registry.getRepository(scope, name);
    if (!r) throw repositoryNotFound(name, scope.accountId);
    return r;
  }

  /** Changes the repository's settings in one transaction (RepositoryNotFoundException if it is gone). */
  updateDoc(scope: Scope, name: string, fn: (d: RepoDoc) => void): void {
    this.#store.tx(() => {
      const d = docOf(this.require(scope, name));
      fn(d);
      this.writeDoc(scope, name, d);
    });
  }

  writeDoc(scope: Scope, name: string, doc: RepoDoc): void {
    this.#registry.updateRepositoryDoc(scope, name, doc as Record<string, unknown>);
  }
}
