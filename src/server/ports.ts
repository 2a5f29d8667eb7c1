/**
 * The adapters between services: each implements the narrow port one service declares (in its own
 * folder) over another service's domain. The composition root builds them; no service imports
 * another service's domain.
 */
import { parseArn } from "../core/arn.ts";
import type { Clock } from "../core/clock.ts";
import { TOKEN_TTL_MS } from "../registry/auth.ts";
import type { Registry } from "../registry/registry.ts";
import type { LocalImages } from "../scheduler/task-reconciler.ts";
import type { Ec2 } from "../services/ec2/ec2.ts";
import { toRegistryImage } from "../services/ecr/image-ref.ts";
import type { LoadBalancing } from "../services/ecs/load-balancing.ts";
import type { TaskNetworking } from "../services/ecs/networking.ts";
import type { Elbv2 } from "../services/elbv2/elbv2.ts";
import type { LoadBalancerNetworking } from "../services/elbv2/networking.ts";
import type { EcsRepo } from "../services/ecs/repo.ts";
import type { ReporterSource } from "./reporter.ts";

/** ELBv2 as the ECS scheduler sees it (src/services/ecs/load-balancing.ts). */
export function loadBalancingPort(elbv2: Elbv2): LoadBalancing {
  const scopeOf = (arn: string) => {
    const p = parseArn(arn);
    return { accountId: p?.accountId ?? "", region: p?.region ?? "" };
  };
  return {
    targetGroup: (arn) => elbv2.targetGroup(arn),
    register: (tg, t) => elbv2.registerTargets(scopeOf(tg), tg, [t]),
    deregister: (tg, t) => elbv2.deregisterTargets(scopeOf(tg), tg, [t]),
    health: (tg, id, port) => {
      const h = elbv2.targetHealth(tg, id, port);
      return h ? { state: h.State ?? "initial", reason: h.Reason, description: h.Description } : undefined;
    },
  };
}

/** EC2 as awsvpc tasks see it (src/services/ecs/networking.ts). */
export function taskNetworkingPort(ec2: Ec2): TaskNetworking {
  return {
    subnetVpc: (scope, id) => ec2.vpcOf(scope, "subnet", id),
    securityGroupVpc: (scope, id) => ec2.vpcOf(scope, "security-group", id),
    attach: (scope, req) => {
      const eni = ec2.networkInterfaceFor(scope, {
        owner: { kind: "ecs-task", attachmentId: req.attachmentId },
        subnetId: req.subnetId,
        securityGroupIds: req.securityGroupIds,
      });
      return { networkInterfaceId: eni.NetworkInterfaceId ?? "", macAddress: eni.MacAddress };
    },
    release: (scope, attachmentId) => void ec2.releaseNetworkInterfaces(scope, { kind: "ecs-task", attachmentId }),
    attachments: () => ec2.taskAttachments(),
  };
}

/** EC2 as load balancers see it (src/services/elbv2/networking.ts). */
export function loadBalancerNetworkingPort(ec2: Ec2): LoadBalancerNetworking {
  const owner = (lb: { name: string; id: string }) => ({ kind: "elb", loadBalancerName: lb.name, loadBalancerId: lb.id, lbType: "app" }) as const;
  return {
    subnet: (scope, id) => {
      const vpcId = ec2.vpcOf(scope, "subnet", id);
      const zoneName = ec2.zoneOf(scope, id);
      return vpcId && zoneName ? { vpcId, zoneName } : undefined;
    },
    securityGroupVpc: (scope, id) => ec2.vpcOf(scope, "security-group", id),
    defaultSecurityGroup: (scope, vpcId) => ec2.defaultSecurityGroup(scope, vpcId).GroupId ?? "",
    attach: (scope, lb, subnetIds, groups) => {
      for (const subnetId of subnetIds) ec2.networkInterfaceFor(scope, { owner: owner(lb), subnetId, securityGroupIds: groups });
    },
    release: (scope, lb, keep) => void ec2.releaseNetworkInterfaces(scope, owner(lb), keep),
  };
}

/**
 * Slipway's own registry as the task reconciler sees it: an image named by an ECR URI of an account
 * Slipway hosts is pulled from the loopback registry with a fresh token.
 */
export function localImagesPort(deps: {
  clock: Clock;
  registry: Registry;
  port: number;
  hostedAccounts: ReadonlySet<string>;
}): LocalImages {
  const { clock, registry, port, hostedAccounts } = deps;
  return {
    resolve: (image, task) => {
      const ref = toRegistryImage(image, {
        port,
        accountId: task.account,
        region: task.region,
        hostsAccount: (a) => hostedAccounts.has(a) || registry.meta.hasRepositories(a),
      });
      if (!ref) return undefined;
      const password = registry.auth.issueToken({ accountId: ref.accountId, region: ref.region, expiresAt: clock.now() + TOKEN_TTL_MS });
      return { pullRef: ref.pullRef, repository: ref.repository, auth: { username: "AWS", password, serveraddress: ref.registryHost } };
    },
  };
}

/** ECS as the terminal reporter sees it (src/server/reporter.ts). */
export function reporterSource(repo: EcsRepo): ReporterSource {
  const clusterOf = (arn: string) => arn.split(":").slice(5).join(":").split("/")[1] ?? "";
  return {
    service: (arn) => {
      const p = parseArn(arn);
      if (!p) return undefined;
      const [, cluster = "", name = ""] = p.resource.split("/");
      const rec = repo.getService({ accountId: p.accountId, region: p.region }, cluster, name);
      if (!rec) return undefined;
      return {
        serviceName: rec.doc.serviceName ?? name,
        clusterName: cluster,
        deployments: (rec.doc.deployments ?? []).map((d) => ({
          id: d.id ?? "",
          status: d.status ?? "",
          taskDefinition: d.taskDefinition ?? "",
          desiredCount: d.desiredCount ?? 0,
          runningCount: repo.serviceTaskCounts({ accountId: p.accountId, region: p.region }, cluster, name).get(d.id ?? "")?.running ?? 0,
          failedTasks: d.failedTasks ?? 0,
          rolloutState: d.rolloutState,
          rolloutStateReason: d.rolloutStateReason,
          createdAt: d.createdAt ? new Date(d.createdAt).getTime() : 0,
        })),
      };
    },
    task: (arn) => {
      const rec = repo.getTaskByArn(arn);
      if (!rec) return undefined;
      const t = rec.doc;
      return {
        taskId: arn.split("/").pop() ?? arn,
        clusterName: clusterOf(arn),
        serviceName: rec.state.serviceName,
        taskDefinition: t.taskDefinitionArn ?? "",
        lastStatus: t.lastStatus ?? "",
        stopCode: t.stopCode,
        stoppedReason: t.stoppedReason,
        stoppedAt: t.stoppedAt ? new Date(t.stoppedAt).getTime() : undefined,
        failedHealth: rec.state.failed === true,
        containers: (t.containers ?? []).map((c) => ({
          name: c.name ?? "",
          essential: rec.state.containers.find((x) => x.name === c.name)?.essential ?? true,
          exitCode: c.exitCode,
          reason: c.reason,
        })),
      };
    },
  };
}
