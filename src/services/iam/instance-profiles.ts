/** Instance profiles: a container for (at most) one role; only DeleteRole's conflict check and Terraform's reads need them. */
import type { InstanceProfile } from "@aws-sdk/client-iam";
import { deleteAllTags } from "../../store/tags.ts";
import { type Account, type IamDeps, iamArn, type TagInput } from "./context.ts";
import { alreadyExists, deleteConflict, instanceProfileNotFound, limitExceeded, noSuchEntity } from "./errors.ts";
import type { IamRepo } from "./repo.ts";
import type { Roles } from "./roles.ts";
import { readTags, writeTags } from "./tagging.ts";
import { checkName, checkPath, page, uniqueId } from "./util.ts";

export class InstanceProfiles {
  readonly #deps: IamDeps;
  readonly #repo: IamRepo;
  readonly #roles: Roles;
  constructor(deps: IamDeps, repo: IamRepo, roles: Roles) {
    this.#deps = deps;
    this.#repo = repo;
    this.#roles = roles;
  }

  #require(account: Account, name: string): InstanceProfile {
    const p = this.#repo.get("iam_instance_profiles", account, name);
    if (!p) throw instanceProfileNotFound(name);
    return p;
  }

  create(account: Account, name: string, pathIn: string | undefined, tags: readonly TagInput[] | undefined): InstanceProfile {
    checkName(name, "instanceProfileName", 128);
    const path = checkPath(pathIn);
    return this.#deps.store.tx(() => {
      if (this.#repo.get("iam_instance_profiles", account, name)) throw alreadyExists(`Instance Profile ${name} already exists.`);
      const arn = iamArn(account, `instance-profile${path}${name}`);
      const profile: InstanceProfile = {
        Path: path,
        InstanceProfileName: name,
        InstanceProfileId: uniqueId(this.#deps.ids, "AIPA"),
        Arn: arn,
        CreateDate: new Date(this.#deps.clock.now()),
        Roles: [],
      };
      this.#repo.insert("iam_instance_profiles", account, name, arn, path, profile);
      deleteAllTags(this.#deps.store, arn);
      writeTags(this.#deps.store, arn, tags);
      return this.#present(account, profile);
    });
  }

  get(account: Account, name: string): InstanceProfile {
    return this.#present(account, this.#require(account, name));
  }

  delete(account: Account, name: string): void {
    this.#deps.store.tx(() => {
      const p = this.#require(account, name);
      if (this.#repo.profileRoles(account, p.InstanceProfileName!).length > 0) {
        throw deleteConflict("Cannot delete entity, must remove roles from instance profile first.");
      }
      this.#repo.remove("iam_instance_profiles", account, p.InstanceProfileName!);
      deleteAllTags(this.#deps.store, p.Arn!);
    });
  }

  addRole(account: Account, name: string, roleName: string): void {
    this.#deps.store.tx(() => {
      const p = this.#require(account, name);
      const role = this.#roles.require(account, roleName);
      const current = this.#repo.profileRoles(account, p.InstanceProfileName!);
      if (current.length >= 1) throw limitExceeded("Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1");
      this.#repo.addProfileRole(account, p.InstanceProfileName!, role.RoleName!);
    });
  }

  removeRole(account: Account, name: string, roleName: string): void {
    this.#deps.store.tx(() => {
      const p = this.#require(account, name);
      const role = this.#roles.require(account, roleName);
      if (!this.#repo.removeProfileRole(account, p.InstanceProfileName!, role.RoleName!)) {
        throw noSuchEntity(`The role with name ${roleName} cannot be found.`);
      }
    });
  }

  forRole(account: Account, roleName: string, maxItems?: number, marker?: string) {
    const role = this.#roles.require(account, roleName);
    const profiles = this.#repo
      .profilesForRole(account, role.RoleName!)
      .flatMap((n) => this.#repo.get("iam_instance_profiles", account, n) ?? [])
      .map((p) => this.#present(account, p));
    const pg = page(profiles, maxItems, marker);
    return { InstanceProfiles: pg.items, IsTruncated: pg.IsTruncated, ...(pg.Marker ? { Marker: pg.Marker } : {}) };
  }

  list(account: Account, pathPrefix: string | undefined, maxItems?: number, marker?: string) {
    const profiles = this.#repo.list("iam_instance_profiles", account, pathPrefix ?? "/").map((p) => this.#present(account, p));
    const pg = page(profiles, maxItems, marker);
    return { InstanceProfiles: pg.items, IsTruncated: pg.IsTruncated, ...(pg.Marker ? { Marker: pg.Marker } : {}) };
  }

  /** Roles are listed live (a role's doc may change after it was added). */
  #present(account: Account, p: InstanceProfile): InstanceProfile {
    const roles = this.#repo.profileRoles(account, p.InstanceProfileName!).flatMap((r) => this.#repo.get("iam_roles", account, r) ?? []);
    const tags = readTags(this.#deps.store, p.Arn!);
    return { ...p, Roles: roles, ...(tags.length ? { Tags: tags } : {}) };
  }
}
