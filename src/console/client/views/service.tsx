import type { JSX } from "preact";
import { useState } from "preact/hooks";
import { ApiError, call, callAll } from "../api.ts";
import { type Deployment, describeService, ecsKeyIn, revisionOf, type Service, serviceHealth, serviceTasks, type Task } from "../ecs.ts";
import { deregistrationDelay, type TargetHealth, targetGroup, targetHealth } from "../elb.ts";
import { useLive, useTitle } from "../hooks.ts";
import { Link, route } from "../router.tsx";
import { Badge, Empty, ErrorBox, Loading, Section, shortArn, Time } from "../ui.tsx";
import { NotFound } from "./not-found.tsx";
import { ServiceMetrics } from "./service-metrics.tsx";

/** One deployment as a row of task slots: filled = running, hatched = pending, empty = still to start. */
export function DeploymentBar(props: { d: Deployment; primary: boolean }): JSX.Element {
  const { d } = props;
  const slots = Math.max(d.desiredCount, d.runningCount + d.pendingCount);
  const missing = Math.max(0, slots - d.runningCount - d.pendingCount);
  const label = `${d.id} (${revisionOf(d.taskDefinition)}): ${d.runningCount} running, ${d.pendingCount} pending, ${d.desiredCount} desired`;
  return (
    <div class={`bar ${props.primary ? "new" : "old"}`} role="img" aria-label={label}>
      {Array.from({ length: d.runningCount }, (_, i) => (
        <span key={`r${i}`} class="slot running" />
      ))}
      {Array.from({ length: d.pendingCount }, (_, i) => (
        <span key={`p${i}`} class="slot pending" />
      ))}
      {Array.from({ length: missing }, (_, i) => (
        <span key={`m${i}`} class="slot missing" />
      ))}
      {slots === 0 ? <span class="muted small">no tasks</span> : null}
    </div>
  );
}

function Deployments(props: { service: Service }): JSX.Element {
  const ds = props.service.deployments;
  return (
    <ol class="deployments" aria-live="polite">
      {ds.map((d) => (
        <li key={d.id} class="deployment" data-deployment-id={d.id} data-status={d.status} data-rollout-state={d.rolloutState ?? ""} data-running={d.runningCount} data-desired={d.desiredCount}>
          <div class="dep-head">
            <Badge status={d.status} label={d.status === "PRIMARY" ? "new (PRIMARY)" : `old (${d.status})`} />
            <strong>{revisionOf(d.taskDefinition)}</strong>
            <Badge status={d.rolloutState} />
            <span class="muted small">{d.id}</span>
          </div>
          <DeploymentBar d={d} primary={d.status === "PRIMARY"} />
          <div class="small">
            {d.runningCount} running · {d.pendingCount} pending · {d.desiredCount} desired · {d.failedTasks} failed
            {d.rolloutStateReason ? <span class="muted"> — {d.rolloutStateReason}</span> : null}
          </div>
        </li>
      ))}
    </ol>
  );
}

