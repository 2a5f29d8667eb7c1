/**
 * The ALB's traffic to a target leaves from the address the routing table gives it
 * (`sourceAddress`, the load balancer's ENI address): in the Node data plane (requests and
 * WebSocket-style upgrades), in the health checker's probe, and in the HAProxy data plane
 * (skipped when haproxy is not installed). Loopback stands in for the ENI address: every
 * 127.0.0.0/8 address is local on Linux, so 127.0.0.2 can be bound and seen by a target on 127.0.0.1.
 */
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { DataPlane } from "../../src/proxy/data-plane.ts";
import { HaproxyDataPlane, haproxyAvailable } from "../../src/proxy/haproxy/haproxy-data-plane.ts";
import { httpProbe } from "../../src/proxy/health-checker.ts";
import type { RoutingTable } from "../../src/proxy/routing-table.ts";
import { FakeHealth, forward, get, listener, rule, startBackend, table, target, targetGroup } from "./helpers.ts";

const haproxySkip = await haproxyAvailable();
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** A target that answers with the address the connection came from. */
async function echoSource() {
  const b = await startBackend("echo", (req, res) => {
    req.resume();
    res.end(req.socket.remoteAddress);
  });
  cleanups.push(() => b.close());
  return b;
}

function sourcedTable(port: number, sourceAddress?: string): RoutingTable {
  return table([listener(8080, [rule("default", forward("tg/s"))])], [targetGroup("tg/s", [target("t", port, sourceAddress ? { sourceAddress } : {})])]);
}

function healthy(t: RoutingTable): FakeHealth {
  const h = new FakeHealth();
  for (const tg of t.targetGroups.values()) for (const x of tg.targets) h.set(tg.arn, x.id, x.port, "healthy");
  return h;
}

describe("connections to targets leave from the target's sourceAddress", () => {
  it("Node data plane: requests come from the source; a table without it uses the host's address; a new source gets new connections", async () => {
    const b = await echoSource();
    const t = sourcedTable(b.port, "127.0.0.2");
    const dp = new DataPlane({ health: healthy(t), preferredPort: () => 0 });
    cleanups.push(() => dp.close());
    dp.apply(t);
    await dp.ready();
    const port = dp.boundPort([...t.listeners.values()][0]!.listenerArn)!;
    assert.equal((await get(port, "/")).body, "127.0.0.2");
    assert.equal((await get(port, "/")).body, "127.0.0.2", "a pooled connection keeps its source");
    dp.apply(sourcedTable(b.port, "127.0.0.3"));
    assert.equal((await get(port, "/")).body, "127.0.0.3");
    dp.apply(sourcedTable(b.port));
    assert.equal((await get(port, "/")).body, "127.0.0.1");
  });

  it("health checks come from the source too", async () => {
    const b = await echoSource();
    const out = await httpProbe({ protocol: "HTTP", address: "127.0.0.1", port: b.port, path: "/", sourceAddress: "127.0.0.4" }, new AbortController().signal);
    assert.deepEqual(out, { status: 200 });
    assert.equal(b.seen.at(-1)?.socket.remoteAddress, "127.0.0.4");
  });

  it("HAProxy data plane: the backend connects from the source", { skip: haproxySkip ?? false }, async () => {
    const b = await echoSource();
    const t = sourcedTable(b.port, "127.0.0.5");
    const dp = new HaproxyDataPlane({ health: healthy(t), preferredPort: () => 0 });
    cleanups.push(() => dp.close());
    dp.apply(t);
    await dp.ready();
    const port = dp.boundPort([...t.listeners.values()][0]!.listenerArn)!;
    assert.equal((await get(port, "/")).body, "127.0.0.5");
  });
});
