/**
 * ECS Exec through the real ECSClient against startSlipway on FakeRuntime: ExecuteCommand answers
 * with a session for an exec-enabled task (and its stream is an interactive terminal over a
 * WebSocket), and with AWS's InvalidParameterException otherwise.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import * as ecs from "@aws-sdk/client-ecs";
import { ManualClock } from "../../src/core/clock.ts";
import { seededIds } from "../../src/core/ids.ts";
import { FakeRuntime } from "../../src/runtime/fake-runtime.ts";
import { startSlipway, type Slipway } from "../../src/server/slipway.ts";
import { EXEC_NOT_ENABLED } from "../../src/services/ecs/exec.ts";
import { CONNECT_WITHIN_MS } from "../../src/exec/sessions.ts";
import { expectError } from "../helpers/errors.ts";

let s: Slipway;
let client: ecs.ECSClient;
let dir: string;
let clock: ManualClock;
const logged: string[] = [];

const settle = async () => {
  for (let i = 0; i < 6; i++) {
    await new Promise<void>((r) => setImmediate(r));
    await s.idle();
  }
};

before(async () => {
  clock = new ManualClock();
  const rt = new FakeRuntime({ clock });
  rt.addImage("app:1");
  dir = mkdtempSync(join(tmpdir(), "slipway-ecs-exec-"));
  s = await startSlipway({ port: 0, dataDir: dir, runtime: rt, clock, ids: seededIds("exec"), log: (m) => logged.push(m) });
  client = new ecs.ECSClient({ region: "us-east-1", endpoint: s.url, credentials: { accessKeyId: "test", secretAccessKey: "test" }, maxAttempts: 1 });
  await client.send(new ecs.CreateClusterCommand({ clusterName: "exec" }));
  await client.send(
    new ecs.RegisterTaskDefinitionCommand({ family: "one", containerDefinitions: [{ name: "app", image: "app:1", memory: 64, essential: true }] }),
  );
  await client.send(
    new ecs.RegisterTaskDefinitionCommand({
      family: "two",
      containerDefinitions: [
        { name: "app", image: "app:1", memory: 64, essential: true },
        { name: "side", image: "app:1", memory: 64, essential: false },
      ],
    }),
  );
});

after(async () => {
  client.destroy();
  await s.close();
  rmSync(dir, { recursive: true, force: true });
});

async function runTask(family: string, enableExecuteCommand: boolean): Promise<string> {
  const r = await client.send(new ecs.RunTaskCommand({ cluster: "exec", taskDefinition: family, enableExecuteCommand }));
  await settle();
  const arn = r.tasks![0]!.taskArn!;
  const d = await client.send(new ecs.DescribeTasksCommand({ cluster: "exec", tasks: [arn] }));
  assert.equal(d.tasks?.[0]?.lastStatus, "RUNNING");
  return arn;
}

/** Opens the session's stream and collects its output until the exit message. */
async function drive(session: ecs.Session, input: string[]): Promise<{ output: string; exitCode: number | null }> {
  const ws = new WebSocket(`${session.streamUrl}?token=${encodeURIComponent(session.tokenValue!)}&cols=90&rows=20`);
  ws.binaryType = "arraybuffer";
  let output = "";
  return new Promise((resolve, reject) => {
    ws.addEventListener("open", () => {
      for (const line of input) ws.send(new TextEncoder().encode(line));
    });
    ws.addEventListener("message", (ev) => {
      if (typeof ev.data === "string") {
        const msg = JSON.parse(ev.data) as { type: string; exitCode?: number | null; message?: string };
        if (msg.type === "exit") resolve({ output, exitCode: msg.exitCode ?? null });
        else reject(new Error(`exec stream error: ${msg.message}`));
      } else {
        output += new TextDecoder().decode(ev.data as ArrayBuffer);
      }
    });
    ws.addEventListener("error", () => reject(new Error("WebSocket error")));
  });
}

