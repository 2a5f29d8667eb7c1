/**
 * Metrics and scaling activity of a service: the place for CloudWatch metrics (AWS/ECS
 * CPUUtilization and MemoryUtilization by ClusterName/ServiceName, the target group's
 * RequestCountPerTarget) and Application Auto Scaling's scalable target and activities
 * (ResourceId service/<cluster>/<service>). Until this Slipway serves those APIs (the session
 * lists the signing names "monitoring" and "application-autoscaling") it says so.
 *
 * To show them: add `monitoring` (@aws-sdk/client-cloudwatch: GetMetricData, DescribeAlarms) and
 * `application-autoscaling` (@aws-sdk/client-application-auto-scaling: DescribeScalableTargets,
 * DescribeScalingPolicies, DescribeScalingActivities) to CONSOLE_OPERATIONS in src/console/aws.ts,
 * read them here with call(), and re-read on the keys those services mark (or on
 * "api:…:application-autoscaling:…" calls, which the feed already sends).
 */
import type { JSX } from "preact";
import type { Service } from "../ecs.ts";
import { sessionServices } from "../session-info.ts";
import { Section } from "../ui.tsx";

export function ServiceMetrics(props: { cluster: string; service: Service }): JSX.Element {
  const served = sessionServices();
  const metrics = served.includes("monitoring");
  const scaling = served.includes("application-autoscaling");
  return (
    <Section title="Metrics and scaling">
      <p class="muted">
        {metrics ? "CloudWatch metrics are served by this Slipway; charts are not drawn by this console version yet." : "This Slipway does not serve CloudWatch metrics yet."}{" "}
        {scaling ? "Application Auto Scaling is served; its activities are not listed by this console version yet." : "Application Auto Scaling is not served yet."}{" "}
        Service <code>{props.service.serviceName}</code> in cluster <code>{props.cluster}</code> will show CPU and memory use, requests per target and
        scaling activity here.
      </p>
    </Section>
  );
}
