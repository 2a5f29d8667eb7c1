/**
 * The Slipway console's HTTP side, under /_slipway/console/: the page, its assets, and a small
 * JSON API for the page. It reads and acts only through the AWS API (src/console/aws.ts) with the
 * signed-in identity, so the console can do exactly what that identity may do with the AWS CLI.
 * Live updates are server-sent events (src/console/feed.ts); container logs stream from the
 * runtime (tail.ts), after DescribeTasks has shown the user may see the task.
 *
 *   GET  /_slipway/console/...            the page (404 for unknown routes, tasks and services)
 *   GET  /_slipway/console/assets/<file>  bundled scripts and styles
 *   GET  /_slipway/console/api/session    who is signed in, the token for POSTs
 *   POST /_slipway/console/api/login      {accessKeyId, secretAccessKey, sessionToken?, region?}
 *   POST /_slipway/console/api/logout
 *   POST /_slipway/console/api/call       {service, operation, input} → the API's output or error
 *   GET  /_slipway/console/api/events     SSE: changes, activity
 *   GET  /_slipway/console/api/tail       SSE: a container's log (?cluster=&task=&container=)
 *   GET  /_slipway/console/api/listeners  where each load-balancer listener is served
 *
 * With IAM enforcement, what the console serves outside the AWS API is checked as the IAM action
 * that reads the same thing (`permits`): the API-activity feed as cloudtrail:LookupEvents, the
 * listeners' host ports as elasticloadbalancing:DescribeListeners, a container's log tail as
 * logs:GetLogEvents on its awslogs stream (on "*" for a container without awslogs).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Clock } from "../core/clock.ts";
import { LABELS, type ContainerRuntime } from "../runtime/runtime.ts";
import type { Activity } from "./activity.ts";
import type { Assets } from "./assets.ts";
import { type ApiError, ConsoleAws, type ConsoleCredentials, isConsoleService, operationKind } from "./aws.ts";
import { type Audience, type Feed, sseFrame } from "./feed.ts";
import { checkPeer, checkSameOrigin, isOwnOrigin, type Refusal } from "./guard.ts";
import { clearedCookie, type ConsoleIdentity, type ConsoleSession, sessionCookie, Sessions } from "./sessions.ts";
import { TAIL_BACKLOG_MS, tailContainer } from "./tail.ts";
import type { GatewayRequest } from "../aws/gateway.ts";
import type { WireResponse } from "../aws/protocol/index.ts";

export const CONSOLE_PATH = "/_slipway/console/";
const MAX_JSON_BODY = 256 * 1024;

/** The key the console signs with when strict auth is off (any key is accepted then). */
export const CONSOLE_ACCESS_KEY: ConsoleCredentials = { accessKeyId: "SLIPWAYCONSOLE", secretAccessKey: "slipway-console" };

export interface ListenerView {
  readonly listenerArn: string;
  readonly loadBalancerArn: string;
  /** The load balancer's DNS name (*.elb.localhost: loopback), the Host a shared port dispatches on. */
  readonly dnsName: string;
  readonly protocol: string;
  readonly port: number;
  /** The loopback port it is actually served on. */
  readonly hostPort: number;
  /** Why it is not served on its own port, when it is not. */
  readonly note?: string;
}

/** Undefined when `identity` may do `action` on `resource`, else AWS's denial text. */
export type ConsolePermits = (identity: ConsoleIdentity, action: string, resource: string) => string | undefined;

export interface ConsoleOptions {
  readonly port: number;
  readonly strictAuth: boolean;
  readonly defaultRegion: string;
  readonly invoke: (req: GatewayRequest) => Promise<WireResponse>;
  readonly clock: Clock;
  readonly runtime: ContainerRuntime;
  readonly activity: Activity;
  readonly feed: Feed;
  readonly assets: Assets;
  /** Signing names of the services the gateway serves (the page shows what exists). */
  readonly services: readonly string[];
  readonly listeners: () => readonly ListenerView[];
  /** With strict auth: whether an access key still authenticates (deleted, inactive and expired keys do not). */
  readonly keyValid?: (accessKeyId: string) => boolean;
  /** IAM enforcement's check (absent: enforcement is off and everything is allowed). */
  readonly permits?: ConsolePermits;
}

