/**
 * The Secrets Manager domain, assembled: secrets (secrets.ts), their values and labels (values.ts),
 * resource policies, random passwords, tags through the shared Tagging. What the handlers and
 * ECS's secret resolution (src/server/ports.ts) use; knows nothing of HTTP.
 */
import type * as sm from "@aws-sdk/client-secrets-manager";
import type { Scope } from "../../core/arn.ts";
import { type Tag, Tagging, tagShape } from "../common/tagging.ts";
import type { SecretsManagerDeps } from "./context.ts";
import { constraint, invalidParameter, invalidRequest, limitExceeded, markedForDeletion, publicPolicy, secretNotFound, valueRequired } from "./errors.ts";
import { randomPassword } from "./passwords.ts";
import { grantsPublicAccess, parsePolicy, validatePolicy } from "./policies.ts";
import { SecretsRepo } from "./repo.ts";
import { checkToken, type Rotation, Secrets } from "./secrets.ts";
import { checkStages, type ReadValue, Values, valueIn } from "./values.ts";

export const smTags = tagShape("Key", "Value");

function checkTags(added: readonly Tag[], merged: readonly Tag[]): void {
  added.forEach((t, i) => {
    if (t.key.length < 1 || t.key.length > 128) throw constraint(t.key, `tags.${i + 1}.member.key`, "Member must have length between 1 and 128");
    if (t.value.length > 256) throw constraint(t.value, `tags.${i + 1}.member.value`, "Member must have length less than or equal to 256");
  });
  if (merged.length > 50) throw limitExceeded();
}

/** GetSecretValue's answer for one read. */
function valueResponse(arn: string, name: string, r: ReadValue): sm.GetSecretValueResponse {
  const out: sm.GetSecretValueResponse = { ARN: arn, Name: name, VersionId: r.version.version_id };
  if (r.value.kind === "string") out.SecretString = r.value.text;
  else out.SecretBinary = r.value.bytes;
  out.VersionStages = r.stages;
  out.CreatedDate = new Date(r.version.created_at);
  return out;
}

export class SecretsManager {
  readonly deps: SecretsManagerDeps;
  readonly repo: SecretsRepo;
  readonly values: Values;
  readonly tagging: Tagging;
  readonly secrets: Secrets;

  constructor(deps: SecretsManagerDeps) {
    this.deps = deps;
    this.repo = new SecretsRepo(deps.store);
    this.values = new Values(deps, this.repo);
    this.tagging = new Tagging(deps.store, {
      resolve: (arn) => {
        if (!this.repo.byArn(arn)) throw secretNotFound();
        return arn;
      },
      validate: checkTags,
    });
    this.secrets = new Secrets(deps, this.repo, this.values, this.tagging);
  }

  createSecret(scope: Scope, input: sm.CreateSecretRequest): sm.CreateSecretResponse {
    const tags = smTags.read(input.Tags);
    checkTags(tags, tags);
    return this.secrets.create(scope, input, tags);
  }

  getSecretValue(scope: Scope, input: sm.GetSecretValueRequest): sm.GetSecretValueResponse {
    const row = this.secrets.get(scope, input.SecretId);
    return valueResponse(row.arn, row.name, this.values.read(row, input.VersionId, input.VersionStage));
  }

  putSecretValue(scope: Scope, input: sm.PutSecretValueRequest): sm.PutSecretValueResponse {
    const value = valueIn(input);
    if (!value) throw valueRequired();
    const token = checkToken(input.ClientRequestToken, true)!;
    checkStages(input.VersionStages);
    if (input.RotationToken !== undefined) throw invalidRequest("Slipway does not run rotation functions, so no RotationToken is valid.");
    const row = this.secrets.get(scope, input.SecretId);
    const { versionId, stages } = this.secrets.putValue(row, token, value, input.VersionStages);
    return { ARN: row.arn, Name: row.name, VersionId: versionId, VersionStages: [...stages].sort() };
  }

