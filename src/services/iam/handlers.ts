/**
 * IAM operations: thin adapters from the wire's typed requests (@aws-sdk/client-iam) to the domain.
 * IAM is global: only ctx.accountId scopes state; the region of the signature is ignored.
 */
import type * as iam from "@aws-sdk/client-iam";
import type { Handler, RequestContext } from "../../aws/service.ts";
import type { Iam } from "./iam.ts";
import { ROOT_USER } from "./users.ts";
import { page } from "./util.ts";

type Out<O> = Omit<O, "$metadata">;
type H<I, O> = (input: I, ctx: RequestContext) => Out<O> | Promise<Out<O>>;

/** The account root as GetUser shows it when called without UserName by a non-IAM-user key. */
const ROOT_CREATED = new Date(Date.UTC(2020, 0, 1));

export function iamHandlers(e: Iam): Record<string, Handler> {
  const a = (c: RequestContext) => c.accountId;
  /** UserName, or the calling IAM user, or the root (ROOT_USER). */
  const userOrCaller = (name: string | undefined, c: RequestContext) => name ?? e.callerUserName(c.accessKeyId) ?? ROOT_USER;

  const handlers: { [K in keyof IamOps]: H<IamOps[K][0], IamOps[K][1]> } = {
    // ---- roles
    CreateRole: (i, c) => ({ Role: e.roles.create(a(c), i) }),
    GetRole: (i, c) => ({ Role: e.roles.get(a(c), i.RoleName!) }),
    ListRoles: (i, c) => e.roles.list(a(c), i),
    UpdateRole: (i, c) => {
      e.roles.update(a(c), i);
      return {};
    },
    UpdateRoleDescription: (i, c) => ({ Role: e.roles.updateDescription(a(c), i.RoleName!, i.Description) }),
    UpdateAssumeRolePolicy: (i, c) => {
      e.roles.updateAssumeRolePolicy(a(c), i.RoleName!, i.PolicyDocument!);
      return {};
    },
    DeleteRole: (i, c) => {
      e.roles.delete(a(c), i.RoleName!);
      return {};
    },
    TagRole: (i, c) => {
      e.roles.tag(a(c), i.RoleName!, i.Tags);
      return {};
    },
    UntagRole: (i, c) => {
      e.roles.untag(a(c), i.RoleName!, i.TagKeys);
      return {};
    },
    ListRoleTags: (i, c) => ({ Tags: e.roles.tagsOf(a(c), i.RoleName!), IsTruncated: false }),

    // ---- inline role policies
    PutRolePolicy: (i, c) => {
      e.roles.putPolicy(a(c), i.RoleName!, i.PolicyName!, i.PolicyDocument!);
      return {};
    },
    GetRolePolicy: (i, c) => e.roles.getPolicy(a(c), i.RoleName!, i.PolicyName!),
    DeleteRolePolicy: (i, c) => {
      e.roles.deletePolicy(a(c), i.RoleName!, i.PolicyName!);
      return {};
    },
    ListRolePolicies: (i, c) => {
      const p = page(e.roles.policyNames(a(c), i.RoleName!), i.MaxItems, i.Marker);
      return { PolicyNames: p.items, IsTruncated: p.IsTruncated, ...(p.Marker ? { Marker: p.Marker } : {}) };
    },

    // ---- managed policies
    CreatePolicy: (i, c) => ({ Policy: e.policies.create(a(c), i) }),
    GetPolicy: (i, c) => ({ Policy: e.policies.get(a(c), i.PolicyArn!) }),
    ListPolicies: (i, c) => e.policies.list(a(c), i),
    DeletePolicy: (i, c) => {
      e.policies.delete(a(c), i.PolicyArn!);
      return {};
    },
    GetPolicyVersion: (i, c) => ({ PolicyVersion: e.policies.getVersion(a(c), i.PolicyArn!, i.VersionId!) }),
    ListPolicyVersions: (i, c) => e.policies.listVersions(a(c), i.PolicyArn!, i.MaxItems, i.Marker),
    CreatePolicyVersion: (i, c) => ({
      PolicyVersion: e.policies.createVersion(a(c), i.PolicyArn!, i.PolicyDocument!, i.SetAsDefault ?? false),
    }),
    SetDefaultPolicyVersion: (i, c) => {
      e.policies.setDefaultVersion(a(c), i.PolicyArn!, i.VersionId!);
      return {};
    },
    DeletePolicyVersion: (i, c) => {
      e.policies.deleteVersion(a(c), i.PolicyArn!, i.VersionId!);
      return {};
    },
    TagPolicy: (i, c) => {
      e.policies.tag(a(c), i.PolicyArn!, i.Tags);
      return {};
    },
    UntagPolicy: (i, c) => {
      e.policies.untag(a(c), i.PolicyArn!, i.TagKeys);
      return {};
    },
    ListPolicyTags: (i, c) => ({ Tags: e.policies.tagsOf(a(c), i.PolicyArn!), IsTruncated: false }),
    ListEntitiesForPolicy: (i, c) => e.entitiesForPolicy(a(c), i.PolicyArn!),

    // ---- attachments
    AttachRolePolicy: (i, c) => {
      e.attachPolicy(a(c), "role", i.RoleName!, i.PolicyArn!);
      return {};
    },
    DetachRolePolicy: (i, c) => {
      e.detachPolicy(a(c), "role", i.RoleName!, i.PolicyArn!);
      return {};
    },
    ListAttachedRolePolicies: (i, c) => e.attachedPolicies(a(c), "role", i.RoleName!, i),
    AttachUserPolicy: (i, c) => {
      e.attachPolicy(a(c), "user", i.UserName!, i.PolicyArn!);
      return {};
    },
    DetachUserPolicy: (i, c) => {
      e.detachPolicy(a(c), "user", i.UserName!, i.PolicyArn!);
      return {};
    },
    ListAttachedUserPolicies: (i, c) => e.attachedPolicies(a(c), "user", i.UserName!, i),
    AttachGroupPolicy: (i, c) => {
      e.attachPolicy(a(c), "group", i.GroupName!, i.PolicyArn!);
      return {};
    },
    DetachGroupPolicy: (i, c) => {
      e.detachPolicy(a(c), "group", i.GroupName!, i.PolicyArn!);
      return {};
    },
    ListAttachedGroupPolicies: (i, c) => e.attachedPolicies(a(c), "group", i.GroupName!, i),

    // ---- instance profiles
    CreateInstanceProfile: (i, c) => ({ InstanceProfile: e.instanceProfiles.create(a(c), i.InstanceProfileName!, i.Path, i.Tags) }),
    GetInstanceProfile: (i, c) => ({ InstanceProfile: e.instanceProfiles.get(a(c), i.InstanceProfileName!) }),
    DeleteInstanceProfile: (i, c) => {
      e.instanceProfiles.delete(a(c), i.InstanceProfileName!);
      return {};
    },
    AddRoleToInstanceProfile: (i, c) => {
      e.instanceProfiles.addRole(a(c), i.InstanceProfileName!, i.RoleName!);
      return {};
    },
    RemoveRoleFromInstanceProfile: (i, c) => {
      e.instanceProfiles.removeRole(a(c), i.InstanceProfileName!, i.RoleName!);
      return {};
    },
    ListInstanceProfiles: (i, c) => e.instanceProfiles.list(a(c), i.PathPrefix, i.MaxItems, i.Marker),
    ListInstanceProfilesForRole: (i, c) => e.instanceProfiles.forRole(a(c), i.RoleName!, i.MaxItems, i.Marker),

    // ---- users, groups, access keys
    CreateUser: (i, c) => ({ User: e.users.create(a(c), i) }),
    GetUser: (i, c) => {
      const name = i.UserName ?? e.callerUserName(c.accessKeyId);
      if (name !== undefined) return { User: e.users.get(a(c), name) };
      const id = e.callerIdentity(c.accessKeyId, a(c));
      return { User: { UserId: id.Account, Arn: id.Arn, CreateDate: ROOT_CREATED } as iam.User };
    },
    ListUsers: (i, c) => e.users.list(a(c), i.PathPrefix, i.MaxItems, i.Marker),
    DeleteUser: (i, c) => {
      e.users.delete(a(c), i.UserName!);
      return {};
    },
    CreateGroup: (i, c) => ({ Group: e.users.createGroup(a(c), i.GroupName!, i.Path) }),
    GetGroup: (i, c) => ({ ...e.users.groupWithUsers(a(c), i.GroupName!), IsTruncated: false }),
    DeleteGroup: (i, c) => {
      e.users.deleteGroup(a(c), i.GroupName!);
      return {};
    },
    AddUserToGroup: (i, c) => {
      e.users.addToGroup(a(c), i.GroupName!, i.UserName!);
      return {};
    },
    RemoveUserFromGroup: (i, c) => {
      e.users.removeFromGroup(a(c), i.GroupName!, i.UserName!);
      return {};
    },
    ListGroupsForUser: (i, c) => ({ Groups: e.users.groupsForUser(a(c), i.UserName!), IsTruncated: false }),
    CreateAccessKey: (i, c) => ({ AccessKey: e.users.createAccessKey(a(c), userOrCaller(i.UserName, c)) }),
    ListAccessKeys: (i, c) => e.users.listAccessKeys(a(c), userOrCaller(i.UserName, c), i.MaxItems, i.Marker),
    UpdateAccessKey: (i, c) => {
      e.users.updateAccessKey(a(c), userOrCaller(i.UserName, c), i.AccessKeyId!, i.Status!);
      return {};
    },
    DeleteAccessKey: (i, c) => {
      e.users.deleteAccessKey(a(c), userOrCaller(i.UserName, c), i.AccessKeyId!);
      return {};
    },
  };
  return handlers as unknown as Record<string, Handler>;
}

