import { ServiceError } from "../../aws/service-error.ts";

/** ACM errors, named as the model's error shapes. Messages follow AWS's where known (see README). */
export const certificateNotFound = (arn: string, account: string) =>
  new ServiceError("ResourceNotFoundException", `Certificate with arn ${arn} not found in account ${account}`);
export const validation = (message: string) => new ServiceError("ValidationException", message);
export const invalidArn = (arn: string) => new ServiceError("InvalidArnException", `String '${arn}' is not a valid ARN`);
export const invalidParameter = (message: string) => new ServiceError("InvalidParameterException", message);
export const inUse = (arn: string, users: readonly string[]) => new ServiceError("ResourceInUseException", `Certificate ${arn} in use by ${users.join(", ")}`);
export const inProgress = (arn: string) => new ServiceError("RequestInProgressException", `Certificate ${arn} is still in process`);
export const invalidState = (message: string) => new ServiceError("InvalidStateException", message);
export const invalidTag = (message: string) => new ServiceError("InvalidTagException", message);
export const tooManyTags = () => new ServiceError("TooManyTagsException", "the TagSet contains too many Tags: a certificate can have at most 50 tags");
export const limitExceeded = (message: string) => new ServiceError("LimitExceededException", message);
export const invalidDomainValidationOptions = (message: string) => new ServiceError("InvalidDomainValidationOptionsException", message);
