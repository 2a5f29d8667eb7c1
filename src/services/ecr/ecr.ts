/**
 * The ECR domain, assembled: repositories, images, layers and policies over Slipway's OCI
 * registry, reached only through the RegistryPort (ports.ts). Knows nothing of HTTP.
 */
import { Tagging } from "../common/tagging.ts";
import type { EcrDeps } from "./context.ts";
import { Images } from "./images.ts";
import { Layers } from "./layers.ts";
import { Policies } from "./policies.ts";
import { EcrRepo } from "./repo.ts";
import { Repositories, taggableRepository } from "./repositories.ts";

export class Ecr {
  readonly deps: EcrDeps;
  readonly repo: EcrRepo;
  readonly tagging: Tagging;
  readonly repositories: Repositories;
  readonly images: Images;
  readonly layers: Layers;
  readonly policies: Policies;

  constructor(deps: EcrDeps) {
    this.deps = deps;
    this.repo = new EcrRepo(deps.store, deps.registry);
    this.tagging = new Tagging(deps.store, { resolve: (arn) => taggableRepository(this.repo, arn) });
    this.repositories = new Repositories(deps, this.repo, this.tagging);
    this.images = new Images(deps, this.repo);
    this.layers = new Layers(deps, this.repo);
    this.policies = new Policies(deps, this.repo);
  }

  /** One scheduled lifecycle-policy run over every repository (src/server schedules it). */
  runLifecycle(): { expired: number } {
    return this.policies.runLifecycle();
  }
}
