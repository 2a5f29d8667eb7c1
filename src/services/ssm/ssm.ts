/**
 * The SSM Parameter Store domain, assembled: parameters (parameters.ts), labels, AWS's public
 * parameters, tags through the shared Tagging. What the handlers and ECS's secret resolution
 * (src/server/ports.ts) use; knows nothing of HTTP. Only Parameter Store is served of SSM.
 */
import type * as ssm from "@aws-sdk/client-ssm";
import type { Scope } from "../../core/arn.ts";
import { type Tag, Tagging, tagShape } from "../common/tagging.ts";
import type { SsmDeps } from "./context.ts";
import { constraint, invalidResourceId, invalidResourceType, tooManyTags } from "./errors.ts";
import { Labels } from "./labels.ts";
import { checkReadName, keyOf, parameterArn } from "./names.ts";
import { Parameters } from "./parameters.ts";
import { SsmRepo } from "./repo.ts";

export const ssmTags = tagShape("Key", "Value");

function checkTags(added: readonly Tag[], merged: readonly Tag[]): void {
  added.forEach((t, i) => {
    if (t.key.length < 1 || t.key.length > 128) throw constraint(t.key, `tags.${i + 1}.member.key`, "Member must have length between 1 and 128");
    if (t.value.length > 256) throw constraint(t.value, `tags.${i + 1}.member.value`, "Member must have length less than or equal to 256");
  });
  if (merged.length > 50) throw tooManyTags();
}

export class Ssm {
  readonly deps: SsmDeps;
  readonly repo: SsmRepo;
  readonly tagging: Tagging;
  readonly parameters: Parameters;
  readonly labels: Labels;

  constructor(deps: SsmDeps) {
    this.deps = deps;
    this.repo = new SsmRepo(deps.store);
    this.tagging = new Tagging(deps.store, { resolve: (arn) => arn, validate: checkTags });
    this.parameters = new Parameters(deps, this.repo, this.tagging);
    this.labels = new Labels(deps, this.repo);
  }

  /** The ARN tags of a parameter live under; ResourceType must be "Parameter". */
  #taggable(scope: Scope, resourceType: string | undefined, resourceId: string | undefined): string {
    if (resourceType !== "Parameter") throw invalidResourceType();
    let name: string;
    try {
      name = checkReadName(resourceId);
    } catch {
      throw invalidResourceId();
    }
    const p = this.repo.parameter(scope, keyOf(name));
    if (!p) throw invalidResourceId();
    return parameterArn(scope, p.name);
  }

  addTags(scope: Scope, input: ssm.AddTagsToResourceRequest): void {
    const tags = ssmTags.read(input.Tags);
    this.tagging.tag(this.#taggable(scope, input.ResourceType, input.ResourceId), tags);
  }

  removeTags(scope: Scope, input: ssm.RemoveTagsFromResourceRequest): void {
    this.tagging.untag(this.#taggable(scope, input.ResourceType, input.ResourceId), input.TagKeys ?? []);
  }

  listTags(scope: Scope, input: ssm.ListTagsForResourceRequest): ssm.Tag[] {
    return ssmTags.write(this.tagging.list(this.#taggable(scope, input.ResourceType, input.ResourceId)));
  }
}
