/**
 * Metrics and scaling activity of a service: the place for CloudWatch metrics (CPUUtilization,
 * MemoryUtilization, the load balancer's RequestCountPerTarget) and Application Auto Scaling's
 * activities. It shows them once this Slipway serves those APIs (the session lists the signing
 * names "monitoring" and "application-autoscaling"); until then it says so.
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
