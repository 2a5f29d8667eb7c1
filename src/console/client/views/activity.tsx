import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import { useTitle } from "../hooks.ts";
import { type ActivityEntry, activityEntries, activityRefusal, onActivity } from "../live.ts";
import { Empty, Section, Time } from "../ui.tsx";

/** Every API call Slipway answered, live: the first place to look when a tool's call fails. */
export function ActivityView(): JSX.Element {
  useTitle("API activity");
  const [entries, setEntries] = useState<readonly ActivityEntry[]>(activityEntries());
  const [filter, setFilter] = useState("");
  const [errorsOnly, setErrorsOnly] = useState(false);
  useEffect(() => onActivity(() => setEntries(activityEntries())), []);
  const f = filter.trim().toLowerCase();
  const shown = [...entries]
    .reverse()
    .filter((e) => (!errorsOnly || e.status >= 400) && (!f || `${e.service} ${e.operation} ${e.errorCode ?? ""} ${e.caller ?? ""} ${e.tool ?? ""}`.toLowerCase().includes(f)))
    .slice(0, 500);
  return (
    <>
      <h1>API activity</h1>
      <Section title="Recent calls">
        <form class="inline wrap-form" onSubmit={(e) => e.preventDefault()}>
          <span class="field">
            <label for="filter">Filter</label>{" "}
            <input id="filter" type="search" value={filter} onInput={(e) => setFilter((e.currentTarget as HTMLInputElement).value)} placeholder="UpdateService, ecs, AccessDenied…" />
          </span>
          <span class="field">
            <input id="errors" type="checkbox" checked={errorsOnly} onChange={(e) => setErrorsOnly((e.currentTarget as HTMLInputElement).checked)} />{" "}
            <label for="errors">Errors only</label>
          </span>
        </form>
        {activityRefusal() ? (
          <p class="error" role="alert">
            The activity feed needs cloudtrail:LookupEvents. {activityRefusal()}
          </p>
        ) : null}
        {shown.length === 0 && !activityRefusal() ? <Empty>No calls yet. Calls from the AWS CLI, SDKs, Terraform and this console's actions appear here as they are answered.</Empty> : null}
        {shown.length ? (
          <div class="table-wrap">
            <table data-testid="activity">
              <thead>
                <tr>
                  <th scope="col">Time</th>
                  <th scope="col">Service</th>
                  <th scope="col">Operation</th>
                  <th scope="col">Caller</th>
                  <th scope="col">Status</th>
                  <th scope="col">Error</th>
                  <th scope="col">Latency</th>
                </tr>
              </thead>
              <tbody>
                {shown.map((e) => (
                  <tr key={e.seq} class={e.status >= 400 ? "failed" : undefined} data-operation={e.operation}>
                    <td>
                      <Time at={e.at} />
                    </td>
                    <td>{e.service}</td>
                    <th scope="row">{e.operation}</th>
                    <td class="wrap">
                      {e.caller ?? "unsigned"}
                      {e.tool ? <span class="muted small"> · {e.console ? "this console" : e.tool}</span> : null}
                    </td>
                    <td class="num">{e.status}</td>
                    <td>{e.errorCode ?? ""}</td>
                    <td class="num">{e.latencyMs} ms</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </Section>
    </>
  );
}
