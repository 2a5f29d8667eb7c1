import assert from "node:assert/strict";
import { test } from "node:test";
import { ManualClock } from "../core/clock.ts";
import { FakeRuntime } from "./fake-runtime.ts";
import { LABELS, PullError, type ContainerSpec } from "./runtime.ts";

const spec = (over: Partial<ContainerSpec> = {}): ContainerSpec => ({
  name: "c",
  image: "img",
  labels: { [LABELS.managed]: "true" },
  network: { mode: "bridge" },
  ...over,
});

test("FakeRuntime image controls: local, remote, failing", async () => {
  const rt = new FakeRuntime({ clock: new ManualClock() });
  rt.addRemoteImage("repo/app:v1", "sha256:abc");
  rt.failPull("repo/bad", "manifest unknown");
  assert.equal(await rt.inspectImage("repo/app:v1"), undefined);
  const img = await rt.pull("repo/app:v1");
  assert.deepEqual(img.repoDigests, ["repo/app@sha256:abc"]);
  assert.deepEqual(await rt.inspectImage("repo/app:v1"), img);
  await assert.rejects(rt.pull("repo/bad:latest"), (e: unknown) => e instanceof PullError && e.message === "manifest unknown");
  assert.deepEqual(rt.pulls, ["repo/app:v1", "repo/bad:latest"]);
  await assert.rejects(rt.create(spec({ image: "missing" })), /No such image/);
});

test("FakeRuntime: clock timestamps, OOM exits, host port conflicts, resources, specOf", async () => {
  const clock = new ManualClock(1_000);
  const rt = new FakeRuntime({ clock, cpus: 2, memoryBytes: 1024 });
  rt.addImage("img");
  assert.deepEqual([(await rt.info()).cpus, (await rt.info()).memoryBytes], [2, 1024]);
  const port = { containerPort: 80, hostPort: 8080, protocol: "tcp" as const, hostIp: "127.0.0.1" };
  const a = await rt.create(spec({ name: "a", portBindings: [port], env: ["A=1"] }));
  await rt.start(a);
  clock.advance(500);
  rt.exit(a, 137, { oomKilled: true });
  const st = await rt.inspect(a);
  assert.deepEqual([st?.startedAt, st?.finishedAt, st?.exitCode, st?.oomKilled], [1_000, 1_500, 137, true]);
  assert.deepEqual(rt.specOf(a)?.env, ["A=1"]);
  const b = await rt.create(spec({ name: "b", portBindings: [port] }));
  const c = await rt.create(spec({ name: "c2", portBindings: [port] }));
  await rt.start(b);
  await assert.rejects(rt.start(c), /port is already allocated/);
  await assert.rejects(rt.create(spec({ name: "b" })), /already in use/);
});
