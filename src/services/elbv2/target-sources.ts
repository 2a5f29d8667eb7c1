/**
 * Where the load balancer's traffic to a target comes from: one of its own ENI addresses, as on
 * AWS ("connections to targets, health checks included, use the private IP of a load balancer
 * node", https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-register-targets.html),
 * so a target's security group that allows "the load balancer's group" admits it. The address of
 * the node in the target's own subnet when there is one, else any node's (cross-zone).
 *
 * A pure pass over a built RoutingTable: each `ip` target gets `sourceAddress`; both data-plane
 * modes read it (the Node data plane binds its upstream socket to it, HAProxy's server line gets
 * `source`). Without sources (no bound addresses: not root, or a placeholder network) targets
 * keep none and the host's own address is used.
 */
import type { ListenerRoutes, RoutingTable, TargetGroupRoutes } from "../../proxy/routing-table.ts";
import { inCidr } from "../../vpc/reachability.ts";

export interface SourceAddress {
  readonly address: string;
  /** The CIDR of the node's subnet. */
  readonly subnetCidr: string;
}

/** The load balancers that forward to each target group, in listener order. */
function forwarders(listeners: ReadonlyMap<string, ListenerRoutes>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const l of listeners.values()) {
    for (const r of l.rules) {
      if (r.action.type !== "forward") continue;
      for (const tg of r.action.targetGroups) {
        const list = out.get(tg.arn) ?? [];
        if (!list.includes(l.loadBalancerArn)) list.push(l.loadBalancerArn);
        out.set(tg.arn, list);
      }
    }
  }
  return out;
}

export function pickSource(sources: readonly SourceAddress[], target: string): string | undefined {
  return (sources.find((s) => inCidr(target, s.subnetCidr)) ?? sources[0])?.address;
}

export function withSources(table: RoutingTable, sourcesOf: (loadBalancerArn: string) => readonly SourceAddress[]): RoutingTable {
  const lbs = forwarders(table.listeners);
  let changed = false;
  const targetGroups = new Map<string, TargetGroupRoutes>();
  for (const [arn, tg] of table.targetGroups) {
    const sources = tg.targetType === "ip" ? (lbs.get(arn) ?? []).flatMap((lb) => sourcesOf(lb)) : [];
    if (!sources.length) {
      targetGroups.set(arn, tg);
      continue;
    }
    changed = true;
    targetGroups.set(arn, {
      ...tg,
      targets: tg.targets.map((t) => {
        const sourceAddress = pickSource(sources, t.address);
        return sourceAddress ? { ...t, sourceAddress } : t;
      }),
    });
  }
  return changed ? { ...table, targetGroups } : table;
}