/** Page routes: path patterns under /_slipway/console/. */
const ROUTES: RegExp[] = [
  /^$/,
  /^clusters\/[^/]+\/services\/[^/]+$/,
  /^clusters\/[^/]+\/tasks\/[^/]+$/,
  /^task-definitions(\/[^/]+)?$/,
  /^ecr(\/.+)?$/,
  /^load-balancers$/,
  /^logs$/,
  /^activity$/,
];

export class ConsoleServer {
  readonly #o: ConsoleOptions;
  readonly #sessions: Sessions;
  /** Without strict auth every session signs with the console's key: one set of SDK clients per region serves them all. */
  readonly #sharedAws = new Map<string, ConsoleAws>();
  #tails = 0;

  constructor(opts: ConsoleOptions) {
    this.#o = opts;
    this.#sessions = new Sessions(opts.clock);
  }

  /** Live sessions, event streams and log tails (tests and benchmarks watch these). */
  get stats(): { sessions: number; streams: number; tails: number } {
    return { sessions: this.#sessions.size, streams: this.#o.feed.clients, tails: this.#tails };
  }

  /** Handles every request under /_slipway/console (never throws). */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      await this.#route(req, res);
    } catch (err) {
      if (!res.headersSent) json(res, 500, { error: { code: "InternalFailure", message: (err as Error).message } });
      else res.destroy();
    }
  }

  close(): void {
    this.#o.feed.close();
    this.#sessions.clear();
    for (const aws of this.#sharedAws.values()) aws.dispose();
    this.#sharedAws.clear();
  }

  async #route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const refused = checkPeer(req.socket.remoteAddress, req.headers, this.#o.port);
    if (refused) return refuse(res, refused);
    const url = new URL(req.url ?? "/", "http://console.invalid");
    const path = url.pathname === "/_slipway/console" ? "" : url.pathname.slice(CONSOLE_PATH.length);
    if (url.pathname === "/_slipway/console") {
      res.writeHead(308, { location: CONSOLE_PATH }).end();
      return;
    }
    const method = req.method ?? "GET";
    if (path.startsWith("assets/")) {
      if (method !== "GET" && method !== "HEAD") return methodNotAllowed(res, "GET, HEAD");
      return this.#o.assets.serve(req, res, path.slice("assets/".length));
    }
    if (path.startsWith("api/")) return this.#api(req, res, path.slice(4), url);
    if (method !== "GET" && method !== "HEAD") return methodNotAllowed(res, "GET, HEAD");
    return this.#page(req, res, path);
  }

  // ---- the page

  async #page(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    let status = ROUTES.some((r) => r.test(path)) ? 200 : 404;
    const session = this.#session(req);
    // A task or service that does not exist (for this identity) is a 404 page, not a broken one.
    const m = /^clusters\/([^/]+)\/(tasks|services)\/([^/]+)$/.exec(path);
    const decoded = m ? safeDecode(m) : undefined;
    if (m && !decoded) status = 404;
    if (status === 200 && decoded && session) {
      const [, cluster, kind, id] = decoded as [string, string, string, string];
      const r =
        kind === "tasks"
          ? await session.aws.call("ecs", "DescribeTasks", { cluster, tasks: [id] })
          : await session.aws.call("ecs", "DescribeServices", { cluster, services: [id] });
      const found = r.ok && ((r.output.tasks as unknown[] | undefined)?.length ?? (r.output.services as unknown[] | undefined)?.length ?? 0) > 0;
      if (!found) status = 404;
    }
    const { entry } = await this.#o.assets.load();
    const styles = entry.styles.map((s) => `<link rel="stylesheet" href="${CONSOLE_PATH}assets/${s}">`).join("");
    const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Slipway console</title>
