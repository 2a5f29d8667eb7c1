/**
 * IAM OIDC identity providers: Create/Get/List/Delete, UpdateThumbprint, client ids, tags.
 * The URL is stored without its scheme (as GetOpenIDConnectProvider returns it); the ARN is
 * arn:aws:iam::<account>:oidc-provider/<host[/path]>. A provider created without thumbprints gets
 * one computed here (AWS fetches the issuer's certificate; offline, Slipway derives a stable value
 * from the URL and says so in the README).
 * https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateOpenIDConnectProvider.html
 */
import { createHash } from "node:crypto";
import type { CreateOpenIDConnectProviderRequest, GetOpenIDConnectProviderResponse, Tag } from "@aws-sdk/client-iam";
import type { Scope } from "../../core/arn.ts";
import type { Tagging } from "../common/tagging.ts";
import { type IamDeps, iamArn } from "./context.ts";
import { alreadyExists, invalidInput, limitExceeded, noSuchEntity, validation } from "./errors.ts";
import type { IamRepo, OidcProviderDoc } from "./repo.ts";
import { iamTags, tagNew } from "./tagging.ts";

const MAX_CLIENT_IDS = 100;
const MAX_THUMBPRINTS = 5;

export class OidcProviders {
  readonly #deps: IamDeps;
  readonly #repo: IamRepo;
  readonly #tags: Tagging;
  constructor(deps: IamDeps, repo: IamRepo, tags: Tagging) {
    this.#deps = deps;
    this.#repo = repo;
    this.#tags = tags;
  }

  create(scope: Scope, input: CreateOpenIDConnectProviderRequest): { OpenIDConnectProviderArn: string; Tags: Tag[] } {
    const url = checkUrl(input.Url ?? "");
    const clientIds = [...new Set(input.ClientIDList ?? [])];
    checkClientIds(clientIds);
    const thumbprints = input.ThumbprintList && input.ThumbprintList.length > 0 ? input.ThumbprintList : [computedThumbprint(url)];
    checkThumbprints(thumbprints);
    return this.#deps.store.tx(() => {
      if (this.#repo.get("iam_oidc_providers", scope.accountId, url)) throw alreadyExists(`Provider with url https://${url} already exists.`);
      const arn = iamArn(scope, `oidc-provider/${url}`);
      const doc: OidcProviderDoc = { Arn: arn, Url: url, ClientIDList: clientIds, ThumbprintList: thumbprints, CreateDate: new Date(this.#deps.clock.now()) };
      this.#repo.insert("iam_oidc_providers", scope.accountId, url, arn, "/", doc);
      tagNew(this.#tags, arn, input.Tags);
      return { OpenIDConnectProviderArn: arn, Tags: iamTags.write(this.#tags.of(arn)) };
    });
  }

  /** The provider by ARN, or NoSuchEntity. */
  require(scope: Scope, arn: string): OidcProviderDoc {
    const doc = this.#repo.getByArn("iam_oidc_providers", arn);
    if (!doc || !arn.startsWith(`arn:aws:iam::${scope.accountId}:oidc-provider/`)) throw noSuchEntity(`OpenIDConnect Provider not found for arn ${arn}`);
    return doc;
  }

  /** The account's provider for an issuer (`iss` with or without https://). */
  forIssuer(accountId: string, issuer: string): OidcProviderDoc | undefined {
    return this.#repo.get("iam_oidc_providers", accountId, issuer.replace(/^https:\/\//, "").replace(/\/$/, ""));
  }

  get(scope: Scope, arn: string): GetOpenIDConnectProviderResponse {
    const d = this.require(scope, arn);
    return { Url: d.Url, ClientIDList: d.ClientIDList, ThumbprintList: d.ThumbprintList, CreateDate: d.CreateDate, Tags: iamTags.write(this.#tags.of(arn)) };
  }

  list(scope: Scope): { Arn: string }[] {
    return this.#repo.list("iam_oidc_providers", scope.accountId).map((d) => ({ Arn: d.Arn }));
  }

  delete(scope: Scope, arn: string): void {
    this.#deps.store.tx(() => {
      const d = this.require(scope, arn);
      this.#repo.remove("iam_oidc_providers", scope.accountId, d.Url);
      this.#tags.clear(arn);
    });
  }

  updateThumbprint(scope: Scope, arn: string, thumbprints: readonly string[]): void {
    checkThumbprints(thumbprints);
    this.#update(scope, arn, (d) => ({ ...d, ThumbprintList: [...thumbprints] }));
  }

  addClientId(scope: Scope, arn: string, clientId: string): void {
    this.#update(scope, arn, (d) => {
      if (d.ClientIDList.includes(clientId)) return d;
      const next = [...d.ClientIDList, clientId];
      checkClientIds(next);
      return { ...d, ClientIDList: next };
    });
  }

  removeClientId(scope: Scope, arn: string, clientId: string): void {
    this.#update(scope, arn, (d) => ({ ...d, ClientIDList: d.ClientIDList.filter((c) => c !== clientId) }));
  }

  tag(scope: Scope, arn: string, tags: readonly Tag[] | undefined): void {
    this.#deps.store.tx(() => this.#tags.tag(this.require(scope, arn).Arn, iamTags.read(tags)));
  }
  untag(scope: Scope, arn: string, keys: readonly string[] | undefined): void {
    this.#deps.store.tx(() => this.#tags.untag(this.require(scope, arn).Arn, keys ?? []));
  }
  tagsOf(scope: Scope, arn: string): Tag[] {
    return iamTags.write(this.#tags.of(this.require(scope, arn).Arn));
  }

  #update(scope: Scope, arn: string, fn: (d: OidcProviderDoc) => OidcProviderDoc): void {
    this.#deps.store.tx(() => {
      const d = this.require(scope, arn);
      this.#repo.update("iam_oidc_providers", scope.accountId, d.Url, fn(d));
    });
  }
}

/** https://host[/path], no query, no fragment, no port; returned without the scheme. */
function checkUrl(url: string): string {
  if (url.length < 1 || url.length > 255) {
    throw validation(`1 validation error detected: Value '${url}' at 'url' failed to satisfy constraint: Member must have length less than or equal to 255`);
  }
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw invalidInput("Invalid Openid Connect Provider URL");
  }
  if (u.protocol !== "https:" || u.search || u.hash || u.port || u.username) throw invalidInput("Invalid Openid Connect Provider URL");
  return `${u.host}${u.pathname === "/" ? "" : u.pathname.replace(/\/$/, "")}`;
}

function checkClientIds(ids: readonly string[]): void {
  if (ids.length > MAX_CLIENT_IDS) throw limitExceeded(`Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: ${MAX_CLIENT_IDS}`);
  for (const id of ids) {
    if (id.length < 1 || id.length > 255) {
      throw validation(`1 validation error detected: Value '${id}' at 'clientIDList' failed to satisfy constraint: Member must have length less than or equal to 255`);
    }
  }
}

function checkThumbprints(list: readonly string[]): void {
  if (list.length > MAX_THUMBPRINTS) throw limitExceeded(`Thumbprint list must contain fewer than ${MAX_THUMBPRINTS + 1} entries.`);
  for (const t of list) {
    if (t.length !== 40) {
      throw validation(`1 validation error detected: Value '[${list.join(", ")}]' at 'thumbprintList' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 40, Member must have length greater than or equal to 40]`);
    }
  }
}

/** A stable 40-hex-digit stand-in for the issuer certificate's thumbprint. */
function computedThumbprint(url: string): string {
  return createHash("sha1").update(`https://${url}`).digest("hex");
}
