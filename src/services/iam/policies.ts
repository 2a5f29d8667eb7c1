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
  Tag,
} from "@aws-sdk/client-iam";
import { parseArn } from "../../core/arn.ts";
import type { Tagging } from "../common/tagging.ts";
import type { Scope } from "../../core/arn.ts";
import { type IamDeps, iamArn } from "./context.ts";
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
import { iamTags, tagNew, withTags } from "./tagging.ts";
import { checkName, checkPath, checkPolicyDocument, encodeDocument, page, uniqueId } from "./util.ts";

const MAX_VERSIONS = 5;

export class Policies {
  readonly #deps: IamDeps;
  readonly #repo: IamRepo;
  readonly #tags: Tagging;
  constructor(deps: IamDeps, repo: IamRepo, tags: Tagging) {
    this.#deps = deps;
    this.#repo = repo;
    this.#tags = tags;
  }

  /** The policy (AWS-managed or this account's) as GetPolicy shows it, or undefined. */
  find(scope: Scope, arn: string): Policy | undefined {
    const m = managedPolicy(arn);
    if (m) {
      return {
        PolicyName: m.name,
        PolicyId: m.policyId,
        Arn: m.arn,
        Path: m.path,
        DefaultVersionId: "v1",
        AttachmentCount: this.#repo.attachmentCount(scope.accountId, m.arn),
        PermissionsBoundaryUsageCount: 0,
        IsAttachable: m.attachable,
        Description: m.description,
        CreateDate: m.createDate,
        UpdateDate: m.updateDate,
      };
    }
    if (parseArn(arn)?.accountId !== scope.accountId) return undefined;
    const p = this.#repo.getByArn("iam_policies", arn);
    if (!p) return undefined;
    const defaultVersion = this.#repo.policyVersions(arn).find((v) => v.isDefault);
    return { ...p, DefaultVersionId: defaultVersion?.versionId ?? "v1", AttachmentCount: this.#repo.attachmentCount(scope.accountId, arn) };
  }

  require(scope: Scope, arn: string): Policy {
    checkPolicyArn(arn);
    const p = this.find(scope, arn);
    if (!p) throw policyNotFound(arn);
    return p;
  }

  create(scope: Scope, input: CreatePolicyRequest): Policy {
    const name = input.PolicyName!;
    checkName(name, "policyName", 128);
    const path = checkPath(input.Path);
    checkPolicyDocument(input.PolicyDocument!);
    return this.#deps.store.tx(() => {
      if (this.#repo.get("iam_policies", scope.accountId, name)) {
        throw alreadyExists(`A policy called ${name} already exists. Duplicate names are not allowed.`);
      }
      const arn = iamArn(scope, `policy${path}${name}`);
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
      this.#repo.insert("iam_policies", scope.accountId, name, arn, path, policy);
      this.#repo.putPolicyVersion(arn, 1, input.PolicyDocument!, true, now.getTime());
      tagNew(this.#tags, arn, input.Tags);
      return this.#withTags(this.find(scope, arn)!);
    });
  }

  /** GetPolicy: the view plus tags (customer-managed only). */
  get(scope: Scope, arn: string): Policy {
    return this.#withTags(this.require(scope, arn));
  }