<link rel="icon" href="data:,">
${styles}
<script type="module" src="${CONSOLE_PATH}assets/${entry.script}"></script>
</head>
<body data-status="${status}">
<div id="app"><noscript>The Slipway console needs JavaScript.</noscript></div>
</body>
</html>
`;
    res.writeHead(status, {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      ...SECURITY_HEADERS,
    });
    res.end(method(req) === "HEAD" ? undefined : html);
  }

  // ---- the API

  async #api(req: IncomingMessage, res: ServerResponse, name: string, url: URL): Promise<void> {
    const m = method(req);
    if (name === "session") {
      if (m !== "GET") return methodNotAllowed(res, "GET");
      let session = this.#session(req);
      if (!session && !this.#o.strictAuth) {
        const r = await this.#signIn(CONSOLE_ACCESS_KEY, this.#o.defaultRegion);
        if ("error" in r) return json(res, 500, { error: r.error });
        session = r.session;
        res.setHeader("set-cookie", sessionCookie(session.id));
      }
      return json(res, 200, {
        strictAuth: this.#o.strictAuth,
        signedIn: session !== undefined,
        ...(session ? { identity: session.identity, token: session.token } : {}),
        services: this.#o.services,
      });
    }
    if (name === "login") {
      if (m !== "POST") return methodNotAllowed(res, "POST");
      // No session yet, so no token: the Origin check stands alone (and the cookie is SameSite=Strict).
      const site = req.headers["sec-fetch-site"];
      if ((site !== undefined && site !== "same-origin") || !isOwnOrigin(req.headers.origin, this.#o.port)) {
        return refuse(res, { status: 403, reason: "Cross-site request refused: the Origin header must name this console." });
      }
      const body = await readJson(req);
      if (!body.ok) return refuse(res, body.refusal);
      const b = body.value as { accessKeyId?: unknown; secretAccessKey?: unknown; sessionToken?: unknown; region?: unknown };
      if (typeof b.accessKeyId !== "string" || typeof b.secretAccessKey !== "string" || !b.accessKeyId || !b.secretAccessKey) {
        return json(res, 400, { error: { code: "ValidationError", message: "accessKeyId and secretAccessKey are required." } });
      }
      const region = typeof b.region === "string" && /^[a-z]{2}(-[a-z]+)+-\d+$/.test(b.region) ? b.region : this.#o.defaultRegion;
      const creds: ConsoleCredentials = {
        accessKeyId: b.accessKeyId,
        secretAccessKey: b.secretAccessKey,
        ...(typeof b.sessionToken === "string" && b.sessionToken ? { sessionToken: b.sessionToken } : {}),
      };
      const r = await this.#signIn(creds, region);
      if ("error" in r) return json(res, r.error.status >= 500 ? 502 : 401, { error: r.error });
      const old = this.#session(req);
      if (old) this.#sessions.delete(old.id);
      res.setHeader("set-cookie", sessionCookie(r.session.id));
      return json(res, 200, { signedIn: true, identity: r.session.identity, token: r.session.token });
    }

    const session = this.#session(req);
    if (!session) return json(res, 401, { error: { code: "NotSignedIn", message: "Sign in to the console first." } });
    if (this.#o.strictAuth && this.#o.keyValid && !this.#o.keyValid(session.identity.accessKeyId)) {
      // The key was deleted, made inactive or has expired since signing in: the session ends with it.
      this.#sessions.delete(session.id);
      res.setHeader("set-cookie", clearedCookie());
      return json(res, 401, { error: { code: "NotSignedIn", message: `The access key ${session.identity.accessKeyId} is no longer valid. Sign in again.` } });
    }

    if (m === "POST") {
      const refused = checkSameOrigin(req.headers, this.#o.port, session.token);
      if (refused) return refuse(res, refused);
    }
    switch (name) {
      case "logout":
        if (m !== "POST") return methodNotAllowed(res, "POST");
        this.#sessions.delete(session.id);
        res.setHeader("set-cookie", clearedCookie());
        return json(res, 200, { signedIn: false });
      case "call":
        if (m !== "POST") return methodNotAllowed(res, "POST");
        return this.#call(req, res, session);
      case "events":
        if (m !== "GET") return methodNotAllowed(res, "GET");
        return this.#events(res, session);
      case "tail":
        if (m !== "GET") return methodNotAllowed(res, "GET");
        return this.#tail(res, session, url);
      case "listeners": {
        if (m !== "GET") return methodNotAllowed(res, "GET");
        const denied = this.#denied(session, "elasticloadbalancing:DescribeListeners", "*");
        if (denied) return accessDenied(res, denied);
        return json(res, 200, {
          listeners: this.#o.listeners().filter((l) => l.listenerArn.split(":")[4] === session.identity.accountId && l.listenerArn.split(":")[3] === session.identity.region),
        });
      }
      default:
        return json(res, 404, { error: { code: "NotFound", message: `No console API ${name}.` } });
    }
  }

  async #call(req: IncomingMessage, res: ServerResponse, session: ConsoleSession): Promise<void> {
    const body = await readJson(req);
    if (!body.ok) return refuse(res, body.refusal);
    const { service, operation, input } = body.value as { service?: unknown; operation?: unknown; input?: unknown };
    if (typeof service !== "string" || typeof operation !== "string" || !isConsoleService(service) || !operationKind(service, operation)) {
      return json(res, 400, { error: { code: "ValidationError", message: `The console does not call ${String(service)}:${String(operation)}.` } });
    }
    if (input !== undefined && (typeof input !== "object" || input === null || Array.isArray(input))) {
      return json(res, 400, { error: { code: "ValidationError", message: "input must be an object." } });
    }
    const r = await session.aws.call(service, operation, reviveDates(input ?? {}));
    if (r.ok) return json(res, 200, { output: r.output });
    return json(res, r.error.status, { error: r.error });
  }

  #events(res: ServerResponse, session: ConsoleSession): void {
    const audience: Audience = { accountId: session.identity.accountId, region: session.identity.region };
    // The API-activity feed is CloudTrail's job in AWS: it needs cloudtrail:LookupEvents.
    const seesActivity = () => this.#denied(session, "cloudtrail:LookupEvents", "*") === undefined;
    const hello = seesActivity()
      ? { activity: this.#o.activity.recent(audience.accountId, audience.region).slice(-200) }
      : { activity: [], activityDenied: this.#denied(session, "cloudtrail:LookupEvents", "*") };
    this.#o.feed.attach(res, audience, [sseFrame("hello", hello)], seesActivity);
  }

  async #tail(res: ServerResponse, session: ConsoleSession, url: URL): Promise<void> {
    const cluster = url.searchParams.get("cluster") ?? "";
    const task = url.searchParams.get("task") ?? "";
    const container = url.searchParams.get("container") ?? "";
    // The user may see the task only if DescribeTasks shows it to them.
    const r = await session.aws.call("ecs", "DescribeTasks", { cluster, tasks: [task] });
    if (!r.ok) return json(res, r.error.status, { error: r.error });
    const t = (r.output.tasks as { taskArn?: string; taskDefinitionArn?: string; containers?: { name?: string; runtimeId?: string }[] }[] | undefined)?.[0];
    if (!t?.taskArn) return json(res, 404, { error: { code: "NotFound", message: `Task ${task} was not found.` } });
    if (!t.containers?.some((c) => c.name === container)) {
      return json(res, 404, { error: { code: "NotFound", message: `Task ${task} has no container ${container}.` } });
    }
    if (this.#o.permits) {
      // Reading a container's output is reading its log: logs:GetLogEvents on its awslogs stream.
      const runtimeId = t.containers.find((c) => c.name === container)?.runtimeId;
      const stream = await this.#logStream(session, t.taskArn, t.taskDefinitionArn ?? "", container, runtimeId);
      if ("error" in stream) return json(res, stream.error.status, { error: stream.error });
      const denied = this.#denied(session, "logs:GetLogEvents", stream.arn);
      if (denied) return accessDenied(res, denied);
    }
    const found = await this.#o.runtime.list({ [LABELS.taskArn]: t.taskArn, [LABELS.container]: container });
    const c = found[0];
    if (!c) return json(res, 404, { error: { code: "NotFound", message: `Container ${container} of task ${task} has not been created.` } });
    this.#tails++;
    try {
      await tailContainer(res, this.#o.runtime, c.id, this.#o.clock.now() - TAIL_BACKLOG_MS);
    } finally {
      this.#tails--;
    }
  }

  #denied(session: ConsoleSession, action: string, resource: string): string | undefined {
    return this.#o.permits?.(session.identity, action, resource);
  }

  /** The ARN of the awslogs stream a task's container writes to, or "*" when it does not use awslogs. */
  async #logStream(
    session: ConsoleSession,
    taskArn: string,
    taskDefinition: string,
    container: string,
    runtimeId: string | undefined,
  ): Promise<{ arn: string } | { error: ApiError }> {
    const r = await session.aws.call("ecs", "DescribeTaskDefinition", { taskDefinition });
    if (!r.ok) return { error: r.error };
    type Def = { containerDefinitions?: { name?: string; logConfiguration?: { logDriver?: string; options?: Record<string, string> } }[] };
    const log = (r.output.taskDefinition as Def | undefined)?.containerDefinitions?.find((c) => c.name === container)?.logConfiguration;
    const group = log?.logDriver === "awslogs" ? log.options?.["awslogs-group"] : undefined;
    if (!group) return { arn: "*" };
    const prefix = log?.options?.["awslogs-stream-prefix"];
    // awslogs names the stream <prefix>/<container>/<task id>, or the container's id without a prefix.
    const stream = prefix ? `${prefix}/${container}/${taskArn.split("/").at(-1) ?? ""}` : (runtimeId ?? "*");
    const { accountId, region } = session.identity;
    return { arn: `arn:aws:logs:${log?.options?.["awslogs-region"] ?? region}:${accountId}:log-group:${group}:log-stream:${stream}` };
  }

  #session(req: IncomingMessage): ConsoleSession | undefined {
    return this.#sessions.fromCookie(req.headers.cookie);
  }

  async #signIn(creds: ConsoleCredentials, region: string): Promise<{ session: ConsoleSession } | { error: { code: string; message: string; status: number } }> {
    const shared = creds === CONSOLE_ACCESS_KEY;
    let aws = shared ? this.#sharedAws.get(region) : undefined;
    if (!aws) {
      aws = new ConsoleAws({ invoke: this.#o.invoke, endpoint: `http://127.0.0.1:${this.#o.port}`, region, credentials: creds, shared });
      if (shared) this.#sharedAws.set(region, aws);
    }
    const who = await aws.call("sts", "GetCallerIdentity", {});
    if (!who.ok) {
      aws.close();
      return { error: who.error };
    }
    const identity: ConsoleIdentity = {
      accountId: String(who.output.Account ?? ""),
      arn: String(who.output.Arn ?? ""),
      accessKeyId: creds.accessKeyId,
      region,
    };
    return { session: this.#sessions.create(identity, aws) };
  }
}

