/**
 * ECR operations: thin adapters from the wire's typed requests to the domain (anchors rule 2).
 * Inputs and outputs are the @aws-sdk/client-ecr request/response types.
 */
import type * as ecr from "@aws-sdk/client-ecr";
import type { Handler, RequestContext } from "../../aws/service.ts";
import type { Ecr } from "./ecr.ts";

type H<I, O> = (input: I, ctx: RequestContext) => O | Promise<O>;

const scope = (c: RequestContext) => ({ account: c.accountId, region: c.region });

export function ecrHandlers(e: Ecr): Record<string, Handler> {
  const handlers: { [K in keyof EcrOps]: H<EcrOps[K][0], EcrOps[K][1]> } = {
    CreateRepository: (i, c) => ({ repository: e.createRepository(scope(c), i) }),
    DescribeRepositories: (i, c) => e.describeRepositories(scope(c), i),
    DeleteRepository: (i, c) => ({ repository: e.deleteRepository(scope(c), i) }),

    ListImages: (i, c) => e.listImages(scope(c), i),
    DescribeImages: (i, c) => e.describeImages(scope(c), i),
    BatchGetImage: (i, c) => e.batchGetImage(scope(c), i),
    BatchDeleteImage: (i, c) => e.batchDeleteImage(scope(c), i),
    PutImage: (i, c) => ({ image: e.putImage(scope(c), i) }),
    GetAuthorizationToken: (_i, c) => e.getAuthorizationToken(scope(c)),

    BatchCheckLayerAvailability: (i, c) => e.batchCheckLayerAvailability(scope(c), i),
    GetDownloadUrlForLayer: (i, c) => e.getDownloadUrlForLayer(scope(c), i),
    InitiateLayerUpload: (i, c) => e.initiateLayerUpload(scope(c), i),
    UploadLayerPart: (i, c) => e.uploadLayerPart(scope(c), i),
    CompleteLayerUpload: (i, c) => e.completeLayerUpload(scope(c), i),

    PutImageTagMutability: (i, c) => e.putImageTagMutability(scope(c), i),
    PutImageScanningConfiguration: (i, c) => e.putImageScanningConfiguration(scope(c), i),
    SetRepositoryPolicy: (i, c) => e.setRepositoryPolicy(scope(c), i),
    GetRepositoryPolicy: (i, c) => e.getRepositoryPolicy(scope(c), i),
    DeleteRepositoryPolicy: (i, c) => e.deleteRepositoryPolicy(scope(c), i),
    PutLifecyclePolicy: (i, c) => e.putLifecyclePolicy(scope(c), i),
    GetLifecyclePolicy: (i, c) => e.getLifecyclePolicy(scope(c), i),
    DeleteLifecyclePolicy: (i, c) => e.deleteLifecyclePolicy(scope(c), i),
    StartLifecyclePolicyPreview: (i, c) => e.startLifecyclePolicyPreview(scope(c), i),
    GetLifecyclePolicyPreview: (i, c) => e.getLifecyclePolicyPreview(scope(c), i),

    TagResource: (i) => {
      e.tagResource(i);
      return {};
    },
    UntagResource: (i) => {
      e.untagResource(i);
      return {};
    },
    ListTagsForResource: (i) => e.listTagsForResource(i),
    DescribeRegistry: (_i, c) => e.describeRegistry(scope(c)),
    DescribeImageScanFindings: (i, c) => e.describeImageScanFindings(scope(c), i),
  };
  return handlers as unknown as Record<string, Handler>;
}

/** Operation name → [request, response] types, from the SDK. */
interface EcrOps {
  CreateRepository: [ecr.CreateRepositoryRequest, ecr.CreateRepositoryResponse];
  DescribeRepositories: [ecr.DescribeRepositoriesRequest, ecr.DescribeRepositoriesResponse];
  DeleteRepository: [ecr.DeleteRepositoryRequest, ecr.DeleteRepositoryResponse];
  ListImages: [ecr.ListImagesRequest, ecr.ListImagesResponse];
  DescribeImages: [ecr.DescribeImagesRequest, ecr.DescribeImagesResponse];
  BatchGetImage: [ecr.BatchGetImageRequest, ecr.BatchGetImageResponse];
  BatchDeleteImage: [ecr.BatchDeleteImageRequest, ecr.BatchDeleteImageResponse];
  PutImage: [ecr.PutImageRequest, ecr.PutImageResponse];
  GetAuthorizationToken: [ecr.GetAuthorizationTokenRequest, ecr.GetAuthorizationTokenResponse];
  BatchCheckLayerAvailability: [ecr.BatchCheckLayerAvailabilityRequest, ecr.BatchCheckLayerAvailabilityResponse];
  GetDownloadUrlForLayer: [ecr.GetDownloadUrlForLayerRequest, ecr.GetDownloadUrlForLayerResponse];
  InitiateLayerUpload: [ecr.InitiateLayerUploadRequest, ecr.InitiateLayerUploadResponse];
  UploadLayerPart: [ecr.UploadLayerPartRequest, ecr.UploadLayerPartResponse];
  CompleteLayerUpload: [ecr.CompleteLayerUploadRequest, ecr.CompleteLayerUploadResponse];
  PutImageTagMutability: [ecr.PutImageTagMutabilityRequest, ecr.PutImageTagMutabilityResponse];
  PutImageScanningConfiguration: [ecr.PutImageScanningConfigurationRequest, ecr.PutImageScanningConfigurationResponse];
  SetRepositoryPolicy: [ecr.SetRepositoryPolicyRequest, ecr.SetRepositoryPolicyResponse];
  GetRepositoryPolicy: [ecr.GetRepositoryPolicyRequest, ecr.GetRepositoryPolicyResponse];
  DeleteRepositoryPolicy: [ecr.DeleteRepositoryPolicyRequest, ecr.DeleteRepositoryPolicyResponse];
  PutLifecyclePolicy: [ecr.PutLifecyclePolicyRequest, ecr.PutLifecyclePolicyResponse];
  GetLifecyclePolicy: [ecr.GetLifecyclePolicyRequest, ecr.GetLifecyclePolicyResponse];
  DeleteLifecyclePolicy: [ecr.DeleteLifecyclePolicyRequest, ecr.DeleteLifecyclePolicyResponse];
  StartLifecyclePolicyPreview: [ecr.StartLifecyclePolicyPreviewRequest, ecr.StartLifecyclePolicyPreviewResponse];
  GetLifecyclePolicyPreview: [ecr.GetLifecyclePolicyPreviewRequest, ecr.GetLifecyclePolicyPreviewResponse];
  TagResource: [ecr.TagResourceRequest, ecr.TagResourceResponse];
  UntagResource: [ecr.UntagResourceRequest, ecr.UntagResourceResponse];
  ListTagsForResource: [ecr.ListTagsForResourceRequest, ecr.ListTagsForResourceResponse];
  DescribeRegistry: [ecr.DescribeRegistryRequest, ecr.DescribeRegistryResponse];
  DescribeImageScanFindings: [ecr.DescribeImageScanFindingsRequest, ecr.DescribeImageScanFindingsResponse];
}
