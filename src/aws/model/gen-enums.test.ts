import assert from "node:assert/strict";
import { test } from "node:test";
import { parseEnums, parseInterfaces } from "./gen-enums.ts";

test("parses enum consts and interface members (direct, list and map element types)", () => {
  const enums = parseEnums(`
export declare const LaunchType: {
    readonly EC2: "EC2";
    readonly FARGATE: "FARGATE";
};
export type LaunchType = (typeof LaunchType)[keyof typeof LaunchType];
export declare const Compatibility: {
    readonly EXTERNAL: "EXTERNAL";
};`);
  assert.deepEqual([...enums], [
    ["LaunchType", ["EC2", "FARGATE"]],
    ["Compatibility", ["EXTERNAL"]],
  ]);
  const table = {};
  parseInterfaces(
    `
export interface RunTaskRequest {
    /**
     * docs
     */
    launchType?: LaunchType | undefined;
    compat: Compatibility[];
    byName?: Record<string, LaunchType> | undefined;
    cluster?: string | undefined;
}
`,
    enums,
    table,
  );
  assert.deepEqual(table, {
    RunTaskRequest: { launchType: ["EC2", "FARGATE"], compat: ["EXTERNAL"], byName: ["EC2", "FARGATE"] },
  });
});
