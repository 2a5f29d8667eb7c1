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
import { SubnetFullError, type TaskNetworking } from "../services/ecs/networking.ts";
import type { Elbv2 } from "../services/elbv2/elbv2.ts";
import type { LoadBalancerNetworking } from "../services/elbv2/networking.ts";
import type { EcsRepo } from "../services/ecs/repo.ts";
import type { ReporterSource } from "./reporter.ts";
import type { SourceAddress } from "../services/elbv2/target-sources.ts";
import type { TaskReachability } from "../services/ecs/task-reachability.ts";
import { reachService } from "../vpc/reachability.ts";
import type { LoadBalancerServing } from "../services/elbv2/serving.ts";
import type { ListenerBinding } from "../proxy/data-plane.ts";
import type { Acm, CertificateUsers } from "../services/acm/index.ts";
import type { CertificateSource } from "../services/elbv2/listener-certificates.ts";
import type { Iam } from "../services/iam/iam.ts";
import type { Kms } from "../services/kms/kms.ts";
import type { RoleSessions, TaskView } from "../task-endpoint/ports.ts";
import type { Ecs } from "../services/ecs/ecs.ts";
import { SecretSourceError } from "../services/ecs/secret-sources.ts";
import { SecretResolver } from "../services/ecs/secrets.ts";
import type { SecretsManager } from "../services/secretsmanager/secretsmanager.ts";
import type { Ssm } from "../services/ssm/ssm.ts";
import type { IdGen } from "../core/ids.ts";
import { KeyUnavailable } from "../services/common/key-unavailable.ts";
import type { RepositoryKeys } from "../services/ecr/ports.ts";
import type { SecretKeys } from "../services/secretsmanager/ports.ts";
import type { ParameterKeys } from "../services/ssm/ports.ts";
import { ServiceError } from "../aws/service-error.ts";
import type { ResourceLookup } from "../authz/requests.ts";
import type { Authorizer } from "../authz/authorizer.ts";
import { contextOf } from "../authz/context.ts";
import { evaluate } from "../authz/evaluate.ts";
import { denialMessage } from "../authz/messages.ts";
import type { ConsolePermits } from "../console/server.ts";
import { compilePolicy } from "../authz/policy.ts";
import type { RolePermissions } from "../services/ecs/permissions.ts";
import type { Store } from "../store/store.ts";
import { getTags } from "../store/tags.ts";
import type { Ecr } from "../services/ecr/ecr.ts";
import { docOf } from "../services/ecr/repo.ts";
import type { AutoScaling, ScalableServices, ScalingAlarms, TargetGroups } from "../services/application-autoscaling/index.ts";
import type { AlarmActions, CloudWatch } from "../services/cloudwatch/index.ts";
import { bucketOfValues } from "../services/cloudwatch/statistics.ts";
import type { Logs } from "../services/logs/logs.ts";
import type { MetricSink } from "../services/logs/metric-filters.ts";
import type { EcsTelemetrySource, PerformanceLogs, TelemetryCluster, TelemetryService, TelemetryTask } from "../telemetry/ecs-metrics.ts";

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
    subnetZone: (scope, id) => ec2.zoneOf(scope, id),
    securityGroupVpc: (scope, id) => ec2.vpcOf(scope, "security-group", id),
    attach: (scope, req) => {
      let eni: ReturnType<typeof ec2.networkInterfaceFor>;
      try {
        eni = ec2.networkInterfaceFor(scope, {
          owner: { kind: "ecs-task", attachmentId: req.attachmentId },
          subnetId: req.subnetId,
          securityGroupIds: req.securityGroupIds,
          publicIp: req.publicIp,
        });
      } catch (err) {
        if (err instanceof ServiceError && err.code === "InsufficientFreeAddressesInSubnet") throw new SubnetFullError(err.message);
        throw err;
      }
      return {
        networkInterfaceId: eni.NetworkInterfaceId ?? "",
        subnetId: req.subnetId,
        privateIpv4Address: eni.PrivateIpAddress ?? "",
        privateDnsName: eni.PrivateDnsName,
        macAddress: eni.MacAddress,
      };
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
 * EC2's reachability decisions as a Fargate task's start asks them (src/services/ecs/task-reachability.ts),
 * on the current VPC view.
 */
export function taskReachabilityPort(ec2: Ec2): TaskReachability {
  return {
    reach: (eniId, destination) => {
      const view = ec2.view();
      const r =
        destination === "ecr-layers"
          ? reachService(view, eniId, "s3", { ecrLayers: true })
          : reachService(view, eniId, destination);
      return r.ok ? { ok: true, via: r.via } : { ok: false, why: r.why, address: r.address };
    },
  };
}

/**
 * Each load balancer's ENI addresses that the VPC data plane has bound on this host: the addresses
 * the ALB data plane connects to targets from (src/services/elbv2/target-sources.ts).
 */
export function loadBalancerSourcesPort(ec2: Ec2, bound: () => ReadonlySet<string>): (loadBalancerArn: string) => SourceAddress[] {
  return (lbArn) => {
    const p = parseArn(lbArn);
    const m = /^loadbalancer\/(app|net)\/([^/]+)\/([^/]+)$/.exec(p?.resource ?? "");
    if (!p || !m) return [];
    const live = bound();
    if (!live.size) return [];
    const scope = { accountId: p.accountId, region: p.region };
    return ec2
      .networkInterfacesOf(scope, { kind: "elb", lbType: m[1] as "app" | "net", loadBalancerName: m[2]!, loadBalancerId: m[3]! })
      .filter((n) => live.has(n.PrivateIpAddress ?? ""))
      .map((n) => ({ address: n.PrivateIpAddress!, subnetCidr: ec2.subnet(scope, n.SubnetId!)?.CidrBlock ?? `${n.PrivateIpAddress}/32` }));
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
      return {
        pullRef: ref.pullRef,
        repository: ref.repository,
        auth: { username: "AWS", password, serveraddress: ref.registryHost },
        name: ref.name,
        reference: ref.reference,
        accountId: ref.accountId,
      };
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

/** The data plane as ELBv2 sees it (src/services/elbv2/serving.ts): where listeners are served. */
export function loadBalancerServingPort(dataPlane: { listeners(): ListenerBinding[] }): LoadBalancerServing {
  return {
    notes: (lbArn) =>
      dataPlane
        .listeners()
        .filter((l) => l.loadBalancerArn === lbArn && l.note)
        .map((l) => `${l.protocol} listener on port ${l.port}: ${l.note}`),
  };
}

/** ACM's certificates as load balancers see them (src/services/elbv2/listener-certificates.ts). */
export function certificateSourcePort(acm: () => Acm): CertificateSource {
  return { servable: (arn) => acm().certificates.servable(arn) };
}

/** ELBv2 as ACM sees it: which load balancers serve a certificate (InUseBy, DeleteCertificate). */
export function certificateUsersPort(elbv2: Elbv2): CertificateUsers {
  return { loadBalancersUsing: (arn) => elbv2.repo.loadBalancersUsingCertificate(arn) };
}

/** KMS failures as the calling service's port reports them (KeyUnavailable with KMS's code and message). */
function viaKms<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ServiceError) throw new KeyUnavailable(err.code, err.message);
    throw err;
  }
}

