/**
 * Log events: PutLogEvents (AWS's batch limits and its rejection of too old, too new and expired
 * events), GetLogEvents (one stream, forward and backward tokens) and FilterLogEvents (a whole
 * group in (timestamp, stream, sequence) order, filter patterns), per the API reference:
 * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutLogEvents.html
 * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_GetLogEvents.html
 * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_FilterLogEvents.html
 *
 * Both reads page by position (keyset tokens naming the last event returned), not by offset, so
 * events appended while a client pages are neither skipped nor repeated.
 */
import type * as cwl from "@aws-sdk/client-cloudwatch-logs";
import type { Scope } from "../../core/arn.ts";
import { checkLimit, DAY_MS, type LogsDeps } from "./context.ts";
import { badToken, constraint, groupNotFound, invalidParameter, streamNotFound } from "./errors.ts";
import { FilterPatternError, parseFilterPattern } from "./filter-pattern.ts";
import type { Groups } from "./groups.ts";
import type { EventRow, GroupKey, Key, LogsRepo, NewEvent } from "./repo.ts";
import { sequenceToken } from "./streams.ts";

const MAX_BATCH_EVENTS = 10_000;
const MAX_BATCH_BYTES = 1_048_576;
/** Bytes AWS counts per event on top of its message. */
const EVENT_OVERHEAD = 26;
const TOO_OLD_MS = 14 * DAY_MS;
const TOO_NEW_MS = 2 * 3_600_000;
const MAX_SPAN_MS = DAY_MS;
const BEGIN: Key = { ts: -1, seq: -1 };
const END: Key = { ts: Number.MAX_SAFE_INTEGER - 1, seq: Number.MAX_SAFE_INTEGER - 1 };

/** A 56-digit decimal event id, stable for (stream id, seq), like AWS's. */
export function eventId(streamId: number, seq: number): string {
  return `3${String(streamId).padStart(27, "0")}${String(seq).padStart(28, "0")}`;
}

/** Where shipping into a stream left off (the awslogs driver resumes from it after a restart). */
export interface ResumePoint {
  /** The newest event timestamp stored in the stream. */
  ts: number;
  /** The messages stored at exactly that timestamp, in order. */
  messages: string[];
}

export class Events {
  readonly #deps: LogsDeps;
  readonly #repo: LogsRepo;
  readonly #groups: Groups;

  /** Hears every batch appended to a group (metric filters), inside the append's transaction. */
  onAppend: (scope: Scope, group: string, events: readonly NewEvent[]) => void = () => {};

  constructor(deps: LogsDeps, repo: LogsRepo, groups: Groups) {
    this.#deps = deps;
    this.#repo = repo;
    this.#groups = groups;
  }

  put(scope: Scope, input: cwl.PutLogEventsRequest): cwl.PutLogEventsResponse {
    const events = input.logEvents ?? [];
    if (events.length === 0) throw constraint("[]", "logEvents", "Member must have length greater than or equal to 1");
    if (events.length > MAX_BATCH_EVENTS)
      throw constraint(`[${events.length} events]`, "logEvents", `Member must have length less than or equal to ${MAX_BATCH_EVENTS}`);
    let bytes = 0;
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      if (e.timestamp === undefined || !Number.isFinite(e.timestamp)) throw constraint("null", `logEvents.${i + 1}.member.timestamp`, "Member must not be null");
      if (e.message === undefined || e.message.length === 0)
        throw constraint(e.message ?? "null", `logEvents.${i + 1}.member.message`, "Member must have length greater than or equal to 1");
      if (i > 0 && e.timestamp < events[i - 1]!.timestamp!)
        throw invalidParameter("Log events in a single PutLogEvents request must be in chronological order.");
      bytes += Buffer.byteLength(e.message) + EVENT_OVERHEAD;
    }
    if (bytes > MAX_BATCH_BYTES) throw invalidParameter(`Upload too large: ${bytes} bytes exceeds limit of ${MAX_BATCH_BYTES}`);
    if (events[events.length - 1]!.timestamp! - events[0]!.timestamp! > MAX_SPAN_MS)
      throw invalidParameter("The batch of log events in a single PutLogEvents request cannot span more than 24 hours.");

