/**
 * The ELBv2 domain, assembled: what the handlers, the ECS scheduler and the routing table source
 * share. The scheduler-facing methods below take plain values and need no HTTP.
 */
import type { TargetHealth } from "@aws-sdk/client-elastic-load-balancing-v2";
import { parseArn, type Scope } from "../../core/arn.ts";
import type { HealthCheckSettings } from "../../proxy/routing-table.ts";
import type { TargetHealthView } from "../../proxy/target-health.ts";
import { arnKind, type Elbv2Deps } from "./common.ts";
import { validation } from "./errors.ts";
import { Listeners } from "./listeners.ts";
import { LoadBalancers } from "./load-balancers.ts";
import type { LoadBalancerNetworking } from "./networking.ts";
import { Elbv2Repo } from "./repo.ts";
import { type TargetRef, TargetGroups } from "./target-groups.ts";
import { healthCheckOf } from "./build-table.ts";

/** What the ECS scheduler needs to know about a target group. */
export interface TargetGroupInfo {
  readonly arn: string;
  readonly name: string;
  readonly targetType: "instance" | "ip";
  readonly protocol: "HTTP" | "HTTPS";
  readonly port: number;
  readonly deregistrationDelaySeconds: number;
  readonly healthCheck: HealthCheckSettings;
  /** Load balancers whose listener rules forward to the group. */
  readonly loadBalancerArns: readonly string[];
  /** True when some listener rule forwards to it (health checks run only then). */
  readonly inUse: boolean;
}

export class Elbv2 {
  readonly deps: Elbv2Deps;
  readonly repo: Elbv2Repo;
  readonly loadBalancers: LoadBalancers;
  readonly targetGroups: TargetGroups;
  readonly listeners: Listeners;
  /** EC2's ENIs and checks for load balancers, once EC2 is wired (src/server/slipway.ts). */
  network: LoadBalancerNetworking | undefined;

  constructor(deps: Elbv2Deps, health?: TargetHealthView) {
    this.deps = deps;
    this.repo = new Elbv2Repo(deps.store);
    this.loadBalancers = new LoadBalancers(
      deps,
      this.repo,
      (lbArn) => {
        for (const l of this.repo.listListeners(lbArn)) this.listeners.deleteWithRules(l.doc.ListenerArn!);
      },
      () => this.network,
    );
    this.targetGroups = new TargetGroups(deps, this.repo);
    this.targetGroups.setHealthView(health);
    this.listeners = new Listeners(deps, this.repo, this.loadBalancers, this.targetGroups);
  }

  /** The data plane's health checker, once it exists (DescribeTargetHealth reads it). */
  setHealthView(view: TargetHealthView): void {
    this.targetGroups.setHealthView(view);
  }

  /** Tag operations: the ARN must name an existing LB, TG, listener or rule of the caller's scope. */
  requireTaggable(scope: Scope, arn: string): void {
    switch (arnKind(arn)) {
      case "loadbalancer":
        this.loadBalancers.require(scope, arn);
        return;
      case "targetgroup":
        this.targetGroups.require(scope, arn);
        return;
      case "listener":
        this.listeners.require(scope, arn);
        return;
      case "listener-rule":
        this.listeners.requireRule(scope, arn);
        return;
      default:
        throw validation(`'${arn}' is not a valid ELB resource ARN`);
    }
  }

  // ---- the ECS scheduler's API (no HTTP)

  /** RegisterTargets: targets start `initial`; re-registering a draining target revives it. */
  registerTargets(scope: Scope, tgArn: string, targets: readonly TargetRef[]): void {
    this.targetGroups.register(scope, tgArn, targets);
  }

  /**
   * DeregisterTargets: targets drain for the group's deregistration delay. Returns the epoch ms
   * at which the last of them is gone (ECS waits that long before stopping the task).
   */
  deregisterTargets(scope: Scope, tgArn: string, targets: readonly TargetRef[]): number {
    return this.targetGroups.deregister(scope, tgArn, targets);
  }

  /**
   * A target group by ARN, or by name within `scope`; undefined when it does not exist.
   * `targetGroup(arn)` or `targetGroup(scope, nameOrArn)`.
   */
  targetGroup(scopeOrArn: Scope | string, nameOrArn?: string): TargetGroupInfo | undefined {
    let rec;
    if (typeof scopeOrArn === "string") {
      rec = arnKind(scopeOrArn) === "targetgroup" ? this.repo.getTargetGroup(scopeOrArn) : undefined;
    } else if (nameOrArn !== undefined) {
      rec = nameOrArn.startsWith("arn:")
        ? arnKind(nameOrArn) === "targetgroup" && sameScope(scopeOrArn, nameOrArn)
          ? this.repo.getTargetGroup(nameOrArn)
          : undefined
        : this.repo.getTargetGroupByName(scopeOrArn, nameOrArn);
    }
    if (!rec) return undefined;
    const arn = rec.doc.TargetGroupArn!;
    return {
      arn,
      name: rec.doc.TargetGroupName!,
      targetType: rec.doc.TargetType === "ip" ? "ip" : "instance",
      protocol: rec.doc.Protocol === "HTTPS" ? "HTTPS" : "HTTP",
      port: rec.doc.Port!,
      deregistrationDelaySeconds: Number(rec.attributes["deregistration_delay.timeout_seconds"] ?? "300"),
      healthCheck: healthCheckOf(rec.doc),
      loadBalancerArns: this.repo.loadBalancersOf(arn),
      inUse: this.repo.isTargetGroupInUse(arn),
    };
  }

  /** True when some listener (default action or rule) forwards to the target group. */
  isUsedByListener(tgArn: string): boolean {
    return this.repo.isTargetGroupInUse(tgArn);
  }

  /** A target's health exactly as DescribeTargetHealth reports it; undefined when not registered. */
  targetHealth(tgArn: string, id: string, port: number): TargetHealth | undefined {
    const scope = scopeOf(tgArn);
    if (!scope || !this.repo.getTargetGroup(tgArn)) return undefined;
    return this.targetGroups.healthOf(scope, tgArn, id, port);
  }
}

function scopeOf(arn: string): Scope | undefined {
  const p = parseArn(arn);
  return p ? { accountId: p.accountId, region: p.region } : undefined;
}

function sameScope(scope: Scope, arn: string): boolean {
  const s = scopeOf(arn);
  return s !== undefined && s.accountId === scope.accountId && s.region === scope.region;
}