describe("ExecuteCommand through ECSClient", () => {
  test("an exec-enabled task: a session whose stream is an interactive terminal", async () => {
    const arn = await runTask("one", true);
    const d = await client.send(new ecs.DescribeTasksCommand({ cluster: "exec", tasks: [arn] }));
    assert.equal(d.tasks?.[0]?.enableExecuteCommand, true);
    assert.deepEqual(d.tasks?.[0]?.containers?.[0]?.managedAgents?.map((a) => [a.name, a.lastStatus]), [["ExecuteCommandAgent", "RUNNING"]]);
    const r = await client.send(new ecs.ExecuteCommandCommand({ cluster: "exec", task: arn, command: "/bin/sh", interactive: true }));
    assert.equal(r.taskArn, arn);
    assert.equal(r.clusterArn, "arn:aws:ecs:us-east-1:000000000000:cluster/exec");
    assert.equal(r.containerName, "app");
    assert.equal(r.containerArn, d.tasks?.[0]?.containers?.[0]?.containerArn);
    assert.equal(r.interactive, true);
    assert.match(r.session?.sessionId ?? "", /^ecs-execute-command-[0-9a-f]{17}$/);
    assert.equal(r.session?.streamUrl, `ws://127.0.0.1:${s.port}/_slipway/exec/${r.session?.sessionId}`);
    assert.ok((r.session?.tokenValue ?? "").length >= 32);

    const { output, exitCode } = await drive(r.session!, ["stty size\n", "echo hel''lo\n", "exit 3\n"]);
    assert.match(output, /20 90\r\n/, "the terminal has the size the client asked for");
    assert.match(output, /\r\nhello\r\n/);
    assert.equal(exitCode, 3);
    assert.equal(s.consoleStats().execStreams, 0, "the stream is gone once the process exited");
  });

  test("a session is single-use and expires when not connected in time", async () => {
    const arn = await runTask("one", true);
    const r = await client.send(new ecs.ExecuteCommandCommand({ cluster: "exec", task: arn, command: "/bin/sh", interactive: true }));
    await drive(r.session!, ["exit\n"]);
    const again = new WebSocket(`${r.session!.streamUrl}?token=${encodeURIComponent(r.session!.tokenValue!)}`);
    await new Promise<void>((resolve) => again.addEventListener("error", () => resolve()));
    const wrong = await client.send(new ecs.ExecuteCommandCommand({ cluster: "exec", task: arn, command: "/bin/sh", interactive: true }));
    const bad = new WebSocket(`${wrong.session!.streamUrl}?token=not-the-token`);
    await new Promise<void>((resolve) => bad.addEventListener("error", () => resolve()));
    const late = await client.send(new ecs.ExecuteCommandCommand({ cluster: "exec", task: arn, command: "/bin/sh", interactive: true }));
    clock.advance(CONNECT_WITHIN_MS + 1);
    const stale = new WebSocket(`${late.session!.streamUrl}?token=${encodeURIComponent(late.session!.tokenValue!)}`);
    await new Promise<void>((resolve) => stale.addEventListener("error", () => resolve()));
  });

  test("a task without ECS Exec: InvalidParameterException with AWS's message", async () => {
    const arn = await runTask("one", false);
    const d = await client.send(new ecs.DescribeTasksCommand({ cluster: "exec", tasks: [arn] }));
    assert.equal(d.tasks?.[0]?.containers?.[0]?.managedAgents, undefined);
    await expectError(client.send(new ecs.ExecuteCommandCommand({ cluster: "exec", task: arn, command: "/bin/sh", interactive: true })), "InvalidParameterException", EXEC_NOT_ENABLED);
  });

  test("bad requests: not interactive, malformed or unknown task, container to choose, unknown cluster", async () => {
    const arn = await runTask("two", true);
    await expectError(
      client.send(new ecs.ExecuteCommandCommand({ cluster: "exec", task: arn, command: "ls", interactive: false })),
      "InvalidParameterException",
      "Interactive is the only mode supported currently.",
    );
    await expectError(
      client.send(new ecs.ExecuteCommandCommand({ cluster: "exec", task: "abc", command: "ls", interactive: true })),
      "InvalidParameterException",
      "task length should be one of [32,36]",
    );
    await expectError(
      client.send(new ecs.ExecuteCommandCommand({ cluster: "exec", task: "0123456789abcdef0123456789abcdef", command: "ls", interactive: true })),
      "InvalidParameterException",
      "The referenced task was not found.",
    );
    await expectError(
      client.send(new ecs.ExecuteCommandCommand({ cluster: "exec", task: arn, command: "ls", interactive: true })),
      "InvalidParameterException",
      "A container name must be specified when the task has more than one container.",
    );
    await expectError(
      client.send(new ecs.ExecuteCommandCommand({ cluster: "exec", task: arn, container: "nope", command: "ls", interactive: true })),
      "InvalidParameterException",
      "The container nope does not exist in the task.",
    );
    const side = await client.send(new ecs.ExecuteCommandCommand({ cluster: "exec", task: arn, container: "side", command: "sh -c 'exit 0'", interactive: true }));
    assert.equal(side.containerName, "side");
    await expectError(
      client.send(new ecs.ExecuteCommandCommand({ cluster: "nope", task: arn, command: "ls", interactive: true })),
      "ClusterNotFoundException",
      "Cluster not found.",
    );
  });

  test("a stopped task: AWS's not-enabled message", async () => {
    const arn = await runTask("one", true);
    await client.send(new ecs.StopTaskCommand({ cluster: "exec", task: arn }));
    await settle();
    await expectError(client.send(new ecs.ExecuteCommandCommand({ cluster: "exec", task: arn, command: "/bin/sh", interactive: true })), "InvalidParameterException", EXEC_NOT_ENABLED);
  });

  test("session recording asked of the cluster is not done, and the log says so", async () => {
    await client.send(new ecs.CreateClusterCommand({ clusterName: "recorded", configuration: { executeCommandConfiguration: { logging: "OVERRIDE", logConfiguration: { cloudWatchLogGroupName: "/exec" } } } }));
    const r = await client.send(new ecs.RunTaskCommand({ cluster: "recorded", taskDefinition: "one", enableExecuteCommand: true }));
    await settle();
    const opened = await client.send(new ecs.ExecuteCommandCommand({ cluster: "recorded", task: r.tasks![0]!.taskArn!, command: "/bin/sh", interactive: true }));
    await drive(opened.session!, ["exit\n"]);
    assert.ok(
      logged.includes(
        "warning: cluster recorded's executeCommandConfiguration logging OVERRIDE (session output to CloudWatch Logs / S3) is not implemented by Slipway: the session is not recorded or encrypted",
      ),
      logged.join("\n"),
    );
  });

  test("a service's enableExecuteCommand reaches the tasks it starts", async () => {
    await client.send(new ecs.CreateServiceCommand({ cluster: "exec", serviceName: "svc", taskDefinition: "one", desiredCount: 1, enableExecuteCommand: true }));
    await settle();
    const tasks = await client.send(new ecs.ListTasksCommand({ cluster: "exec", serviceName: "svc" }));
    const d = await client.send(new ecs.DescribeTasksCommand({ cluster: "exec", tasks: tasks.taskArns! }));
    assert.equal(d.tasks?.[0]?.enableExecuteCommand, true);
    const r = await client.send(new ecs.ExecuteCommandCommand({ cluster: "exec", task: tasks.taskArns![0]!, command: "/bin/sh", interactive: true }));
    assert.ok(r.session?.sessionId);
  });
});