    return this.#deps.store.tx(() => {
      const { group } = this.#groups.resolve(scope, input.logGroupName);
      const stream = this.#repo.getStream(group.id, input.logStreamName ?? "");
      if (!stream) throw streamNotFound();
      const now = this.#deps.clock.now();
      const tooOldBefore = now - TOO_OLD_MS;
      const expiredBefore = group.retention_days === null ? Number.NEGATIVE_INFINITY : now - group.retention_days * DAY_MS;
      const tooNewAfter = now + TOO_NEW_MS;
      let tooOldEnd = 0;
      let expiredEnd = 0;
      let tooNewStart = events.length;
      events.forEach((e, i) => {
        if (e.timestamp! < tooOldBefore) tooOldEnd = i + 1;
        if (e.timestamp! < expiredBefore) expiredEnd = i + 1;
      });
      for (let i = events.length - 1; i >= 0 && events[i]!.timestamp! > tooNewAfter; i--) tooNewStart = i;
      const accepted = events
        .slice(Math.max(tooOldEnd, expiredEnd), tooNewStart)
        .map((e) => ({ timestamp: e.timestamp!, message: e.message! }));
      this.#repo.appendEvents(stream, accepted, now);
      this.onAppend(scope, group.name, accepted);
      const out: cwl.PutLogEventsResponse = { nextSequenceToken: sequenceToken(stream) };
      if (tooOldEnd > 0 || expiredEnd > 0 || tooNewStart < events.length) {
        const info: cwl.RejectedLogEventsInfo = {};
        if (tooNewStart < events.length) info.tooNewLogEventStartIndex = tooNewStart;
        if (tooOldEnd > 0) info.tooOldLogEventEndIndex = tooOldEnd;
        if (expiredEnd > 0) info.expiredLogEventEndIndex = expiredEnd;
        out.rejectedLogEventsInfo = info;
      }
      return out;
    });
  }

  get(scope: Scope, input: cwl.GetLogEventsRequest): cwl.GetLogEventsResponse {
    const limit = checkLimit(input.limit, 10_000, 10_000);
    const { group } = this.#groups.resolve(scope, input.logGroupName, input.logGroupIdentifier);
    const stream = this.#repo.getStream(group.id, input.logStreamName ?? "");
    if (!stream) throw streamNotFound();
    const start = input.startTime ?? Number.MIN_SAFE_INTEGER;
    const end = input.endTime ?? Number.MAX_SAFE_INTEGER;
    let rows: EventRow[];
    let forward: string;
    let backward: string;
    if (input.nextToken !== undefined) {
      const { dir, key } = decodeKey(input.nextToken);
      if (dir === "f") {
        rows = this.#repo.eventsAfter(stream.id, key, start, end, limit);
        forward = rows.length ? encodeKey("f", toKey(last(rows))) : input.nextToken;
        backward = rows.length ? encodeKey("b", toKey(rows[0]!)) : encodeKey("b", { ts: key.ts, seq: key.seq + 1 });
      } else {
        rows = this.#repo.eventsBefore(stream.id, key, start, end, limit);
        backward = rows.length ? encodeKey("b", toKey(rows[0]!)) : input.nextToken;
        forward = rows.length ? encodeKey("f", toKey(last(rows))) : encodeKey("f", { ts: key.ts, seq: Math.max(key.seq - 1, -1) });
      }
    } else if (input.startFromHead) {
      rows = this.#repo.eventsAfter(stream.id, BEGIN, start, end, limit);
      forward = encodeKey("f", rows.length ? toKey(last(rows)) : BEGIN);
      backward = encodeKey("b", rows.length ? toKey(rows[0]!) : BEGIN);
    } else {
      rows = this.#repo.eventsBefore(stream.id, END, start, end, limit);
      forward = encodeKey("f", rows.length ? toKey(last(rows)) : BEGIN);
      backward = encodeKey("b", rows.length ? toKey(rows[0]!) : BEGIN);
    }
    return {
      events: rows.map((r) => ({ timestamp: r.timestamp, message: r.message, ingestionTime: r.ingestion_time })),
      nextForwardToken: forward,
      nextBackwardToken: backward,
    };
  }

  filter(scope: Scope, input: cwl.FilterLogEventsRequest): cwl.FilterLogEventsResponse {
    if (input.logStreamNames !== undefined && input.logStreamNamePrefix !== undefined)
      throw invalidParameter("Parameters logStreamNames and logStreamNamePrefix are mutually exclusive.");
    const limit = checkLimit(input.limit, 10_000, 10_000);
    let matcher: (m: string) => boolean;
    try {
      matcher = parseFilterPattern(input.filterPattern);
    } catch (err) {
      if (err instanceof FilterPatternError) throw invalidParameter(err.message);
      throw err;
    }
    const { group } = this.#groups.resolve(scope, input.logGroupName, input.logGroupIdentifier);
    const streams = this.#repo.listStreams(group.id);
    let allowed: Set<number> | undefined;
    if (input.logStreamNames !== undefined) {
      const names = new Set(input.logStreamNames);
      allowed = new Set(streams.filter((s) => names.has(s.name)).map((s) => s.id));
    } else if (input.logStreamNamePrefix !== undefined) {
      allowed = new Set(streams.filter((s) => s.name.startsWith(input.logStreamNamePrefix!)).map((s) => s.id));
    }
    const names = new Map(streams.map((s) => [s.id, s.name]));
    const after = input.nextToken !== undefined ? decodeGroupKey(input.nextToken) : { ts: Number.MIN_SAFE_INTEGER, stream: 0, seq: 0 };
    const start = input.startTime ?? Number.MIN_SAFE_INTEGER;
    const end = input.endTime ?? Number.MAX_SAFE_INTEGER;
    const events: cwl.FilteredLogEvent[] = [];
    let lastKey: GroupKey | undefined;
    let more = false;
    if (!allowed || allowed.size > 0) {
      for (const r of this.#repo.scanGroup(group.id, after, start, end)) {
        if (allowed && !allowed.has(r.stream_id)) continue;
        if (!matcher(r.message)) continue;
        if (events.length === limit) {
          more = true;
          break;
        }
        events.push({
          logStreamName: names.get(r.stream_id),
          timestamp: r.timestamp,
          message: r.message,
          ingestionTime: r.ingestion_time,
          eventId: eventId(r.stream_id, r.seq),
        });
        lastKey = { ts: r.timestamp, stream: r.stream_id, seq: r.seq };
      }
    }
    const out: cwl.FilterLogEventsResponse = { events, searchedLogStreams: [] };
    if (more && lastKey) out.nextToken = encodeGroupKey(lastKey);
    return out;
  }

  // ---- for the awslogs driver (no AWS validation: Docker's lines are what they are) ----

  /** Appends shipped lines (sorted by the caller) with ingestionTime = now; creates the stream if missing. */
  ingest(scope: Scope, group: string, stream: string, events: readonly NewEvent[]): void {
    if (events.length === 0) return;
    this.#deps.store.tx(() => {
      const g = this.#repo.getGroup(scope, group);
      if (!g) throw groupNotFound();
      const s = this.#repo.getStream(g.id, stream) ?? this.#repo.insertStream(g.id, stream, this.#deps.clock.now());
      this.#repo.appendEvents(s, events, this.#deps.clock.now());
      this.onAppend(scope, group, events);
    });
  }

  /** Where shipping into a stream left off, for resuming after a restart. */
  resumePoint(scope: Scope, group: string, stream: string): ResumePoint | undefined {
    const g = this.#repo.getGroup(scope, group);
    const s = g && this.#repo.getStream(g.id, stream);
    if (!s || s.last_event === null) return undefined;
    return { ts: s.last_event, messages: this.#repo.messagesAt(s.id, s.last_event) };
  }
}

