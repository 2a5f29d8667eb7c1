import { defineService } from "../../aws/define-service.ts";
import { lazyModel } from "../../aws/model/lazy.ts";
import type { ServiceDefinition } from "../../aws/service.ts";
import { ssmHandlers } from "./handlers.ts";
import type { Ssm } from "./ssm.ts";

export { Ssm } from "./ssm.ts";
export type { SsmDeps } from "./context.ts";
export type { ParameterKeys } from "./ports.ts";

/** SSM (Parameter Store only) on the wire: awsJson1_1, X-Amz-Target prefix AmazonSSM, model from @aws-sdk/client-ssm. */
export function ssmService(s: Ssm): ServiceDefinition {
  return defineService({
    signingName: "ssm",
    protocol: "awsJson1_1",
    targetPrefix: "AmazonSSM",
    model: lazyModel("@aws-sdk/client-ssm"),
    handlers: ssmHandlers(s),
  });
}
