/** Small pieces every view uses. */
import type { ComponentChildren, JSX } from "preact";
import type { ApiError } from "./api.ts";

const GOOD = new Set(["RUNNING", "ACTIVE", "COMPLETED", "PRIMARY", "healthy", "HEALTHY", "SUCCESSFUL", "active", "COMPLETE", "ok"]);
const BAD = new Set(["STOPPED", "FAILED", "unhealthy", "UNHEALTHY", "INACTIVE", "DRAINING", "failed", "unavailable", "ROLLBACK_FAILED", "FAILED_TO_START"]);

export function tone(status: string | undefined): "good" | "bad" | "busy" | "none" {
  if (!status) return "none";
  if (GOOD.has(status)) return "good";
  if (BAD.has(status)) return "bad";
  return "busy";
}

export function Badge(props: { status: string | undefined; label?: string }): JSX.Element {
  return <span class={`badge ${tone(props.status)}`}>{props.label ?? props.status ?? "—"}</span>;
}

/** A local time with the full timestamp on hover. */
export function Time(props: { at: string | number | Date | undefined }): JSX.Element {
  if (props.at === undefined) return <span>—</span>;
  const d = new Date(props.at);
  if (Number.isNaN(d.getTime())) return <span>—</span>;
  const today = new Date().toDateString() === d.toDateString();
  return (
    <time dateTime={d.toISOString()} title={d.toISOString()}>
      {today ? d.toLocaleTimeString() : d.toLocaleString()}
    </time>
  );
}

export function ErrorBox(props: { error: ApiError | Error | undefined; what?: string }): JSX.Element | null {
  if (!props.error) return null;
  const e = props.error as ApiError;
  return (
    <div class="error" role="alert">
      {props.what ? `${props.what}: ` : ""}
      {e.code ? <strong>{e.code}: </strong> : null}
      {e.message}
    </div>
  );
}

export function Loading(props: { what?: string }): JSX.Element {
  return (
    <p class="muted" aria-busy="true">
      Loading{props.what ? ` ${props.what}` : ""}…
    </p>
  );
}

export function Section(props: { title: string; id?: string; actions?: ComponentChildren; children: ComponentChildren }): JSX.Element {
  const id = props.id ?? `s-${props.title.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`;
  return (
    <section class="card" aria-labelledby={id}>
      <div class="card-head">
        <h2 id={id}>{props.title}</h2>
        {props.actions}
      </div>
      {props.children}
    </section>
  );
}

/** The last part of an ARN ("…:task-definition/web:3" → "web:3"). */
export function shortArn(arn: string | undefined): string {
  if (!arn) return "—";
  const resource = arn.split(":").slice(5).join(":");
  return resource.slice(resource.lastIndexOf("/") + 1) || arn;
}

/** "cluster/name" part of an ECS ARN ("…:service/default/web" → ["default", "web"]). */
export function ecsPath(arn: string | undefined): string[] {
  if (!arn) return [];
  return arn.split(":").slice(5).join(":").split("/").slice(1);
}

export function Empty(props: { children: ComponentChildren }): JSX.Element {
  return <p class="muted">{props.children}</p>;
}

export function bytes(n: number | undefined): string {
  if (n === undefined) return "—";
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}
