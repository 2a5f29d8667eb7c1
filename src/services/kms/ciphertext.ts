/**
 * The ciphertext blob KMS hands out. Clients treat it as opaque; what they rely on
 * (https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html) is that it names its key,
 * so Decrypt needs no KeyId, that it is bound to the encryption context, that the same plaintext
 * never encrypts to the same blob, and that it still decrypts after the key is rotated (it names
 * the key material that made it). Layout:
 *
 *   0x01 | len(keyId) | keyId (ASCII) | materialId (32 bytes) | iv (12) | ciphertext | tag (16)
 *
 * Everything before the iv, and the canonical encryption context, are authenticated (GCM's AAD).
 */
import type { KeyObject } from "node:crypto";
import { IV_BYTES, open, seal, TAG_BYTES } from "../../core/aead.ts";

const VERSION = 1;
const MATERIAL_BYTES = 32;

export interface BlobHeader {
  readonly keyId: string;
  /** 64 hex characters (KeyMaterialId on the wire). */
  readonly materialId: string;
}

export type EncryptionContext = Readonly<Record<string, string>>;

/** The context as bytes: pairs sorted by key, so the order the caller wrote them in does not matter. */
export function canonicalContext(context: EncryptionContext | undefined): Buffer {
  const pairs = Object.entries(context ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Buffer.from(JSON.stringify(pairs), "utf8");
}

export function sealBlob(header: BlobHeader, material: Buffer | KeyObject, plaintext: Uint8Array, context: EncryptionContext | undefined): Buffer {
  const head = encodeHeader(header);
  return Buffer.concat([head, seal(material, plaintext, Buffer.concat([head, canonicalContext(context)]))]);
}

/** The header of a blob this KMS made, or undefined for anything else. */
export function readHeader(blob: Uint8Array): (BlobHeader & { readonly headerBytes: number }) | undefined {
  const b = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  if (b.length < 2 || b[0] !== VERSION) return undefined;
  const idLen = b[1]!;
  const headerBytes = 2 + idLen + MATERIAL_BYTES;
  if (idLen === 0 || b.length < headerBytes + IV_BYTES + TAG_BYTES) return undefined;
  const keyId = b.subarray(2, 2 + idLen).toString("latin1");
  if (!/^[A-Za-z0-9-]+$/.test(keyId)) return undefined;
  return { keyId, materialId: b.subarray(2 + idLen, headerBytes).toString("hex"), headerBytes };
}

/** The plaintext, or undefined when the blob was tampered with or the context differs. */
export function openBlob(blob: Uint8Array, material: Buffer | KeyObject, context: EncryptionContext | undefined): Buffer | undefined {
  const header = readHeader(blob);
  if (!header) return undefined;
  const b = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  const head = b.subarray(0, header.headerBytes);
  return open(material, b.subarray(header.headerBytes), Buffer.concat([head, canonicalContext(context)]));
}

function encodeHeader(h: BlobHeader): Buffer {
  const id = Buffer.from(h.keyId, "latin1");
  const material = Buffer.from(h.materialId, "hex");
  if (id.length === 0 || id.length > 255 || material.length !== MATERIAL_BYTES) throw new Error("bad blob header");
  return Buffer.concat([Buffer.from([VERSION, id.length]), id, material]);
}
