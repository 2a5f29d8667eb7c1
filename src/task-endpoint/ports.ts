/**
 * What the task endpoint needs from the rest of Slipway, as narrow interfaces that
 * src/server/ports.ts implements: the task as ECS knows it (TaskView) and temporary credentials
 * for its task role (RoleSessions, over IAM/STS).
 */
import type { Task } from "@aws-sdk/client-ecs";

export interface TaskSnapshot {
  /** The task as DescribeTasks shows it. */
  readonly task: Task;
  readonly serviceName?: string;
  /** Each container's log configuration from the task definition. */
  readonly logConfigurations: ReadonlyMap<string, { readonly logDriver: string; readonly options: Readonly<Record<string, string>> }>;
  /** Container cpu units and memory MiB from the task definition. */
  readonly limits: ReadonlyMap<string, { readonly cpu: number; readonly memory: number }>;
  readonly tags: readonly { readonly key: string; readonly value: string }[];
}

export interface TaskView {
  task(taskArn: string): TaskSnapshot | undefined;
  /** Tasks that are not STOPPED (endpoint rows of the others are swept). */
  isLive(taskArn: string): boolean;
}

export interface IssuedSession {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
}

export interface RoleSessions {
  /** Temporary credentials (ASIA…) for `roleArn`, with `sessionName` as the assumed-role session name. */
  issue(roleArn: string, sessionName: string, durationSeconds: number): IssuedSession;
  /** A session issued earlier, until it expires or is revoked. */
  get(accessKeyId: string): IssuedSession | undefined;
  revoke(accessKeyIds: readonly string[]): void;
}
