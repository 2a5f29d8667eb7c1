/** Target groups, their attributes and registered targets, and DescribeTargetHealth. */
import { isIP } from "node:net";
import type {
  TargetHealth as SdkTargetHealth,
  CreateTargetGroupInput,
  DescribeTargetGroupsInput,
  DescribeTargetGroupsOutput,
  ModifyTargetGroupInput,
  TargetDescription,
  TargetGroup,
  TargetHealthDescription,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { ServiceError } from "../../aws/service-error.ts";
import type { Scope } from "../../core/arn.ts";
import type { TargetHealth, TargetHealthView } from "../../proxy/target-health.ts";
import type { Tagging } from "../common/tagging.ts";
import { applyAttributes, TARGET_GROUP_ATTRIBUTES, toList } from "./attributes.ts";
import { checkArn, checkName, checkTags, type Elbv2Deps, elbArn, nextMarker, page, port, tagNew, zoneName } from "./common.ts";
import { invalidConfig, invalidTarget, loadBalancerNotFound, resourceInUse, targetGroupNotFound, validation } from "./errors.ts";
import { DEFAULT_VPC } from "./load-balancers.ts";
import type { Elbv2Repo, TargetGroupRecord, TargetRow } from "./repo.ts";

/**
 * AWS's descriptions of the target health reason codes
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html#target-health-reason-codes).
 */
export const REASON_TEXT: Record<string, string> = {
  "Elb.RegistrationInProgress": "Target registration is in progress",
  "Elb.InitialHealthChecking": "Initial health checks in progress",
  "Target.Timeout": "Request timed out",
  "Target.FailedHealthChecks": "Health checks failed",
  "Elb.InternalError": "Health checks failed due to an internal error",
  "Target.NotRegistered": "Target is not registered to the target group",
  "Target.NotInUse": "Target group is not configured to receive traffic from the load balancer",
  "Target.DeregistrationInProgress": "Target deregistration is in progress",
  "Target.HealthCheckDisabled": "Health checks are disabled",
};

const health = (State: TargetHealth["state"], Reason?: string, Description?: string): SdkTargetHealth =>
  ({ State, ...(Reason ? { Reason, Description: Description ?? REASON_TEXT[Reason] } : {}) }) as SdkTargetHealth;

/** A target as callers name it: Id plus optional Port (defaults to the group's port). */
export interface TargetRef {
  readonly id: string;
  readonly port?: number | undefined;
  readonly availabilityZone?: string | undefined;
}

export class TargetGroups {
  readonly #deps: Elbv2Deps;
  readonly #repo: Elbv2Repo;
  readonly #tags: (scope: Scope) => Tagging;
  /** The data plane's health checker (DescribeTargetHealth reads it); absent in unit tests. */
  readonly #health: TargetHealthView | undefined;
  constructor(deps: Elbv2Deps, repo: Elbv2Repo, tags: (scope: Scope) => Tagging, health: TargetHealthView | undefined) {
    this.#deps = deps;
    this.#repo = repo;
    this.#tags = tags;
    this.#health = health;
  }

  require(scope: Scope, arn: string | undefined): TargetGroupRecord {
    if (!arn) throw validation("A target group ARN must be specified");
    const rec = checkArn(arn, "targetgroup", scope) ? this.#repo.getTargetGroup(arn) : undefined;
    if (!rec) throw targetGroupNotFound();
    return rec;
  }

  exists(scope: Scope, arn: string): boolean {
    return checkArn(arn, "targetgroup", scope) && this.#repo.getTargetGroup(arn) !== undefined;
  }

  /** The document with the derived LoadBalancerArns. */
  present(rec: TargetGroupRecord): TargetGroup {
    return { ...rec.doc, LoadBalancerArns: this.#repo.loadBalancersOf(rec.doc.TargetGroupArn!) };
  }

  create(scope: Scope, input: CreateTargetGroupInput): TargetGroup {
    const name = checkName("Target group", input.Name);
    const targetType = input.TargetType ?? "instance";
    if (targetType !== "instance" && targetType !== "ip") {
      throw invalidConfig(`Target type '${targetType}' is not supported by Slipway; use 'instance' or 'ip'`);
    }
    const protocol = input.Protocol ?? "HTTP";
    if (protocol !== "HTTP" && protocol !== "HTTPS") {
      throw new ServiceError("UnsupportedProtocolException", `Protocol '${protocol}' is not supported: Application Load Balancer target groups use HTTP or HTTPS`);
    }
    // Terraform sends `ProtocolVersion=` (empty) when protocol_version is unset; AWS takes that as HTTP1.
    const protocolVersion = input.ProtocolVersion || "HTTP1";
    if (!["HTTP1", "HTTP2", "GRPC"].includes(protocolVersion)) throw validation(`Protocol version '${protocolVersion}' must be one of HTTP1, HTTP2, GRPC`);
    const grpc = protocolVersion === "GRPC";
    const doc: TargetGroup = checkHealthCheck({
      TargetGroupArn: "",
      TargetGroupName: name,
      Protocol: protocol,
      Port: port(input.Port ?? (protocol === "HTTPS" ? 443 : 80), "Port"),
      VpcId: input.VpcId ?? DEFAULT_VPC,
      HealthCheckProtocol: input.HealthCheckProtocol ?? "HTTP",
      HealthCheckPort: input.HealthCheckPort ?? "traffic-port",
      HealthCheckEnabled: input.HealthCheckEnabled ?? true,
      HealthCheckIntervalSeconds: input.HealthCheckIntervalSeconds ?? 30,
      HealthCheckTimeoutSeconds: input.HealthCheckTimeoutSeconds ?? 5,
      HealthyThresholdCount: input.HealthyThresholdCount ?? 5,
      UnhealthyThresholdCount: input.UnhealthyThresholdCount ?? 2,
      HealthCheckPath: input.HealthCheckPath ?? (grpc ? "/AWS.ALB/healthcheck" : "/"),
      Matcher: input.Matcher ?? (grpc ? { GrpcCode: "12" } : { HttpCode: "200" }),
      TargetType: targetType,
      ProtocolVersion: protocolVersion,
      IpAddressType: input.IpAddressType ?? "ipv4",
    });
    const tags = checkTags(input.Tags);
    return this.#deps.store.tx(() => {
      const existing = this.#repo.getTargetGroupByName(scope, name);
      if (existing) {
        const same = JSON.stringify({ ...existing.doc, TargetGroupArn: "" }) === JSON.stringify(doc);
        if (same) return this.present(existing);
        throw new ServiceError("DuplicateTargetGroupNameException", `A target group with the same name '${name}' exists, but with different settings`);
      }
      doc.TargetGroupArn = elbArn(scope, `targetgroup/${name}/${this.#deps.ids.hex(8)}`);
      this.#repo.putTargetGroup(scope, { doc, attributes: {} }, this.#deps.clock.now());
      tagNew(this.#tags(scope), doc.TargetGroupArn, tags);
      return { ...doc, LoadBalancerArns: [] };
    });
  }

  describe(scope: Scope, input: DescribeTargetGroupsInput, lbExists: (arn: string) => boolean): DescribeTargetGroupsOutput {
    const given = [input.LoadBalancerArn, input.TargetGroupArns?.length, input.Names?.length].filter(Boolean).length;
    if (given > 1) throw validation("Only one of load balancer ARN, target group ARNs or names can be specified");
    let all: TargetGroupRecord[];
    if (input.TargetGroupArns?.length) all = input.TargetGroupArns.map((a) => this.require(scope, a));
    else if (input.Names?.length) {
      all = input.Names.map((n) => {
        const rec = this.#repo.getTargetGroupByName(scope, n);
        if (!rec) throw targetGroupNotFound();
        return rec;
      });
    } else if (input.LoadBalancerArn) {
      if (!checkArn(input.LoadBalancerArn, "loadbalancer", scope) || !lbExists(input.LoadBalancerArn)) throw loadBalancerNotFound();
      const arns = new Set(this.#repo.targetGroupArnsOfLoadBalancer(input.LoadBalancerArn));
      all = this.#repo.listTargetGroups(scope).filter((t) => arns.has(t.doc.TargetGroupArn!));
    } else all = this.#repo.listTargetGroups(scope);
    const p = page(all, input.PageSize, input.Marker);
    return { TargetGroups: p.items.map((r) => this.present(r)), ...nextMarker(p) };
  }

  modify(scope: Scope, input: ModifyTargetGroupInput): TargetGroup {
    return this.#deps.store.tx(() => {
      const rec = this.require(scope, input.TargetGroupArn);
      const d = rec.doc;
      const next = checkHealthCheck({
        ...d,
        HealthCheckProtocol: input.HealthCheckProtocol ?? d.HealthCheckProtocol,
        HealthCheckPort: input.HealthCheckPort ?? d.HealthCheckPort,
        HealthCheckPath: input.HealthCheckPath ?? d.HealthCheckPath,
        HealthCheckEnabled: input.HealthCheckEnabled ?? d.HealthCheckEnabled,
        HealthCheckIntervalSeconds: input.HealthCheckIntervalSeconds ?? d.HealthCheckIntervalSeconds,
        HealthCheckTimeoutSeconds: input.HealthCheckTimeoutSeconds ?? d.HealthCheckTimeoutSeconds,
        HealthyThresholdCount: input.HealthyThresholdCount ?? d.HealthyThresholdCount,
        UnhealthyThresholdCount: input.UnhealthyThresholdCount ?? d.UnhealthyThresholdCount,
        Matcher: input.Matcher ?? d.Matcher,
      });
      this.#repo.putTargetGroup(scope, { doc: next, attributes: rec.attributes }, this.#deps.clock.now());
      return this.present({ doc: next, attributes: rec.attributes });
    });
  }

  /** Idempotent for unknown groups; ResourceInUse while a listener or rule forwards to it. */
  delete(scope: Scope, arn: string | undefined): void {
    if (!arn) throw validation("A target group ARN must be specified");
    if (!checkArn(arn, "targetgroup", scope)) return;
    this.#deps.store.tx(() => {
      if (!this.#repo.getTargetGroup(arn)) return;
      if (this.#repo.isTargetGroupInUse(arn)) throw resourceInUse(`Target group '${arn}' is currently in use by a listener or a rule`);
      this.#repo.deleteTargetGroup(arn);
      this.#tags(scope).clear(arn);
    });
  }

  attributes(scope: Scope, arn: string | undefined): { Key: string; Value: string }[] {
    return toList(TARGET_GROUP_ATTRIBUTES, this.require(scope, arn).attributes);
  }

  modifyAttributes(scope: Scope, arn: string | undefined, updates: readonly { Key?: string; Value?: string }[]): { Key: string; Value: string }[] {
    return this.#deps.store.tx(() => {
      const rec = this.require(scope, arn);
      const attributes = applyAttributes("Target group", TARGET_GROUP_ATTRIBUTES, rec.attributes, updates);
      this.#repo.putTargetGroup(scope, { doc: rec.doc, attributes }, this.#deps.clock.now());
      return toList(TARGET_GROUP_ATTRIBUTES, attributes);
    });
  }

  // ---- targets

  register(scope: Scope, tgArn: string | undefined, targets: readonly TargetRef[]): void {
    if (targets.length === 0) throw validation("At least one target must be specified");
    this.#deps.store.tx(() => {
      const tg = this.require(scope, tgArn);
      const now = this.#deps.clock.now();
      this.#repo.purgeDrained(now);
      for (const t of targets) {
        const p = this.#checkTarget(tg, t);
        const existing = this.#repo.getTarget(tg.doc.TargetGroupArn!, t.id, p);
        if (existing && existing.drainingUntil === undefined) continue;
        this.#repo.putTarget({
          targetGroupArn: tg.doc.TargetGroupArn!,
          id: t.id,
          port: p,
          availabilityZone: t.availabilityZone ?? zoneName(scope.region, 0),
          registeredAt: now,
          drainingUntil: undefined,
        });
      }
    });
  }

  /**
   * Starts draining: each registered target gets a deadline of now + deregistration delay and is
   * removed once it passes (lazily). Unregistered targets are ignored. Returns the latest deadline
   * (epoch ms), or now when nothing drains.
   */
  deregister(scope: Scope, tgArn: string | undefined, targets: readonly TargetRef[]): number {
    if (targets.length === 0) throw validation("At least one target must be specified");
    return this.#deps.store.tx(() => {
      const tg = this.require(scope, tgArn);
      const now = this.#deps.clock.now();
      this.#repo.purgeDrained(now);
      const delayMs = Number(tg.attributes["deregistration_delay.timeout_seconds"] ?? "300") * 1000;
      let latest = now;
      for (const t of targets) {
        const p = this.#checkTarget(tg, t);
        const existing = this.#repo.getTarget(tg.doc.TargetGroupArn!, t.id, p);
        if (!existing) continue;
        if (existing.drainingUntil !== undefined) {
          latest = Math.max(latest, existing.drainingUntil);
          continue;
        }
        if (delayMs === 0) {
          this.#repo.deleteTarget(tg.doc.TargetGroupArn!, t.id, p);
          continue;
        }
        this.#repo.putTarget({ ...existing, drainingUntil: now + delayMs });
        latest = Math.max(latest, now + delayMs);
      }
      return latest;
    });
  }

  /** Registered targets (draining ones included), expired ones dropped first. */
  targets(scope: Scope, tgArn: string): TargetRow[] {
    const tg = this.require(scope, tgArn);
    this.#repo.purgeDrained(this.#deps.clock.now());
    return this.#repo.targets(tg.doc.TargetGroupArn!);
  }

  describeHealth(scope: Scope, tgArn: string | undefined, explicit: readonly TargetDescription[] | undefined): TargetHealthDescription[] {
    const tg = this.require(scope, tgArn);
    const arn = tg.doc.TargetGroupArn!;
    this.#repo.purgeDrained(this.#deps.clock.now());
    const inUse = this.#repo.isTargetGroupInUse(arn);
    const hcPort = (p: number) => (tg.doc.HealthCheckPort === "traffic-port" ? String(p) : tg.doc.HealthCheckPort!);
    const describe = (row: TargetRow) => ({
      Target: { Id: row.id, Port: row.port, ...(row.availabilityZone ? { AvailabilityZone: row.availabilityZone } : {}) },
      HealthCheckPort: hcPort(row.port),
      TargetHealth: this.#stateOf(arn, row, inUse, tg.doc.HealthCheckEnabled !== false),
    });
    if (!explicit?.length) return this.#repo.targets(arn).map(describe);
    return explicit.map((t) => {
      const p = this.#checkTarget(tg, { id: t.Id ?? "", port: t.Port });
      const row = this.#repo.getTarget(arn, t.Id!, p);
      if (row) return describe(row);
      return {
        Target: { Id: t.Id!, Port: p, ...(t.AvailabilityZone ? { AvailabilityZone: t.AvailabilityZone } : {}) },
        HealthCheckPort: hcPort(p),
        TargetHealth: health("unused", "Target.NotRegistered"),
      };
    });
  }

  /** Health of one registered target as DescribeTargetHealth reports it (undefined: not registered). */
  healthOf(scope: Scope, tgArn: string, id: string, p: number): SdkTargetHealth | undefined {
    const tg = this.require(scope, tgArn);
    this.#repo.purgeDrained(this.#deps.clock.now());
    const row = this.#repo.getTarget(tgArn, id, p);
    if (!row) return undefined;
    return this.#stateOf(tgArn, row, this.#repo.isTargetGroupInUse(tgArn), tg.doc.HealthCheckEnabled !== false);
  }

  #stateOf(tgArn: string, row: TargetRow, inUse: boolean, enabled: boolean): SdkTargetHealth {
    if (row.drainingUntil !== undefined) return health("draining", "Target.DeregistrationInProgress");
    if (!inUse) return health("unused", "Target.NotInUse");
    if (!enabled) return health("unavailable", "Target.HealthCheckDisabled");
    const h = this.#health?.get(tgArn, row.id, row.port);
    if (!h) return health("initial", "Elb.RegistrationInProgress");
    return health(h.state, h.reason, h.description);
  }

  /** Validates a target against the group's target type; returns its port. */
  #checkTarget(tg: TargetGroupRecord, t: TargetRef): number {
    if (!t.id) throw validation("A target ID must be specified");
    const p = t.port ?? tg.doc.Port!;
    if (!Number.isInteger(p) || p < 1 || p > 65535) throw invalidTarget(`The port '${p}' of target '${t.id}' must be between 1 and 65535`);
    if (tg.doc.TargetType === "ip") {
      if (isIP(t.id) === 0) throw invalidTarget(`The IP address '${t.id}' is not a valid IPv4 address`);
      if (tg.doc.IpAddressType !== "ipv6" && isIP(t.id) !== 4) throw invalidTarget(`The IP address '${t.id}' is not a valid IPv4 address`);
      // The load balancer's nodes cannot reach their own loopback range
      // (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-target-groups.html#target-type).
      if (t.id.startsWith("127.") || t.id === "::1") throw invalidTarget(`The IP address '${t.id}' is a loopback address and cannot be registered as a target`);
    } else if (!/^i-[0-9a-f]{8,17}$/.test(t.id)) {
      throw invalidTarget(`The following targets are not valid instances: '${t.id}'`);
    }
    return p;
  }
}

