/**
 * ECR tag mutability, enforced on every push path (registry manifest PUT and ECR PutImage).
 * Settings live in the repository's `doc`: imageTagMutability MUTABLE | IMMUTABLE |
 * IMMUTABLE_WITH_EXCLUSION | MUTABLE_WITH_EXCLUSION, with imageTagMutabilityExclusionFilters
 * [{ filterType: "WILDCARD", filter }] for the *_WITH_EXCLUSION modes.
 */
export interface MutabilitySettings {
  readonly imageTagMutability?: string | undefined;
  readonly imageTagMutabilityExclusionFilters?: readonly { readonly filter?: string | undefined }[] | undefined;
}

/** A tag pattern (`*` matches any run of characters, everything else literally) as a RegExp. */
function wildcard(pattern: string): RegExp {
  return new RegExp(`^${pattern.split("*").map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
}

/** Whether an existing `tag` may be moved to another image in a repository with these settings. */
export function tagIsMutable(doc: MutabilitySettings, tag: string): boolean {
  const m = doc.imageTagMutability ?? "MUTABLE";
  const excluded = (doc.imageTagMutabilityExclusionFilters ?? []).some((f) => wildcard(f.filter ?? "").test(tag));
  if (m === "IMMUTABLE") return false;
  if (m === "IMMUTABLE_WITH_EXCLUSION") return excluded;
  if (m === "MUTABLE_WITH_EXCLUSION") return !excluded;
  return true;
}
