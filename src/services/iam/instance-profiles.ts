/** Instance profiles: a container for (at most) one role; only DeleteRole's conflict check and Terraform's reads need them. */
import type { InstanceProfile, Tag } from "@aws-sdk/client-iam";
import type { Tagging } from "../common/tagging.ts";
import type { Scope } from "../../core/arn.ts";
import { type IamDeps, iamArn } from "./context.ts";
import { alreadyExists, deleteConflict, instanceProfileNotFound, limitExceeded, noSuchEntity } from "./errors.ts";
import type { IamRepo } from "./repo.ts";
import type { Roles } from "./roles.ts";
import { tagNew, withTags } from "./tagging.ts";
import { checkName, checkPath, page, uniqueId } from "./util.ts";

export class InstanceProfiles {
  readonly #deps: IamDeps;
  readonly #repo: IamRepo;
  readonly #roles: Roles;
  readonly #tags: Tagging;
  constructor(deps: IamDeps, repo: IamRepo, roles: Roles, tags: Tagging) {
    this.#deps = deps;
    this.#repo = repo;
    this.#roles = roles;
    this.#tags = tags;
  }

  #require(scope: Scope, name: string): InstanceProfile {
    const p = this.#repo.get("iam_instance_profiles", scope.accountId, name);
    if (!p) throw instanceProfileNotFound(name);
    return p;
  }

  create(scope: Scope, name: string, pathIn: string | undefined, tags: readonly Tag[] | undefined): InstanceProfile {
    checkName(name, "instanceProfileName", 128);
    const path = checkPath(pathIn);
    return this.#deps.store.tx(() => {
      if (this.#repo.get("iam_instance_profiles", scope.accountId, name)) throw alreadyExists(`Instance Profile ${name} already exists.`);
      const arn = iamArn(scope, `instance-profile${path}${name}`);
      const profile: InstanceProfile = {
        Path: path,
        InstanceProfileName: name,
        InstanceProfileId: uniqueId(this.#deps.ids, "AIPA"),
        Arn: arn,
        CreateDate: new Date(this.#deps.clock.now()),
        Roles: [],
      };
      this.#repo.insert("iam_instance_profiles", scope.accountId, name, arn, path, profile);
      tagNew(this.#tags, arn, tags);
      return this.#present(scope, profile);
    });
  }

  get(scope: Scope, name: string): InstanceProfile {
    return this.#present(scope, this.#require(scope, name));
  }

  delete(scope: Scope, name: string): void {
    this.#deps.store.tx(() => {
      const p = this.#require(scope, name);
      if (this.#repo.profileRoles(scope.accountId, p.InstanceProfileName!).length > 0) {
        throw deleteConflict("Cannot delete entity, must remove roles from instance profile first.");
      }
      this.#repo.remove("iam_instance_profiles", scope.accountId, p.InstanceProfileName!);
      this.#tags.clear(p.Arn!);
    });
  }

  addRole(scope: Scope, name: string, roleName: string): void {
    this.#deps.store.tx(() => {
      const p = this.#require(scope, name);
      const role = this.#roles.require(scope, roleName);
      const current = this.#repo.profileRoles(scope.accountId, p.InstanceProfileName!);
      if (current.length >= 1) throw limitExceeded("Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1");
      this.#repo.addProfileRole(scope.accountId, p.InstanceProfileName!, role.RoleName!);
    });
  }

  removeRole(scope: Scope, name: string, roleName: string): void {
    this.#deps.store.tx(() => {
      const p = this.#require(scope, name);
      const role = this.#roles.require(scope, roleName);
      if (!this.#repo.removeProfileRole(scope.accountId, p.InstanceProfileName!, role.RoleName!)) {
        throw noSuchEntity(`The role with name ${roleName} cannot be found.`);
      }
    });
  }

  forRole(scope: Scope, roleName: string, maxItems?: number, marker?: string) {
    const role = this.#roles.require(scope, roleName);
    const profiles = this.#repo
      .profilesForRole(scope.accountId, role.RoleName!)
      .flatMap((n) => this.#repo.get("iam_instance_profiles", scope.accountId, n) ?? [])
      .map((p) => this.#present(scope, p));
    const pg = page(profiles, maxItems, marker);
    return { InstanceProfiles: pg.items, IsTruncated: pg.IsTruncated, ...(pg.Marker ? { Marker: pg.Marker } : {}) };
  }

  list(scope: Scope, pathPrefix: string | undefined, maxItems?: number, marker?: string) {
    const profiles = this.#repo.list("iam_instance_profiles", scope.accountId, pathPrefix ?? "/").map((p) => this.#present(scope, p));
    const pg = page(profiles, maxItems, marker);
    return { InstanceProfiles: pg.items, IsTruncated: pg.IsTruncated, ...(pg.Marker ? { Marker: pg.Marker } : {}) };
  }

  /** Roles are listed live (a role's doc may change after it was added). */
  #present(scope: Scope, p: InstanceProfile): InstanceProfile {
    const roles = this.#repo.profileRoles(scope.accountId, p.InstanceProfileName!).flatMap((r) => this.#repo.get("iam_roles", scope.accountId, r) ?? []);
    return withTags(this.#tags, { ...p, Roles: roles });
  }
}
