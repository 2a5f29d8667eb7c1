/**
 * Coverage of the Service Authorization Reference data for what Slipway serves: every operation
 * of every handler table maps to an IAM action with that name, except KMS's ReEncrypt (IAM splits
 * it into ReEncryptFrom and ReEncryptTo; requests.ts authorises ReEncryptTo on the destination key).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { HandlerTable } from "../aws/service.ts";
import { acmHandlers } from "../services/acm/handlers.ts";
import { autoScalingHandlers } from "../services/application-autoscaling/handlers.ts";
import { cloudWatchHandlers } from "../services/cloudwatch/handlers.ts";
import { ecrHandlers } from "../services/ecr/handlers.ts";
import { ec2Handlers } from "../services/ec2/handlers.ts";
import { ecsHandlers } from "../services/ecs/handlers.ts";
import { elbv2Handlers } from "../services/elbv2/handlers.ts";
import { iamHandlers } from "../services/iam/handlers.ts";
import { kmsHandlers } from "../services/kms/handlers.ts";
import { logsHandlers } from "../services/logs/handlers.ts";
import { secretsManagerHandlers } from "../services/secretsmanager/handlers.ts";
import { ssmHandlers } from "../services/ssm/handlers.ts";
import { stsHandlers } from "../services/sts/handlers.ts";
import { actionInfo, dataVersion } from "./actions.ts";

// biome-ignore lint: the handler factories only close over their domain; the tables are read, never called.
const none = {} as any;

test("every operation Slipway serves has an action in the Service Authorization Reference", () => {
  const tables: [string, HandlerTable][] = [
    ["acm", acmHandlers(none)],
    ["application-autoscaling", autoScalingHandlers(none)],
    ["cloudwatch", cloudWatchHandlers(none)],
    ["ecr", ecrHandlers(none)],
    ["ec2", ec2Handlers(none)],
    ["ecs", ecsHandlers(none)],
    ["elasticloadbalancing", elbv2Handlers(none)],
    ["iam", iamHandlers(none)],
    ["kms", kmsHandlers(none)],
    ["logs", logsHandlers(none)],
    ["secretsmanager", secretsManagerHandlers(none)],
    ["ssm", ssmHandlers(none)],
    ["sts", stsHandlers(none, () => 0)],
  ];
  const missing: string[] = [];
  let count = 0;
  for (const [service, table] of tables) {
    for (const op of Object.keys(table)) {
      count++;
      if (!actionInfo(service, op)) missing.push(`${service}:${op}`);
    }
  }
  assert.ok(count > 300, `only ${count} operations found`);
  assert.deepEqual(missing, ["kms:ReEncrypt"]);
  assert.match(dataVersion(), /^0\.21\.\d+$/);
});
