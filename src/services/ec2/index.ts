import { defineService } from "../../aws/define-service.ts";
import { lazyModel } from "../../aws/model/lazy.ts";
import type { ServiceDefinition } from "../../aws/service.ts";
import type { Ec2 } from "./ec2.ts";
import { ec2Handlers } from "./handlers.ts";

export const EC2_XML_NAMESPACE = "http://ec2.amazonaws.com/doc/2016-11-15/";

/** EC2 on the wire: ec2Query, API version 2016-11-15, model from @aws-sdk/client-ec2. */
export function ec2Service(ec2: Ec2): ServiceDefinition {
  return defineService({
    signingName: "ec2",
    protocol: "ec2Query",
    version: "2016-11-15",
    xmlNamespace: EC2_XML_NAMESPACE,
    model: lazyModel("@aws-sdk/client-ec2"),
    handlers: ec2Handlers(ec2),
    // EC2 does not answer with model validation errors: its resources check their own limits.
    traitErrors: false,
  });
}

export { Ec2, type Ec2Deps, type EniOwner, type NetworkInterfaceRequest } from "./ec2.ts";
