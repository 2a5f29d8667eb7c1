import { ServiceError } from "../../aws/service-error.ts";

/** IAM errors, named as the model's error shapes (awsQuery codes NoSuchEntity, …), with AWS's messages. */
export const noSuchEntity = (message: string) => new ServiceError("NoSuchEntityException", message);
export const alreadyExists = (message: string) => new ServiceError("EntityAlreadyExistsException", message);
export const deleteConflict = (message: string) => new ServiceError("DeleteConflictException", message);
export const limitExceeded = (message: string) => new ServiceError("LimitExceededException", message);
export const malformedPolicy = (message: string) => new ServiceError("MalformedPolicyDocumentException", message);
export const invalidInput = (message: string) => new ServiceError("InvalidInputException", message);
/** Not a shape of the IAM model: sent as given (awsQuery `ValidationError`, 400), like model validation. */
export const validation = (message: string) => new ServiceError("ValidationError", message, { status: 400 });

export const roleNotFound = (name: string) => noSuchEntity(`The role with name ${name} cannot be found.`);
export const userNotFound = (name: string) => noSuchEntity(`The user with name ${name} cannot be found.`);
export const groupNotFound = (name: string) => noSuchEntity(`The group with name ${name} cannot be found.`);
export const instanceProfileNotFound = (name: string) => noSuchEntity(`Instance Profile ${name} cannot be found.`);
export const policyNotFound = (arn: string) => noSuchEntity(`Policy ${arn} was not found.`);
export const notAttachable = (arn: string) => noSuchEntity(`Policy ${arn} does not exist or is not attachable.`);