/** KMS as Secrets Manager's envelope encryption sees it (src/services/secretsmanager/ports.ts). */
export function secretKeysPort(kms: Kms): SecretKeys {
  return {
    dataKey: (scope, keyId, context) =>
      viaKms(() => {
        const dk = kms.crypto.dataKey(scope, keyId, 32, context);
        return { plaintext: dk.plaintext, blob: dk.blob, keyArn: dk.key.arn };
      }),
    decryptDataKey: (scope, blob, context) => viaKms(() => kms.crypto.open(scope, blob, context).plaintext),
  };
}

/** KMS as Parameter Store's SecureString encryption sees it (src/services/ssm/ports.ts). */
export function parameterKeysPort(kms: Kms): ParameterKeys {
  return {
    encrypt: (scope, keyId, plaintext, context) => viaKms(() => kms.crypto.seal(scope, keyId, plaintext, context).blob),
    decrypt: (scope, blob, context) => viaKms(() => kms.crypto.open(scope, blob, context).plaintext),
  };
}

/** IAM/STS as the task endpoint sees it: sessions of task roles (src/task-endpoint/ports.ts). */
export function roleSessionsPort(iam: Iam): RoleSessions {
  return {
    issue: (roleArn, sessionName, durationSeconds) => {
      const c = iam.roleSession(roleArn, sessionName, durationSeconds);
      return { accessKeyId: c.AccessKeyId!, secretAccessKey: c.SecretAccessKey!, sessionToken: c.SessionToken!, expiresAt: c.Expiration!.getTime() };
    },
    get: (accessKeyId) => {
      const s = iam.session(accessKeyId);
      return s && { accessKeyId, ...s };
    },
    revoke: (ids) => iam.revokeSessions(ids),
  };
}

