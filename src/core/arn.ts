/** The one place ARNs are built and parsed, and the one scope type (account and region). */
export interface Scope {
  readonly accountId: string;
  readonly region: string;
}

export function arn(service: string, scope: Scope, resource: string, opts?: { global?: boolean }): string {
  return `arn:aws:${service}:${opts?.global ? "" : scope.region}:${scope.accountId}:${resource}`;
}

export interface ParsedArn {
  partition: string;
  service: string;
  region: string;
  accountId: string;
  resource: string;
}

export function parseArn(value: string): ParsedArn | undefined {
  if (!value.startsWith("arn:")) return undefined;
  const parts = value.split(":");
  if (parts.length < 6) return undefined;
  return {
    partition: parts[1]!,
    service: parts[2]!,
    region: parts[3]!,
    accountId: parts[4]!,
    resource: parts.slice(5).join(":"),
  };
}

/**
 * "name" or "arn:...:kind/name" or "arn:...:kind/cluster/name" → the last path segment.
 * Every ECS cluster/service/task argument accepts either form.
 */
export function shortName(nameOrArn: string): string {
  const parsed = parseArn(nameOrArn);
  if (!parsed) return nameOrArn;
  const segments = parsed.resource.split("/");
  return segments[segments.length - 1]!;
}
