/**
 * Stickiness cookies (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/sticky-sessions.html):
 * `AWSALB`/`AWSALBCORS` (duration based), `AWSALBAPP-0` (application based),
 * `AWSALBTG`/`AWSALBTGCORS` (target group stickiness of a weighted forward). The value is opaque to
 * clients but decodable by us: base64url(16-byte HMAC over scope + value, then the value). A value
 * that fails the MAC, or belongs to another target group, decodes to undefined.
 */
import { createHmac } from "node:crypto";

export class CookieCodec {
  readonly #secret: Buffer;
  constructor(secret: Buffer) {
    this.#secret = secret;
  }

  #mac(scope: string, value: string): Buffer {
    return createHmac("sha256", this.#secret).update(scope).update("\0").update(value).digest().subarray(0, 16);
  }

  encode(scope: string, value: string): string {
    return Buffer.concat([this.#mac(scope, value), Buffer.from(value, "utf8")]).toString("base64url");
  }

  decode(scope: string, cookie: string): string | undefined {
    const raw = Buffer.from(cookie, "base64url");
    if (raw.length <= 16) return undefined;
    const value = raw.subarray(16).toString("utf8");
    return this.#mac(scope, value).equals(raw.subarray(0, 16)) ? value : undefined;
  }
}

/** The value of cookie `name` in a Cookie header, if present. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** `Set-Cookie` values for a duration-based cookie and its CORS twin. */
export function stickyCookies(name: string, value: string, expiresMs: number, withCors: boolean): string[] {
  const expires = new Date(expiresMs).toUTCString();
  const out = [`${name}=${value}; Expires=${expires}; Path=/`];
  if (withCors) out.push(`${name}CORS=${value}; Expires=${expires}; Path=/; SameSite=None; Secure`);
  return out;
}

export const LB_COOKIE = "AWSALB";
export const APP_COOKIE = "AWSALBAPP-0";
export const TG_COOKIE = "AWSALBTG";