/** KMS as ECR's repository encryption sees it (src/services/ecr/ports.ts). */
export function repositoryKeysPort(kms: Kms): RepositoryKeys {
  return {
    keyArn: (scope, keyId) => viaKms(() => kms.keys.resolve(scope, keyId ?? "alias/aws/ecr", { aliases: true }).arn),
  };
}

/** ECS as the task endpoint sees it: a task, its definition's log settings and limits, its tags. */
export function taskViewPort(ecs: Ecs): TaskView {
  return {
    task: (taskArn) => {
      const rec = ecs.repo.getTaskByArn(taskArn);
      if (!rec) return undefined;
      const defs = ecs.taskDefinitions.byArn(rec.doc.taskDefinitionArn)?.containerDefinitions ?? [];
      return {
        task: rec.doc,
        ...(rec.state.serviceName ? { serviceName: rec.state.serviceName } : {}),
        logConfigurations: new Map(
          defs.filter((d) => d.logConfiguration?.logDriver).map((d) => [d.name, { logDriver: d.logConfiguration!.logDriver!, options: d.logConfiguration!.options ?? {} }]),
        ),
        limits: new Map(defs.map((d) => [d.name, { cpu: d.cpu, memory: d.memory ?? d.memoryReservation ?? 0 }])),
        tags: ecs.tags.of(taskArn),
      };
    },
    isLive: (taskArn) => {
      const rec = ecs.repo.getTaskByArn(taskArn);
      return rec !== undefined && rec.doc.lastStatus !== "STOPPED";
    },
  };
}

/**
 * Secrets Manager and Parameter Store as ECS reads them at task start (src/services/ecs/secret-sources.ts),
 * through the same domain calls the APIs make, so every rule and error is theirs.
 */
export function taskSecretsPort(sm: SecretsManager, ssm: Ssm, ids: IdGen): SecretResolver {
  const asSource = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (err) {
      if (err instanceof ServiceError) throw new SecretSourceError(err.code, err.message);
      throw err;
    }
  };
  return new SecretResolver(
    {
      secretValue: (scope, secretId, select) =>
        asSource(() => {
          const v = sm.getSecretValue(scope, { SecretId: secretId, ...(select.versionStage ? { VersionStage: select.versionStage } : {}), ...(select.versionId ? { VersionId: select.versionId } : {}) });
          return v.SecretString ?? Buffer.from(v.SecretBinary ?? new Uint8Array()).toString("base64");
        }),
      parameters: (scope, names) => {
        const values = new Map<string, string>();
        const invalid: string[] = [];
        for (const name of names) {
          try {
            values.set(name, ssm.parameters.get(scope, name, true).Value ?? "");
          } catch (err) {
            // A missing parameter (or version) is reported by name; a key failure fails the whole call.
            if (err instanceof ServiceError && (err.code === "ParameterNotFound" || err.code === "ParameterVersionNotFound" || err.code === "ValidationException")) invalid.push(name);
            else if (err instanceof ServiceError) throw new SecretSourceError(err.code, err.message);
            else throw err;
          }
        }
        return { values, invalid };
      },
    },
    () => ids.uuid(),
  );
}

