/**
 * Many load balancers on one port: one socket per host port, requests dispatched by the load
 * balancer's DNS name in Host, a 404 page naming the port's load balancers for any other name,
 * and never another load balancer's application.
 */
import assert from "node:assert/strict";
import { createServer as createNetServer } from "node:net";
import { afterEach, describe, it } from "node:test";
import { DataPlane } from "../../src/proxy/data-plane.ts";
import { FakeHealth, forward, get, listener, rule, startBackend, table, target, targetGroup } from "./helpers.ts";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const p = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return p;
}

const A_DNS = "app-a-0000000a.us-east-1.elb.localhost";
const B_DNS = "app-b-0000000b.us-east-1.elb.localhost";

async function twoStacks(port: number) {
  const a = await startBackend("app A");
  const b = await startBackend("app B");
  cleanups.push(() => a.close(), () => b.close());
  const t = table(
    [
      listener(port, [rule("default", forward("tg/a"))], { listenerArn: "listener/a", loadBalancerArn: "lb/a", loadBalancerName: "app-a", dnsName: A_DNS }),
      listener(port, [rule(1, forward("tg/b"), [{ field: "host-header", values: ["shop.example.test"] }]), rule("default", forward("tg/b"))], {
        listenerArn: "listener/b",
        loadBalancerArn: "lb/b",
        loadBalancerName: "app-b",
        dnsName: B_DNS,
      }),
    ],
    [targetGroup("tg/a", [target("a", a.port)]), targetGroup("tg/b", [target("b", b.port)])],
  );
  const health = new FakeHealth();
  health.set("tg/a", "a", a.port, "healthy");
  health.set("tg/b", "b", b.port, "healthy");
  const dp = new DataPlane({ health, preferredPort: () => port });
  cleanups.push(() => dp.close());
  dp.apply(t);
  await dp.ready();
  return dp;
}

describe("load balancers sharing a host port", () => {
  it("serve each its own app at its own DNS name from one socket", async () => {
    const port = await freePort();
    const dp = await twoStacks(port);
    assert.deepEqual(
      dp.listeners().map((l) => [l.listenerArn, l.hostPort, l.boundPort, l.note]),
      [
        ["listener/a", port, port, undefined],
        ["listener/b", port, port, undefined],
      ],
    );
    assert.equal((await get(port, "/", { headers: { Host: A_DNS } })).body, "app A");
    assert.equal((await get(port, "/", { headers: { Host: `${B_DNS}:${port}` } })).body, "app B");
    assert.equal((await get(port, "/", { headers: { Host: A_DNS.toUpperCase() } })).body, "app A", "DNS names are case-insensitive");
    assert.equal((await get(port, "/", { headers: { Host: "shop.example.test" } })).body, "app B", "a custom domain one load balancer's host rules take");
  });

  it("answers 404 naming the port's load balancers when Host names none of them, never another stack's app", async () => {
    const port = await freePort();
    await twoStacks(port);
    for (const host of ["127.0.0.1", "other-0000000c.us-east-1.elb.localhost", "unknown.example.test"]) {
      const r = await get(port, "/", { headers: { Host: host } });
      assert.equal(r.status, 404, host);
      assert.equal(r.headers.server, "awselb/2.0");
      assert.match(r.body, new RegExp(A_DNS.replace(/\./g, "\\.")));
      assert.match(r.body, new RegExp(B_DNS.replace(/\./g, "\\.")));
      assert.match(r.body, /load balancer app-a/);
      assert.doesNotMatch(r.body, /app [AB]$/);
    }
  });

  it("a port with one load balancer takes any Host except another load balancer's name", async () => {
    const a = await startBackend("only");
    cleanups.push(() => a.close());
    const t = table([listener(8080, [rule("default", forward("tg/a"))], { dnsName: A_DNS })], [targetGroup("tg/a", [target("a", a.port)])]);
    const health = new FakeHealth();
    health.set("tg/a", "a", a.port, "healthy");
    const dp = new DataPlane({ health, preferredPort: () => 0 });
    cleanups.push(() => dp.close());
    dp.apply(t);
    await dp.ready();
    const port = dp.boundPort("listener/8080")!;
    assert.equal((await get(port, "/")).body, "only", "127.0.0.1:port");
    assert.equal((await get(port, "/", { headers: { Host: "localhost" } })).body, "only");
    assert.equal((await get(port, "/", { headers: { Host: A_DNS } })).body, "only");
    assert.equal((await get(port, "/", { headers: { Host: B_DNS } })).status, 404, "another load balancer's name");
  });

  it("moves all of a port's listeners together when the port cannot be bound", async () => {
    const blocker = createNetServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
    cleanups.push(() => new Promise<void>((r) => blocker.close(() => r())));
    const taken = (blocker.address() as { port: number }).port;
    const dp = await twoStacks(taken);
    const [la, lb] = dp.listeners();
    assert.equal(la!.hostPort, lb!.hostPort);
    assert.notEqual(la!.hostPort, taken);
    assert.match(la!.note ?? "", new RegExp(`127\\.0\\.0\\.1:${taken} cannot be bound \\(EADDRINUSE\\); served on 127\\.0\\.0\\.1:${la!.hostPort} instead`));
    assert.equal((await get(la!.boundPort!, "/", { headers: { Host: B_DNS } })).body, "app B");
  });
});
