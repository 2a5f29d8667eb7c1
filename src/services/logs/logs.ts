/**
 * The CloudWatch Logs domain (../shared/spec/ecs-semantics.md §7, §4.4): log groups, streams and
 * events in SQLite, GetLogEvents / FilterLogEvents with AWS's token and ordering rules, retention.
 * Inputs and outputs are the @aws-sdk/client-cloudwatch-logs shapes; nothing here knows HTTP.
 */
import type * as cwl from "@aws-sdk/client-cloudwatch-logs";
import { ServiceError } from "../../aws/service-error.ts";
import { arn as buildArn, parseArn, type Scope } from "../../core/arn.ts";
import type { Clock } from "../../core/clock.ts";
import type { IdGen } from "../../core/ids.ts";
import type { Store } from "../../store/store.ts";
import { deleteAllTags, getTags, removeTags, setTags } from "../../store/tags.ts";
import { FilterPatternError, parseFilterPattern } from "./filter-pattern.ts";
import { MetricFilters } from "./metric-filters.ts";
import { type EventRow, type GroupKey, type GroupRow, type Key, LogsRepo, type NewEvent, type StreamRow } from "./repo.ts";

export interface LogsDeps {
  readonly store: Store;
  readonly clock: Clock;
  readonly ids: IdGen;
}

export const RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

