/**
 * CloudWatch's errors: the model's error shapes, with the messages AWS answers. The query code
 * (what the AWS CLI and Terraform report: InvalidParameterValue, …) comes from each shape's
 * awsQueryError trait, also in JSON and CBOR through x-amzn-query-error.
 */
import { ServiceError } from "../../aws/service-error.ts";

export const errors = {
  invalidValue: (message: string) => new ServiceError("InvalidParameterValueException", message),
  combination: (message: string) => new ServiceError("InvalidParameterCombinationException", message),
  missing: (message: string) => new ServiceError("MissingRequiredParameterException", message),
  mutuallyExclusive: (a: string, b: string) =>
    new ServiceError("InvalidParameterCombinationException", `The parameters ${a} and ${b} are mutually exclusive and you have specified both.`),
  startAfterEnd: () => new ServiceError("InvalidParameterValueException", "The parameter StartTime must be less than the parameter EndTime."),
  tooManyDatapoints: (n: number) =>
    new ServiceError(
      "InvalidParameterCombinationException",
      `You have requested up to ${n} datapoints, which exceeds the limit of 1440. You may reduce the datapoints requested by increasing Period, or decreasing the time range.`,
    ),
  badToken: () => new ServiceError("InvalidNextToken", "The service returned an invalid NextToken."),
  /** SetAlarmState on an unknown alarm (404; AWS's JSON answer carries no message, Slipway names the alarm). */
  alarmNotFound: (name: string) => new ServiceError("ResourceNotFound", `Alarm ${name} does not exist.`),
  resourceNotFound: (arn: string) => new ServiceError("ResourceNotFoundException", `The resource ${arn} was not found.`),
  invalidFormat: (message: string) => new ServiceError("InvalidFormatFault", message),
  limitExceeded: (message: string) => new ServiceError("LimitExceededFault", message),
  /** An enum or length constraint, as Coral's validator words it (query code ValidationError). */
  validation: (value: string, member: string, constraint: string) =>
    new ServiceError("ValidationError", `1 validation error detected: Value '${value}' at '${member}' failed to satisfy constraint: ${constraint}`, {
      status: 400,
    }),
};
