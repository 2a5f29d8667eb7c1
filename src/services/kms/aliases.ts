/**
 * KMS aliases: friendly names (alias/…) for keys. Rules from
 * https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateAlias.html and
 * https://docs.aws.amazon.com/kms/latest/APIReference/API_ListAliases.html: names start with
 * "alias/", "alias/aws/" is reserved for AWS managed keys, and those predefined aliases are listed
 * without a TargetKeyId until their key exists.
 */
import type * as kms from "@aws-sdk/client-kms";
import type { Scope } from "../../core/arn.ts";
import { offsetPage } from "../common/paginate.ts";
import type { KmsDeps } from "./context.ts";
import { aliasExists, aliasNotFound, constraint, invalidMarker, notAuthorized, pendingDeletion, unsupported, validation } from "./errors.ts";
import { aliasArn, type Keys, MANAGED_KEYS } from "./keys.ts";
import type { KmsRepo } from "./repo.ts";

const ALIAS_NAME = /^[a-zA-Z0-9:/_-]+$/;

function checkName(name: string | undefined, owned: boolean): string {
  const n = name ?? "";
  if (n.length < 1 || n.length > 256) throw constraint(n, "aliasName", "Member must have length between 1 and 256");
  if (!ALIAS_NAME.test(n)) throw constraint(n, "aliasName", "Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$");
  if (!n.startsWith("alias/"))
    throw validation('Alias must start with the prefix "alias/". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html');
  if (owned && n.startsWith("alias/aws/")) throw notAuthorized(`The alias prefix alias/aws/ is reserved for AWS managed keys: ${n}`);
  return n;
}

export class Aliases {
  readonly #deps: KmsDeps;
  readonly #repo: KmsRepo;
  readonly #keys: Keys;

  constructor(deps: KmsDeps, repo: KmsRepo, keys: Keys) {
    this.#deps = deps;
    this.#repo = repo;
    this.#keys = keys;
  }

  create(scope: Scope, aliasName: string | undefined, targetKeyId: string | undefined): void {
    const name = checkName(aliasName, true);
    this.#deps.store.tx(() => {
      const k = this.#target(scope, targetKeyId);
      if (this.#repo.alias(scope, name)) throw aliasExists(aliasArn(scope, name));
      const now = this.#deps.clock.now();
      this.#repo.insertAlias({ account: scope.accountId, region: scope.region, name, target_key_id: k.key_id, created_at: now, updated_at: now });
    });
  }

  update(scope: Scope, aliasName: string | undefined, targetKeyId: string | undefined): void {
    const name = checkName(aliasName, true);
    this.#deps.store.tx(() => {
      if (!this.#repo.alias(scope, name)) throw aliasNotFound(aliasArn(scope, name));
      const k = this.#target(scope, targetKeyId);
      this.#repo.retarget(scope, name, k.key_id, this.#deps.clock.now());
    });
  }

  delete(scope: Scope, aliasName: string | undefined): void {
    const name = checkName(aliasName, true);
    this.#deps.store.tx(() => {
      if (!this.#repo.alias(scope, name)) throw aliasNotFound(aliasArn(scope, name));
      this.#repo.deleteAlias(scope, name);
    });
  }

  #target(scope: Scope, targetKeyId: string | undefined) {
    const k = this.#keys.resolve(scope, targetKeyId, { aliases: false });
    if (k.manager === "AWS") throw unsupported(`An alias cannot point at the AWS managed key ${k.arn}.`);
    if (k.state === "PendingDeletion") throw pendingDeletion(k.arn);
    return k;
  }

  list(scope: Scope, input: kms.ListAliasesRequest): kms.ListAliasesResponse {
    const limit = input.Limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > 100)
      throw constraint(limit, "limit", `Member must have value ${limit < 1 ? "greater than or equal to 1" : "less than or equal to 100"}`);
    const live = new Set(this.#keys.list(scope).map((k) => k.key_id));
    let entries: kms.AliasListEntry[] = this.#repo
      .aliases(scope)
      .filter((a) => live.has(a.target_key_id))
      .map((a) => ({
        AliasName: a.name,
        AliasArn: aliasArn(scope, a.name),
        TargetKeyId: a.target_key_id,
        CreationDate: new Date(a.created_at),
        LastUpdatedDate: new Date(a.updated_at),
      }));
    if (input.KeyId !== undefined) {
      const k = this.#keys.resolve(scope, input.KeyId, { aliases: false });
      entries = entries.filter((e) => e.TargetKeyId === k.key_id);
    } else {
      const named = new Set(entries.map((e) => e.AliasName));
      for (const name of Object.keys(MANAGED_KEYS)) if (!named.has(name)) entries.push({ AliasName: name, AliasArn: aliasArn(scope, name) });
      entries.sort((a, b) => (a.AliasName! < b.AliasName! ? -1 : 1));
    }
    const page = offsetPage(entries, limit, input.Marker, invalidMarker);
    return page.next ? { Aliases: page.items, NextMarker: page.next, Truncated: true } : { Aliases: page.items, Truncated: false };
  }
}
