/**
 * KMS errors, named as the model's error shapes, with AWS's messages. See
 * https://docs.aws.amazon.com/kms/latest/APIReference/CommonErrors.html and the Errors section of
* each operation's page.
 */
import { ServiceError } from "../../aws/service-error.ts";

/**
 * KMS answers every client error with HTTP 400 (botocore's model declares no other status), although
 * the SDK's Smithy model carries 404/409 httpError traits for some of them.
 */
const kmsError = (code: string, message: string) => new ServiceError(code, message, { status: 400 });

export const invalidKeyId = (keyId: string) => kmsError("NotFoundException", `Invalid keyId '${keyId}'`);
export const keyNotFound = (keyArn: string) => kmsError("NotFoundException", `Key '${keyArn}' does not exist`);
export const invalidArn = (region: string) => kmsError("NotFoundException", `Invalid arn ${region}`);
export const aliasNotFound = (aliasArn: string) => kmsError("NotFoundException", `Alias ${aliasArn} is not found.`);
export const disabled = (keyArn: string) => kmsError("DisabledException", `${keyArn} is disabled.`);
export const pendingDeletion = (keyArn: string) => kmsError("KMSInvalidStateException", `${keyArn} is pending deletion.`);
export const invalidState = (message: string) => kmsError("KMSInvalidStateException", message);
export const notPendingDeletion = (keyArn: string) =>
  kmsError("KMSInvalidStateException", `${keyArn} is not pending deletion (its state is not PendingDeletion).`);
export const incorrectKey = () =>
  kmsError("IncorrectKeyException", "The key ID in the request does not identify a CMK that can perform this operation.");
/** AWS sends this one with an empty message. */
export const invalidCiphertext = () => kmsError("InvalidCiphertextException", "");
export const invalidKeyUsage = (message: string) => kmsError("InvalidKeyUsageException", message);
export const aliasExists = (aliasArn: string) => kmsError("AlreadyExistsException", `An alias with the name ${aliasArn} already exists`);
export const validation = (message: string) => kmsError("ValidationException", message);
export const tagError = (message: string) => kmsError("TagException", message);
export const malformedPolicy = (message: string) => kmsError("MalformedPolicyDocumentException", message);
export const unsupported = (message: string) => kmsError("UnsupportedOperationException", message);
export const invalidMarker = () => kmsError("InvalidMarkerException", "The request contains an invalid marker.");
export const dryRun = () => kmsError("DryRunOperationException", "The request would have succeeded, but the DryRun option is set.");
export const policyNotFound = (name: string) => kmsError("NotFoundException", `No such policy exists: ${name}`);
export const notAuthorized = (message: string) => kmsError("NotAuthorizedException", message);

/** A member that fails a model constraint, in the words of AWS's validation message. */
export function constraint(value: unknown, member: string, rule: string): ServiceError {
  const shown = value === undefined ? "" : ` '${String(value)}'`;
  return validation(`1 validation error detected: Value${shown} at '${member}' failed to satisfy constraint: ${rule}`);
}
