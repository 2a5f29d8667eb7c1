import { defineService } from "../../aws/define-service.ts";
import { lazyModel } from "../../aws/model/lazy.ts";
import type { ServiceDefinition } from "../../aws/service.ts";
import type { Iam } from "../iam/iam.ts";
import { stsHandlers } from "./handlers.ts";
import { Sts } from "./sts.ts";
import type { OidcIssuer } from "../../oidc/issuer.ts";

/**
 * STS on the wire: awsQuery 2011-06-15, model from @aws-sdk/client-sts. Identities and temporary
 * credentials live in the IAM domain (`iam.lookupSecret` resolves the keys AssumeRole issues).
 */
export function stsService(iam: Iam, opts: { enforce?: boolean; issuer?: OidcIssuer | undefined } = {}): ServiceDefinition {
  return defineService({
    signingName: "sts",
    protocol: "awsQuery",
    version: "2011-06-15",
    xmlNamespace: "https://sts.amazonaws.com/doc/2011-06-15/",
    model: lazyModel("@aws-sdk/client-sts"),
    handlers: stsHandlers(new Sts({ iam, enforce: opts.enforce ?? false, issuer: opts.issuer }), () => iam.deps.clock.now()),
    // Calls made with a token instead of AWS credentials.
    unsignedOperations: ["AssumeRoleWithWebIdentity", "AssumeRoleWithSAML"],
  });
}
