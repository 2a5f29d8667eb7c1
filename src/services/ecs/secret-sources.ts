/**
 * The narrow port through which ECS reads `secrets`, `secretOptions` and `repositoryCredentials`
 * at task start, as the ECS agent does with the task's execution role: Secrets Manager's
 * GetSecretValue and SSM's GetParameters (WithDecryption). src/server/ports.ts implements it over
 * the Secrets Manager and SSM domains; the failures carry those services' error codes and messages.
 */
import type { Scope } from "../../core/arn.ts";

/** A failed read: the service's error code and message (e.g. ResourceNotFoundException, "Secrets Manager can't find…"). */
export class SecretSourceError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

export interface SecretSources {
  /** GetSecretValue: the SecretString (a binary secret as base64); throws SecretSourceError. */
  secretValue(scope: Scope, secretId: string, select: { versionStage?: string; versionId?: string }): string;
  /**
   * GetParameters WithDecryption for up to 10 names (name or ARN, as the task definition gave them):
   * the values by requested name, and the names that do not exist. Throws SecretSourceError when the
   * whole call fails (a SecureString whose key is disabled).
   */
  parameters(scope: Scope, names: readonly string[]): { values: ReadonlyMap<string, string>; invalid: readonly string[] };
}
