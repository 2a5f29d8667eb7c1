/**
 * The routing table, built by a PURE function from the ELBv2 rows and the time: listeners by ARN in
 * creation order (with the port they were created with; where they are bound is the data plane's
 * choice), rules in evaluation order (priority ascending, default last), target groups with their
 * attribute-derived settings and their targets (draining flagged, drained dropped).
 */
import type { Listener, Action as SdkAction, RuleCondition, TargetGroup } from "@aws-sdk/client-elastic-load-balancing-v2";
import type {
  Action,
  Condition,
  HealthCheckSettings,
  ListenerRoutes,
  ListenerTls,
  TlsCertificate,
  RoutingTable,
  RuleRoutes,
  TargetGroupRoutes,
} from "../../proxy/routing-table.ts";
import { defaults, LOAD_BALANCER_ATTRIBUTES, TARGET_GROUP_ATTRIBUTES } from "./attributes.ts";
import type { CertificateSource } from "./listener-certificates.ts";
import type { Elbv2State } from "./repo.ts";
import { DEFAULT_SSL_POLICY, sslPolicy } from "./ssl-policies.ts";

/**
 * `certificates` gives HTTPS listeners their certificates (ACM, through the port); without it, or
 * for a certificate that is missing or not issued, the listener has no certificate to present and
 * closes TLS handshakes cleanly.
 */
