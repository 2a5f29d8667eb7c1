/**
 * Registry credentials, as ECR hands them out: HTTP Basic with username `AWS` and a password
 * token. A token is `base64url(JSON {a: account, r: region, e: expiresAt}) "." base64url(HMAC)`,
 * signed with the key in `<dataDir>/registry/token-key` (32 random bytes made on first start), so
 * ECR's GetAuthorizationToken can mint tokens (`issueToken`) that survive a restart.
 *
 * Strict mode requires a valid, unexpired token; otherwise anonymous requests and unverifiable
 * `AWS` tokens fall back to the server's default account and region.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { IdGen } from "../core/ids.ts";
import { RegistryError } from "./errcodes.ts";
import type { Scope } from "../core/arn.ts";

/** ECR authorization tokens are valid for 12 hours. */
export const TOKEN_TTL_MS = 12 * 3600_000;
export const REALM = "Slipway";

export interface TokenClaims {
  accountId: string;
  region: string;
  /** Milliseconds since the epoch. */
  expiresAt: number;
  /** The access key that asked for the token (GetAuthorizationToken): IAM authorises its pulls and pushes. */
  accessKeyId?: string | undefined;
}

export interface RegistryAuthOptions {
  keyFile: string;
  ids: IdGen;
  strict: boolean;
  defaultScope: Scope;
}

export class RegistryAuth {
  readonly #key: Buffer;
  readonly #strict: boolean;
  readonly #default: Scope;

  constructor(opts: RegistryAuthOptions) {
    this.#key = loadOrCreateKey(opts.keyFile, opts.ids);
    this.#strict = opts.strict;
    this.#default = opts.defaultScope;
  }

  /** The password half of `AWS:<password>` (ECR returns base64 of that pair). */
  issueToken(claims: TokenClaims): string {
    const payload = Buffer.from(
      JSON.stringify({ a: claims.accountId, r: claims.region, e: claims.expiresAt, ...(claims.accessKeyId ? { k: claims.accessKeyId } : {}) }),
    ).toString("base64url");
    return `${payload}.${this.#sign(payload)}`;
  }

  /** The ECR `authorizationToken`: base64("AWS:" + password). */
  issueAuthorizationToken(claims: TokenClaims): string {
    return Buffer.from(`AWS:${this.issueToken(claims)}`).toString("base64");
  }

  /** The claims of a genuine, unexpired token; undefined otherwise. */
  verifyToken(password: string, now: number): TokenClaims | undefined {
    const dot = password.indexOf(".");
    if (dot <= 0) return undefined;
    const payload = password.slice(0, dot);
    const given = Buffer.from(password.slice(dot + 1), "base64url");
    const want = Buffer.from(this.#sign(payload), "base64url");
    if (given.length !== want.length || !timingSafeEqual(given, want)) return undefined;
    try {
      const c = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { a?: unknown; r?: unknown; e?: unknown; k?: unknown };
      if (typeof c.a !== "string" || typeof c.r !== "string" || typeof c.e !== "number") return undefined;
      if (c.e <= now) return undefined;
      return { accountId: c.a, region: c.r, expiresAt: c.e, ...(typeof c.k === "string" ? { accessKeyId: c.k } : {}) };
    } catch {
      return undefined;
    }
  }

  /** The scope of a request from its Authorization header; UNAUTHORIZED (401) in strict mode. */
  authenticate(authorization: string | undefined, now: number): Scope {
    const claims = this.#claims(authorization, now);
    if (claims) return { accountId: claims.accountId, region: claims.region };
    if (this.#strict) throw new RegistryError("UNAUTHORIZED");
    return this.#default;
  }

  /** The access key a request's token was issued to (undefined: anonymous, or a token of no key). */
  accessKeyOf(authorization: string | undefined, now: number): string | undefined {
    return this.#claims(authorization, now)?.accessKeyId;
  }

  get challenge(): string {
    return `Basic realm="${REALM}"`;
  }

  #claims(authorization: string | undefined, now: number): TokenClaims | undefined {
    const m = /^Basic\s+(\S+)$/i.exec(authorization ?? "");
    if (!m) return undefined;
    const pair = Buffer.from(m[1]!, "base64").toString("utf8");
    const colon = pair.indexOf(":");
    if (colon < 0 || pair.slice(0, colon) !== "AWS") return undefined;
    return this.verifyToken(pair.slice(colon + 1), now);
  }

  #sign(payload: string): string {
    return createHmac("sha256", this.#key).update(payload).digest("base64url");
  }
}

function loadOrCreateKey(file: string, ids: IdGen): Buffer {
  try {
    const key = readFileSync(file);
    if (key.length === 32) return key;
  } catch {
    // first start
  }
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const key = Buffer.from(ids.hex(32), "hex");
  const tmp = `${file}.${ids.hex(4)}.tmp`;
  writeFileSync(tmp, key, { mode: 0o600 });
  renameSync(tmp, file);
  return key;
}
