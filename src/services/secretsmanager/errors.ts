/**
 * Secrets Manager errors, named as the model's error shapes, with AWS's messages (the API
 * reference's Errors sections, https://docs.aws.amazon.com/secretsmanager/latest/apireference/CommonErrors.html).
 * Every client error is HTTP 400.
 */
import { ServiceError } from "../../aws/service-error.ts";

const smError = (code: string, message: string) => new ServiceError(code, message, { status: 400 });

export const secretNotFound = () => smError("ResourceNotFoundException", "Secrets Manager can't find the specified secret.");
export const stageNotFound = (stage: string) =>
  smError("ResourceNotFoundException", `Secrets Manager can't find the specified secret value for staging label: ${stage}`);
export const versionNotFound = (versionId: string) =>
  smError("ResourceNotFoundException", `Secrets Manager can't find the specified secret value for VersionId: ${versionId}`);
export const markedForDeletion = () =>
  smError("InvalidRequestException", "You can't perform this operation on the secret because it was marked for deletion.");
export const alreadyMarkedDeleted = () =>
  smError("InvalidRequestException", "You tried to perform the operation on a secret that's currently marked deleted.");
export const scheduledForDeletion = () =>
  smError("InvalidRequestException", "You can't create this secret because a secret with this name is already scheduled for deletion.");
export const secretExists = (name: string) => smError("ResourceExistsException", `The operation failed because the secret ${name} already exists.`);
export const tokenRequired = () => smError("InvalidRequestException", "You must provide a ClientRequestToken value. We recommend a UUID-type value.");
export const tokenInUse = (token: string, arn: string) =>
  smError("ResourceExistsException", `You can't use ClientRequestToken ${token} because that value is already in use for a version of secret ${arn}.`);
export const valueRequired = () => smError("InvalidRequestException", "You must provide either SecretString or SecretBinary.");
export const bothValues = () =>
  smError("InvalidParameterException", "You can't specify both a binary secret value and a string secret value in the same secret.");
export const stageMismatch = () => smError("InvalidRequestException", "You provided a VersionStage that is not associated to the provided VersionId.");
export const invalidName = () =>
  smError("ValidationException", "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!");
export const invalidParameter = (message: string) => smError("InvalidParameterException", message);
export const invalidRequest = (message: string) => smError("InvalidRequestException", message);
export const invalidNextToken = () => smError("InvalidNextTokenException", "The NextToken value is invalid.");
export const limitExceeded = (message = "The request failed because it would exceed one of the Secrets Manager quotas.") => smError("LimitExceededException", message);
export const encryptionFailure = () =>
  smError(
    "EncryptionFailure",
    "Secrets Manager can't encrypt the protected secret text using the provided KMS key. Check that the KMS key is available, enabled, and not in an invalid state.",
  );
export const decryptionFailure = () => smError("DecryptionFailure", "Secrets Manager can't decrypt the protected secret text using the provided KMS key.");
export const malformedPolicy = (message: string) => smError("MalformedPolicyDocumentException", message);
export const publicPolicy = () => smError("PublicPolicyException", "The BlockPublicPolicy parameter is set to true, and the resource policy did not prevent broad access to the secret.");

/** A member that fails a model constraint, in the words of AWS's validation message. */
export function constraint(value: unknown, member: string, rule: string): ServiceError {
  const shown = value === undefined ? "" : ` '${String(value)}'`;
  return smError("ValidationException", `1 validation error detected: Value${shown} at '${member}' failed to satisfy constraint: ${rule}`);
}
