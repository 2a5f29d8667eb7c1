/**
 * Application Auto Scaling for ECS services (`ecs:service:DesiredCount`): scalable targets,
 * target tracking and step scaling policies invoked by CloudWatch alarms, scheduled actions, and
 * the scaling activities that record each decision. A decision changes the service's desiredCount
 * through ECS's UpdateService path, so the scheduler starts or stops tasks and writes its events.
 * https://docs.aws.amazon.com/autoscaling/application/userguide/what-is-application-auto-scaling.html
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/service-auto-scaling.html
 */
import type * as aas from "@aws-sdk/client-application-auto-scaling";
import type * as cw from "@aws-sdk/client-cloudwatch";
import { arn as buildArn, type Scope } from "../../core/arn.ts";
import type { Clock } from "../../core/clock.ts";
import type { IdGen } from "../../core/ids.ts";
import type { Store } from "../../store/store.ts";
import { offsetPage } from "../common/paginate.ts";
import { Tagging } from "../common/tagging.ts";
import { errors } from "./errors.ts";
import type { ScalableServices, ScalingAlarms, TargetGroups } from "./ports.ts";
import { AasRepo, type TargetKey } from "./repo.ts";
import { nextRun, parseSchedule, ScheduleError, validTimeZone } from "./schedule.ts";

const NAMESPACE = "ecs";
const DIMENSION = "ecs:service:DesiredCount";
const RESOURCE_ID = /^service\/([^/]+)\/([^/]+)$/;
/** The cooldown AAS uses for ECS when a policy sets none. */
const DEFAULT_COOLDOWN_S = 300;
const ACTIVITY_RETENTION_MS = 42 * 86_400_000;
const ECS_ROLE = "aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService";

export interface AutoScalingDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly ids: IdGen;
}

/** A scalable target as stored: the Describe shape (CreationTime in ms) and what scaling remembers. */
interface TargetDoc {
  ServiceNamespace: string;
  ResourceId: string;
  ScalableDimension: string;
  MinCapacity: number;
  MaxCapacity: number;
  RoleARN: string;
  CreationTime: number;
  SuspendedState: { DynamicScalingInSuspended: boolean; DynamicScalingOutSuspended: boolean; ScheduledScalingSuspended: boolean };
  ScalableTargetARN: string;
  /** One uuid per target, shared by its scheduled actions' ARNs. */
  uuid: string;
  /** The last policy-driven scale-out: when, and the capacity before it. */
  lastScaleOut?: { at: number; from: number; to: number };
  lastScaleIn?: { at: number };
}

interface PolicyDoc {
  PolicyARN: string;
  PolicyName: string;
  ServiceNamespace: string;
  ResourceId: string;
  ScalableDimension: string;
  PolicyType: string;
  StepScalingPolicyConfiguration?: aas.StepScalingPolicyConfiguration;
  TargetTrackingScalingPolicyConfiguration?: aas.TargetTrackingScalingPolicyConfiguration;
  CreationTime: number;
  /** Target tracking: the two alarms it owns. */
  Alarms: Array<{ AlarmName: string; AlarmARN: string }>;
  createdBy: string;
  /** Step scaling: the last adjustment, for the cooldown. */
  lastStep?: { at: number; from: number; to: number };
}

interface ScheduledDoc {
  ScheduledActionName: string;
  ScheduledActionARN: string;
  ServiceNamespace: string;
  Schedule: string;
  Timezone?: string;
  ResourceId: string;
  ScalableDimension: string;
  StartTime?: number;
  EndTime?: number;
  ScalableTargetAction: { MinCapacity?: number; MaxCapacity?: number };
  CreationTime: number;
}

export interface AlarmInvocation {
  readonly scope: Scope;
  readonly alarmName: string;
  readonly threshold: number;
  readonly comparisonOperator: string;
  readonly values: readonly number[];
}

export class AutoScaling {
  readonly repo: AasRepo;
  readonly tags: Tagging;
  readonly #clock: Clock;
  readonly #ids: IdGen;
  services: ScalableServices = { get: () => undefined, setDesiredCount: () => {} };
  alarms: ScalingAlarms = { put: (_s, a) => ({ AlarmName: a.AlarmName ?? "", AlarmARN: "" }), delete: () => {}, withAction: () => [] };
  targetGroups: TargetGroups = { labelExists: () => true };

  constructor(deps: AutoScalingDeps) {
    this.repo = new AasRepo(deps.store);
    this.#clock = deps.clock;
    this.#ids = deps.ids;
    this.tags = new Tagging(deps.store, {
      resolve: (arn) => {
        if (!this.repo.targetByArn(arn)) throw errors.resourceNotFound(arn);
        return arn;
      },
      validate: (_added, merged) => {
        if (merged.length > 50) throw errors.tooManyTags("");
      },
    });
  }

  // ---- keys ----

  /** Checks namespace, dimension and the ECS resource id format. */
  key(namespace: string | undefined, resourceId: string | undefined, dimension: string | undefined): TargetKey {
    if (namespace !== NAMESPACE || dimension !== DIMENSION || !RESOURCE_ID.test(resourceId ?? "")) throw errors.unsupported();
    return { namespace, resourceId: resourceId!, dimension };
  }

