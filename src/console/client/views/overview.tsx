import type { JSX } from "preact";
import { useLive, useTitle } from "../hooks.ts";
import { type Cluster, clusters, ecsKeyIn, revisionOf, type Service, serviceHealth, services } from "../ecs.ts";
import { elbKey, loadBalancersWithListeners } from "../elb.ts";
import { Link, route } from "../router.tsx";
import { Badge, Empty, ErrorBox, Loading, Section, Time } from "../ui.tsx";

async function loadEcs(): Promise<{ clusters: Cluster[]; services: Service[] }> {
  const cs = await clusters();
  const ss = (await Promise.all(cs.map((c) => services(c.clusterName)))).flat();
  return { clusters: cs, services: ss };
}

export function Overview(): JSX.Element {
  useTitle("Overview");
  const ecs = useLive(loadEcs, (k) => ecsKeyIn(k, undefined), []);
  const lbs = useLive(loadBalancersWithListeners, elbKey, []);
  const clusterName = (arn: string) => arn.split("/").pop() ?? arn;
  const sorted = [...(ecs.data?.services ?? [])].sort((a, b) => serviceHealth(b).rank - serviceHealth(a).rank || a.serviceName.localeCompare(b.serviceName));
  const events = (ecs.data?.services ?? [])
    .flatMap((s) => s.events.slice(0, 20).map((e) => ({ ...e, service: s })))
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
    .slice(0, 25);
  return (
    <>
      <h1>Overview</h1>
      <Section title="Services">
        <ErrorBox error={ecs.error} />
        {ecs.loading && !ecs.data ? <Loading what="services" /> : null}
        {ecs.data && sorted.length === 0 ? <Empty>No services yet. Create one with the AWS CLI, an SDK or Terraform; it appears here at once.</Empty> : null}
        {sorted.length ? (
          <div class="table-wrap">
            <table>
              <caption class="sr-only">Services, those needing attention first</caption>
              <thead>
                <tr>
                  <th scope="col">Service</th>
                  <th scope="col">Cluster</th>
                  <th scope="col">State</th>
                  <th scope="col">Tasks (running / desired)</th>
                  <th scope="col">Pending</th>
                  <th scope="col">Task definition</th>
                </tr>
              </thead>
              <tbody>
                {sorted.map((s) => {
                  const h = serviceHealth(s);
                  const cluster = clusterName(s.clusterArn);
                  return (
                    <tr key={s.serviceArn} data-service={s.serviceName}>
                      <th scope="row">
                        <Link to={route("clusters", cluster, "services", s.serviceName)}>{s.serviceName}</Link>
                      </th>
                      <td>{cluster}</td>
                      <td>
                        <span class={`badge ${h.tone}`}>{h.label}</span>
                      </td>
                      <td class="num" data-testid="task-counts">
                        {s.runningCount} / {s.desiredCount}
                      </td>
                      <td class="num">{s.pendingCount}</td>
                      <td>{revisionOf(s.taskDefinition)}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        ) : null}
      </Section>

      <Section title="Clusters">
        {ecs.data && ecs.data.clusters.length === 0 ? <Empty>No clusters.</Empty> : null}
        {ecs.data?.clusters.length ? (
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Cluster</th>
                  <th scope="col">Status</th>
                  <th scope="col">Services</th>
                  <th scope="col">Running tasks</th>
                  <th scope="col">Pending tasks</th>
                </tr>
              </thead>
              <tbody>
                {ecs.data.clusters.map((c) => (
                  <tr key={c.clusterArn}>
                    <th scope="row">{c.clusterName}</th>
                    <td>
                      <Badge status={c.status} />
                    </td>
                    <td class="num">{c.activeServicesCount}</td>
                    <td class="num">{c.runningTasksCount}</td>
                    <td class="num">{c.pendingTasksCount}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </Section>

      <Section title="Load balancers">
        <ErrorBox error={lbs.error} />
        {lbs.loading && !lbs.data ? <Loading what="load balancers" /> : null}
        {lbs.data && lbs.data.length === 0 ? <Empty>No load balancers.</Empty> : null}
        {lbs.data?.length ? (
          <ul class="plain">
            {lbs.data.map(({ lb, listeners }) => (
              <li key={lb.LoadBalancerArn}>
                <strong>{lb.LoadBalancerName}</strong> <Badge status={lb.State?.Code} />{" "}
                {listeners.length === 0 ? <span class="muted">no listeners</span> : null}
                {listeners.map((l) =>
                  l.url ? (
                    <a key={l.ListenerArn} class="listener" href={l.url} target="_blank" rel="noopener noreferrer" title={l.note}>
                      {l.Protocol} :{l.Port} → {l.url}
                    </a>
                  ) : (
                    <span key={l.ListenerArn} class="listener muted">
                      {l.Protocol} :{l.Port} (not bound)
                    </span>
                  ),
                )}
              </li>
            ))}
          </ul>
        ) : null}
      </Section>

      <Section title="Recent events">
        {events.length === 0 ? <Empty>No service events yet.</Empty> : null}
        <ol class="events">
          {events.map((e) => (
            <li key={e.id}>
              <Time at={e.createdAt} /> <Link to={route("clusters", clusterName(e.service.clusterArn), "services", e.service.serviceName)}>{e.service.serviceName}</Link>{" "}
              <span>{e.message}</span>
            </li>
          ))}
        </ol>
      </Section>
    </>
  );
}
