/**
 * The permission checks the ECS agent's work meets at task start, with IAM enforcement on: ECS
 * assumes the task's roles (their trust must allow ecs-tasks.amazonaws.com), then, as the
 * execution role's session (arn:aws:sts::<acct>:assumed-role/<role>/<task id>), reads the secrets
 * (secretsmanager:GetSecretValue, ssm:GetParameters), gets the registry's auth
 * (ecr:GetAuthorizationToken), pulls Slipway-hosted images (ecr:BatchCheckLayerAvailability,
 * GetDownloadUrlForLayer, BatchGetImage) and creates the awslogs streams (logs:CreateLogGroup when
 * asked, logs:CreateLogStream, logs:PutLogEvents). The first refusal stops the task with ECS's text.
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task_execution_IAM_role.html
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html
 */
import type { ContainerDefinition } from "@aws-sdk/client-ecs";
import { parseArn, type Scope, shortName } from "../../core/arn.ts";
import { awslogsTarget } from "../../awslogs/shipper.ts";
import { classify } from "./secrets.ts";

/** IAM as these checks see it (implemented over the authorizer in src/server/ports.ts). */
export interface RolePermissions {
  /** Whether the role exists and its trust policy lets ecs-tasks.amazonaws.com assume it. */
  assumable(roleArn: string): boolean;
  /** The denial text ("User: … is not authorized to perform: …") of an API call made as the role's session, or undefined. */
  denied(roleArn: string, sessionName: string, scope: Scope, call: { service: string; operation: string; input: Record<string, unknown> }): string | undefined;
}

export interface TaskToCheck {
  readonly taskArn: string;
  readonly executionRoleArn?: string | undefined;
  readonly taskRoleArn?: string | undefined;
  readonly scope: Scope;
  readonly containers: readonly ContainerDefinition[];
  /** The repository of an image Slipway's registry serves, else undefined. */
  readonly repositoryOf: (image: string) => string | undefined;
}

const RETRIEVAL = "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: ";

export class TaskPermissionChecks {
  readonly #roles: RolePermissions;
  readonly #requestId: () => string;
  constructor(roles: RolePermissions, requestId: () => string) {
    this.#roles = roles;
    this.#requestId = requestId;
  }

  /** The stopped reason of the first refused step, or undefined when the task may start. */
  check(t: TaskToCheck): string | undefined {
    for (const role of [t.executionRoleArn, t.taskRoleArn]) {
      if (role && !this.#roles.assumable(role)) {
        return `ECS was unable to assume the role '${role}' that was provided for this task. Please verify that the role being passed has the proper trust relationship and permissions and that your IAM user has permissions to pass this role.`;
      }
    }
    const exec = t.executionRoleArn;
    if (!exec) return undefined;
    const taskId = shortName(t.taskArn);
    const denied = (scope: Scope, service: string, operation: string, input: Record<string, unknown>) => this.#roles.denied(exec, taskId, scope, { service, operation, input });
    const sdk = (service: string, operation: string, message: string) =>
      `operation error ${service}: ${operation}, https response error StatusCode: 400, RequestID: ${this.#requestId()}, api error AccessDeniedException: ${message}`;

    // Secrets (secrets and secretOptions), in the agent's order: Secrets Manager, then SSM.
    const refs = t.containers.flatMap((c) => [...(c.secrets ?? []), ...(c.logConfiguration?.secretOptions ?? [])]).map((s) => classify(s.valueFrom ?? "", t.scope));
    for (const r of refs) {
      if (r.kind !== "asm") continue;
      const m = denied(r.ref.scope, "secretsmanager", "GetSecretValue", { SecretId: r.ref.secretId });
      if (m) {
        return `${RETRIEVAL}unable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret ${r.ref.secretId} from secrets manager: ${sdk("Secrets Manager", "GetSecretValue", m)}.`;
      }
    }
    for (const r of refs) {
      if (r.kind !== "ssm") continue;
      const m = denied(r.ref.scope, "ssm", "GetParameters", { Names: [r.ref.name] });
      if (m) return `${RETRIEVAL}unable to retrieve secrets from ssm: service call has been retried 1 time(s): ${sdk("SSM", "GetParameters", m)}`;
    }

    // Registry auth, then the pull of each Slipway-hosted image.
    const local = t.containers.flatMap((c) => {
      const repo = c.image ? t.repositoryOf(c.image) : undefined;
      return repo ? [{ image: c.image!, repo }] : [];
    });
    if (local.length > 0) {
      const m = denied(t.scope, "ecr", "GetAuthorizationToken", {});
      if (m) return `${RETRIEVAL}unable to retrieve ecr registry auth: service call has been retried 3 time(s): ${sdk("ECR", "GetAuthorizationToken", m)}`;
    }
    for (const { image, repo } of local) {
      for (const operation of ["BatchCheckLayerAvailability", "GetDownloadUrlForLayer", "BatchGetImage"]) {
        const m = denied(t.scope, "ecr", operation, { repositoryName: repo });
        if (m) {
          const uri = image.replace(/[:@][^/]*$/, "");
          return `CannotPullContainerError: pull access denied for ${uri}, repository does not exist or may require 'docker login': denied: ${m}`;
        }
      }
    }

    // awslogs: the group (when the task asks to create it), then each container's stream.
    for (const c of t.containers) {
      const target = awslogsTarget({ ...c, name: c.name ?? "" }, taskId);
      if (!target) continue;
      const scope = target.region ? { accountId: t.scope.accountId, region: target.region } : t.scope;
      const base = "ResourceInitializationError: failed to validate logger args: ";
      if (target.createGroup) {
        const m = denied(scope, "logs", "CreateLogGroup", { logGroupName: target.group });
        if (m) return `${base}failed to create Cloudwatch log group: ${sdk("CloudWatch Logs", "CreateLogGroup", m)}`;
      }
      for (const operation of ["CreateLogStream", "PutLogEvents"]) {
        const m = denied(scope, "logs", operation, { logGroupName: target.group, logStreamName: target.stream });
        if (m) return `${base}create stream has been retried 1 times: failed to create Cloudwatch log stream: ${sdk("CloudWatch Logs", operation, m)}`;
      }
    }
    return undefined;
  }
}

/** The account of a role ARN (the task's account otherwise). */
export const roleAccount = (roleArn: string, fallback: string): string => parseArn(roleArn)?.accountId ?? fallback;
