/**
 * Live updates: one EventSource per page on api/events. The server sends `changes` (topic keys:
 * "service:<arn>", "task:<arn>", "elbv2:<arn>", "health:<target group arn>", "registry:…",
 * "task-definition:<arn>", "logs:…", "api:<account>:<region>:<service>:<operation>") and
 * `activity` (API calls). Views say which keys concern them and re-read when one arrives; nothing
 * in the browser polls on a timer.
 *
 * A hidden tab lets go of its stream and reconnects (re-reading every view) when shown again: a
 * browser keeps at most six connections to one host, and each open stream holds one, so tabs in
 * the background must not starve the one in front.
 */
import { BASE } from "./api.ts";

export interface ActivityEntry {
  seq: number;
  at: number;
  service: string;
  operation: string;
  accountId: string;
  region: string;
  caller?: string;
  status: number;
  errorCode?: string;
  latencyMs: number;
  tool?: string;
  console: boolean;
}

type KeysListener = (keys: string[]) => void;
type Listener = () => void;

const keyListeners = new Set<KeysListener>();
const activityListeners = new Set<Listener>();
const statusListeners = new Set<Listener>();
const MAX_ACTIVITY = 1000;
let activity: ActivityEntry[] = [];
let activityDenied: string | undefined;
let source: EventSource | undefined;
let connected = false;
let everConnected = false;

export function isConnected(): boolean {
  return connected;
}

export function onStatus(l: Listener): () => void {
  statusListeners.add(l);
  return () => statusListeners.delete(l);
}

let wanted = false;

/** Starts the event stream while the page is visible (idempotent). */
export function connect(): void {
  wanted = true;
  document.addEventListener("visibilitychange", onVisibility);
  if (document.visibilityState !== "hidden") open();
}

function onVisibility(): void {
  if (!wanted) return;
  if (document.visibilityState === "hidden") close();
  else open();
}

function close(): void {
  source?.close();
  source = undefined;
  connected = false;
  for (const l of statusListeners) l();
}

function open(): void {
  if (source) return;
  source = new EventSource(`${BASE}api/events`);
  source.addEventListener("open", () => {
    connected = true;
    for (const l of statusListeners) l();
    // After a reconnect, changes may have been missed: every view re-reads.
    if (everConnected) for (const l of keyListeners) l(["*"]);
    everConnected = true;
  });
  source.addEventListener("error", () => {
    connected = false;
    for (const l of statusListeners) l();
  });
  source.addEventListener("hello", (ev) => {
    const { activity: recent, activityDenied: denied } = JSON.parse((ev as MessageEvent<string>).data) as { activity: ActivityEntry[]; activityDenied?: string };
    activityDenied = denied;
    const known = new Set(activity.map((a) => a.seq));
    activity = [...activity, ...recent.filter((a) => !known.has(a.seq))].sort((a, b) => a.seq - b.seq).slice(-MAX_ACTIVITY);
    for (const l of activityListeners) l();
  });
  source.addEventListener("changes", (ev) => {
    const keys = JSON.parse((ev as MessageEvent<string>).data) as string[];
    for (const l of keyListeners) l(keys);
  });
  source.addEventListener("activity", (ev) => {
    const entry = JSON.parse((ev as MessageEvent<string>).data) as ActivityEntry;
    activity = [...activity, entry].slice(-MAX_ACTIVITY);
    for (const l of activityListeners) l();
  });
}

export function disconnect(): void {
  wanted = false;
  document.removeEventListener("visibilitychange", onVisibility);
  close();
}

/** Calls `l` with the keys of each change; "*" means "anything may have changed". */
export function onKeys(l: KeysListener): () => void {
  keyListeners.add(l);
  return () => keyListeners.delete(l);
}

/** IAM's refusal of the activity feed (cloudtrail:LookupEvents) for this identity, if refused. */
export function activityRefusal(): string | undefined {
  return activityDenied;
}

export function activityEntries(): readonly ActivityEntry[] {
  return activity;
}

export function onActivity(l: Listener): () => void {
  activityListeners.add(l);
  return () => activityListeners.delete(l);
}
