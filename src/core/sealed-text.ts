/**
 * Short secrets kept in text columns (IAM secret access keys, STS session secrets and tokens),
 * sealed at rest with the data directory's one master key (the KMS master key file, 0600): a
 * database copied without that file reveals none of them. A sealed value is
 * `sealed:v1:<base64 of iv | ciphertext | tag>` (AES-256-GCM, src/core/aead.ts), bound to a label
 * naming the row and column it belongs in, so it cannot be moved to another row. A value without
 * the prefix is a plaintext one written by an older Slipway; it is read as it is until the
 * start-up sweep seals it.
 */
import { randomBytes } from "node:crypto";
import { open, seal } from "./aead.ts";

const PREFIX = "sealed:v1:";

/** What seals bytes at rest, bound to a label (KMS's MasterKey is one: wrap/unwrap). */
export interface KeyWrap {
  wrap(plaintext: Buffer, label: string): Buffer;
  unwrap(sealed: Uint8Array, label: string): Buffer;
}

export interface TextSealer {
  /** The sealed form of `plaintext` for the row and column `label` names. */
  seal(plaintext: string, label: string): string;
  /** The plaintext of a sealed value (a legacy plaintext value is returned as it is). */
  open(stored: string, label: string): string;
}

export function isSealed(stored: string): boolean {
  return stored.startsWith(PREFIX);
}

export function textSealer(key: KeyWrap): TextSealer {
  return {
    seal: (plaintext, label) => PREFIX + key.wrap(Buffer.from(plaintext, "utf8"), label).toString("base64"),
    open: (stored, label) => (isSealed(stored) ? key.unwrap(Buffer.from(stored.slice(PREFIX.length), "base64"), label).toString("utf8") : stored),
  };
}

/** A sealer whose key lives only in memory (unit tests and in-memory stores). */
export function ephemeralSealer(): TextSealer {
  const key = randomBytes(32);
  return textSealer({
    wrap: (plaintext, label) => seal(key, plaintext, Buffer.from(label, "utf8")),
    unwrap: (sealed, label) => {
      const out = open(key, sealed, Buffer.from(label, "utf8"));
      if (!out) throw new Error(`${label} cannot be unsealed`);
      return out;
    },
  });
}
