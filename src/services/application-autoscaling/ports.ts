/**
 * What Application Auto Scaling needs from other services (src/server/ports.ts implements them):
 * ECS services to scale, CloudWatch alarms for target tracking, and load balancer lookups.
 */
import type * as cw from "@aws-sdk/client-cloudwatch";
import type { Scope } from "../../core/arn.ts";

/** An ECS service as a scalable resource. */
export interface ScalableServices {
  /** The ACTIVE service, or undefined. */
  get(scope: Scope, cluster: string, service: string): { desiredCount: number; deploymentInProgress: boolean } | undefined;
  /**
   * Sets desiredCount the way UpdateService does (the scheduler starts or stops tasks); `cause`
   * is recorded as the service's event.
   */
  setDesiredCount(scope: Scope, cluster: string, service: string, desiredCount: number): void;
}

/** CloudWatch alarms that target tracking policies own, and alarms that name a step policy. */
export interface ScalingAlarms {
  put(scope: Scope, alarm: cw.PutMetricAlarmInput): { AlarmName: string; AlarmARN: string };
  delete(scope: Scope, names: readonly string[]): void;
  /** Alarms with an action starting with `arn`. */
  withAction(scope: Scope, arn: string): Array<{ AlarmName: string; AlarmARN: string }>;
}

/** The load balancer and target group an ALBRequestCountPerTarget ResourceLabel names. */
export interface TargetGroups {
  /** Whether `app/<lb>/<id>/targetgroup/<tg>/<id>` names an existing load balancer and target group. */
  labelExists(scope: Scope, resourceLabel: string): boolean;
}
