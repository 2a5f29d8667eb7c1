/**
 * IAM on the wire: awsQuery 2010-05-08, model from @aws-sdk/client-iam. IAM is global: state is
 * scoped by account only and the signing region (us-east-1 for real clients) is ignored.
 *
 * Policies are stored, versioned, attached and returned exactly as AWS does, but NOT enforced:
 * every authenticated caller may call every API. Evaluating identity and resource policies on
 * requests is a later issue.
 */
import { defineService } from "../../aws/define-service.ts";
import { lazyModel } from "../../aws/model/lazy.ts";
import type { ServiceDefinition } from "../../aws/service.ts";
import { iamHandlers } from "./handlers.ts";
import type { Iam } from "./iam.ts";

export { Iam } from "./iam.ts";
export type { CallerIdentity, SecretLookup } from "./iam.ts";

export function iamService(iam: Iam): ServiceDefinition {
  return defineService({
    signingName: "iam",
    protocol: "awsQuery",
    version: "2010-05-08",
    xmlNamespace: "https://iam.amazonaws.com/doc/2010-05-08/",
    model: lazyModel("@aws-sdk/client-iam"),
    handlers: iamHandlers(iam),
  });
}