const DAY_MS = 86_400_000;
const MAX_BATCH_EVENTS = 10_000;
const MAX_BATCH_BYTES = 1_048_576;
const EVENT_OVERHEAD = 26;
const TOO_OLD_MS = 14 * DAY_MS;
const TOO_NEW_MS = 2 * 3_600_000;
const MAX_SPAN_MS = DAY_MS;
const BEGIN: Key = { ts: -1, seq: -1 };
const END: Key = { ts: Number.MAX_SAFE_INTEGER - 1, seq: Number.MAX_SAFE_INTEGER - 1 };
const GROUP_NAME = /^[.\-_/#A-Za-z0-9]{1,512}$/;

export const errors = {
  groupNotFound: () => new ServiceError("ResourceNotFoundException", "The specified log group does not exist."),
  streamNotFound: () => new ServiceError("ResourceNotFoundException", "The specified log stream does not exist."),
  groupExists: () => new ServiceError("ResourceAlreadyExistsException", "The specified log group already exists"),
  streamExists: () => new ServiceError("ResourceAlreadyExistsException", "The specified log stream already exists"),
  invalid: (message: string) => new ServiceError("InvalidParameterException", message),
  badToken: () => new ServiceError("InvalidParameterException", "The specified nextToken is invalid."),
};

function constraint(value: unknown, member: string, rule: string): ServiceError {
  return errors.invalid(`1 validation error detected: Value '${String(value)}' at '${member}' failed to satisfy constraint: ${rule}`);
}

// ---- ARNs, ids and tokens ----

export const logGroupArn = (scope: Scope, name: string) => buildArn("logs", scope, `log-group:${name}`);
export const logStreamArn = (scope: Scope, group: string, stream: string) => buildArn("logs", scope, `log-group:${group}:log-stream:${stream}`);

/** A 56-digit decimal event id, stable for (stream id, seq), like AWS's. */
export function eventId(streamId: number, seq: number): string {
  return `3${String(streamId).padStart(27, "0")}${String(seq).padStart(28, "0")}`;
}

function encodeKey(dir: "f" | "b", k: Key): string {
  return `${dir}/${String(k.ts + 1).padStart(28, "0")}${String(k.seq + 1).padStart(28, "0")}/s`;
}

function decodeKey(token: string): { dir: "f" | "b"; key: Key } {
  const m = /^([fb])\/(\d{28})(\d{28})(?:\/s)?$/.exec(token);
  if (!m) throw errors.badToken();
  const ts = Number(m[2]) - 1;
  const seq = Number(m[3]) - 1;
  if (!Number.isSafeInteger(ts) || !Number.isSafeInteger(seq)) throw errors.badToken();
  return { dir: m[1] as "f" | "b", key: { ts, seq } };
}

function encodeGroupKey(k: GroupKey): string {
  return Buffer.from(`g1:${k.ts}:${k.stream}:${k.seq}`).toString("base64url");
}

function decodeGroupKey(token: string): GroupKey {
  const m = /^g1:(-?\d+):(\d+):(-?\d+)$/.exec(Buffer.from(token, "base64url").toString("utf8"));
  if (!m) throw errors.badToken();
  return { ts: Number(m[1]), stream: Number(m[2]), seq: Number(m[3]) };
}

function pageOf<T>(items: readonly T[], limit: number, token: string | undefined): { items: T[]; nextToken?: string } {
  let start = 0;
  if (token !== undefined) {
    const m = /^o1:(\d+)$/.exec(Buffer.from(token, "base64url").toString("utf8"));
    if (!m) throw errors.badToken();
    start = Number(m[1]);
  }
  const page = items.slice(start, start + limit);
  const next = start + limit;
  return next < items.length ? { items: page, nextToken: Buffer.from(`o1:${next}`).toString("base64url") } : { items: page };
}

function checkLimit(limit: number | undefined, max: number, fallback: number): number {
  if (limit === undefined) return fallback;
  if (!Number.isInteger(limit) || limit < 1 || limit > max)
    throw constraint(limit, "limit", limit < 1 ? "Member must have value greater than or equal to 1" : `Member must have value less than or equal to ${max}`);
  return limit;
}

function tagMap(tags: { key: string; value: string }[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags) out[t.key] = t.value;
  return out;
}

// ---- the domain ----

export interface ResumePoint {
  /** The newest event timestamp stored in the stream. */
  ts: number;
  /** The messages stored at exactly that timestamp, in order. */
  messages: string[];
}

export class Logs {
  readonly deps: LogsDeps;
  readonly repo: LogsRepo;

  constructor(deps: LogsDeps) {
    this.deps = deps;
    this.repo = new LogsRepo(deps.store);
    this.metricFilters = new MetricFilters(this.repo, deps.clock);
  }

  /** Metric filters: their API, and the datapoints ingested events make. */
  readonly metricFilters: MetricFilters;

  // ---- groups ----

  createLogGroup(scope: Scope, input: cwl.CreateLogGroupRequest): void {
    const name = input.logGroupName ?? "";
    validateGroupName(name);
    const cls = input.logGroupClass ?? "STANDARD";
    this.deps.store.tx(() => {
      if (this.repo.getGroup(scope, name)) throw errors.groupExists();
      this.repo.insertGroup(scope, name, this.deps.clock.now(), cls);
      const tags = Object.entries(input.tags ?? {}).map(([key, value]) => ({ key, value }));
      if (tags.length) setTags(this.deps.store, logGroupArn(scope, name), tags);
    });
  }

  deleteLogGroup(scope: Scope, input: cwl.DeleteLogGroupRequest): void {
    this.deps.store.tx(() => {
      const { group, scope: s } = this.#groupFrom(scope, input.logGroupName);
      this.repo.deleteGroup(group.id);
      this.repo.deleteMetricFiltersOf(s, group.name);
      deleteAllTags(this.deps.store, logGroupArn(s, group.name));
    });
  }

  describeLogGroups(scope: Scope, input: cwl.DescribeLogGroupsRequest): cwl.DescribeLogGroupsResponse {
    if (input.logGroupNamePrefix !== undefined && input.logGroupNamePattern !== undefined)
      throw errors.invalid("LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.");
    const limit = checkLimit(input.limit, 50, 50);
    let rows = this.repo.listGroups(scope, input.logGroupNamePrefix);
    if (input.logGroupNamePattern !== undefined) {
      const needle = input.logGroupNamePattern.toLowerCase();
      rows = rows.filter((r) => r.name.toLowerCase().includes(needle));
    }
    if (input.logGroupIdentifiers?.length) {
      const wanted = new Set(input.logGroupIdentifiers.map((id) => this.#identifierName(id)));
      rows = rows.filter((r) => wanted.has(r.name));
    }
    const page = pageOf(rows, limit, input.nextToken);
    const logGroups = page.items.map((r) => this.#presentGroup(scope, r));
    return page.nextToken ? { logGroups, nextToken: page.nextToken } : { logGroups };
  }

  putRetentionPolicy(scope: Scope, input: cwl.PutRetentionPolicyRequest): void {
    const days = input.retentionInDays;
    if (days === undefined || !(RETENTION_DAYS as readonly number[]).includes(days))
      throw constraint(days, "retentionInDays", `Member must satisfy enum value set: [${RETENTION_DAYS.join(", ")}]`);
    this.deps.store.tx(() => {
      const { group } = this.#groupFrom(scope, input.logGroupName);
      this.repo.setRetention(group.id, days);
    });
  }

  deleteRetentionPolicy(scope: Scope, input: cwl.DeleteRetentionPolicyRequest): void {
    this.deps.store.tx(() => {
      const { group } = this.#groupFrom(scope, input.logGroupName);
      this.repo.setRetention(group.id, null);
    });
  }

  // ---- tags ----

  tagLogGroup(scope: Scope, name: string | undefined, tags: Record<string, string> | undefined): void {
    const { group, scope: s } = this.#groupFrom(scope, name);
    setTags(this.deps.store, logGroupArn(s, group.name), Object.entries(tags ?? {}).map(([key, value]) => ({ key, value })));
  }

  untagLogGroup(scope: Scope, name: string | undefined, keys: string[] | undefined): void {
    const { group, scope: s } = this.#groupFrom(scope, name);
    removeTags(this.deps.store, logGroupArn(s, group.name), keys ?? []);
  }

  listTagsLogGroup(scope: Scope, name: string | undefined): Record<string, string> {
    const { group, scope: s } = this.#groupFrom(scope, name);
    return tagMap(getTags(this.deps.store, logGroupArn(s, group.name)));
  }

  /** TagResource & co.: a log group ARN, with or without the trailing ":*". */
  resourceTags(resourceArn: string | undefined): { arn: string } {
    const p = parseArn(resourceArn ?? "");
    const m = p && /^log-group:([^:]+)(?::\*)?$/.exec(p.resource);
    if (!p || p.service !== "logs" || !m) throw new ServiceError("ResourceNotFoundException", "The specified resource does not exist.");
    const scope = { accountId: p.accountId, region: p.region };
    if (!this.repo.getGroup(scope, m[1]!)) throw errors.groupNotFound();
    return { arn: logGroupArn(scope, m[1]!) };
  }

  tagResource(resourceArn: string | undefined, tags: Record<string, string> | undefined): void {
    const { arn } = this.resourceTags(resourceArn);
    setTags(this.deps.store, arn, Object.entries(tags ?? {}).map(([key, value]) => ({ key, value })));
  }

  untagResource(resourceArn: string | undefined, keys: string[] | undefined): void {
    const { arn } = this.resourceTags(resourceArn);
    removeTags(this.deps.store, arn, keys ?? []);
  }

  listTagsForResource(resourceArn: string | undefined): Record<string, string> {
    return tagMap(getTags(this.deps.store, this.resourceTags(resourceArn).arn));
  }

  // ---- streams ----

  createLogStream(scope: Scope, input: cwl.CreateLogStreamRequest): void {
    const name = input.logStreamName ?? "";
    validateStreamName(name);
    this.deps.store.tx(() => {
      const { group } = this.#groupFrom(scope, input.logGroupName);
      if (this.repo.getStream(group.id, name)) throw errors.streamExists();
      this.repo.insertStream(group.id, name, this.deps.clock.now());
    });
  }

  deleteLogStream(scope: Scope, input: cwl.DeleteLogStreamRequest): void {
    this.deps.store.tx(() => {
      const { group } = this.#groupFrom(scope, input.logGroupName);
      const stream = this.repo.getStream(group.id, input.logStreamName ?? "");
      if (!stream) throw errors.streamNotFound();
      this.repo.deleteStream(stream.id);
    });
  }

  describeLogStreams(scope: Scope, input: cwl.DescribeLogStreamsRequest): cwl.DescribeLogStreamsResponse {
    const orderBy = input.orderBy ?? "LogStreamName";
    if (orderBy === "LastEventTime" && input.logStreamNamePrefix !== undefined)
      throw errors.invalid("Cannot order by LastEventTime with a logStreamNamePrefix.");
    const limit = checkLimit(input.limit, 50, 50);
    const { group, scope: s } = this.#groupFrom(scope, input.logGroupName, input.logGroupIdentifier);
    let rows = this.repo.listStreams(group.id);
    if (input.logStreamNamePrefix !== undefined) rows = rows.filter((r) => r.name.startsWith(input.logStreamNamePrefix!));
    if (orderBy === "LastEventTime")
      rows.sort((a, b) => (a.last_event ?? 0) - (b.last_event ?? 0) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    if (input.descending) rows.reverse();
    const page = pageOf(rows, limit, input.nextToken);
    const logStreams = page.items.map((r) => this.#presentStream(s, group.name, r));
    return page.nextToken ? { logStreams, nextToken: page.nextToken } : { logStreams };
  }

  // ---- events ----

  putLogEvents(scope: Scope, input: cwl.PutLogEventsRequest): cwl.PutLogEventsResponse {
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
        throw errors.invalid("Log events in a single PutLogEvents request must be in chronological order.");
      bytes += Buffer.byteLength(e.message) + EVENT_OVERHEAD;
    }
    if (bytes > MAX_BATCH_BYTES) throw errors.invalid(`Upload too large: ${bytes} bytes exceeds limit of ${MAX_BATCH_BYTES}`);
    if (events[events.length - 1]!.timestamp! - events[0]!.timestamp! > MAX_SPAN_MS)
      throw errors.invalid("The batch of log events in a single PutLogEvents request cannot span more than 24 hours.");

    return this.deps.store.tx(() => {
      const { group } = this.#groupFrom(scope, input.logGroupName);
      const stream = this.repo.getStream(group.id, input.logStreamName ?? "");
      if (!stream) throw errors.streamNotFound();
      const now = this.deps.clock.now();
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
      this.repo.appendEvents(stream, accepted, now);
      this.metricFilters.apply(scope, group.name, accepted);
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

  getLogEvents(scope: Scope, input: cwl.GetLogEventsRequest): cwl.GetLogEventsResponse {
    const limit = checkLimit(input.limit, 10_000, 10_000);
    const { group } = this.#groupFrom(scope, input.logGroupName, input.logGroupIdentifier);
    const stream = this.repo.getStream(group.id, input.logStreamName ?? "");
    if (!stream) throw errors.streamNotFound();
    const start = input.startTime ?? Number.MIN_SAFE_INTEGER;
    const end = input.endTime ?? Number.MAX_SAFE_INTEGER;
    let rows: EventRow[];
    let forward: string;
    let backward: string;
    if (input.nextToken !== undefined) {
      const { dir, key } = decodeKey(input.nextToken);
      if (dir === "f") {
        rows = this.repo.eventsAfter(stream.id, key, start, end, limit);
        forward = rows.length ? encodeKey("f", toKey(last(rows))) : input.nextToken;
        backward = rows.length ? encodeKey("b", toKey(rows[0]!)) : encodeKey("b", { ts: key.ts, seq: key.seq + 1 });
      } else {
        rows = this.repo.eventsBefore(stream.id, key, start, end, limit);
        backward = rows.length ? encodeKey("b", toKey(rows[0]!)) : input.nextToken;
        forward = rows.length ? encodeKey("f", toKey(last(rows))) : encodeKey("f", { ts: key.ts, seq: Math.max(key.seq - 1, -1) });
      }
    } else if (input.startFromHead) {
      rows = this.repo.eventsAfter(stream.id, BEGIN, start, end, limit);
      forward = encodeKey("f", rows.length ? toKey(last(rows)) : BEGIN);
      backward = encodeKey("b", rows.length ? toKey(rows[0]!) : BEGIN);
    } else {
      rows = this.repo.eventsBefore(stream.id, END, start, end, limit);
      forward = encodeKey("f", rows.length ? toKey(last(rows)) : BEGIN);
      backward = encodeKey("b", rows.length ? toKey(rows[0]!) : BEGIN);
    }
    return {
      events: rows.map((r) => ({ timestamp: r.timestamp, message: r.message, ingestionTime: r.ingestion_time })),
      nextForwardToken: forward,
      nextBackwardToken: backward,
    };
  }

  filterLogEvents(scope: Scope, input: cwl.FilterLogEventsRequest): cwl.FilterLogEventsResponse {
    if (input.logStreamNames !== undefined && input.logStreamNamePrefix !== undefined)
      throw errors.invalid("Parameters logStreamNames and logStreamNamePrefix are mutually exclusive.");
    const limit = checkLimit(input.limit, 10_000, 10_000);
    let matcher: (m: string) => boolean;
    try {
      matcher = parseFilterPattern(input.filterPattern);
    } catch (err) {
      if (err instanceof FilterPatternError) throw errors.invalid(err.message);
      throw err;
    }
    const { group } = this.#groupFrom(scope, input.logGroupName, input.logGroupIdentifier);
    const streams = this.repo.listStreams(group.id);
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
      for (const r of this.repo.scanGroup(group.id, after, start, end)) {
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

  // ---- retention ----

  /** Deletes events older than their group's retention; returns how many were deleted. */
  enforceRetention(): number {
    const now = this.deps.clock.now();
    let n = 0;
    this.deps.store.tx(() => {
      for (const g of this.repo.groupsWithRetention()) n += this.repo.purgeBefore(g.id, now - g.retention_days! * DAY_MS);
    });
    return n;
  }

  /** Runs enforceRetention every `intervalMs` (injected clock) until the returned stop is called. */
  startRetention(intervalMs = 10 * 60_000, onError: (err: unknown) => void = () => {}): () => void {
    const ac = new AbortController();
    void (async () => {
      while (!ac.signal.aborted) {
        try {
          this.enforceRetention();
        } catch (err) {
          onError(err);
        }
        try {
          await this.deps.clock.sleep(intervalMs, ac.signal);
        } catch {
          return;
        }
      }
    })();
    return () => ac.abort();
  }

  // ---- for the awslogs shipper (no AWS validation: Docker's lines are what they are) ----

  /** True when the group exists; creates it when missing and `create` is set. */
  ensureGroup(scope: Scope, name: string, create: boolean): boolean {
    return this.deps.store.tx(() => {
      if (this.repo.getGroup(scope, name)) return true;
      if (!create) return false;
      validateGroupName(name);
      this.repo.insertGroup(scope, name, this.deps.clock.now(), "STANDARD");
      return true;
    });
  }

  /** Creates the stream if missing; throws ResourceNotFoundException if the group is missing. */
  ensureStream(scope: Scope, group: string, stream: string): void {
    this.deps.store.tx(() => {
      const g = this.repo.getGroup(scope, group);
      if (!g) throw errors.groupNotFound();
      if (!this.repo.getStream(g.id, stream)) this.repo.insertStream(g.id, stream, this.deps.clock.now());
    });
  }

  /** Appends shipped lines (sorted by the caller) with ingestionTime = now. */
  ingest(scope: Scope, group: string, stream: string, events: readonly NewEvent[]): void {
    if (events.length === 0) return;
    this.deps.store.tx(() => {
      const g = this.repo.getGroup(scope, group);
      if (!g) throw errors.groupNotFound();
      const s = this.repo.getStream(g.id, stream) ?? this.repo.insertStream(g.id, stream, this.deps.clock.now());
      this.repo.appendEvents(s, events, this.deps.clock.now());
      this.metricFilters.apply(scope, group, events);
    });
  }

  /** Where shipping into a stream left off, for resuming after a restart. */
  resumePoint(scope: Scope, group: string, stream: string): ResumePoint | undefined {
    const g = this.repo.getGroup(scope, group);
    const s = g && this.repo.getStream(g.id, stream);
    if (!s || s.last_event === null) return undefined;
    return { ts: s.last_event, messages: this.repo.messagesAt(s.id, s.last_event) };
  }

  // ---- internals ----

  #identifierName(id: string): string {
    const p = parseArn(id);
    if (!p) return id;
    const m = /^log-group:([^:]+)(?::\*)?$/.exec(p.resource);
    return m ? m[1]! : id;
  }

  /** The group named by logGroupName or logGroupIdentifier (name or ARN), or ResourceNotFoundException. */
  #groupFrom(scope: Scope, name: string | undefined, identifier?: string): { group: GroupRow; scope: Scope } {
    if (name !== undefined && identifier !== undefined)
      throw errors.invalid("LogGroup name and LogGroup identifier are mutually exclusive parameters.");
    let s = scope;
    let groupName = name;
    if (identifier !== undefined) {
      const p = parseArn(identifier);
      if (p) {
        const m = /^log-group:([^:]+)(?::\*)?$/.exec(p.resource);
        if (p.service !== "logs" || !m) throw errors.invalid("The specified logGroupIdentifier is invalid.");
        s = { accountId: p.accountId, region: p.region };
        groupName = m[1]!;
      } else groupName = identifier;
    }
    if (groupName === undefined) throw errors.invalid("Either logGroupName or logGroupIdentifier must be specified.");
    const group = this.repo.getGroup(s, groupName);
    if (!group) throw errors.groupNotFound();
    return { group, scope: s };
  }

  #presentGroup(scope: Scope, r: GroupRow): cwl.LogGroup {
    const arn = logGroupArn(scope, r.name);
    const g: cwl.LogGroup = { logGroupName: r.name, creationTime: r.created_at };
    if (r.retention_days !== null) g.retentionInDays = r.retention_days;
    Object.assign(g, {
      metricFilterCount: this.metricFilters.count(scope, r.name),
      arn: `${arn}:*`,
      storedBytes: this.repo.groupStoredBytes(r.id),
      logGroupClass: r.log_group_class as cwl.LogGroupClass,
      logGroupArn: arn,
    });
    return g;
  }

  #presentStream(scope: Scope, group: string, r: StreamRow): cwl.LogStream {
    const s: cwl.LogStream = { logStreamName: r.name, creationTime: r.created_at };
    if (r.first_event !== null) s.firstEventTimestamp = r.first_event;
    if (r.last_event !== null) s.lastEventTimestamp = r.last_event;
    if (r.last_ingestion !== null) s.lastIngestionTime = r.last_ingestion;
    s.uploadSequenceToken = sequenceToken(r);
    s.arn = logStreamArn(scope, group, r.name);
    s.storedBytes = 0;
    return s;
  }
}

function last<T>(a: readonly T[]): T {
  return a[a.length - 1]!;
}

function toKey(r: EventRow): Key {
  return { ts: r.timestamp, seq: r.seq };
}

function sequenceToken(s: StreamRow): string {
  return `49${String(s.id).padStart(20, "0")}${String(s.next_seq).padStart(34, "0")}`;
}

function validateGroupName(name: string): void {
  if (!GROUP_NAME.test(name))
    throw constraint(name, "logGroupName", "Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+ and have length between 1 and 512");
}

function validateStreamName(name: string): void {
  if (name.length < 1 || name.length > 512)
    throw constraint(name, "logStreamName", "Member must have length between 1 and 512");
  if (/[:*]/.test(name)) throw constraint(name, "logStreamName", "Member must satisfy regular expression pattern: [^:*]*");
}
