/**
 * ECS Exec: ExecuteCommand opens an interactive session into a running container of a task that
 * was started with enableExecuteCommand (RunTask/StartTask, or its service's setting), and
 * answers with the session's id, stream URL and token as AWS does. The session itself (a
 * WebSocket to a TTY process, see src/exec/) comes through the ExecSessionsPort.
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs-exec.html
 * https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ExecuteCommand.html
 */
import type { Container, ExecuteCommandRequest, ExecuteCommandResponse } from "@aws-sdk/client-ecs";
import { shortName } from "../../core/arn.ts";
import type { Clusters } from "./clusters.ts";
import type { CallScope } from "./context.ts";
import { invalidParameter } from "./errors.ts";
import type { EcsRepo, TaskRecord } from "./repo.ts";

/** What ExecuteCommand needs from the process that serves exec streams. */
export interface ExecSessionsPort {
  open(target: {
    accountId: string;
    region: string;
    taskArn: string;
    containerName: string;
    /** The container's name in the runtime. */
    runtimeContainer: string;
    command: string;
    /** Said in Slipway's log when the session starts: settings that do not apply here. */
    warning?: string;
  }): { sessionId: string; streamUrl: string; tokenValue: string };
}

/** AWS's answer for a task without ECS Exec, or whose agent (here: the task) is not running (observed text, curly apostrophe included). */
export const EXEC_NOT_ENABLED =
  "The execute command failed because execute command was not enabled when the task was run or the execute command agent isn’t running. Wait and try again or run a new task with execute command enabled and try again.";

export class EcsExec {
  readonly #repo: EcsRepo;
  readonly #clusters: Clusters;
  readonly #sessions: ExecSessionsPort | undefined;

  constructor(repo: EcsRepo, clusters: Clusters, sessions: ExecSessionsPort | undefined) {
    this.#repo = repo;
    this.#clusters = clusters;
    this.#sessions = sessions;
  }

  execute(scope: CallScope, input: ExecuteCommandRequest): ExecuteCommandResponse {
    const cluster = this.#clusters.require(scope, input.cluster);
    const clusterName = cluster.clusterName!;
    // ECS only opens interactive sessions (the API reference: "you must specify true").
    if (input.interactive !== true) throw invalidParameter("Interactive is the only mode supported currently.");
    const ref = input.task ?? "";
    const id = shortName(ref);
    if (!ref.startsWith("arn:") && id.length !== 32 && id.length !== 36) throw invalidParameter("task length should be one of [32,36]");
    const rec = this.#repo.getTask(scope, clusterName, id);
    if (!rec) throw invalidParameter("The referenced task was not found.");
    if (!rec.doc.enableExecuteCommand || rec.doc.lastStatus !== "RUNNING") throw invalidParameter(EXEC_NOT_ENABLED);
    const { container, runtimeName } = pickContainer(rec, input.container);
    if (container.lastStatus !== "RUNNING") throw invalidParameter(EXEC_NOT_ENABLED);
    const sessions = this.#sessions;
    if (!sessions) throw invalidParameter(EXEC_NOT_ENABLED);
    const warning = loggingWarning(cluster.clusterName!, cluster.configuration?.executeCommandConfiguration);
    const session = sessions.open({
      accountId: scope.accountId,
      region: scope.region,
      taskArn: rec.doc.taskArn!,
      containerName: container.name!,
      runtimeContainer: runtimeName,
      command: input.command ?? "",
      ...(warning ? { warning } : {}),
    });
    return {
      clusterArn: cluster.clusterArn!,
      containerArn: container.containerArn!,
      containerName: container.name!,
      interactive: true,
      session,
      taskArn: rec.doc.taskArn!,
    };
  }
}

/**
 * A cluster's executeCommandConfiguration asks AWS to record sessions (CloudWatch Logs or S3) or to
 * encrypt them with a KMS key; Slipway does neither, and says so when a session starts.
 */
export function loggingWarning(cluster: string, c: { logging?: string; kmsKeyId?: string } | undefined): string | undefined {
  const ignored: string[] = [];
  if (c?.logging === "OVERRIDE") ignored.push("logging OVERRIDE (session output to CloudWatch Logs / S3)");
  if (c?.kmsKeyId) ignored.push("kmsKeyId (session encryption)");
  return ignored.length
    ? `cluster ${cluster}'s executeCommandConfiguration ${ignored.join(" and ")} is not implemented by Slipway: the session is not recorded or encrypted`
    : undefined;
}

function pickContainer(rec: TaskRecord, name: string | undefined): { container: Container; runtimeName: string } {
  const containers = rec.doc.containers ?? [];
  let container: Container | undefined;
  if (name !== undefined && name !== "") {
    container = containers.find((c) => c.name === name);
    if (!container) throw invalidParameter(`The container ${name} does not exist in the task.`);
  } else if (containers.length === 1) {
    container = containers[0];
  } else {
    throw invalidParameter("A container name must be specified when the task has more than one container.");
  }
  const state = rec.state.containers.find((c) => c.name === container!.name);
  return { container: container!, runtimeName: state?.dockerName ?? `slipway-${rec.doc.taskArn!.split("/").pop()}-${container!.name}` };
}

/** The ExecuteCommandAgent entry DescribeTasks shows on each container of an exec-enabled task. */
export function execAgent(task: { enableExecuteCommand?: boolean; startedAt?: Date }, container: Container): Container["managedAgents"] {
  if (!task.enableExecuteCommand) return undefined;
  const status = container.lastStatus === "RUNNING" ? "RUNNING" : container.lastStatus === "STOPPED" ? "STOPPED" : "PENDING";
  return [{ name: "ExecuteCommandAgent", lastStatus: status, ...(task.startedAt && status !== "PENDING" ? { lastStartedAt: task.startedAt } : {}) }];
}
