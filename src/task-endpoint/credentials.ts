/**
 * Task-role credentials, served where the SDKs' container credential providers look for them
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html):
 * GET /v2/credentials/<id> answers {RoleArn, AccessKeyId, SecretAccessKey, Token, Expiration}.
 * They are STS sessions of the task role (ASIA… keys with a session token), the session name being
 * the task id, so GetCallerIdentity answers arn:aws:sts::<acct>:assumed-role/<role>/<task id>.
 * Each lasts six hours and is replaced once less than 30 minutes remain (the SDKs refresh 5 to 15
 * minutes before expiry); an old one stays valid until it expires, and all are revoked when the
 * task stops. The agent's error shapes are kept: {"code","message"} with 400.
 */
import type { Clock } from "../core/clock.ts";
import type { IdGen } from "../core/ids.ts";
import type { Store } from "../store/store.ts";
import type { IssuedSession, RoleSessions } from "./ports.ts";
import type { TaskEndpointRepo } from "./repo.ts";

const LIFETIME_S = 6 * 3600;
const REFRESH_BEFORE_MS = 30 * 60_000;

export interface CredentialsAnswer {
  readonly status: number;
  readonly body: Record<string, string>;
}

export class TaskCredentials {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #ids: IdGen;
  readonly #repo: TaskEndpointRepo;
  readonly #sessions: RoleSessions;

  constructor(deps: { store: Store; clock: Clock; ids: IdGen }, repo: TaskEndpointRepo, sessions: RoleSessions) {
    this.#store = deps.store;
    this.#clock = deps.clock;
    this.#ids = deps.ids;
    this.#repo = repo;
    this.#sessions = sessions;
  }

  /** The credentials id of a task with a role (made once; stable across restarts). */
  idFor(taskArn: string, roleArn: string): string {
    return this.#store.tx(() => {
      const existing = this.#repo.credentialsOf(taskArn);
      if (existing) return existing.credentials_id;
      const id = this.#ids.uuid();
      this.#repo.insertCredentials({ credentials_id: id, task_arn: taskArn, role_arn: roleArn });
      return id;
    });
  }

  /** GET /v2/credentials/<id> (or /v1/credentials?id=<id>). */
  answer(id: string | undefined, version: "V1" | "V2"): CredentialsAnswer {
    const prefix = `Credentials${version}Request`;
    if (!id) return { status: 400, body: { code: "NoIdInRequest", message: `${prefix}: No Credential ID in the request` } };
    const row = this.#repo.credentials(id);
    if (!row) return { status: 400, body: { code: "InvalidIdInRequest", message: `${prefix}: Credentials not found` } };
    const s = this.#current(id, row.role_arn, row.task_arn);
    // Key order as the agent writes them; Expiration in RFC 3339 (the SDKs require all four strings).
    return {
      status: 200,
      body: {
        RoleArn: row.role_arn,
        AccessKeyId: s.accessKeyId,
        SecretAccessKey: s.secretAccessKey,
        Token: s.sessionToken,
        Expiration: new Date(s.expiresAt).toISOString().replace(/\.\d{3}Z$/, "Z"),
      },
    };
  }

  #current(id: string, roleArn: string, taskArn: string): IssuedSession {
    const now = this.#clock.now();
    const latest = this.#repo.latestSession(id);
    const live = latest && latest.expires_at - now > REFRESH_BEFORE_MS ? this.#sessions.get(latest.access_key_id) : undefined;
    if (live) return live;
    return this.#store.tx(() => {
      const s = this.#sessions.issue(roleArn, taskArn.split("/").at(-1) ?? "task", LIFETIME_S);
      this.#repo.insertSession(id, s.accessKeyId, s.expiresAt);
      return s;
    });
  }

  /** Revokes every session issued for the task (it stopped). */
  revoke(taskArn: string): void {
    this.#sessions.revoke(this.#repo.sessionsOf(taskArn));
  }
}
