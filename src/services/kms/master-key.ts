/**
 * The master key that protects every KMS key's material at rest. It lives in one file in the data
 * directory, readable only by its owner (mode 0600), never in SQLite: a copy of the database alone
 * reveals no key material and so no secret value. Losing the file makes every stored ciphertext
 * unreadable, as losing an HSM would.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { open, seal } from "../../core/aead.ts";

const KEY_BYTES = 32;

export class MasterKey {
  readonly #key: Buffer;

  private constructor(key: Buffer) {
    this.#key = key;
  }

  /** A key that lives only in memory (unit tests, ":memory:" stores). */
  static ephemeral(): MasterKey {
    return new MasterKey(randomBytes(KEY_BYTES));
  }

  /**
   * Loads the key from `path`, creating it (mode 0600, exclusive create) on first start. A file other
   * users can read is narrowed to 0600, and `log` says so.
   */
  static fromFile(path: string, log: (msg: string) => void): MasterKey {
    let raw: Buffer;
    try {
      raw = readFileSync(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      raw = randomBytes(KEY_BYTES);
      writeFileSync(path, raw, { mode: 0o600, flag: "wx" });
    }
    if (raw.length !== KEY_BYTES) throw new Error(`${path} is not a Slipway master key (${raw.length} bytes, expected ${KEY_BYTES})`);
    const mode = statSync(path).mode & 0o777;
    if (mode !== 0o600) {
      chmodSync(path, 0o600);
      log(`${path} was readable by others (mode ${mode.toString(8)}); narrowed to 0600`);
    }
    return new MasterKey(raw);
  }

  /** iv | ciphertext | tag of `material`, bound to `label` (the key ARN and material id). */
  wrap(material: Buffer, label: string): Buffer {
    return seal(this.#key, material, Buffer.from(label, "utf8"));
  }

  unwrap(wrapped: Uint8Array, label: string): Buffer {
    const out = open(this.#key, wrapped, Buffer.from(label, "utf8"));
    if (!out) throw new Error(`key material of ${label} cannot be unwrapped: the master key file does not match this database`);
    return out;
  }
}
