/** The Slipway console: session, layout and routes. */
import "./styles.css";
import { type JSX, render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { ApiError, getSession, logout, type SessionInfo, setToken } from "./api.ts";
import { connect, disconnect, isConnected, onStatus } from "./live.ts";
import { Link, usePath } from "./router.tsx";
import { setSessionServices } from "./session-info.ts";
import { ErrorBox, Loading } from "./ui.tsx";
import { ActivityView } from "./views/activity.tsx";
import { EcrView } from "./views/ecr.tsx";
import { LoadBalancersView } from "./views/load-balancers.tsx";
import { Login } from "./views/login.tsx";
import { LogsView } from "./views/logs.tsx";
import { NotFound } from "./views/not-found.tsx";
import { Overview } from "./views/overview.tsx";
import { ServiceView } from "./views/service.tsx";
import { TaskDefinitionsView } from "./views/task-definitions.tsx";
import { TaskView } from "./views/task.tsx";

/** The server answered this page with 404 (an unknown route, task or service). */
let serverSaid404 = document.body.dataset.status === "404";

const NAV: [string, string][] = [
  ["", "Overview"],
  ["task-definitions", "Task definitions"],
  ["ecr", "ECR"],
  ["load-balancers", "Load balancers"],
  ["logs", "Logs"],
  ["activity", "API activity"],
];

function Page(props: { path: string; session: SessionInfo }): JSX.Element {
  const { path } = props;
  if (serverSaid404) return <NotFound />;
  let m: RegExpExecArray | null;
  if (path === "") return <Overview />;
  if ((m = /^clusters\/([^/]+)\/services\/([^/]+)$/.exec(path))) return <ServiceView cluster={decodeURIComponent(m[1]!)} service={decodeURIComponent(m[2]!)} />;
  if ((m = /^clusters\/([^/]+)\/tasks\/([^/]+)$/.exec(path))) return <TaskView cluster={decodeURIComponent(m[1]!)} task={decodeURIComponent(m[2]!)} />;
  if ((m = /^task-definitions(?:\/([^/]+))?$/.exec(path))) return <TaskDefinitionsView family={m[1] ? decodeURIComponent(m[1]) : undefined} />;
  if ((m = /^ecr(?:\/(.+))?$/.exec(path))) return <EcrView repository={m[1] ? decodeURIComponent(m[1]) : undefined} />;
  if (path === "load-balancers") return <LoadBalancersView />;
  if (path === "logs") return <LogsView />;
  if (path === "activity") return <ActivityView />;
  return <NotFound />;
}

function LiveIndicator(): JSX.Element {
  const [live, setLive] = useState(isConnected());
  useEffect(() => onStatus(() => setLive(isConnected())), []);
  return (
    <span class={`live ${live ? "on" : "off"}`} role="status" title={live ? "Receiving live updates" : "Reconnecting to Slipway…"}>
      {live ? "Live" : "Reconnecting…"}
    </span>
  );
}

function App(): JSX.Element {
  const path = usePath();
  const [session, setSession] = useState<SessionInfo | undefined>();
  const [error, setError] = useState<Error | undefined>();
  const first = useState(path)[0];
  useEffect(() => {
    if (path !== first) serverSaid404 = false;
  }, [path, first]);

  useEffect(() => {
    getSession().then(
      (s) => {
        setToken(s.token);
        setSessionServices(s.services);
        setSession(s);
      },
      (e: Error) => setError(e),
    );
  }, []);
  useEffect(() => {
    if (session?.signedIn) connect();
    return () => disconnect();
  }, [session?.signedIn]);

  if (error) return <main id="main"><ErrorBox error={error} what="Could not reach Slipway" /></main>;
  if (!session) return <main id="main"><Loading what="the console" /></main>;
  if (!session.signedIn) return <Login strict={session.strictAuth} onSignedIn={(s) => setSession({ ...session, ...s })} />;
  const id = session.identity!;
  const signOut = async () => {
    try {
      await logout();
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
    }
    setSession({ ...session, signedIn: false, identity: undefined, token: undefined });
  };
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <Link to="" class="brand" aria-label="Slipway console, overview">
          Slipway
        </Link>
        <nav aria-label="Console sections">
          <ul>
            {NAV.map(([to, label]) => {
              const current = to === "" ? path === "" || path.startsWith("clusters/") : path === to || path.startsWith(`${to}/`);
              return (
                <li key={to}>
                  <Link to={to} aria-current={current ? "page" : undefined}>
                    {label}
                  </Link>
                </li>
              );
            })}
          </ul>
        </nav>
        <div class="who">
          <LiveIndicator />
          <span class="identity" title={id.arn}>
            {id.accountId} · {id.region}
          </span>
          {session.strictAuth ? (
            <button type="button" class="link" onClick={() => void signOut()}>
              Sign out
            </button>
          ) : null}
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Page path={path} session={session} />
      </main>
    </>
  );
}

render(<App />, document.getElementById("app")!);
