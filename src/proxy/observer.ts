/**
 * The data plane's metrics hook: what happened to each request, told as it happens, with no
 * allocation required of the caller. Both data planes call it (the Node one from its request path,
 * the HAProxy one from HAProxy's per-request log lines), so CloudWatch's AWS/ApplicationELB metrics
 * can be computed the same way in either mode. Every method must be cheap and must not throw.
 */
import type { Socket } from "node:net";
import type { UpstreamFailure } from "./upstream.ts";

export interface DataPlaneObserver {
  /** A client connection's first request was routed to `loadBalancerArn` (Node mode: `socket` is the client's). */
  connection(loadBalancerArn: string, socket: Socket | undefined): void;
  /** The load balancer answered itself: a fixed-response or redirect action, or one of its error pages. */
  loadBalancerResponse(loadBalancerArn: string, status: number): void;
  /** A target's response began: its status, and the seconds from sending the request to its head. */
  targetResponse(loadBalancerArn: string, targetGroupArn: string, status: number, seconds: number): void;
  /** Reaching a target failed (the client got a 502 or 504, or was cut mid-response). */
  targetFailure(loadBalancerArn: string, targetGroupArn: string, kind: UpstreamFailure): void;
}
