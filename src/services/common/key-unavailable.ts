/**
 * A KMS failure as the services that encrypt through KMS see it (Secrets Manager, SSM): KMS's error
 * code and message (key missing, disabled, pending deletion, ciphertext that does not decrypt). Each
 * service turns it into its own error, as AWS does (DecryptionFailure, InvalidKeyId, …).
 */
export class KeyUnavailable extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}
