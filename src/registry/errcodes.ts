/**
 * The one table of OCI distribution error codes (OCI distribution spec v1.1, "Error Codes":
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#error-codes), each with
 * its message and HTTP status. Handlers and storage throw `RegistryError`; only the dispatcher
 * writes `{"errors":[{"code","message","detail"}]}`.
 */
export const ERRCODES = {
  BLOB_UNKNOWN: { status: 404, message: "blob unknown to registry" },
  BLOB_UPLOAD_INVALID: { status: 400, message: "blob upload invalid" },
  BLOB_UPLOAD_UNKNOWN: { status: 404, message: "blob upload unknown to registry" },
  DIGEST_INVALID: { status: 400, message: "provided digest did not match uploaded content" },
  MANIFEST_BLOB_UNKNOWN: { status: 400, message: "manifest references a manifest or blob unknown to registry" },
  MANIFEST_INVALID: { status: 400, message: "manifest invalid" },
  MANIFEST_UNKNOWN: { status: 404, message: "manifest unknown to registry" },
  NAME_INVALID: { status: 400, message: "invalid repository name" },
  NAME_UNKNOWN: { status: 404, message: "repository name not known to registry" },
  // distribution's own code (registry/api/v2/errors.go) for a bad `n` of a paged list.
  PAGINATION_NUMBER_INVALID: { status: 400, message: "invalid number of results requested" },
  SIZE_INVALID: { status: 400, message: "provided length did not match content length" },
  TAG_INVALID: { status: 400, message: "manifest tag did not match URI" },
  UNAUTHORIZED: { status: 401, message: "authentication required" },
  DENIED: { status: 403, message: "requested access to the resource is denied" },
  UNSUPPORTED: { status: 405, message: "the operation is unsupported" },
  RANGE_INVALID: { status: 416, message: "invalid content range" },
  UNKNOWN: { status: 500, message: "unknown error" },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERRCODES;

export class RegistryError extends Error {
  readonly code: ErrorCode;
  readonly detail: unknown;
  constructor(code: ErrorCode, detail?: unknown, message?: string) {
    super(message ?? ERRCODES[code].message);
    this.name = "RegistryError";
    this.code = code;
    this.detail = detail;
  }
  get status(): number {
    return ERRCODES[this.code].status;
  }
  toJSON(): { errors: { code: string; message: string; detail: unknown }[] } {
    return { errors: [{ code: this.code, message: this.message, detail: this.detail ?? null }] };
  }
}
