import type { JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { call, callAll } from "../api.ts";
import { useLive, useTitle } from "../hooks.ts";
import { onKeys } from "../live.ts";
import { Empty, ErrorBox, Loading, Section, Time } from "../ui.tsx";

interface LogGroup {
  logGroupName: string;
  retentionInDays?: number;
  storedBytes?: number;
}

interface LogStream {
  logStreamName: string;
  lastEventTimestamp?: number;
}

interface LogEvent {
  eventId: string;
  timestamp: number;
  message: string;
  logStreamName: string;
}

const MAX_EVENTS = 2000;
/** How far back the first read goes. */
const BACKLOG_MS = 60 * 60 * 1000;

/** Events of a group (one stream or all), matching a CloudWatch Logs filter pattern; new ones arrive live. */
function Tail(props: { group: string; stream: string; pattern: string }): JSX.Element {
  const [events, setEvents] = useState<LogEvent[]>([]);
  const [error, setError] = useState<Error | undefined>();
  const box = useRef<HTMLPreElement>(null);
  useEffect(() => {
    let alive = true;
    let since = Date.now() - BACKLOG_MS;
    let reading = false;
    let again = false;
    const seen = new Set<string>();
    setEvents([]);
    setError(undefined);
    const read = async () => {
      if (reading) {
        again = true;
        return;
      }
      reading = true;
      do {
        again = false;
        try {
          const input: Record<string, unknown> = { logGroupName: props.group, startTime: since, ...(props.pattern ? { filterPattern: props.pattern } : {}) };
          if (props.stream) input.logStreamNames = [props.stream];
          const found = await callAll<LogEvent>("logs", "FilterLogEvents", input, "events");
          const fresh = found.filter((e) => !seen.has(e.eventId));
          for (const e of fresh) {
            seen.add(e.eventId);
            since = Math.max(since, e.timestamp);
          }
          if (alive && fresh.length) setEvents((old) => [...old, ...fresh].sort((a, b) => a.timestamp - b.timestamp).slice(-MAX_EVENTS));
        } catch (e) {
          if (alive) setError(e as Error);
        }
      } while (again && alive);
      reading = false;
    };
    void read();
    const prefix = `:${props.group}`;
    const off = onKeys((keys) => {
      if (keys.some((k) => k === "*" || (k.startsWith("logs:") && k.endsWith(prefix)))) void read();
    });
    return () => {
      alive = false;
      off();
    };
  }, [props.group, props.stream, props.pattern]);
  useEffect(() => {
    const el = box.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [events]);
  return (
    <>
      <ErrorBox error={error} />
      <pre class="log" ref={box} role="log" tabIndex={0} aria-label={`Events of ${props.group}`}>
        {events.length === 0 ? <span class="muted">No matching events in the last hour yet; new ones appear here as they arrive.</span> : null}
        {events.map((e) => (
          <span key={e.eventId}>
            <span class="ts">
              {new Date(e.timestamp).toLocaleTimeString()} {props.stream ? "" : `${e.logStreamName} `}
            </span>
            {e.message}
            {"\n"}
          </span>
        ))}
      </pre>
    </>
  );
}

export function LogsView(): JSX.Element {
  useTitle("Logs");
  const groups = useLive(() => callAll<LogGroup>("logs", "DescribeLogGroups", {}, "logGroups"), (k) => k.startsWith("api:") && k.includes(":logs:"), []);
  const [group, setGroup] = useState<string | undefined>();
  const chosen = group ?? groups.data?.[0]?.logGroupName;
  const streams = useLive(
    async () => (chosen ? ((await call("logs", "DescribeLogStreams", { logGroupName: chosen, orderBy: "LastEventTime", descending: true, limit: 50 })).logStreams as LogStream[]) : []),
    (k) => k.startsWith("logs:") && chosen !== undefined && k.endsWith(`:${chosen}`),
    [chosen],
  );
  const [stream, setStream] = useState("");
  const [pattern, setPattern] = useState("");
  const [draft, setDraft] = useState("");
  return (
    <>
      <h1>Logs</h1>
      <ErrorBox error={groups.error} />
      {groups.loading && !groups.data ? <Loading what="log groups" /> : null}
      {groups.data && groups.data.length === 0 ? <Empty>No log groups. Tasks whose containers use the awslogs driver write here.</Empty> : null}
      {chosen ? (
        <Section title="Tail">
          <form
            class="inline wrap-form"
            onSubmit={(e) => {
              e.preventDefault();
              setPattern(draft.trim());
            }}
          >
            <span class="field">
              <label for="group">Log group</label>{" "}
              <select
                id="group"
                value={chosen}
                onChange={(e) => {
                  setGroup((e.currentTarget as HTMLSelectElement).value);
                  setStream("");
                }}
              >
                {(groups.data ?? []).map((g) => (
                  <option key={g.logGroupName} value={g.logGroupName}>
                    {g.logGroupName}
                  </option>
                ))}
              </select>
            </span>
            <span class="field">
              <label for="stream">Stream</label>{" "}
              <select id="stream" value={stream} onChange={(e) => setStream((e.currentTarget as HTMLSelectElement).value)}>
                <option value="">all streams</option>
                {(streams.data ?? []).map((s) => (
                  <option key={s.logStreamName} value={s.logStreamName}>
                    {s.logStreamName}
                  </option>
                ))}
              </select>
            </span>
            <span class="field">
              <label for="pattern">Filter pattern</label>{" "}
              <input id="pattern" value={draft} onInput={(e) => setDraft((e.currentTarget as HTMLInputElement).value)} placeholder='ERROR or { $.level = "error" }' spellcheck={false} />
            </span>
            <button type="submit">Apply</button>
          </form>
          <Tail group={chosen} stream={stream} pattern={pattern} />
        </Section>
      ) : null}
      {chosen && streams.data?.length ? (
        <Section title="Streams">
          <ul class="plain">
            {streams.data.map((s) => (
              <li key={s.logStreamName}>
                <button type="button" class="link" onClick={() => setStream(s.logStreamName)}>
                  {s.logStreamName}
                </button>{" "}
                <span class="muted small">
                  last event <Time at={s.lastEventTimestamp} />
                </span>
              </li>
            ))}
          </ul>
        </Section>
      ) : null}
    </>
  );
}