function Actions(props: { cluster: string; service: Service; onDone: () => void }): JSX.Element {
  const { cluster, service } = props;
  const [message, setMessage] = useState<{ ok: boolean; text: string } | undefined>();
  const [busy, setBusy] = useState(false);
  const family = revisionOf(service.taskDefinition).split(":")[0]!;
  const revisions = useLive(
    () => callAll<string>("ecs", "ListTaskDefinitions", { familyPrefix: family, sort: "DESC", status: "ACTIVE" }, "taskDefinitionArns"),
    (k) => k.startsWith("task-definition:"),
    [family],
  );
  const current = service.taskDefinition;
  const older = (revisions.data ?? []).filter((a) => a !== current);
  const currentRev = Number(current.split(":").pop());
  const previous = older.find((a) => Number(a.split(":").pop()) < currentRev) ?? older[0];
  const [target, setTarget] = useState<string | undefined>();
  const rollbackTo = target && older.includes(target) ? target : previous;

  const update = async (input: Record<string, unknown>, what: string) => {
    setBusy(true);
    setMessage(undefined);
    try {
      const r = await call("ecs", "UpdateService", { cluster, service: service.serviceName, ...input });
      const primary = (r.service as Service).deployments.find((d) => d.status === "PRIMARY");
      setMessage({ ok: true, text: `${what}: UpdateService succeeded${primary ? `; deployment ${primary.id} is ${primary.rolloutState ?? primary.status}` : ""}.` });
      props.onDone();
    } catch (e) {
      setMessage({ ok: false, text: e instanceof ApiError ? `${what} failed: ${e.code}: ${e.message}` : String(e) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="actions">
      <form
        class="inline"
        onSubmit={(e) => {
          e.preventDefault();
          const n = Number(new FormData(e.currentTarget as HTMLFormElement).get("desired"));
          void update({ desiredCount: n }, `Set desired count to ${n}`);
        }}
      >
        <label for="desired">Desired count</label>
        <input id="desired" name="desired" type="number" min={0} max={1000} required value={service.desiredCount} key={service.desiredCount} />
        <button type="submit" disabled={busy}>
          Set desired count
        </button>
      </form>
      <button type="button" disabled={busy} onClick={() => void update({ forceNewDeployment: true }, "Force new deployment")}>
        Force new deployment
      </button>
      <form
        class="inline"
        onSubmit={(e) => {
          e.preventDefault();
          if (rollbackTo) void update({ taskDefinition: rollbackTo }, `Roll back to ${revisionOf(rollbackTo)}`);
        }}
      >
        <label for="rollback">Roll back to</label>
        <select id="rollback" value={rollbackTo} onChange={(e) => setTarget((e.currentTarget as HTMLSelectElement).value)} disabled={older.length === 0}>
          {older.length === 0 ? <option value="">no other revision</option> : null}
          {older.map((a) => (
            <option key={a} value={a}>
              {revisionOf(a)}
            </option>
          ))}
        </select>
        <button type="submit" disabled={busy || !rollbackTo}>
          Roll back
        </button>
      </form>
      <p role="status" class={message ? (message.ok ? "ok-text" : "error") : "sr-only"}>
        {message?.text ?? ""}
      </p>
    </div>
  );
}

function StopButton(props: { cluster: string; task: Task; onDone: () => void }): JSX.Element | null {
  const [confirm, setConfirm] = useState(false);
  const [error, setError] = useState<Error | undefined>();
  if (props.task.desiredStatus === "STOPPED") return null;
  const id = props.task.taskArn.split("/").pop()!;
  const stop = async () => {
    try {
      await call("ecs", "StopTask", { cluster: props.cluster, task: props.task.taskArn, reason: "Stopped from the Slipway console" });
      props.onDone();
    } catch (e) {
      setError(e as Error);
    }
    setConfirm(false);
  };
  return (
    <>
      {confirm ? (
        <>
          <button type="button" class="danger" onClick={() => void stop()} aria-label={`Confirm: stop task ${id}`}>
            Confirm stop
          </button>{" "}
          <button type="button" class="link" onClick={() => setConfirm(false)}>
            Cancel
          </button>
        </>
      ) : (
        <button type="button" onClick={() => setConfirm(true)} aria-label={`Stop task ${id}`}>
          Stop
        </button>
      )}
      <ErrorBox error={error} />
    </>
  );
}

export function TasksTable(props: { cluster: string; tasks: Task[]; deployments?: Deployment[]; onChanged: () => void }): JSX.Element {
  if (props.tasks.length === 0) return <Empty>No tasks.</Empty>;
  const depRev = new Map((props.deployments ?? []).map((d) => [d.id, d.status]));
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th scope="col">Task</th>
            <th scope="col">Revision</th>
            <th scope="col">Status</th>
            <th scope="col">Health</th>
            <th scope="col">Started</th>
            <th scope="col">Stopped reason</th>
            <th scope="col">
              <span class="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {props.tasks.map((t) => {
            const id = t.taskArn.split("/").pop()!;
            return (
              <tr key={t.taskArn} data-task-id={id} data-last-status={t.lastStatus}>
                <th scope="row">
                  <Link to={route("clusters", props.cluster, "tasks", id)}>{id.slice(0, 12)}</Link>
                </th>
                <td>
                  {revisionOf(t.taskDefinitionArn)}
                  {t.startedBy && depRev.get(t.startedBy) ? <span class="muted small"> ({depRev.get(t.startedBy) === "PRIMARY" ? "new" : "old"})</span> : null}
                </td>
                <td>
                  <Badge status={t.lastStatus} />
                  {t.desiredStatus !== t.lastStatus ? <span class="muted small"> → {t.desiredStatus}</span> : null}
                </td>
                <td>
                  <Badge status={t.healthStatus} />
                </td>
                <td>
                  <Time at={t.startedAt ?? t.createdAt} />
                </td>
                <td class="wrap">{t.stoppedReason ?? ""}</td>
                <td>
                  <StopButton cluster={props.cluster} task={t} onDone={props.onChanged} />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

interface TargetGroupHealth {
  arn: string;
  name: string;
  delay?: string;
  targets: TargetHealth[];
}

export function TargetHealthTables(props: { groups: TargetGroupHealth[] }): JSX.Element {
  return (
    <>
      {props.groups.map((g) => (
        <div key={g.arn} class="tg">
          <h3>
            {g.name}
            {g.delay !== undefined ? <span class="muted small"> · deregistration delay {g.delay} s</span> : null}
          </h3>
          {g.targets.length === 0 ? (
            <Empty>No registered targets.</Empty>
          ) : (
            <div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Target</th>
                    <th scope="col">Port</th>
                    <th scope="col">State</th>
                    <th scope="col">Reason</th>
                    <th scope="col">Description</th>
                  </tr>
                </thead>
                <tbody>
                  {g.targets.map((t) => (
                    <tr key={`${t.Target.Id}:${t.Target.Port}`} data-target-state={t.TargetHealth.State}>
                      <th scope="row">{t.Target.Id}</th>
                      <td class="num">{t.Target.Port ?? "—"}</td>
                      <td>
                        <Badge status={t.TargetHealth.State} />
                      </td>
                      <td>{t.TargetHealth.Reason ?? ""}</td>
                      <td class="wrap">{t.TargetHealth.Description ?? ""}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </div>
      ))}
    </>
  );
}

async function loadTargetGroups(service: Service | undefined): Promise<TargetGroupHealth[]> {
  const arns = [...new Set((service?.loadBalancers ?? []).map((l) => l.targetGroupArn).filter((a): a is string => !!a))];
  const out: TargetGroupHealth[] = [];
  for (const arn of arns) {
    const [tg, targets, delay] = await Promise.all([targetGroup(arn), targetHealth(arn), deregistrationDelay(arn)]);
    out.push({ arn, name: tg?.TargetGroupName ?? shortArn(arn), delay, targets });
  }
  return out;
}

export function ServiceView(props: { cluster: string; service: string }): JSX.Element {
  const { cluster } = props;
  useTitle(props.service);
  const svc = useLive(() => describeService(cluster, props.service), (k) => ecsKeyIn(k, cluster) && !k.startsWith("task:"), [cluster, props.service]);
  const tasks = useLive(() => serviceTasks(cluster, props.service), (k) => ecsKeyIn(k, cluster), [cluster, props.service]);
  const tgArns = (svc.data?.loadBalancers ?? []).map((l) => l.targetGroupArn ?? "").join(",");
  const health = useLive(
    () => loadTargetGroups(svc.data),
    (k) => tgArns.split(",").some((a) => a && (k === `health:${a}` || k === `elbv2:${a}`)),
    [tgArns],
  );
  if (svc.error instanceof ApiError && (svc.error.code === "ClusterNotFoundException" || svc.error.code === "ServiceNotFoundException")) return <NotFound />;
  if (svc.loading && !svc.data) return <Loading what="the service" />;
  const s = svc.data;
  if (!s) return svc.error ? <ErrorBox error={svc.error} /> : <NotFound />;
  const h = serviceHealth(s);
  const reload = () => {
    svc.reload();
    tasks.reload();
  };
  const dc = s.deploymentConfiguration;
  return (
    <>
      <p class="crumbs">
        <Link to="">Overview</Link> › cluster {cluster}
      </p>
      <h1>
        {s.serviceName} <span class={`badge ${h.tone}`}>{h.label}</span>
      </h1>
      <ErrorBox error={svc.error} />
      <p class="summary">
        <span>
          <strong data-testid="running-count">{s.runningCount}</strong> running / <strong>{s.desiredCount}</strong> desired
        </span>
        <span>{s.pendingCount} pending</span>
        <span>{revisionOf(s.taskDefinition)}</span>
        <span>{s.launchType ?? "capacity provider"}</span>
        <span>
          max {dc?.maximumPercent ?? "—"}% · min healthy {dc?.minimumHealthyPercent ?? "—"}% · circuit breaker {dc?.deploymentCircuitBreaker?.enable ? `on${dc.deploymentCircuitBreaker.rollback ? " (rollback)" : ""}` : "off"}
        </span>
        <span>ECS Exec {s.enableExecuteCommand ? "enabled" : "disabled"}</span>
      </p>
      <Section title="Actions">
        <Actions cluster={cluster} service={s} onDone={reload} />
      </Section>
      <Section title="Deployments">
        <Deployments service={s} />
      </Section>
      <Section title="Tasks">
        <ErrorBox error={tasks.error} />
        {tasks.data ? <TasksTable cluster={cluster} tasks={tasks.data} deployments={s.deployments} onChanged={reload} /> : <Loading what="tasks" />}
      </Section>
      {(s.loadBalancers ?? []).length ? (
        <Section title="Target health">
          <ErrorBox error={health.error} />
          {health.data ? <TargetHealthTables groups={health.data} /> : <Loading what="target health" />}
        </Section>
      ) : null}
      <ServiceMetrics cluster={cluster} service={s} />
      <Section title="Events">
        {s.events.length === 0 ? <Empty>No events yet.</Empty> : null}
        <ol class="events" data-testid="service-events">
          {s.events.slice(0, 50).map((e) => (
            <li key={e.id}>
              <Time at={e.createdAt} /> <span>{e.message}</span>
            </li>
          ))}
        </ol>
      </Section>
    </>
  );
}
