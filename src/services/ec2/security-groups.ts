/**
 * Security groups. Rules are kept atomic in the group's private state (one protocol/port range
 * and one peer each, with an `sgr-` id); IpPermissions / IpPermissionsEgress are grouped from them
 * on the way out, so Authorize/Revoke can find duplicates and missing rules exactly as AWS does.
 */
import type {
  AuthorizeSecurityGroupEgressRequest,
  AuthorizeSecurityGroupIngressRequest,
  CreateSecurityGroupRequest,
  CreateSecurityGroupResult,
  DescribeSecurityGroupRulesRequest,
  DescribeSecurityGroupsRequest,
  IpPermission,
  RevokeSecurityGroupEgressRequest,
  RevokeSecurityGroupIngressRequest,
  SecurityGroup,
  SecurityGroupRule,
} from "@aws-sdk/client-ec2";
import { arn, type Scope } from "../../core/arn.ts";
import { formatCidr, parseCidr } from "./cidr.ts";
import type { Ec2Context } from "./context.ts";
import { dependencyViolation, ec2Error, invalidParameterValue, missingParameter, notFound } from "./errors.ts";
import { applyFilters } from "./filters.ts";
import type { Ec2Record } from "./repo.ts";
import { requireResource } from "./resources.ts";
import { withTags } from "./tagging.ts";

export interface SgRule {
  id: string;
  egress: boolean;
  proto: string;
  from?: number;
  to?: number;
  cidr?: string;
  cidr6?: string;
  groupId?: string;
  groupOwner?: string;
  prefixListId?: string;
  description?: string;
}

export interface SgState {
  rules: SgRule[];
}

export type SgDoc = Omit<SecurityGroup, "IpPermissions" | "IpPermissionsEgress" | "Tags">;
export type SgRecord = Ec2Record<SgDoc, SgState>;

const PROTOCOLS: Record<string, string> = { "-1": "-1", all: "-1", tcp: "tcp", "6": "tcp", udp: "udp", "17": "udp", icmp: "icmp", "1": "icmp", icmpv6: "icmpv6", "58": "icmpv6" };

type RuleInput = Pick<IpPermission, "IpProtocol" | "FromPort" | "ToPort" | "IpRanges" | "Ipv6Ranges" | "UserIdGroupPairs" | "PrefixListIds">;
type Legacy = { CidrIp?: string; IpProtocol?: string; FromPort?: number; ToPort?: number; SourceSecurityGroupName?: string; SourceSecurityGroupOwnerId?: string };

const sameRule = (a: Omit<SgRule, "id">, b: Omit<SgRule, "id">) =>
  a.egress === b.egress && a.proto === b.proto && a.from === b.from && a.to === b.to && a.cidr === b.cidr && a.cidr6 === b.cidr6 &&
  a.groupId === b.groupId && a.prefixListId === b.prefixListId;

/** What security groups need from the other modules. */
export interface GroupParts {
  /** True when a network interface uses the group (DeleteSecurityGroup → DependencyViolation). */
  inUse(scope: Scope, groupId: string): boolean;
  /** Whether a prefix list (AWS-managed or the account's) exists. */
  prefixListExists(scope: Scope, id: string): boolean;
  /** The default VPC, or undefined once it was deleted. */
  defaultVpcId(scope: Scope): string | undefined;
}

export class SecurityGroups {
  readonly #e: Ec2Context;
  readonly #parts: GroupParts;
  constructor(ctx: Ec2Context, parts: GroupParts) {
    this.#e = ctx;
    this.#parts = parts;
  }

