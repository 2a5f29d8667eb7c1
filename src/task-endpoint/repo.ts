/** The task endpoint's SQL (tables from migration 23 "task-endpoint"). Synchronous; callers own transactions. */
import type { Store } from "../store/store.ts";

export interface EndpointRow {
  endpoint_id: string;
  task_arn: string;
  container_name: string;
}

export interface CredentialsRow {
  credentials_id: string;
  task_arn: string;
  role_arn: string;
}

export class TaskEndpointRepo {
  readonly #store: Store;

  constructor(store: Store) {
    this.#store = store;
  }

  endpoint(endpointId: string): EndpointRow | undefined {
    return this.#store.prepare("SELECT * FROM task_endpoints WHERE endpoint_id = ?").get(endpointId) as EndpointRow | undefined;
  }

  endpointOf(taskArn: string, containerName: string): EndpointRow | undefined {
    return this.#store.prepare("SELECT * FROM task_endpoints WHERE task_arn = ? AND container_name = ?").get(taskArn, containerName) as EndpointRow | undefined;
  }

  insertEndpoint(r: EndpointRow): void {
    this.#store.prepare("INSERT INTO task_endpoints (endpoint_id, task_arn, container_name) VALUES (?, ?, ?)").run(r.endpoint_id, r.task_arn, r.container_name);
  }

  credentials(credentialsId: string): CredentialsRow | undefined {
    return this.#store.prepare("SELECT * FROM task_credentials WHERE credentials_id = ?").get(credentialsId) as CredentialsRow | undefined;
  }

  credentialsOf(taskArn: string): CredentialsRow | undefined {
    return this.#store.prepare("SELECT * FROM task_credentials WHERE task_arn = ?").get(taskArn) as CredentialsRow | undefined;
  }

  insertCredentials(r: CredentialsRow): void {
    this.#store.prepare("INSERT INTO task_credentials (credentials_id, task_arn, role_arn) VALUES (?, ?, ?)").run(r.credentials_id, r.task_arn, r.role_arn);
  }

  /** The session of a credentials id that expires last. */
  latestSession(credentialsId: string): { access_key_id: string; expires_at: number } | undefined {
    return this.#store
      .prepare("SELECT access_key_id, expires_at FROM task_sessions WHERE credentials_id = ? ORDER BY expires_at DESC LIMIT 1")
      .get(credentialsId) as { access_key_id: string; expires_at: number } | undefined;
  }

  insertSession(credentialsId: string, accessKeyId: string, expiresAt: number): void {
    this.#store.prepare("INSERT INTO task_sessions (access_key_id, credentials_id, expires_at) VALUES (?, ?, ?)").run(accessKeyId, credentialsId, expiresAt);
  }

  sessionsOf(taskArn: string): string[] {
    return (
      this.#store
        .prepare("SELECT s.access_key_id AS id FROM task_sessions s JOIN task_credentials c ON c.credentials_id = s.credentials_id WHERE c.task_arn = ?")
        .all(taskArn) as { id: string }[]
    ).map((r) => r.id);
  }

  /** Every task that has endpoint or credentials rows. */
  taskArns(): string[] {
    return (
      this.#store.prepare("SELECT task_arn FROM task_endpoints UNION SELECT task_arn FROM task_credentials").all() as { task_arn: string }[]
    ).map((r) => r.task_arn);
  }

  deleteTask(taskArn: string): void {
    this.#store.prepare("DELETE FROM task_endpoints WHERE task_arn = ?").run(taskArn);
    this.#store.prepare("DELETE FROM task_credentials WHERE task_arn = ?").run(taskArn);
  }
}
