/**
 * What Secrets Manager needs from KMS: data keys for its envelope encryption
 * (https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html). Each new
 * secret value gets a fresh 256-bit data key from GenerateDataKey under the secret's KMS key; the
 * value is sealed with it here and only the encrypted data key is kept. Reading decrypts the data
 * key through KMS, so a disabled or deleted key makes the value unreadable.
 * src/server/ports.ts implements this over the KMS domain.
 */
import type { Scope } from "../../core/arn.ts";

/** The AWS managed key Secrets Manager uses when a secret names none. */
export const DEFAULT_KEY_ALIAS = "alias/aws/secretsmanager";

export interface DataKey {
  readonly plaintext: Buffer;
  /** The data key as KMS ciphertext. */
  readonly blob: Buffer;
  readonly keyArn: string;
}

export { KeyUnavailable } from "../common/key-unavailable.ts";

export interface SecretKeys {
  /** A fresh AES-256 data key under `keyId` (any KMS form); throws KeyUnavailable. */
  dataKey(scope: Scope, keyId: string, context: Readonly<Record<string, string>>): DataKey;
  /** The plaintext of a data key made by dataKey(); throws KeyUnavailable. */
  decryptDataKey(scope: Scope, blob: Uint8Array, context: Readonly<Record<string, string>>): Buffer;
}