  #target(scope: Scope, k: TargetKey): TargetDoc | undefined {
    const doc = this.repo.getTarget(scope, k);
    return doc ? (JSON.parse(doc) as TargetDoc) : undefined;
  }

  #saveTarget(scope: Scope, t: TargetDoc): void {
    this.repo.putTarget(scope, keyOf(t), t.ScalableTargetARN, JSON.stringify(t));
  }

  // ---- scalable targets ----

  register(scope: Scope, input: aas.RegisterScalableTargetRequest, tags: Array<{ key: string; value: string }>): string {
    const k = this.key(input.ServiceNamespace, input.ResourceId, input.ScalableDimension);
    const [, cluster = "", service = ""] = RESOURCE_ID.exec(k.resourceId)!;
    const old = this.#target(scope, k);
    if (!old && (input.MinCapacity === undefined || input.MaxCapacity === undefined)) {
      throw errors.validation("MinCapacity and MaxCapacity must be specified when registering a new scalable target.");
    }
    const min = input.MinCapacity ?? old!.MinCapacity;
    const max = input.MaxCapacity ?? old!.MaxCapacity;
    if (min < 0 || max < 0) throw errors.validation("Capacity values must be greater than or equal to 0.");
    if (min > max) throw errors.validation(`Maximum capacity cannot be less than minimum capacity`);
    const svc = this.services.get(scope, cluster, service);
    if (!svc) throw errors.serviceMissing(k.resourceId);
    const suspended = input.SuspendedState ?? {};
    const t: TargetDoc = {
      ServiceNamespace: k.namespace,
      ResourceId: k.resourceId,
      ScalableDimension: k.dimension,
      MinCapacity: min,
      MaxCapacity: max,
      RoleARN: buildArn("iam", scope, `role/${ECS_ROLE}`, { global: true }),
      CreationTime: old?.CreationTime ?? this.#clock.now(),
      SuspendedState: {
        DynamicScalingInSuspended: suspended.DynamicScalingInSuspended ?? old?.SuspendedState.DynamicScalingInSuspended ?? false,
        DynamicScalingOutSuspended: suspended.DynamicScalingOutSuspended ?? old?.SuspendedState.DynamicScalingOutSuspended ?? false,
        ScheduledScalingSuspended: suspended.ScheduledScalingSuspended ?? old?.SuspendedState.ScheduledScalingSuspended ?? false,
      },
      ScalableTargetARN: old?.ScalableTargetARN ?? buildArn("application-autoscaling", scope, `scalable-target/${this.#ids.hex(18)}`),
      uuid: old?.uuid ?? this.#ids.uuid(),
      ...(old?.lastScaleOut ? { lastScaleOut: old.lastScaleOut } : {}),
      ...(old?.lastScaleIn ? { lastScaleIn: old.lastScaleIn } : {}),
    };
    this.repo.store.tx(() => {
      this.#saveTarget(scope, t);
      if (!old) this.tags.set(t.ScalableTargetARN, tags);
      // A desired count outside the new bounds is moved inside at once.
      if (svc.desiredCount < min) this.#setCapacity(scope, t, min, `minimum capacity was set to ${min}`);
      else if (svc.desiredCount > max) this.#setCapacity(scope, t, max, `maximum capacity was set to ${max}`);
    });
    return t.ScalableTargetARN;
  }

  describeTargets(scope: Scope, input: aas.DescribeScalableTargetsRequest): aas.DescribeScalableTargetsResponse {
    if (input.ServiceNamespace !== NAMESPACE) return { ScalableTargets: [] };
    if (input.ScalableDimension !== undefined && !input.ResourceIds) {
      throw errors.validation("ResourceIds must be specified when ScalableDimension is specified.");
    }
    const max = pageSize(input.MaxResults, 50);
    const ids = input.ResourceIds ? new Set(input.ResourceIds) : undefined;
    const docs = this.repo
      .listTargets(scope, NAMESPACE)
      .map((d) => JSON.parse(d) as TargetDoc)
      .filter((t) => (!ids || ids.has(t.ResourceId)) && (!input.ScalableDimension || t.ScalableDimension === input.ScalableDimension));
    const page = offsetPage(docs, max, input.NextToken, errors.badToken);
    return { ScalableTargets: page.items.map(targetOut), ...(page.next ? { NextToken: page.next } : {}) };
  }

  deregister(scope: Scope, input: aas.DeregisterScalableTargetRequest): void {
    const k = this.key(input.ServiceNamespace, input.ResourceId, input.ScalableDimension);
    const t = this.#target(scope, k);
    if (!t) throw errors.noTargetToDeregister(k);
    this.repo.store.tx(() => {
      for (const doc of this.repo.listPolicies(scope, NAMESPACE, k.resourceId)) {
        const p = JSON.parse(doc) as PolicyDoc;
        if (p.ScalableDimension === k.dimension && p.PolicyType === "TargetTrackingScaling") this.alarms.delete(scope, p.Alarms.map((a) => a.AlarmName));
      }
      this.repo.deleteTarget(scope, k);
      this.tags.clear(t.ScalableTargetARN);
    });
  }

  // ---- scaling policies ----

  putPolicy(scope: Scope, input: aas.PutScalingPolicyRequest): aas.PutScalingPolicyResponse {
    const k = this.key(input.ServiceNamespace, input.ResourceId, input.ScalableDimension);
    const name = input.PolicyName ?? "";
    if (!this.#target(scope, k)) throw errors.noTarget(k);
    const oldDoc = this.repo.getPolicy(scope, k, name);
    const old = oldDoc ? (JSON.parse(oldDoc) as PolicyDoc) : undefined;
    const type = input.PolicyType ?? old?.PolicyType ?? "StepScaling";
    if (type === "PredictiveScaling") throw errors.validation("PredictiveScaling policies are not supported by Slipway for ECS services.");
    if (type !== "TargetTrackingScaling" && type !== "StepScaling") throw errors.validation(`Unsupported policy type: ${type}`);
    const tt = input.TargetTrackingScalingPolicyConfiguration;
    const step = input.StepScalingPolicyConfiguration;
    if (type === "TargetTrackingScaling") {
      if (step) throw errors.validation("StepScalingPolicyConfiguration must not be specified for a TargetTrackingScaling policy.");
      if (!tt) throw errors.validation("TargetTrackingScalingPolicyConfiguration is required for a TargetTrackingScaling policy.");
      this.#checkTargetTracking(scope, tt);
    } else {
      if (tt) throw errors.validation("TargetTrackingScalingPolicyConfiguration must not be specified for a StepScaling policy.");
      if (!step) throw errors.validation("StepScalingPolicyConfiguration is required for a StepScaling policy.");
      checkSteps(step);
    }
    const uuid = old ? policyUuid(old.PolicyARN) : this.#ids.uuid();
    const policyArn = old?.PolicyARN ?? buildArn("autoscaling", scope, `scalingPolicy:${uuid}:resource/${k.namespace}/${k.resourceId}:policyName/${name}`);
    const doc: PolicyDoc = {
      PolicyARN: policyArn,
      PolicyName: name,
      ServiceNamespace: k.namespace,
      ResourceId: k.resourceId,
      ScalableDimension: k.dimension,
      PolicyType: type,
      ...(step ? { StepScalingPolicyConfiguration: step } : {}),
      ...(tt ? { TargetTrackingScalingPolicyConfiguration: tt } : {}),
      CreationTime: old?.CreationTime ?? this.#clock.now(),
      Alarms: [],
      createdBy: old?.createdBy ?? this.#ids.uuid(),
      ...(old?.lastStep ? { lastStep: old.lastStep } : {}),
    };
    this.repo.store.tx(() => {
      if (tt) doc.Alarms = this.#trackingAlarms(scope, k, doc, tt, old);
      else if (old?.PolicyType === "TargetTrackingScaling") this.alarms.delete(scope, old.Alarms.map((a) => a.AlarmName));
      this.repo.putPolicy(scope, k, name, policyArn, doc.CreationTime, JSON.stringify(doc));
    });
    return { PolicyARN: policyArn, ...(tt ? { Alarms: doc.Alarms } : {}) };
  }

  #checkTargetTracking(scope: Scope, tt: aas.TargetTrackingScalingPolicyConfiguration): void {
    const pre = tt.PredefinedMetricSpecification;
    const custom = tt.CustomizedMetricSpecification;
    if (!!pre === !!custom) throw errors.validation("Exactly one of PredefinedMetricSpecification and CustomizedMetricSpecification must be specified.");
    if (pre) {
      const type = pre.PredefinedMetricType ?? "";
      if (!["ECSServiceAverageCPUUtilization", "ECSServiceAverageMemoryUtilization", "ALBRequestCountPerTarget"].includes(type)) {
        throw errors.validation(`Unsupported predefined metric type ${type} for service namespace ecs.`);
      }
      if (type === "ALBRequestCountPerTarget") {
        const label = pre.ResourceLabel ?? "";
        if (!/^app\/[^/]+\/[0-9a-f]+\/targetgroup\/[^/]+\/[0-9a-f]+$/.test(label)) {
          throw errors.validation("ResourceLabel must be specified for ALBRequestCountPerTarget, in the form app/<load-balancer-name>/<load-balancer-id>/targetgroup/<target-group-name>/<target-group-id>.");
        }
        if (!this.targetGroups.labelExists(scope, label)) throw errors.validation(`Target group or load balancer of ResourceLabel ${label} does not exist.`);
      } else if (pre.ResourceLabel !== undefined) {
        throw errors.validation(`ResourceLabel is only valid for ALBRequestCountPerTarget.`);
      }
    } else if (custom) {
      if (!custom.Metrics && (!custom.MetricName || !custom.Namespace || !custom.Statistic)) {
        throw errors.validation("CustomizedMetricSpecification needs MetricName, Namespace and Statistic, or Metrics.");
      }
    }
    if (tt.TargetValue === undefined || !Number.isFinite(tt.TargetValue) || tt.TargetValue <= 0) {
      throw errors.validation("The target value must be greater than 0.");
    }
  }

  /** The AlarmHigh and AlarmLow a target tracking policy owns (names kept on update). */
  #trackingAlarms(scope: Scope, k: TargetKey, p: PolicyDoc, tt: aas.TargetTrackingScalingPolicyConfiguration, old: PolicyDoc | undefined) {
    const metric = trackedMetric(k, tt);
    const T = tt.TargetValue!;
    const names = old?.PolicyType === "TargetTrackingScaling" && old.Alarms.length === 2
      ? old.Alarms.map((a) => a.AlarmName)
      : [`TargetTracking-${k.resourceId}-AlarmHigh-${this.#ids.uuid()}`, `TargetTracking-${k.resourceId}-AlarmLow-${this.#ids.uuid()}`];
    const action = `${p.PolicyARN}:createdBy/${p.createdBy}`;
    const common: Partial<cw.PutMetricAlarmInput> = {
      AlarmDescription: `DO NOT EDIT OR DELETE. For TargetTrackingScaling policy ${action}.`,
      ActionsEnabled: true,
      AlarmActions: [action],
      OKActions: [],
      InsufficientDataActions: [],
      ...metric,
    };
    const high = this.alarms.put(scope, {
      ...common,
      AlarmName: names[0]!,
      ComparisonOperator: "GreaterThanThreshold",
      Threshold: T,
      ...(metric.Metrics ? {} : { Period: 60 }),
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
    } as cw.PutMetricAlarmInput);
    const low = this.alarms.put(scope, {
      ...common,
      AlarmName: names[1]!,
      ComparisonOperator: "LessThanThreshold",
      Threshold: round(0.9 * T),
      ...(metric.Metrics ? {} : { Period: 60 }),
      EvaluationPeriods: 15,
    } as cw.PutMetricAlarmInput);
    return [high, low];
  }

  describePolicies(scope: Scope, input: aas.DescribeScalingPoliciesRequest): aas.DescribeScalingPoliciesResponse {
    if (input.ServiceNamespace !== NAMESPACE) return { ScalingPolicies: [] };
    const max = pageSize(input.MaxResults, 10);
    const names = input.PolicyNames ? new Set(input.PolicyNames) : undefined;
    const docs = this.repo
      .listPolicies(scope, NAMESPACE, input.ResourceId)
      .map((d) => JSON.parse(d) as PolicyDoc)
      .filter((p) => (!names || names.has(p.PolicyName)) && (!input.ScalableDimension || p.ScalableDimension === input.ScalableDimension));
    const page = offsetPage(docs, max, input.NextToken, errors.badToken);
    return {
      ScalingPolicies: page.items.map((p) => ({
        PolicyARN: p.PolicyARN,
        PolicyName: p.PolicyName,
        ServiceNamespace: p.ServiceNamespace as aas.ServiceNamespace,
        ResourceId: p.ResourceId,
        ScalableDimension: p.ScalableDimension as aas.ScalableDimension,
        PolicyType: p.PolicyType as aas.PolicyType,
        ...(p.StepScalingPolicyConfiguration ? { StepScalingPolicyConfiguration: p.StepScalingPolicyConfiguration } : {}),
        ...(p.TargetTrackingScalingPolicyConfiguration ? { TargetTrackingScalingPolicyConfiguration: p.TargetTrackingScalingPolicyConfiguration } : {}),
        Alarms: p.PolicyType === "StepScaling" ? this.alarms.withAction(scope, p.PolicyARN) : p.Alarms,
        CreationTime: new Date(p.CreationTime),
      })),
      ...(page.next ? { NextToken: page.next } : {}),
    };
  }

  deletePolicy(scope: Scope, input: aas.DeleteScalingPolicyRequest): void {
    const k = this.key(input.ServiceNamespace, input.ResourceId, input.ScalableDimension);
    const doc = this.repo.getPolicy(scope, k, input.PolicyName ?? "");
    if (!doc) throw errors.noPolicy(k, input.PolicyName ?? "");
    const p = JSON.parse(doc) as PolicyDoc;
    this.repo.store.tx(() => {
      if (p.PolicyType === "TargetTrackingScaling") this.alarms.delete(scope, p.Alarms.map((a) => a.AlarmName));
      this.repo.deletePolicy(scope, k, p.PolicyName);
    });
  }

  // ---- scheduled actions ----

  putScheduled(scope: Scope, input: aas.PutScheduledActionRequest): void {
    const k = this.key(input.ServiceNamespace, input.ResourceId, input.ScalableDimension);
    const t = this.#target(scope, k);
    if (!t) throw errors.noTarget(k);
    const name = input.ScheduledActionName ?? "";
    const oldDoc = this.repo.getScheduled(scope, k, name);
    const old = oldDoc ? (JSON.parse(oldDoc) as ScheduledDoc) : undefined;
    const schedule = input.Schedule ?? old?.Schedule;
    if (!schedule) throw errors.validation("Schedule must be specified when creating a scheduled action.");
    const tz = input.Timezone ?? old?.Timezone;
    if (tz !== undefined && !validTimeZone(tz)) throw errors.validation(`Invalid time zone: ${tz}`);
    try {
      parseSchedule(schedule);
    } catch (err) {
      if (err instanceof ScheduleError) throw errors.validation(`${err.message}: ${schedule}`);
      throw err;
    }
    const action = input.ScalableTargetAction ?? old?.ScalableTargetAction;
    if (!action || (action.MinCapacity === undefined && action.MaxCapacity === undefined)) {
      throw errors.validation("ScalableTargetAction must specify MinCapacity or MaxCapacity.");
    }
    if (action.MinCapacity !== undefined && action.MaxCapacity !== undefined && action.MinCapacity > action.MaxCapacity) {
      throw errors.validation("Maximum capacity cannot be less than minimum capacity");
    }
    const now = this.#clock.now();
    const doc: ScheduledDoc = {
      ScheduledActionName: name,
      ScheduledActionARN:
        old?.ScheduledActionARN ?? buildArn("autoscaling", scope, `scheduledAction:${t.uuid}:resource/${k.namespace}/${k.resourceId}:scheduledActionName/${name}`),
      ServiceNamespace: k.namespace,
      Schedule: schedule,
      ...(tz !== undefined ? { Timezone: tz } : {}),
      ResourceId: k.resourceId,
      ScalableDimension: k.dimension,
      // Omitting StartTime/EndTime on update clears them.
      ...(input.StartTime ? { StartTime: input.StartTime.getTime() } : {}),
      ...(input.EndTime ? { EndTime: input.EndTime.getTime() } : {}),
      ScalableTargetAction: { ...(action.MinCapacity !== undefined ? { MinCapacity: action.MinCapacity } : {}), ...(action.MaxCapacity !== undefined ? { MaxCapacity: action.MaxCapacity } : {}) },
      CreationTime: old?.CreationTime ?? now,
    };
    this.repo.putScheduled(scope, k, name, doc.CreationTime, this.#next(doc, now), JSON.stringify(doc));
  }

  #next(doc: ScheduledDoc, after: number): number | null {
    const start = doc.StartTime ?? doc.CreationTime;
    const from = Math.max(after, start - 1);
    const t = nextRun(parseSchedule(doc.Schedule), from, doc.Timezone ?? "UTC", start);
    if (t === undefined || (doc.EndTime !== undefined && t > doc.EndTime)) return null;
    return t;
  }

  describeScheduled(scope: Scope, input: aas.DescribeScheduledActionsRequest): aas.DescribeScheduledActionsResponse {
    if (input.ServiceNamespace !== NAMESPACE) return { ScheduledActions: [] };
    const max = pageSize(input.MaxResults, 50);
    const names = input.ScheduledActionNames ? new Set(input.ScheduledActionNames) : undefined;
    const docs = this.repo
      .listScheduled(scope, NAMESPACE, input.ResourceId)
      .map((d) => JSON.parse(d) as ScheduledDoc)
      .filter((s) => (!names || names.has(s.ScheduledActionName)) && (!input.ScalableDimension || s.ScalableDimension === input.ScalableDimension));
    const page = offsetPage(docs, max, input.NextToken, errors.badToken);
    return {
      ScheduledActions: page.items.map((s) => ({
        ...(s as unknown as aas.ScheduledAction),
        CreationTime: new Date(s.CreationTime),
        ...(s.StartTime !== undefined ? { StartTime: new Date(s.StartTime) } : {}),
        ...(s.EndTime !== undefined ? { EndTime: new Date(s.EndTime) } : {}),
      })),
      ...(page.next ? { NextToken: page.next } : {}),
    };
  }

  deleteScheduled(scope: Scope, input: aas.DeleteScheduledActionRequest): void {
    const k = this.key(input.ServiceNamespace, input.ResourceId, input.ScalableDimension);
    if (!this.repo.deleteScheduled(scope, k, input.ScheduledActionName ?? "")) throw errors.noScheduledAction(k, input.ScheduledActionName ?? "");
  }

  /** Runs every scheduled action that is due (the periodic job). Returns how many ran. */
  runScheduled(): number {
    const now = this.#clock.now();
    let ran = 0;
    for (const row of this.repo.dueScheduled(now)) {
      const scope = { accountId: row.account, region: row.region };
      const s = JSON.parse(row.doc) as ScheduledDoc;
      const k = keyOf(s);
      const t = this.#target(scope, k);
      this.repo.store.tx(() => {
        if (t && !t.SuspendedState.ScheduledScalingSuspended) {
          this.#runScheduledAction(scope, t, s);
          ran++;
        }
        // After a suspension only future run times fire.
        this.repo.putScheduled(scope, k, s.ScheduledActionName, s.CreationTime, this.#next(s, now), JSON.stringify(s));
      });
    }
    return ran;
  }

  #runScheduledAction(scope: Scope, t: TargetDoc, s: ScheduledDoc): void {
    const { MinCapacity: min, MaxCapacity: max } = s.ScalableTargetAction;
    if (min !== undefined) t.MinCapacity = min;
    if (max !== undefined) t.MaxCapacity = max;
    if (t.MinCapacity > t.MaxCapacity) {
      if (min !== undefined) t.MaxCapacity = t.MinCapacity;
      else t.MinCapacity = t.MaxCapacity;
    }
    this.#saveTarget(scope, t);
    const what =
      min !== undefined && max !== undefined
        ? `min capacity to ${min} and max capacity to ${max}`
        : min !== undefined
          ? `min capacity to ${min}`
          : `max capacity to ${max}`;
    this.#activity(scope, t, {
      Description: `Setting ${what}`,
      Cause: `scheduled action name ${s.ScheduledActionName} was triggered`,
      StatusCode: "Successful",
      StatusMessage: `Successfully set ${what}`,
    });
    const [, cluster = "", service = ""] = RESOURCE_ID.exec(t.ResourceId)!;
    const svc = this.services.get(scope, cluster, service);
    if (!svc) return;
    if (svc.desiredCount < t.MinCapacity) this.#setCapacity(scope, t, t.MinCapacity, `minimum capacity was set to ${t.MinCapacity}`);
    else if (svc.desiredCount > t.MaxCapacity) this.#setCapacity(scope, t, t.MaxCapacity, `maximum capacity was set to ${t.MaxCapacity}`);
  }

  // ---- activities ----

  describeActivities(scope: Scope, input: aas.DescribeScalingActivitiesRequest): aas.DescribeScalingActivitiesResponse {
    if (input.ServiceNamespace !== NAMESPACE) return { ScalingActivities: [] };
    const max = pageSize(input.MaxResults, 50);
    const docs = this.repo
      .listActivities(scope, NAMESPACE, input.ResourceId, input.IncludeNotScaledActivities === true)
      .map((d) => JSON.parse(d) as aas.ScalingActivity & { StartTime: number; EndTime?: number })
      .filter((a) => !input.ScalableDimension || a.ScalableDimension === input.ScalableDimension);
    const page = offsetPage(docs, max, input.NextToken, errors.badToken);
    return {
      ScalingActivities: page.items.map((a) => ({
        ...a,
        StartTime: new Date(a.StartTime),
        ...(a.EndTime !== undefined ? { EndTime: new Date(a.EndTime) } : {}),
      })),
      ...(page.next ? { NextToken: page.next } : {}),
    };
  }

  expireActivities(): number {
    return this.repo.expireActivities(this.#clock.now() - ACTIVITY_RETENTION_MS);
  }

  #activity(scope: Scope, t: TargetDoc, a: Pick<aas.ScalingActivity, "Description" | "Cause" | "StatusCode" | "StatusMessage" | "NotScaledReasons">): void {
    const now = this.#clock.now();
    const id = this.#ids.uuid();
    const doc = {
      ActivityId: id,
      ServiceNamespace: t.ServiceNamespace,
      ResourceId: t.ResourceId,
      ScalableDimension: t.ScalableDimension,
      Description: a.Description,
      Cause: a.Cause,
      StartTime: now,
      EndTime: now,
      StatusCode: a.StatusCode,
      ...(a.StatusMessage ? { StatusMessage: a.StatusMessage } : {}),
      ...(a.NotScaledReasons ? { NotScaledReasons: a.NotScaledReasons } : {}),
    };
    this.repo.addActivity(scope, keyOf(t), id, now, a.StatusCode !== "Failed" || !a.NotScaledReasons, JSON.stringify(doc));
  }

  /** Sets the service's desired count (through ECS) and records the activity. */
  #setCapacity(scope: Scope, t: TargetDoc, n: number, cause: string): void {
    const [, cluster = "", service = ""] = RESOURCE_ID.exec(t.ResourceId)!;
    this.services.setDesiredCount(scope, cluster, service, n);
    this.#activity(scope, t, {
      Description: `Setting desired count to ${n}.`,
      Cause: cause,
      StatusCode: "Successful",
      StatusMessage: `Successfully set desired count to ${n}. Change successfully fulfilled by ecs.`,
    });
  }

  // ---- scaling: an alarm invoked a policy ----

  /** A CloudWatch alarm action naming a policy ARN; false when no such policy exists. */
  invoke(policyArn: string, alarm: AlarmInvocation): { ok: true } | { ok: false; message: string } {
    const arn = policyArn.replace(/:createdBy\/[0-9a-f-]+$/, "");
    const row = this.repo.policyByArn(arn);
    if (!row) return { ok: false, message: `No scaling policy found for ${arn}` };
    const scope = { accountId: row.account, region: row.region };
    const p = JSON.parse(row.doc) as PolicyDoc;
    const k = keyOf(p);
    const t = this.#target(scope, k);
    if (!t) return { ok: false, message: `No scalable target registered for ${k.resourceId}` };
    const [, cluster = "", service = ""] = RESOURCE_ID.exec(t.ResourceId)!;
    const svc = this.services.get(scope, cluster, service);
    const cause = `monitor alarm ${alarm.alarmName} in state ALARM triggered policy ${p.PolicyName}`;
    if (!svc) {
      this.#activity(scope, t, {
        Description: "Attempting to scale due to alarm triggered",
        Cause: cause,
        StatusCode: "Failed",
        NotScaledReasons: [{ Code: "TargetServicePutResourceAsUnscalable" }],
      });
      return { ok: true };
    }
    this.repo.store.tx(() => {
      if (p.PolicyType === "TargetTrackingScaling") this.#targetTracking(scope, t, p, alarm, svc, cause);
      else this.#stepScaling(scope, t, p, alarm, svc, cause);
    });
    return { ok: true };
  }

  /**
   * Target tracking: capacity proportional to how far the metric is from the target,
   * ceil(capacity × metric ÷ target), clamped to [min, max]. Scale-out during its cooldown counts
   * from the capacity before the previous scale-out; scale-in waits out its cooldown, never runs
   * with DisableScaleIn or during an ECS deployment.
   * https://docs.aws.amazon.com/autoscaling/application/userguide/target-tracking-scaling-policy-overview.html
   */
  #targetTracking(scope: Scope, t: TargetDoc, p: PolicyDoc, alarm: AlarmInvocation, svc: { desiredCount: number; deploymentInProgress: boolean }, cause: string): void {
    const tt = p.TargetTrackingScalingPolicyConfiguration!;
    const T = tt.TargetValue!;
    const M = alarm.values[alarm.values.length - 1];
    if (M === undefined) return;
    const now = this.#clock.now();
    const C = svc.desiredCount;
    const high = alarm.comparisonOperator.startsWith("GreaterThan");
    if (high) {
      if (t.SuspendedState.DynamicScalingOutSuspended) return;
      const cooldown = (tt.ScaleOutCooldown ?? DEFAULT_COOLDOWN_S) * 1000;
      const base = t.lastScaleOut && now - t.lastScaleOut.at < cooldown ? t.lastScaleOut.from : C;
      const D = Math.max(t.MinCapacity, Math.min(t.MaxCapacity, Math.ceil((Math.max(base, 1) * M) / T)));
      if (D <= C) {
        this.#notScaled(scope, t, cause, C, C >= t.MaxCapacity ? "AlreadyAtMaxCapacity" : "AlreadyAtDesiredCapacity");
        return;
      }
      t.lastScaleOut = { at: now, from: C, to: D };
      // A scale-out ends a running scale-in cooldown.
      delete t.lastScaleIn;
      this.#saveTarget(scope, t);
      this.#setCapacity(scope, t, D, cause);
      return;
    }
    if (tt.DisableScaleIn || t.SuspendedState.DynamicScalingInSuspended || svc.deploymentInProgress) return;
    const cooldown = (tt.ScaleInCooldown ?? DEFAULT_COOLDOWN_S) * 1000;
    if (t.lastScaleIn && now - t.lastScaleIn.at < cooldown) return;
    const D = Math.min(t.MaxCapacity, Math.max(t.MinCapacity, Math.ceil((C * M) / T)));
    if (D >= C) {
      this.#notScaled(scope, t, cause, C, C <= t.MinCapacity ? "AlreadyAtMinCapacity" : "AlreadyAtDesiredCapacity");
      return;
    }
    t.lastScaleIn = { at: now };
    this.#saveTarget(scope, t);
    this.#setCapacity(scope, t, D, cause);
  }

  /**
   * Step scaling: the alarm's datapoints aggregated, their distance from the threshold picks a
   * step, whose adjustment applies by AdjustmentType, clamped to [min, max].
   * https://docs.aws.amazon.com/autoscaling/application/userguide/application-auto-scaling-step-scaling-policies.html
   */
  #stepScaling(scope: Scope, t: TargetDoc, p: PolicyDoc, alarm: AlarmInvocation, svc: { desiredCount: number; deploymentInProgress: boolean }, cause: string): void {
    const cfg = p.StepScalingPolicyConfiguration!;
    const values = alarm.values;
    if (values.length === 0) return;
    const agg = cfg.MetricAggregationType ?? "Average";
    const value = agg === "Minimum" ? Math.min(...values) : agg === "Maximum" ? Math.max(...values) : values.reduce((a, c) => a + c, 0) / values.length;
    const x = value - alarm.threshold;
    const step = (cfg.StepAdjustments ?? []).find((s) => inStep(s, x));
    if (!step) {
      throw new Error(`No step adjustment found for metric value [${value}] and breach threshold ${alarm.threshold}`);
    }
    const now = this.#clock.now();
    const C = svc.desiredCount;
    const cooldown = (cfg.Cooldown ?? DEFAULT_COOLDOWN_S) * 1000;
    const inCooldown = p.lastStep !== undefined && now - p.lastStep.at < cooldown;
    const target = (base: number) => adjust(base, step.ScalingAdjustment ?? 0, cfg.AdjustmentType ?? "ChangeInCapacity", cfg.MinAdjustmentMagnitude);
    let D = target(C);
    const out = D > C;
    if (out && t.SuspendedState.DynamicScalingOutSuspended) return;
    if (!out && (t.SuspendedState.DynamicScalingInSuspended || svc.deploymentInProgress)) return;
    if (inCooldown) {
      // During the cooldown a scale-out adds only what goes beyond the previous one; scale-in waits.
      if (!out || p.lastStep!.to <= p.lastStep!.from) return;
      D = target(p.lastStep!.from);
    }
    D = Math.max(t.MinCapacity, Math.min(t.MaxCapacity, D));
    if (D === C) {
      const reason = D >= t.MaxCapacity && out ? "AlreadyAtMaxCapacity" : D <= t.MinCapacity && !out ? "AlreadyAtMinCapacity" : "AlreadyAtDesiredCapacity";
      this.#notScaled(scope, t, cause, C, reason);
      return;
    }
    if (inCooldown && D < C) return;
    p.lastStep = { at: now, from: C, to: D };
    this.repo.putPolicy(scope, keyOf(p), p.PolicyName, p.PolicyARN, p.CreationTime, JSON.stringify(p));
    this.#setCapacity(scope, t, D, cause);
  }

  #notScaled(scope: Scope, t: TargetDoc, cause: string, current: number, code: string): void {
    const reason: aas.NotScaledReason = { Code: code, CurrentCapacity: current };
    if (code === "AlreadyAtMaxCapacity") reason.MaxCapacity = t.MaxCapacity;
    if (code === "AlreadyAtMinCapacity") reason.MinCapacity = t.MinCapacity;
    this.#activity(scope, t, { Description: "Attempting to scale due to alarm triggered", Cause: cause, StatusCode: "Failed", NotScaledReasons: [reason] });
  }
}

