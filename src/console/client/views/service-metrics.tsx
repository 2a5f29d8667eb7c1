/**
 * A service's metrics and scaling: CloudWatch's AWS/ECS CPUUtilization and MemoryUtilization
 * (ClusterName, ServiceName) and each target group's AWS/ApplicationELB RequestCountPerTarget over
 * the last hour at one minute, drawn as small inline SVG charts; Application Auto Scaling's
 * scalable target, policies (with their alarms' states) and latest activities. It re-reads when
 * Slipway has published a minute of metrics (the "metrics:minute" key), when the service changes,
 * and on calls to either API. Where this Slipway does not serve those APIs, it says so.
 */
import type { JSX } from "preact";
import { call } from "../api.ts";
import type { Service } from "../ecs.ts";
import { useLive } from "../hooks.ts";
import { sessionServices } from "../session-info.ts";
import { Badge, Empty, ErrorBox, Loading, Section, Time } from "../ui.tsx";

interface Series {
  id: string;
  label: string;
  unit: string;
  points: { t: number; v: number }[];
}

const HOUR = 60 * 60 * 1000;
const at = (ms: number) => ({ $date: ms });

async function loadMetrics(cluster: string, service: Service): Promise<Series[]> {
  const end = Date.now();
  const dims = [
    { Name: "ClusterName", Value: cluster },
    { Name: "ServiceName", Value: service.serviceName },
  ];
  const queries: { Id: string; Label: string; unit: string; MetricStat: unknown }[] = [
    { Id: "cpu", Label: "CPU utilization", unit: "%", MetricStat: { Metric: { Namespace: "AWS/ECS", MetricName: "CPUUtilization", Dimensions: dims }, Period: 60, Stat: "Average" } },
    { Id: "memory", Label: "Memory utilization", unit: "%", MetricStat: { Metric: { Namespace: "AWS/ECS", MetricName: "MemoryUtilization", Dimensions: dims }, Period: 60, Stat: "Average" } },
  ];
  const groups = [...new Set((service.loadBalancers ?? []).map((l) => l.targetGroupArn).filter((a): a is string => !!a))];
  groups.forEach((arn, i) => {
    const dimension = arn.split(":").slice(5).join(":");
    queries.push({
      Id: `rpt${i}`,
      Label: `Requests per target (${dimension.split("/")[1] ?? dimension})`,
      unit: "",
      MetricStat: { Metric: { Namespace: "AWS/ApplicationELB", MetricName: "RequestCountPerTarget", Dimensions: [{ Name: "TargetGroup", Value: dimension }] }, Period: 60, Stat: "Sum" },
    });
  });
  const r = await call("monitoring", "GetMetricData", {
    MetricDataQueries: queries.map(({ unit: _, ...q }) => q),
    StartTime: at(end - HOUR),
    EndTime: at(end),
    ScanBy: "TimestampAscending",
  });
  const results = (r.MetricDataResults ?? []) as { Id: string; Timestamps?: string[]; Values?: number[] }[];
  return queries.map((q) => {
    const res = results.find((x) => x.Id === q.Id);
    const points = (res?.Timestamps ?? []).map((t, i) => ({ t: Date.parse(t), v: res?.Values?.[i] ?? 0 })).sort((a, b) => a.t - b.t);
    return { id: q.Id, label: q.Label, unit: q.unit, points };
  });
}

function fmt(v: number, unit: string): string {
  return `${Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(1)}${unit ? ` ${unit}` : ""}`;
}

