/**
 * Managed policies: customer-managed ones (stored, with up to 5 versions) and the AWS-managed
 * catalogue (managed-policies.ts), seen through one `Policy` view with per-account AttachmentCount;
 * attaching/detaching them to roles, users and groups.
 */
import type {
  AttachedPolicy,
  CreatePolicyRequest,
  ListPoliciesRequest,
  ListPoliciesResponse,
  ListPolicyVersionsResponse,
  Policy,
  PolicyVersion,
} from "@aws-sdk/client-iam";
import { parseArn } from "../../core/arn.ts";
import { deleteAllTags } from "../../store/tags.ts";
import { type Account, type IamDeps, iamArn, type TagInput } from "./context.ts";
import {
  alreadyExists,
  deleteConflict,
  invalidInput,
  limitExceeded,
  noSuchEntity,
  notAttachable,
  policyNotFound,
  validation,
} from "./errors.ts";
import { MANAGED_POLICIES, managedPolicy } from "./managed-policies.ts";
import type { IamRepo, PrincipalKind } from "./repo.ts";
import { readTags, untag, writeTags } from "./tagging.ts";
import { checkName, checkPath, checkPolicyDocument, encodeDocument, page, uniqueId } from "./util.ts";

const MAX_VERSIONS = 5;

export class Policies {
  readonly #deps: IamDeps;
  readonly #repo: IamRepo;
  constructor(deps: IamDeps, repo: IamRepo) {
    this.#deps = deps;
    this.#repo = repo;
  }

