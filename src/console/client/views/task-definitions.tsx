import type { JSX } from "preact";
import { useState } from "preact/hooks";
import { call, callAll } from "../api.ts";
import { diffLines } from "../diff.ts";
import { revisionOf } from "../ecs.ts";
import { useLive, useTitle } from "../hooks.ts";
import { Link, route } from "../router.tsx";
import { Empty, ErrorBox, Loading, Section } from "../ui.tsx";

const tdKey = (k: string) => k.startsWith("task-definition:");

function Families(): JSX.Element {
  const fams = useLive(() => callAll<string>("ecs", "ListTaskDefinitionFamilies", { status: "ACTIVE" }, "families"), tdKey, []);
  return (
    <Section title="Families">
      <ErrorBox error={fams.error} />
      {fams.loading && !fams.data ? <Loading /> : null}
      {fams.data && fams.data.length === 0 ? <Empty>No task definitions registered.</Empty> : null}
      <ul class="plain">
        {(fams.data ?? []).map((f) => (
          <li key={f}>
            <Link to={route("task-definitions", f)}>{f}</Link>
          </li>
        ))}
      </ul>
    </Section>
  );
}

async function describe(arn: string): Promise<string> {
  const r = await call("ecs", "DescribeTaskDefinition", { taskDefinition: arn, include: ["TAGS"] });
  return JSON.stringify({ ...r.taskDefinition, ...(r.tags?.length ? { tags: r.tags } : {}) }, null, 2);
}

function Family(props: { family: string }): JSX.Element {
  const revs = useLive(() => callAll<string>("ecs", "ListTaskDefinitions", { familyPrefix: props.family, sort: "DESC", status: "ACTIVE" }, "taskDefinitionArns"), tdKey, [props.family]);
  const list = revs.data ?? [];
  const [left, setLeft] = useState<string | undefined>();
  const [right, setRight] = useState<string | undefined>();
  const b = right && list.includes(right) ? right : list[0];
  const a = left && list.includes(left) ? left : list[1];
  const docs = useLive(async () => ({ a: a ? await describe(a) : undefined, b: b ? await describe(b) : undefined }), tdKey, [a, b]);
  const picker = (id: string, label: string, value: string | undefined, set: (v: string) => void) => (
    <span class="field">
      <label for={id}>{label}</label>{" "}
      <select id={id} value={value} onChange={(e) => set((e.currentTarget as HTMLSelectElement).value)}>
        {list.map((arn) => (
          <option key={arn} value={arn}>
            {revisionOf(arn)}
          </option>
        ))}
      </select>
    </span>
  );
  return (
    <>
      <ErrorBox error={revs.error ?? docs.error} />
      {revs.loading && !revs.data ? <Loading what="revisions" /> : null}
      {revs.data && list.length === 0 ? <Empty>No active revisions of {props.family}.</Empty> : null}
      {list.length ? (
        <Section title="Revision">
          <p>{picker("rev-b", "Show", b, setRight)}</p>
          {docs.data?.b ? <pre class="json" tabIndex={0} aria-label={`Task definition ${b ? revisionOf(b) : ""}`}>{docs.data.b}</pre> : <Loading />}
        </Section>
      ) : null}
      {list.length > 1 ? (
        <Section title="Compare revisions">
          <p>
            {picker("rev-a", "From", a, setLeft)} {picker("rev-b2", "to", b, setRight)}
          </p>
          {docs.data?.a && docs.data.b ? (
            <pre class="diff" tabIndex={0} aria-label="Differences between the two revisions">
              {diffLines(docs.data.a.split("\n"), docs.data.b.split("\n")).map((l, i) => (
                <span key={i} class={l.kind}>
                  {l.kind === "added" ? "+ " : l.kind === "removed" ? "- " : "  "}
                  {l.text}
                  {"\n"}
                </span>
              ))}
            </pre>
          ) : (
            <Loading />
          )}
        </Section>
      ) : null}
    </>
  );
}

export function TaskDefinitionsView(props: { family?: string }): JSX.Element {
  useTitle(props.family ? `Task definition ${props.family}` : "Task definitions");
  return (
    <>
      <h1>{props.family ? `Task definition ${props.family}` : "Task definitions"}</h1>
      {props.family ? (
        <>
          <p class="crumbs">
            <Link to="task-definitions">All families</Link>
          </p>
          <Family family={props.family} />
        </>
      ) : (
        <Families />
      )}
    </>
  );
}
