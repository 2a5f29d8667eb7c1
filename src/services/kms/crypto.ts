/**
 * KMS cryptographic operations on symmetric keys: Encrypt, Decrypt, ReEncrypt, GenerateDataKey(…
 * WithoutPlaintext) and GenerateRandom, with authenticated encryption (AES-256-GCM, see
 * ciphertext.ts). Key-state rules from
 * https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html: only an Enabled key
 * encrypts or decrypts; Disabled gives DisabledException, PendingDeletion KMSInvalidStateException.
 */
import { randomBytes } from "node:crypto";
import type * as kms from "@aws-sdk/client-kms";
import type { Scope } from "../../core/arn.ts";
import { type EncryptionContext, openBlob, readHeader, sealBlob } from "./ciphertext.ts";
import { constraint, dryRun, incorrectKey, invalidCiphertext, invalidKeyUsage, keyNotFound, validation } from "./errors.ts";
import { keyArn, type Keys } from "./keys.ts";
import type { KeyRow } from "./repo.ts";

const MAX_PLAINTEXT = 4096;
const MAX_CIPHERTEXT = 6144;

export interface Sealed {
  readonly blob: Buffer;
  readonly key: KeyRow;
}

export interface Opened {
  readonly plaintext: Buffer;
  readonly key: KeyRow;
  readonly materialId: string;
}

function checkAlgorithm(algorithm: string | undefined): void {
  if (algorithm !== undefined && algorithm !== "SYMMETRIC_DEFAULT")
    throw invalidKeyUsage(`Algorithm ${algorithm} is incompatible with key spec SYMMETRIC_DEFAULT.`);
}

function checkPlaintext(p: Uint8Array | undefined, member: string): Uint8Array {
  if (!p || p.byteLength < 1) throw constraint(undefined, member, "Member must have length greater than or equal to 1");
  if (p.byteLength > MAX_PLAINTEXT) throw constraint(undefined, member, `Member must have length less than or equal to ${MAX_PLAINTEXT}`);
  return p;
}

function checkCiphertext(c: Uint8Array | undefined): Uint8Array {
  if (!c || c.byteLength < 1) throw constraint(undefined, "ciphertextBlob", "Member must have length greater than or equal to 1");
  if (c.byteLength > MAX_CIPHERTEXT) throw constraint(undefined, "ciphertextBlob", `Member must have length less than or equal to ${MAX_CIPHERTEXT}`);
  return c;
}

function dataKeyBytes(keySpec: string | undefined, numberOfBytes: number | undefined): number {
  if ((keySpec === undefined) === (numberOfBytes === undefined)) throw validation("Please specify either number of bytes or key spec.");
  if (numberOfBytes !== undefined) {
    if (!Number.isInteger(numberOfBytes) || numberOfBytes < 1 || numberOfBytes > 1024)
      throw constraint(numberOfBytes, "numberOfBytes", `Member must have value ${numberOfBytes < 1 ? "greater than or equal to 1" : "less than or equal to 1024"}`);
    return numberOfBytes;
  }
  return keySpec === "AES_128" ? 16 : 32;
}

export class Crypto {
  readonly #keys: Keys;

  constructor(keys: Keys) {
    this.#keys = keys;
  }

  // ---- what other services use (no API size limits: Secrets Manager and SSM call these) ----

  /** Encrypts under the current material of the named key (any form, aliases included). */
  seal(scope: Scope, keyId: string, plaintext: Uint8Array, context: EncryptionContext | undefined): Sealed {
    const key = this.#keys.usable(this.#keys.resolve(scope, keyId, { aliases: true }));
    return { blob: this.#sealWith(key, plaintext, context), key };
  }

  #sealWith(key: KeyRow, plaintext: Uint8Array, context: EncryptionContext | undefined): Buffer {
    const material = this.#keys.material(key, key.current_material);
    if (!material) throw new Error(`key ${key.arn} has no material ${key.current_material}`);
    return sealBlob({ keyId: key.key_id, materialId: key.current_material }, material, plaintext, context);
  }

