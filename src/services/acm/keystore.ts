/**
 * Private keys at rest: every certificate's private key (and the local CA's) is stored sealed with
 * AES-256-GCM (src/core/aead.ts) under one key that lives in its own file in the data directory,
 * `acm.key`, readable only by its owner (mode 0600), never in SQLite. The additional data binds a
 * sealed key to the certificate ARN it belongs to, so a sealed key cannot be swapped between rows.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { open, seal } from "../../core/aead.ts";

const KEY_BYTES = 32;

export class KeyStore {
  readonly #key: Buffer;

  private constructor(key: Buffer) {
    this.#key = key;
  }

  /** A key that lives only in memory (":memory:" stores, unit tests). */
  static ephemeral(): KeyStore {
    return new KeyStore(randomBytes(KEY_BYTES));
  }

  /** Loads `path`, creating it (0600, exclusive create) on first use; a looser mode is narrowed and logged. */
  static fromFile(path: string, log: (message: string) => void): KeyStore {
    let raw: Buffer;
    try {
      raw = readFileSync(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      raw = randomBytes(KEY_BYTES);
      writeFileSync(path, raw, { mode: 0o600, flag: "wx" });
    }
    if (raw.length !== KEY_BYTES) throw new Error(`${path} is not a Slipway ACM key (${raw.length} bytes, expected ${KEY_BYTES})`);
    const mode = statSync(path).mode & 0o777;
    if (mode !== 0o600) {
      chmodSync(path, 0o600);
      log(`${path} was readable by others (mode ${mode.toString(8)}); narrowed to 0600`);
    }
    return new KeyStore(raw);
  }

  seal(privateKeyPem: string, label: string): Buffer {
    return seal(this.#key, Buffer.from(privateKeyPem, "utf8"), Buffer.from(label, "utf8"));
  }

  open(sealed: Uint8Array, label: string): string {
    const out = open(this.#key, sealed, Buffer.from(label, "utf8"));
    if (!out) throw new Error(`the private key of ${label} cannot be unsealed: acm.key does not match this database`);
    return out.toString("utf8");
  }
}
