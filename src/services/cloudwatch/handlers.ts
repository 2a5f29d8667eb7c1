/**
 * CloudWatch operations: thin adapters from the wire's typed requests (@aws-sdk/client-cloudwatch)
 * to the metrics and alarms domain.
 */
import type { CloudWatch as CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { defineHandlers } from "../../aws/define-service.ts";
import type { HandlerTable } from "../../aws/service.ts";
import { tagShape } from "../common/tagging.ts";
import type { CloudWatch } from "./cloudwatch.ts";
import { getMetricData } from "./metric-data.ts";

const tags = tagShape("Key", "Value");

export function cloudWatchHandlers(cw: CloudWatch): HandlerTable {
  return defineHandlers<CloudWatchClient>()({
    PutMetricData: (i, c) => (cw.metrics.putMetricData(c, i), {}),
    GetMetricStatistics: (i, c) => cw.metrics.getMetricStatistics(c, i),
    GetMetricData: (i, c) => getMetricData(cw.metrics, c, i),
    ListMetrics: (i, c) => cw.metrics.listMetrics(c, i),
    PutMetricAlarm: (i, c) => {
      cw.alarms.putMetricAlarm(c, i, { tags: (arn) => cw.tags.set(arn, tags.read(i.Tags)) });
      return {};
    },
    DescribeAlarms: (i, c) => cw.alarms.describeAlarms(c, i),
    DescribeAlarmsForMetric: (i, c) => cw.alarms.describeAlarmsForMetric(c, i),
    DescribeAlarmHistory: (i, c) => cw.alarms.describeAlarmHistory(c, i),
    DeleteAlarms: (i, c) => {
      for (const arn of cw.alarms.deleteAlarms(c, i.AlarmNames ?? [])) cw.tags.clear(arn);
      return {};
    },
    SetAlarmState: (i, c) => (cw.alarms.setAlarmState(c, i), {}),
    EnableAlarmActions: (i, c) => (cw.alarms.setActionsEnabled(c, i.AlarmNames ?? [], true), {}),
    DisableAlarmActions: (i, c) => (cw.alarms.setActionsEnabled(c, i.AlarmNames ?? [], false), {}),
    TagResource: (i) => (cw.tags.tag(i.ResourceARN ?? "", tags.read(i.Tags)), {}),
    UntagResource: (i) => (cw.tags.untag(i.ResourceARN ?? "", i.TagKeys ?? []), {}),
    ListTagsForResource: (i) => ({ Tags: tags.write(cw.tags.list(i.ResourceARN ?? "")) }),
  });
}
