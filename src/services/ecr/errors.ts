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
/** A KMS failure while setting up a repository's encryption: KMS's message, and its code in kmsError. */
export const kmsException = (message: string, kmsError: string) => new ServiceError("KmsException", message, { fields: { kmsError } });
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

export const invalidImageTag = () => invalidParameter(`Invalid parameter at 'imageTag' failed to satisfy constraint: 'Invalid image tag'`);
export const invalidManifestJson = () => invalidParameter(`Invalid parameter at 'ImageManifest' failed to satisfy constraint: 'Invalid JSON syntax'`);
export const imageDigestDoesNotMatch = (supplied: string, digest: string) =>
  new ServiceError("ImageDigestDoesNotMatchException", `The supplied image digest '${supplied}' does not match the digest '${digest}' calculated for the manifest`);
export const imageAlreadyExists = (digest: string, tag: string | undefined, name: string, account: string) =>
  new ServiceError(
    "ImageAlreadyExistsException",
    `Image with digest '${digest}'${tag !== undefined ? ` and tag '${tag}'` : ""} already exists in the repository with name '${name}' in registry with id '${account}'`,
  );
export const imageTagAlreadyExists = (tag: string, name: string) =>
  new ServiceError(
    "ImageTagAlreadyExistsException",
    `The image tag '${tag}' already exists in the '${name}' repository and cannot be overwritten because the repository is immutable.`,
  );
export const referencedImagesNotFound = (missing: string) =>
  new ServiceError("ReferencedImagesNotFoundException", `The following referenced images were not found: [${missing}]`);
/** PutImage of a manifest whose layers the repository lacks. */
export const layersNotFoundForImage = (missing: string, name: string, account: string) =>
  new ServiceError(
    "LayersNotFoundException",
    `Layers with digests '[${missing}]' required for pushing image into repository with name '${name}' in the registry with id '${account}' do not exist`,
  );
export const layerNotFound = (digest: string, name: string, account: string) =>
  new ServiceError("LayersNotFoundException", `The image layer '${digest}' does not exist in the repository with name '${name}' in the registry with id '${account}'`);
export const uploadNotFound = (uploadId: string) => new ServiceError("UploadNotFoundException", `Upload with id '${uploadId}' was not found`);
export const invalidLayer = () =>
  new ServiceError("InvalidLayerException", "The layer digest calculation performed by Amazon ECR does not match the digest specified");
export const invalidLayerPart = (why: string) => new ServiceError("InvalidLayerPartException", `The layer part is not valid: ${why}`);
export const scanNotFound = (imageId: string, name: string, account: string) =>
  new ServiceError(
    "ScanNotFoundException",
    `Image scan does not exist for the image with '{${imageId}}' in the repository with name '${name}' in the registry with id '${account}'`,
  );
