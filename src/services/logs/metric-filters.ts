/**
 * CloudWatch Logs metric filters: PutMetricFilter / DescribeMetricFilters / DeleteMetricFilter /
 * TestMetricFilter, and turning each ingested event that matches a filter into a datapoint of the
 * filter's metric (value: a number, or `$.field` of a JSON event; timestamp: the event's; with
 * defaultValue, a batch without a match publishes that value).
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/MonitoringLogData.html
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/FilterAndPatternSyntax.html
 */
import type * as cwl from "@aws-sdk/client-cloudwatch-logs";
import { ServiceError } from "../../aws/service-error.ts";
import type { Scope } from "../../core/arn.ts";
import type { Clock } from "../../core/clock.ts";
import { offsetPage } from "../common/paginate.ts";
import { FilterPatternError, type Matcher, parseFilterPattern } from "./filter-pattern.ts";
import type { LogsRepo } from "./repo.ts";

/** Where metric filter datapoints go (CloudWatch; src/server/ports.ts). */
export interface MetricSink {
  put(scope: Scope, datum: { namespace: string; name: string; dimensions: Array<{ Name: string; Value: string }>; timestamp: number; value: number; unit?: string }): void;
}

const MAX_FILTERS_PER_GROUP = 100;
const NAME = /^[^:*]{1,512}$/;

const invalid = (message: string) => new ServiceError("InvalidParameterException", message);
const notFound = (message: string) => new ServiceError("ResourceNotFoundException", message);

interface FilterDoc {
  filterName: string;
  filterPattern: string;
  metricTransformations: cwl.MetricTransformation[];
  creationTime: number;
  logGroupName: string;
  applyOnTransformedLogs?: boolean;
}

export class MetricFilters {
  readonly #repo: LogsRepo;
  readonly #clock: Clock;
  sink: MetricSink = { put: () => {} };
  /** Compiled patterns by text (filters are few; patterns are reused across groups). */
  readonly #compiled = new Map<string, Matcher>();

  constructor(repo: LogsRepo, clock: Clock) {
    this.#repo = repo;
    this.#clock = clock;
  }

  #matcher(pattern: string): Matcher {
    let m = this.#compiled.get(pattern);
    if (!m) {
      try {
        m = parseFilterPattern(pattern);
      } catch (err) {
        if (err instanceof FilterPatternError) throw invalid(`Invalid metric filter pattern: ${err.message}`);
        throw err;
      }
      if (this.#compiled.size > 1000) this.#compiled.clear();
      this.#compiled.set(pattern, m);
    }
    return m;
  }