/**
 * What IAM enforcement reads of other services' resources (src/authz/requests.ts): repository,
 * secret and key policies, ARNs of IAM entities, tags. Read-only.
 */
export function resourceLookupPort(store: Store, ecr: Ecr, sm: SecretsManager, kms: Kms, iam: Iam): ResourceLookup {
  const tagsOf = (arn: string) => Object.fromEntries(getTags(store, arn).map((t) => [t.key, t.value]));
  return {
    ecrRepository: (scope, name) => {
      const r = ecr.deps.registry.getRepository(scope, name);
      return r ? { policy: docOf(r).repositoryPolicy, tags: tagsOf(`arn:aws:ecr:${scope.region}:${scope.accountId}:repository/${name}`) } : undefined;
    },
    secret: (scope, id) => {
      const row = sm.secrets.find(scope, id);
      return row ? { arn: row.arn, policy: row.policy ?? undefined, tags: tagsOf(row.arn), kmsKeyId: row.kms_key_id ?? undefined } : undefined;
    },
    kmsKey: (scope, id) => {
      try {
        const k = kms.keys.resolve(scope, id, { aliases: true });
        return { arn: k.arn, policy: k.policy, tags: tagsOf(k.arn) };
      } catch {
        return undefined;
      }
    },
    iamArn: (scope, kind, name) => {
      const table = ({ role: "iam_roles", user: "iam_users", group: "iam_groups", policy: "iam_policies", "instance-profile": "iam_instance_profiles" } as const)[kind];
      const doc = iam.repo.get(table, scope.accountId, name) as { Arn?: string } | undefined;
      return doc?.Arn;
    },
    tags: tagsOf,
  };
}

/** IAM as ECS's task-start checks see it (src/services/ecs/permissions.ts): roles' trust and their sessions' permissions. */
export function rolePermissionsPort(iam: Iam, authorizer: Authorizer): RolePermissions {
  const roleOf = (roleArn: string) => {
    const p = parseArn(roleArn);
    const name = p?.resource.split("/").at(-1);
    const role = p && name ? iam.repo.get("iam_roles", p.accountId, name) : undefined;
    return role && role.Arn === roleArn ? { role, account: p!.accountId } : undefined;
  };
  return {
    assumable: (roleArn) => {
      const r = roleOf(roleArn);
      if (!r) return false;
      const text = decodeURIComponent(r.role.AssumeRolePolicyDocument ?? "");
      const d = evaluate({
        action: "sts:AssumeRole",
        resource: roleArn,
        principal: { kind: "service", arn: "ecs-tasks.amazonaws.com", accountId: r.account, service: "ecs-tasks.amazonaws.com" },
        context: contextOf([]),
        identity: [],
        resourcePolicy: { policy: compilePolicy(text), type: "role trust policy", id: "trust" },
        resourceMustAllow: true,
      });
      return d.decision === "allowed";
    },
    denied: (roleArn, sessionName, scope, call) => {
      const r = roleOf(roleArn);
      const account = r?.account ?? parseArn(roleArn)?.accountId ?? scope.accountId;
      const roleName = r?.role.RoleName ?? roleArn.split("/").at(-1) ?? roleArn;
      const principal = iam.principals.role(account, roleName, `arn:aws:sts::${account}:assumed-role/${roleName}/${sessionName}`, `${r?.role.RoleId ?? "AROA"}:${sessionName}`);
      return authorizer.denialFor(principal, call.service, call.operation, call.input, scope);
    },
  };
}
/**
 * What the console serves outside the AWS API (the API-activity feed, where listeners are served, a
 * container's log tail) checked as the IAM action that reads the same thing, for the signed-in key:
 * undefined when allowed, else AWS's denial text. `keyValid` is strict auth's test of the key.
 */
export function consolePermitsPort(iam: Iam, authorizer: Authorizer, keyValid: (accessKeyId: string) => boolean): ConsolePermits {
  return (identity, action, resource) => {
    // A key deleted, made inactive or expired since signing in is nobody (IAM would resolve it to the account's root).
    if (!keyValid(identity.accessKeyId)) return "The security token included in the request is invalid.";
    const scope = { accountId: identity.accountId, region: identity.region };
    const p = iam.principals.forAccessKey(identity.accessKeyId, identity.accountId);
    const d = authorizer.evaluate(p, action, { resource }, new Map(), scope);
    return d.decision === "allowed" ? undefined : denialMessage(p.principal.arn, action, resource, d);
  };
}

