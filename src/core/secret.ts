import { randomBytes, timingSafeEqual } from "node:crypto";

/**
 * 32 random bytes, base64url. Session ids and tokens are secrets: always from the system's random
 * source, never from the injected (and, in tests, seeded) IdGen.
 */
export const secret = (): string => randomBytes(32).toString("base64url");

/** Compares two secrets in constant time. */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
