/**
 * IAM operations: thin adapters from the wire's typed requests to the domain, typed by the
 * @aws-sdk/client-iam aggregated client. The request context is the domain's scope; IAM is global,
 * so the domain reads only its accountId (the region of the signature is ignored).
 */
import type { IAM, User } from "@aws-sdk/client-iam";
import { defineHandlers } from "../../aws/define-service.ts";
import type { HandlerTable, RequestContext } from "../../aws/service.ts";
import type { Iam } from "./iam.ts";
import { ROOT_USER } from "./users.ts";
import { page } from "./util.ts";

/** The account root as GetUser shows it when called without UserName by a non-IAM-user key. */
const ROOT_CREATED = new Date(Date.UTC(2020, 0, 1));

export function iamHandlers(e: Iam): HandlerTable {
  /** UserName, or the calling IAM user, or the root (ROOT_USER). */
  const userOrCaller = (name: string | undefined, c: RequestContext) => name ?? e.callerUserName(c.accessKeyId) ?? ROOT_USER;

  return defineHandlers<IAM>()({
    // ---- roles
    CreateRole: (i, c) => ({ Role: e.roles.create(c, i) }),
    GetRole: (i, c) => ({ Role: e.roles.get(c, i.RoleName!) }),
    ListRoles: (i, c) => e.roles.list(c, i),
    UpdateRole: (i, c) => {
      e.roles.update(c, i);
      return {};
    },
    UpdateRoleDescription: (i, c) => ({ Role: e.roles.updateDescription(c, i.RoleName!, i.Description) }),
    UpdateAssumeRolePolicy: (i, c) => {
      e.roles.updateAssumeRolePolicy(c, i.RoleName!, i.PolicyDocument!);
      return {};
    },
    DeleteRole: (i, c) => {
      e.roles.delete(c, i.RoleName!);
      return {};
    },
    TagRole: (i, c) => {
      e.roles.tag(c, i.RoleName!, i.Tags);
      return {};
    },
    UntagRole: (i, c) => {
      e.roles.untag(c, i.RoleName!, i.TagKeys);
      return {};
    },
    ListRoleTags: (i, c) => ({ Tags: e.roles.tagsOf(c, i.RoleName!), IsTruncated: false }),

    // ---- inline role policies
    PutRolePolicy: (i, c) => {
      e.roles.putPolicy(c, i.RoleName!, i.PolicyName!, i.PolicyDocument!);
      return {};
    },
    GetRolePolicy: (i, c) => e.roles.getPolicy(c, i.RoleName!, i.PolicyName!),
    DeleteRolePolicy: (i, c) => {
      e.roles.deletePolicy(c, i.RoleName!, i.PolicyName!);
      return {};
    },
    ListRolePolicies: (i, c) => {
      const p = page(e.roles.policyNames(c, i.RoleName!), i.MaxItems, i.Marker);
      return { PolicyNames: p.items, IsTruncated: p.IsTruncated, ...(p.Marker ? { Marker: p.Marker } : {}) };
    },

    // ---- managed policies
    CreatePolicy: (i, c) => ({ Policy: e.policies.create(c, i) }),
    GetPolicy: (i, c) => ({ Policy: e.policies.get(c, i.PolicyArn!) }),
    ListPolicies: (i, c) => e.policies.list(c, i),
    DeletePolicy: (i, c) => {
      e.policies.delete(c, i.PolicyArn!);
      return {};
    },
    GetPolicyVersion: (i, c) => ({ PolicyVersion: e.policies.getVersion(c, i.PolicyArn!, i.VersionId!) }),
    ListPolicyVersions: (i, c) => e.policies.listVersions(c, i.PolicyArn!, i.MaxItems, i.Marker),
    CreatePolicyVersion: (i, c) => ({
      PolicyVersion: e.policies.createVersion(c, i.PolicyArn!, i.PolicyDocument!, i.SetAsDefault ?? false),
    }),
    SetDefaultPolicyVersion: (i, c) => {
      e.policies.setDefaultVersion(c, i.PolicyArn!, i.VersionId!);
      return {};
    },
    DeletePolicyVersion: (i, c) => {
      e.policies.deleteVersion(c, i.PolicyArn!, i.VersionId!);
      return {};
    },
    TagPolicy: (i, c) => {
      e.policies.tag(c, i.PolicyArn!, i.Tags);
      return {};
    },
    UntagPolicy: (i, c) => {
      e.policies.untag(c, i.PolicyArn!, i.TagKeys);
      return {};
    },
    ListPolicyTags: (i, c) => ({ Tags: e.policies.tagsOf(c, i.PolicyArn!), IsTruncated: false }),
    ListEntitiesForPolicy: (i, c) => e.entitiesForPolicy(c, i.PolicyArn!),

    // ---- attachments
    AttachRolePolicy: (i, c) => {
      e.attachPolicy(c, "role", i.RoleName!, i.PolicyArn!);
      return {};
    },
    DetachRolePolicy: (i, c) => {
      e.detachPolicy(c, "role", i.RoleName!, i.PolicyArn!);
      return {};
    },
    ListAttachedRolePolicies: (i, c) => e.attachedPolicies(c, "role", i.RoleName!, i),
    AttachUserPolicy: (i, c) => {
      e.attachPolicy(c, "user", i.UserName!, i.PolicyArn!);
      return {};
    },
    DetachUserPolicy: (i, c) => {
      e.detachPolicy(c, "user", i.UserName!, i.PolicyArn!);
      return {};
    },
    ListAttachedUserPolicies: (i, c) => e.attachedPolicies(c, "user", i.UserName!, i),
    AttachGroupPolicy: (i, c) => {
      e.attachPolicy(c, "group", i.GroupName!, i.PolicyArn!);
      return {};
    },
    DetachGroupPolicy: (i, c) => {
      e.detachPolicy(c, "group", i.GroupName!, i.PolicyArn!);
      return {};
    },
    ListAttachedGroupPolicies: (i, c) => e.attachedPolicies(c, "group", i.GroupName!, i),

    // ---- instance profiles
    CreateInstanceProfile: (i, c) => ({ InstanceProfile: e.instanceProfiles.create(c, i.InstanceProfileName!, i.Path, i.Tags) }),
    GetInstanceProfile: (i, c) => ({ InstanceProfile: e.instanceProfiles.get(c, i.InstanceProfileName!) }),
    DeleteInstanceProfile: (i, c) => {
      e.instanceProfiles.delete(c, i.InstanceProfileName!);
      return {};
    },
    AddRoleToInstanceProfile: (i, c) => {
      e.instanceProfiles.addRole(c, i.InstanceProfileName!, i.RoleName!);
      return {};
    },
    RemoveRoleFromInstanceProfile: (i, c) => {
      e.instanceProfiles.removeRole(c, i.InstanceProfileName!, i.RoleName!);
      return {};
    },
    ListInstanceProfiles: (i, c) => e.instanceProfiles.list(c, i.PathPrefix, i.MaxItems, i.Marker),
    ListInstanceProfilesForRole: (i, c) => e.instanceProfiles.forRole(c, i.RoleName!, i.MaxItems, i.Marker),

    // ---- the policy simulator
    SimulatePrincipalPolicy: (i, c) => e.simulator.principalPolicy(c, i),
    SimulateCustomPolicy: (i, c) => e.simulator.customPolicy(c, i),
    GetContextKeysForPrincipalPolicy: (i, c) => ({ ContextKeyNames: e.simulator.contextKeysForPrincipal(c, i.PolicySourceArn!, i.PolicyInputList) }),
    GetContextKeysForCustomPolicy: (i) => ({ ContextKeyNames: e.simulator.contextKeysForCustom(i.PolicyInputList ?? []) }),

    // ---- OIDC identity providers
    CreateOpenIDConnectProvider: (i, c) => e.oidcProviders.create(c, i),
    GetOpenIDConnectProvider: (i, c) => e.oidcProviders.get(c, i.OpenIDConnectProviderArn!),
    ListOpenIDConnectProviders: (_i, c) => ({ OpenIDConnectProviderList: e.oidcProviders.list(c) }),
    DeleteOpenIDConnectProvider: (i, c) => {
      e.oidcProviders.delete(c, i.OpenIDConnectProviderArn!);
      return {};
    },
    UpdateOpenIDConnectProviderThumbprint: (i, c) => {
      e.oidcProviders.updateThumbprint(c, i.OpenIDConnectProviderArn!, i.ThumbprintList ?? []);
      return {};
    },
    AddClientIDToOpenIDConnectProvider: (i, c) => {
      e.oidcProviders.addClientId(c, i.OpenIDConnectProviderArn!, i.ClientID!);
      return {};
    },
    RemoveClientIDFromOpenIDConnectProvider: (i, c) => {
      e.oidcProviders.removeClientId(c, i.OpenIDConnectProviderArn!, i.ClientID!);
      return {};
    },
    TagOpenIDConnectProvider: (i, c) => {
      e.oidcProviders.tag(c, i.OpenIDConnectProviderArn!, i.Tags);
      return {};
    },
    UntagOpenIDConnectProvider: (i, c) => {
      e.oidcProviders.untag(c, i.OpenIDConnectProviderArn!, i.TagKeys);
      return {};
    },
    ListOpenIDConnectProviderTags: (i, c) => ({ Tags: e.oidcProviders.tagsOf(c, i.OpenIDConnectProviderArn!), IsTruncated: false }),

    // ---- inline user and group policies
    PutUserPolicy: (i, c) => {
      e.putInlinePolicy(c, "user", i.UserName!, i.PolicyName!, i.PolicyDocument!);
      return {};
    },
    GetUserPolicy: (i, c) => ({ UserName: e.principal(c, "user", i.UserName!), ...e.getInlinePolicy(c, "user", i.UserName!, i.PolicyName!) }),
    DeleteUserPolicy: (i, c) => {
      e.deleteInlinePolicy(c, "user", i.UserName!, i.PolicyName!);
      return {};
    },
    ListUserPolicies: (i, c) => {
      const p = page(e.inlinePolicyNames(c, "user", i.UserName!), i.MaxItems, i.Marker);
      return { PolicyNames: p.items, IsTruncated: p.IsTruncated, ...(p.Marker ? { Marker: p.Marker } : {}) };
    },
    PutGroupPolicy: (i, c) => {
      e.putInlinePolicy(c, "group", i.GroupName!, i.PolicyName!, i.PolicyDocument!);
      return {};
    },
    GetGroupPolicy: (i, c) => ({ GroupName: e.principal(c, "group", i.GroupName!), ...e.getInlinePolicy(c, "group", i.GroupName!, i.PolicyName!) }),
    DeleteGroupPolicy: (i, c) => {
      e.deleteInlinePolicy(c, "group", i.GroupName!, i.PolicyName!);
      return {};
    },
    ListGroupPolicies: (i, c) => {
      const p = page(e.inlinePolicyNames(c, "group", i.GroupName!), i.MaxItems, i.Marker);
      return { PolicyNames: p.items, IsTruncated: p.IsTruncated, ...(p.Marker ? { Marker: p.Marker } : {}) };
    },

    // ---- users, groups, access keys
    CreateUser: (i, c) => ({ User: e.users.create(c, i) }),
    GetUser: (i, c) => {
      const name = i.UserName ?? e.callerUserName(c.accessKeyId);
      if (name !== undefined) return { User: e.users.get(c, name) };
      const id = e.callerIdentity(c.accessKeyId, c);
      return { User: { UserId: id.Account, Arn: id.Arn, CreateDate: ROOT_CREATED } as User };
    },
    ListUsers: (i, c) => e.users.list(c, i.PathPrefix, i.MaxItems, i.Marker),
    DeleteUser: (i, c) => {
      e.users.delete(c, i.UserName!);
      return {};
    },
    CreateGroup: (i, c) => ({ Group: e.users.createGroup(c, i.GroupName!, i.Path) }),
    GetGroup: (i, c) => ({ ...e.users.groupWithUsers(c, i.GroupName!), IsTruncated: false }),
    DeleteGroup: (i, c) => {
      e.users.deleteGroup(c, i.GroupName!);
      return {};
    },
    AddUserToGroup: (i, c) => {
      e.users.addToGroup(c, i.GroupName!, i.UserName!);
      return {};
    },
    RemoveUserFromGroup: (i, c) => {
      e.users.removeFromGroup(c, i.GroupName!, i.UserName!);
      return {};
    },
    ListGroupsForUser: (i, c) => ({ Groups: e.users.groupsForUser(c, i.UserName!), IsTruncated: false }),
    CreateAccessKey: (i, c) => ({ AccessKey: e.users.createAccessKey(c, userOrCaller(i.UserName, c)) }),
    ListAccessKeys: (i, c) => e.users.listAccessKeys(c, userOrCaller(i.UserName, c), i.MaxItems, i.Marker),
    UpdateAccessKey: (i, c) => {
      e.users.updateAccessKey(c, userOrCaller(i.UserName, c), i.AccessKeyId!, i.Status!);
      return {};
    },
    DeleteAccessKey: (i, c) => {
      e.users.deleteAccessKey(c, userOrCaller(i.UserName, c), i.AccessKeyId!);
      return {};
    },
  });
}