/** ECS services as Application Auto Scaling scales them: desiredCount through UpdateService. */
export function scalableServicesPort(ecs: Ecs): ScalableServices {
  return {
    get: (scope, cluster, service) => {
      const rec = ecs.repo.getService(scope, cluster, service);
      if (!rec || rec.doc.status !== "ACTIVE") return undefined;
      const deployments = rec.doc.deployments ?? [];
      return {
        desiredCount: rec.doc.desiredCount ?? 0,
        deploymentInProgress: deployments.length > 1 || deployments[0]?.rolloutState === "IN_PROGRESS",
      };
    },
    setDesiredCount: (scope, cluster, service, desiredCount) => {
      ecs.services.update(scope, { cluster, service, desiredCount });
    },
  };
}

/** CloudWatch alarms as target tracking policies own them. */
export function scalingAlarmsPort(cloudwatch: CloudWatch): ScalingAlarms {
  return {
    put: (scope, alarm) => {
      const doc = cloudwatch.alarms.putMetricAlarm(scope, alarm);
      return { AlarmName: doc.AlarmName, AlarmARN: doc.AlarmArn };
    },
    delete: (scope, names) => {
      for (const arn of cloudwatch.alarms.deleteAlarms(scope, names)) cloudwatch.tags.clear(arn);
    },
    withAction: (scope, arn) =>
      cloudwatch.alarms
        .describeAlarms(scope, { ActionPrefix: arn, MaxRecords: 100 })
        .MetricAlarms!.map((a) => ({ AlarmName: a.AlarmName ?? "", AlarmARN: a.AlarmArn ?? "" })),
  };
}

/** Load balancers and target groups named by an ALBRequestCountPerTarget ResourceLabel. */
export function targetGroupsPort(elbv2: Elbv2): TargetGroups {
  return {
    labelExists: (scope, label) => {
      const m = /^app\/([^/]+)\/([0-9a-f]+)\/(targetgroup\/[^/]+\/[0-9a-f]+)$/.exec(label);
      if (!m) return false;
      const tgArn = `arn:aws:elasticloadbalancing:${scope.region}:${scope.accountId}:${m[3]}`;
      return elbv2.targetGroup(tgArn) !== undefined;
    },
  };
}

/** Alarm actions CloudWatch can run: Application Auto Scaling policies. */
export function alarmActionsPort(autoscaling: AutoScaling): AlarmActions {
  return {
    invoke: (arn, event) => {
      if (!/^arn:[^:]+:autoscaling:[^:]*:\d*:scalingPolicy:/.test(arn)) return undefined;
      return autoscaling.invoke(arn, {
        scope: event.scope,
        alarmName: event.alarmName,
        threshold: event.threshold,
        comparisonOperator: event.comparisonOperator,
        values: event.values,
      });
    },
  };
}