  require(scope: Scope, id: string | undefined): SgRecord {
    return requireResource<SgDoc, SgState>(this.#e.repo, scope, "security-group", id);
  }

  /** By GroupId, else by GroupName in the default VPC (EC2's rule for name-only calls). */
  resolve(scope: Scope, groupId: string | undefined, groupName: string | undefined): SgRecord {
    if (groupId) return this.require(scope, groupId);
    if (!groupName) throw missingParameter("GroupId");
    this.#e.ensureDefaults(scope);
    const vpcId = this.#parts.defaultVpcId(scope);
    if (!vpcId) throw ec2Error("VPCIdNotSpecified", "No default VPC for this user");
    const rec = this.#e.repo.list<SgDoc, SgState>(scope, "security-group", vpcId).find((g) => g.doc.GroupName === groupName);
    if (!rec) throw ec2Error("InvalidGroup.NotFound", `The security group '${groupName}' does not exist in default VPC '${vpcId}'`);
    return rec;
  }

  #insert(scope: Scope, vpcId: string, name: string, description: string, rules: (id: string) => Omit<SgRule, "id">[]): SgDoc {
    const e = this.#e;
    const id = e.newId("sg");
    const doc: SgDoc = {
      GroupId: id,
      GroupName: name,
      Description: description,
      OwnerId: scope.accountId,
      VpcId: vpcId,
      SecurityGroupArn: arn("ec2", scope, `security-group/${id}`),
    };
    const state: SgState = { rules: rules(id).map((r) => ({ ...r, id: e.newId("sgr") })) };
    e.repo.put(scope, { id, type: "security-group", vpcId, doc, state });
    return doc;
  }

