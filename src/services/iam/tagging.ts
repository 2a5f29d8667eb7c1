/** IAM tags (Key/Value) over the shared tags table, with IAM's limits. */
import type { Tag } from "@aws-sdk/client-iam";
import type { Store } from "../../store/store.ts";
import { getTags, removeTags, setTags } from "../../store/tags.ts";
import type { TagInput } from "./context.ts";
import { invalidInput, limitExceeded } from "./errors.ts";

export function readTags(store: Store, arn: string): Tag[] {
  return getTags(store, arn).map((t) => ({ Key: t.key, Value: t.value }));
}

export function writeTags(store: Store, arn: string, tags: readonly TagInput[] | undefined): void {
  if (!tags?.length) return;
  const keys = new Set<string>();
  for (const t of tags) {
    const lower = (t.Key ?? "").toLowerCase();
    if (keys.has(lower)) throw invalidInput("Duplicate tag keys found. Please note that Tag keys are case insensitive.");
    keys.add(lower);
  }
  const existing = new Set(getTags(store, arn).map((t) => t.key));
  const total = new Set([...existing, ...tags.map((t) => t.Key ?? "")]).size;
  if (total > 50) throw limitExceeded("The number of tags has reached the maximum limit.");
  setTags(store, arn, tags.map((t) => ({ key: t.Key ?? "", value: t.Value ?? "" })));
}

export function untag(store: Store, arn: string, keys: readonly string[] | undefined): void {
  removeTags(store, arn, keys ?? []);
}
