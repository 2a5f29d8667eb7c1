/** ECS reads the views share (all through the API), and the shapes they use. */
import { call, callAll } from "./api.ts";

export interface Deployment {
  id: string;
  status: string;
  taskDefinition: string;
  desiredCount: number;
  pendingCount: number;
  runningCount: number;
  failedTasks: number;
  createdAt: string;
  updatedAt: string;
  rolloutState?: string;
  rolloutStateReason?: string;
}

export interface ServiceEvent {
  id: string;
  createdAt: string;
  message: string;
}

export interface Service {
  serviceArn: string;
  serviceName: string;
  clusterArn: string;
  status: string;
  desiredCount: number;
  runningCount: number;
  pendingCount: number;
  taskDefinition: string;
  deployments: Deployment[];
  events: ServiceEvent[];
  loadBalancers?: { targetGroupArn?: string; containerName?: string; containerPort?: number }[];
  enableExecuteCommand?: boolean;
  launchType?: string;
  deploymentConfiguration?: {
    maximumPercent?: number;
    minimumHealthyPercent?: number;
    deploymentCircuitBreaker?: { enable?: boolean; rollback?: boolean };
  };
  networkConfiguration?: { awsvpcConfiguration?: { subnets?: string[]; securityGroups?: string[] } };
}

export interface Container {
  containerArn: string;
  name: string;
  image: string;
  lastStatus: string;
  healthStatus?: string;
  exitCode?: number;
  reason?: string;
  networkBindings?: { bindIP?: string; containerPort?: number; hostPort?: number; protocol?: string }[];
  networkInterfaces?: { privateIpv4Address?: string; attachmentId?: string }[];
  managedAgents?: { name?: string; lastStatus?: string }[];
}

export interface Task {
  taskArn: string;
  clusterArn: string;
  taskDefinitionArn: string;
  lastStatus: string;
  desiredStatus: string;
  healthStatus?: string;
  startedBy?: string;
  group?: string;
  createdAt?: string;
  startedAt?: string;
  stoppedAt?: string;
  stopCode?: string;
  stoppedReason?: string;
  launchType?: string;
  enableExecuteCommand?: boolean;
  containers: Container[];
  attachments?: { id?: string; type?: string; status?: string; details?: { name?: string; value?: string }[] }[];
}

export interface Cluster {
  clusterArn: string;
  clusterName: string;
  status: string;
  runningTasksCount: number;
  pendingTasksCount: number;
  activeServicesCount: number;
}

function chunks<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export async function clusters(): Promise<Cluster[]> {
  const arns = await callAll<string>("ecs", "ListClusters", {}, "clusterArns");
  const out: Cluster[] = [];
  for (const c of chunks(arns, 100)) out.push(...((await call("ecs", "DescribeClusters", { clusters: c })).clusters as Cluster[]));
  return out.sort((a, b) => a.clusterName.localeCompare(b.clusterName));
}

export async function services(cluster: string): Promise<Service[]> {
  const arns = await callAll<string>("ecs", "ListServices", { cluster }, "serviceArns");
  const out: Service[] = [];
  for (const c of chunks(arns, 10)) out.push(...((await call("ecs", "DescribeServices", { cluster, services: c })).services as Service[]));
  return out;
}

export async function describeService(cluster: string, service: string): Promise<Service | undefined> {
  const r = await call("ecs", "DescribeServices", { cluster, services: [service] });
  return (r.services as Service[])[0];
}

export async function describeTasks(cluster: string, taskArns: string[]): Promise<Task[]> {
  const out: Task[] = [];
  for (const c of chunks(taskArns, 100)) out.push(...((await call("ecs", "DescribeTasks", { cluster, tasks: c })).tasks as Task[]));
  return out;
}

/** A service's tasks: running ones and those stopped recently (ECS keeps them visible for a while). */
export async function serviceTasks(cluster: string, service: string): Promise<Task[]> {
  const running = await callAll<string>("ecs", "ListTasks", { cluster, serviceName: service }, "taskArns");
  const stopped = await callAll<string>("ecs", "ListTasks", { cluster, serviceName: service, desiredStatus: "STOPPED" }, "taskArns");
  const tasks = await describeTasks(cluster, [...running, ...stopped]);
  return tasks.sort((a, b) => (b.createdAt ?? "").localeCompare(a.createdAt ?? ""));
}

/** How a service is doing, worst first: 3 failed, 2 degraded, 1 deploying, 0 fine. */
export function serviceHealth(s: Service): { rank: number; label: string; tone: "bad" | "busy" | "good" } {
  const primary = s.deployments.find((d) => d.status === "PRIMARY");
  if (primary?.rolloutState === "FAILED") return { rank: 3, label: "Deployment failed", tone: "bad" };
  if (s.status !== "ACTIVE") return { rank: 0, label: s.status, tone: "busy" };
  if (s.runningCount < s.desiredCount && primary?.rolloutState !== "IN_PROGRESS") return { rank: 2, label: `Degraded (${s.runningCount} of ${s.desiredCount} running)`, tone: "bad" };
  if (s.deployments.length > 1 || primary?.rolloutState === "IN_PROGRESS") return { rank: 1, label: "Deploying", tone: "busy" };
  return { rank: 0, label: "Steady", tone: "good" };
}

/** "family:revision" of a task definition ARN. */
export function revisionOf(taskDefinitionArn: string | undefined): string {
  return taskDefinitionArn?.split("/").pop() ?? "—";
}

/** Does a change key concern this cluster's ECS resources? */
export function ecsKeyIn(key: string, clusterName: string | undefined): boolean {
  if (key.startsWith("api:")) return /:ecs:/.test(key);
  if (!key.startsWith("service:") && !key.startsWith("task:")) return false;
  if (!clusterName) return true;
  return key.includes(`/${clusterName}/`);
}
