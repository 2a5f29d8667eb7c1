/**
 * Server-sent events to open consoles. What changed (the store's committed keys, target-health
 * transitions, state-changing API calls) goes out as `changes` events of topic keys, coalesced per
 * turn of the event loop; API calls go out as `activity` events. Each console hears only its own
 * account and region. A console that stops reading is dropped once 1 MiB is queued for it, so a
 * stuck browser never holds the server's memory.
 */
import type { ServerResponse } from "node:http";
import { parseArn } from "../core/arn.ts";
import type { ActivityEntry } from "./activity.ts";

const MAX_QUEUED_BYTES = 1024 * 1024;

export interface Audience {
  readonly accountId: string;
  readonly region: string;
}

interface Client extends Audience {
  readonly res: ServerResponse;
  /** Whether this console may see API activity now (IAM can change while it is open). */
  readonly seesActivity: () => boolean;
}

/**
 * The account and region a topic key belongs to: `<kind>:<arn>` (service:, task:, elbv2:,
 * task-definition:, health:) or `<kind>:<account>:<region>:<name>` (registry:, api:, logs:).
 */
export function audienceOf(key: string): Audience | undefined {
  const colon = key.indexOf(":");
  if (colon < 0) return undefined;
  const rest = key.slice(colon + 1);
  if (rest.startsWith("arn:")) {
    const arn = parseArn(rest);
    return arn ? { accountId: arn.accountId, region: arn.region } : undefined;
  }
  const [accountId, region] = rest.split(":");
  return accountId && region !== undefined && /^\d{12}$/.test(accountId) ? { accountId, region } : undefined;
}

/**
 * Said to every console once a minute, after the platform's metrics are published and alarms are
 * evaluated (charts and scaling activity may have moved). It names no resource, so it goes to all.
 */
export const METRICS_MINUTE_KEY = "metrics:minute";

/** One SSE frame. */
export function sseFrame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export class Feed {
  readonly #clients = new Set<Client>();
  #pending = new Set<string>();
  #scheduled = false;
  #closed = false;

  /**
   * Makes `res` an event stream for `audience`; `first` frames are sent before anything else.
   * `seesActivity` is asked before each API call is sent (default: always).
   */
  attach(res: ServerResponse, audience: Audience, first: string[] = [], seesActivity: () => boolean = () => true): void {
    if (this.#closed) {
      res.writeHead(503).end();
      return;
    }
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    });
    res.write("retry: 1000\n\n");
    for (const f of first) res.write(f);
    const client: Client = { res, accountId: audience.accountId, region: audience.region, seesActivity };
    this.#clients.add(client);
    const drop = () => this.#clients.delete(client);
    res.once("close", drop);
    res.once("error", drop);
  }

  /** Topic keys that changed; delivered (deduplicated) after the current turn of the event loop. */
  changed(keys: Iterable<string>): void {
    if (this.#closed) return;
    for (const k of keys) this.#pending.add(k);
    if (this.#scheduled || this.#pending.size === 0) return;
    this.#scheduled = true;
    setImmediate(() => this.#flush());
  }

  /** Keys that name no resource, for every console (see METRICS_MINUTE_KEY). */
  broadcast(keys: readonly string[]): void {
    if (this.#closed || this.#clients.size === 0) return;
    const frame = sseFrame("changes", keys);
    for (const c of this.#clients) this.#send(c, frame);
  }

  activity(entry: ActivityEntry): void {
    if (this.#clients.size === 0) return; // no console open: nothing to serialise per API call
    const frame = sseFrame("activity", entry);
    for (const c of this.#clients) if (c.accountId === entry.accountId && c.region === entry.region && c.seesActivity()) this.#send(c, frame);
  }

  get clients(): number {
    return this.#clients.size;
  }

  close(): void {
    this.#closed = true;
    for (const c of this.#clients) c.res.end();
    this.#clients.clear();
  }

  #flush(): void {
    this.#scheduled = false;
    const keys = this.#pending;
    this.#pending = new Set();
    if (this.#clients.size === 0) return;
    const byAudience = new Map<string, string[]>();
    for (const k of keys) {
      const a = audienceOf(k);
      if (!a) continue;
      const id = `${a.accountId}/${a.region}`;
      const list = byAudience.get(id) ?? [];
      list.push(k);
      byAudience.set(id, list);
    }
    const frames = new Map([...byAudience].map(([id, list]) => [id, sseFrame("changes", list)]));
    for (const c of this.#clients) {
      const frame = frames.get(`${c.accountId}/${c.region}`);
      if (frame) this.#send(c, frame);
    }
  }

  #send(c: Client, frame: string): void {
    if (c.res.destroyed || c.res.writableEnded) {
      this.#clients.delete(c);
      return;
    }
    if (c.res.writableLength > MAX_QUEUED_BYTES) {
      this.#clients.delete(c);
      c.res.destroy();
      return;
    }
    c.res.write(frame);
  }
}
