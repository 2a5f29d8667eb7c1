/**
 * Authenticated encryption, the one primitive every stored secret goes through: AES-256-GCM with a
 * fresh 96-bit IV per call, sealed as iv | ciphertext | tag. The additional data (`aad`) binds a
 * ciphertext to where it belongs (a key ARN, a secret version), so it cannot be moved elsewhere.
 */
import { createCipheriv, createDecipheriv, type KeyObject, randomBytes } from "node:crypto";

export const IV_BYTES = 12;
export const TAG_BYTES = 16;

/** `key`: 32 bytes, or a KeyObject made once from them (cheaper when the key is used many times). */
export function seal(key: Buffer | KeyObject, plaintext: Uint8Array, aad: Uint8Array): Buffer {
  const iv = randomBytes(IV_BYTES);
  const c = createCipheriv("aes-256-gcm", key, iv);
  c.setAAD(aad);
  const ciphertext = Buffer.concat([c.update(plaintext), c.final()]);
  return Buffer.concat([iv, ciphertext, c.getAuthTag()]);
}

/** The plaintext, or undefined when `sealed` was altered, or made with another key or aad. */
export function open(key: Buffer | KeyObject, sealed: Uint8Array, aad: Uint8Array): Buffer | undefined {
  const b = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  if (b.length < IV_BYTES + TAG_BYTES) return undefined;
  try {
    const d = createDecipheriv("aes-256-gcm", key, b.subarray(0, IV_BYTES));
    d.setAAD(aad);
    d.setAuthTag(b.subarray(b.length - TAG_BYTES));
    return Buffer.concat([d.update(b.subarray(IV_BYTES, b.length - TAG_BYTES)), d.final()]);
  } catch {
    return undefined;
  }
}
