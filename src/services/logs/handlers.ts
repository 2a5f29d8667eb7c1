/**
 * CloudWatch Logs operations: thin adapters from the wire's typed requests to the domain.
 * Inputs and outputs are the @aws-sdk/client-cloudwatch-logs request/response types.
 */
import type * as cwl from "@aws-sdk/client-cloudwatch-logs";
import type { Handler, RequestContext } from "../../aws/service.ts";
import type { Logs } from "./logs.ts";

type H<I, O> = (input: I, ctx: RequestContext) => O | Promise<O>;

export function logsHandlers(l: Logs): Record<string, Handler> {
  const handlers: { [K in keyof LogsOps]: H<LogsOps[K][0], LogsOps[K][1]> } = {
    CreateLogGroup: (i, c) => (l.createLogGroup(c, i), {}),
    DeleteLogGroup: (i, c) => (l.deleteLogGroup(c, i), {}),
    DescribeLogGroups: (i, c) => l.describeLogGroups(c, i),
    PutRetentionPolicy: (i, c) => (l.putRetentionPolicy(c, i), {}),
    DeleteRetentionPolicy: (i, c) => (l.deleteRetentionPolicy(c, i), {}),
    TagLogGroup: (i, c) => (l.tagLogGroup(c, i.logGroupName, i.tags), {}),
    UntagLogGroup: (i, c) => (l.untagLogGroup(c, i.logGroupName, i.tags), {}),
    ListTagsLogGroup: (i, c) => ({ tags: l.listTagsLogGroup(c, i.logGroupName) }),
    TagResource: (i) => (l.tagResource(i.resourceArn, i.tags), {}),
    UntagResource: (i) => (l.untagResource(i.resourceArn, i.tagKeys), {}),
    ListTagsForResource: (i) => ({ tags: l.listTagsForResource(i.resourceArn) }),
    CreateLogStream: (i, c) => (l.createLogStream(c, i), {}),
    DeleteLogStream: (i, c) => (l.deleteLogStream(c, i), {}),
    DescribeLogStreams: (i, c) => l.describeLogStreams(c, i),
    PutLogEvents: (i, c) => l.putLogEvents(c, i),
    GetLogEvents: (i, c) => l.getLogEvents(c, i),
    FilterLogEvents: (i, c) => l.filterLogEvents(c, i),
    PutMetricFilter: (i, c) => (l.metricFilters.put(c, i), {}),
    DescribeMetricFilters: (i, c) => l.metricFilters.describe(c, i),
    DeleteMetricFilter: (i, c) => (l.metricFilters.delete(c, i), {}),
    TestMetricFilter: (i) => l.metricFilters.test(i),
  };
  return handlers as unknown as Record<string, Handler>;
}

/** Operation name → [request, response] types, from the SDK. */
interface LogsOps {
  CreateLogGroup: [cwl.CreateLogGroupRequest, Record<string, never>];
  DeleteLogGroup: [cwl.DeleteLogGroupRequest, Record<string, never>];
  DescribeLogGroups: [cwl.DescribeLogGroupsRequest, cwl.DescribeLogGroupsResponse];
  PutRetentionPolicy: [cwl.PutRetentionPolicyRequest, Record<string, never>];
  DeleteRetentionPolicy: [cwl.DeleteRetentionPolicyRequest, Record<string, never>];
  TagLogGroup: [cwl.TagLogGroupRequest, Record<string, never>];
  UntagLogGroup: [cwl.UntagLogGroupRequest, Record<string, never>];
  ListTagsLogGroup: [cwl.ListTagsLogGroupRequest, cwl.ListTagsLogGroupResponse];
  TagResource: [cwl.TagResourceRequest, Record<string, never>];
  UntagResource: [cwl.UntagResourceRequest, Record<string, never>];
  ListTagsForResource: [cwl.ListTagsForResourceRequest, cwl.ListTagsForResourceResponse];
  CreateLogStream: [cwl.CreateLogStreamRequest, Record<string, never>];
  DeleteLogStream: [cwl.DeleteLogStreamRequest, Record<string, never>];
  DescribeLogStreams: [cwl.DescribeLogStreamsRequest, cwl.DescribeLogStreamsResponse];
  PutLogEvents: [cwl.PutLogEventsRequest, cwl.PutLogEventsResponse];
  GetLogEvents: [cwl.GetLogEventsRequest, cwl.GetLogEventsResponse];
  FilterLogEvents: [cwl.FilterLogEventsRequest, cwl.FilterLogEventsResponse];
  PutMetricFilter: [cwl.PutMetricFilterRequest, Record<string, never>];
  DescribeMetricFilters: [cwl.DescribeMetricFiltersRequest, cwl.DescribeMetricFiltersResponse];
  DeleteMetricFilter: [cwl.DeleteMetricFilterRequest, Record<string, never>];
  TestMetricFilter: [cwl.TestMetricFilterRequest, cwl.TestMetricFilterResponse];
}
