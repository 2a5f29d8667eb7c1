/**
 * AWS's denial texts. The grammar
 *   User: <principal> is not authorized to perform: <action>[ on resource: <resource>] <reason>
 *   <reason> = because no <policy type> allows the <action> action
 *            | with an explicit deny in a(n) <policy type>[: <policy ARN>]
 * and the per-protocol errors: AccessDeniedException (JSON services, 400), AccessDenied (query
 * services, 403), UnauthorizedOperation (EC2, 403, with an encoded authorization message for
 * calls that change something).
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html
 */
import { ServiceError } from "../aws/service-error.ts";
import type { Protocol } from "../aws/service.ts";
import type { Decision } from "./evaluate.ts";

const article = (type: string) => (/^[aeiou]/.test(type) ? "an" : "a");

/** The reason clause of a denial. */
export function denialReason(action: string, d: Decision): string {
  const type = d.type ?? "identity-based policy";
  if (d.decision === "explicitDeny") return `with an explicit deny in ${article(type)} ${type}${d.policyArn ? `: ${d.policyArn}` : ""}`;
  return `because no ${type} allows the ${action} action`;
}

/** The full sentence; `resource` undefined leaves the "on resource" part out. */
export function denialMessage(principalArn: string, action: string, resource: string | undefined, d: Decision): string {
  return `User: ${principalArn} is not authorized to perform: ${action}${resource !== undefined ? ` on resource: ${resource}` : ""} ${denialReason(action, d)}`;
}

/** The error a service of this protocol answers with. `encoded`: EC2's encoded authorization message. */
export function denialError(protocol: Protocol, message: string, encoded?: string): ServiceError {
  if (protocol === "ec2Query") {
    return new ServiceError(
      "UnauthorizedOperation",
      `You are not authorized to perform this operation. ${message}${encoded ? `. Encoded authorization failure message: ${encoded}` : ""}`,
      { status: 403 },
    );
  }
  if (protocol === "awsQuery") return new ServiceError("AccessDenied", message, { status: 403 });
  return new ServiceError("AccessDeniedException", message, { status: 400 });
}
