/**
 * GetAuthorizationToken: a registry password for the caller's account and region, valid for 12
 * hours (at most as long as the caller's session), as `docker login` takes it (user `AWS`); see
 * https://docs.aws.amazon.com/AmazonECR/latest/userguide/registry_auth.html
 */
import type * as ecr from "@aws-sdk/client-ecr";
import type { Scope } from "../../core/arn.ts";
import type { EcrDeps } from "./context.ts";

export function authorizationToken(deps: EcrDeps, s: Scope, callerKey?: string): ecr.GetAuthorizationTokenResponse {
  const accessKeyId = callerKey && deps.iamKey?.(callerKey) ? callerKey : undefined;
  // The token carries the caller's key (its pulls and pushes are authorised as the caller) and
  // ends no later than the caller's temporary credentials.
  const notAfter = accessKeyId ? deps.sessionExpiry?.(accessKeyId) : undefined;
  const { authorizationToken, expiresAt } = deps.registry.issueAuthorizationToken(s, deps.clock.now(), accessKeyId, notAfter);
  return { authorizationData: [{ authorizationToken, expiresAt: new Date(expiresAt), proxyEndpoint: `http://${deps.registryHost()}` }] };
}
