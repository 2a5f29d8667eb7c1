import { defineService } from "../../aws/define-service.ts";
import { lazyModel } from "../../aws/model/lazy.ts";
import type { ServiceDefinition } from "../../aws/service.ts";
import type { AutoScaling } from "./autoscaling.ts";
import { autoScalingHandlers } from "./handlers.ts";

export { AutoScaling, type AutoScalingDeps } from "./autoscaling.ts";
export type { ScalableServices, ScalingAlarms, TargetGroups } from "./ports.ts";

/** Application Auto Scaling on the wire: awsJson1_1, X-Amz-Target AnyScaleFrontendService. */
export function autoScalingService(a: AutoScaling): ServiceDefinition {
  return defineService({
    signingName: "application-autoscaling",
    protocol: "awsJson1_1",
    targetPrefix: "AnyScaleFrontendService",
    model: lazyModel("@aws-sdk/client-application-auto-scaling"),
    handlers: autoScalingHandlers(a),
  });
}
