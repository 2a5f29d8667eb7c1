import { ServiceError } from "../../aws/service-error.ts";

/** CloudWatch Logs errors, named exactly as the model's error shapes, with AWS's messages. */
export const groupNotFound = () => new ServiceError("ResourceNotFoundException", "The specified log group does not exist.");
export const streamNotFound = () => new ServiceError("ResourceNotFoundException", "The specified log stream does not exist.");
export const resourceNotFound = () => new ServiceError("ResourceNotFoundException", "The specified resource does not exist.");
export const groupExists = () => new ServiceError("ResourceAlreadyExistsException", "The specified log group already exists");
export const streamExists = () => new ServiceError("ResourceAlreadyExistsException", "The specified log stream already exists");
export const invalidParameter = (message: string) => new ServiceError("InvalidParameterException", message);
export const badToken = () => invalidParameter("The specified nextToken is invalid.");

/** A member that fails a model constraint, in the words of AWS's validation message. */
export function constraint(value: unknown, member: string, rule: string): ServiceError {
  return invalidParameter(`1 validation error detected: Value '${String(value)}' at '${member}' failed to satisfy constraint: ${rule}`);
}

