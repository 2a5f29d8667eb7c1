/** IAM users, groups and access keys (the keys feed strict SigV4 through Iam.lookupSecret). */
import type { AccessKey, AccessKeyMetadata, CreateUserRequest, Group, ListUsersResponse, User } from "@aws-sdk/client-iam";
import { deleteAllTags } from "../../store/tags.ts";
import { type Account, type IamDeps, iamArn } from "./context.ts";
import { alreadyExists, deleteConflict, groupNotFound, limitExceeded, noSuchEntity, userNotFound, validation } from "./errors.ts";
import type { IamRepo } from "./repo.ts";
import { readTags, writeTags } from "./tagging.ts";
import { accessKeyId, checkName, checkPath, page, secretAccessKey, uniqueId } from "./util.ts";

const MAX_KEYS_PER_USER = 2;
/** Root access keys are stored with this user name (no IAM user is named "", so it cannot clash). */
export const ROOT_USER = "";

export class Users {
  readonly #deps: IamDeps;
  readonly #repo: IamRepo;
  constructor(deps: IamDeps, repo: IamRepo) {
    this.#deps = deps;
    this.#repo = repo;
  }

  require(account: Account, name: string): User {
    const u = this.#repo.get("iam_users", account, name);
    if (!u) throw userNotFound(name);
    return u;
  }

  create(account: Account, input: CreateUserRequest): User {
    const name = input.UserName!;
    checkName(name, "userName", 64);
    const path = checkPath(input.Path);
    return this.#deps.store.tx(() => {
      if (this.#repo.get("iam_users", account, name)) throw alreadyExists(`User with name ${name} already exists.`);
      const arn = iamArn(account, `user${path}${name}`);
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
      this.#repo.insert("iam_users", account, name, arn, path, user);
      deleteAllTags(this.#deps.store, arn);
      writeTags(this.#deps.store, arn, input.Tags);
      return this.#withTags(user);
    });
  }

  get(account: Account, name: string): User {
    return this.#withTags(this.require(account, name));
  }

  list(account: Account, pathPrefix: string | undefined, maxItems?: number, marker?: string): ListUsersResponse {
    const p = page(this.#repo.list("iam_users", account, pathPrefix ?? "/"), maxItems, marker);
    return { Users: p.items, IsTruncated: p.IsTruncated, ...(p.Marker ? { Marker: p.Marker } : {}) };
  }

  delete(account: Account, name: string): void {
    this.#deps.store.tx(() => {
      const u = this.require(account, name);
      const stored = u.UserName!;
      if (this.#repo.accessKeys(account, stored).length > 0) throw deleteConflict("Cannot delete entity, must delete access keys first.");
      if (this.#repo.attachedPolicies(account, "user", stored).length > 0) {
        throw deleteConflict("Cannot delete entity, must detach all policies first.");
      }
      if (this.#repo.inlinePolicyNames(account, "user", stored).length > 0) {
        throw deleteConflict("Cannot delete entity, must delete policies first.");
      }
      if (this.#repo.groupsForUser(account, stored).length > 0) {
        throw deleteConflict("Cannot delete entity, must remove users from group first.");
      }
      this.#repo.remove("iam_users", account, stored);
      deleteAllTags(this.#deps.store, u.Arn!);
    });
  }

  // ---- groups
  requireGroup(account: Account, name: string): Group {
    const g = this.#repo.get("iam_groups", account, name);
    if (!g) throw groupNotFound(name);
    return g;
  }

  createGroup(account: Account, name: string, pathIn: string | undefined): Group {
    checkName(name, "groupName", 128);
    const path = checkPath(pathIn);
    return this.#deps.store.tx(() => {
      if (this.#repo.get("iam_groups", account, name)) throw alreadyExists(`Group with name ${name} already exists.`);
      const arn = iamArn(account, `group${path}${name}`);
      const group: Group = {
        Path: path,
        GroupName: name,
        GroupId: uniqueId(this.#deps.ids, "AGPA"),
        Arn: arn,
        CreateDate: new Date(this.#deps.clock.now()),
      };
      this.#repo.insert("iam_groups", account, name, arn, path, group);
      return group;
    });
  }

  groupWithUsers(account: Account, name: string): { Group: Group; Users: User[] } {
    const g = this.requireGroup(account, name);
    const users = this.#repo.groupMembers(account, g.GroupName!).flatMap((u) => this.#repo.get("iam_users", account, u) ?? []);
    return { Group: g, Users: users };
  }

  groupsForUser(account: Account, user: string): Group[] {
    const u = this.require(account, user);
    return this.#repo.groupsForUser(account, u.UserName!).flatMap((g) => this.#repo.get("iam_groups", account, g) ?? []);
  }

  deleteGroup(account: Account, name: string): void {
    this.#deps.store.tx(() => {
      const g = this.requireGroup(account, name);
      const stored = g.GroupName!;
      if (this.#repo.groupMembers(account, stored).length > 0) throw deleteConflict("Cannot delete entity, must remove users from group first.");
      if (this.#repo.attachedPolicies(account, "group", stored).length > 0) {
        throw deleteConflict("Cannot delete entity, must detach all policies first.");
      }
      if (this.#repo.inlinePolicyNames(account, "group", stored).length > 0) {
        throw deleteConflict("Cannot delete entity, must delete policies first.");
      }
      this.#repo.remove("iam_groups", account, stored);
    });
  }

  addToGroup(account: Account, group: string, user: string): void {
    this.#deps.store.tx(() => {
      const g = this.requireGroup(account, group);
      const u = this.require(account, user);
      this.#repo.addGroupMember(account, g.GroupName!, u.UserName!);
    });
  }

