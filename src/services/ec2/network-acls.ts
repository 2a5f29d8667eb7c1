/**
 * Network ACLs, described (https://docs.aws.amazon.com/vpc/latest/userguide/vpc-network-acls.html):
 * every VPC has a default ACL that allows all traffic both ways (rule 100) before the final deny
 * (rule 32767, the `*` rule), and every subnet is associated with it. Slipway does not create
 * custom ACLs (CreateNetworkAcl and the entry calls are not served) and enforces nothing at the
 * subnet boundary: the default ACL allows everything, so security groups decide alone.
 */
import type { DescribeNetworkAclsRequest, NetworkAcl, NetworkAclEntry, Subnet, Vpc } from "@aws-sdk/client-ec2";
import type { Scope } from "../../core/arn.ts";
import type { Ec2Context } from "./context.ts";
import { notFound } from "./errors.ts";
import { applyFilters } from "./filters.ts";
import type { Ec2Record } from "./repo.ts";
import { withTags } from "./tagging.ts";

interface AclState {
  /** subnet id → association id (stable: Terraform keeps them). */
  associations: Record<string, string>;
}
type AclDoc = Omit<NetworkAcl, "Associations" | "Tags">;
type AclRecord = Ec2Record<AclDoc, AclState>;

const DEFAULT_ENTRIES: NetworkAclEntry[] = [true, false].flatMap((egress) => [
  { CidrBlock: "0.0.0.0/0", Egress: egress, Protocol: "-1", RuleAction: "allow", RuleNumber: 100 },
  { CidrBlock: "0.0.0.0/0", Egress: egress, Protocol: "-1", RuleAction: "deny", RuleNumber: 32767 },
]);

export class NetworkAcls {
  readonly #e: Ec2Context;
  constructor(ctx: Ec2Context) {
    this.#e = ctx;
  }

  #ofVpc(scope: Scope, vpcId: string): AclRecord | undefined {
    return this.#e.repo.list<AclDoc, AclState>(scope, "network-acl", vpcId).find((r) => r.doc.IsDefault);
  }

  /** The VPC's default ACL, made if missing (VPCs made before ACLs existed get theirs on first look). */
  ensureDefault(scope: Scope, vpcId: string): AclRecord {
    const known = this.#ofVpc(scope, vpcId);
    if (known) return known;
    const id = this.#e.newId("acl");
    const doc: AclDoc = { Entries: DEFAULT_ENTRIES, IsDefault: true, NetworkAclId: id, VpcId: vpcId, OwnerId: this.#e.repo.get<Vpc>(scope, vpcId)?.doc.OwnerId ?? scope.accountId };
    const rec: AclRecord = { id, type: "network-acl", vpcId, doc, state: { associations: {} } };
    this.#e.repo.put(scope, rec);
    return rec;
  }

  /** A new subnet joins its VPC's default ACL. */
  associate(scope: Scope, vpcId: string, subnetId: string): void {
    const acl = this.ensureDefault(scope, vpcId);
    if (acl.state.associations[subnetId]) return;
    const associations = { ...acl.state.associations, [subnetId]: this.#e.newId("aclassoc") };
    this.#e.repo.put(scope, { ...acl, state: { associations } });
  }

  /** A deleted subnet leaves its ACL. */
  dropSubnet(scope: Scope, subnetId: string): void {
    for (const acl of this.#e.repo.list<AclDoc, AclState>(scope, "network-acl")) {
      if (!acl.state.associations[subnetId]) continue;
      const { [subnetId]: _gone, ...rest } = acl.state.associations;
      this.#e.repo.put(scope, { ...acl, state: { associations: rest } });
    }
  }

  /** A deleted VPC's ACLs go with it. */
  dropVpc(scope: Scope, vpcId: string): void {
    for (const acl of this.#e.repo.list(scope, "network-acl", vpcId)) {
      this.#e.repo.delete(scope, acl.id);
      this.#e.tags.dropAll(scope, acl.id);
    }
  }

  describe(scope: Scope, input: DescribeNetworkAclsRequest): NetworkAcl[] {
    const e = this.#e;
    const all = e.store.tx(() => {
      e.ensureDefaults(scope);
      for (const vpc of e.repo.list<Vpc>(scope, "vpc")) this.ensureDefault(scope, vpc.id);
      for (const s of e.repo.list<Subnet>(scope, "subnet")) this.associate(scope, s.vpcId!, s.id);
      return e.repo.list<AclDoc, AclState>(scope, "network-acl");
    });
    for (const id of input.NetworkAclIds ?? []) if (!all.some((a) => a.id === id)) notFound("acl", id);
    const picked = input.NetworkAclIds?.length ? all.filter((a) => input.NetworkAclIds!.includes(a.id)) : all;
    const acls: NetworkAcl[] = picked.map((a) => ({
      ...a.doc,
      Associations: Object.entries(a.state.associations).map(([SubnetId, NetworkAclAssociationId]) => ({ NetworkAclAssociationId, NetworkAclId: a.id, SubnetId })),
    }));
    const entries = (a: NetworkAcl) => a.Entries ?? [];
    return applyFilters(
      acls,
      input.Filters,
      {
        "network-acl-id": (a) => a.NetworkAclId,
        "vpc-id": (a) => a.VpcId,
        default: (a) => a.IsDefault,
        "owner-id": (a) => a.OwnerId,
        "association.association-id": (a) => (a.Associations ?? []).map((x) => x.NetworkAclAssociationId),
        "association.network-acl-id": (a) => (a.Associations ?? []).map((x) => x.NetworkAclId),
        "association.subnet-id": (a) => (a.Associations ?? []).map((x) => x.SubnetId),
        "entry.cidr": (a) => entries(a).map((x) => x.CidrBlock),
        "entry.egress": (a) => entries(a).map((x) => x.Egress),
        "entry.protocol": (a) => entries(a).map((x) => x.Protocol),
        "entry.rule-action": (a) => entries(a).map((x) => x.RuleAction),
        "entry.rule-number": (a) => entries(a).map((x) => x.RuleNumber),
      },
      (a) => e.tags.of(scope, a.NetworkAclId!),
    ).map((a) => withTags(a, e.tags.of(scope, a.NetworkAclId!)));
  }
}
