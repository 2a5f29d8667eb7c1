import { ServiceError } from "../../aws/service-error.ts";

/**
 * ELBv2 errors, named as the model's error shapes; the awsQuery layer sends the awsQueryError code
 * (LoadBalancerNotFoundException → `LoadBalancerNotFound`). Messages follow AWS's.
 */
export const loadBalancerNotFound = () => new ServiceError("LoadBalancerNotFoundException", "One or more load balancers not found");
export const targetGroupNotFound = () => new ServiceError("TargetGroupNotFoundException", "One or more target groups not found");
export const listenerNotFound = () => new ServiceError("ListenerNotFoundException", "One or more listeners not found");
export const ruleNotFound = () => new ServiceError("RuleNotFoundException", "One or more rules not found");
export const validation = (message: string) => new ServiceError("ValidationError", message, { status: 400 });
export const invalidConfig = (message: string) => new ServiceError("InvalidConfigurationRequestException", message);
export const invalidAction = (message: string) => new ServiceError("InvalidLoadBalancerActionException", message);
export const invalidTarget = (message: string) => new ServiceError("InvalidTargetException", message);
export const notPermitted = (message: string) => new ServiceError("OperationNotPermittedException", message);
export const resourceInUse = (message: string) => new ServiceError("ResourceInUseException", message);
export const tooManyTags = () =>
  new ServiceError("TooManyTagsException", "The quota for the number of tags that can be assigned to a load balancer has been reached");
export const duplicateTagKeys = (key: string) => new ServiceError("DuplicateTagKeysException", `Tag key '${key}' is duplicated`);
export const certificateNotFound = (arn: string) => new ServiceError("CertificateNotFoundException", `Certificate '${arn}' not found`);
export const tooManyCertificates = () =>
  new ServiceError("TooManyCertificatesException", "You've reached the limit on the number of certificates per load balancer");
export const sslPolicyNotFound = () => new ServiceError("SSLPolicyNotFoundException", "One or more SSL policies not found");
