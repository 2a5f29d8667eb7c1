import type { JSX } from "preact";
import { callAll } from "../api.ts";
import { deregistrationDelay, describeAction, describeCondition, elbKey, loadBalancersWithListeners, type Rule, type TargetGroup, targetHealth } from "../elb.ts";
import { useLive, useTitle } from "../hooks.ts";
import { Badge, Empty, ErrorBox, Loading, Section } from "../ui.tsx";
import { TargetHealthTables } from "./service.tsx";

async function load() {
  const lbs = await loadBalancersWithListeners();
  const out = [];
  for (const { lb, listeners } of lbs) {
    const withRules = [];
    for (const l of listeners) {
      const rules = await callAll<Rule>("elasticloadbalancing", "DescribeRules", { ListenerArn: l.ListenerArn }, "Rules", "Marker", "NextMarker");
      const order = (r: Rule) => (r.IsDefault || r.Priority === "default" ? Number.POSITIVE_INFINITY : Number(r.Priority));
      withRules.push({ listener: l, rules: rules.sort((a, b) => order(a) - order(b)) });
    }
    const tgs = await callAll<TargetGroup>("elasticloadbalancing", "DescribeTargetGroups", { LoadBalancerArn: lb.LoadBalancerArn }, "TargetGroups", "Marker", "NextMarker");
    const groups = [];
    for (const tg of tgs) {
      const [targets, delay] = await Promise.all([targetHealth(tg.TargetGroupArn), deregistrationDelay(tg.TargetGroupArn)]);
      groups.push({ arn: tg.TargetGroupArn, name: `${tg.TargetGroupName} (${tg.Protocol ?? ""}:${tg.Port ?? ""}, ${tg.TargetType ?? "instance"}, health check ${tg.HealthCheckPath ?? "/"})`, delay, targets });
    }
    out.push({ lb, listeners: withRules, groups });
  }
  return out;
}

export function LoadBalancersView(): JSX.Element {
  useTitle("Load balancers");
  const data = useLive(load, elbKey, []);
  return (
    <>
      <h1>Load balancers</h1>
      <ErrorBox error={data.error} />
      {data.loading && !data.data ? <Loading /> : null}
      {data.data && data.data.length === 0 ? <Empty>No load balancers.</Empty> : null}
      {(data.data ?? []).map(({ lb, listeners, groups }) => (
        <Section key={lb.LoadBalancerArn} title={lb.LoadBalancerName} id={`lb-${lb.LoadBalancerName}`}>
          <p class="summary">
            <Badge status={lb.State?.Code} /> <span>{lb.Type ?? "application"}</span> <span>{lb.Scheme}</span> <span class="wrap">{lb.DNSName}</span>
          </p>
          <h3>Listeners and rules</h3>
          {listeners.length === 0 ? <Empty>No listeners.</Empty> : null}
          {listeners.map(({ listener: l, rules }) => (
            <div key={l.ListenerArn} class="listener-block">
              <p>
                <strong>
                  {l.Protocol} :{l.Port}
                </strong>{" "}
                {l.url ? (
                  <a href={l.url} target="_blank" rel="noopener noreferrer">
                    {l.url}
                  </a>
                ) : (
                  <span class="muted">not bound</span>
                )}
                {l.note ? <span class="muted small"> ({l.note})</span> : null}
              </p>
              <div class="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">Priority</th>
                      <th scope="col">Conditions</th>
                      <th scope="col">Action</th>
                    </tr>
                  </thead>
                  <tbody>
                    {rules.map((r) => (
                      <tr key={r.RuleArn}>
                        <th scope="row">{r.IsDefault ? "default" : r.Priority}</th>
                        <td>{(r.Conditions ?? []).map(describeCondition).join(" and ") || "any request"}</td>
                        <td>{(r.Actions ?? []).map(describeAction).join("; ")}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </div>
          ))}
          <h3>Target groups</h3>
          {groups.length === 0 ? <Empty>No target groups.</Empty> : <TargetHealthTables groups={groups} />}
        </Section>
      ))}
    </>
  );
}
