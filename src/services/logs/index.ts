import { defineService } from "../../aws/define-service.ts";
import { lazyModel } from "../../aws/model/lazy.ts";
import type { ServiceDefinition } from "../../aws/service.ts";
import { logsHandlers } from "./handlers.ts";
import type { Logs } from "./logs.ts";

export { Logs } from "./logs.ts";
export type { LogsDeps } from "./context.ts";

/** CloudWatch Logs on the wire: awsJson1_1, X-Amz-Target prefix and model from @aws-sdk/client-cloudwatch-logs. */
export function logsService(logs: Logs): ServiceDefinition {
  return defineService({
    signingName: "logs",
    protocol: "awsJson1_1",
    targetPrefix: "Logs_20140328",
    model: lazyModel("@aws-sdk/client-cloudwatch-logs"),
    handlers: logsHandlers(logs),
    // Logs answers a length or range violation with InvalidParameterException.
    traitErrors: "InvalidParameterException",
  });
}
