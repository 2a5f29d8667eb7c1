/**
 * What Parameter Store needs from KMS: SecureString values are encrypted with KMS Encrypt under the
 * parameter's key (alias/aws/ssm when none is named), with the parameter's ARN as encryption
 * context, and decrypted at read time, so a disabled key makes WithDecryption reads fail
 * (https://docs.aws.amazon.com/kms/latest/developerguide/services-parameter-store.html).
 * src/server/ports.ts implements this over the KMS domain.
 */
import type { Scope } from "../../core/arn.ts";

export const DEFAULT_KEY_ALIAS = "alias/aws/ssm";

export { KeyUnavailable } from "../common/key-unavailable.ts";

export interface ParameterKeys {
  /** KMS ciphertext of `plaintext` under `keyId`; throws KeyUnavailable. */
  encrypt(scope: Scope, keyId: string, plaintext: Uint8Array, context: Readonly<Record<string, string>>): Buffer;
  /** The plaintext of a blob made by encrypt(); throws KeyUnavailable. */
  decrypt(scope: Scope, blob: Uint8Array, context: Readonly<Record<string, string>>): Buffer;
}
