/**
 * Target health as ALB reports it: its states and reason codes
 * (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/target-group-health-checks.html).
 * The health checker (data plane) writes it; DescribeTargetHealth, the proxy's target choice and
 * the ECS scheduler read it. It lives in memory: after a restart every target starts again from
 * `initial`.
 */
export type TargetState = "initial" | "healthy" | "unhealthy" | "unused" | "draining" | "unavailable";

export interface TargetHealth {
  readonly state: TargetState;
  /** AWS reason code, e.g. "Elb.InitialHealthChecking", "Target.ResponseCodeMismatch". */
  readonly reason?: string;
  /** AWS description, e.g. "Health checks failed with these codes: [404]". */
  readonly description?: string;
}

export interface TargetHealthView {
  /** Health of a registered target; undefined when the target is not registered. */
  get(targetGroupArn: string, id: string, port: number): TargetHealth | undefined;
  /** Called whenever a target's state changes (the ECS scheduler wakes the owning service). */
  onChange(listener: (targetGroupArn: string, id: string, port: number, health: TargetHealth) => void): () => void;
}
