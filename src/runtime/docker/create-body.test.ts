import assert from "node:assert/strict";
import { test } from "node:test";
import { createBody } from "./create-body.ts";
import { toContainerState } from "./container-state.ts";
import { registryAuthHeader, splitImageRef } from "./docker-runtime.ts";
import { compareApiVersions } from "./engine-client.ts";

test("createBody maps ports, network aliases and health check nanoseconds", () => {
  const body = createBody({
    name: "c",
    image: "img",
    labels: { a: "b" },
    network: { mode: "network", name: "net1", aliases: ["web"] },
    portBindings: [
      { containerPort: 80, hostPort: 0, protocol: "tcp", hostIp: "127.0.0.1" },
      { containerPort: 53, hostPort: 5353, protocol: "udp", hostIp: "" },
    ],
    healthcheck: { test: ["CMD-SHELL", "true"], intervalMs: 5000, timeoutMs: 2000, retries: 3, startPeriodMs: 0 },
    stopTimeoutSec: 30,
  });
  assert.deepEqual(body.ExposedPorts, { "80/tcp": {}, "53/udp": {} });
  assert.deepEqual(body.Healthcheck, { Test: ["CMD-SHELL", "true"], Interval: 5e9, Timeout: 2e9, Retries: 3, StartPeriod: 0 });
  assert.deepEqual(body.NetworkingConfig, { EndpointsConfig: { net1: { Aliases: ["web"] } } });
  const host = body.HostConfig as Record<string, unknown>;
  assert.equal(host.NetworkMode, "net1");
  assert.deepEqual(host.PortBindings, {
    "80/tcp": [{ HostIp: "127.0.0.1", HostPort: "" }],
    "53/udp": [{ HostIp: "", HostPort: "5353" }],
  });
  assert.equal(body.StopTimeout, 30);
  const shared = createBody({ name: "s", image: "i", labels: {}, network: { mode: "container", id: "abc" }, healthcheck: { test: ["NONE"], intervalMs: 1 } });
  assert.equal((shared.HostConfig as Record<string, unknown>).NetworkMode, "container:abc");
  assert.deepEqual(shared.Healthcheck, { Test: ["NONE"] });
});

test("toContainerState maps Docker's zero time, health and ports", () => {
  const s = toContainerState({
    Id: "x",
    Name: "/c1",
    Config: { Image: "img", Labels: null },
    State: { Status: "created", ExitCode: 0, StartedAt: "0001-01-01T00:00:00Z", FinishedAt: "0001-01-01T00:00:00Z", Health: { Status: "starting" } },
    NetworkSettings: { Networks: { bridge: { IPAddress: "" } }, Ports: { "80/tcp": null, "81/tcp": [{ HostIp: "0.0.0.0", HostPort: "32768" }] } },
  });
  assert.deepEqual(
    { name: s.name, status: s.status, exitCode: s.exitCode, startedAt: s.startedAt, health: s.health, ips: s.ips, ports: s.ports },
    { name: "c1", status: "created", exitCode: undefined, startedAt: undefined, health: "starting", ips: {}, ports: [{ containerPort: 81, hostPort: 32768, protocol: "tcp", hostIp: "0.0.0.0" }] },
  );
});

test("image refs, auth header and API versions", () => {
  assert.deepEqual(splitImageRef("busybox"), { fromImage: "busybox", tag: "latest" });
  assert.deepEqual(splitImageRef("127.0.0.1:5000/a/b:v2"), { fromImage: "127.0.0.1:5000/a/b", tag: "v2" });
  assert.deepEqual(splitImageRef("127.0.0.1:5000/a@sha256:ab"), { fromImage: "127.0.0.1:5000/a", tag: "sha256:ab" });
  const auth = { username: "u", password: "p>>?", serveraddress: "r" };
  const header = registryAuthHeader(auth);
  assert.doesNotMatch(header, /[+/]/);
  assert.deepEqual(JSON.parse(Buffer.from(header, "base64url").toString()), auth);
  assert.ok(compareApiVersions("1.41", "1.45") < 0);
  assert.ok(compareApiVersions("1.100", "1.45") > 0);
});

test("toContainerState never reports finishedAt before startedAt", () => {
  const s = toContainerState({
    Id: "x",
    State: { Status: "exited", ExitCode: 3, StartedAt: "2026-11-22T20:45:29.61647058Z", FinishedAt: "2026-11-22T20:45:29.614353383Z" },
  });
  assert.equal(s.exitCode, 3);
  assert.equal(s.finishedAt, s.startedAt);
});
