/**
 * What the ECS scheduler needs from the load balancer (ELBv2): a narrow port, so ECS knows
 * nothing of the ELBv2 module (src/server/slipway.ts adapts Elbv2 to it).
 */
export interface TargetGroupView {
  readonly arn: string;
  readonly targetType: "instance" | "ip";
  readonly deregistrationDelaySeconds: number;
  /** True when some listener rule forwards to it. */
  readonly inUse: boolean;
}

export interface TargetHealthState {
  readonly state: string;
  readonly reason?: string | undefined;
  readonly description?: string | undefined;
}

export interface LoadBalancing {
  targetGroup(arn: string): TargetGroupView | undefined;
  register(targetGroupArn: string, target: { id: string; port: number }): void;
  /** Returns the epoch ms when the target's draining ends. */
  deregister(targetGroupArn: string, target: { id: string; port: number }): number;
  health(targetGroupArn: string, id: string, port: number): TargetHealthState | undefined;
}

/** A task's registration in one target group. */
export interface TaskTarget {
  targetGroupArn: string;
  id: string;
  port: number;
}
