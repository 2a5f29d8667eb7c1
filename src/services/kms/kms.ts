/**
 * The KMS domain, assembled: keys and their material (keys.ts), aliases, cryptographic operations,
 * tags through the shared Tagging. What the handlers and the other services' ports (Secrets
 * Manager's envelope encryption, SSM SecureStrings) use; knows nothing of HTTP.
 */
import type * as kms from "@aws-sdk/client-kms";
import type { Scope } from "../../core/arn.ts";
import { offsetPage } from "../common/paginate.ts";
import { type Tag, Tagging, tagShape } from "../common/tagging.ts";
import { Aliases } from "./aliases.ts";
import type { KmsDeps } from "./context.ts";
import { Crypto } from "./crypto.ts";
import { constraint, invalidMarker, keyNotFound, pendingDeletion, tagError } from "./errors.ts";
import { Keys } from "./keys.ts";
import { KmsRepo } from "./repo.ts";

export const kmsTags = tagShape("TagKey", "TagValue");

/** KMS's tag rules (https://docs.aws.amazon.com/kms/latest/developerguide/tagging-keys.html). */
function checkTags(added: readonly Tag[], merged: readonly Tag[]): void {
  const seen = new Set<string>();
  added.forEach((t, i) => {
    if (t.key.length < 1 || t.key.length > 128)
      throw constraint(t.key, `tags.${i + 1}.member.tagKey`, "Member must have length less than or equal to 128");
    if (t.value.length > 256) throw constraint(t.value, `tags.${i + 1}.member.tagValue`, "Member must have length less than or equal to 256");
    if (t.key.startsWith("aws:")) throw tagError("Tags beginning with aws: are reserved");
    if (seen.has(t.key)) throw tagError("Duplicate tag keys");
    seen.add(t.key);
  });
  if (merged.length > 50) throw tagError("Too many tags");
}

export class Kms {
  readonly deps: KmsDeps;
  readonly repo: KmsRepo;
  readonly keys: Keys;
  readonly aliases: Aliases;
  readonly crypto: Crypto;
  readonly tagging: Tagging;

  constructor(deps: KmsDeps) {
    this.deps = deps;
    this.repo = new KmsRepo(deps.store);
    this.keys = new Keys(deps, this.repo);
    this.aliases = new Aliases(deps, this.repo, this.keys);
    this.crypto = new Crypto(this.keys);
    this.tagging = new Tagging(deps.store, {
      resolve: (arn) => {
        if (!this.repo.keyByArn(arn)) throw keyNotFound(arn);
        return arn;
      },
      validate: checkTags,
    });
  }

  createKey(scope: Scope, input: kms.CreateKeyRequest): kms.KeyMetadata {
    const tags = kmsTags.read(input.Tags);
    checkTags(tags, tags);
    return this.deps.store.tx(() => {
      const k = this.keys.create(scope, input);
      this.tagging.set(k.arn, tags);
      return this.keys.metadata(k);
    });
  }

  listKeys(scope: Scope, input: kms.ListKeysRequest): kms.ListKeysResponse {
    const limit = input.Limit ?? 1000;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
      throw constraint(limit, "limit", `Member must have value ${limit < 1 ? "greater than or equal to 1" : "less than or equal to 1000"}`);
    const page = offsetPage(this.keys.list(scope), limit, input.Marker, invalidMarker);
    const Keys = page.items.map((k) => ({ KeyId: k.key_id, KeyArn: k.arn }));
    return page.next ? { Keys, NextMarker: page.next, Truncated: true } : { Keys, Truncated: false };
  }

  tag(scope: Scope, keyId: string | undefined, tags: readonly Tag[]): void {
    const k = this.keys.resolve(scope, keyId, { aliases: false });
    if (k.state === "PendingDeletion") throw pendingDeletion(k.arn);
    this.tagging.tag(k.arn, tags);
  }

  untag(scope: Scope, keyId: string | undefined, keys: readonly string[]): void {
    const k = this.keys.resolve(scope, keyId, { aliases: false });
    if (k.state === "PendingDeletion") throw pendingDeletion(k.arn);
    this.tagging.untag(k.arn, keys);
  }

  listTags(scope: Scope, input: kms.ListResourceTagsRequest): kms.ListResourceTagsResponse {
    const limit = input.Limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > 50)
      throw constraint(limit, "limit", `Member must have value ${limit < 1 ? "greater than or equal to 1" : "less than or equal to 50"}`);
    const k = this.keys.resolve(scope, input.KeyId, { aliases: false });
    const page = offsetPage(this.tagging.list(k.arn), limit, input.Marker, invalidMarker);
    const Tags = kmsTags.write(page.items);
    return page.next ? { Tags, NextMarker: page.next, Truncated: true } : { Tags, Truncated: false };
  }

  /** One pass of the periodic job: automatic rotations that are due, then keys whose deletion date passed. */
  maintain(): { rotated: number; deleted: number } {
    return { rotated: this.keys.rotateDue(), deleted: this.keys.purgeDeleted() };
  }
}
