/** IAM roles: create/get/list/update/delete, trust policy, tags, inline policies. */
import type {
  CreateRoleRequest,
  ListRolesRequest,
  ListRolesResponse,
  Role,
  Tag,
  UpdateRoleRequest,
} from "@aws-sdk/client-iam";
import type { Tagging } from "../common/tagging.ts";
import type { Scope } from "../../core/arn.ts";
import { type IamDeps, iamArn } from "./context.ts";
import { alreadyExists, deleteConflict, noSuchEntity, roleNotFound, validation } from "./errors.ts";
import type { IamRepo } from "./repo.ts";
import { iamTags, tagNew, withTags } from "./tagging.ts";
import { checkName, checkPath, checkPolicyDocument, encodeDocument, page, uniqueId } from "./util.ts";

export class Roles {
  readonly #deps: IamDeps;
  readonly #repo: IamRepo;
  readonly #tags: Tagging;
  /** Set by Iam: whether a trust policy's principal exists. */
  principalExists: (arn: string) => boolean = () => true;
  constructor(deps: IamDeps, repo: IamRepo, tags: Tagging) {
    this.#deps = deps;
    this.#repo = repo;
    this.#tags = tags;
  }

  /** The stored role (no tags) or NoSuchEntity. */
  require(scope: Scope, name: string): Role {
    const role = this.#repo.get("iam_roles", scope.accountId, name);
    if (!role) throw roleNotFound(name);
    return role;
  }

  create(scope: Scope, input: CreateRoleRequest): Role {
    const name = input.RoleName!;
    checkName(name, "roleName", 64);
    const path = checkPath(input.Path);
    checkPolicyDocument(input.AssumeRolePolicyDocument!, { kind: "trust", principalExists: this.principalExists });
    const maxSession = checkMaxSession(input.MaxSessionDuration);
    return this.#deps.store.tx(() => {
      if (this.#repo.get("iam_roles", scope.accountId, name)) throw alreadyExists(`Role with name ${name} already exists.`);
      const arn = iamArn(scope, `role${path}${name}`);
      const role: Role = {
        Path: path,
        RoleName: name,
        RoleId: uniqueId(this.#deps.ids, "AROA"),
        Arn: arn,
        CreateDate: new Date(this.#deps.clock.now()),
        AssumeRolePolicyDocument: encodeDocument(input.AssumeRolePolicyDocument!),
        ...(input.Description !== undefined ? { Description: input.Description } : {}),
        MaxSessionDuration: maxSession,
        ...(input.PermissionsBoundary
          ? { PermissionsBoundary: { PermissionsBoundaryType: "PermissionsBoundaryPolicy", PermissionsBoundaryArn: input.PermissionsBoundary } }
          : {}),
      };
      this.#repo.insert("iam_roles", scope.accountId, name, arn, path, role);
      tagNew(this.#tags, arn, input.Tags);
      return this.#withTags(role);
    });
  }

  /** GetRole: the role with its tags and (empty) RoleLastUsed. */
  get(scope: Scope, name: string): Role {
    return { ...this.#withTags(this.require(scope, name)), RoleLastUsed: {} };
  }

  list(scope: Scope, input: ListRolesRequest): ListRolesResponse {
    const p = page(this.#repo.list("iam_roles", scope.accountId, input.PathPrefix ?? "/"), input.MaxItems, input.Marker);
    return { Roles: p.items, IsTruncated: p.IsTruncated, ...(p.Marker ? { Marker: p.Marker } : {}) };
  }

  update(scope: Scope, input: UpdateRoleRequest): void {
    const maxSession = input.MaxSessionDuration === undefined ? undefined : checkMaxSession(input.MaxSessionDuration);
    this.#deps.store.tx(() => {
      const role = this.require(scope, input.RoleName!);
      const next: Role = {
        ...role,
        ...(input.Description !== undefined ? { Description: input.Description } : {}),
        ...(maxSession !== undefined ? { MaxSessionDuration: maxSession } : {}),
      };
      this.#repo.update("iam_roles", scope.accountId, role.RoleName!, next);
    });
  }

  updateDescription(scope: Scope, name: string, description: string | undefined): Role {
    return this.#deps.store.tx(() => {
      const role = this.require(scope, name);
      const next: Role = { ...role, Description: description ?? "" };
      this.#repo.update("iam_roles", scope.accountId, role.RoleName!, next);
      return this.#withTags(next);
    });
  }