  put(scope: Scope, input: cwl.PutMetricFilterRequest): void {
    const group = input.logGroupName ?? "";
    const name = input.filterName ?? "";
    if (!this.#repo.getGroup(scope, group)) throw notFound("The specified log group does not exist.");
    if (!NAME.test(name)) throw invalid("Invalid filter name: must be 1 to 512 characters and contain no ':' or '*'.");
    const pattern = input.filterPattern ?? "";
    if (pattern.length > 1024) throw invalid("Invalid metric filter pattern: longer than 1024 characters.");
    this.#matcher(pattern);
    const transforms = input.metricTransformations ?? [];
    if (transforms.length !== 1) throw invalid("Exactly one metric transformation is supported per metric filter.");
    for (const t of transforms) {
      if (!t.metricName || !t.metricNamespace || t.metricValue === undefined) throw invalid("metricName, metricNamespace and metricValue are required.");
      if (t.metricValue.length > 100) throw invalid("metricValue must be at most 100 characters.");
      if (!/^(-?\d+(\.\d+)?([eE][+-]?\d+)?|\$\.[A-Za-z0-9_.[\]-]+)$/.test(t.metricValue)) {
        throw invalid(`Invalid metric value: ${t.metricValue}. Use a number or a JSON field reference such as $.latency.`);
      }
      if (Object.keys(t.dimensions ?? {}).length > 3) throw invalid("A metric transformation can have at most 3 dimensions.");
      if (t.defaultValue !== undefined && Object.keys(t.dimensions ?? {}).length > 0) {
        throw invalid("A metric transformation cannot have both a default value and dimensions.");
      }
    }
    const existing = this.#repo.metricFilters(scope, group);
    const old = existing.find((f) => f.name === name);
    if (!old && existing.length >= MAX_FILTERS_PER_GROUP) {
      throw new ServiceError("LimitExceededException", `The maximum number of metric filters (${MAX_FILTERS_PER_GROUP}) for the log group has been reached.`);
    }
    const doc: FilterDoc = {
      filterName: name,
      filterPattern: pattern,
      metricTransformations: transforms,
      creationTime: old ? (JSON.parse(old.doc) as FilterDoc).creationTime : this.#clock.now(),
      logGroupName: group,
      ...(input.applyOnTransformedLogs !== undefined ? { applyOnTransformedLogs: input.applyOnTransformedLogs } : {}),
    };
    this.#repo.putMetricFilter(scope, group, name, doc.creationTime, JSON.stringify(doc));
  }

  describe(scope: Scope, input: cwl.DescribeMetricFiltersRequest): cwl.DescribeMetricFiltersResponse {
    if (input.filterNamePrefix !== undefined && input.logGroupName === undefined) {
      throw invalid("filterNamePrefix parameter is only valid with logGroupName.");
    }
    if ((input.metricName === undefined) !== (input.metricNamespace === undefined)) {
      throw invalid("metricName and metricNamespace must be specified together.");
    }
    const limit = input.limit ?? 50;
    if (limit < 1 || limit > 50) throw invalid(`1 validation error detected: Value '${limit}' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 50`);
    const docs = this.#repo
      .metricFilters(scope, input.logGroupName)
      .map((r) => JSON.parse(r.doc) as FilterDoc)
      .filter((f) => input.filterNamePrefix === undefined || f.filterName.startsWith(input.filterNamePrefix))
      .filter((f) => input.metricName === undefined || f.metricTransformations.some((t) => t.metricName === input.metricName && t.metricNamespace === input.metricNamespace));
    const page = offsetPage(docs, limit, input.nextToken, () => invalid("The specified nextToken is invalid."));
    return { metricFilters: page.items, ...(page.next ? { nextToken: page.next } : {}) };
  }

  delete(scope: Scope, input: cwl.DeleteMetricFilterRequest): void {
    if (!this.#repo.getGroup(scope, input.logGroupName ?? "")) throw notFound("The specified log group does not exist.");
    if (!this.#repo.deleteMetricFilter(scope, input.logGroupName ?? "", input.filterName ?? "")) throw notFound("The specified metric filter does not exist.");
  }

  test(input: cwl.TestMetricFilterRequest): cwl.TestMetricFilterResponse {
    const match = this.#matcher(input.filterPattern ?? "");
    const messages = input.logEventMessages ?? [];
    if (messages.length < 1 || messages.length > 50) throw invalid("logEventMessages must contain between 1 and 50 messages.");
    const matches: cwl.MetricFilterMatchRecord[] = [];
    messages.forEach((m, i) => {
      if (match(m)) matches.push({ eventNumber: i + 1, eventMessage: m, extractedValues: extracted(input.filterPattern ?? "", m) });
    });
    return { matches };
  }

  count(scope: Scope, group: string): number {
    return this.#repo.metricFilters(scope, group).length;
  }

  /** The metric datapoints of events ingested into a group (PutLogEvents and the awslogs driver). */
  apply(scope: Scope, group: string, events: ReadonlyArray<{ timestamp: number; message: string }>): void {
    const filters = this.#repo.metricFilters(scope, group);
    if (filters.length === 0 || events.length === 0) return;
    for (const row of filters) {
      const f = JSON.parse(row.doc) as FilterDoc;
      const match = this.#matcher(f.filterPattern);
      const t = f.metricTransformations[0]!;
      let matched = false;
      for (const e of events) {
        if (!match(e.message)) continue;
        const value = metricValueOf(t.metricValue ?? "1", e.message);
        if (value === undefined) continue;
        matched = true;
        const dimensions = Object.entries(t.dimensions ?? {}).flatMap(([Name, ref]) => {
          const v = ref.startsWith("$.") ? jsonField(e.message, ref) : ref;
          return v === undefined ? [] : [{ Name, Value: String(v) }];
        });
        this.sink.put(scope, { namespace: t.metricNamespace!, name: t.metricName!, dimensions, timestamp: e.timestamp, value, unit: t.unit });
      }
      if (!matched && t.defaultValue !== undefined) {
        this.sink.put(scope, { namespace: t.metricNamespace!, name: t.metricName!, dimensions: [], timestamp: events[events.length - 1]!.timestamp, value: t.defaultValue, unit: t.unit });
      }
    }
  }
}

function metricValueOf(metricValue: string, message: string): number | undefined {
  if (!metricValue.startsWith("$.")) return Number(metricValue);
  const v = jsonField(message, metricValue);
  const n = typeof v === "number" ? v : typeof v === "string" && v.trim() !== "" ? Number(v) : Number.NaN;
  return Number.isFinite(n) ? n : undefined;
}

function jsonField(message: string, ref: string): unknown {
  let v: unknown;
  try {
    v = JSON.parse(message);
  } catch {
    return undefined;
  }
  for (const part of ref.slice(2).split(/\.|\[(\d+)\]/).filter((p) => p !== undefined && p !== "")) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<string, unknown>)[part];
  }
  return v !== null && typeof v === "object" ? undefined : v;
}

/** `$.path` values a JSON pattern names, for TestMetricFilter (term patterns extract nothing). */
function extracted(pattern: string, message: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of pattern.matchAll(/\$\.[A-Za-z0-9_.[\]]+/g)) {
    const v = jsonField(message, m[0]);
    if (v !== undefined) out[m[0]] = String(v);
  }
  return out;
}
