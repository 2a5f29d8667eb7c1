import type { JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, BASE, call } from "../api.ts";
import { describeTasks, revisionOf, type Task } from "../ecs.ts";
import { useLive, useTitle } from "../hooks.ts";
import { Link, route } from "../router.tsx";
import type { ExecSession, TerminalHandle } from "../shell.ts";
import { Badge, Empty, ErrorBox, Loading, Section, Time } from "../ui.tsx";
import { NotFound } from "./not-found.tsx";

interface LogLine {
  t: number;
  stream: string;
  m: string;
}

const MAX_LINES = 1000;

/** A container's output, live (server-sent events from the runtime's log stream). */
function LogTail(props: { cluster: string; task: string; container: string }): JSX.Element {
  const [lines, setLines] = useState<LogLine[]>([]);
  const [state, setState] = useState<"connecting" | "live" | "ended">("connecting");
  const [endReason, setEndReason] = useState("");
  const box = useRef<HTMLPreElement>(null);
  // A hidden tab drops the stream (browsers allow six connections per host) and reopens it when shown.
  const [visible, setVisible] = useState(document.visibilityState !== "hidden");
  useEffect(() => {
    const on = () => setVisible(document.visibilityState !== "hidden");
    document.addEventListener("visibilitychange", on);
    return () => document.removeEventListener("visibilitychange", on);
  }, []);
  useEffect(() => {
    if (!visible) {
      setState("ended");
      setEndReason("Paused while this tab is hidden.");
      return;
    }
    setLines([]);
    setState("connecting");
    const q = new URLSearchParams({ cluster: props.cluster, task: props.task, container: props.container });
    const es = new EventSource(`${BASE}api/tail?${q}`);
    let pending: LogLine[] = [];
    let scheduled = false;
    es.addEventListener("open", () => setState("live"));
    es.addEventListener("line", (ev) => {
      pending.push(JSON.parse((ev as MessageEvent<string>).data) as LogLine);
      if (scheduled) return;
      scheduled = true;
      requestAnimationFrame(() => {
        scheduled = false;
        const batch = pending;
        pending = [];
        setLines((old) => [...old, ...batch].slice(-MAX_LINES));
      });
    });
    es.addEventListener("end", (ev) => {
      setEndReason((JSON.parse((ev as MessageEvent<string>).data) as { reason: string }).reason);
      setState("ended");
      es.close();
    });
    es.addEventListener("error", () => {
      if (es.readyState === EventSource.CLOSED) setState("ended");
    });
    return () => es.close();
  }, [props.cluster, props.task, props.container, visible]);
  useEffect(() => {
    const el = box.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [lines]);
  return (
    <div>
      <p class="small">
        <span class={`live ${state === "live" ? "on" : "off"}`}>{state === "live" ? "Following" : state === "ended" ? "Ended" : "Connecting…"}</span>{" "}
        {state === "ended" && endReason ? <span class="muted">{endReason}</span> : null}{" "}
        <button type="button" class="link" onClick={() => setLines([])}>
          Clear
        </button>
      </p>
      <pre class="log" ref={box} role="log" aria-label={`Log of container ${props.container}`} tabIndex={0} data-testid="log-tail">
        {lines.length === 0 ? <span class="muted">No output yet.</span> : null}
        {lines.map((l, i) => (
          <span key={`${l.t}-${i}`} class={l.stream === "stderr" ? "stderr" : undefined}>
            <span class="ts">{new Date(l.t).toLocaleTimeString()} </span>
            {l.m}
            {"\n"}
          </span>
        ))}
      </pre>
    </div>
  );
}

/** An interactive terminal into the container: ExecuteCommand, then its stream (xterm.js, loaded on demand). */
function Shell(props: { cluster: string; task: Task; container: string }): JSX.Element {
  const [error, setError] = useState<Error | undefined>();
  const [status, setStatus] = useState<"idle" | "opening" | "open" | "closed">("idle");
  const [session, setSession] = useState<ExecSession | undefined>();
  const [exit, setExit] = useState<string>("");
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    setSession(undefined);
    setStatus("idle");
  }, [props.container]);
  // The terminal opens once its box is shown (xterm.js measures the box it opens in).
  useEffect(() => {
    if (!session || !host.current) return;
    let handle: TerminalHandle | undefined;
    let cancelled = false;
    import("../shell.ts").then(
      ({ openTerminal }) => {
        if (cancelled || !host.current) return;
        // xterm.js draws only while its box is on screen.
        host.current.scrollIntoView({ block: "nearest" });
        handle = openTerminal(host.current, session, {
          onExit: (code, message) => {
            setStatus("closed");
            setExit(message ?? `The shell exited with code ${code ?? "unknown"}.`);
          },
        });
        setStatus("open");
      },
      (e: Error) => {
        setError(e);
        setStatus("idle");
      },
    );
    return () => {
      cancelled = true;
      handle?.dispose();
    };
  }, [session]);
  const open = async () => {
    setError(undefined);
    setExit("");
    setStatus("opening");
    try {
      const r = await call("ecs", "ExecuteCommand", { cluster: props.cluster, task: props.task.taskArn, container: props.container, command: "/bin/sh", interactive: true });
      setSession(r.session as ExecSession);
    } catch (e) {
      setStatus("idle");
      setError(e as Error);
    }
  };
  const close = () => {
    setSession(undefined);
    setStatus("closed");
  };
  return (
    <div>
      <p>
        {status === "open" ? (
          <button type="button" onClick={close}>
            Close shell
          </button>
        ) : (
          <button type="button" onClick={() => void open()} disabled={status === "opening" || props.task.lastStatus !== "RUNNING"}>
            {status === "opening" ? "Opening…" : `Open a shell in ${props.container}`}
          </button>
        )}{" "}
        <span role="status" class="small" data-testid="shell-status">
          {exit}
        </span>
      </p>
      {!props.task.enableExecuteCommand ? (
        <p class="muted small">
          ECS Exec is not enabled for this task. Enable it on the service (<code>aws ecs update-service --enable-execute-command --force-new-deployment</code>) or run the
          task with <code>--enable-execute-command</code>.
        </p>
      ) : null}
      <ErrorBox error={error} what="ExecuteCommand" />
      <div class={`terminal ${session || status === "closed" ? "" : "hidden"}`} ref={host} data-testid="terminal" />
    </div>
  );
}

