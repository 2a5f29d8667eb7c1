/**
 * The ECS documents as Slipway stores them, and its private bookkeeping (never sent on the wire).
 *
 * The SDK's shapes make every member optional because a client may omit them; the documents
 * Slipway writes always carry some of them. The `*Doc` types say which, so the domain and the
 * scheduler read them without non-null assertions. The repo returns them (it reads only
 * documents Slipway wrote); the API returns them as the SDK shapes they extend.
 */
import type {
  Attachment,
  Cluster,
  Container,
  ContainerDefinition,
  ContainerInstance,
  Deployment,
  DeploymentCircuitBreaker,
  DeploymentConfiguration,
  DeploymentRolloutState,
  LoadBalancer,
  NetworkConfiguration,
  NetworkInterface,
  PortMapping,
  Service,
  ServiceEvent,
  Task,
  TaskDefinition,
  TaskDefinitionStatus,
} from "@aws-sdk/client-ecs";

export interface ClusterDoc extends Cluster {
  clusterArn: string;
  clusterName: string;
  /** ACTIVE, or INACTIVE once deleted. */
  status: string;
}

/** Each cluster's one container instance: the Docker host. */
export interface ContainerInstanceDoc extends ContainerInstance {
  containerInstanceArn: string;
  ec2InstanceId: string;
}

/** maximumPercent, minimumHealthyPercent and the circuit breaker, with ECS's defaults filled in. */
export interface DeploymentConfigurationDoc extends DeploymentConfiguration {
  maximumPercent: number;
  minimumHealthyPercent: number;
  deploymentCircuitBreaker: DeploymentCircuitBreaker;
}

/** One of a service's deployments (PRIMARY first, then the ACTIVE ones it replaces). */
export interface DeploymentDoc extends Deployment {
  id: string;
  /** PRIMARY or ACTIVE. */
  status: string;
  taskDefinition: string;
  desiredCount: number;
  pendingCount: number;
  runningCount: number;
  failedTasks: number;
  createdAt: Date;
  updatedAt: Date;
  rolloutState: DeploymentRolloutState;
  rolloutStateReason: string;
}

export interface ServiceEventDoc extends ServiceEvent {
  id: string;
  createdAt: Date;
  message: string;
}

export interface ServiceDoc extends Service {
  serviceArn: string;
  serviceName: string;
  clusterArn: string;
  /** ACTIVE, DRAINING (deleted, tasks still stopping) or INACTIVE. */
  status: string;
  desiredCount: number;
  runningCount: number;
  pendingCount: number;
  taskDefinition: string;
  loadBalancers: LoadBalancer[];
  deploymentConfiguration: DeploymentConfigurationDoc;
  deployments: DeploymentDoc[];
  /** Newest first, at most 100. */
  events: ServiceEventDoc[];
  createdAt: Date;
}

export interface ContainerDoc extends Container {
  containerArn: string;
  taskArn: string;
  name: string;
  image: string;
  lastStatus: string;
  healthStatus: NonNullable<Container["healthStatus"]>;
  networkInterfaces: NetworkInterface[];
}

export interface TaskDoc extends Task {
  taskArn: string;
  clusterArn: string;
  taskDefinitionArn: string;
  /** RUNNING, or STOPPED once asked to stop. */
  desiredStatus: string;
  lastStatus: string;
  healthStatus: NonNullable<Task["healthStatus"]>;
  containers: ContainerDoc[];
  attachments: Attachment[];
  createdAt: Date;
  version: number;
}

/** A registered container definition: validated and normalised (see task-definitions.ts). */
export interface ContainerDefinitionDoc extends ContainerDefinition {
  name: string;
  image: string;
  essential: boolean;
  cpu: number;
  portMappings: PortMapping[];
}

/** One task definition revision. */
export interface TaskDefinitionDoc extends TaskDefinition {
  taskDefinitionArn: string;
  family: string;
  revision: number;
  status: TaskDefinitionStatus;
  containerDefinitions: ContainerDefinitionDoc[];
  registeredAt: Date;
}

/** What a deployment runs: a copy of the service configuration at the time it was made. */
export interface DeploymentSpec {
  taskDefinition: string;
  launchType?: string;
  platformVersion?: string;
  networkConfiguration?: NetworkConfiguration;
}

export interface DeploymentRecord {
  id: string;
  /** ServiceDeployment status: PENDING | IN_PROGRESS | SUCCESSFUL | STOPPED | ROLLBACK_* */
  status: string;
  statusReason?: string;
  serviceDeploymentArn: string;
  serviceRevisionArn: string;
  sourceRevisionArns: string[];
  spec: DeploymentSpec;
  createdAt: number;
  startedAt: number;
  finishedAt?: number;
  /** Set on a rollback deployment: the failed deployment it replaces. */
  rollbackFrom?: string;
}

export interface ServiceState {
  /** Every deployment this service has had, newest first (ListServiceDeployments reads this). */
  history: DeploymentRecord[];
  /** Id of the last deployment that completed, the circuit breaker's rollback target. */
  lastCompletedId?: string;
  /** True once "has reached a steady state" was said for the current steady period. */
  steady: boolean;
}

export interface TaskContainerState {
  name: string;
  dockerName: string;
  essential: boolean;
  runtimeId?: string;
}

export interface TaskState {
  family: string;
  serviceName?: string;
  serviceArn?: string;
  deploymentId?: string;
  networkMode: string;
  /** Reserved on the host while the task is not STOPPED. */
  cpu: number;
  memoryMiB: number;
  /** Static host ports this task reserves (bridge/host modes). */
  hostPorts: number[];
  containers: TaskContainerState[];
  /** Epoch ms when the task reached RUNNING. */
  runningAt?: number;
  /** Epoch ms when the task first counted as healthy (health check HEALTHY). */
  healthyAt?: number;
  /** True when essential containers define a health check. */
  hasHealthChecks: boolean;
  /** EC2 instance id of the container instance (instance-type target ids). */
  instanceId?: string;
  /** Load-balancer targets this task registered (service tasks with loadBalancers). */
  targets?: { targetGroupArn: string; id: string; port: number }[];
  /** Set once the targets were deregistered: the task may stop after `drainUntil` (epoch ms). */
  drainUntil?: number;
  /** The scheduler reported this task as failing health checks (the event is said once). */
  unhealthyReported?: boolean;
  /** The service said, in an event, why this task failed to start. */
  failureReported?: boolean;
  /** The deployment circuit breaker counted this task as failed. */
  countedFailure?: boolean;
  /** Why the task stopped in a way the circuit breaker counts (set when it stops). */
  failed?: boolean;
}

export const TASK_STATUS_ORDER = [
  "PROVISIONING",
  "PENDING",
  "ACTIVATING",
  "RUNNING",
  "DEACTIVATING",
  "STOPPING",
  "DEPROVISIONING",
  "STOPPED",
] as const;

export const isPendingStatus = (s: string | undefined) => s === "PROVISIONING" || s === "PENDING" || s === "ACTIVATING";

/** ECS's service-scheduler counts a task without health checks as healthy this long after RUNNING. */
export const NO_HEALTHCHECK_HEALTHY_AFTER_MS = 40_000;