/** The last hour as a line, with its latest and highest value in words (the chart's text alternative). */
function Chart(props: { s: Series; end: number }): JSX.Element {
  const { s } = props;
  const W = 300;
  const H = 60;
  if (s.points.length === 0) {
    return (
      <figure class="chart" data-metric={s.id}>
        <figcaption>{s.label}</figcaption>
        <p class="muted small">No datapoints in the last hour yet (Slipway publishes once a minute).</p>
      </figure>
    );
  }
  const max = Math.max(...s.points.map((p) => p.v), 0);
  // Percentages are drawn against 100 %, counts against their own highest value.
  const top = s.unit === "%" ? Math.max(100, max) : Math.max(max, 0.000001);
  const start = props.end - HOUR;
  const x = (t: number) => ((t - start) / HOUR) * W;
  const y = (v: number) => H - 2 - (v / top) * (H - 4);
  const line = s.points.map((p) => `${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(" ");
  const latest = s.points[s.points.length - 1]!;
  const summary = `${s.label}, last hour: latest ${fmt(latest.v, s.unit)}, highest ${fmt(max, s.unit)}, ${s.points.length} datapoints`;
  return (
    <figure class="chart" data-metric={s.id}>
      <figcaption>
        {s.label} <strong>{fmt(latest.v, s.unit)}</strong> <span class="muted small">max {fmt(max, s.unit)}</span>
      </figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} preserveAspectRatio="none" role="img" aria-label={summary}>
        <line x1="0" y1={H - 1} x2={W} y2={H - 1} class="axis" />
        {s.points.length === 1 ? <circle cx={x(latest.t)} cy={y(latest.v)} r="2" class="dot" /> : <polyline points={line} class="series" />}
      </svg>
    </figure>
  );
}

interface Scaling {
  target?: { MinCapacity?: number; MaxCapacity?: number; SuspendedState?: Record<string, boolean> };
  policies: { PolicyName: string; PolicyType: string; detail: string; alarms: { name: string; state?: string }[] }[];
  activities: { ActivityId: string; StartTime?: string; StatusCode?: string; Description?: string; Cause?: string; StatusMessage?: string }[];
}

async function loadScaling(cluster: string, service: string): Promise<Scaling> {
  const resourceId = `service/${cluster}/${service}`;
  const base = { ServiceNamespace: "ecs" };
  const [targets, policies, activities] = await Promise.all([
    call("application-autoscaling", "DescribeScalableTargets", { ...base, ResourceIds: [resourceId], ScalableDimension: "ecs:service:DesiredCount" }),
    call("application-autoscaling", "DescribeScalingPolicies", { ...base, ResourceId: resourceId, ScalableDimension: "ecs:service:DesiredCount" }),
    call("application-autoscaling", "DescribeScalingActivities", { ...base, ResourceId: resourceId, ScalableDimension: "ecs:service:DesiredCount", MaxResults: 10 }),
  ]);
  type Policy = {
    PolicyName: string;
    PolicyType: string;
    Alarms?: { AlarmName: string }[];
    TargetTrackingScalingPolicyConfiguration?: { TargetValue?: number; PredefinedMetricSpecification?: { PredefinedMetricType?: string }; CustomizedMetricSpecification?: { MetricName?: string } };
    StepScalingPolicyConfiguration?: { AdjustmentType?: string };
  };
  const ps = (policies.ScalingPolicies ?? []) as Policy[];
  const alarmNames = ps.flatMap((p) => (p.Alarms ?? []).map((a) => a.AlarmName));
  const states = new Map<string, string>();
  if (alarmNames.length && sessionServices().includes("monitoring")) {
    const r = await call("monitoring", "DescribeAlarms", { AlarmNames: alarmNames.slice(0, 100) });
    for (const a of (r.MetricAlarms ?? []) as { AlarmName: string; StateValue?: string }[]) if (a.StateValue) states.set(a.AlarmName, a.StateValue);
  }
  return {
    target: (targets.ScalableTargets ?? [])[0],
    policies: ps.map((p) => {
      const tt = p.TargetTrackingScalingPolicyConfiguration;
      const metric = tt?.PredefinedMetricSpecification?.PredefinedMetricType ?? tt?.CustomizedMetricSpecification?.MetricName;
      const detail = tt ? `keeps ${metric ?? "its metric"} at ${tt.TargetValue}` : p.StepScalingPolicyConfiguration ? `step scaling (${p.StepScalingPolicyConfiguration.AdjustmentType ?? ""})` : "";
      return { PolicyName: p.PolicyName, PolicyType: p.PolicyType, detail, alarms: (p.Alarms ?? []).map((a) => ({ name: a.AlarmName, state: states.get(a.AlarmName) })) };
    }),
    activities: activities.ScalingActivities ?? [],
  };
}

const relevant = (service: Service) => (k: string) =>
  k === "metrics:minute" || k === `service:${service.serviceArn}` || (k.startsWith("api:") && (k.includes(":application-autoscaling:") || k.includes(":monitoring:")));

function Metrics(props: { cluster: string; service: Service }): JSX.Element {
  const tgs = (props.service.loadBalancers ?? []).map((l) => l.targetGroupArn).join(",");
  const live = useLive(async () => ({ series: await loadMetrics(props.cluster, props.service), end: Date.now() }), relevant(props.service), [props.cluster, props.service.serviceName, tgs]);
  return (
    <div class="charts">
      <ErrorBox error={live.error} what="GetMetricData" />
      {live.data ? live.data.series.map((s) => <Chart key={s.id} s={s} end={live.data!.end} />) : <Loading what="metrics" />}
    </div>
  );
}

function ScalingView(props: { cluster: string; service: Service }): JSX.Element {
  const live = useLive(() => loadScaling(props.cluster, props.service.serviceName), relevant(props.service), [props.cluster, props.service.serviceName]);
  if (live.error) return <ErrorBox error={live.error} what="Application Auto Scaling" />;
  if (!live.data) return <Loading what="scaling" />;
  const { target, policies, activities } = live.data;
  if (!target) return <Empty>No scalable target: the service's desired count is set only by hand (register one with Application Auto Scaling to scale it).</Empty>;
  const suspended = Object.entries(target.SuspendedState ?? {})
    .filter(([, v]) => v)
    .map(([k]) => k);
  return (
    <div data-testid="scaling">
      <p>
        Scalable target: <strong>{target.MinCapacity}</strong> to <strong>{target.MaxCapacity}</strong> tasks
        {suspended.length ? <span class="muted"> (suspended: {suspended.join(", ")})</span> : null}
      </p>
      {policies.length === 0 ? <Empty>No scaling policies.</Empty> : null}
      <ul class="plain">
        {policies.map((p) => (
          <li key={p.PolicyName}>
            <strong>{p.PolicyName}</strong> <span class="muted small">{p.PolicyType}</span> {p.detail}{" "}
            {p.alarms.map((a) => (
              <span key={a.name} class="small">
                <Badge status={a.state === "ALARM" ? "unhealthy" : a.state === "OK" ? "ok" : undefined} label={`${a.name}: ${a.state ?? "?"}`} />{" "}
              </span>
            ))}
          </li>
        ))}
      </ul>
      <h3>Scaling activity</h3>
      {activities.length === 0 ? <Empty>No scaling activity yet.</Empty> : null}
      <ol class="events">
        {activities.map((a) => (
          <li key={a.ActivityId}>
            <Time at={a.StartTime} /> <Badge status={a.StatusCode === "Successful" ? "ok" : a.StatusCode === "Failed" ? "failed" : a.StatusCode} label={a.StatusCode} />{" "}
            <span>{a.Description}</span> <span class="muted small">{a.Cause}</span>
            {a.StatusMessage ? <span class="muted small"> {a.StatusMessage}</span> : null}
          </li>
        ))}
      </ol>
    </div>
  );
}

export function ServiceMetrics(props: { cluster: string; service: Service }): JSX.Element {
  const served = sessionServices();
  const metrics = served.includes("monitoring");
  const scaling = served.includes("application-autoscaling");
  return (
    <Section title="Metrics and scaling">
      {metrics ? <Metrics cluster={props.cluster} service={props.service} /> : <p class="muted">This Slipway does not serve CloudWatch metrics.</p>}
      {scaling ? <ScalingView cluster={props.cluster} service={props.service} /> : <p class="muted">This Slipway does not serve Application Auto Scaling.</p>}
    </Section>
  );
}
