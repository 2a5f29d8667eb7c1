import { ServiceError } from "../../aws/service-error.ts";

/** ECS errors, named exactly as the model's error shapes, with AWS's messages. */
export const clusterNotFound = () => new ServiceError("ClusterNotFoundException", "Cluster not found.");
export const serviceNotFound = () => new ServiceError("ServiceNotFoundException", "Service not found.");
export const serviceNotActive = () => new ServiceError("ServiceNotActiveException", "Service was not ACTIVE.");
export const clientError = (message: string) => new ServiceError("ClientException", message);
export const invalidParameter = (message: string) => new ServiceError("InvalidParameterException", message);
export const resourceNotFound = (message: string) => new ServiceError("ResourceNotFoundException", message);
export const badNextToken = () => invalidParameter("Invalid nextToken.");
