/**
 * SSM errors, named as the model's error shapes, with AWS's messages (the Errors sections of
 * https://docs.aws.amazon.com/systems-manager/latest/APIReference/). Every client error is HTTP 400.
 */
import { ServiceError } from "../../aws/service-error.ts";

const ssmError = (code: string, message: string) => new ServiceError(code, message, { status: 400 });

/** AWS sends ParameterNotFound with an empty message. */
export const parameterNotFound = () => ssmError("ParameterNotFound", "");
export const versionNotFound = (name: string, selector: string) =>
  ssmError("ParameterVersionNotFound", `Systems Manager could not find version ${selector} of ${name}. Verify the version and try again.`);
export const alreadyExists = () =>
  ssmError("ParameterAlreadyExists", "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.");
export const validation = (message: string) => ssmError("ValidationException", message);
export const reservedName = (name: string) => ssmError("AccessDeniedException", `No access to reserved parameter name: ${name}.`);
export const invalidKeyId = (message: string) => ssmError("InvalidKeyId", message);
/**
 * An AllowedPattern that is not a valid regular expression, or that needs backtracking
 * (back-references, lookaround), which Slipway does not run on client patterns.
 */
export const invalidAllowedPattern = (pattern: string) =>
  ssmError("InvalidAllowedPatternException", `The allowed pattern ${pattern} is not a valid regular expression, or uses back-references or lookaround, which Slipway does not evaluate.`);
export const patternMismatch = (pattern: string) => ssmError("ParameterPatternMismatchException", `Parameter value, cannot be validated against allowedPattern: ${pattern}`);
export const invalidFilterKey = (message: string) => ssmError("InvalidFilterKey", message);
export const invalidFilterOption = (message: string) => ssmError("InvalidFilterOption", message);
export const invalidFilterValue = (message: string) => ssmError("InvalidFilterValue", message);
export const invalidNextToken = () => ssmError("InvalidNextToken", "The specified token isn't valid.");
export const maxVersions = (name: string, version: number) =>
  ssmError(
    "ParameterMaxVersionLimitExceeded",
    `You attempted to create a new version of ${name} by calling the PutParameter API with the overwrite flag. Version ${version}, the oldest version, can't be deleted because it has a label associated with it. Move the label to another version of the parameter, and try again.`,
  );
export const labelLimit = () =>
  ssmError(
    "ParameterVersionLabelLimitExceeded",
    "A parameter version can have maximum 10 labels.Move one or more labels to another version and try again.",
  );
export const invalidResourceType = () => ssmError("InvalidResourceType", "The resource type is not valid. Valid resource types: Parameter.");
export const invalidResourceId = () => ssmError("InvalidResourceId", "The resource ID is not valid. Verify that the resource ID is correct and try again.");
export const tooManyTags = () => ssmError("TooManyTagsError", "The Targets parameter includes too many tags. Remove one or more tags and try the request again.");
export const hierarchyLevelLimit = () =>
  ssmError("HierarchyLevelLimitExceededException", "A hierarchy can have a maximum of 15 levels. For more information, see Requirements and constraints for parameter names in the AWS Systems Manager User Guide.");
export const unsupported = (message: string) => ssmError("ValidationException", message);

/** A member that fails a model constraint, in the words of AWS's validation message. */
export function constraint(value: unknown, member: string, rule: string): ServiceError {
  const shown = value === undefined ? "" : ` '${String(value)}'`;
  return validation(`1 validation error detected: Value${shown} at '${member}' failed to satisfy constraint: ${rule}`);
}
