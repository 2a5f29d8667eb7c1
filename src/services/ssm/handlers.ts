/** SSM Parameter Store operations: thin adapters from the wire's typed requests (@aws-sdk/client-ssm) to the domain. */
import type { SSM } from "@aws-sdk/client-ssm";
import { defineHandlers } from "../../aws/define-service.ts";
import type { HandlerTable } from "../../aws/service.ts";
import type { Ssm } from "./ssm.ts";

export function ssmHandlers(s: Ssm): HandlerTable {
  return defineHandlers<SSM>()({
    PutParameter: (i, c) => s.parameters.put(c, i, c.principalArn),
    GetParameter: (i, c) => ({ Parameter: s.parameters.get(c, i.Name, i.WithDecryption) }),
    GetParameters: (i, c) => s.parameters.getMany(c, i.Names, i.WithDecryption),
    GetParametersByPath: (i, c) => s.parameters.byPath(c, i),
    GetParameterHistory: (i, c) => s.parameters.history(c, i),
    DescribeParameters: (i, c) => s.parameters.describe(c, i),
    DeleteParameter: (i, c) => {
      s.parameters.delete(c, i.Name);
      return {};
    },
    DeleteParameters: (i, c) => s.parameters.deleteMany(c, i.Names),
    LabelParameterVersion: (i, c) => s.labels.label(c, i),
    UnlabelParameterVersion: (i, c) => s.labels.unlabel(c, i),
    AddTagsToResource: (i, c) => {
      s.addTags(c, i);
      return {};
    },
    RemoveTagsFromResource: (i, c) => {
      s.removeTags(c, i);
      return {};
    },
    ListTagsForResource: (i, c) => ({ TagList: s.listTags(c, i) }),
  });
}