  /** The policy (AWS-managed or this account's) as GetPolicy shows it, or undefined. */
  find(account: Account, arn: string): Policy | undefined {
    const m = managedPolicy(arn);
    if (m) {
      return {
        PolicyName: m.name,
        PolicyId: m.policyId,
        Arn: m.arn,
        Path: m.path,
        DefaultVersionId: "v1",
        AttachmentCount: this.#repo.attachmentCount(account, m.arn),
        PermissionsBoundaryUsageCount: 0,
        IsAttachable: m.attachable,
        Description: m.description,
        CreateDate: m.createDate,
        UpdateDate: m.updateDate,
      };
    }
    if (parseArn(arn)?.accountId !== account) return undefined;
    const p = this.#repo.getByArn("iam_policies", arn);
    if (!p) return undefined;
    const defaultVersion = this.#repo.policyVersions(arn).find((v) => v.isDefault);
    return { ...p, DefaultVersionId: defaultVersion?.versionId ?? "v1", AttachmentCount: this.#repo.attachmentCount(account, arn) };
  }

  require(account: Account, arn: string): Policy {
    checkPolicyArn(arn);
    const p = this.find(account, arn);
    if (!p) throw policyNotFound(arn);
    return p;
  }

  create(account: Account, input: CreatePolicyRequest): Policy {
    const name = input.PolicyName!;
    checkName(name, "policyName", 128);
    const path = checkPath(input.Path);
    checkPolicyDocument(input.PolicyDocument!);
    return this.#deps.store.tx(() => {
      if (this.#repo.get("iam_policies", account, name)) {
        throw alreadyExists(`A policy called ${name} already exists. Duplicate names are not allowed.`);
      }
      const arn = iamArn(account, `policy${path}${name}`);
      const now = new Date(this.#deps.clock.now());
      const policy: Policy = {
        PolicyName: name,
        PolicyId: uniqueId(this.#deps.ids, "ANPA"),
        Arn: arn,
        Path: path,
        DefaultVersionId: "v1",
        AttachmentCount: 0,
        PermissionsBoundaryUsageCount: 0,
        IsAttachable: true,
        ...(input.Description !== undefined ? { Description: input.Description } : {}),
        CreateDate: now,
        UpdateDate: now,
      };
      this.#repo.insert("iam_policies", account, name, arn, path, policy);
      this.#repo.putPolicyVersion(arn, 1, input.PolicyDocument!, true, now.getTime());
      deleteAllTags(this.#deps.store, arn);
      writeTags(this.#deps.store, arn, input.Tags);
      return this.#withTags(this.find(account, arn)!);
    });
  }

  /** GetPolicy: the view plus tags (customer-managed only). */
  get(account: Account, arn: string): Policy {
    return this.#withTags(this.require(account, arn));
  }

  list(account: Account, input: ListPoliciesRequest): ListPoliciesResponse {
    const scope = input.Scope ?? "All";
    if (scope !== "All" && scope !== "AWS" && scope !== "Local") {
      throw validation(
        `1 validation error detected: Value '${scope}' at 'scope' failed to satisfy constraint: Member must satisfy enum value set: [All, AWS, Local]`,
      );
    }
    const prefix = input.PathPrefix ?? "/";
    const all: Policy[] = [];
    if (scope !== "Local") {
      for (const m of MANAGED_POLICIES) if (m.path.startsWith(prefix)) all.push(this.find(account, m.arn)!);
    }
    if (scope !== "AWS") {
      for (const p of this.#repo.list("iam_policies", account, prefix)) all.push(this.find(account, p.Arn!)!);
    }
    const filtered = input.OnlyAttached ? all.filter((p) => (p.AttachmentCount ?? 0) > 0) : all;
    const p = page(filtered, input.MaxItems, input.Marker);
    return { Policies: p.items, IsTruncated: p.IsTruncated, ...(p.Marker ? { Marker: p.Marker } : {}) };
  }

  delete(account: Account, arn: string): void {
    this.#deps.store.tx(() => {
      const p = this.require(account, arn);
      if (managedPolicy(arn)) throw invalidInput(`Cannot delete an AWS managed policy: ${arn}`);
      if ((p.AttachmentCount ?? 0) > 0) throw deleteConflict("Cannot delete a policy attached to entities.");
      if (this.#repo.policyVersions(arn).length > 1) {
        throw deleteConflict(
          "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.",
        );
      }
      this.#repo.remove("iam_policies", account, p.PolicyName!);
      deleteAllTags(this.#deps.store, arn);
    });
  }

  // ---- versions
  getVersion(account: Account, arn: string, versionId: string): PolicyVersion {
    const v = this.#versions(account, arn).find((x) => x.VersionId === versionId);
    if (!v) throw noSuchEntity(`Policy ${arn} version ${versionId} does not exist or is not attachable.`);
    return v;
  }

  listVersions(account: Account, arn: string, maxItems?: number, marker?: string): ListPolicyVersionsResponse {
    const p = page(
      this.#versions(account, arn).map(({ Document: _d, ...rest }) => rest),
      maxItems,
      marker,
    );
    return { Versions: p.items, IsTruncated: p.IsTruncated, ...(p.Marker ? { Marker: p.Marker } : {}) };
  }

  createVersion(account: Account, arn: string, document: string, setAsDefault: boolean): PolicyVersion {
    checkPolicyDocument(document);
    return this.#deps.store.tx(() => {
      const p = this.#requireLocal(account, arn);
      if (this.#repo.policyVersions(arn).length >= MAX_VERSIONS) {
        throw limitExceeded(
          `A managed policy can have up to ${MAX_VERSIONS} versions. Before you create a new version, you must delete an existing version.`,
        );
      }
      const seq = this.#repo.nextPolicyVersion(arn);
      const now = this.#deps.clock.now();
      this.#repo.putPolicyVersion(arn, seq, document, setAsDefault, now);
      this.#repo.update("iam_policies", account, p.PolicyName!, { ...p, UpdateDate: new Date(now) });
      const { Document: _d, ...version } = this.getVersion(account, arn, `v${seq}`);
      return version;
    });
  }

  setDefaultVersion(account: Account, arn: string, versionId: string): void {
    this.#deps.store.tx(() => {
      const p = this.#requireLocal(account, arn);
      this.getVersion(account, arn, versionId);
      this.#repo.setDefaultVersion(arn, versionId);
      this.#repo.update("iam_policies", account, p.PolicyName!, { ...p, UpdateDate: new Date(this.#deps.clock.now()) });
    });
  }

  deleteVersion(account: Account, arn: string, versionId: string): void {
    this.#deps.store.tx(() => {
      this.#requireLocal(account, arn);
      const v = this.getVersion(account, arn, versionId);
      if (v.IsDefaultVersion) throw deleteConflict("Cannot delete the default version of a policy.");
      this.#repo.deletePolicyVersion(arn, versionId);
    });
  }

  // ---- tags
  tag(account: Account, arn: string, tags: readonly TagInput[] | undefined): void {
    this.#deps.store.tx(() => writeTags(this.#deps.store, this.#requireLocal(account, arn).Arn!, tags));
  }
  untag(account: Account, arn: string, keys: readonly string[] | undefined): void {
    this.#deps.store.tx(() => untag(this.#deps.store, this.#requireLocal(account, arn).Arn!, keys));
  }
  tagsOf(account: Account, arn: string): ReturnType<typeof readTags> {
    return readTags(this.#deps.store, this.#requireLocal(account, arn).Arn!);
  }

  // ---- attachments (the principal must already have been checked by the caller)
  attach(account: Account, kind: PrincipalKind, principal: string, arn: string): void {
    checkPolicyArn(arn);
    const p = this.find(account, arn);
    if (!p || !p.IsAttachable) throw notAttachable(arn);
    this.#repo.attach(account, kind, principal, arn);
  }

  detach(account: Account, kind: PrincipalKind, principal: string, arn: string): void {
    checkPolicyArn(arn);
    if (!this.#repo.detach(account, kind, principal, arn)) throw policyNotFound(arn);
  }

  attached(account: Account, kind: PrincipalKind, principal: string, pathPrefix = "/"): AttachedPolicy[] {
    const out: AttachedPolicy[] = [];
    for (const arn of this.#repo.attachedPolicies(account, kind, principal)) {
      const p = this.find(account, arn);
      if (p && (p.Path ?? "/").startsWith(pathPrefix)) out.push({ PolicyName: p.PolicyName!, PolicyArn: arn });
    }
    return out;
  }

  #requireLocal(account: Account, arn: string): Policy {
    this.require(account, arn);
    if (managedPolicy(arn)) throw invalidInput(`Cannot modify an AWS managed policy: ${arn}`);
    return this.#repo.getByArn("iam_policies", arn)!;
  }

  #versions(account: Account, arn: string): PolicyVersion[] {
    const m = managedPolicy(arn);
    if (m) return [{ Document: encodeDocument(m.document), VersionId: "v1", IsDefaultVersion: true, CreateDate: m.createDate }];
    this.require(account, arn);
    return this.#repo.policyVersions(arn).map((v) => ({
      Document: encodeDocument(v.document),
      VersionId: v.versionId,
      IsDefaultVersion: v.isDefault,
      CreateDate: new Date(v.createdAt),
    }));
  }

  #withTags(p: Policy): Policy {
    if (managedPolicy(p.Arn!)) return p;
    const tags = readTags(this.#deps.store, p.Arn!);
    return tags.length ? { ...p, Tags: tags } : p;
  }
}

/** Policy ARNs: `arn:aws:iam::<account|aws>:policy/...`; anything else is an invalid ARN (InvalidInput). */
function checkPolicyArn(arn: string): void {
  const p = parseArn(arn);
  if (!p || p.service !== "iam" || !p.resource.startsWith("policy/")) throw invalidInput(`ARN ${arn} is not valid.`);
}
