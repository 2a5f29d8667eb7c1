/**
 * Resource policies on secrets: stored byte for byte, checked for JSON and a Statement, then by the
 * IAM policy grammar (src/authz/validate.ts, resource-policy flavour: a Principal is required), and
 * (with BlockPublicPolicy, or by ValidateResourcePolicy) for a Principal "*" without a Condition.
 * AWS's full checks (Zelkova's broad-access analysis, caller lock-out) are not run. See
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_PutResourcePolicy.html and
 * https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_ValidateResourcePolicy.html
 */
import type * as sm from "@aws-sdk/client-secrets-manager";
import { PolicyInvalid, validatePolicy as validateGrammar } from "../../authz/validate.ts";
import { constraint, malformedPolicy } from "./errors.ts";

interface Statement {
  Principal?: unknown;
  Condition?: unknown;
  Effect?: unknown;
}

/** The policy's statements, or MalformedPolicyDocumentException. */
export function parsePolicy(policy: string | undefined): Statement[] {
  const p = policy ?? "";
  if (p.length < 1 || p.length > 20480)
    throw constraint(undefined, "resourcePolicy", `Member must have length ${p.length < 1 ? "greater than or equal to 1" : "less than or equal to 20480"}`);
  let doc: unknown;
  try {
    doc = JSON.parse(p);
  } catch {
    throw malformedPolicy("This resource policy contains a syntax error.");
  }
  const st = typeof doc === "object" && doc !== null ? (doc as { Statement?: unknown }).Statement : undefined;
  if (st === undefined) throw malformedPolicy("This resource policy is missing the Statement element.");
  try {
    validateGrammar(p, "resource");
  } catch (err) {
    if (err instanceof PolicyInvalid) throw malformedPolicy(err.message);
    throw err;
  }
  return (Array.isArray(st) ? st : [st]) as Statement[];
}

const isPublic = (principal: unknown): boolean =>
  principal === "*" || (typeof principal === "object" && principal !== null && ([] as unknown[]).concat((principal as { AWS?: unknown }).AWS).includes("*"));

/** Statements that allow everyone with no condition. */
export function grantsPublicAccess(statements: readonly Statement[]): boolean {
  return statements.some((s) => s.Effect === "Allow" && isPublic(s.Principal) && s.Condition === undefined);
}

export function validatePolicy(policy: string | undefined): sm.ValidateResourcePolicyResponse {
  let statements: Statement[];
  try {
    statements = parsePolicy(policy);
  } catch (err) {
    return { PolicyValidationPassed: false, ValidationErrors: [{ CheckName: "SYNTAX_CHECK", ErrorMessage: (err as Error).message }] };
  }
  if (grantsPublicAccess(statements))
    return {
      PolicyValidationPassed: false,
      ValidationErrors: [{ CheckName: "PUBLIC_ACCESS_CHECK", ErrorMessage: "The policy allows Principal \"*\" without a Condition, which grants broad access to the secret." }],
    };
  return { PolicyValidationPassed: true, ValidationErrors: [] };
}
