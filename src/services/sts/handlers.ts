/**
 * STS operations: thin adapters from the wire's typed requests to the Sts domain, typed by the
 * @aws-sdk/client-sts aggregated client. The request context is the caller's scope.
 */
import type { STS } from "@aws-sdk/client-sts";
import { defineHandlers } from "../../aws/define-service.ts";
import type { HandlerTable, RequestContext } from "../../aws/service.ts";
import type { Sts } from "./sts.ts";

export function stsHandlers(s: Sts): HandlerTable {
  const caller = (c: RequestContext) => s.callerIdentity(c.accessKeyId, c);
  return defineHandlers<STS>()({
    GetCallerIdentity: (_i, c) => ({ ...caller(c) }),
    AssumeRole: (i, c) => s.assumeRole(caller(c), i),
    GetSessionToken: (i, c) => s.sessionToken(caller(c), i.DurationSeconds),
    GetAccessKeyInfo: (i, c) => ({ Account: s.accessKeyAccount(i.AccessKeyId!, c) }),
  });
}
