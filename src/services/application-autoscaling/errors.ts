/** Application Auto Scaling's errors: the model's error shapes with AWS's messages. */
import { ServiceError } from "../../aws/service-error.ts";
import type { TargetKey } from "./repo.ts";

const of = (k: TargetKey) => `service namespace: ${k.namespace}, resource ID: ${k.resourceId}, scalable dimension: ${k.dimension}`;

export const errors = {
  validation: (message: string) => new ServiceError("ValidationException", message),
  unsupported: () => new ServiceError("ValidationException", "Unsupported service namespace, resource type or scalable dimension"),
  noTarget: (k: TargetKey) => new ServiceError("ObjectNotFoundException", `No scalable target registered for ${of(k)}`),
  noTargetToDeregister: (k: TargetKey) => new ServiceError("ObjectNotFoundException", `No scalable target found for ${of(k)}`),
  noPolicy: (k: TargetKey, name: string) => new ServiceError("ObjectNotFoundException", `No scaling policy found for ${of(k)}, policy name: ${name}`),
  noScheduledAction: (k: TargetKey, name: string) =>
    new ServiceError("ObjectNotFoundException", `No scheduled action found for ${of(k)}, scheduled action name: ${name}`),
  badToken: () => new ServiceError("InvalidNextTokenException", "Invalid NextToken"),
  resourceNotFound: (arn: string) => new ServiceError("ResourceNotFoundException", `Resource not found: ${arn}`, { fields: { ResourceName: arn } }),
  tooManyTags: (arn: string) =>
    new ServiceError("TooManyTagsException", "The number of tags exceeds the limit of 50.", { fields: { ResourceName: arn } }),
  serviceMissing: (resourceId: string) => new ServiceError("ValidationException", `ECS service doesn't exist: ${resourceId}`),
};
