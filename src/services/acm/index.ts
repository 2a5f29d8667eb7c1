/**
 * AWS Certificate Manager on the wire: awsJson1_1, X-Amz-Target prefix CertificateManager, model
 * from @aws-sdk/client-acm. Requested certificates come from a local CA per data directory
 * (authority.ts); private keys are sealed at rest (keystore.ts). Operations not listed in
 * handlers.ts (renewal, export, revocation, ACME) answer that Slipway does not implement them.
 */
import { defineService } from "../../aws/define-service.ts";
import { lazyModel } from "../../aws/model/lazy.ts";
import type { ServiceDefinition } from "../../aws/service.ts";
import type { Acm } from "./acm.ts";
import { acmHandlers } from "./handlers.ts";

export { Acm, type AcmDeps } from "./acm.ts";
export type { CertificateUsers, ServableCertificate } from "./certificates.ts";

export function acmService(acm: Acm): ServiceDefinition {
  return defineService({
    signingName: "acm",
    protocol: "awsJson1_1",
    targetPrefix: "CertificateManager",
    model: lazyModel("@aws-sdk/client-acm"),
    handlers: acmHandlers(acm),
  });
}
