/** IAM users, groups and access keys (the keys feed strict SigV4 through Iam.lookupSecret). */
import type { AccessKey, AccessKeyMetadata, CreateUserRequest, Group, ListUsersResponse, User } from "@aws-sdk/client-iam";
import type { Tagging } from "../common/tagging.ts";
import type { Scope } from "../../core/arn.ts";
import { type IamDeps, iamArn } from "./context.ts";
import { alreadyExists, deleteConflict, groupNotFound, limitExceeded, noSuchEntity, userNotFound, validation } from "./errors.ts";
import type { IamRepo } from "./repo.ts";
import { tagNew, withTags } from "./tagging.ts";
import { accessKeyId, checkName, checkPath, page, secretAccessKey, uniqueId } from "./util.ts";

const MAX_KEYS_PER_USER = 2;
/** Root access keys are stored with this user name (no IAM user is named "", so it cannot clash). */
export const ROOT_USER = "";

export class Users {
  readonly #deps: IamDeps;
  readonly #repo: IamRepo;
  readonly #tags: Tagging;
  constructor(deps: IamDeps, repo: IamRepo, tags: Tagging) {
    this.#deps = deps;
    this.#repo = repo;
    this.#tags = tags;
  }

  require(scope: Scope, name: string): User {
    const u = this.#repo.get("iam_users", scope.accountId, name);
    if (!u) throw userNotFound(name);
    return u;
  }

  create(scope: Scope, input: CreateUserRequest): User {
    const name = input.UserName!;
    checkName(name, "userName", 64);
    const path = checkPath(input.Path);
    return this.#deps.store.tx(() => {
      if (this.#repo.get("iam_users", scope.accountId, name)) throw alreadyExists(`User with name ${name} already exists.`);
      const arn = iamArn(scope, `user${path}${name}`);
      const user: User = {
        Path: path,
        UserName: name,
        UserId: uniqueId(this.#deps.ids, "AIDA"),
        Arn: arn,
        CreateDate: new Date(this.#deps.clock.now()),
        ...(input.PermissionsBoundary
          ? { PermissionsBoundary: { PermissionsBoundaryType: "PermissionsBoundaryPolicy", PermissionsBoundaryArn: input.PermissionsBoundary } }
          : {}),
      };
      this.#repo.insert("iam_users", scope.accountId, name, arn, path, user);
      tagNew(this.#tags, arn, input.Tags);
      return this.#withTags(user);
    });
  }

  get(scope: Scope, name: string): User {
    return this.#withTags(this.require(scope, name));
  }

  list(scope: Scope, pathPrefix: string | undefined, maxItems?: number, marker?: string): ListUsersResponse {
    const p = page(this.#repo.list("iam_users", scope.accountId, pathPrefix ?? "/"), maxItems, marker);
    return { Users: p.items, IsTruncated: p.IsTruncated, ...(p.Marker ? { Marker: p.Marker } : {}) };
  }

  delete(scope: Scope, name: string): void {
    this.#deps.store.tx(() => {
      const u = this.require(scope, name);
      const stored = u.UserName!;
      if (this.#repo.accessKeys(scope.accountId, stored).length > 0) throw deleteConflict("Cannot delete entity, must delete access keys first.");
      if (this.#repo.attachedPolicies(scope.accountId, "user", stored).length > 0) {
        throw deleteConflict("Cannot delete entity, must detach all policies first.");
      }
      if (this.#repo.inlinePolicyNames(scope.accountId, "user", stored).length > 0) {
        throw deleteConflict("Cannot delete entity, must delete policies first.");
      }
      if (this.#repo.groupsForUser(scope.accountId, stored).length > 0) {
        throw deleteConflict("Cannot delete entity, must remove users from group first.");
      }
      this.#repo.remove("iam_users", scope.accountId, stored);
      this.#tags.clear(u.Arn!);
    });
  }

  // ---- groups
  requireGroup(scope: Scope, name: string): Group {
    const g = this.#repo.get("iam_groups", scope.accountId, name);
    if (!g) throw groupNotFound(name);
    return g;
  }

  createGroup(scope: Scope, name: string, pathIn: string | undefined): Group {
    checkName(name, "groupName", 128);
    const path = checkPath(pathIn);
    return this.#deps.store.tx(() => {
      if (this.#repo.get("iam_groups", scope.accountId, name)) throw alreadyExists(`Group with name ${name} already exists.`);
      const arn = iamArn(scope, `group${path}${name}`);
      const group: Group = {
        Path: path,
        GroupName: name,
        GroupId: uniqueId(this.#deps.ids, "AGPA"),
        Arn: arn,
        CreateDate: new Date(this.#deps.clock.now()),
      };
      this.#repo.insert("iam_groups", scope.accountId, name, arn, path, group);
      return group;
    });
  }

  groupWithUsers(scope: Scope, name: string): { Group: Group; Users: User[] } {
    const g = this.requireGroup(scope, name);
    const users = this.#repo.groupMembers(scope.accountId, g.GroupName!).flatMap((u) => this.#repo.get("iam_users", scope.accountId, u) ?? []);
    return { Group: g, Users: users };
  }

  groupsForUser(scope: Scope, user: string): Group[] {
    const u = this.require(scope, user);
    return this.#repo.groupsForUser(scope.accountId, u.UserName!).flatMap((g) => this.#repo.get("iam_groups", scope.accountId, g) ?? []);
  }

  deleteGroup(scope: Scope, name: string): void {
    this.#deps.store.tx(() => {
      const g = this.requireGroup(scope, name);
      const stored = g.GroupName!;
      if (this.#repo.groupMembers(scope.accountId, stored).length > 0) throw deleteConflict("Cannot delete entity, must remove users from group first.");
      if (this.#repo.attachedPolicies(scope.accountId, "group", stored).length > 0) {
        throw deleteConflict("Cannot delete entity, must detach all policies first.");
      }
      if (this.#repo.inlinePolicyNames(scope.accountId, "group", stored).length > 0) {
        throw deleteConflict("Cannot delete entity, must delete policies first.");
      }
      this.#repo.remove("iam_groups", scope.accountId, stored);
    });
  }

  addToGroup(scope: Scope, group: string, user: string): void {
    this.#deps.store.tx(() => {
      const g = this.requireGroup(scope, group);
      const u = this.require(scope, user);
      this.#repo.addGroupMember(scope.accountId, g.GroupName!, u.UserName!);
    });
  }

