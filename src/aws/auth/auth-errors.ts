/**
 * SigV4 failures as each protocol family reports them: JSON services (InvalidSignatureException,
 * UnrecognizedClientException, IncompleteSignatureException), awsQuery services
 * (SignatureDoesNotMatch, InvalidClientTokenId, IncompleteSignature) and EC2 (AuthFailure,
 * RequestExpired). See https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html
 * and https://docs.aws.amazon.com/IAM/latest/APIReference/CommonErrors.html.
 */
import type { Protocol } from "../service.ts";
import { ServiceError } from "../service-error.ts";
import type { AuthFailure } from "./sigv4.ts";

const SIGNATURE_MESSAGE =
  "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";
const TOKEN_MESSAGE = "The security token included in the request is invalid.";
const MISSING_MESSAGE = "Missing Authentication Token";

export function authError(failure: AuthFailure, protocol: Protocol, message?: string): ServiceError {
  if (protocol === "ec2Query") {
    if (failure === "missing") return new ServiceError("MissingAuthenticationToken", MISSING_MESSAGE, { status: 401 });
    if (failure === "expired") return new ServiceError("RequestExpired", "Request has expired.", { status: 400 });
    if (failure === "incomplete") return new ServiceError("IncompleteSignature", message ?? "", { status: 400 });
    const text = failure === "unknown-key" ? "AWS was not able to validate the provided access credentials" : SIGNATURE_MESSAGE;
    return new ServiceError("AuthFailure", text, { status: 401 });
  }
  if (protocol === "awsQuery") {
    if (failure === "missing") return new ServiceError("MissingAuthenticationToken", MISSING_MESSAGE, { status: 403 });
    if (failure === "unknown-key") return new ServiceError("InvalidClientTokenId", TOKEN_MESSAGE, { status: 403 });
    if (failure === "incomplete") return new ServiceError("IncompleteSignature", message ?? "", { status: 400 });
    return new ServiceError("SignatureDoesNotMatch", failure === "expired" ? (message ?? SIGNATURE_MESSAGE) : SIGNATURE_MESSAGE, { status: 403 });
  }
  if (failure === "missing") return new ServiceError("MissingAuthenticationTokenException", MISSING_MESSAGE, { status: 400 });
  if (failure === "unknown-key") return new ServiceError("UnrecognizedClientException", TOKEN_MESSAGE, { status: 400 });
  if (failure === "incomplete") return new ServiceError("IncompleteSignatureException", message ?? "", { status: 400 });
  return new ServiceError("InvalidSignatureException", failure === "expired" ? (message ?? SIGNATURE_MESSAGE) : SIGNATURE_MESSAGE, { status: 400 });
}
