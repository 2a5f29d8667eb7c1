/**
 * EC2 tags over the shared `Tagging` (src/services/common/tagging.ts), kept under the resource's
 * ARN (arn:aws:ec2:REGION:ACCOUNT:TYPE/ID). EC2 names resources by id rather than ARN, so this thin
 * layer maps ids to ARNs for CreateTags / DeleteTags and the TagSpecifications of create calls, and
 * lists a scope's tags by filter for DescribeTags.
 */
import type { DescribeTagsRequest, Tag as Ec2Tag, TagDescription, TagSpecification } from "@aws-sdk/client-ec2";
import { arn, parseArn, type Scope } from "../../core/arn.ts";
import type { Store } from "../../store/store.ts";
import { type Tag, Tagging, tagShape } from "../common/tagging.ts";
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
  nat: "natgateway",
  eipalloc: "elastic-ip",
  vpce: "vpc-endpoint",
  pl: "prefix-list",
  acl: "network-acl",
};

/** EC2 spells tags `{ Key, Value }`. */
export const ec2Tags = tagShape("Key", "Value");

export const typeOfId = (id: string): ResourceType | undefined => PREFIX_TYPES[id.slice(0, id.indexOf("-"))];

export const resourceArn = (scope: Scope, type: ResourceType, id: string): string => arn("ec2", scope, `${type}/${id}`);

/** `{...doc, Tags}` with Tags omitted when there are none (AWS leaves tagSet out). */
export function withTags<T extends object>(doc: T, tags: readonly Tag[]): T & { Tags?: Ec2Tag[] } {
  return tags.length ? { ...doc, Tags: ec2Tags.write(tags) } : doc;
}

/** EC2's rule for tag keys: not empty, and `aws:` is reserved. */
function checkKeys(added: readonly Tag[]): void {
  for (const t of added) {
    if (!t.key) throw invalidParameterValue("Tag key cannot be empty");
    if (t.key.toLowerCase().startsWith("aws:")) throw invalidParameterValue("Tag keys starting with 'aws:' are reserved for internal use");
  }
}

export class Ec2Tags {
  readonly #store: Store;
  readonly #repo: Ec2Repo;
  readonly #tagging: Tagging;

  constructor(store: Store, repo: Ec2Repo) {
    this.#store = store;
    this.#repo = repo;
    this.#tagging = new Tagging(store, { resolve: (a) => this.#resolve(a), validate: checkKeys });
  }

  of(scope: Scope, id: string): Tag[] {
    const type = typeOfId(id);
    return type ? this.#tagging.of(resourceArn(scope, type, id)) : [];
  }

  /** The tags of the TagSpecifications aimed at `type` (or with no ResourceType), on a resource just made. */
  applySpecs(scope: Scope, id: string, type: ResourceType, specs: readonly TagSpecification[] | undefined): void {
    const tags = (specs ?? []).filter((s) => !s.ResourceType || s.ResourceType === type).flatMap((s) => s.Tags ?? []);
    if (tags.length) this.#tagging.tag(this.#arnOf(scope, id), ec2Tags.read(tags));
  }

  dropAll(scope: Scope, id: string): void {
    const type = typeOfId(id);
    if (type) this.#tagging.clear(resourceArn(scope, type, id));
  }

  /** CreateTags: every resource must exist before any is tagged. */
  createTags(scope: Scope, resources: readonly string[], tags: readonly Ec2Tag[]): void {
    this.#store.tx(() => {
      const arns = resources.map((id) => this.#arnOf(scope, id));
      for (const a of arns) this.#tagging.tag(a, ec2Tags.read(tags));
    });
  }

  /** DeleteTags: a tag given with a Value is removed only when the value matches; no tags given removes all. */
  deleteTags(scope: Scope, resources: readonly string[], tags: readonly Ec2Tag[] | undefined): void {
    this.#store.tx(() => {
      const arns = resources.map((id) => this.#arnOf(scope, id));
      for (const a of arns) {
        const current = this.#tagging.list(a);
        const keys = tags?.length
          ? tags.filter((t) => current.some((c) => c.key === t.Key && (t.Value === undefined || t.Value === c.value))).map((t) => t.Key!)
          : current.map((c) => c.key);
        this.#tagging.untag(a, keys);
      }
    });
  }

  /** DescribeTags: every tag of the scope's EC2 resources, by ARN then position, filtered. */
  describe(scope: Scope, input: DescribeTagsRequest): TagDescription[] {
    const prefix = arn("ec2", scope, "");
    const all: TagDescription[] = this.#repo.tagsUnder(prefix).map((r) => {
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

  /** The ARN of an existing resource named by id, else InvalidParameterValue (unknown kind) or its NotFound. */
  #arnOf(scope: Scope, id: string): string {
    const type = typeOfId(id);
    if (!type) throw invalidParameterValue(`Invalid id: "${id}"`);
    return this.#resolve(resourceArn(scope, type, id));
  }

  /** Tagging's rule: the ARN names an existing EC2 resource of its account and region. */
  #resolve(resource: string): string {
    const p = parseArn(resource);
    const id = p?.resource.split("/")[1] ?? "";
    if (!p || !typeOfId(id)) throw invalidParameterValue(`Invalid id: "${id}"`);
    if (!this.#repo.get({ accountId: p.accountId, region: p.region }, id)) notFound(id.slice(0, id.indexOf("-")), id);
    return resource;
  }
}
