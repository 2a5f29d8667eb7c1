/** KMS operations: thin adapters from the wire's typed requests (@aws-sdk/client-kms) to the domain. */
import type { KMS } from "@aws-sdk/client-kms";
import { defineHandlers } from "../../aws/define-service.ts";
import type { HandlerTable } from "../../aws/service.ts";
import { type Kms, kmsTags } from "./kms.ts";

export function kmsHandlers(k: Kms): HandlerTable {
  return defineHandlers<KMS>()({
    CreateKey: (i, c) => ({ KeyMetadata: k.createKey(c, i) }),
    DescribeKey: (i, c) => ({ KeyMetadata: k.keys.describe(c, i.KeyId) }),
    ListKeys: (i, c) => k.listKeys(c, i),
    EnableKey: (i, c) => {
      k.keys.enable(c, i.KeyId);
      return {};
    },
    DisableKey: (i, c) => {
      k.keys.disable(c, i.KeyId);
      return {};
    },
    ScheduleKeyDeletion: (i, c) => k.keys.scheduleDeletion(c, i),
    CancelKeyDeletion: (i, c) => ({ KeyId: k.keys.cancelDeletion(c, i.KeyId) }),
    UpdateKeyDescription: (i, c) => {
      k.keys.updateDescription(c, i.KeyId, i.Description);
      return {};
    },
    GetKeyPolicy: (i, c) => k.keys.getPolicy(c, i.KeyId, i.PolicyName),
    PutKeyPolicy: (i, c) => {
      k.keys.putPolicy(c, i);
      return {};
    },
    ListKeyPolicies: (i, c) => {
      k.keys.resolve(c, i.KeyId, { aliases: false });
      return { PolicyNames: ["default"], Truncated: false };
    },
    EnableKeyRotation: (i, c) => {
      k.keys.enableRotation(c, i.KeyId, i.RotationPeriodInDays);
      return {};
    },
    DisableKeyRotation: (i, c) => {
      k.keys.disableRotation(c, i.KeyId);
      return {};
    },
    GetKeyRotationStatus: (i, c) => k.keys.rotationStatus(c, i.KeyId),
    RotateKeyOnDemand: (i, c) => ({ KeyId: k.keys.rotateOnDemand(c, i.KeyId) }),
    ListKeyRotations: (i, c) => ({ Rotations: k.keys.rotations(c, i.KeyId), Truncated: false }),

    CreateAlias: (i, c) => {
      k.aliases.create(c, i.AliasName, i.TargetKeyId);
      return {};
    },
    UpdateAlias: (i, c) => {
      k.aliases.update(c, i.AliasName, i.TargetKeyId);
      return {};
    },
    DeleteAlias: (i, c) => {
      k.aliases.delete(c, i.AliasName);
      return {};
    },
    ListAliases: (i, c) => k.aliases.list(c, i),

    Encrypt: (i, c) => k.crypto.encrypt(c, i),
    Decrypt: (i, c) => k.crypto.decrypt(c, i),
    ReEncrypt: (i, c) => k.crypto.reEncrypt(c, i),
    GenerateDataKey: (i, c) => k.crypto.generateDataKey(c, i, true),
    GenerateDataKeyWithoutPlaintext: (i, c) => k.crypto.generateDataKey(c, i, false),
    GenerateRandom: (i) => k.crypto.generateRandom(i),

    TagResource: (i, c) => {
      k.tag(c, i.KeyId, kmsTags.read(i.Tags));
      return {};
    },
    UntagResource: (i, c) => {
      k.untag(c, i.KeyId, i.TagKeys ?? []);
      return {};
    },
    ListResourceTags: (i, c) => k.listTags(c, i),
  });
}
