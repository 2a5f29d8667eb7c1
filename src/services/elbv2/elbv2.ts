/**
 * The ELBv2 domain, assembled: what the handlers, the ECS scheduler and the routing table source
 * share. The scheduler-facing methods below take plain values and need no HTTP.
 */
import type { Tag as ElbTag, TagDescription, TargetHealth } from "@aws-sdk/client-elastic-load-balancing-v2";
import { parseArn, type Scope } from "../../core/arn.ts";
import type { HealthCheckSettings } from "../../proxy/routing-table.ts";
import type { TargetHealthView } from "../../proxy/target-health.ts";
import { Tagging } from "../common/tagging.ts";
import { arnKind, checkTags, type Elbv2Deps, elbTags, MAX_TAGS } from "./common.ts";
import { tooManyTags, validation } from "./errors.ts";
import { Listeners } from "./listeners.ts";
import { LoadBalancers } from "./load-balancers.ts";
import type { LoadBalancerNetworking } from "./networking.ts";
import type { LoadBalancerServing } from "./serving.ts";
import { type CertificateSource, ListenerCertificates } from "./listener-certificates.ts";
import { Elbv2Repo, type TargetGroupRecord } from "./repo.ts";
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
  readonly listenerCertificates: ListenerCertificates;
  /** ACM's certificates (HTTPS listeners; the routing table reads them too). */
  readonly certificates: CertificateSource | undefined;

  /**
   * `health` is the data plane's health checker (DescribeTargetHealth reads it); `network` is EC2's
   * ENIs and checks for load balancers; `serving` is where the data plane serves listeners;
   * `certificates` is ACM. All absent in unit tests.
   */
  constructor(
    deps: Elbv2Deps,
    ports: { health?: TargetHealthView; network?: LoadBalancerNetworking; serving?: LoadBalancerServing; certificates?: CertificateSource } = {},
  ) {
    this.certificates = ports.certificates;
    this.deps = deps;
    this.repo = new Elbv2Repo(deps.store);
    const tags = (scope: Scope) => this.tagging(scope);
    this.loadBalancers = new LoadBalancers(
      deps,
      this.repo,
      tags,
      (scope, lbArn) => {
        for (const l of this.repo.listListeners(lbArn)) this.listeners.deleteWithRules(scope, l.doc.ListenerArn!);
      },
      ports.network,
      ports.serving,
    );
    this.targetGroups = new TargetGroups(deps, this.repo, tags, ports.health);
    this.listeners = new Listeners(deps, this.repo, tags, this.loadBalancers, this.targetGroups, () => ports.certificates);
    this.listenerCertificates = new ListenerCertificates(this.repo, this.listeners, () => ports.certificates, (fn) => deps.store.tx(fn));
  }

  /**
   * Tags of `scope`'s resources, through the shared Tagging: an ARN must name an existing load
   * balancer, target group, listener or rule of that scope, and a resource holds at most 50 tags.
   */
  tagging(scope: Scope): Tagging {
    return new Tagging(this.deps.store, {
      resolve: (arn) => {
        this.requireTaggable(scope, arn);
        return arn;
      },
      validate: (_added, merged) => {
        if (merged.length > MAX_TAGS) throw tooManyTags();
      },
    });
  }

  /** AddTags: the same tags on every resource, all or none. */
  addTags(scope: Scope, arns: readonly string[] | undefined, tags: readonly ElbTag[] | undefined): void {
    const resources = tagArns(arns);
    const checked = checkTags(tags);
    if (checked.length === 0) throw validation("At least one tag must be specified");
    const tagging = this.tagging(scope);
    this.deps.store.tx(() => {
      for (const a of resources) tagging.tag(a, checked);
    });
  }

  /** RemoveTags: the keys from every resource, all or none. */
  removeTags(scope: Scope, arns: readonly string[] | undefined, keys: readonly string[] | undefined): void {
    const resources = tagArns(arns);
    const tagging = this.tagging(scope);
    this.deps.store.tx(() => {
      for (const a of resources) tagging.untag(a, keys ?? []);
    });
  }

  describeTags(scope: Scope, arns: readonly string[] | undefined): TagDescription[] {
    const tagging = this.tagging(scope);
    return tagArns(arns).map((a) => ({ ResourceArn: a, Tags: elbTags.write(tagging.list(a)) }));
  }

  /** The ARN must name an existing LB, TG, listener or rule of the caller's scope. */
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
    let rec: TargetGroupRecord | undefined;
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

/** The ResourceArns of a tag operation: 1 to 20. */
function tagArns(arns: readonly string[] | undefined): readonly string[] {
  if (!arns?.length) throw validation("At least one resource ARN must be specified");
  if (arns.length > 20) throw validation("At most 20 resource ARNs can be specified");
  return arns;
}

function scopeOf(arn: string): Scope | undefined {
  const p = parseArn(arn);
  return p ? { accountId: p.accountId, region: p.region } : undefined;
}

function sameScope(scope: Scope, arn: string): boolean {
  const s = scopeOf(arn);
  return s !== undefined && s.accountId === scope.accountId && s.region === scope.region;
}
