/** IAM roles: create/get/list/update/delete, trust policy, tags, inline policies. */
import type {
  CreateRoleRequest,
  ListRolesRequest,
  ListRolesResponse,
  Role,
  UpdateRoleRequest,
} from "@aws-sdk/client-iam";
import { deleteAllTags } from "../../store/tags.ts";
import { type Account, type IamDeps, iamArn } from "./context.ts";
import { alreadyExists, deleteConflict, noSuchEntity, roleNotFound, validation } from "./errors.ts";
import type { IamRepo } from "./repo.ts";
import { readTags, untag, writeTags } from "./tagging.ts";
import { checkName, checkPath, checkPolicyDocument, encodeDocument, page, uniqueId } from "./util.ts";

export class Roles {
  readonly #deps: IamDeps;
  readonly #repo: IamRepo;
  constructor(deps: IamDeps, repo: IamRepo) {
    this.#deps = deps;
    this.#repo = repo;
  }

  /** The stored role (no tags) or NoSuchEntity. */
  require(account: Account, name: string): Role {
    const role = this.#repo.get("iam_roles", account, name);
    if (!role) throw roleNotFound(name);
    return role;
  }

  create(account: Account, input: CreateRoleRequest): Role {
    const name = input.RoleName!;
    checkName(name, "roleName", 64);
    const path = checkPath(input.Path);
    checkPolicyDocument(input.AssumeRolePolicyDocument!, true);
    const maxSession = checkMaxSession(input.MaxSessionDuration);
    return this.#deps.store.tx(() => {
      if (this.#repo.get("iam_roles", account, name)) throw alreadyExists(`Role with name ${name} already exists.`);
      const arn = iamArn(account, `role${path}${name}`);
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
      this.#repo.insert("iam_roles", account, name, arn, path, role);
      deleteAllTags(this.#deps.store, arn);
      writeTags(this.#deps.store, arn, input.Tags);
      return this.#withTags(role);
    });
  }

  /** GetRole: the role with its tags and (empty) RoleLastUsed. */
  get(account: Account, name: string): Role {
    return { ...this.#withTags(this.require(account, name)), RoleLastUsed: {} };
  }

  list(account: Account, input: ListRolesRequest): ListRolesResponse {
    const p = page(this.#repo.list("iam_roles", account, input.PathPrefix ?? "/"), input.MaxItems, input.Marker);
    return { Roles: p.items, IsTruncated: p.IsTruncated, ...(p.Marker ? { Marker: p.Marker } : {}) };
  }

  update(account: Account, input: UpdateRoleRequest): void {
    const maxSession = input.MaxSessionDuration === undefined ? undefined : checkMaxSession(input.MaxSessionDuration);
    this.#deps.store.tx(() => {
      const role = this.require(account, input.RoleName!);
      const next: Role = {
        ...role,
        ...(input.Description !== undefined ? { Description: input.Description } : {}),
        ...(maxSession !== undefined ? { MaxSessionDuration: maxSession } : {}),
      };
      this.#repo.update("iam_roles", account, role.RoleName!, next);
    });
  }

  updateDescription(account: Account, name: string, description: string | undefined): Role {
    return this.#deps.store.tx(() => {
      const role = this.require(account, name);
      const next: Role = { ...role, Description: description ?? "" };
      this.#repo.update("iam_roles", account, role.RoleName!, next);
      return this.#withTags(next);
    });
  }

  updateAssumeRolePolicy(account: Account, name: string, document: string): void {
    checkPolicyDocument(document, true);
    this.#deps.store.tx(() => {
      const role = this.require(account, name);
      this.#repo.update("iam_roles", account, role.RoleName!, { ...role, AssumeRolePolicyDocument: encodeDocument(document) });
    });
  }

  delete(account: Account, name: string): void {
    this.#deps.store.tx(() => {
      const role = this.require(account, name);
      const stored = role.RoleName!;
      if (this.#repo.profilesForRole(account, stored).length > 0) {
        throw deleteConflict("Cannot delete entity, must remove roles from instance profile first.");
      }
      if (this.#repo.attachedPolicies(account, "role", stored).length > 0) {
        throw deleteConflict("Cannot delete entity, must detach all policies first.");
      }
      if (this.#repo.inlinePolicyNames(account, "role", stored).length > 0) {
        throw deleteConflict("Cannot delete entity, must delete policies first.");
      }
      this.#repo.remove("iam_roles", account, stored);
      deleteAllTags(this.#deps.store, role.Arn!);
    });
  }

  tag(account: Account, name: string, tags: Parameters<typeof writeTags>[2]): void {
    this.#deps.store.tx(() => writeTags(this.#deps.store, this.require(account, name).Arn!, tags));
  }

  untag(account: Account, name: string, keys: readonly string[] | undefined): void {
    this.#deps.store.tx(() => untag(this.#deps.store, this.require(account, name).Arn!, keys));
  }

  tagsOf(account: Account, name: string): ReturnType<typeof readTags> {
    return readTags(this.#deps.store, this.require(account, name).Arn!);
  }

  // ---- inline policies
  putPolicy(account: Account, roleName: string, policyName: string, document: string): void {
    checkName(policyName, "policyName", 128);
    checkPolicyDocument(document);
    this.#deps.store.tx(() => {
      const role = this.require(account, roleName);
      this.#repo.putInlinePolicy(account, "role", role.RoleName!, policyName, document);
    });
  }

  getPolicy(account: Account, roleName: string, policyName: string): { RoleName: string; PolicyName: string; PolicyDocument: string } {
    const role = this.require(account, roleName);
    const doc = this.#repo.getInlinePolicy(account, "role", role.RoleName!, policyName);
    if (doc === undefined) throw noSuchEntity(`The role policy with name ${policyName} cannot be found.`);
    return { RoleName: role.RoleName!, PolicyName: policyName, PolicyDocument: encodeDocument(doc) };
  }

  deletePolicy(account: Account, roleName: string, policyName: string): void {
    this.#deps.store.tx(() => {
      const role = this.require(account, roleName);
      if (!this.#repo.deleteInlinePolicy(account, "role", role.RoleName!, policyName)) {
        throw noSuchEntity(`The role policy with name ${policyName} cannot be found.`);
      }
    });
  }

  policyNames(account: Account, roleName: string): string[] {
    return this.#repo.inlinePolicyNames(account, "role", this.require(account, roleName).RoleName!);
  }

  #withTags(role: Role): Role {
    const tags = readTags(this.#deps.store, role.Arn!);
    return tags.length ? { ...role, Tags: tags } : role;
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
