import { defineService } from "../../aws/define-service.ts";
import { lazyModel } from "../../aws/model/lazy.ts";
import type { ServiceDefinition } from "../../aws/service.ts";
import { kmsHandlers } from "./handlers.ts";
import type { Kms } from "./kms.ts";

export { Kms } from "./kms.ts";
export { MasterKey } from "./master-key.ts";
export type { KmsDeps } from "./context.ts";

/** KMS on the wire: awsJson1_1, X-Amz-Target prefix TrentService, model from @aws-sdk/client-kms. */
export function kmsService(kms: Kms): ServiceDefinition {
  return defineService({
    signingName: "kms",
    protocol: "awsJson1_1",
    targetPrefix: "TrentService",
    model: lazyModel("@aws-sdk/client-kms"),
    handlers: kmsHandlers(kms),
  });
}