const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  "x-frame-options": "DENY",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

/**
 * JSON has no dates: the page writes a timestamp input as {"$date": <epoch ms>}, and it becomes the
 * Date the SDK serializes (GetMetricData's StartTime, EndTime). Nothing else is touched.
 */
export function reviveDates(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reviveDates);
  if (v === null || typeof v !== "object") return v;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.length === 1 && keys[0] === "$date" && typeof o.$date === "number") return new Date(o.$date);
  return Object.fromEntries(keys.map((k) => [k, reviveDates(o[k])]));
}

function safeDecode(parts: readonly string[]): string[] | undefined {
  try {
    return parts.map((x) => decodeURIComponent(x));
  } catch {
    return undefined;
  }
}

function method(req: IncomingMessage): string {
  return (req.method ?? "GET").toUpperCase();
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    "content-length": String(Buffer.byteLength(text)),
  });
  res.end(text);
}

function refuse(res: ServerResponse, r: Refusal): void {
  json(res, r.status, { error: { code: r.status === 403 ? "Forbidden" : "Refused", message: r.reason } });
}

/** IAM's refusal, as the JSON services word it. */
function accessDenied(res: ServerResponse, message: string): void {
  json(res, 403, { error: { code: "AccessDeniedException", message } });
}

function methodNotAllowed(res: ServerResponse, allow: string): void {
  res.setHeader("allow", allow);
  json(res, 405, { error: { code: "MethodNotAllowed", message: `Use ${allow}.` } });
}

async function readJson(req: IncomingMessage): Promise<{ ok: true; value: unknown } | { ok: false; refusal: Refusal }> {
  const type = String(req.headers["content-type"] ?? "");
  if (!type.startsWith("application/json")) return { ok: false, refusal: { status: 415, reason: "Send application/json." } };
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_JSON_BODY) return { ok: false, refusal: { status: 413, reason: "Request body too large." } };
    chunks.push(chunk);
  }
  try {
    return { ok: true, value: JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown };
  } catch {
    return { ok: false, refusal: { status: 400, reason: "The body is not JSON." } };
  }
}
