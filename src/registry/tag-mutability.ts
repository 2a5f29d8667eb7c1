/**
 * ECR tag mutability, enforced on every push path (registry manifest PUT and ECR PutImage).
 * Settings live in the repository's `doc`: imageTagMutability MUTABLE | IMMUTABLE |
 * IMMUTABLE_WITH_EXCLUSION | MUTABLE_WITH_EXCLUSION, with imageTagMutabilityExclusionFilters
 * [{ filterType: "WILDCARD", filter }] for the *_WITH_EXCLUSION modes.
 */
import { compileGlob } from "../core/glob.ts";

export interface MutabilitySettings {
  readonly imageTagMutability?: string | undefined;
  readonly imageTagMutabilityExclusionFilters?: readonly { readonly filter?: string | undefined }[] | undefined;
}

/** Whether an existing `tag` may be moved to another image in a repository with these settings. */
export function tagIsMutable(doc: MutabilitySettings, tag: string): boolean {
  const m = doc.imageTagMutability ?? "MUTABLE";
  const excluded = (doc.imageTagMutabilityExclusionFilters ?? []).some((f) => compileGlob(f.filter ?? "").matches(tag));
  if (m === "IMMUTABLE") return false;
  if (m === "IMMUTABLE_WITH_EXCLUSION") return excluded;
  if (m === "MUTABLE_WITH_EXCLUSION") return !excluded;
  return true;
}
