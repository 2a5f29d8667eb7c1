/**
 * The contract between the AWS wire layer (src/aws) and the services (src/services/*).
 * A service declares its protocol constants and its handlers; everything about the wire
 * (parsing, validation, serialization, errors) comes from the official model shipped in the
 * matching @aws-sdk/client-* package, walked by src/aws/model.
 */
export type Protocol = "awsJson1_0" | "awsJson1_1" | "awsQuery" | "ec2Query" | "rpcv2Cbor";

export interface RequestContext {
  readonly requestId: string;
  /** 12-digit account id, from the access key (or the configured default). */
  readonly accountId: string;
  /** Region from the SigV4 credential scope (or the configured default). */
  readonly region: string;
  readonly service: string;
  readonly operation: string;
  readonly accessKeyId: string | undefined;
  /** The caller's principal ARN, e.g. arn:aws:iam::123456789012:root. */
  readonly principalArn: string;
}

// biome-ignore lint: handler inputs are the SDK's typed request shapes; the gateway only sees unknown.
export type Handler = (input: any, ctx: RequestContext) => unknown;

export interface ServiceDefinition {
  /** SigV4 signing name (credential scope service), e.g. "ecs", "elasticloadbalancing". */
  readonly signingName: string;
  readonly protocol: Protocol;
  /**
   * Further protocols the service answers (CloudWatch: awsQuery for older SDKs and Terraform's
   * provider, smithy-rpc-v2-cbor for newer Go/Rust/Ruby SDKs, besides awsJson1_0). Each request
   * is answered in the protocol it was sent in.
   */
  readonly alsoProtocols?: readonly Protocol[];
  /**
   * awsJson/CBOR in query-compatible mode: errors also carry `x-amzn-query-error: <Code>;Sender`,
   * from which clients take the query error code.
   */
  readonly awsQueryCompatible?: boolean;
  /**
   * `Structure.Member` enum checks the generic validator skips, because the service itself
   * answers them with AWS's own wording (CloudWatch's `Statistics.member.1` message).
   */
  readonly ownEnumChecks?: readonly string[];
  /** JSON protocols: the X-Amz-Target prefix, e.g. "AmazonEC2ContainerServiceV20141113". */
  readonly targetPrefix?: string;
  /** Query protocols: the API Version, e.g. "2015-12-01". */
  readonly version?: string;
  /** Query protocols: the XML namespace of responses. */
  readonly xmlNamespace?: string;
  /**
   * The module namespace of the service's @aws-sdk/client-* package, or a function that loads
   * it on first use (see lazyModel: keeps start-up fast and memory small, since each client
   * package is tens of MB). Operation schemas are looked up as `${Operation}$`, error schemas as
   * `${ErrorName}$`.
   */
  readonly model: Readonly<Record<string, unknown>> | (() => Readonly<Record<string, unknown>>);
  readonly handlers: HandlerTable;
  /**
   * The error code for a violation of the model's length and range traits, when the service
   * answers them with its own (CloudWatch Logs and ECR: InvalidParameterException); false when the
   * service checks lengths and ranges itself (EC2 and IAM, with their own limits and messages).
   * Default: the protocol's validation error (ValidationException, ValidationError).
   */
  readonly traitErrors?: string | false;
  /** Operations called without AWS credentials (STS AssumeRoleWithWebIdentity): strict SigV4 lets them through unsigned. */
  readonly unsignedOperations?: readonly string[];
}

/** Operation name → handler; built with defineHandlers (src/aws/define-service.ts). */
export type HandlerTable = Readonly<Record<string, Handler | undefined>>;