export function buildTable(state: Elbv2State, now: number, certificates?: CertificateSource): RoutingTable {
  const lbs = new Map(state.loadBalancers.map((lb) => [lb.doc.LoadBalancerArn!, lb]));
  const listenerArns = new Set(state.listeners.filter((l) => lbs.has(l.doc.LoadBalancerArn!)).map((l) => l.doc.ListenerArn!));
  const rulesByListener = new Map<string, Elbv2State["rules"]>();
  for (const r of state.rules) {
    if (!listenerArns.has(r.listenerArn)) continue;
    const list = rulesByListener.get(r.listenerArn) ?? [];
    list.push(r);
    rulesByListener.set(r.listenerArn, list);
  }
  const tgArns = new Set(state.targetGroups.map((t) => t.doc.TargetGroupArn!));
  const inUse = new Set<string>();

  const live = state.listeners.filter((l) => listenerArns.has(l.doc.ListenerArn!));
  const extraCerts = new Map<string, string[]>();
  for (const c of state.listenerCertificates ?? []) {
    const list = extraCerts.get(c.listenerArn) ?? [];
    list.push(c.certificateArn);
    extraCerts.set(c.listenerArn, list);
  }
  const listeners = new Map<string, ListenerRoutes>();
  for (const l of live) {
    const lb = lbs.get(l.doc.LoadBalancerArn!)!;
    const attrs = { ...defaults(LOAD_BALANCER_ATTRIBUTES), ...lb.attributes };
    const rules = [...(rulesByListener.get(l.doc.ListenerArn!) ?? [])].sort((a, b) => priorityKey(a.doc) - priorityKey(b.doc));
    const routes: RuleRoutes[] = [];
    for (const r of rules) {
      const action = toAction(r.doc.Actions ?? [], tgArns);
      if (!action) continue;
      if (action.type === "forward") for (const t of action.targetGroups) inUse.add(t.arn);
      routes.push({
        ruleArn: r.doc.RuleArn!,
        priority: r.doc.IsDefault ? "default" : Number(r.doc.Priority),
        conditions: (r.doc.Conditions ?? []).map(toCondition),
        action,
      });
    }
    listeners.set(l.doc.ListenerArn!, {
      listenerArn: l.doc.ListenerArn!,
      loadBalancerArn: l.doc.LoadBalancerArn!,
      loadBalancerName: lb.doc.LoadBalancerName ?? "",
      dnsName: (lb.doc.DNSName ?? "").toLowerCase(),
      port: l.doc.Port!,
      protocol: l.doc.Protocol === "HTTPS" ? "HTTPS" : "HTTP",
      ...(l.doc.Protocol === "HTTPS" ? { tls: listenerTls(l.doc, extraCerts.get(l.doc.ListenerArn!) ?? [], certificates) } : {}),
      idleTimeoutSeconds: Number(attrs["idle_timeout.timeout_seconds"]),
      xffMode: (attrs["routing.http.xff_header_processing.mode"] ?? "append") as ListenerRoutes["xffMode"],
      xffClientPort: attrs["routing.http.xff_client_port.enabled"] === "true",
      preserveHostHeader: attrs["routing.http.preserve_host_header.enabled"] === "true",
      rules: routes,
    });
  }

  const targetsByGroup = new Map<string, Elbv2State["targets"]>();
  for (const t of state.targets) {
    if (t.drainingUntil !== undefined && t.drainingUntil <= now) continue;
    const list = targetsByGroup.get(t.targetGroupArn) ?? [];
    list.push(t);
    targetsByGroup.set(t.targetGroupArn, list);
  }
  const targetGroups = new Map<string, TargetGroupRoutes>();
  for (const tg of state.targetGroups) {
    const d = tg.doc;
    const arn = d.TargetGroupArn!;
    const a = { ...defaults(TARGET_GROUP_ATTRIBUTES), ...tg.attributes };
    const ip = d.TargetType === "ip";
    const stickyType = a["stickiness.type"] === "app_cookie" ? "app_cookie" : "lb_cookie";
    targetGroups.set(arn, {
      arn,
      protocol: d.Protocol === "HTTPS" ? "HTTPS" : "HTTP",
      port: d.Port!,
      targetType: ip ? "ip" : "instance",
      healthCheck: healthCheckOf(d),
      algorithm: a["load_balancing.algorithm.type"] as TargetGroupRoutes["algorithm"],
      slowStartSeconds: Number(a["slow_start.duration_seconds"]),
      deregistrationDelaySeconds: Number(a["deregistration_delay.timeout_seconds"]),
      stickiness: {
        enabled: a["stickiness.enabled"] === "true",
        type: stickyType,
        durationSeconds: Number(stickyType === "app_cookie" ? a["stickiness.app_cookie.duration_seconds"] : a["stickiness.lb_cookie.duration_seconds"]),
        ...(stickyType === "app_cookie" && a["stickiness.app_cookie.cookie_name"] ? { appCookieName: a["stickiness.app_cookie.cookie_name"] } : {}),
      },
      targets: (targetsByGroup.get(arn) ?? []).map((t) => ({
        id: t.id,
        port: t.port,
        address: ip ? t.id : "127.0.0.1",
        draining: t.drainingUntil !== undefined,
        registeredAt: t.registeredAt,
      })),
      inUse: inUse.has(arn),
    });
  }
  return { listeners, targetGroups };
}

function listenerTls(doc: Listener, extra: readonly string[], source: CertificateSource | undefined): ListenerTls {
  const policy = sslPolicy(doc.SslPolicy ?? DEFAULT_SSL_POLICY) ?? sslPolicy(DEFAULT_SSL_POLICY)!;
  const arns = [...(doc.Certificates ?? []).slice(0, 1).map((c) => c.CertificateArn ?? ""), ...extra];
  const certs: TlsCertificate[] = [];
  for (const arn of arns) {
    const c = source?.servable(arn);
    if (c?.status === "ISSUED" && c.material) certs.push(c.material);
  }
  return { policy: { name: policy.name, protocols: policy.protocols, ciphers: policy.ciphers }, certificates: certs };
}

export function healthCheckOf(d: TargetGroup): HealthCheckSettings {
  const port = d.HealthCheckPort ?? "traffic-port";
  return {
    enabled: d.HealthCheckEnabled !== false,
    protocol: d.HealthCheckProtocol === "HTTPS" ? "HTTPS" : "HTTP",
    port: port === "traffic-port" ? "traffic-port" : Number(port),
    path: d.HealthCheckPath ?? "/",
    intervalSeconds: d.HealthCheckIntervalSeconds ?? 30,
    timeoutSeconds: d.HealthCheckTimeoutSeconds ?? 5,
    healthyThreshold: d.HealthyThresholdCount ?? 5,
    unhealthyThreshold: d.UnhealthyThresholdCount ?? 2,
    matcher: d.Matcher?.HttpCode ?? d.Matcher?.GrpcCode ?? "200",
  };
}