/** Operation name → [request, response] types, from the SDK. */
interface IamOps {
  CreateRole: [iam.CreateRoleCommandInput, iam.CreateRoleCommandOutput];
  GetRole: [iam.GetRoleCommandInput, iam.GetRoleCommandOutput];
  ListRoles: [iam.ListRolesCommandInput, iam.ListRolesCommandOutput];
  UpdateRole: [iam.UpdateRoleCommandInput, iam.UpdateRoleCommandOutput];
  UpdateRoleDescription: [iam.UpdateRoleDescriptionCommandInput, iam.UpdateRoleDescriptionCommandOutput];
  UpdateAssumeRolePolicy: [iam.UpdateAssumeRolePolicyCommandInput, iam.UpdateAssumeRolePolicyCommandOutput];
  DeleteRole: [iam.DeleteRoleCommandInput, iam.DeleteRoleCommandOutput];
  TagRole: [iam.TagRoleCommandInput, iam.TagRoleCommandOutput];
  UntagRole: [iam.UntagRoleCommandInput, iam.UntagRoleCommandOutput];
  ListRoleTags: [iam.ListRoleTagsCommandInput, iam.ListRoleTagsCommandOutput];
  PutRolePolicy: [iam.PutRolePolicyCommandInput, iam.PutRolePolicyCommandOutput];
  GetRolePolicy: [iam.GetRolePolicyCommandInput, iam.GetRolePolicyCommandOutput];
  DeleteRolePolicy: [iam.DeleteRolePolicyCommandInput, iam.DeleteRolePolicyCommandOutput];
  ListRolePolicies: [iam.ListRolePoliciesCommandInput, iam.ListRolePoliciesCommandOutput];
  CreatePolicy: [iam.CreatePolicyCommandInput, iam.CreatePolicyCommandOutput];
  GetPolicy: [iam.GetPolicyCommandInput, iam.GetPolicyCommandOutput];
  ListPolicies: [iam.ListPoliciesCommandInput, iam.ListPoliciesCommandOutput];
  DeletePolicy: [iam.DeletePolicyCommandInput, iam.DeletePolicyCommandOutput];
  GetPolicyVersion: [iam.GetPolicyVersionCommandInput, iam.GetPolicyVersionCommandOutput];
  ListPolicyVersions: [iam.ListPolicyVersionsCommandInput, iam.ListPolicyVersionsCommandOutput];
  CreatePolicyVersion: [iam.CreatePolicyVersionCommandInput, iam.CreatePolicyVersionCommandOutput];
  SetDefaultPolicyVersion: [iam.SetDefaultPolicyVersionCommandInput, iam.SetDefaultPolicyVersionCommandOutput];
  DeletePolicyVersion: [iam.DeletePolicyVersionCommandInput, iam.DeletePolicyVersionCommandOutput];
  TagPolicy: [iam.TagPolicyCommandInput, iam.TagPolicyCommandOutput];
  UntagPolicy: [iam.UntagPolicyCommandInput, iam.UntagPolicyCommandOutput];
  ListPolicyTags: [iam.ListPolicyTagsCommandInput, iam.ListPolicyTagsCommandOutput];
  ListEntitiesForPolicy: [iam.ListEntitiesForPolicyCommandInput, iam.ListEntitiesForPolicyCommandOutput];
  AttachRolePolicy: [iam.AttachRolePolicyCommandInput, iam.AttachRolePolicyCommandOutput];
  DetachRolePolicy: [iam.DetachRolePolicyCommandInput, iam.DetachRolePolicyCommandOutput];
  ListAttachedRolePolicies: [iam.ListAttachedRolePoliciesCommandInput, iam.ListAttachedRolePoliciesCommandOutput];
  AttachUserPolicy: [iam.AttachUserPolicyCommandInput, iam.AttachUserPolicyCommandOutput];
  DetachUserPolicy: [iam.DetachUserPolicyCommandInput, iam.DetachUserPolicyCommandOutput];
  ListAttachedUserPolicies: [iam.ListAttachedUserPoliciesCommandInput, iam.ListAttachedUserPoliciesCommandOutput];
  AttachGroupPolicy: [iam.AttachGroupPolicyCommandInput, iam.AttachGroupPolicyCommandOutput];
  DetachGroupPolicy: [iam.DetachGroupPolicyCommandInput, iam.DetachGroupPolicyCommandOutput];
  ListAttachedGroupPolicies: [iam.ListAttachedGroupPoliciesCommandInput, iam.ListAttachedGroupPoliciesCommandOutput];
  CreateInstanceProfile: [iam.CreateInstanceProfileCommandInput, iam.CreateInstanceProfileCommandOutput];
  GetInstanceProfile: [iam.GetInstanceProfileCommandInput, iam.GetInstanceProfileCommandOutput];
  DeleteInstanceProfile: [iam.DeleteInstanceProfileCommandInput, iam.DeleteInstanceProfileCommandOutput];
  AddRoleToInstanceProfile: [iam.AddRoleToInstanceProfileCommandInput, iam.AddRoleToInstanceProfileCommandOutput];
  RemoveRoleFromInstanceProfile: [iam.RemoveRoleFromInstanceProfileCommandInput, iam.RemoveRoleFromInstanceProfileCommandOutput];
  ListInstanceProfiles: [iam.ListInstanceProfilesCommandInput, iam.ListInstanceProfilesCommandOutput];
  ListInstanceProfilesForRole: [iam.ListInstanceProfilesForRoleCommandInput, iam.ListInstanceProfilesForRoleCommandOutput];
  CreateUser: [iam.CreateUserCommandInput, iam.CreateUserCommandOutput];
  GetUser: [iam.GetUserCommandInput, iam.GetUserCommandOutput];
  ListUsers: [iam.ListUsersCommandInput, iam.ListUsersCommandOutput];
  DeleteUser: [iam.DeleteUserCommandInput, iam.DeleteUserCommandOutput];
  CreateGroup: [iam.CreateGroupCommandInput, iam.CreateGroupCommandOutput];
  GetGroup: [iam.GetGroupCommandInput, iam.GetGroupCommandOutput];
  DeleteGroup: [iam.DeleteGroupCommandInput, iam.DeleteGroupCommandOutput];
  AddUserToGroup: [iam.AddUserToGroupCommandInput, iam.AddUserToGroupCommandOutput];
  RemoveUserFromGroup: [iam.RemoveUserFromGroupCommandInput, iam.RemoveUserFromGroupCommandOutput];
  ListGroupsForUser: [iam.ListGroupsForUserCommandInput, iam.ListGroupsForUserCommandOutput];
  CreateAccessKey: [iam.CreateAccessKeyCommandInput, iam.CreateAccessKeyCommandOutput];
  ListAccessKeys: [iam.ListAccessKeysCommandInput, iam.ListAccessKeysCommandOutput];
  UpdateAccessKey: [iam.UpdateAccessKeyCommandInput, iam.UpdateAccessKeyCommandOutput];
  DeleteAccessKey: [iam.DeleteAccessKeyCommandInput, iam.DeleteAccessKeyCommandOutput];
}