/** ECS's clusters, services and tasks as the metric publisher reads them. */
export function ecsTelemetrySource(ecs: Ecs): EcsTelemetrySource {
  const scopeOf = (arn: string) => {
    const p = parseArn(arn);
    return { accountId: p?.accountId ?? "", region: p?.region ?? "" };
  };
  const services = (): TelemetryService[] =>
    ecs.repo.liveServiceArns().flatMap((arn) => {
      const rec = ecs.repo.getServiceByArn(arn);
      if (!rec || rec.doc.status !== "ACTIVE") return [];
      let running = 0;
      let pending = 0;
      for (const c of ecs.repo.serviceTaskCounts(rec.scope, rec.cluster, rec.doc.serviceName ?? "").values()) {
        running += c.running;
        pending += c.pending;
      }
      return [
        {
          scope: rec.scope,
          cluster: rec.cluster,
          service: rec.doc.serviceName ?? "",
          desired: rec.doc.desiredCount ?? 0,
          running,
          pending,
          deployments: (rec.doc.deployments ?? []).length,
        },
      ];
    });
  const tasks = (): TelemetryTask[] =>
    ecs.repo.liveTaskArns().flatMap((arn) => {
      const t = ecs.repo.getTaskByArn(arn)?.doc;
      if (!t || (t.lastStatus !== "RUNNING" && t.lastStatus !== "PENDING")) return [];
      const [, family = "", revision = ""] = /task-definition\/([^:]+):(\d+)$/.exec(t.taskDefinitionArn ?? "") ?? [];
      const ms = (d: Date | undefined) => (d ? new Date(d).getTime() : undefined);
      return [
        {
          scope: scopeOf(arn),
          cluster: (t.clusterArn ?? "").split("/").pop() ?? "",
          service: t.group?.startsWith("service:") ? t.group.slice("service:".length) : undefined,
          family,
          revision,
          taskArn: arn,
          taskId: arn.split("/").pop() ?? "",
          launchType: t.launchType ?? "EC2",
          availabilityZone: t.availabilityZone,
          containerInstanceId: t.containerInstanceArn?.split("/").pop(),
          lastStatus: t.lastStatus ?? "",
          cpu: Number(t.cpu ?? 0) || 0,
          memoryMiB: Number(t.memory ?? 0) || 0,
          createdAt: ms(t.createdAt),
          startedAt: ms(t.startedAt),
          pullStartedAt: ms(t.pullStartedAt),
          pullStoppedAt: ms(t.pullStoppedAt),
          containers: (t.containers ?? []).map((c) => ({
            name: c.name ?? "",
            runtimeId: c.runtimeId,
            image: c.image ?? "",
            lastStatus: c.lastStatus ?? "",
            cpu: Number(c.cpu ?? 0) || 0,
            memoryMiB: Number(c.memoryReservation ?? c.memory ?? 0) || 0,
          })),
        },
      ];
    });
  return {
    services,
    tasks,
    clusters: () => {
      const seen = new Map<string, TelemetryCluster>();
      const named = [...services().map((s) => ({ scope: s.scope, cluster: s.cluster })), ...tasks().map((t) => ({ scope: t.scope, cluster: t.cluster }))];
      for (const { scope, cluster } of named) {
        const k = `${scope.accountId} ${scope.region} ${cluster}`;
        if (seen.has(k)) continue;
        const c = ecs.repo.getCluster(scope, cluster);
        const own = c?.settings?.find((x) => x.name === "containerInsights")?.value;
        // A cluster left at the default follows the account's containerInsights setting.
        const account = ecs.repo.getAccountSettings(scope).find((x) => x.name === "containerInsights" && x.principal.endsWith(":root"))?.value;
        const insights = own && own !== "disabled" ? own : account === "enabled" || account === "enhanced" || account === "on" ? (account === "on" ? "enabled" : account) : (own ?? "disabled");
        seen.set(k, { scope, cluster, insights, containerInstances: ecs.repo.getContainerInstance(scope, cluster) ? 1 : 0 });
      }
      return [...seen.values()];
    },
  };
}

/** CloudWatch Logs as Container Insights writes its performance events (groups kept 1 day). */
export function performanceLogsPort(logs: Logs): PerformanceLogs {
  return {
    put: (scope, group, stream, events) => {
      if (!logs.repo.getGroup(scope, group)) {
        logs.ensureGroup(scope, group, true);
        logs.retention.put(scope, { logGroupName: group, retentionInDays: 1 });
      }
      logs.ensureStream(scope, group, stream);
      logs.ingest(scope, group, stream, events);
    },
  };
}

/** CloudWatch as metric filters publish into it. */
export function metricSinkPort(cloudwatch: CloudWatch): MetricSink {
  return {
    put: (scope, d) =>
      cloudwatch.metrics.publish(scope, [
        { namespace: d.namespace, name: d.name, dimensions: d.dimensions, timestamp: d.timestamp, unit: d.unit, bucket: bucketOfValues([d.value], [1]) },
      ]),
  };
}
