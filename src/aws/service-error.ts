/**
 * An AWS service error. `code` is the model's error shape name (e.g. "ClusterNotFoundException");
 * the protocol layer looks up that shape to decide the HTTP status, the fault and the wire code
 * (for awsQuery, the `awsQueryError` trait: "LoadBalancerNotFound"). Codes that are not shapes of
 * the service (SerializationException, ValidationError, ...) are sent as given with `status`.
 * Handlers throw these; they never build an error response themselves.
 */
export class ServiceError extends Error {
  readonly code: string;
  readonly status: number | undefined;
  /** Extra members of the error shape (e.g. ConflictException.resourceIds). */
  readonly fields: Readonly<Record<string, unknown>> | undefined;
  constructor(code: string, message: string, options?: { status?: number; fields?: Record<string, unknown> }) {
    super(message);
    this.name = code;
    this.code = code;
    this.status = options?.status;
    this.fields = options?.fields;
  }
}