  insertDefault(scope: Scope, vpcId: string): SgDoc {
    return this.#insert(scope, vpcId, "default", "default VPC security group", (id) => [
      { egress: false, proto: "-1", groupId: id, groupOwner: scope.accountId },
      { egress: true, proto: "-1", cidr: "0.0.0.0/0" },
    ]);
  }

  create(scope: Scope, input: CreateSecurityGroupRequest): CreateSecurityGroupResult {
    const e = this.#e;
    const name = input.GroupName ?? "";
    if (!name) throw missingParameter("groupName");
    if (input.Description === undefined) throw missingParameter("groupDescription");
    if (name.length > 255) throw invalidParameterValue(`Invalid value '${name}' for groupName. Length exceeds maximum of 255`);
    if (name.startsWith("sg-")) throw invalidParameterValue("Group names may not be in the format sg-*");
    if (name === "default") throw ec2Error("InvalidGroup.Reserved", "The security group 'default' is reserved");
    return e.store.tx(() => {
      e.ensureDefaults(scope);
      const vpcId = input.VpcId ? requireResource(e.repo, scope, "vpc", input.VpcId).id : this.#parts.defaultVpcId(scope);
      if (!vpcId) throw ec2Error("VPCIdNotSpecified", "No default VPC for this user");
      if (e.repo.list<SgDoc>(scope, "security-group", vpcId).some((g) => g.doc.GroupName === name)) {
        throw ec2Error("InvalidGroup.Duplicate", `The security group '${name}' already exists for VPC '${vpcId}'`);
      }
      const doc = this.#insert(scope, vpcId, name, input.Description!, () => [{ egress: true, proto: "-1", cidr: "0.0.0.0/0" }]);
      e.tags.applySpecs(scope, doc.GroupId!, "security-group", input.TagSpecifications);
      const tags = e.tags.of(scope, doc.GroupId!);
      return withTags({ GroupId: doc.GroupId, SecurityGroupArn: doc.SecurityGroupArn }, tags);
    });
  }

  present(scope: Scope, rec: SgRecord): SecurityGroup {
    const sg: SecurityGroup = {
      ...rec.doc,
      IpPermissions: toPermissions(rec.state.rules.filter((r) => !r.egress)),
      IpPermissionsEgress: toPermissions(rec.state.rules.filter((r) => r.egress)),
    };
    return withTags(sg, this.#e.tags.of(scope, rec.id));
  }

  describe(scope: Scope, input: DescribeSecurityGroupsRequest): SecurityGroup[] {
    const e = this.#e;
    e.ensureDefaults(scope);
    const wanted = new Set<string>();
    for (const id of input.GroupIds ?? []) wanted.add(this.require(scope, id).id);
    for (const name of input.GroupNames ?? []) wanted.add(this.resolve(scope, undefined, name).id);
    let all = e.repo.list<SgDoc, SgState>(scope, "security-group");
    if (wanted.size) all = all.filter((g) => wanted.has(g.id));
    const perm = (egress: boolean, pick: (r: SgRule) => string | number | undefined) => (g: SgRecord) =>
      g.state.rules.filter((r) => r.egress === egress).map(pick);
    const fields = (prefix: string, egress: boolean) => ({
      [`${prefix}ip-permission.cidr`]: perm(egress, (r) => r.cidr),
      [`${prefix}ip-permission.ipv6-cidr`]: perm(egress, (r) => r.cidr6),
      [`${prefix}ip-permission.from-port`]: perm(egress, (r) => r.from ?? -1),
      [`${prefix}ip-permission.to-port`]: perm(egress, (r) => r.to ?? -1),
      [`${prefix}ip-permission.protocol`]: perm(egress, (r) => r.proto),
      [`${prefix}ip-permission.group-id`]: perm(egress, (r) => r.groupId),
      [`${prefix}ip-permission.prefix-list-id`]: perm(egress, (r) => r.prefixListId),
      [`${prefix}ip-permission.user-id`]: perm(egress, (r) => r.groupOwner),
    });
    return applyFilters(
      all,
      input.Filters,
      {
        "group-id": (g) => g.id,
        "group-name": (g) => g.doc.GroupName,
        description: (g) => g.doc.Description,
        "vpc-id": (g) => g.doc.VpcId,
        "owner-id": (g) => g.doc.OwnerId,
        ...fields("", false),
        ...fields("egress.", true),
      },
      (g) => e.tags.of(scope, g.id),
    ).map((g) => this.present(scope, g));
  }

  describeRules(scope: Scope, input: DescribeSecurityGroupRulesRequest): SecurityGroupRule[] {
    const e = this.#e;
    e.ensureDefaults(scope);
    const all = e.repo.list<SgDoc, SgState>(scope, "security-group").flatMap((g) => g.state.rules.map((r) => toRule(scope, g.id, r)));
    for (const id of input.SecurityGroupRuleIds ?? []) {
      if (!all.some((r) => r.SecurityGroupRuleId === id)) notFound("sgr", id);
    }
    const picked = input.SecurityGroupRuleIds?.length ? all.filter((r) => input.SecurityGroupRuleIds!.includes(r.SecurityGroupRuleId!)) : all;
    return applyFilters(
      picked,
      input.Filters,
      { "group-id": (r) => r.GroupId, "security-group-rule-id": (r) => r.SecurityGroupRuleId, "is-egress": (r) => r.IsEgress },
      () => [],
    );
  }

  authorize(scope: Scope, egress: boolean, input: AuthorizeSecurityGroupIngressRequest | AuthorizeSecurityGroupEgressRequest): SecurityGroupRule[] {
    const e = this.#e;
    return e.store.tx(() => {
      e.ensureDefaults(scope);
      const g = this.resolve(scope, input.GroupId, "GroupName" in input ? input.GroupName : undefined);
      const wanted = this.#expand(scope, g, egress, input.IpPermissions, input as Legacy);
      const rules = [...g.state.rules];
      const added: SgRule[] = [];
      for (const w of wanted) {
        if (rules.some((r) => sameRule(r, w)) || added.some((r) => sameRule(r, w))) {
          throw ec2Error("InvalidPermission.Duplicate", `the specified rule "${describeRule(w)}" already exists`);
        }
        added.push({ ...w, id: e.newId("sgr") });
      }
      rules.push(...added);
      e.repo.put(scope, { id: g.id, type: "security-group", vpcId: g.vpcId, doc: g.doc, state: { rules } });
      return added.map((r) => toRule(scope, g.id, r));
    });
  }

  revoke(scope: Scope, egress: boolean, input: RevokeSecurityGroupIngressRequest | RevokeSecurityGroupEgressRequest): void {
    const e = this.#e;
    e.store.tx(() => {
      e.ensureDefaults(scope);
      const g = this.resolve(scope, input.GroupId, "GroupName" in input ? input.GroupName : undefined);
      let rules = [...g.state.rules];
      if (input.SecurityGroupRuleIds?.length) {
        for (const id of input.SecurityGroupRuleIds) {
          if (!rules.some((r) => r.id === id && r.egress === egress)) notFound("sgr", id);
        }
        rules = rules.filter((r) => !input.SecurityGroupRuleIds!.includes(r.id));
      } else {
        for (const w of this.#expand(scope, g, egress, input.IpPermissions, input as Legacy)) {
          const i = rules.findIndex((r) => sameRule(r, w));
          if (i < 0) throw ec2Error("InvalidPermission.NotFound", "The specified rule does not exist in this security group.");
          rules.splice(i, 1);
        }
      }
      e.repo.put(scope, { id: g.id, type: "security-group", vpcId: g.vpcId, doc: g.doc, state: { rules } });
    });
  }

  delete(scope: Scope, groupId: string | undefined, groupName: string | undefined): string {
    const e = this.#e;
    return e.store.tx(() => {
      e.ensureDefaults(scope);
      const g = this.resolve(scope, groupId, groupName);
      if (g.doc.GroupName === "default") {
        throw ec2Error("CannotDelete", `the specified group: "${g.id}" name: "default" cannot be deleted by a user`);
      }
      const referenced = e.repo
        .list<SgDoc, SgState>(scope, "security-group")
        .some((o) => o.id !== g.id && o.state.rules.some((r) => r.groupId === g.id));
      if (this.#parts.inUse(scope, g.id) || referenced) throw dependencyViolation(`resource ${g.id} has a dependent object`);
      e.repo.delete(scope, g.id);
      e.tags.dropAll(scope, g.id);
      return g.id;
    });
  }

  /** IpPermissions (or the legacy top-level CidrIp/IpProtocol/ports) → atomic rules. */
  #expand(scope: Scope, g: SgRecord, egress: boolean, perms: readonly RuleInput[] | undefined, legacy: Legacy): Omit<SgRule, "id">[] {
    const list: RuleInput[] = perms?.length ? [...perms] : [];
    if (!list.length && (legacy.CidrIp || legacy.SourceSecurityGroupName || legacy.IpProtocol)) {
      list.push({
        IpProtocol: legacy.IpProtocol ?? "-1",
        FromPort: legacy.FromPort,
        ToPort: legacy.ToPort,
        IpRanges: legacy.CidrIp ? [{ CidrIp: legacy.CidrIp }] : [],
        UserIdGroupPairs: legacy.SourceSecurityGroupName ? [{ GroupName: legacy.SourceSecurityGroupName, UserId: legacy.SourceSecurityGroupOwnerId }] : [],
      });
    }
    if (!list.length) throw missingParameter("ipPermissions");
    const out: Omit<SgRule, "id">[] = [];
    for (const p of list) {
      const proto = PROTOCOLS[(p.IpProtocol ?? "").toLowerCase()];
      if (!proto) throw invalidParameterValue(`Invalid value '${p.IpProtocol}' for IP protocol. Unknown protocol.`);
      let from: number | undefined;
      let to: number | undefined;
      if (proto === "tcp" || proto === "udp") {
        if (p.FromPort === undefined || p.ToPort === undefined) {
          throw invalidParameterValue("Invalid value 'Must specify both from and to ports with TCP/UDP.' for portRange");
        }
        if (p.FromPort < 0 || p.ToPort > 65535 || p.FromPort > p.ToPort) {
          throw invalidParameterValue(`Invalid port range (${p.FromPort}, ${p.ToPort})`);
        }
        from = p.FromPort;
        to = p.ToPort;
      } else if (proto === "icmp" || proto === "icmpv6") {
        from = p.FromPort ?? -1;
        to = p.ToPort ?? -1;
      }
      const base = { egress, proto, ...(from !== undefined ? { from, to } : {}) };
      const desc = (d: string | undefined) => (d ? { description: d } : {});
      const targets: Omit<SgRule, "id">[] = [
        ...(p.IpRanges ?? []).map((r) => {
          if (!r.CidrIp) throw missingParameter("cidrIp");
          return { ...base, cidr: formatCidr(parseCidr(r.CidrIp, "cidrIp")), ...desc(r.Description) };
        }),
        ...(p.Ipv6Ranges ?? []).map((r) => {
          if (!r.CidrIpv6 || !r.CidrIpv6.includes(":")) {
            throw invalidParameterValue(`Value (${r.CidrIpv6}) for parameter cidrIpv6 is invalid. This is not a valid CIDR block.`);
          }
          return { ...base, cidr6: r.CidrIpv6.toLowerCase(), ...desc(r.Description) };
        }),
        ...(p.UserIdGroupPairs ?? []).map((pair) => {
          const peer = pair.GroupId
            ? this.require(scope, pair.GroupId)
            : this.#e.repo.list<SgDoc, SgState>(scope, "security-group", g.vpcId).find((x) => x.doc.GroupName === pair.GroupName);
          if (!peer) throw ec2Error("InvalidGroup.NotFound", `The security group '${pair.GroupName}' does not exist in VPC '${g.vpcId}'`);
          if (peer.vpcId !== g.vpcId) throw ec2Error("InvalidGroup.NotFound", "You have specified two resources that belong to different networks.");
          return { ...base, groupId: peer.id, groupOwner: peer.doc.OwnerId, ...desc(pair.Description) };
        }),
        ...(p.PrefixListIds ?? []).map((pl) => {
          if (!pl.PrefixListId) throw missingParameter("PrefixListId");
          if (!this.#parts.prefixListExists(scope, pl.PrefixListId)) notFound("pl", pl.PrefixListId);
          return { ...base, prefixListId: pl.PrefixListId, ...desc(pl.Description) };
        }),
      ];
      if (!targets.length) {
        throw ec2Error("InvalidParameterValue", "The request must contain a CIDR, security group or prefix list for each permission");
      }
      out.push(...targets);
    }
    return out;
  }
}

function describeRule(r: Omit<SgRule, "id">): string {
  const peer = r.cidr ?? r.cidr6 ?? r.groupId ?? r.prefixListId;
  const proto = r.proto === "-1" ? "ALL" : r.proto.toUpperCase();
  const ports = r.from !== undefined ? `, from port: ${r.from}, to port: ${r.to}` : "";
  return `peer: ${peer}, ${proto}${ports}, ALLOW`;
}

/** Atomic rules → IpPermissions grouped by protocol and port range, in first-seen order. */
function toPermissions(rules: readonly SgRule[]): IpPermission[] {
  const groups = new Map<string, IpPermission>();
  for (const r of rules) {
    const key = `${r.proto}|${r.from}|${r.to}`;
    let p = groups.get(key);
    if (!p) {
      p = {
        IpProtocol: r.proto,
        ...(r.from !== undefined ? { FromPort: r.from, ToPort: r.to } : {}),
        UserIdGroupPairs: [],
        IpRanges: [],
        Ipv6Ranges: [],
        PrefixListIds: [],
      };
      groups.set(key, p);
    }
    const d = r.description ? { Description: r.description } : {};
    if (r.cidr) p.IpRanges!.push({ CidrIp: r.cidr, ...d });
    if (r.cidr6) p.Ipv6Ranges!.push({ CidrIpv6: r.cidr6, ...d });
    if (r.groupId) p.UserIdGroupPairs!.push({ GroupId: r.groupId, UserId: r.groupOwner, ...d });
    if (r.prefixListId) p.PrefixListIds!.push({ PrefixListId: r.prefixListId, ...d });
  }
  return [...groups.values()];
}

function toRule(scope: Scope, groupId: string, r: SgRule): SecurityGroupRule {
  return {
    SecurityGroupRuleId: r.id,
    GroupId: groupId,
    GroupOwnerId: scope.accountId,
    IsEgress: r.egress,
    IpProtocol: r.proto,
    FromPort: r.from ?? -1,
    ToPort: r.to ?? -1,
    ...(r.cidr ? { CidrIpv4: r.cidr } : {}),
    ...(r.cidr6 ? { CidrIpv6: r.cidr6 } : {}),
    ...(r.prefixListId ? { PrefixListId: r.prefixListId } : {}),
    ...(r.groupId ? { ReferencedGroupInfo: { GroupId: r.groupId, UserId: r.groupOwner } } : {}),
    ...(r.description ? { Description: r.description } : {}),
    SecurityGroupRuleArn: arn("ec2", scope, `security-group-rule/${r.id}`),
    Tags: [],
  };
}