  /** Decrypts a blob made by this KMS in `scope`; the blob names its key. */
  open(scope: Scope, blob: Uint8Array, context: EncryptionContext | undefined, expectedKeyId?: string): Opened {
    const header = readHeader(blob);
    if (!header) throw invalidCiphertext();
    if (expectedKeyId !== undefined && this.#keys.resolve(scope, expectedKeyId, { aliases: true }).key_id !== header.keyId) throw incorrectKey();
    let key: KeyRow;
    try {
      key = this.#keys.resolve(scope, header.keyId, { aliases: false });
    } catch {
      throw keyNotFound(keyArn(scope, header.keyId));
    }
    this.#keys.usable(key);
    const material = this.#keys.material(key, header.materialId);
    const plaintext = material && openBlob(blob, material, context);
    if (!plaintext) throw invalidCiphertext();
    return { plaintext, key, materialId: header.materialId };
  }

  /** A fresh data key, in plaintext and encrypted under the named key. */
  dataKey(scope: Scope, keyId: string, bytes: number, context: EncryptionContext | undefined): Sealed & { plaintext: Buffer } {
    const plaintext = randomBytes(bytes);
    return { ...this.seal(scope, keyId, plaintext, context), plaintext };
  }

  // ---- the API ----

  encrypt(scope: Scope, input: kms.EncryptRequest): kms.EncryptResponse {
    const plaintext = checkPlaintext(input.Plaintext, "plaintext");
    checkAlgorithm(input.EncryptionAlgorithm);
    const key = this.#keys.usable(this.#keys.resolve(scope, input.KeyId, { aliases: true }));
    if (input.DryRun) throw dryRun();
    return { CiphertextBlob: this.#sealWith(key, plaintext, input.EncryptionContext), KeyId: key.arn, EncryptionAlgorithm: "SYMMETRIC_DEFAULT" };
  }

  decrypt(scope: Scope, input: kms.DecryptRequest): kms.DecryptResponse {
    const blob = checkCiphertext(input.CiphertextBlob);
    checkAlgorithm(input.EncryptionAlgorithm);
    if (input.Recipient !== undefined) throw validation("Slipway's KMS does not support Recipient (Nitro Enclaves attestation).");
    const o = this.open(scope, blob, input.EncryptionContext, input.KeyId);
    if (input.DryRun) throw dryRun();
    return { KeyId: o.key.arn, Plaintext: o.plaintext, EncryptionAlgorithm: "SYMMETRIC_DEFAULT", KeyMaterialId: o.materialId };
  }

  reEncrypt(scope: Scope, input: kms.ReEncryptRequest): kms.ReEncryptResponse {
    const blob = checkCiphertext(input.CiphertextBlob);
    checkAlgorithm(input.SourceEncryptionAlgorithm);
    checkAlgorithm(input.DestinationEncryptionAlgorithm);
    const source = this.open(scope, blob, input.SourceEncryptionContext, input.SourceKeyId);
    const dest = this.#keys.usable(this.#keys.resolve(scope, input.DestinationKeyId, { aliases: true }));
    if (input.DryRun) throw dryRun();
    return {
      CiphertextBlob: this.#sealWith(dest, source.plaintext, input.DestinationEncryptionContext),
      SourceKeyId: source.key.arn,
      KeyId: dest.arn,
      SourceEncryptionAlgorithm: "SYMMETRIC_DEFAULT",
      DestinationEncryptionAlgorithm: "SYMMETRIC_DEFAULT",
      SourceKeyMaterialId: source.materialId,
      DestinationKeyMaterialId: dest.current_material,
    };
  }

  generateDataKey(scope: Scope, input: kms.GenerateDataKeyRequest, withPlaintext: boolean): kms.GenerateDataKeyResponse {
    const bytes = dataKeyBytes(input.KeySpec, input.NumberOfBytes);
    if (input.Recipient !== undefined) throw validation("Slipway's KMS does not support Recipient (Nitro Enclaves attestation).");
    const key = this.#keys.usable(this.#keys.resolve(scope, input.KeyId, { aliases: true }));
    if (input.DryRun) throw dryRun();
    const plaintext = randomBytes(bytes);
    const out: kms.GenerateDataKeyResponse = { CiphertextBlob: this.#sealWith(key, plaintext, input.EncryptionContext), KeyId: key.arn };
    if (withPlaintext) out.Plaintext = plaintext;
    out.KeyMaterialId = key.current_material;
    return out;
  }

  generateRandom(input: kms.GenerateRandomRequest): kms.GenerateRandomResponse {
    const n = input.NumberOfBytes;
    if (n === undefined) throw validation("NumberOfBytes is required.");
    if (!Number.isInteger(n) || n < 1 || n > 1024)
      throw constraint(n, "numberOfBytes", `Member must have value ${n < 1 ? "greater than or equal to 1" : "less than or equal to 1024"}`);
    if (input.CustomKeyStoreId !== undefined) throw validation("Slipway's KMS has no custom key stores (CustomKeyStoreId).");
    return { Plaintext: randomBytes(n) };
  }
}
