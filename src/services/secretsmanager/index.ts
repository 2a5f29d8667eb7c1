import { defineService } from "../../aws/define-service.ts";
import { lazyModel } from "../../aws/model/lazy.ts";
import type { ServiceDefinition } from "../../aws/service.ts";
import { secretsManagerHandlers } from "./handlers.ts";
import type { SecretsManager } from "./secretsmanager.ts";

export { SecretsManager } from "./secretsmanager.ts";
export type { SecretsManagerDeps } from "./context.ts";
export { DEFAULT_KEY_ALIAS, KeyUnavailable, type SecretKeys } from "./ports.ts";

/** Secrets Manager on the wire: awsJson1_1, X-Amz-Target prefix "secretsmanager", model from @aws-sdk/client-secrets-manager. */
export function secretsManagerService(sm: SecretsManager): ServiceDefinition {
  return defineService({
    signingName: "secretsmanager",
    protocol: "awsJson1_1",
    targetPrefix: "secretsmanager",
    model: lazyModel("@aws-sdk/client-secrets-manager"),
    handlers: secretsManagerHandlers(sm),
  });
}
