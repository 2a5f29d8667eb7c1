import { defineService } from "../../aws/define-service.ts";
import { lazyModel } from "../../aws/model/lazy.ts";
import type { ServiceDefinition } from "../../aws/service.ts";
import type { Ecs } from "./ecs.ts";
import { ecsHandlers } from "./handlers.ts";

export { Ecs } from "./ecs.ts";

/** ECS on the wire: awsJson1_1, X-Amz-Target prefix and model from @aws-sdk/client-ecs. */
export function ecsService(ecs: Ecs): ServiceDefinition {
  return defineService({
    signingName: "ecs",
    protocol: "awsJson1_1",
    targetPrefix: "AmazonEC2ContainerServiceV20141113",
    model: lazyModel("@aws-sdk/client-ecs"),
    handlers: ecsHandlers(ecs),
  });
}
