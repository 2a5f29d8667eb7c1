/**
 * STS operations: thin adapters from the wire's typed requests to the Sts domain, typed by the
 * @aws-sdk/client-sts aggregated client. The request context is the caller's scope.
 */
import type { STS } from "@aws-sdk/client-sts";
import { defineHandlers } from "../../aws/define-service.ts";
import type { HandlerTable, RequestContext } from "../../aws/service.ts";
import { decodeAuthorizationMessage } from "../../authz/authorizer.ts";
import { ServiceError } from "../../aws/service-error.ts";
import type { Sts } from "./sts.ts";

export function stsHandlers(s: Sts, now: () => number): HandlerTable {
  const caller = (c: RequestContext) => s.callerIdentity(c.accessKeyId, c);
  return defineHandlers<STS>()({
    GetCallerIdentity: (_i, c) => ({ ...caller(c) }),
    AssumeRole: (i, c) => s.assumeRole(c.accessKeyId, c, i),
    AssumeRoleWithWebIdentity: (i) => s.assumeRoleWithWebIdentity(i, now()),
    GetSessionToken: (i, c) => s.sessionToken(c.accessKeyId, c, i.DurationSeconds),
    GetAccessKeyInfo: (i, c) => ({ Account: s.accessKeyAccount(i.AccessKeyId!, c) }),
    DecodeAuthorizationMessage: (i) => {
      const json = decodeAuthorizationMessage(i.EncodedMessage!);
      if (json === undefined) throw new ServiceError("InvalidAuthorizationMessageException", "The error message is invalid and could not be decoded.");
      return { DecodedMessage: json };
    },
  });
}
