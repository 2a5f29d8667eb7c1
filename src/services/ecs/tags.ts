/**
 * ECS tags: `{ key, value }` on the wire, and which ARNs TagResource, UntagResource and
 * ListTagsForResource accept: an existing cluster, service, task, task definition revision or
 * container instance of the caller's ECS (anything else is InvalidParameterException or
 * ResourceNotFoundException, as in AWS).
 */
import { parseArn } from "../../core/arn.ts";
import { type TagShape, tagShape, type TaggingRules } from "../common/tagging.ts";
import { invalidParameter, resourceNotFound } from "./errors.ts";
import type { EcsRepo } from "./repo.ts";

const wire = tagShape("key", "value");

/** ECS's `{ key, value }` tags; a tag without a key is refused as ECS refuses it. */
export const ecsTags: TagShape<"key", "value"> = {
  read: (tags) => {
    for (const t of tags ?? []) if (!t.key) throw invalidParameter("Tag key should not be null or empty.");
    return wire.read(tags);
  },
  write: wire.write,
};

export function ecsTaggingRules(repo: EcsRepo): TaggingRules {
  return {
    resolve(resourceArn) {
      const p = parseArn(resourceArn);
      if (!p || p.service !== "ecs") throw invalidParameter("The ARN provided is invalid.");
      const scope = { accountId: p.accountId, region: p.region };
      const [kind, a = "", b = ""] = p.resource.split("/");
      const exists =
        kind === "cluster"
          ? repo.getCluster(scope, a)?.status === "ACTIVE"
          : kind === "service"
            ? repo.getService(scope, a, b) !== undefined
            : kind === "task"
              ? repo.getTask(scope, a, b) !== undefined
              : kind?.startsWith("task-definition")
                ? repo.getTaskDefinitionByArn(resourceArn) !== undefined
                : kind === "container-instance"
                  ? repo.getContainerInstance(scope, a)?.containerInstanceArn === resourceArn
                  : false;
      if (!exists) throw resourceNotFound("The specified resource could not be found.");
      return resourceArn;
    },
  };
}
