/**
 * Console sessions, in memory only: a random id in an HttpOnly, SameSite=Strict cookie, a random
 * token that every state-changing request must echo (X-Slipway-Token), and the identity the
 * console calls the API with. With strict auth the identity is the access key the user signed in
 * with; its secret stays in this process's memory for the session's life, is never written to
 * disk, never logged, and never sent back to the browser. Without strict auth every session uses
 * the console's own key (any key is accepted then; calls land in the default account).
 */
import type { Clock } from "../core/clock.ts";
import { secret } from "../core/secret.ts";
import type { ConsoleAws, ConsoleCredentials } from "./aws.ts";

export const SESSION_COOKIE = "slipway_console";
/** A session unused this long is forgotten (the user signs in again). */
export const SESSION_IDLE_MS = 12 * 60 * 60 * 1000;
/** At most this many sessions are kept; the least recently used goes first. */
const MAX_SESSIONS = 1000;

export interface ConsoleIdentity {
  readonly accountId: string;
  /** The caller's ARN as STS GetCallerIdentity gives it. */
  readonly arn: string;
  readonly accessKeyId: string;
  readonly region: string;
}

export interface ConsoleSession {
  readonly id: string;
  /** Sent back in X-Slipway-Token on every POST. */
  readonly token: string;
  readonly identity: ConsoleIdentity;
  readonly aws: ConsoleAws;
  lastUsed: number;
}

export class Sessions {
  readonly #clock: Clock;
  readonly #byId = new Map<string, ConsoleSession>();

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  create(identity: ConsoleIdentity, aws: ConsoleAws): ConsoleSession {
    this.#prune();
    const s: ConsoleSession = { id: secret(), token: secret(), identity, aws, lastUsed: this.#clock.now() };
    this.#byId.set(s.id, s);
    return s;
  }

  /** The session named by the request's cookie, if it is still alive. */
  fromCookie(cookieHeader: string | undefined): ConsoleSession | undefined {
    const id = readCookie(cookieHeader, SESSION_COOKIE);
    if (!id) return undefined;
    const s = this.#byId.get(id);
    if (!s) return undefined;
    const now = this.#clock.now();
    if (now - s.lastUsed > SESSION_IDLE_MS) {
      this.delete(s.id);
      return undefined;
    }
    s.lastUsed = now;
    // Most recently used last, so pruning drops the oldest first.
    this.#byId.delete(id);
    this.#byId.set(id, s);
    return s;
  }

  delete(id: string): void {
    const s = this.#byId.get(id);
    if (!s) return;
    s.aws.close();
    this.#byId.delete(id);
  }

  get size(): number {
    return this.#byId.size;
  }

  clear(): void {
    for (const id of [...this.#byId.keys()]) this.delete(id);
  }

  #prune(): void {
    const now = this.#clock.now();
    for (const [id, s] of this.#byId) if (now - s.lastUsed > SESSION_IDLE_MS) this.delete(id);
    while (this.#byId.size >= MAX_SESSIONS) this.delete(this.#byId.keys().next().value!);
  }
}

export function sessionCookie(id: string): string {
  return `${SESSION_COOKIE}=${id}; Path=/_slipway/; HttpOnly; SameSite=Strict`;
}

export function clearedCookie(): string {
  return `${SESSION_COOKIE}=; Path=/_slipway/; HttpOnly; SameSite=Strict; Max-Age=0`;
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export type { ConsoleCredentials };
