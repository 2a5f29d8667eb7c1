/**
 * ECS Exec sessions. ExecuteCommand (src/services/ecs/exec.ts) opens one here and answers with
 * its id, stream URL and token, as AWS does; the client then connects a WebSocket to the stream
 * URL with the token (src/exec/websocket.ts) and gets an interactive terminal into the container
 * through the runtime's exec. A session is single-use and must be connected within
 * CONNECT_WITHIN_MS. Nothing is stored: sessions live in memory and end with the process.
 *
 * AWS's stream URL speaks Session Manager's data-channel protocol (the AWS CLI hands it to the
 * session-manager-plugin); Slipway's speaks a plain one instead, described in websocket.ts.
 */
import { randomBytes } from "node:crypto";
import type { Clock } from "../core/clock.ts";
import { sameSecret, secret } from "../core/secret.ts";

/** A session not connected within this time is refused. */
export const CONNECT_WITHIN_MS = 5 * 60 * 1000;
const MAX_PENDING = 256;

export interface ExecTarget {
  readonly accountId: string;
  readonly region: string;
  readonly taskArn: string;
  readonly containerName: string;
  /** What the runtime knows the container as (its name or id). */
  readonly runtimeContainer: string;
  /** The command as ExecuteCommand gave it ("/bin/sh"). */
  readonly command: string;
  /** Settings of the request that do not apply here, said in the log when the session starts. */
  readonly warning?: string;
}

export interface ExecSessionInfo {
  readonly sessionId: string;
  readonly streamUrl: string;
  readonly tokenValue: string;
}

interface Pending {
  readonly target: ExecTarget;
  readonly token: string;
  readonly openedAt: number;
}

export class ExecSessions {
  readonly #clock: Clock;
  readonly #streamBase: () => string;
  readonly #pending = new Map<string, Pending>();

  /** `streamBase` is the WebSocket URL prefix sessions are served under (ws://127.0.0.1:4566/_slipway/exec). */
  constructor(opts: { clock: Clock; streamBase: () => string }) {
    this.#clock = opts.clock;
    this.#streamBase = opts.streamBase;
  }

  open(target: ExecTarget): ExecSessionInfo {
    this.#prune();
    // AWS's ids look like ecs-execute-command-0a1b2c3d4e5f6a7b8.
    const sessionId = `ecs-execute-command-${randomBytes(9).toString("hex").slice(0, 17)}`;
    const token = secret();
    this.#pending.set(sessionId, { target, token, openedAt: this.#clock.now() });
    return { sessionId, streamUrl: `${this.#streamBase()}/${sessionId}`, tokenValue: token };
  }

  /** The session's target, once: a second claim, a wrong token or a stale session gets undefined. */
  claim(sessionId: string, token: string): ExecTarget | undefined {
    const p = this.#pending.get(sessionId);
    if (!p || !sameSecret(token, p.token)) return undefined;
    this.#pending.delete(sessionId);
    if (this.#clock.now() - p.openedAt > CONNECT_WITHIN_MS) return undefined;
    return p.target;
  }

  get pending(): number {
    return this.#pending.size;
  }

  #prune(): void {
    const now = this.#clock.now();
    for (const [id, p] of this.#pending) if (now - p.openedAt > CONNECT_WITHIN_MS) this.#pending.delete(id);
    while (this.#pending.size >= MAX_PENDING) this.#pending.delete(this.#pending.keys().next().value!);
  }
}