const priorityKey = (r: { IsDefault?: boolean | undefined; Priority?: string | undefined }) =>
  r.IsDefault ? Number.POSITIVE_INFINITY : Number(r.Priority);

function toCondition(c: RuleCondition): Condition {
  switch (c.Field) {
    case "path-pattern":
      return { field: "path-pattern", values: c.PathPatternConfig?.Values ?? c.Values ?? [] };
    case "host-header":
      return { field: "host-header", values: c.HostHeaderConfig?.Values ?? c.Values ?? [] };
    case "http-header":
      return { field: "http-header", name: c.HttpHeaderConfig?.HttpHeaderName ?? "", values: c.HttpHeaderConfig?.Values ?? [] };
    case "http-request-method":
      return { field: "http-request-method", values: c.HttpRequestMethodConfig?.Values ?? [] };
    case "query-string":
      return {
        field: "query-string",
        values: (c.QueryStringConfig?.Values ?? []).map((p) => (p.Key !== undefined ? { key: p.Key, value: p.Value ?? "" } : { value: p.Value ?? "" })),
      };
    default:
      return { field: "source-ip", values: c.SourceIpConfig?.Values ?? [] };
  }
}

/** The terminal action (last by Order) as the data plane wants it. */
function toAction(actions: readonly SdkAction[], tgArns: ReadonlySet<string>): Action | undefined {
  const sorted = [...actions].sort((a, b) => (a.Order ?? 0) - (b.Order ?? 0));
  const a = sorted[sorted.length - 1];
  if (!a) return undefined;
  switch (a.Type) {
    case "forward": {
      const groups = a.ForwardConfig?.TargetGroups?.length
        ? a.ForwardConfig.TargetGroups.map((t) => ({ arn: t.TargetGroupArn ?? "", weight: t.Weight ?? 1 }))
        : a.TargetGroupArn
          ? [{ arn: a.TargetGroupArn, weight: 1 }]
          : [];
      const st = a.ForwardConfig?.TargetGroupStickinessConfig;
      return {
        type: "forward",
        targetGroups: groups.filter((g) => tgArns.has(g.arn)),
        ...(st?.Enabled ? { stickiness: { enabled: true, durationSeconds: st.DurationSeconds ?? 3600 } } : {}),
      };
    }
    case "redirect": {
      const r: Partial<NonNullable<SdkAction["RedirectConfig"]>> = a.RedirectConfig ?? {};
      return {
        type: "redirect",
        ...(r.Protocol !== undefined ? { protocol: r.Protocol } : {}),
        ...(r.Port !== undefined ? { port: r.Port } : {}),
        ...(r.Host !== undefined ? { host: r.Host } : {}),
        ...(r.Path !== undefined ? { path: r.Path } : {}),
        ...(r.Query !== undefined ? { query: r.Query } : {}),
        statusCode: r.StatusCode === "HTTP_301" ? "HTTP_301" : "HTTP_302",
      };
    }
    case "fixed-response": {
      const f: Partial<NonNullable<SdkAction["FixedResponseConfig"]>> = a.FixedResponseConfig ?? {};
      return {
        type: "fixed-response",
        statusCode: f.StatusCode ?? "200",
        ...(f.ContentType !== undefined ? { contentType: f.ContentType } : {}),
        ...(f.MessageBody !== undefined ? { messageBody: f.MessageBody } : {}),
      };
    }
    default:
      return undefined;
  }
}

/** A stable serialization (Maps as sorted entries) to compare two tables. */
export function tableKey(t: RoutingTable): string {
  return JSON.stringify(t, (_k, v: unknown) => (v instanceof Map ? [...v.entries()].sort(([a], [b]) => (String(a) < String(b) ? -1 : 1)) : v));
}
