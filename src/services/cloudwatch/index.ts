import { defineService } from "../../aws/define-service.ts";
import { lazyModel } from "../../aws/model/lazy.ts";
import type { ServiceDefinition } from "../../aws/service.ts";
import type { CloudWatch } from "./cloudwatch.ts";
import { cloudWatchHandlers } from "./handlers.ts";

export { type AlarmActions, type AlarmEvent } from "./alarms.ts";
export { CloudWatch, type CloudWatchDeps } from "./cloudwatch.ts";
export { type Dimension, type Sample } from "./metrics.ts";

/**
 * CloudWatch on the wire. Today's clients disagree on the protocol, so every one is answered in its
 * own: @aws-sdk/client-cloudwatch and botocore (the AWS CLI) send awsJson1_0 in query-compatible
 * mode, older SDKs and Terraform's provider before 6.50 send awsQuery, the Go v2 SDK (Terraform's
 * provider from 6.50), Rust and Ruby send smithy-rpc-v2-cbor.
 */
export function cloudWatchService(cw: CloudWatch): ServiceDefinition {
  return defineService({
    signingName: "monitoring",
    protocol: "awsJson1_0",
    alsoProtocols: ["awsQuery", "rpcv2Cbor"],
    awsQueryCompatible: true,
    targetPrefix: "GraniteServiceVersion20100801",
    version: "2010-08-01",
    xmlNamespace: "http://monitoring.amazonaws.com/doc/2010-08-01/",
    // CloudWatch words these itself (InvalidParameterValue, or ValidationError with its own member name).
    ownEnumChecks: ["GetMetricStatisticsInput.Statistics", "SetAlarmStateInput.StateValue", "PutMetricAlarmInput.TreatMissingData"],
    model: lazyModel("@aws-sdk/client-cloudwatch"),
    handlers: cloudWatchHandlers(cw),
  });
}
