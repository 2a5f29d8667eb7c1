/** ELBv2 reads the views share. */
import { call, callAll, listeners, type ListenerView } from "./api.ts";

export interface LoadBalancer {
  LoadBalancerArn: string;
  LoadBalancerName: string;
  DNSName?: string;
  Scheme?: string;
  Type?: string;
  State?: { Code?: string; Reason?: string };
}

export interface Listener {
  ListenerArn: string;
  LoadBalancerArn: string;
  Port: number;
  Protocol: string;
  DefaultActions?: Action[];
}

export interface Action {
  Type: string;
  TargetGroupArn?: string;
  ForwardConfig?: { TargetGroups?: { TargetGroupArn?: string; Weight?: number }[] };
  RedirectConfig?: { Protocol?: string; Host?: string; Port?: string; Path?: string; StatusCode?: string };
  FixedResponseConfig?: { StatusCode?: string; ContentType?: string; MessageBody?: string };
}

export interface Rule {
  RuleArn: string;
  Priority: string;
  IsDefault?: boolean;
  Conditions?: { Field?: string; Values?: string[]; PathPatternConfig?: { Values?: string[] }; HostHeaderConfig?: { Values?: string[] }; HttpHeaderConfig?: { HttpHeaderName?: string; Values?: string[] } }[];
  Actions?: Action[];
}

export interface TargetGroup {
  TargetGroupArn: string;
  TargetGroupName: string;
  Protocol?: string;
  Port?: number;
  TargetType?: string;
  HealthCheckPath?: string;
  LoadBalancerArns?: string[];
}

export interface TargetHealth {
  Target: { Id: string; Port?: number };
  HealthCheckPort?: string;
  TargetHealth: { State: string; Reason?: string; Description?: string };
}

/**
 * Where a browser reaches a listener: the load balancer's DNS name (*.elb.localhost resolves to
 * loopback, and a port shared by several load balancers dispatches on it) at the port it is served on.
 */
export function listenerUrl(l: { protocol: string; dnsName: string; hostPort: number }): string {
  const scheme = l.protocol === "HTTPS" ? "https" : "http";
  const defaultPort = (scheme === "http" && l.hostPort === 80) || (scheme === "https" && l.hostPort === 443);
  return `${scheme}://${l.dnsName}${defaultPort ? "" : `:${l.hostPort}`}/`;
}

export type ServedListener = Listener & { url?: string; note?: string };

export async function loadBalancersWithListeners(): Promise<{ lb: LoadBalancer; listeners: ServedListener[] }[]> {
  const lbs = await callAll<LoadBalancer>("elasticloadbalancing", "DescribeLoadBalancers", {}, "LoadBalancers", "Marker", "NextMarker");
  const bound = new Map<string, ListenerView>((await listeners()).map((l) => [l.listenerArn, l]));
  const out = [];
  for (const lb of lbs) {
    const ls = await callAll<Listener>("elasticloadbalancing", "DescribeListeners", { LoadBalancerArn: lb.LoadBalancerArn }, "Listeners", "Marker", "NextMarker");
    out.push({
      lb,
      listeners: ls
        .sort((a, b) => a.Port - b.Port)
        .map((l) => {
          const b = bound.get(l.ListenerArn);
          return { ...l, ...(b ? { url: listenerUrl(b) } : {}), ...(b?.note ? { note: b.note } : {}) };
        }),
    });
  }
  return out.sort((a, b) => a.lb.LoadBalancerName.localeCompare(b.lb.LoadBalancerName));
}

export async function targetHealth(targetGroupArn: string): Promise<TargetHealth[]> {
  const r = await call("elasticloadbalancing", "DescribeTargetHealth", { TargetGroupArn: targetGroupArn });
  return (r.TargetHealthDescriptions as TargetHealth[]) ?? [];
}

export async function targetGroup(arn: string): Promise<TargetGroup | undefined> {
  const r = await call("elasticloadbalancing", "DescribeTargetGroups", { TargetGroupArns: [arn] });
  return (r.TargetGroups as TargetGroup[])[0];
}

/** The deregistration delay of a target group, in seconds (the attribute deregistration_delay.timeout_seconds). */
export async function deregistrationDelay(arn: string): Promise<string | undefined> {
  const r = await call("elasticloadbalancing", "DescribeTargetGroupAttributes", { TargetGroupArn: arn });
  return ((r.Attributes as { Key?: string; Value?: string }[]) ?? []).find((a) => a.Key === "deregistration_delay.timeout_seconds")?.Value;
}

export function elbKey(key: string): boolean {
  return key.startsWith("elbv2:") || key.startsWith("health:") || /:elasticloadbalancing:/.test(key.startsWith("api:") ? key : "");
}

export function describeAction(a: Action): string {
  switch (a.Type) {
    case "forward": {
      const groups = a.ForwardConfig?.TargetGroups ?? (a.TargetGroupArn ? [{ TargetGroupArn: a.TargetGroupArn, Weight: 1 }] : []);
      return `forward to ${groups.map((g) => `${g.TargetGroupArn?.split("/")[1] ?? "?"}${groups.length > 1 ? ` (weight ${g.Weight ?? 1})` : ""}`).join(", ")}`;
    }
    case "redirect": {
      const r = a.RedirectConfig ?? {};
      return `redirect ${r.StatusCode ?? ""} to ${r.Protocol ?? "#{protocol}"}://${r.Host ?? "#{host}"}:${r.Port ?? "#{port}"}${r.Path ?? "/#{path}"}`;
    }
    case "fixed-response":
      return `fixed response ${a.FixedResponseConfig?.StatusCode ?? ""}`;
    default:
      return a.Type;
  }
}

export function describeCondition(c: NonNullable<Rule["Conditions"]>[number]): string {
  const values = c.PathPatternConfig?.Values ?? c.HostHeaderConfig?.Values ?? c.HttpHeaderConfig?.Values ?? c.Values ?? [];
  const field = c.Field === "http-header" ? `header ${c.HttpHeaderConfig?.HttpHeaderName ?? ""}` : (c.Field ?? "?");
  return `${field} is ${values.join(" or ")}`;
}
