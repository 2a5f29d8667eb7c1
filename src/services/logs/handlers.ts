/**
 * CloudWatch Logs operations: thin adapters from the wire's typed requests
 * (@aws-sdk/client-cloudwatch-logs) to the domain. The request context is the call's Scope.
 */
import type { CloudWatchLogs } from "@aws-sdk/client-cloudwatch-logs";
import { defineHandlers } from "../../aws/define-service.ts";
import type { HandlerTable } from "../../aws/service.ts";
import { tagMap } from "../common/tagging.ts";
import type { Logs } from "./logs.ts";

export function logsHandlers(l: Logs): HandlerTable {
  return defineHandlers<CloudWatchLogs>()({
    CreateLogGroup: (i, c) => (l.groups.create(c, i, tagMap.read(i.tags)), {}),
    DeleteLogGroup: (i, c) => (l.groups.delete(c, i), {}),
    DescribeLogGroups: (i, c) => l.groups.describe(c, i),
    PutRetentionPolicy: (i, c) => (l.retention.put(c, i), {}),
    DeleteRetentionPolicy: (i, c) => (l.retention.delete(c, i), {}),

    // The legacy by-name trio and the ARN-based operations share one store of tags.
    TagLogGroup: (i, c) => (l.tagging.tag(l.groups.arnOf(c, i.logGroupName), tagMap.read(i.tags)), {}),
    UntagLogGroup: (i, c) => (l.tagging.untag(l.groups.arnOf(c, i.logGroupName), i.tags ?? []), {}),
    ListTagsLogGroup: (i, c) => ({ tags: tagMap.write(l.tagging.list(l.groups.arnOf(c, i.logGroupName))) }),
    TagResource: (i) => (l.tagging.tag(i.resourceArn ?? "", tagMap.read(i.tags)), {}),
    UntagResource: (i) => (l.tagging.untag(i.resourceArn ?? "", i.tagKeys ?? []), {}),
    ListTagsForResource: (i) => ({ tags: tagMap.write(l.tagging.list(i.resourceArn ?? "")) }),

    CreateLogStream: (i, c) => (l.streams.create(c, i), {}),
    DeleteLogStream: (i, c) => (l.streams.delete(c, i), {}),
    DescribeLogStreams: (i, c) => l.streams.describe(c, i),

    PutLogEvents: (i, c) => l.events.put(c, i),
    GetLogEvents: (i, c) => l.events.get(c, i),
    FilterLogEvents: (i, c) => l.events.filter(c, i),

    PutMetricFilter: (i, c) => (l.metricFilters.put(c, i), {}),
    DescribeMetricFilters: (i, c) => l.metricFilters.describe(c, i),
    DeleteMetricFilter: (i, c) => (l.metricFilters.delete(c, i), {}),
    TestMetricFilter: (i) => l.metricFilters.test(i),
  });
}
