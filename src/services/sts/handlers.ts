/** STS operations: thin adapters from @aws-sdk/client-sts request types to the Sts domain. */
import type * as sts from "@aws-sdk/client-sts";
import type { Handler, RequestContext } from "../../aws/service.ts";
import type { Sts } from "./sts.ts";

type Out<O> = Omit<O, "$metadata">;
type H<I, O> = (input: I, ctx: RequestContext) => Out<O> | Promise<Out<O>>;

export function stsHandlers(s: Sts): Record<string, Handler> {
  const caller = (c: RequestContext) => s.callerIdentity(c.accessKeyId, c.accountId);
  const handlers: { [K in keyof StsOps]: H<StsOps[K][0], StsOps[K][1]> } = {
    GetCallerIdentity: (_i, c) => ({ ...caller(c) }),
    AssumeRole: (i, c) => s.assumeRole(caller(c), i),
    GetSessionToken: (i, c) => s.sessionToken(caller(c), i.DurationSeconds),
    GetAccessKeyInfo: (i, c) => ({ Account: s.accessKeyAccount(i.AccessKeyId!, c.accountId) }),
  };
  return handlers as unknown as Record<string, Handler>;
}

interface StsOps {
  GetCallerIdentity: [sts.GetCallerIdentityCommandInput, sts.GetCallerIdentityCommandOutput];
  AssumeRole: [sts.AssumeRoleCommandInput, sts.AssumeRoleCommandOutput];
  GetSessionToken: [sts.GetSessionTokenCommandInput, sts.GetSessionTokenCommandOutput];
  GetAccessKeyInfo: [sts.GetAccessKeyInfoCommandInput, sts.GetAccessKeyInfoCommandOutput];
}
