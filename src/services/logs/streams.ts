/**
 * Log streams: create, delete, describe. Rules from the CloudWatch Logs API reference:
 * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogStream.html
 * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_DescribeLogStreams.html
 */
import type * as cwl from "@aws-sdk/client-cloudwatch-logs";
import { arn, type Scope } from "../../core/arn.ts";
import { offsetPage } from "../common/paginate.ts";
import { checkLimit, type LogsDeps } from "./context.ts";
import { badToken, constraint, groupNotFound, invalidParameter, streamExists, streamNotFound } from "./errors.ts";
import type { Groups } from "./groups.ts";
import type { LogsRepo, StreamRow } from "./repo.ts";

export const logStreamArn = (scope: Scope, group: string, stream: string) => arn("logs", scope, `log-group:${group}:log-stream:${stream}`);

/** The token PutLogEvents used to require: stable for (stream, next sequence number). */
export function sequenceToken(s: StreamRow): string {
  return `49${String(s.id).padStart(20, "0")}${String(s.next_seq).padStart(34, "0")}`;
}

function validateStreamName(name: string): void {
  if (name.length < 1 || name.length > 512) throw constraint(name, "logStreamName", "Member must have length between 1 and 512");
  if (/[:*]/.test(name)) throw constraint(name, "logStreamName", "Member must satisfy regular expression pattern: [^:*]*");
}

export class Streams {
  readonly #deps: LogsDeps;
  readonly #repo: LogsRepo;
  readonly #groups: Groups;

  constructor(deps: LogsDeps, repo: LogsRepo, groups: Groups) {
    this.#deps = deps;
    this.#repo = repo;
    this.#groups = groups;
  }

  create(scope: Scope, input: cwl.CreateLogStreamRequest): void {
    const name = input.logStreamName ?? "";
    validateStreamName(name);
    this.#deps.store.tx(() => {
      const { group } = this.#groups.resolve(scope, input.logGroupName);
      if (this.#repo.getStream(group.id, name)) throw streamExists();
      this.#repo.insertStream(group.id, name, this.#deps.clock.now());
    });
  }

  delete(scope: Scope, input: cwl.DeleteLogStreamRequest): void {
    this.#deps.store.tx(() => {
      const { group } = this.#groups.resolve(scope, input.logGroupName);
      const stream = this.#repo.getStream(group.id, input.logStreamName ?? "");
      if (!stream) throw streamNotFound();
      this.#repo.deleteStream(stream.id);
    });
  }

  describe(scope: Scope, input: cwl.DescribeLogStreamsRequest): cwl.DescribeLogStreamsResponse {
    const orderBy = input.orderBy ?? "LogStreamName";
    if (orderBy === "LastEventTime" && input.logStreamNamePrefix !== undefined)
      throw invalidParameter("Cannot order by LastEventTime with a logStreamNamePrefix.");
    const limit = checkLimit(input.limit, 50, 50);
    const { group, scope: s } = this.#groups.resolve(scope, input.logGroupName, input.logGroupIdentifier);
    let rows = this.#repo.listStreams(group.id);
    if (input.logStreamNamePrefix !== undefined) rows = rows.filter((r) => r.name.startsWith(input.logStreamNamePrefix!));
    if (orderBy === "LastEventTime")
      rows.sort((a, b) => (a.last_event ?? 0) - (b.last_event ?? 0) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    if (input.descending) rows.reverse();
    const page = offsetPage(rows, limit, input.nextToken, badToken);
    const logStreams = page.items.map((r) => present(s, group.name, r));
    return page.next ? { logStreams, nextToken: page.next } : { logStreams };
  }

  /** For the awslogs driver: creates the stream if missing; ResourceNotFoundException if the group is missing. */
  ensure(scope: Scope, group: string, stream: string): void {
    this.#deps.store.tx(() => {
      const g = this.#repo.getGroup(scope, group);
      if (!g) throw groupNotFound();
      if (!this.#repo.getStream(g.id, stream)) this.#repo.insertStream(g.id, stream, this.#deps.clock.now());
    });
  }
}

function present(scope: Scope, group: string, r: StreamRow): cwl.LogStream {
  const s: cwl.LogStream = { logStreamName: r.name, creationTime: r.created_at };
  if (r.first_event !== null) s.firstEventTimestamp = r.first_event;
  if (r.last_event !== null) s.lastEventTimestamp = r.last_event;
  if (r.last_ingestion !== null) s.lastIngestionTime = r.last_ingestion;
  s.uploadSequenceToken = sequenceToken(r);
  s.arn = logStreamArn(scope, group, r.name);
  s.storedBytes = 0;
  return s;
}
