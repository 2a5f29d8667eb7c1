/**
 * ECR operations: thin adapters from the wire's typed requests (@aws-sdk/client-ecr) to the
 * domain. The request context is the call's Scope.
 */
import type { ECR } from "@aws-sdk/client-ecr";
import { defineHandlers } from "../../aws/define-service.ts";
import type { HandlerTable } from "../../aws/service.ts";
import { tagShape } from "../common/tagging.ts";
import { authorizationToken } from "./auth.ts";
import type { Ecr } from "./ecr.ts";

const tags = tagShape("Key", "Value");

export function ecrHandlers(e: Ecr): HandlerTable {
  return defineHandlers<ECR>()({
    CreateRepository: (i, c) => ({ repository: e.repositories.create(c, i, tags.read(i.tags)) }),
    DescribeRepositories: (i, c) => e.repositories.describe(c, i),
    DeleteRepository: (i, c) => ({ repository: e.repositories.delete(c, i) }),
    PutImageTagMutability: (i, c) => e.repositories.putImageTagMutability(c, i),
    PutImageScanningConfiguration: (i, c) => e.repositories.putImageScanningConfiguration(c, i),
    DescribeRegistry: (_i, c) => e.repositories.describeRegistry(c),
    GetAuthorizationToken: (_i, c) => authorizationToken(e.deps, c, c.accessKeyId),

    ListImages: (i, c) => e.images.list(c, i),
    DescribeImages: (i, c) => e.images.describe(c, i),
    BatchGetImage: (i, c) => e.images.batchGet(c, i),
    BatchDeleteImage: (i, c) => e.images.batchDelete(c, i),
    PutImage: (i, c) => ({ image: e.images.put(c, i) }),
    DescribeImageScanFindings: (i, c) => e.images.describeScanFindings(c, i),

    BatchCheckLayerAvailability: (i, c) => e.layers.batchCheckAvailability(c, i),
    GetDownloadUrlForLayer: (i, c) => e.layers.downloadUrl(c, i),
    InitiateLayerUpload: (i, c) => e.layers.initiateUpload(c, i),
    UploadLayerPart: (i, c) => e.layers.uploadPart(c, i),
    CompleteLayerUpload: (i, c) => e.layers.completeUpload(c, i),

    SetRepositoryPolicy: (i, c) => e.policies.setRepositoryPolicy(c, i),
    GetRepositoryPolicy: (i, c) => e.policies.getRepositoryPolicy(c, i),
    DeleteRepositoryPolicy: (i, c) => e.policies.deleteRepositoryPolicy(c, i),
    PutLifecyclePolicy: (i, c) => e.policies.putLifecyclePolicy(c, i),
    GetLifecyclePolicy: (i, c) => e.policies.getLifecyclePolicy(c, i),
    DeleteLifecyclePolicy: (i, c) => e.policies.deleteLifecyclePolicy(c, i),
    StartLifecyclePolicyPreview: (i, c) => e.policies.startPreview(c, i),
    GetLifecyclePolicyPreview: (i, c) => e.policies.getPreview(c, i),

    TagResource: (i) => (e.tagging.tag(i.resourceArn ?? "", tags.read(i.tags)), {}),
    UntagResource: (i) => (e.tagging.untag(i.resourceArn ?? "", i.tagKeys ?? []), {}),
    ListTagsForResource: (i) => ({ tags: tags.write(e.tagging.list(i.resourceArn ?? "")) }),
  });
}
