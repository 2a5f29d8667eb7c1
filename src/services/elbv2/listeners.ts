/** Listeners, their attributes, and listener rules (the default rule included). */
import type {
  CreateListenerInput,
  CreateRuleInput,
  DescribeListenersInput,
  DescribeListenersOutput,
  DescribeRulesInput,
  DescribeRulesOutput,
  Listener,
  ModifyListenerInput,
  ModifyRuleInput,
  Rule,
  RulePriorityPair,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { ServiceError } from "../../aws/service-error.ts";
import type { Scope } from "../../core/arn.ts";
import type { Tagging } from "../common/tagging.ts";
import { type ActionContext, normalizeActions, normalizeConditions } from "./actions.ts";
import { applyAttributes, listenerAttributeSpecs, toList } from "./attributes.ts";
import { checkArn, checkTags, type Elbv2Deps, elbArn, nextMarker, page, port, tagNew } from "./common.ts";
import { listenerNotFound, loadBalancerNotFound, notPermitted, ruleNotFound, validation } from "./errors.ts";
import { type CertificateSource, checkUnsupportedTls, listenerTlsSettings } from "./listener-certificates.ts";
import type { LoadBalancers } from "./load-balancers.ts";
import type { Elbv2Repo, ListenerRecord, RuleRecord } from "./repo.ts";
import type { TargetGroups } from "./target-groups.ts";

export class Listeners {
  readonly #deps: Elbv2Deps;
  readonly #repo: Elbv2Repo;
  readonly #lbs: LoadBalancers;
  readonly #tgs: TargetGroups;
  readonly #tags: (scope: Scope) => Tagging;
  readonly #certs: () => CertificateSource | undefined;
  constructor(
    deps: Elbv2Deps,
    repo: Elbv2Repo,
    tags: (scope: Scope) => Tagging,
    lbs: LoadBalancers,
    tgs: TargetGroups,
    certs: () => CertificateSource | undefined = () => undefined,
  ) {
    this.#deps = deps;
    this.#certs = certs;
    this.#repo = repo;
    this.#tags = tags;
    this.#lbs = lbs;
    this.#tgs = tgs;
  }

  require(scope: Scope, arn: string | undefined): ListenerRecord {
    if (!arn) throw validation("A listener ARN must be specified");
    const rec = checkArn(arn, "listener", scope) ? this.#repo.getListener(arn) : undefined;
    if (!rec) throw listenerNotFound();
    return rec;
  }

  requireRule(scope: Scope, arn: string | undefined): RuleRecord {
    if (!arn) throw validation("A rule ARN must be specified");
    const rec = checkArn(arn, "listener-rule", scope) ? this.#repo.getRule(arn) : undefined;
    if (!rec) throw ruleNotFound();
    return rec;
  }

  #actionContext(scope: Scope, lbArn: string): ActionContext {
    return {
      loadBalancerArn: lbArn,
      targetGroupExists: (arn) => this.#tgs.exists(scope, arn),
      loadBalancersOf: (arn) => this.#repo.loadBalancersOf(arn),
    };
  }

  /** DefaultActions always mirror the default rule's actions. */
  present(rec: ListenerRecord): Listener {
    const def = this.#repo.listRules(rec.doc.ListenerArn!).find((r) => r.doc.IsDefault);
    return { ...rec.doc, DefaultActions: def?.doc.Actions ?? rec.doc.DefaultActions ?? [] };
  }

  create(scope: Scope, input: CreateListenerInput): Listener {
    const tags = checkTags(input.Tags);
    return this.#deps.store.tx(() => {
      const lb = this.#lbs.require(scope, input.LoadBalancerArn);
      const lbArn = lb.doc.LoadBalancerArn!;
      if (input.Protocol === undefined) throw validation("A listener protocol must be specified");
      const protocol = input.Protocol;
      if (protocol !== "HTTP" && protocol !== "HTTPS") {
        throw new ServiceError("UnsupportedProtocolException", `Protocol '${protocol}' is not supported for Application Load Balancer listeners`);
      }
      const p = port(input.Port, "Listener port");
      checkUnsupportedTls(input);
      const tls = listenerTlsSettings(this.#certs(), protocol, input.Certificates, input.SslPolicy);
      const { actions, targetGroupArns } = normalizeActions(input.DefaultActions, this.#actionContext(scope, lbArn));
      const existingArn = this.#repo.listenerOnPort(lbArn, p);
      if (existingArn) {
        const existing = this.present(this.#repo.getListener(existingArn)!);
        if (existing.Protocol === protocol && JSON.stringify(existing.DefaultActions) === JSON.stringify(actions)) return existing;
        throw new ServiceError("DuplicateListenerException", "A listener already exists on this port for this load balancer");
      }
      const [, , lbName, lbId] = lbArn.split(":").slice(5).join(":").split("/");
      const id = this.#deps.ids.hex(8);
      const doc: Listener = {
        ListenerArn: elbArn(scope, `listener/app/${lbName}/${lbId}/${id}`),
        LoadBalancerArn: lbArn,
        Port: p,
        Protocol: protocol,
        ...tls,
        DefaultActions: actions,
        ...(input.AlpnPolicy?.length ? { AlpnPolicy: input.AlpnPolicy } : {}),
      };
      const now = this.#deps.clock.now();
      this.#repo.putListener(scope, { doc, attributes: {} }, now);
      const ruleArn = elbArn(scope, `listener-rule/app/${lbName}/${lbId}/${id}/${this.#deps.ids.hex(8)}`);
      this.#repo.putRule(scope, doc.ListenerArn!, { RuleArn: ruleArn, Priority: "default", Conditions: [], Actions: actions, IsDefault: true }, targetGroupArns, now);
      tagNew(this.#tags(scope), doc.ListenerArn!, tags);
      return doc;
    });
  }

  describe(scope: Scope, input: DescribeListenersInput): DescribeListenersOutput {
    let all: ListenerRecord[];
    if (input.ListenerArns?.length) {
      if (input.LoadBalancerArn) throw validation("Listener ARNs and a load balancer ARN cannot be specified at the same time");
      all = input.ListenerArns.map((a) => this.require(scope, a));
    } else if (input.LoadBalancerArn) {
      if (!checkArn(input.LoadBalancerArn, "loadbalancer", scope) || !this.#repo.getLoadBalancer(input.LoadBalancerArn)) throw loadBalancerNotFound();
      all = this.#repo.listListeners(input.LoadBalancerArn);
    } else throw validation("You must specify either listener ARNs or a load balancer ARN");
    const p = page(all, input.PageSize, input.Marker);
    return { Listeners: p.items.map((r) => this.present(r)), ...nextMarker(p) };
  }

  modify(scope: Scope, input: ModifyListenerInput): Listener {
    return this.#deps.store.tx(() => {
      const rec = this.require(scope, input.ListenerArn);
      const d = rec.doc;
      const protocol = input.Protocol ?? d.Protocol!;
      if (protocol !== "HTTP" && protocol !== "HTTPS") {
        throw new ServiceError("UnsupportedProtocolException", `Protocol '${protocol}' is not supported for Application Load Balancer listeners`);
      }
      const p = input.Port !== undefined ? port(input.Port, "Listener port") : d.Port!;
      if (p !== d.Port) {
        if (this.#repo.listenerOnPort(d.LoadBalancerArn!, p)) {
          throw new ServiceError("DuplicateListenerException", "A listener already exists on this port for this load balancer");
        }
      }
      checkUnsupportedTls(input);
      const next: Listener = { ...d, Port: p, Protocol: protocol };
      delete next.Certificates;
      delete next.SslPolicy;
      if (protocol === "HTTPS") {
        Object.assign(
          next,
          listenerTlsSettings(this.#certs(), protocol, input.Certificates ?? d.Certificates, input.SslPolicy ?? d.SslPolicy),
        );
      } else {
        Object.assign(next, listenerTlsSettings(this.#certs(), protocol, input.Certificates, input.SslPolicy));
      }
      if (input.AlpnPolicy) next.AlpnPolicy = input.AlpnPolicy;
      const now = this.#deps.clock.now();
      if (input.DefaultActions) {
        const { actions, targetGroupArns } = normalizeActions(input.DefaultActions, this.#actionContext(scope, d.LoadBalancerArn!));
        next.DefaultActions = actions;
        const def = this.#repo.listRules(d.ListenerArn!).find((r) => r.doc.IsDefault)!;
        this.#repo.putRule(scope, d.ListenerArn!, { ...def.doc, Actions: actions }, targetGroupArns, now);
      }
      // Attributes that only exist on HTTPS disappear with it.
      const specs = listenerAttributeSpecs(protocol);
      const attributes = Object.fromEntries(Object.entries(rec.attributes).filter(([k]) => k in specs));
      this.#repo.putListener(scope, { doc: next, attributes }, now);
      return this.present({ doc: next, attributes });
    });
  }

  delete(scope: Scope, arn: string | undefined): void {
    this.#deps.store.tx(() => {
      const rec = this.require(scope, arn);
      this.deleteWithRules(scope, rec.doc.ListenerArn!);
    });
  }

  /** Deletes a listener, its rules and their tags (also used when the load balancer goes). */
  deleteWithRules(scope: Scope, listenerArn: string): void {
    const tagging = this.#tags(scope);
    for (const r of this.#repo.listRules(listenerArn)) tagging.clear(r.doc.RuleArn!);
    this.#repo.deleteListener(listenerArn);
    tagging.clear(listenerArn);
  }

  attributes(scope: Scope, arn: string | undefined): { Key: string; Value: string }[] {
    const rec = this.require(scope, arn);
    return toList(listenerAttributeSpecs(rec.doc.Protocol!), rec.attributes);
  }

  modifyAttributes(scope: Scope, arn: string | undefined, updates: readonly { Key?: string; Value?: string }[]): { Key: string; Value: string }[] {
    return this.#deps.store.tx(() => {
      const rec = this.require(scope, arn);
      const specs = listenerAttributeSpecs(rec.doc.Protocol!);
      const attributes = applyAttributes("Listener", specs, rec.attributes, updates);
      this.#repo.putListener(scope, { doc: rec.doc, attributes }, this.#deps.clock.now());
      return toList(specs, attributes);
    });
  }

  // ---- rules

  createRule(scope: Scope, input: CreateRuleInput): Rule {
    const tags = checkTags(input.Tags);
    return this.#deps.store.tx(() => {
      const listener = this.require(scope, input.ListenerArn);
      const priority = checkPriority(input.Priority);
      const conditions = normalizeConditions(input.Conditions);
      const { actions, targetGroupArns } = normalizeActions(input.Actions, this.#actionContext(scope, listener.doc.LoadBalancerArn!));
      if (this.#repo.ruleWithPriority(listener.doc.ListenerArn!, priority)) {
        throw new ServiceError("PriorityInUseException", `Priority '${priority}' is currently in use`);
      }
      const listenerPath = listener.doc.ListenerArn!.split(":listener/")[1]!;
      const rule: Rule = {
        RuleArn: elbArn(scope, `listener-rule/${listenerPath}/${this.#deps.ids.hex(8)}`),
        Priority: String(priority),
        Conditions: conditions,
        Actions: actions,
        IsDefault: false,
      };
      this.#repo.putRule(scope, listener.doc.ListenerArn!, rule, targetGroupArns, this.#deps.clock.now());
      this.#tags(scope).set(rule.RuleArn!, tags);
      return rule;
    });
  }

  describeRules(scope: Scope, input: DescribeRulesInput): DescribeRulesOutput {
    let all: RuleRecord[];
    if (input.RuleArns?.length) {
      if (input.ListenerArn) throw validation("Rule ARNs and a listener ARN cannot be specified at the same time");
      all = input.RuleArns.map((a) => this.requireRule(scope, a));
    } else if (input.ListenerArn) {
      all = this.#repo.listRules(this.require(scope, input.ListenerArn).doc.ListenerArn!);
    } else throw validation("You must specify either listener rule ARNs or a listener ARN");
    const p = page(all, input.PageSize, input.Marker);
    return { Rules: p.items.map((r) => r.doc), ...nextMarker(p) };
  }

  modifyRule(scope: Scope, input: ModifyRuleInput): Rule {
    return this.#deps.store.tx(() => {
      const rec = this.requireRule(scope, input.RuleArn);
      const listener = this.#repo.getListener(rec.listenerArn)!;
      const rule: Rule = { ...rec.doc };
      if (input.Conditions) {
        if (rule.IsDefault) throw notPermitted("The conditions of a default rule cannot be modified");
        rule.Conditions = normalizeConditions(input.Conditions);
      }
      let tgs = forwardTargetsOf(rule);
      if (input.Actions) {
        const n = normalizeActions(input.Actions, this.#actionContext(scope, listener.doc.LoadBalancerArn!));
        rule.Actions = n.actions;
        tgs = n.targetGroupArns;
      }
      this.#repo.putRule(scope, rec.listenerArn, rule, tgs, this.#deps.clock.now());
      return rule;
    });
  }

  deleteRule(scope: Scope, arn: string | undefined): void {
    this.#deps.store.tx(() => {
      const rec = this.requireRule(scope, arn);
      if (rec.doc.IsDefault) throw notPermitted("A default rule cannot be deleted");
      this.#repo.deleteRule(rec.doc.RuleArn!);
      this.#tags(scope).clear(rec.doc.RuleArn!);
    });
  }

  setRulePriorities(scope: Scope, pairs: readonly RulePriorityPair[]): Rule[] {
    if (pairs.length === 0) throw validation("At least one rule priority must be specified");
    return this.#deps.store.tx(() => {
      const moves = pairs.map((p) => {
        const rec = this.requireRule(scope, p.RuleArn);
        if (rec.doc.IsDefault) throw notPermitted("The priority of a default rule cannot be changed");
        return { rec, priority: checkPriority(p.Priority) };
      });
      const moving = new Set(moves.map((m) => m.rec.doc.RuleArn!));
      if (moving.size !== moves.length) throw validation("A rule can appear only once in a set-rule-priorities request");
      // Final priorities must be unique per listener.
      const taken = new Set<string>();
      for (const m of moves) {
        const key = `${m.rec.listenerArn} ${m.priority}`;
        const holder = this.#repo.ruleWithPriority(m.rec.listenerArn, m.priority);
        if (taken.has(key) || (holder && !moving.has(holder))) {
          throw new ServiceError("PriorityInUseException", `Priority '${m.priority}' is currently in use`);
        }
        taken.add(key);
      }
      moves.forEach((m, i) => {
        this.#repo.setRulePriority(m.rec.doc.RuleArn!, -1 - i);
      });
      return moves.map((m) => {
        const rule: Rule = { ...m.rec.doc, Priority: String(m.priority) };
        this.#repo.putRule(scope, m.rec.listenerArn, rule, forwardTargetsOf(rule), this.#deps.clock.now());
        return rule;
      });
    });
  }
}

function forwardTargetsOf(rule: Rule): string[] {
  const out = new Set<string>();
  for (const a of rule.Actions ?? []) for (const t of a.ForwardConfig?.TargetGroups ?? []) if (t.TargetGroupArn) out.add(t.TargetGroupArn);
  return [...out];
}

function checkPriority(p: number | undefined): number {
  if (p === undefined || !Number.isInteger(p) || p < 1 || p > 50000) throw validation(`Priority '${p}' must be between 1 and 50000`);
  return p;
}