function checkHealthCheck(d: TargetGroup): TargetGroup {
  const range = (v: number | undefined, lo: number, hi: number, what: string) => {
    if (v === undefined || !Number.isInteger(v) || v < lo || v > hi) throw validation(`${what} '${v}' must be between ${lo} and ${hi}`);
  };
  range(d.HealthCheckIntervalSeconds, 5, 300, "Health check interval");
  range(d.HealthCheckTimeoutSeconds, 2, 120, "Health check timeout");
  range(d.HealthyThresholdCount, 2, 10, "Healthy threshold count");
  range(d.UnhealthyThresholdCount, 2, 10, "Unhealthy threshold count");
  if (d.HealthCheckTimeoutSeconds! >= d.HealthCheckIntervalSeconds!) {
    throw validation("Health check interval must be greater than the timeout.");
  }
  if (d.HealthCheckProtocol !== "HTTP" && d.HealthCheckProtocol !== "HTTPS") {
    throw validation(`Health check protocol '${d.HealthCheckProtocol}' must be HTTP or HTTPS for an Application Load Balancer target group`);
  }
  const hp = d.HealthCheckPort ?? "traffic-port";
  if (hp !== "traffic-port" && !(/^\d+$/.test(hp) && Number(hp) >= 1 && Number(hp) <= 65535)) {
    throw validation(`Health check port '${hp}' must be 'traffic-port' or between 1 and 65535`);
  }
  const path = d.HealthCheckPath ?? "/";
  if (!path.startsWith("/") || path.length > 1024) throw validation(`Health check path '${path}' must start with '/' and be at most 1024 characters`);
  if (d.HealthCheckEnabled === false) {
    throw invalidConfig(`Health checks cannot be disabled for target groups with target type '${d.TargetType}'`);
  }
  const code = d.Matcher?.HttpCode;
  if (code !== undefined) {
    const ok = code.split(",").every((part) => {
      const m = /^(\d{3})(?:-(\d{3}))?$/.exec(part);
      if (!m) return false;
      const lo = Number(m[1]);
      const hi = Number(m[2] ?? m[1]);
      return lo >= 200 && hi <= 499 && lo <= hi;
    });
    if (!ok) throw validation(`Health check matcher HTTP code '${code}' must be 200-499, a list (200,202) or a range (200-299)`);
  } else if (d.Matcher?.GrpcCode === undefined) {
    throw validation("A health check matcher HTTP code must be specified");
  }
  return d;
}
