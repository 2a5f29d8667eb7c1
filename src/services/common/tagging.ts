/**
 * Resource tags, shared by every service: one store (the `tags` table, keyed by ARN, in the order
 * keys were first set) and one set of operations over it. Services differ only in how tags look on
 * the wire (`{key, value}`, `{Key, Value}`, `{TagKey, TagValue}`, or a map), in how an ARN is checked
 * to name one of their resources, and in their errors for bad tags.
 */
import type { Store } from "../../store/store.ts";
import { deleteAllTags, getTags, removeTags, setTags, type Tag } from "../../store/tags.ts";

export type { Tag } from "../../store/tags.ts";

/** How a service spells a tag on the wire: a list of records with these two member names. */
export interface TagShape<K extends string, V extends string> {
  /** Wire tags → stored tags (a missing value is ""). */
  read(tags: readonly Partial<Record<K | V, string>>[] | undefined): Tag[];
  /** Stored tags → wire tags. */
  write(tags: readonly Tag[]): Record<K | V, string>[];
}

export function tagShape<K extends string, V extends string>(key: K, value: V): TagShape<K, V> {
  return {
    read: (tags) => (tags ?? []).map((t) => ({ key: t[key] ?? "", value: t[value] ?? "" })),
    write: (tags) => tags.map((t) => ({ [key]: t.key, [value]: t.value }) as Record<K | V, string>),
  };
}

/** `{ key: value }` maps (CloudWatch Logs, Application Auto Scaling). */
export const tagMap = {
  read: (tags: Readonly<Record<string, string>> | undefined): Tag[] => Object.entries(tags ?? {}).map(([key, value]) => ({ key, value })),
  write: (tags: readonly Tag[]): Record<string, string> => Object.fromEntries(tags.map((t) => [t.key, t.value])),
};

export interface TaggingRules {
  /** Checks that `arn` names a taggable resource of the service, and returns the ARN tags are kept under; throws the service's not-found error. */
  resolve(arn: string): string;
  /** Checks the tags being added against the service's limits (merged is what the resource would hold); throws the service's error. */
  validate?(added: readonly Tag[], merged: readonly Tag[]): void;
}

/** Tag / untag / list over the shared store, for one service's rules. */
export class Tagging {
  readonly #store: Store;
  readonly #rules: TaggingRules;

  constructor(store: Store, rules: TaggingRules) {
    this.#store = store;
    this.#rules = rules;
  }

  tag(resourceArn: string, tags: readonly Tag[]): void {
    const arn = this.#rules.resolve(resourceArn);
    this.#store.tx(() => {
      if (this.#rules.validate) {
        const merged = new Map(getTags(this.#store, arn).map((t) => [t.key, t.value]));
        for (const t of tags) merged.set(t.key, t.value);
        this.#rules.validate(tags, [...merged].map(([key, value]) => ({ key, value })));
      }
      setTags(this.#store, arn, tags);
    });
  }

  untag(resourceArn: string, keys: readonly string[]): void {
    removeTags(this.#store, this.#rules.resolve(resourceArn), keys);
  }

  list(resourceArn: string): Tag[] {
    return getTags(this.#store, this.#rules.resolve(resourceArn));
  }

  /** Tags of a resource already known to exist (no resolve). */
  of(arn: string): Tag[] {
    return getTags(this.#store, arn);
  }

  /** Sets tags of a resource being created, inside its transaction (no resolve). */
  set(arn: string, tags: readonly Tag[]): void {
    if (tags.length) setTags(this.#store, arn, tags);
  }

  /** Drops every tag of a deleted resource. */
  clear(arn: string): void {
    deleteAllTags(this.#store, arn);
  }
}
