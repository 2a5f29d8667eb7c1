/**
 * All ELBv2 SQL. Rows carry the resource's Describe document (`doc`, the SDK shape) and, where the
 * resource has them, its attributes (`attributes`, a JSON object). Every write marks the change key
 * `elbv2:<arn>` so the routing table source rebuilds after commit.
 */
import type { Listener, LoadBalancer, Rule, TargetGroup } from "@aws-sdk/client-elastic-load-balancing-v2";
import type { Scope } from "../../core/arn.ts";
import type { Store } from "../../store/store.ts";
import type { Attributes } from "./attributes.ts";

const parse = <T>(json: string): T =>
  JSON.parse(json, (k, v) => (k === "CreatedTime" && typeof v === "string" ? new Date(v) : v)) as T;

export interface LoadBalancerRecord {
  doc: LoadBalancer;
  attributes: Attributes;
}
export interface TargetGroupRecord {
  /** Stored without LoadBalancerArns (derived from the rules that forward to it). */
  doc: TargetGroup;
  attributes: Attributes;
}
export interface ListenerRecord {
  /** DefaultActions mirror the default rule's actions. */
  doc: Listener;
  attributes: Attributes;
}
export interface RuleRecord {
  listenerArn: string;
  doc: Rule;
}
export interface TargetRow {
  targetGroupArn: string;
  id: string;
  port: number;
  availabilityZone: string | undefined;
  registeredAt: number;
  /** Epoch ms when draining ends; undefined while registered and not draining. */
  drainingUntil: number | undefined;
}

/** Everything the routing table is built from (one consistent read). */
export interface Elbv2State {
  loadBalancers: LoadBalancerRecord[];
  listeners: ListenerRecord[];
  /** Certificates added to listeners besides their default one, in the order they were added. */
  listenerCertificates?: { listenerArn: string; certificateArn: string }[];
  rules: RuleRecord[];
  targetGroups: TargetGroupRecord[];
  targets: TargetRow[];
}

interface DocRow {
  doc: string;
  attributes: string;
}
interface TargetSqlRow {
  target_group_arn: string;
  id: string;
  port: number;
  availability_zone: string | null;
  registered_at: number;
  draining_until: number | null;
}
const toTarget = (r: TargetSqlRow): TargetRow => ({
  targetGroupArn: r.target_group_arn,
  id: r.id,
  port: r.port,
  availabilityZone: r.availability_zone ?? undefined,
  registeredAt: r.registered_at,
  drainingUntil: r.draining_until ?? undefined,
});

export class Elbv2Repo {
  readonly store: Store;
  constructor(store: Store) {
    this.store = store;
  }

  #lb = (r: DocRow | undefined): LoadBalancerRecord | undefined =>
    r ? { doc: parse<LoadBalancer>(r.doc), attributes: JSON.parse(r.attributes) as Attributes } : undefined;
  #tg = (r: DocRow | undefined): TargetGroupRecord | undefined =>
    r ? { doc: parse<TargetGroup>(r.doc), attributes: JSON.parse(r.attributes) as Attributes } : undefined;
  #listener = (r: DocRow | undefined): ListenerRecord | undefined =>
    r ? { doc: parse<Listener>(r.doc), attributes: JSON.parse(r.attributes) as Attributes } : undefined;
  #rule = (r: { doc: string; listener_arn: string } | undefined): RuleRecord | undefined =>
    r ? { listenerArn: r.listener_arn, doc: parse<Rule>(r.doc) } : undefined;