function keyOf(x: { ServiceNamespace: string; ResourceId: string; ScalableDimension: string }): TargetKey {
  return { namespace: x.ServiceNamespace, resourceId: x.ResourceId, dimension: x.ScalableDimension };
}

function targetOut(t: TargetDoc): aas.ScalableTarget {
  return {
    ServiceNamespace: t.ServiceNamespace as aas.ServiceNamespace,
    ResourceId: t.ResourceId,
    ScalableDimension: t.ScalableDimension as aas.ScalableDimension,
    MinCapacity: t.MinCapacity,
    MaxCapacity: t.MaxCapacity,
    RoleARN: t.RoleARN,
    CreationTime: new Date(t.CreationTime),
    SuspendedState: t.SuspendedState,
    ScalableTargetARN: t.ScalableTargetARN,
  };
}

function policyUuid(arn: string): string {
  return /scalingPolicy:([^:]+):/.exec(arn)?.[1] ?? "";
}

function pageSize(n: number | undefined, max: number): number {
  if (n === undefined) return max;
  if (n < 1 || n > max) throw errors.validation(`1 validation error detected: Value '${n}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to ${max}`);
  return n;
}

function round(x: number): number {
  return Math.round(x * 1e9) / 1e9;
}

/** The metric (and statistic) a target tracking policy watches. */
function trackedMetric(k: TargetKey, tt: aas.TargetTrackingScalingPolicyConfiguration): Partial<cw.PutMetricAlarmInput> {
  const [, cluster = "", service = ""] = RESOURCE_ID.exec(k.resourceId)!;
  const pre = tt.PredefinedMetricSpecification;
  if (pre) {
    switch (pre.PredefinedMetricType) {
      case "ECSServiceAverageCPUUtilization":
      case "ECSServiceAverageMemoryUtilization":
        return {
          Namespace: "AWS/ECS",
          MetricName: pre.PredefinedMetricType === "ECSServiceAverageCPUUtilization" ? "CPUUtilization" : "MemoryUtilization",
          Dimensions: [
            { Name: "ClusterName", Value: cluster },
            { Name: "ServiceName", Value: service },
          ],
          Statistic: "Average",
          Unit: "Percent",
        };
      default: {
        const tg = (pre.ResourceLabel ?? "").replace(/^app\/[^/]+\/[^/]+\//, "");
        return {
          Namespace: "AWS/ApplicationELB",
          MetricName: "RequestCountPerTarget",
          Dimensions: [{ Name: "TargetGroup", Value: tg }],
          Statistic: "Sum",
        };
      }
    }
  }
  const c = tt.CustomizedMetricSpecification!;
  if (c.Metrics) {
    return {
      Metrics: c.Metrics.map((q) => ({
        Id: q.Id,
        ...(q.Expression !== undefined ? { Expression: q.Expression } : {}),
        ...(q.Label !== undefined ? { Label: q.Label } : {}),
        ReturnData: q.ReturnData ?? true,
        ...(q.MetricStat
          ? {
              MetricStat: {
                Metric: { Namespace: q.MetricStat.Metric?.Namespace, MetricName: q.MetricStat.Metric?.MetricName, Dimensions: q.MetricStat.Metric?.Dimensions ?? [] },
                Period: 60,
                Stat: q.MetricStat.Stat,
                ...(q.MetricStat.Unit ? { Unit: q.MetricStat.Unit as cw.StandardUnit } : {}),
              },
            }
          : {}),
      })),
    };
  }
  return {
    Namespace: c.Namespace,
    MetricName: c.MetricName,
    Dimensions: (c.Dimensions ?? []).map((d) => ({ Name: d.Name, Value: d.Value })),
    Statistic: c.Statistic as cw.Statistic,
    ...(c.Unit ? { Unit: c.Unit as cw.StandardUnit } : {}),
  };
}

/** Above the threshold: lower bound inclusive, upper exclusive; below it the other way round. */
function inStep(s: aas.StepAdjustment, x: number): boolean {
  const lo = s.MetricIntervalLowerBound ?? Number.NEGATIVE_INFINITY;
  const hi = s.MetricIntervalUpperBound ?? Number.POSITIVE_INFINITY;
  return x >= 0 ? x >= lo && x < hi : x > lo && x <= hi;
}

export function adjust(current: number, adjustment: number, type: string, minMagnitude: number | undefined): number {
  if (type === "ExactCapacity") return Math.max(0, adjustment);
  if (type === "ChangeInCapacity") return current + adjustment;
  // PercentChangeInCapacity: >1 rounds down, 0..1 → 1, -1..0 → -1, < -1 rounds up (toward zero).
  const raw = (current * adjustment) / 100;
  let change = raw > 1 ? Math.floor(raw) : raw > 0 ? 1 : raw < -1 ? Math.ceil(raw) : raw < 0 ? -1 : 0;
  if (minMagnitude !== undefined && Math.abs(change) < minMagnitude && change !== 0) change = Math.sign(change) * minMagnitude;
  return current + change;
}

/** Step bounds: no overlap, no gap, one open end each way, upper > lower. */
function checkSteps(cfg: aas.StepScalingPolicyConfiguration): void {
  const steps = cfg.StepAdjustments ?? [];
  if (steps.length === 0) throw errors.validation("StepAdjustments must contain at least one step adjustment.");
  if (cfg.AdjustmentType === undefined) throw errors.validation("AdjustmentType must be specified for a StepScaling policy.");
  if (cfg.MinAdjustmentMagnitude !== undefined && cfg.AdjustmentType !== "PercentChangeInCapacity") {
    throw errors.validation("MinAdjustmentMagnitude is only supported with the PercentChangeInCapacity adjustment type.");
  }
  for (const s of steps) {
    if (s.MetricIntervalLowerBound === undefined && s.MetricIntervalUpperBound === undefined) {
      throw errors.validation("Step adjustment cannot have both lower and upper bounds unspecified.");
    }
    if (s.MetricIntervalLowerBound !== undefined && s.MetricIntervalUpperBound !== undefined && s.MetricIntervalUpperBound <= s.MetricIntervalLowerBound) {
      throw errors.validation("Step adjustment upper bound must be greater than its lower bound.");
    }
    if (cfg.AdjustmentType === "ExactCapacity" && (s.ScalingAdjustment ?? 0) < 0) throw errors.validation("ExactCapacity adjustments must be non-negative.");
  }
  const sorted = [...steps].sort((a, b) => (a.MetricIntervalLowerBound ?? Number.NEGATIVE_INFINITY) - (b.MetricIntervalLowerBound ?? Number.NEGATIVE_INFINITY));
  if (sorted.filter((s) => s.MetricIntervalLowerBound === undefined).length > 1 || sorted.filter((s) => s.MetricIntervalUpperBound === undefined).length > 1) {
    throw errors.validation("There can be at most one step adjustment with a null lower bound and one with a null upper bound.");
  }
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!.MetricIntervalUpperBound;
    const lo = sorted[i]!.MetricIntervalLowerBound;
    if (prev === undefined || lo === undefined || prev !== lo) throw errors.validation("Step adjustments must not overlap and must not have gaps between them.");
  }
}
