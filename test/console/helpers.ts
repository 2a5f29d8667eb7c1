/** Raw HTTP clients for the console's server in tests: sessions, JSON calls, and SSE readers. */
import { type ClientRequest, type IncomingMessage, request } from "node:http";

/** The console API's JSON and event payloads, checked field by field in tests. */
// biome-ignore lint/suspicious/noExplicitAny: see above.
type Json = any;

export interface ConsoleSessionInfo {
  cookie: string;
  token: string;
  accountId: string;
}

export async function openSession(consoleUrl: string): Promise<ConsoleSessionInfo> {
  const res = await fetch(`${consoleUrl}api/session`);
  const body = (await res.json()) as { token: string; identity: { accountId: string } };
  const cookie = (res.headers.get("set-cookie") ?? "").split(";")[0]!;
  return { cookie, token: body.token, accountId: body.identity.accountId };
}

/** A POST the way the console's page makes it (same origin, token); `headers` override. */
export async function post(
  consoleUrl: string,
  name: string,
  body: unknown,
  s: ConsoleSessionInfo | undefined,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Json }> {
  const origin = new URL(consoleUrl).origin;
  const res = await fetch(`${consoleUrl}api/${name}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      origin,
      ...(s ? { cookie: s.cookie, "x-slipway-token": s.token } : {}),
      ...headers,
    },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

export interface SseEvent {
  event: string;
  data: Json;
}

export interface SseReader {
  readonly events: SseEvent[];
  readonly status: number;
  /** Resolves once an event matching `pred` has arrived (or rejects when the stream ends first). */
  waitFor(pred: (e: SseEvent) => boolean, what: string): Promise<SseEvent>;
  /** Ends the request politely. */
  close(): void;
  /** Drops the TCP connection mid-stream, as a crashed browser would. */
  destroy(): void;
  readonly ended: Promise<void>;
}

export function openSse(url: string, cookie: string): Promise<SseReader> {
  return new Promise((resolve, reject) => {
    const events: SseEvent[] = [];
    const waiters = new Set<() => void>();
    let buf = "";
    let done = false;
    let endResolve!: () => void;
    const ended = new Promise<void>((r) => (endResolve = r));
    const req: ClientRequest = request(url, { headers: { cookie, accept: "text/event-stream" } }, (res: IncomingMessage) => {
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        buf += chunk;
        let i: number;
        while ((i = buf.indexOf("\n\n")) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          let event = "message";
          let data = "";
          for (const line of block.split("\n")) {
            if (line.startsWith("event: ")) event = line.slice(7);
            else if (line.startsWith("data: ")) data += line.slice(6);
          }
          if (data) events.push({ event, data: JSON.parse(data) });
          for (const w of [...waiters]) w();
        }
      });
      const finish = () => {
        done = true;
        for (const w of [...waiters]) w();
        endResolve();
      };
      res.on("end", finish);
      res.on("close", finish);
      resolve({
        events,
        status: res.statusCode ?? 0,
        waitFor: (pred, what) =>
          new Promise((ok, fail) => {
            const check = () => {
              const e = events.find(pred);
              if (e) {
                waiters.delete(check);
                ok(e);
              } else if (done) {
                waiters.delete(check);
                fail(new Error(`stream ended before ${what}; got ${JSON.stringify(events).slice(0, 500)}`));
              }
            };
            waiters.add(check);
            check();
          }),
        close: () => req.destroy(),
        destroy: () => res.socket?.destroy(),
        ended,
      });
    });
    req.on("error", (err) => {
      if (!done) reject(err);
    });
    req.end();
  });
}
