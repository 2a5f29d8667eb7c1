/**
 * All EC2 SQL. Every resource is one row of `ec2_resources`: its Describe document (`doc`, the
 * SDK shape without Tags) and Slipway's private bookkeeping (`state`, e.g. security-group rules
 * with their ids, VPC attributes). Rows keep insertion order (rowid), which Describe calls follow.
 * `ec2_defaults` remembers, per account and region, the default VPC and DHCP options once made.
 * Tags live in the shared `tags` table (src/services/common/tagging.ts); DescribeTags reads a
 * scope's through `tagsUnder`. Every write marks `ec2:ACCOUNT:REGION` changed in the store's
 * change feed (the VPC data plane rebuilds its view from it).
 */
import type { Scope } from "../../core/arn.ts";
import type { Store } from "../../store/store.ts";

export type ResourceType =
  | "vpc"
  | "subnet"
  | "security-group"
  | "internet-gateway"
  | "route-table"
  | "network-interface"
  | "dhcp-options"
  | "natgateway"
  | "elastic-ip"
  | "vpc-endpoint"
  | "prefix-list"
  | "network-acl";

const DATE_KEYS = new Set(["AttachTime", "CreateTime", "DeleteTime", "CreationTimestamp"]);
const parseDoc = <T>(json: string): T =>
  JSON.parse(json, (k, v) => (DATE_KEYS.has(k) && typeof v === "string" ? new Date(v) : v)) as T;

export interface Ec2Record<D, S = unknown> {
  readonly id: string;
  readonly type: ResourceType;
  readonly vpcId: string | undefined;
  readonly doc: D;
  readonly state: S;
}

interface Row {
  id: string;
  type: string;
  vpc_id: string | null;
  doc: string;
  state: string;
}

const toRecord = <D, S>(r: Row): Ec2Record<D, S> => ({
  id: r.id,
  type: r.type as ResourceType,
  vpcId: r.vpc_id ?? undefined,
  doc: parseDoc<D>(r.doc),
  state: JSON.parse(r.state) as S,
});

/** The change-feed key of a scope's EC2 resources. */
export const changeKey = (scope: Scope) => `ec2:${scope.accountId}:${scope.region}`;

export interface ScopeDefaults {
  readonly vpcId: string;
  readonly dhcpOptionsId: string;
}

export class Ec2Repo {
  readonly store: Store;
  constructor(store: Store) {
    this.store = store;
  }

  get<D, S = unknown>(scope: Scope, id: string): Ec2Record<D, S> | undefined {
    const row = this.store
      .prepare("SELECT id, type, vpc_id, doc, state FROM ec2_resources WHERE account = ? AND region = ? AND id = ?")
      .get(scope.accountId, scope.region, id) as Row | undefined;
    return row ? toRecord<D, S>(row) : undefined;
  }

  list<D, S = unknown>(scope: Scope, type: ResourceType, vpcId?: string): Ec2Record<D, S>[] {
    const rows = (
      vpcId === undefined
        ? this.store
            .prepare("SELECT id, type, vpc_id, doc, state FROM ec2_resources WHERE account = ? AND region = ? AND type = ? ORDER BY rowid")
            .all(scope.accountId, scope.region, type)
        : this.store
            .prepare(
              "SELECT id, type, vpc_id, doc, state FROM ec2_resources WHERE account = ? AND region = ? AND type = ? AND vpc_id = ? ORDER BY rowid",
            )
            .all(scope.accountId, scope.region, type, vpcId)
    ) as unknown as Row[];
    return rows.map((r) => toRecord<D, S>(r));
  }

  /** Every record of a type, in every account and region (start-up sweeps). */
  listEverywhere<D>(type: ResourceType): { scope: Scope; record: Ec2Record<D> }[] {
    const rows = this.store
      .prepare("SELECT account, region, id, type, vpc_id, doc, state FROM ec2_resources WHERE type = ? ORDER BY rowid")
      .all(type) as unknown as (Row & { account: string; region: string })[];
    return rows.map((r) => ({ scope: { accountId: r.account, region: r.region }, record: toRecord<D, unknown>(r) }));
  }

  put(scope: Scope, rec: { id: string; type: ResourceType; vpcId: string | undefined; doc: unknown; state?: unknown }): void {
    this.store
      .prepare(
        `INSERT INTO ec2_resources (account, region, id, type, vpc_id, doc, state) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (account, region, id) DO UPDATE SET vpc_id = excluded.vpc_id, doc = excluded.doc, state = excluded.state`,
      )
      .run(scope.accountId, scope.region, rec.id, rec.type, rec.vpcId ?? null, JSON.stringify(rec.doc), JSON.stringify(rec.state ?? {}));
    this.store.changed(changeKey(scope));
  }

  delete(scope: Scope, id: string): void {
    this.store.prepare("DELETE FROM ec2_resources WHERE account = ? AND region = ? AND id = ?").run(scope.accountId, scope.region, id);
    this.store.changed(changeKey(scope));
  }

  /** Every tag kept under an ARN starting with `prefix` (one scope's EC2 resources), by ARN then position. */
  tagsUnder(prefix: string): { arn: string; key: string; value: string }[] {
    return this.store
      .prepare("SELECT arn, key, value FROM tags WHERE arn LIKE ? ESCAPE '\\' ORDER BY arn, position")
      .all(`${prefix.replace(/[%_\\]/g, "\\$&")}%`) as { arn: string; key: string; value: string }[];
  }

  getDefaults(scope: Scope): ScopeDefaults | undefined {
    const row = this.store
      .prepare("SELECT vpc_id, dhcp_options_id FROM ec2_defaults WHERE account = ? AND region = ?")
      .get(scope.accountId, scope.region) as { vpc_id: string; dhcp_options_id: string } | undefined;
    return row ? { vpcId: row.vpc_id, dhcpOptionsId: row.dhcp_options_id } : undefined;
  }

  /** Inserts, or replaces once the default VPC was deleted and made again (CreateDefaultVpc). */
  putDefaults(scope: Scope, d: ScopeDefaults): void {
    this.store
      .prepare(
        `INSERT INTO ec2_defaults (account, region, vpc_id, dhcp_options_id) VALUES (?, ?, ?, ?)
         ON CONFLICT (account, region) DO UPDATE SET vpc_id = excluded.vpc_id, dhcp_options_id = excluded.dhcp_options_id`,
      )
      .run(scope.accountId, scope.region, d.vpcId, d.dhcpOptionsId);
  }
}
