/** Secrets Manager operations: thin adapters from the wire's typed requests (@aws-sdk/client-secrets-manager) to the domain. */
import type { SecretsManager as SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { defineHandlers } from "../../aws/define-service.ts";
import type { HandlerTable } from "../../aws/service.ts";
import { type SecretsManager, smTags } from "./secretsmanager.ts";

export function secretsManagerHandlers(s: SecretsManager): HandlerTable {
  return defineHandlers<SecretsManagerClient>()({
    CreateSecret: (i, c) => s.createSecret(c, i),
    DescribeSecret: (i, c) => s.secrets.describe(c, i.SecretId),
    ListSecrets: (i, c) => s.secrets.list(c, i),
    UpdateSecret: (i, c) => s.secrets.update(c, i),
    DeleteSecret: (i, c) => s.secrets.delete(c, i),
    RestoreSecret: (i, c) => s.secrets.restore(c, i.SecretId),

    GetSecretValue: (i, c) => s.getSecretValue(c, i),
    PutSecretValue: (i, c) => s.putSecretValue(c, i),
    BatchGetSecretValue: (i, c) => s.batchGetSecretValue(c, i),
    ListSecretVersionIds: (i, c) => s.secrets.listVersionIds(c, i),
    UpdateSecretVersionStage: (i, c) => s.updateVersionStage(c, i),

    RotateSecret: (i, c) => s.rotateSecret(c, i),
    CancelRotateSecret: (i, c) => s.cancelRotateSecret(c, i.SecretId),

    PutResourcePolicy: (i, c) => s.putResourcePolicy(c, i),
    GetResourcePolicy: (i, c) => s.getResourcePolicy(c, i.SecretId),
    DeleteResourcePolicy: (i, c) => s.deleteResourcePolicy(c, i.SecretId),
    ValidateResourcePolicy: (i, c) => s.validateResourcePolicy(c, i),

    TagResource: (i, c) => {
      s.tag(c, i.SecretId, smTags.read(i.Tags));
      return {};
    },
    UntagResource: (i, c) => {
      s.untag(c, i.SecretId, i.TagKeys ?? []);
      return {};
    },
    GetRandomPassword: (i) => ({ RandomPassword: s.randomPassword(i) }),
  });
}