  removeFromGroup(scope: Scope, group: string, user: string): void {
    this.#deps.store.tx(() => {
      const g = this.requireGroup(scope, group);
      const u = this.require(scope, user);
      if (!this.#repo.removeGroupMember(scope.accountId, g.GroupName!, u.UserName!)) {
        throw noSuchEntity(`User ${u.UserName} is not in group ${g.GroupName}.`);
      }
    });
  }

  // ---- access keys (`user` ROOT_USER = the account's root keys)
  createAccessKey(scope: Scope, user: string): AccessKey {
    return this.#deps.store.tx(() => {
      const userName = user === ROOT_USER ? ROOT_USER : this.require(scope, user).UserName!;
      if (this.#repo.accessKeys(scope.accountId, userName).length >= MAX_KEYS_PER_USER) {
        throw limitExceeded(`Cannot exceed quota for AccessKeysPerUser: ${MAX_KEYS_PER_USER}`);
      }
      const key = {
        accessKeyId: accessKeyId(this.#deps.ids, "AKIA"),
        account: scope.accountId,
        userName,
        secret: secretAccessKey(this.#deps.ids),
        status: "Active",
        createdAt: this.#deps.clock.now(),
      };
      this.#repo.insertAccessKey(key);
      return {
        UserName: userName === ROOT_USER ? undefined : userName,
        AccessKeyId: key.accessKeyId,
        Status: "Active",
        SecretAccessKey: key.secret,
        CreateDate: new Date(key.createdAt),
      };
    });
  }

  listAccessKeys(scope: Scope, user: string, maxItems?: number, marker?: string): { AccessKeyMetadata: AccessKeyMetadata[]; IsTruncated: boolean; Marker?: string } {
    const userName = user === ROOT_USER ? ROOT_USER : this.require(scope, user).UserName!;
    const keys = this.#repo.accessKeys(scope.accountId, userName).map(
      (k): AccessKeyMetadata => ({
        ...(userName === ROOT_USER ? {} : { UserName: userName }),
        AccessKeyId: k.accessKeyId,
        Status: k.status as AccessKeyMetadata["Status"],
        CreateDate: new Date(k.createdAt),
      }),
    );
    const p = page(keys, maxItems, marker);
    return { AccessKeyMetadata: p.items, IsTruncated: p.IsTruncated, ...(p.Marker ? { Marker: p.Marker } : {}) };
  }

  updateAccessKey(scope: Scope, user: string, keyId: string, status: string): void {
    if (status !== "Active" && status !== "Inactive") {
      throw validation(
        `1 validation error detected: Value '${status}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]`,
      );
    }
    this.#deps.store.tx(() => {
      this.#requireKey(scope, user, keyId);
      this.#repo.setAccessKeyStatus(keyId, status);
    });
  }

  deleteAccessKey(scope: Scope, user: string, keyId: string): void {
    this.#deps.store.tx(() => {
      this.#requireKey(scope, user, keyId);
      this.#repo.deleteAccessKey(keyId);
    });
  }

  #requireKey(scope: Scope, user: string, keyId: string): void {
    const userName = user === ROOT_USER ? ROOT_USER : this.require(scope, user).UserName!;
    const k = this.#repo.accessKey(keyId);
    if (!k || k.account !== scope.accountId || k.userName.toLowerCase() !== userName.toLowerCase()) {
      throw noSuchEntity(`The Access Key with id ${keyId} cannot be found.`);
    }
  }

  #withTags(user: User): User {
    return withTags(this.#tags, user);
  }
}
