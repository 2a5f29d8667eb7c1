/**
 * IAM on the wire: awsQuery 2010-05-08, model from @aws-sdk/client-iam. IAM is global: state is
 * scoped by account only and the signing region (us-east-1 for real clients) is ignored.
 *
 * Policies are stored, versioned, attached and returned exactly as AWS does; with IAM enforcement
 * on, src/authz evaluates them on every request (principals.ts says who a key acts as). Every
 * write bumps `Iam.epoch`, which drops the cached views of principals' policies.
 */
import { defineService } from "../../aws/define-service.ts";
import { lazyModel } from "../../aws/model/lazy.ts";
import type { Handler, HandlerTable, ServiceDefinition } from "../../aws/service.ts";
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
    handlers: bumpingEpoch(iam, iamHandlers(iam)),
    // IAM checks names, ARNs, paths and durations itself, with its own codes and messages.
    traitErrors: false,
  });
}

/** Handlers whose calls change IAM (anything but Get*, List*, Simulate*) bump the policy epoch. */
function bumpingEpoch(iam: Iam, handlers: HandlerTable): HandlerTable {
  const out: Record<string, Handler | undefined> = {};
  for (const [name, h] of Object.entries(handlers)) {
    if (!h || /^(Get|List|Simulate)/.test(name)) out[name] = h;
    else
      out[name] = (input, ctx) => {
        try {
          return h(input, ctx);
        } finally {
          iam.epoch++;
        }
      };
  }
  return out;
}
