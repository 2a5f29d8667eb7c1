/**
 * IAM tags through the shared `Tagging` (src/services/common/tagging.ts): roles, users,
 * customer-managed policies and instance profiles, spelled `{ Key, Value }`. IAM's limits are the
 * validate rule: tag keys are case-insensitive, so one request may not repeat a key in another
 * case, and a resource holds at most 50 tags
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_tags.html,
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html).
 */
import type { Tag as IamTag } from "@aws-sdk/client-iam";
import { parseArn } from "../../core/arn.ts";
import type { Store } from "../../store/store.ts";
import { type Tag, Tagging, tagShape } from "../common/tagging.ts";
import { invalidInput, limitExceeded, noSuchEntity } from "./errors.ts";
import type { EntityTable, IamRepo } from "./repo.ts";

export const iamTags = tagShape("Key", "Value");

const MAX_TAGS = 50;

/** The ARN resource types IAM tags here, and where each is stored. */
const TAGGABLE: Readonly<Record<string, EntityTable>> = {
  role: "iam_roles",
  user: "iam_users",
  policy: "iam_policies",
  "instance-profile": "iam_instance_profiles",
  "oidc-provider": "iam_oidc_providers",
};

export function iamTagging(store: Store, repo: IamRepo): Tagging {
  return new Tagging(store, {
    resolve: (arn) => {
      const p = parseArn(arn);
      const table = p?.service === "iam" ? TAGGABLE[p.resource.split("/")[0] ?? ""] : undefined;
      if (!table || !repo.getByArn(table, arn)) throw noSuchEntity(`The resource ${arn} cannot be found.`);
      return arn;
    },
    validate: (added, merged) => {
      const keys = new Set<string>();
      for (const t of added) {
        const lower = t.key.toLowerCase();
        if (keys.has(lower)) throw invalidInput("Duplicate tag keys found. Please note that Tag keys are case insensitive.");
        keys.add(lower);
      }
      if (merged.length > MAX_TAGS) throw limitExceeded("The number of tags has reached the maximum limit.");
    },
  });
}

/** The tags of a resource being created (its earlier namesake's are dropped first), checked as TagRole checks them. */
export function tagNew(tagging: Tagging, arn: string, tags: readonly IamTag[] | undefined): void {
  tagging.clear(arn);
  if (tags?.length) tagging.tag(arn, iamTags.read(tags));
}

/** `doc` with its tags, Tags omitted when there are none. */
export function withTags<T extends { Arn?: string | undefined }>(tagging: Tagging, doc: T): T & { Tags?: IamTag[] } {
  const tags: Tag[] = tagging.of(doc.Arn!);
  return tags.length ? { ...doc, Tags: iamTags.write(tags) } : doc;
}