// ---- tokens: GetLogEvents "f/…" and "b/…" (a position in one stream), FilterLogEvents (a position in the group) ----

function encodeKey(dir: "f" | "b", k: Key): string {
  return `${dir}/${String(k.ts + 1).padStart(28, "0")}${String(k.seq + 1).padStart(28, "0")}/s`;
}

function decodeKey(token: string): { dir: "f" | "b"; key: Key } {
  const m = /^([fb])\/(\d{28})(\d{28})(?:\/s)?$/.exec(token);
  if (!m) throw badToken();
  const ts = Number(m[2]) - 1;
  const seq = Number(m[3]) - 1;
  if (!Number.isSafeInteger(ts) || !Number.isSafeInteger(seq)) throw badToken();
  return { dir: m[1] as "f" | "b", key: { ts, seq } };
}

function encodeGroupKey(k: GroupKey): string {
  return Buffer.from(`g1:${k.ts}:${k.stream}:${k.seq}`).toString("base64url");
}

function decodeGroupKey(token: string): GroupKey {
  const m = /^g1:(-?\d+):(\d+):(-?\d+)$/.exec(Buffer.from(token, "base64url").toString("utf8"));
  if (!m) throw badToken();
  return { ts: Number(m[1]), stream: Number(m[2]), seq: Number(m[3]) };
}

function last<T>(a: readonly T[]): T {
  return a[a.length - 1]!;
}

function toKey(r: EventRow): Key {
  return { ts: r.timestamp, seq: r.seq };
}
