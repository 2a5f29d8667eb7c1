/**
 * Log groups: create, delete, describe, and how a request names one (logGroupName, or
 * logGroupIdentifier as a name or an ARN). Rules from the CloudWatch Logs API reference:
 * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html
 * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_DescribeLogGroups.html
 */
import type * as cwl from "@aws-sdk/client-cloudwatch-logs";
import { arn, parseArn, type Scope } from "../../core/arn.ts";
import { offsetPage } from "../common/paginate.ts";
import type { Tag, Tagging } from "../common/tagging.ts";
import { checkLimit, type LogsDeps } from "./context.ts";
import { badToken, constraint, groupExists, groupNotFound, invalidParameter, resourceNotFound } from "./errors.ts";
import type { GroupRow, LogsRepo } from "./repo.ts";

const GROUP_NAME = /^[.\-_/#A-Za-z0-9]{1,512}$/;
/** The resource part of a log group ARN, with or without the trailing ":*" AWS often appends. */
const GROUP_RESOURCE = /^log-group:([^:]+)(?::\*)?$/;

export const logGroupArn = (scope: Scope, name: string) => arn("logs", scope, `log-group:${name}`);

/** The tagging rule (TagResource & co.): a log group ARN, with or without ":*", of an existing group. */
export function taggableGroup(repo: LogsRepo, resourceArn: string): string {
  const p = parseArn(resourceArn);
  const m = p && GROUP_RESOURCE.exec(p.resource);
  if (!p || p.service !== "logs" || !m) throw resourceNotFound();
  const scope = { accountId: p.accountId, region: p.region };
  if (!repo.getGroup(scope, m[1]!)) throw groupNotFound();
  return logGroupArn(scope, m[1]!);
}

export function validateGroupName(name: string): void {
  if (!GROUP_NAME.test(name))
    throw constraint(name, "logGroupName", "Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+ and have length between 1 and 512");
}

export class Groups {
  readonly #deps: LogsDeps;
  readonly #repo: LogsRepo;
  readonly #tagging: Tagging;

  constructor(deps: LogsDeps, repo: LogsRepo, tagging: Tagging) {
    this.#deps = deps;
    this.#repo = repo;
    this.#tagging = tagging;
  }

  create(scope: Scope, input: cwl.CreateLogGroupRequest, tags: readonly Tag[]): void {
    const name = input.logGroupName ?? "";
    validateGroupName(name);
    const cls = input.logGroupClass ?? "STANDARD";
    this.#deps.store.tx(() => {
      if (this.#repo.getGroup(scope, name)) throw groupExists();
      this.#repo.insertGroup(scope, name, this.#deps.clock.now(), cls);
      this.#tagging.set(logGroupArn(scope, name), tags);
    });
  }

  delete(scope: Scope, input: cwl.DeleteLogGroupRequest): void {
    this.#deps.store.tx(() => {
      const { group, scope: s } = this.resolve(scope, input.logGroupName);
      this.#repo.deleteGroup(group.id);
      this.#repo.deleteMetricFiltersOf(s, group.name);
      this.#tagging.clear(logGroupArn(s, group.name));
    });
  }

  describe(scope: Scope, input: cwl.DescribeLogGroupsRequest): cwl.DescribeLogGroupsResponse {
    if (input.logGroupNamePrefix !== undefined && input.logGroupNamePattern !== undefined)
      throw invalidParameter("LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.");
    const limit = checkLimit(input.limit, 50, 50);
    let rows = this.#repo.listGroups(scope, input.logGroupNamePrefix);
    if (input.logGroupNamePattern !== undefined) {
      const needle = input.logGroupNamePattern.toLowerCase();
      rows = rows.filter((r) => r.name.toLowerCase().includes(needle));
    }
    if (input.logGroupIdentifiers?.length) {
      const wanted = new Set(input.logGroupIdentifiers.map(identifierName));
      rows = rows.filter((r) => wanted.has(r.name));
    }
    const page = offsetPage(rows, limit, input.nextToken, badToken);
    const logGroups = page.items.map((r) => this.#present(scope, r));
    return page.next ? { logGroups, nextToken: page.next } : { logGroups };
  }

  /** The group named by logGroupName or logGroupIdentifier (name or ARN), or ResourceNotFoundException. */
  resolve(scope: Scope, name: string | undefined, identifier?: string): { group: GroupRow; scope: Scope } {
    if (name !== undefined && identifier !== undefined)
      throw invalidParameter("LogGroup name and LogGroup identifier are mutually exclusive parameters.");
    let s = scope;
    let groupName = name;
    if (identifier !== undefined) {
      const p = parseArn(identifier);
      if (p) {
        const m = GROUP_RESOURCE.exec(p.resource);
        if (p.service !== "logs" || !m) throw invalidParameter("The specified logGroupIdentifier is invalid.");
        s = { accountId: p.accountId, region: p.region };
        groupName = m[1]!;
      } else groupName = identifier;
    }
    if (groupName === undefined) throw invalidParameter("Either logGroupName or logGroupIdentifier must be specified.");
    const group = this.#repo.getGroup(s, groupName);
    if (!group) throw groupNotFound();
    return { group, scope: s };
  }

  /** The ARN of an existing group named in the caller's scope (TagLogGroup & co.). */
  arnOf(scope: Scope, name: string | undefined): string {
    const { group, scope: s } = this.resolve(scope, name);
    return logGroupArn(s, group.name);
  }

  /** For the awslogs driver: true when the group exists; creates it when missing and `create` is set. */
  ensure(scope: Scope, name: string, create: boolean): boolean {
    return this.#deps.store.tx(() => {
      if (this.#repo.getGroup(scope, name)) return true;
      if (!create) return false;
      validateGroupName(name);
      this.#repo.insertGroup(scope, name, this.#deps.clock.now(), "STANDARD");
      return true;
    });
  }

  #present(scope: Scope, r: GroupRow): cwl.LogGroup {
    const groupArn = logGroupArn(scope, r.name);
    const g: cwl.LogGroup = { logGroupName: r.name, creationTime: r.created_at };
    if (r.retention_days !== null) g.retentionInDays = r.retention_days;
    Object.assign(g, {
      metricFilterCount: this.#repo.metricFilters(scope, r.name).length,
      arn: `${groupArn}:*`,
      storedBytes: this.#repo.groupStoredBytes(r.id),
      logGroupClass: r.log_group_class as cwl.LogGroupClass,
      logGroupArn: groupArn,
    });
    return g;
  }
}

/** A logGroupIdentifiers entry (a name, or an ARN with or without ":*") → the group name. */
function identifierName(id: string): string {
  const p = parseArn(id);
  if (!p) return id;
  const m = GROUP_RESOURCE.exec(p.resource);
  return m ? m[1]! : id;
}