  // ---- load balancers
  getLoadBalancer(arn: string): LoadBalancerRecord | undefined {
    return this.#lb(this.store.prepare("SELECT doc, attributes FROM elbv2_load_balancers WHERE arn = ?").get(arn) as DocRow | undefined);
  }
  getLoadBalancerByName(scope: Scope, name: string): LoadBalancerRecord | undefined {
    const row = this.store
      .prepare("SELECT doc, attributes FROM elbv2_load_balancers WHERE account = ? AND region = ? AND name = ?")
      .get(scope.accountId, scope.region, name) as DocRow | undefined;
    return this.#lb(row);
  }
  listLoadBalancers(scope?: Scope): LoadBalancerRecord[] {
    const rows = (
      scope
        ? this.store
            .prepare("SELECT doc, attributes FROM elbv2_load_balancers WHERE account = ? AND region = ? ORDER BY created_at, arn")
            .all(scope.accountId, scope.region)
        : this.store.prepare("SELECT doc, attributes FROM elbv2_load_balancers ORDER BY created_at, arn").all()
    ) as unknown as DocRow[];
    return rows.map((r) => this.#lb(r)!);
  }
  putLoadBalancer(scope: Scope, rec: LoadBalancerRecord): void {
    const d = rec.doc;
    this.store
      .prepare(
        `INSERT INTO elbv2_load_balancers (account, region, name, arn, created_at, doc, attributes) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (account, region, name) DO UPDATE SET arn = excluded.arn, doc = excluded.doc, attributes = excluded.attributes`,
      )
      .run(scope.accountId, scope.region, d.LoadBalancerName!, d.LoadBalancerArn!, d.CreatedTime!.getTime(), JSON.stringify(d), JSON.stringify(rec.attributes));
    this.store.changed(`elbv2:${d.LoadBalancerArn}`);
  }
  deleteLoadBalancer(arn: string): void {
    this.store.prepare("DELETE FROM elbv2_load_balancers WHERE arn = ?").run(arn);
    this.store.changed(`elbv2:${arn}`);
  }

  // ---- target groups
  getTargetGroup(arn: string): TargetGroupRecord | undefined {
    return this.#tg(this.store.prepare("SELECT doc, attributes FROM elbv2_target_groups WHERE arn = ?").get(arn) as DocRow | undefined);
  }
  getTargetGroupByName(scope: Scope, name: string): TargetGroupRecord | undefined {
    const row = this.store
      .prepare("SELECT doc, attributes FROM elbv2_target_groups WHERE account = ? AND region = ? AND name = ?")
      .get(scope.accountId, scope.region, name) as DocRow | undefined;
    return this.#tg(row);
  }
  listTargetGroups(scope?: Scope): TargetGroupRecord[] {
    const rows = (
      scope
        ? this.store
            .prepare("SELECT doc, attributes FROM elbv2_target_groups WHERE account = ? AND region = ? ORDER BY created_at, arn")
            .all(scope.accountId, scope.region)
        : this.store.prepare("SELECT doc, attributes FROM elbv2_target_groups ORDER BY created_at, arn").all()
    ) as unknown as DocRow[];
    return rows.map((r) => this.#tg(r)!);
  }
  putTargetGroup(scope: Scope, rec: TargetGroupRecord, createdAt: number): void {
    const d = { ...rec.doc };
    delete d.LoadBalancerArns;
    this.store
      .prepare(
        `INSERT INTO elbv2_target_groups (account, region, name, arn, created_at, doc, attributes) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (account, region, name) DO UPDATE SET arn = excluded.arn, doc = excluded.doc, attributes = excluded.attributes`,
      )
      .run(scope.accountId, scope.region, d.TargetGroupName!, d.TargetGroupArn!, createdAt, JSON.stringify(d), JSON.stringify(rec.attributes));
    this.store.changed(`elbv2:${d.TargetGroupArn}`);
  }
  deleteTargetGroup(arn: string): void {
    this.store.prepare("DELETE FROM elbv2_targets WHERE target_group_arn = ?").run(arn);
    this.store.prepare("DELETE FROM elbv2_target_groups WHERE arn = ?").run(arn);
    this.store.changed(`elbv2:${arn}`);
  }
  /** Load balancers whose listeners' rules (default rules included) forward to the target group. */
  loadBalancersOf(tgArn: string): string[] {
    const rows = this.store
      .prepare(
        `SELECT DISTINCT l.load_balancer_arn AS arn FROM elbv2_rule_target_groups t
         JOIN elbv2_rules r ON r.arn = t.rule_arn JOIN elbv2_listeners l ON l.arn = r.listener_arn
         WHERE t.target_group_arn = ? ORDER BY l.load_balancer_arn`,
      )
      .all(tgArn) as { arn: string }[];
    return rows.map((r) => r.arn);
  }
  isTargetGroupInUse(tgArn: string): boolean {
    return this.store.prepare("SELECT 1 FROM elbv2_rule_target_groups WHERE target_group_arn = ? LIMIT 1").get(tgArn) !== undefined;
  }
  targetGroupArnsOfLoadBalancer(lbArn: string): string[] {
    const rows = this.store
      .prepare(
        `SELECT DISTINCT t.target_group_arn AS arn FROM elbv2_rule_target_groups t
         JOIN elbv2_rules r ON r.arn = t.rule_arn JOIN elbv2_listeners l ON l.arn = r.listener_arn
         WHERE l.load_balancer_arn = ?`,
      )
      .all(lbArn) as { arn: string }[];
    return rows.map((r) => r.arn);
  }

  // ---- listeners
  getListener(arn: string): ListenerRecord | undefined {
    return this.#listener(this.store.prepare("SELECT doc, attributes FROM elbv2_listeners WHERE arn = ?").get(arn) as DocRow | undefined);
  }
  listListeners(lbArn?: string): ListenerRecord[] {
    const rows = (
      lbArn
        ? this.store.prepare("SELECT doc, attributes FROM elbv2_listeners WHERE load_balancer_arn = ? ORDER BY port").all(lbArn)
        : this.store.prepare("SELECT doc, attributes FROM elbv2_listeners ORDER BY created_at, arn").all()
    ) as unknown as DocRow[];
    return rows.map((r) => this.#listener(r)!);
  }
  listenerOnPort(lbArn: string, port: number): string | undefined {
    const row = this.store.prepare("SELECT arn FROM elbv2_listeners WHERE load_balancer_arn = ? AND port = ?").get(lbArn, port) as
      | { arn: string }
      | undefined;
    return row?.arn;
  }
  putListener(scope: Scope, rec: ListenerRecord, createdAt: number): void {
    const d = rec.doc;
    this.store
      .prepare(
        `INSERT INTO elbv2_listeners (arn, account, region, load_balancer_arn, port, created_at, doc, attributes) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (arn) DO UPDATE SET port = excluded.port, doc = excluded.doc, attributes = excluded.attributes`,
      )
      .run(d.ListenerArn!, scope.accountId, scope.region, d.LoadBalancerArn!, d.Port!, createdAt, JSON.stringify(d), JSON.stringify(rec.attributes));
    this.store.changed(`elbv2:${d.ListenerArn}`);
  }
  deleteListener(arn: string): void {
    for (const r of this.listRules(arn)) this.deleteRule(r.doc.RuleArn!);
    this.store.prepare("DELETE FROM elbv2_listeners WHERE arn = ?").run(arn);
    this.store.changed(`elbv2:${arn}`);
  }

  // ---- rules
  getRule(arn: string): RuleRecord | undefined {
    return this.#rule(this.store.prepare("SELECT doc, listener_arn FROM elbv2_rules WHERE arn = ?").get(arn) as
      | { doc: string; listener_arn: string }
      | undefined);
  }
  /** Rules of a listener by priority, the default rule last. */
  listRules(listenerArn?: string): RuleRecord[] {
    const order = "ORDER BY listener_arn, is_default, priority";
    const rows = (
      listenerArn
        ? this.store.prepare(`SELECT doc, listener_arn FROM elbv2_rules WHERE listener_arn = ? ${order}`).all(listenerArn)
        : this.store.prepare(`SELECT doc, listener_arn FROM elbv2_rules ${order}`).all()
    ) as unknown as { doc: string; listener_arn: string }[];
    return rows.map((r) => this.#rule(r)!);
  }
  ruleWithPriority(listenerArn: string, priority: number): string | undefined {
    const row = this.store.prepare("SELECT arn FROM elbv2_rules WHERE listener_arn = ? AND priority = ?").get(listenerArn, priority) as
      | { arn: string }
      | undefined;
    return row?.arn;
  }
  putRule(scope: Scope, listenerArn: string, rule: Rule, targetGroupArns: readonly string[], createdAt: number): void {
    const priority = rule.IsDefault ? null : Number(rule.Priority);
    this.store
      .prepare(
        `INSERT INTO elbv2_rules (arn, account, region, listener_arn, priority, is_default, created_at, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (arn) DO UPDATE SET priority = excluded.priority, doc = excluded.doc`,
      )
      .run(rule.RuleArn!, scope.accountId, scope.region, listenerArn, priority, rule.IsDefault ? 1 : 0, createdAt, JSON.stringify(rule));
    this.store.prepare("DELETE FROM elbv2_rule_target_groups WHERE rule_arn = ?").run(rule.RuleArn!);
    const ins = this.store.prepare("INSERT OR IGNORE INTO elbv2_rule_target_groups (rule_arn, target_group_arn) VALUES (?, ?)");
    for (const tg of targetGroupArns) {
      ins.run(rule.RuleArn!, tg);
      this.store.changed(`elbv2:${tg}`);
    }
    this.store.changed(`elbv2:${rule.RuleArn}`);
  }
  /** Moves a rule's priority without touching the rest of its document. */
  setRulePriority(arn: string, priority: number): void {
    this.store.prepare("UPDATE elbv2_rules SET priority = ? WHERE arn = ?").run(priority, arn);
    this.store.changed(`elbv2:${arn}`);
  }
  deleteRule(arn: string): void {
    this.store.prepare("DELETE FROM elbv2_rule_target_groups WHERE rule_arn = ?").run(arn);
    this.store.prepare("DELETE FROM elbv2_rules WHERE arn = ?").run(arn);
    this.store.changed(`elbv2:${arn}`);
  }

  // ---- targets
  targets(tgArn?: string): TargetRow[] {
    const rows = (
      tgArn
        ? this.store.prepare("SELECT * FROM elbv2_targets WHERE target_group_arn = ? ORDER BY registered_at, id, port").all(tgArn)
        : this.store.prepare("SELECT * FROM elbv2_targets ORDER BY target_group_arn, registered_at, id, port").all()
    ) as unknown as TargetSqlRow[];
    return rows.map(toTarget);
  }
  getTarget(tgArn: string, id: string, port: number): TargetRow | undefined {
    const row = this.store.prepare("SELECT * FROM elbv2_targets WHERE target_group_arn = ? AND id = ? AND port = ?").get(tgArn, id, port) as
      | TargetSqlRow
      | undefined;
    return row ? toTarget(row) : undefined;
  }
  putTarget(t: TargetRow): void {
    this.store
      .prepare(
        `INSERT INTO elbv2_targets (target_group_arn, id, port, availability_zone, registered_at, draining_until) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (target_group_arn, id, port) DO UPDATE SET availability_zone = excluded.availability_zone,
           registered_at = excluded.registered_at, draining_until = excluded.draining_until`,
      )
      .run(t.targetGroupArn, t.id, t.port, t.availabilityZone ?? null, t.registeredAt, t.drainingUntil ?? null);
    this.store.changed(`elbv2:${t.targetGroupArn}`);
  }
  deleteTarget(tgArn: string, id: string, port: number): void {
    this.store.prepare("DELETE FROM elbv2_targets WHERE target_group_arn = ? AND id = ? AND port = ?").run(tgArn, id, port);
    this.store.changed(`elbv2:${tgArn}`);
  }
  /** Drops targets whose deregistration delay has elapsed. */
  purgeDrained(now: number): number {
    const gone = this.store
      .prepare("SELECT DISTINCT target_group_arn AS arn FROM elbv2_targets WHERE draining_until IS NOT NULL AND draining_until <= ?")
      .all(now) as { arn: string }[];
    if (gone.length === 0) return 0;
    const res = this.store.prepare("DELETE FROM elbv2_targets WHERE draining_until IS NOT NULL AND draining_until <= ?").run(now);
    for (const g of gone) this.store.changed(`elbv2:${g.arn}`);
    return Number(res.changes);
  }

  // ---- listener certificates (besides the default one, which is in the listener's document)
  listenerCertificates(listenerArn?: string): { listenerArn: string; certificateArn: string }[] {
    const rows = (
      listenerArn
        ? this.store.prepare("SELECT listener_arn, certificate_arn FROM elbv2_listener_certificates WHERE listener_arn = ? ORDER BY position").all(listenerArn)
        : this.store.prepare("SELECT listener_arn, certificate_arn FROM elbv2_listener_certificates ORDER BY listener_arn, position").all()
    ) as { listener_arn: string; certificate_arn: string }[];
    return rows.map((r) => ({ listenerArn: r.listener_arn, certificateArn: r.certificate_arn }));
  }
  addListenerCertificate(listenerArn: string, certificateArn: string): void {
    this.store
      .prepare(
        `INSERT INTO elbv2_listener_certificates (listener_arn, certificate_arn, position)
         VALUES (?, ?, (SELECT COALESCE(MAX(position), 0) + 1 FROM elbv2_listener_certificates WHERE listener_arn = ?))
         ON CONFLICT (listener_arn, certificate_arn) DO NOTHING`,
      )
      .run(listenerArn, certificateArn, listenerArn);
    this.store.changed(`elbv2:${listenerArn}`);
  }
  removeListenerCertificate(listenerArn: string, certificateArn: string): void {
    this.store.prepare("DELETE FROM elbv2_listener_certificates WHERE listener_arn = ? AND certificate_arn = ?").run(listenerArn, certificateArn);
    this.store.changed(`elbv2:${listenerArn}`);
  }
  /** Load balancers with a listener serving `certificateArn` (as default or added certificate). */
  loadBalancersUsingCertificate(certificateArn: string): string[] {
    const out = new Set<string>();
    for (const l of this.listListeners()) {
      if (l.doc.Certificates?.some((c) => c.CertificateArn === certificateArn)) out.add(l.doc.LoadBalancerArn!);
    }
    const rows = this.store
      .prepare(
        `SELECT l.load_balancer_arn AS lb FROM elbv2_listener_certificates c JOIN elbv2_listeners l ON l.arn = c.listener_arn
         WHERE c.certificate_arn = ? ORDER BY l.created_at`,
      )
      .all(certificateArn) as { lb: string }[];
    for (const r of rows) out.add(r.lb);
    return [...out];
  }

  /** One consistent snapshot of every ELBv2 row (all accounts/regions): the routing table's input. */
  loadState(): Elbv2State {
    return this.store.tx(() => ({
      loadBalancers: this.listLoadBalancers(),
      listeners: this.listListeners(),
      listenerCertificates: this.listenerCertificates(),
      rules: this.listRules(),
      targetGroups: this.listTargetGroups(),
      targets: this.targets(),
    }));
  }
}
