/**
 * The ACM domain, assembled: certificates (certificates.ts), the local CA (authority.ts), sealed
 * private keys (keystore.ts), tags through the shared Tagging, and the account configuration.
 */
import { join } from "node:path";
import type { Scope } from "../../core/arn.ts";
import type { Clock } from "../../core/clock.ts";
import type { IdGen } from "../../core/ids.ts";
import type { Store } from "../../store/store.ts";
import { type Tag, Tagging } from "../common/tagging.ts";
import { LocalAuthority } from "./authority.ts";
import { type CertificateUsers, Certificates } from "./certificates.ts";
import { invalidTag, tooManyTags, validation } from "./errors.ts";
import { KeyStore } from "./keystore.ts";
import { AcmRepo } from "./repo.ts";

export interface AcmDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly ids: IdGen;
  /** The data directory: `acm.key` and `acm/` (the local CA) live there. Undefined: in memory only. */
  readonly dataDir: string | undefined;
  readonly log: (message: string) => void;
  /** Who uses certificates (ELBv2's listeners). */
  readonly users?: CertificateUsers;
}

const MAX_TAGS = 50;

export class Acm {
  readonly repo: AcmRepo;
  readonly authority: LocalAuthority;
  readonly certificates: Certificates;
  readonly #store: Store;

  constructor(deps: AcmDeps) {
    this.#store = deps.store;
    this.repo = new AcmRepo(deps.store);
    const keys = deps.dataDir ? KeyStore.fromFile(join(deps.dataDir, "acm.key"), deps.log) : KeyStore.ephemeral();
    this.authority = new LocalAuthority(join(deps.dataDir ?? ".", "acm"), keys, deps.clock, deps.ids);
    this.certificates = new Certificates({
      store: deps.store,
      repo: this.repo,
      clock: deps.clock,
      ids: deps.ids,
      keys,
      authority: this.authority,
      users: () => deps.users,
    });
  }

  /** Tags of `scope`'s certificates (at most 50; keys starting with aws: are AWS's). */
  tagging(scope: Scope): Tagging {
    return new Tagging(this.#store, {
      resolve: (arn) => this.certificates.require(scope, arn).arn,
      validate: (added, merged) => {
        for (const t of added) checkTag(t);
        if (merged.length > MAX_TAGS) throw tooManyTags();
      },
    });
  }

  /** Tags given at creation, checked before anything is created. */
  checkTags(list: readonly Tag[]): void {
    for (const t of list) checkTag(t);
    if (list.length > MAX_TAGS) throw tooManyTags();
  }

  /** RemoveTagsFromCertificate: a tag given with a value goes only when its value matches. */
  removeTags(scope: Scope, arn: string | undefined, tags: readonly { key: string; value: string | undefined }[]): void {
    const tagging = this.tagging(scope);
    const current = new Map(tagging.list(arn ?? "").map((t) => [t.key, t.value]));
    for (const t of tags) checkTag({ key: t.key, value: t.value ?? "" });
    const keys = tags.filter((t) => current.has(t.key) && (t.value === undefined || current.get(t.key) === t.value)).map((t) => t.key);
    tagging.untag(arn ?? "", keys);
  }

  daysBeforeExpiry(scope: Scope): number {
    return this.repo.daysBeforeExpiry(scope) ?? 45;
  }

  setDaysBeforeExpiry(scope: Scope, days: number | undefined): void {
    if (days === undefined || !Number.isInteger(days) || days < 1 || days > 45) {
      throw validation(`1 validation error detected: Value '${days}' at 'expiryEvents.daysBeforeExpiry' failed to satisfy constraint: Member must have value between 1 and 45`);
    }
    this.repo.setDaysBeforeExpiry(scope, days);
  }
}

function checkTag(t: Tag): void {
  if (t.key.length < 1 || t.key.length > 128) throw invalidTag(`Tag key '${t.key}' must be between 1 and 128 characters`);
  if (t.value.length > 256) throw invalidTag(`Tag value of '${t.key}' must be at most 256 characters`);
  if (t.key.toLowerCase().startsWith("aws:")) throw invalidTag(`Tag keys beginning with 'aws:' are reserved for AWS use: ${t.key}`);
}