  list(scope: Scope, input: ListPoliciesRequest): ListPoliciesResponse {
    const which = input.Scope ?? "All";
    if (which !== "All" && which !== "AWS" && which !== "Local") {
      throw validation(
        `1 validation error detected: Value '${which}' at 'scope' failed to satisfy constraint: Member must satisfy enum value set: [All, AWS, Local]`,
      );
    }
    const prefix = input.PathPrefix ?? "/";
    const all: Policy[] = [];
    if (which !== "Local") {
      for (const m of MANAGED_POLICIES) if (m.path.startsWith(prefix)) all.push(this.find(scope, m.arn)!);
    }
    if (which !== "AWS") {
      for (const p of this.#repo.list("iam_policies", scope.accountId, prefix)) all.push(this.find(scope, p.Arn!)!);
    }
    const filtered = input.OnlyAttached ? all.filter((p) => (p.AttachmentCount ?? 0) > 0) : all;
    const p = page(filtered, input.MaxItems, input.Marker);
    return { Policies: p.items, IsTruncated: p.IsTruncated, ...(p.Marker ? { Marker: p.Marker } : {}) };
  }

  delete(scope: Scope, arn: string): void {
    this.#deps.store.tx(() => {
      const p = this.require(scope, arn);
      if (managedPolicy(arn)) throw invalidInput(`Cannot delete an AWS managed policy: ${arn}`);
      if ((p.AttachmentCount ?? 0) > 0) throw deleteConflict("Cannot delete a policy attached to entities.");
      if (this.#repo.policyVersions(arn).length > 1) {
        throw deleteConflict(
          "This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.",
        );
      }
      this.#repo.remove("iam_policies", scope.accountId, p.PolicyName!);
      this.#tags.clear(arn);
    });
  }

  // ---- versions
  getVersion(scope: Scope, arn: string, versionId: string): PolicyVersion {
    const v = this.#versions(scope, arn).find((x) => x.VersionId === versionId);
    if (!v) throw noSuchEntity(`Policy ${arn} version ${versionId} does not exist or is not attachable.`);
    return v;
  }

  listVersions(scope: Scope, arn: string, maxItems?: number, marker?: string): ListPolicyVersionsResponse {
    const p = page(
      this.#versions(scope, arn).map(({ Document: _d, ...rest }) => rest),
      maxItems,
      marker,
    );
    return { Versions: p.items, IsTruncated: p.IsTruncated, ...(p.Marker ? { Marker: p.Marker } : {}) };
  }

  createVersion(scope: Scope, arn: string, document: string, setAsDefault: boolean): PolicyVersion {
    checkPolicyDocument(document);
    return this.#deps.store.tx(() => {
      const p = this.#requireLocal(scope, arn);
      if (this.#repo.policyVersions(arn).length >= MAX_VERSIONS) {
        throw limitExceeded(
          `A managed policy can have up to ${MAX_VERSIONS} versions. Before you create a new version, you must delete an existing version.`,
        );
      }
      const seq = this.#repo.nextPolicyVersion(arn);
      const now = this.#deps.clock.now();
      this.#repo.putPolicyVersion(arn, seq, document, setAsDefault, now);
      this.#repo.update("iam_policies", scope.accountId, p.PolicyName!, { ...p, UpdateDate: new Date(now) });
      const { Document: _d, ...version } = this.getVersion(scope, arn, `v${seq}`);
      return version;
    });
  }

  setDefaultVersion(scope: Scope, arn: string, versionId: string): void {
    this.#deps.store.tx(() => {
      const p = this.#requireLocal(scope, arn);
      this.getVersion(scope, arn, versionId);
      this.#repo.setDefaultVersion(arn, versionId);
      this.#repo.update("iam_policies", scope.accountId, p.PolicyName!, { ...p, UpdateDate: new Date(this.#deps.clock.now()) });
    });
  }

  deleteVersion(scope: Scope, arn: string, versionId: string): void {
    this.#deps.store.tx(() => {
      this.#requireLocal(scope, arn);
      const v = this.getVersion(scope, arn, versionId);
      if (v.IsDefaultVersion) throw deleteConflict("Cannot delete the default version of a policy.");
      this.#repo.deletePolicyVersion(arn, versionId);
    });
  }

  // ---- tags
  tag(scope: Scope, arn: string, tags: readonly Tag[] | undefined): void {
    this.#deps.store.tx(() => this.#tags.tag(this.#requireLocal(scope, arn).Arn!, iamTags.read(tags)));
  }
  untag(scope: Scope, arn: string, keys: readonly string[] | undefined): void {
    this.#deps.store.tx(() => this.#tags.untag(this.#requireLocal(scope, arn).Arn!, keys ?? []));
  }
  tagsOf(scope: Scope, arn: string): Tag[] {
    return iamTags.write(this.#tags.list(this.#requireLocal(scope, arn).Arn!));
  }

  // ---- attachments (the principal must already have been checked by the caller)
  attach(scope: Scope, kind: PrincipalKind, principal: string, arn: string): void {
    checkPolicyArn(arn);
    const p = this.find(scope, arn);
    if (!p || !p.IsAttachable) throw notAttachable(arn);
    this.#repo.attach(scope.accountId, kind, principal, arn);
  }

  detach(scope: Scope, kind: PrincipalKind, principal: string, arn: string): void {
    checkPolicyArn(arn);
    if (!this.#repo.detach(scope.accountId, kind, principal, arn)) throw policyNotFound(arn);
  }

  attached(scope: Scope, kind: PrincipalKind, principal: string, pathPrefix = "/"): AttachedPolicy[] {
    const out: AttachedPolicy[] = [];
    for (const arn of this.#repo.attachedPolicies(scope.accountId, kind, principal)) {
      const p = this.find(scope, arn);
      if (p && (p.Path ?? "/").startsWith(pathPrefix)) out.push({ PolicyName: p.PolicyName!, PolicyArn: arn });
    }
    return out;
  }

  #requireLocal(scope: Scope, arn: string): Policy {
    this.require(scope, arn);
    if (managedPolicy(arn)) throw invalidInput(`Cannot modify an AWS managed policy: ${arn}`);
    return this.#repo.getByArn("iam_policies", arn)!;
  }

  #versions(scope: Scope, arn: string): PolicyVersion[] {
    const m = managedPolicy(arn);
    if (m) return [{ Document: encodeDocument(m.document), VersionId: "v1", IsDefaultVersion: true, CreateDate: m.createDate }];
    this.require(scope, arn);
    return this.#repo.policyVersions(arn).map((v) => ({
      Document: encodeDocument(v.document),
      VersionId: v.versionId,
      IsDefaultVersion: v.isDefault,
      CreateDate: new Date(v.createdAt),
    }));
  }

  #withTags(p: Policy): Policy {
    if (managedPolicy(p.Arn!)) return p;
    return withTags(this.#tags, p);
  }
}

/** Policy ARNs: `arn:aws:iam::<account|aws>:policy/...`; anything else is an invalid ARN (InvalidInput). */
function checkPolicyArn(arn: string): void {
  const p = parseArn(arn);
  if (!p || p.service !== "iam" || !p.resource.startsWith("policy/")) throw invalidInput(`ARN ${arn} is not valid.`);
}
