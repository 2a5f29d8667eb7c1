/**
 * The console's calls to its server: every read and action is an AWS API call made by the server
 * with the signed-in identity (POST api/call), so the browser never holds AWS credentials after
 * signing in. POSTs carry the session's token (X-Slipway-Token); the session cookie is HttpOnly.
 */
export const BASE = "/_slipway/console/";

export interface Identity {
  accountId: string;
  arn: string;
  accessKeyId: string;
  region: string;
}

export interface SessionInfo {
  strictAuth: boolean;
  signedIn: boolean;
  identity?: Identity;
  token?: string;
  services: string[];
}

export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  constructor(code: string, message: string, status: number) {
    super(message);
    this.code = code;
    this.status = status;
  }
  override toString(): string {
    return `${this.code}: ${this.message}`;
  }
}

let token = "";

export function setToken(t: string | undefined): void {
  token = t ?? "";
}

async function parse<T>(res: Response): Promise<T> {
  const body = (await res.json().catch(() => ({}))) as { error?: { code?: string; message?: string } } & T;
  if (!res.ok) throw new ApiError(body.error?.code ?? `HTTP${res.status}`, body.error?.message ?? res.statusText, res.status);
  return body;
}

export async function getSession(): Promise<SessionInfo> {
  return parse<SessionInfo>(await fetch(`${BASE}api/session`, { credentials: "same-origin" }));
}

async function post<T>(name: string, body: unknown): Promise<T> {
  const res = await fetch(`${BASE}api/${name}`, {
    method: "POST",
    credentials: "same-origin",
    headers: { "content-type": "application/json", "x-slipway-token": token },
    body: JSON.stringify(body),
  });
  return parse<T>(res);
}

export async function login(accessKeyId: string, secretAccessKey: string, sessionToken: string, region: string): Promise<SessionInfo> {
  const r = await post<SessionInfo>("login", { accessKeyId, secretAccessKey, sessionToken, region });
  setToken(r.token);
  return r;
}

export async function logout(): Promise<void> {
  await post("logout", {});
  setToken(undefined);
}

/** One AWS API call through the console's server; resolves with the operation's output. */
// biome-ignore lint/suspicious/noExplicitAny: outputs are the AWS API's JSON, typed where used.
export async function call<T = any>(service: string, operation: string, input: Record<string, unknown> = {}): Promise<T> {
  const r = await post<{ output: T }>("call", { service, operation, input });
  return r.output;
}

/** Calls a paginated List/Describe operation until it has no next token. */
export async function callAll<T>(service: string, operation: string, input: Record<string, unknown>, items: string, tokenIn = "nextToken", tokenOut = tokenIn): Promise<T[]> {
  const out: T[] = [];
  let next: string | undefined;
  for (let page = 0; page < 50; page++) {
    const r = await call(service, operation, { ...input, ...(next ? { [tokenIn]: next } : {}) });
    out.push(...((r[items] as T[] | undefined) ?? []));
    next = r[tokenOut] as string | undefined;
    if (!next) break;
  }
  return out;
}

export interface ListenerView {
  listenerArn: string;
  loadBalancerArn: string;
  dnsName: string;
  protocol: string;
  port: number;
  hostPort: number;
  note?: string;
}

export async function listeners(): Promise<ListenerView[]> {
  const r = await parse<{ listeners: ListenerView[] }>(await fetch(`${BASE}api/listeners`, { credentials: "same-origin" }));
  return r.listeners;
}