  updateAssumeRolePolicy(scope: Scope, name: string, document: string): void {
    checkPolicyDocument(document, { kind: "trust", principalExists: this.principalExists });
    this.#deps.store.tx(() => {
      const role = this.require(scope, name);
      this.#repo.update("iam_roles", scope.accountId, role.RoleName!, { ...role, AssumeRolePolicyDocument: encodeDocument(document) });
    });
  }

  delete(scope: Scope, name: string): void {
    this.#deps.store.tx(() => {
      const role = this.require(scope, name);
      const stored = role.RoleName!;
      if (this.#repo.profilesForRole(scope.accountId, stored).length > 0) {
        throw deleteConflict("Cannot delete entity, must remove roles from instance profile first.");
      }
      if (this.#repo.attachedPolicies(scope.accountId, "role", stored).length > 0) {
        throw deleteConflict("Cannot delete entity, must detach all policies first.");
      }
      if (this.#repo.inlinePolicyNames(scope.accountId, "role", stored).length > 0) {
        throw deleteConflict("Cannot delete entity, must delete policies first.");
      }
      this.#repo.remove("iam_roles", scope.accountId, stored);
      this.#tags.clear(role.Arn!);
    });
  }

  tag(scope: Scope, name: string, tags: readonly Tag[] | undefined): void {
    this.#deps.store.tx(() => this.#tags.tag(this.require(scope, name).Arn!, iamTags.read(tags)));
  }

  untag(scope: Scope, name: string, keys: readonly string[] | undefined): void {
    this.#deps.store.tx(() => this.#tags.untag(this.require(scope, name).Arn!, keys ?? []));
  }

  tagsOf(scope: Scope, name: string): Tag[] {
    return iamTags.write(this.#tags.list(this.require(scope, name).Arn!));
  }

  // ---- inline policies
  putPolicy(scope: Scope, roleName: string, policyName: string, document: string): void {
    checkName(policyName, "policyName", 128);
    checkPolicyDocument(document, { kind: "inline", principal: "role" });
    this.#deps.store.tx(() => {
      const role = this.require(scope, roleName);
      this.#repo.putInlinePolicy(scope.accountId, "role", role.RoleName!, policyName, document);
    });
  }

  getPolicy(scope: Scope, roleName: string, policyName: string): { RoleName: string; PolicyName: string; PolicyDocument: string } {
    const role = this.require(scope, roleName);
    const doc = this.#repo.getInlinePolicy(scope.accountId, "role", role.RoleName!, policyName);
    if (doc === undefined) throw noSuchEntity(`The role policy with name ${policyName} cannot be found.`);
    return { RoleName: role.RoleName!, PolicyName: policyName, PolicyDocument: encodeDocument(doc) };
  }

  deletePolicy(scope: Scope, roleName: string, policyName: string): void {
    this.#deps.store.tx(() => {
      const role = this.require(scope, roleName);
      if (!this.#repo.deleteInlinePolicy(scope.accountId, "role", role.RoleName!, policyName)) {
        throw noSuchEntity(`The role policy with name ${policyName} cannot be found.`);
      }
    });
  }

  policyNames(scope: Scope, roleName: string): string[] {
    return this.#repo.inlinePolicyNames(scope.accountId, "role", this.require(scope, roleName).RoleName!);
  }

  #withTags(role: Role): Role {
    return withTags(this.#tags, role);
  }
}

function checkMaxSession(value: number | undefined): number {
  const v = value ?? 3600;
  if (!Number.isInteger(v) || v < 3600 || v > 43200) {
    throw validation(
      `1 validation error detected: Value '${v}' at 'maxSessionDuration' failed to satisfy constraint: Member must have value ${v < 3600 ? "greater than or equal to 3600" : "less than or equal to 43200"}`,
    );
  }
  return v;
}
