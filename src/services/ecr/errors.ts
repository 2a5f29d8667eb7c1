import { ServiceError } from "../../aws/service-error.ts";

/** ECR errors, named exactly as the model's error shapes, with AWS's messages. */
export const repositoryNotFound = (name: string, account: string) =>
  new ServiceError("RepositoryNotFoundException", `The repository with name '${name}' does not exist in the registry with id '${account}'`);
export const repositoryAlreadyExists = (name: string, account: string) =>
  new ServiceError("RepositoryAlreadyExistsException", `The repository with name '${name}' already exists in the registry with id '${account}'`);
export const repositoryNotEmpty = (name: string, account: string) =>
  new ServiceError(
    "RepositoryNotEmptyException",
    `The repository with name '${name}' in registry with id '${account}' cannot be deleted because it still contains images`,
  );
export const invalidParameter = (message: string) => new ServiceError("InvalidParameterException", message);
export const repositoryPolicyNotFound = (name: string, account: string) =>
  new ServiceError("RepositoryPolicyNotFoundException", `Repository policy does not exist for the repository with name '${name}' in the registry with id '${account}'`);
export const lifecyclePolicyNotFound = (name: string, account: string) =>
  new ServiceError("LifecyclePolicyNotFoundException", `Lifecycle policy does not exist for the repository with name '${name}' in the registry with id '${account}'`);
export const lifecyclePreviewNotFound = (name: string, account: string) =>
  new ServiceError(
    "LifecyclePolicyPreviewNotFoundException",
    `There is no dry run for the repository with name '${name}' in the registry with id '${account}'`,
  );
export const imageNotFound = (message: string) => new ServiceError("ImageNotFoundException", message);
export const badNextToken = () => invalidParameter("Invalid nextToken.");
