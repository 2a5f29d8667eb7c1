/**
 * What ELBv2 needs from the data plane: a narrow port (src/server/ports.ts adapts the data plane to
 * it). When a listener is not served on its own port (the port is privileged or taken, so it moved
 * to its documented fallback), DescribeLoadBalancers says so in the load balancer's
 * `State.Reason`, so that nobody curls the wrong port: the state stays `active` (the load balancer
 * serves), and the reason names where.
 */
export interface LoadBalancerServing {
  /** Why some of the load balancer's listeners are served elsewhere than their port (empty: all on theirs). */
  notes(loadBalancerArn: string): readonly string[];
}
