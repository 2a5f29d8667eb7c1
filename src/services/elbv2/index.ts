import { defineService } from "../../aws/define-service.ts";
import { lazyModel } from "../../aws/model/lazy.ts";
import type { ServiceDefinition } from "../../aws/service.ts";
import type { Elbv2 } from "./elbv2.ts";
import { elbv2Handlers } from "./handlers.ts";

/** ELBv2 on the wire: awsQuery, API version 2015-12-01, model from @aws-sdk/client-elastic-load-balancing-v2. */
export function elbv2Service(elbv2: Elbv2): ServiceDefinition {
  return defineService({
    signingName: "elasticloadbalancing",
    protocol: "awsQuery",
    version: "2015-12-01",
    xmlNamespace: "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/",
    model: lazyModel("@aws-sdk/client-elastic-load-balancing-v2"),
    handlers: elbv2Handlers(elbv2),
  });
}
