/**
 * EC2 tags: kept in the shared `tags` table under the resource's ARN
 * (arn:aws:ec2:REGION:ACCOUNT:TYPE/ID); CreateTags / DeleteTags / DescribeTags and the
 * TagSpecifications of create calls.
 */
import type { DescribeTagsRequest, Tag as Ec2Tag, TagDescription, TagSpecification } from "@aws-sdk/client-ec2";
import { arn, type Scope } from "../../core/arn.ts";
import type { Store } from "../../store/store.ts";
import { getTags, removeTags, setTags, deleteAllTags, type Tag } from "../../store/tags.ts";
import { invalidParameterValue, notFound } from "./errors.ts";
import { applyFilters } from "./filters.ts";
import type { Ec2Repo, ResourceType } from "./repo.ts";

const PREFIX_TYPES: Record<string, ResourceType> = {
  vpc: "vpc",
  subnet: "subnet",
  sg: "security-group",
  igw: "internet-gateway",
  rtb: "route-table",
  eni: "network-interface",
  dopt: "dhcp-options",
};

export const typeOfId = (id: string): ResourceType | undefined => PREFIX_TYPES[id.slice(0, id.indexOf("-"))];

export const resourceArn = (scope: Scope, type: ResourceType, id: string): string => arn("ec2", scope, `${type}/${id}`);

export const toEc2Tags = (tags: readonly Tag[]): Ec2Tag[] => tags.map((t) => ({ Key: t.key, Value: t.value }));

/** `{...doc, Tags}` with Tags omitted when there are none (AWS leaves tagSet out). */
export function withTags<T extends object>(doc: T, tags: readonly Tag[]): T & { Tags?: Ec2Tag[] } {
  return tags.length ? { ...doc, Tags: toEc2Tags(tags) } : doc;
}

export class Tagging {
  readonly #store: Store;
  readonly #repo: Ec2Repo;
  constructor(store: Store, repo: Ec2Repo) {
    this.#store = store;
    this.#repo = repo;
  }

  of(scope: Scope, id: string): Tag[] {
    const type = typeOfId(id);
    return type ? getTags(this.#store, resourceArn(scope, type, id)) : [];
  }

  set(scope: Scope, id: string, tags: readonly Ec2Tag[]): void {
    const type = typeOfId(id)!;
    for (const t of tags) {
      if (!t.Key) throw invalidParameterValue("Tag key cannot be empty");
      if (t.Key.toLowerCase().startsWith("aws:")) throw invalidParameterValue("Tag keys starting with 'aws:' are reserved for internal use");
    }
    setTags(this.#store, resourceArn(scope, type, id), tags.map((t) => ({ key: t.Key!, value: t.Value ?? "" })));
  }

  /** The tags of the TagSpecifications aimed at `type` (or with no ResourceType). */
  applySpecs(scope: Scope, id: string, type: ResourceType, specs: readonly TagSpecification[] | undefined): void {
    const tags = (specs ?? []).filter((s) => !s.ResourceType || s.ResourceType === type).flatMap((s) => s.Tags ?? []);
    if (tags.length) this.set(scope, id, tags);
  }

  dropAll(scope: Scope, id: string): void {
    const type = typeOfId(id);
    if (type) deleteAllTags(this.#store, resourceArn(scope, type, id));
  }

  createTags(scope: Scope, resources: readonly string[], tags: readonly Ec2Tag[]): void {
    this.#store.tx(() => {
      for (const id of resources) this.#require(scope, id);
      for (const id of resources) this.set(scope, id, tags);
    });
  }

  /** DeleteTags: a tag given with a Value is removed only when the value matches. */
  deleteTags(scope: Scope, resources: readonly string[], tags: readonly Ec2Tag[] | undefined): void {
    this.#store.tx(() => {
      for (const id of resources) this.#require(scope, id);
      for (const id of resources) {
        const current = this.of(scope, id);
        const keys = tags?.length
          ? tags.filter((t) => current.some((c) => c.key === t.Key && (t.Value === undefined || t.Value === c.value))).map((t) => t.Key!)
          : current.map((c) => c.key);
        removeTags(this.#store, resourceArn(scope, typeOfId(id)!, id), keys);
      }
    });
  }

  describe(scope: Scope, input: DescribeTagsRequest): TagDescription[] {
    const prefix = arn("ec2", scope, "");
    const rows = this.#store
      .prepare("SELECT arn, key, value FROM tags WHERE arn LIKE ? ESCAPE '\\' ORDER BY arn, position")
      .all(`${prefix.replace(/[%_\\]/g, "\\$&")}%`) as { arn: string; key: string; value: string }[];
    const all: TagDescription[] = rows.map((r) => {
      const [type, id] = r.arn.slice(prefix.length).split("/") as [string, string];
      return { Key: r.key, Value: r.value, ResourceId: id, ResourceType: type as TagDescription["ResourceType"] };
    });
    return applyFilters(
      all,
      input.Filters,
      {
        "resource-id": (t) => t.ResourceId,
        "resource-type": (t) => t.ResourceType,
        key: (t) => t.Key,
        value: (t) => t.Value,
      },
      (t) => [{ key: t.Key!, value: t.Value! }],
    );
  }

  #require(scope: Scope, id: string): void {
    const type = typeOfId(id);
    if (!type) throw invalidParameterValue(`Invalid id: "${id}"`);
    if (!this.#repo.get(scope, id)) notFound(id.slice(0, id.indexOf("-")), id);
  }
}