async function networkDetails(task: Task): Promise<{ eni?: string; subnet?: string; ip?: string; groups: { GroupId?: string; GroupName?: string }[] }> {
  const eniAttachment = task.attachments?.find((a) => a.type === "ElasticNetworkInterface");
  const detail = (name: string) => eniAttachment?.details?.find((d) => d.name === name)?.value;
  const eni = detail("networkInterfaceId");
  const subnet = detail("subnetId");
  const ip = detail("privateIPv4Address") ?? task.containers.flatMap((c) => c.networkInterfaces ?? []).find((n) => n.privateIpv4Address)?.privateIpv4Address;
  let groups: { GroupId?: string; GroupName?: string }[] = [];
  if (eni?.startsWith("eni-")) {
    try {
      const r = await call("ec2", "DescribeNetworkInterfaces", { NetworkInterfaceIds: [eni] });
      groups = ((r.NetworkInterfaces as { Groups?: { GroupId?: string; GroupName?: string }[] }[])[0]?.Groups ?? []);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
    }
  }
  return { eni, subnet, ip, groups };
}

export function TaskView(props: { cluster: string; task: string }): JSX.Element {
  useTitle(`Task ${props.task.slice(0, 12)}`);
  const { cluster } = props;
  const live = useLive(
    async () => {
      const [t] = await describeTasks(cluster, [props.task]);
      return t ? { task: t, network: await networkDetails(t) } : undefined;
    },
    (k) => k.startsWith("task:") && k.endsWith(`/${props.task}`),
    [cluster, props.task],
  );
  const [container, setContainer] = useState<string | undefined>();
  if (live.error instanceof ApiError && live.error.code === "ClusterNotFoundException") return <NotFound />;
  if (live.loading && !live.data) return <Loading what="the task" />;
  if (!live.data) return live.error ? <ErrorBox error={live.error} /> : <NotFound what={`There is no task ${props.task} in cluster ${cluster}.`} />;
  const { task: t, network } = live.data;
  const chosen = container && t.containers.some((c) => c.name === container) ? container : t.containers[0]?.name;
  const serviceName = t.group?.startsWith("service:") ? t.group.slice(8) : undefined;
  const id = t.taskArn.split("/").pop()!;
  const stop = async () => {
    await call("ecs", "StopTask", { cluster, task: t.taskArn, reason: "Stopped from the Slipway console" });
    live.reload();
  };
  return (
    <>
      <p class="crumbs">
        <Link to="">Overview</Link> › cluster {cluster}
        {serviceName ? (
          <>
            {" "}
            › <Link to={route("clusters", cluster, "services", serviceName)}>{serviceName}</Link>
          </>
        ) : null}
      </p>
      <h1>
        Task {id.slice(0, 12)} <Badge status={t.lastStatus} />
      </h1>
      <ErrorBox error={live.error} />
      <p class="summary">
        <span>desired {t.desiredStatus}</span>
        <span>
          <Link to={route("task-definitions", revisionOf(t.taskDefinitionArn).split(":")[0]!)}>{revisionOf(t.taskDefinitionArn)}</Link>
        </span>
        <span>health {t.healthStatus ?? "UNKNOWN"}</span>
        <span>{t.launchType}</span>
        <span>
          started <Time at={t.startedAt} />
        </span>
        {t.stoppedAt ? (
          <span>
            stopped <Time at={t.stoppedAt} />
          </span>
        ) : null}
        {t.desiredStatus !== "STOPPED" ? (
          <button type="button" onClick={() => void stop()}>
            Stop task
          </button>
        ) : null}
      </p>
      {t.stoppedReason ? (
        <p class="error" role="note">
          {t.stopCode ? <strong>{t.stopCode}: </strong> : null}
          {t.stoppedReason}
        </p>
      ) : null}
      <Section title="Containers">
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th scope="col">Container</th>
                <th scope="col">Image</th>
                <th scope="col">Status</th>
                <th scope="col">Health</th>
                <th scope="col">Exit code</th>
                <th scope="col">Reason</th>
                <th scope="col">Ports</th>
              </tr>
            </thead>
            <tbody>
              {t.containers.map((c) => (
                <tr key={c.containerArn}>
                  <th scope="row">{c.name}</th>
                  <td class="wrap">{c.image}</td>
                  <td>
                    <Badge status={c.lastStatus} />
                  </td>
                  <td>
                    <Badge status={c.healthStatus} />
                  </td>
                  <td class="num">{c.exitCode ?? "—"}</td>
                  <td class="wrap">{c.reason ?? ""}</td>
                  <td>
                    {(c.networkBindings ?? []).map((b) =>
                      b.hostPort ? (
                        <a key={`${b.hostPort}`} href={`http://127.0.0.1:${b.hostPort}/`} target="_blank" rel="noopener noreferrer">
                          {b.containerPort} → 127.0.0.1:{b.hostPort}
                        </a>
                      ) : null,
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Section>
      <Section title="Network">
        <dl class="facts">
          <dt>Mode</dt>
          <dd>{network.eni ? "awsvpc" : t.containers.some((c) => c.networkBindings?.length) ? "bridge / host" : "—"}</dd>
          <dt>IP address</dt>
          <dd>{network.ip ?? "—"}</dd>
          <dt>Subnet</dt>
          <dd>{network.subnet ?? "—"}</dd>
          <dt>Network interface</dt>
          <dd>{network.eni ?? "—"}</dd>
          <dt>Security groups</dt>
          <dd>{network.groups.length ? network.groups.map((g) => `${g.GroupId}${g.GroupName ? ` (${g.GroupName})` : ""}`).join(", ") : "—"}</dd>
          <dt>Ports</dt>
          <dd>
            {t.containers
              .flatMap((c) => (c.networkBindings ?? []).map((b) => `${c.name} ${b.containerPort}/${b.protocol ?? "tcp"} → ${b.bindIP ?? "127.0.0.1"}:${b.hostPort}`))
              .join(", ") || "—"}
          </dd>
        </dl>
      </Section>
      {t.containers.length > 1 ? (
        <p>
          <label for="container">Container</label>{" "}
          <select id="container" value={chosen} onChange={(e) => setContainer((e.currentTarget as HTMLSelectElement).value)}>
            {t.containers.map((c) => (
              <option key={c.name} value={c.name}>
                {c.name}
              </option>
            ))}
          </select>
        </p>
      ) : null}
      {chosen ? (
        <>
          <Section title={`Log: ${chosen}`} id="s-log">
            <LogTail cluster={cluster} task={id} container={chosen} />
          </Section>
          <Section title={`Shell: ${chosen}`} id="s-shell">
            <Shell cluster={cluster} task={t} container={chosen} />
          </Section>
        </>
      ) : (
        <Empty>This task has no containers.</Empty>
      )}
    </>
  );
}