  removeFromGroup(account: Account, group: string, user: string): void {
    this.#deps.store.tx(() => {
      const g = this.requireGroup(account, group);
      const u = this.require(account, user);
      if (!this.#repo.removeGroupMember(account, g.GroupName!, u.UserName!)) {
        throw noSuchEntity(`User ${u.UserName} is not in group ${g.GroupName}.`);
      }
    });
  }

  // ---- access keys (`user` ROOT_USER = the account's root keys)
  createAccessKey(account: Account, user: string): AccessKey {
    return this.#deps.store.tx(() => {
      const userName = user === ROOT_USER ? ROOT_USER : this.require(account, user).UserName!;
      if (this.#repo.accessKeys(account, userName).length >= MAX_KEYS_PER_USER) {
        throw limitExceeded(`Cannot exceed quota for AccessKeysPerUser: ${MAX_KEYS_PER_USER}`);
      }
      const key = {
        accessKeyId: accessKeyId(this.#deps.ids, "AKIA"),
        account,
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

  listAccessKeys(account: Account, user: string, maxItems?: number, marker?: string): { AccessKeyMetadata: AccessKeyMetadata[]; IsTruncated: boolean; Marker?: string } {
    const userName = user === ROOT_USER ? ROOT_USER : this.require(account, user).UserName!;
    const keys = this.#repo.accessKeys(account, userName).map(
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

  updateAccessKey(account: Account, user: string, keyId: string, status: string): void {
    if (status !== "Active" && status !== "Inactive") {
      throw validation(
        `1 validation error detected: Value '${status}' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]`,
      );
    }
    this.#deps.store.tx(() => {
      this.#requireKey(account, user, keyId);
      this.#repo.setAccessKeyStatus(keyId, status);
    });
  }

  deleteAccessKey(account: Account, user: string, keyId: string): void {
    this.#deps.store.tx(() => {
      this.#requireKey(account, user, keyId);
      this.#repo.deleteAccessKey(keyId);
    });
  }

  #requireKey(account: Account, user: string, keyId: string): void {
    const userName = user === ROOT_USER ? ROOT_USER : this.require(account, user).UserName!;
    const k = this.#repo.accessKey(keyId);
    if (!k || k.account !== account || k.userName.toLowerCase() !== userName.toLowerCase()) {
      throw noSuchEntity(`The Access Key with id ${keyId} cannot be found.`);
    }
  }

  #withTags(user: User): User {
    const tags = readTags(this.#deps.store, user.Arn!);
    return tags.length ? { ...user, Tags: tags } : user;
  }
}
