import { defineService } from "../../aws/define-service.ts";
import { lazyModel } from "../../aws/model/lazy.ts";
import type { ServiceDefinition } from "../../aws/service.ts";
import type { Ecr } from "./ecr.ts";
import { ecrHandlers } from "./handlers.ts";

export { Ecr } from "./ecr.ts";
export type { EcrDeps } from "./context.ts";
export type { RegistryPort } from "./ports.ts";

/** ECR on the wire: awsJson1_1, X-Amz-Target prefix and model from @aws-sdk/client-ecr. */
export function ecrService(ecr: Ecr): ServiceDefinition {
  return defineService({
    signingName: "ecr",
    protocol: "awsJson1_1",
    targetPrefix: "AmazonEC2ContainerRegistry_V20150921",
    model: lazyModel("@aws-sdk/client-ecr"),
    handlers: ecrHandlers(ecr),
    // ECR answers a length or range violation with InvalidParameterException.
    traitErrors: "InvalidParameterException",
  });
}
