/**
 * GetAuthorizationToken: a registry password for the caller's account and region, valid for 12
 * hours, as `docker login` takes it (user `AWS`); see
 * https://docs.aws.amazon.com/AmazonECR/latest/userguide/registry_auth.html
 */
import type * as ecr from "@aws-sdk/client-ecr";
import type { Scope } from "../../core/arn.ts";
import type { EcrDeps } from "./context.ts";

export function authorizationToken(deps: EcrDeps, s: Scope): ecr.GetAuthorizationTokenResponse {
  const { authorizationToken, expiresAt } = deps.registry.issueAuthorizationToken(s, deps.clock.now());
  return { authorizationData: [{ authorizationToken, expiresAt: new Date(expiresAt), proxyEndpoint: `http://${deps.registryHost()}` }] };
}
