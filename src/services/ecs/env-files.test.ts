import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { TaskDefinition } from "@aws-sdk/client-ecs";
import { toContainerSpecs } from "./container-spec.ts";
import { parseEnvFile, resolveEnvironmentFiles } from "./env-files.ts";

const objects: Record<string, string> = {
  "cfg/app.env": "# comment\n\nDB_HOST=db.local\nGREETING=hello = world\nSHARED=from-first\n",
  "cfg/more.env": "SHARED=from-second\nEXTRA=1\r\n",
};
const read = (bucket: string, key: string) => objects[`${bucket}/${key}`];

const td: TaskDefinition = {
  family: "web",
  containerDefinitions: [
    {
      name: "web",
      image: "img",
      environment: [{ name: "DB_HOST", value: "from-environment" }],
      environmentFiles: [
        { type: "s3", value: "arn:aws:s3:::cfg/app.env" },
        { type: "s3", value: "arn:aws:s3:::cfg/more.env" },
      ],
    },
    { name: "sidecar", image: "img" },
  ],
};

describe("environmentFiles", () => {
  test("parseEnvFile: NAME=VALUE lines, comments and blank lines skipped, no quoting", () => {
    assert.deepEqual(parseEnvFile("A=1\n# x\n\nB= two words \nC==\nnot a pair\n=novalue\n"), [
      ["A", "1"],
      ["B", " two words"],
      ["C", "="],
    ]);
  });

  test("files are read per container, later files win, and `environment` wins over files", () => {
    const r = resolveEnvironmentFiles(td, undefined, read);
    assert.ok("env" in r);
    assert.deepEqual(r.env.get("web"), ["DB_HOST=db.local", "GREETING=hello = world", "SHARED=from-second", "EXTRA=1"]);
    assert.equal(r.env.has("sidecar"), false);
    const [web] = toContainerSpecs(
      { account: "1", region: "r", clusterName: "c", taskArn: "arn", taskId: "t" },
      td,
      undefined,
      { network: { mode: "bridge" }, extraEnv: ["AWS_REGION=r"], envFiles: r.env },
    );
    assert.deepEqual(web!.spec.env, ["AWS_REGION=r", "DB_HOST=from-environment", "GREETING=hello = world", "SHARED=from-second", "EXTRA=1"]);
  });

  test("an override's files are added; a missing object or a bad ARN is the task's ResourceInitializationError", () => {
    const r = resolveEnvironmentFiles(
      { family: "f", containerDefinitions: [{ name: "sidecar", image: "img" }] },
      { containerOverrides: [{ name: "sidecar", environmentFiles: [{ type: "s3", value: "arn:aws:s3:::cfg/more.env" }] }] },
      read,
    );
    assert.ok("env" in r && r.env.get("sidecar")?.includes("EXTRA=1"));
    const missing = resolveEnvironmentFiles(
      { family: "f", containerDefinitions: [{ name: "a", image: "i", environmentFiles: [{ type: "s3", value: "arn:aws:s3:::cfg/nope.env" }] }] },
      undefined,
      read,
    );
    assert.ok("error" in missing);
    assert.match(missing.error, /^ResourceInitializationError: failed to download env files: .*NoSuchKey: The specified key does not exist\./);
    const bad = resolveEnvironmentFiles(
      { family: "f", containerDefinitions: [{ name: "a", image: "i", environmentFiles: [{ type: "s3", value: "s3://cfg/x.env" }] }] },
      undefined,
      read,
    );
    assert.ok("error" in bad && bad.error.startsWith("ResourceInitializationError: failed to download env files:"));
  });
});