  batchGetSecretValue(scope: Scope, input: sm.BatchGetSecretValueRequest): sm.BatchGetSecretValueResponse {
    const ids = input.SecretIdList;
    const filters = input.Filters;
    if ((ids === undefined) === (filters === undefined)) throw invalidParameter("Either 'SecretIdList' or 'Filters' must be specified, but not both.");
    if (input.MaxResults !== undefined && filters === undefined)
      throw invalidParameter("'Filters' not specified. 'Filters' must also be specified when 'MaxResults' is provided.");
    const SecretValues: sm.SecretValueEntry[] = [];
    const Errors: sm.APIErrorType[] = [];
    const readOne = (id: string, row?: ReturnType<Secrets["find"]>) => {
      try {
        const r = row ?? this.secrets.get(scope, id);
        if (r.deletion_date !== null) throw markedForDeletion();
        SecretValues.push(valueResponse(r.arn, r.name, this.values.read(r, undefined, undefined)));
      } catch (err) {
        const e = err as { code?: string; message: string };
        if (!e.code) throw err;
        Errors.push({ SecretId: id, ErrorCode: e.code, Message: e.message });
      }
    };
    if (ids !== undefined) {
      if (ids.length < 1 || ids.length > 20) throw constraint(undefined, "secretIdList", "Member must have length between 1 and 20");
      for (const id of ids) readOne(id);
      return { SecretValues, Errors };
    }
    const max = input.MaxResults ?? 20;
    if (!Number.isInteger(max) || max < 1 || max > 20) throw constraint(max, "maxResults", "Member must have value between 1 and 20");
    const page = this.secrets.list(scope, { Filters: filters, MaxResults: max, NextToken: input.NextToken });
    for (const e of page.SecretList ?? []) readOne(e.ARN!, this.secrets.find(scope, e.ARN));
    return page.NextToken ? { SecretValues, Errors, NextToken: page.NextToken } : { SecretValues, Errors };
  }

  updateVersionStage(scope: Scope, input: sm.UpdateSecretVersionStageRequest): sm.UpdateSecretVersionStageResponse {
    return this.deps.store.tx(() => {
      const row = this.secrets.get(scope, input.SecretId);
      this.values.moveStage(row, input.VersionStage ?? "", input.RemoveFromVersionId, input.MoveToVersionId);
      return { ARN: row.arn, Name: row.name };
    });
  }

  /**
   * Rotation runs a Lambda function, which Slipway does not have: a request that would start a
   * rotation is refused with a clear error instead of pretending (no version is created).
   */
  rotateSecret(scope: Scope, input: sm.RotateSecretRequest): sm.RotateSecretResponse {
    checkToken(input.ClientRequestToken, false);
    const row = this.secrets.get(scope, input.SecretId);
    const rotation = row.rotation ? (JSON.parse(row.rotation) as Rotation) : undefined;
    const lambda = input.RotationLambdaARN ?? rotation?.lambdaArn;
    if (!lambda) throw invalidRequest("No Lambda rotation function ARN is associated with this secret.");
    throw invalidRequest(`Slipway does not run Lambda functions, so it cannot rotate secrets (RotationLambdaARN ${lambda}). Put the new value with PutSecretValue instead.`);
  }

  cancelRotateSecret(scope: Scope, secretId: string | undefined): sm.CancelRotateSecretResponse {
    return this.deps.store.tx(() => {
      const row = this.secrets.get(scope, secretId);
      const rotation = row.rotation ? (JSON.parse(row.rotation) as Rotation) : undefined;
      if (rotation) this.secrets.setRotation(row, { ...rotation, enabled: false });
      return { ARN: row.arn, Name: row.name };
    });
  }

  putResourcePolicy(scope: Scope, input: sm.PutResourcePolicyRequest): sm.PutResourcePolicyResponse {
    const statements = parsePolicy(input.ResourcePolicy);
    if (input.BlockPublicPolicy && grantsPublicAccess(statements)) throw publicPolicy();
    return this.deps.store.tx(() => {
      const row = this.secrets.get(scope, input.SecretId);
      this.secrets.setPolicy(row, input.ResourcePolicy!);
      return { ARN: row.arn, Name: row.name };
    });
  }

  getResourcePolicy(scope: Scope, secretId: string | undefined): sm.GetResourcePolicyResponse {
    const row = this.secrets.get(scope, secretId, { deleted: true });
    return row.policy === null ? { ARN: row.arn, Name: row.name } : { ARN: row.arn, Name: row.name, ResourcePolicy: row.policy };
  }

  deleteResourcePolicy(scope: Scope, secretId: string | undefined): sm.DeleteResourcePolicyResponse {
    return this.deps.store.tx(() => {
      const row = this.secrets.get(scope, secretId);
      this.secrets.setPolicy(row, null);
      return { ARN: row.arn, Name: row.name };
    });
  }

  validateResourcePolicy(scope: Scope, input: sm.ValidateResourcePolicyRequest): sm.ValidateResourcePolicyResponse {
    if (input.SecretId !== undefined) this.secrets.get(scope, input.SecretId, { deleted: true });
    return validatePolicy(input.ResourcePolicy);
  }

  tag(scope: Scope, secretId: string | undefined, tags: readonly Tag[]): void {
    const row = this.secrets.get(scope, secretId);
    this.tagging.tag(row.arn, tags);
  }

  untag(scope: Scope, secretId: string | undefined, keys: readonly string[]): void {
    const row = this.secrets.get(scope, secretId);
    this.tagging.untag(row.arn, keys);
  }

  randomPassword(input: sm.GetRandomPasswordRequest): string {
    return randomPassword(input);
  }

  /** One pass of the periodic job: secrets whose recovery window has passed are deleted. */
  purgeDeleted(): number {
    return this.secrets.purgeDeleted();
  }
}
