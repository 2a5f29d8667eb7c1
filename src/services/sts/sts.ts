/**
 * STS over the IAM domain: who is calling (GetCallerIdentity) and temporary credentials
 * (AssumeRole, GetSessionToken) recorded so that strict SigV4 accepts them until they expire.
 */
import type { AssumeRoleRequest, AssumeRoleResponse, GetSessionTokenResponse } from "@aws-sdk/client-sts";
import { ServiceError } from "../../aws/service-error.ts";
import { parseArn, type Scope } from "../../core/arn.ts";
import type { CallerIdentity, Iam } from "../iam/iam.ts";

const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;

const validation = (message: string) => new ServiceError("ValidationError", message, { status: 400 });

export class Sts {
  readonly #iam: Iam;
  constructor(iam: Iam) {
    this.#iam = iam;
  }

  /** Who owns `accessKeyId`; the root of the caller's account for keys not made here. */
  callerIdentity(accessKeyId: string | undefined, scope: Scope): CallerIdentity {
    return this.#iam.callerIdentity(accessKeyId, scope);
  }

  assumeRole(caller: CallerIdentity, input: AssumeRoleRequest): AssumeRoleResponse {
    const roleArn = input.RoleArn!;
    const sessionName = input.RoleSessionName!;
    if (!SESSION_NAME.test(sessionName)) {
      throw validation(
        `1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*`,
      );
    }
    const duration = input.DurationSeconds ?? 3600;
    if (duration < 900) {
      throw validation(
        `1 validation error detected: Value '${duration}' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900`,
      );
    }
    const parsed = parseArn(roleArn);
    const name = parsed?.service === "iam" && parsed.resource.startsWith("role/") ? parsed.resource.split("/").at(-1) : undefined;
    const role = parsed && name ? this.#iam.repo.get("iam_roles", parsed.accountId, name) : undefined;
    if (!parsed || !role || role.Arn !== roleArn) {
      throw new ServiceError("AccessDenied", `User: ${caller.Arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`, {
        status: 403,
      });
    }
    if (duration > (role.MaxSessionDuration ?? 3600)) {
      throw validation(
        `The requested DurationSeconds exceeds the MaxSessionDuration set for this role.`,
      );
    }
    const assumed: CallerIdentity = {
      UserId: `${role.RoleId}:${sessionName}`,
      Account: parsed.accountId,
      Arn: `arn:aws:sts::${parsed.accountId}:assumed-role/${role.RoleName}/${sessionName}`,
    };
    const credentials = this.#iam.issueSession(assumed, duration);
    return {
      Credentials: credentials,
      AssumedRoleUser: { AssumedRoleId: assumed.UserId, Arn: assumed.Arn },
      PackedPolicySize: 0,
      ...(input.SourceIdentity ? { SourceIdentity: input.SourceIdentity } : {}),
    };
  }

  sessionToken(caller: CallerIdentity, durationSeconds: number | undefined): GetSessionTokenResponse {
    const duration = durationSeconds ?? 43200;
    if (duration < 900 || duration > 129600) {
      throw validation(
        `1 validation error detected: Value '${duration}' at 'durationSeconds' failed to satisfy constraint: Member must have value ${duration < 900 ? "greater than or equal to 900" : "less than or equal to 129600"}`,
      );
    }
    return { Credentials: this.#iam.issueSession(caller, duration) };
  }

  /** GetAccessKeyInfo: the account a key belongs to (the caller's account for keys not made here). */
  accessKeyAccount(accessKeyId: string, scope: Scope): string {
    return this.#iam.lookupSecret(accessKeyId)?.accountId ?? scope.accountId;
  }
}
