/**
 * Regression tests for what an outside probe found in the data plane: a target's malformed status
 * line must not crash the process (502 instead), a hostile path against a wildcard rule must not
 * block the event loop, and requests ALB refuses are refused (never forwarded). Every bad case is
 * followed by a good request to show the listener keeps serving.
 */
import assert from "node:assert/strict";
import { connect, createServer as createNetServer } from "node:net";
import { afterEach, describe, it } from "node:test";
import { DataPlane } from "../../src/proxy/data-plane.ts";
import type { RoutingTable } from "../../src/proxy/routing-table.ts";
import { type Backend, FakeHealth, forward, get, listener, rule, startBackend, table, target, targetGroup } from "./helpers.ts";

const TG = "tg/a";
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function backend(name: string, handler?: Parameters<typeof startBackend>[1]): Promise<Backend> {
  const b = await startBackend(name, handler);
  cleanups.push(() => b.close());
  return b;
}

async function plane(t: RoutingTable): Promise<number> {
  const health = new FakeHealth();
  for (const tg of t.targetGroups.values()) for (const x of tg.targets) health.set(tg.arn, x.id, x.port, "healthy");
  const dp = new DataPlane({ health, preferredPort: () => 0 });
  cleanups.push(() => dp.close());
  dp.apply(t);
  await dp.ready();
  const port = dp.boundPort([...t.listeners.values()][0]!.listenerArn);
  assert.ok(port, "listener bound");
  return port;
}

/** A target that answers every request with `reply` (raw bytes) and closes. */
async function rawTarget(reply: (request: string) => string): Promise<number> {
  const srv = createNetServer((s) => {
    s.on("error", () => s.destroy());
    s.once("data", (d) => s.end(reply(d.toString("latin1")), "latin1"));
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  cleanups.push(() => new Promise<void>((r) => srv.close(() => r())));
  return (srv.address() as { port: number }).port;
}

function rawExchange(port: number, data: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, "127.0.0.1");
    let out = "";
    s.on("data", (d) => (out += d.toString("latin1")));
    s.on("close", () => resolve(out));
    s.on("error", reject);
    s.write(data, "latin1");
  });
}

describe("data plane hardening", () => {
  it("a status below 100 or a control character in the reason phrase is a 502, and the listener keeps serving", async () => {
    const bad = await rawTarget((req) =>
      req.startsWith("GET /099") ? "HTTP/1.1 099 X\r\nContent-Length: 0\r\n\r\n" : "HTTP/1.1 200 O\x7fK\r\nContent-Length: 2\r\n\r\nok",
    );
    const ok = await backend("OK");
    const t = table(
      [listener(8080, [rule(1, forward("tg/bad"), [{ field: "path-pattern", values: ["/099", "/del"] }]), rule("default", forward(TG))])],
      [targetGroup("tg/bad", [target("bad", bad)]), targetGroup(TG, [target("ok", ok.port)])],
    );
    const port = await plane(t);
    for (const path of ["/099", "/del"]) {
      const r = await get(port, path);
      assert.equal(r.status, 502, path);
      assert.match(r.body, /502 Bad Gateway/);
    }
    assert.equal((await get(port, "/")).body, "OK");
  });

  it("a hostile path against /*/*/*/*.png is matched in linear time and the listener stays responsive", async () => {
    const ok = await backend("OK");
    const t = table(
      [
        listener(8080, [
          rule(1, { type: "fixed-response", statusCode: "200", messageBody: "png" }, [{ field: "path-pattern", values: ["/*/*/*/*.png"] }]),
          rule(2, { type: "fixed-response", statusCode: "200", messageBody: "host" }, [{ field: "host-header", values: ["*a*a*a*a*b.example"] }]),
          rule("default", forward(TG)),
        ]),
      ],
      [targetGroup(TG, [target("ok", ok.port)])],
    );
    const port = await plane(t);
    const start = performance.now();
    const path = `/${"a/".repeat(300)}x`;
    assert.equal((await get(port, path)).body, "OK");
    assert.equal((await get(port, "/", { headers: { Host: `${"a".repeat(4000)}.example` } })).body, "OK");
    assert.equal((await get(port, "/a/b/c/d.png")).body, "png");
    const ms = performance.now() - start;
    assert.ok(ms < 1000, `three requests took ${ms.toFixed(0)} ms`);
  });

  it("refuses what ALB refuses, before any target sees it, and keeps serving", async () => {
    const b = await backend("B");
    const t = table([listener(8080, [rule("default", forward(TG))])], [targetGroup(TG, [target("b", b.port)])]);
    const port = await plane(t);
    const cases: [string, string, number][] = [
      ["absolute-form target", "GET http://other.example/secret HTTP/1.1\r\nHost: a.example\r\n\r\n", 400],
      ["authority-form target", "GET other.example:80 HTTP/1.1\r\nHost: a.example\r\n\r\n", 400],
      ["two Host headers", "GET / HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n", 400],
      ["an HTTP/2.0 request line", "GET / HTTP/2.0\r\nHost: a.example\r\n\r\n", 505],
      ["Transfer-Encoding: gzip, chunked", "POST / HTTP/1.1\r\nHost: a.example\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501],
      ["TRACE", "TRACE / HTTP/1.1\r\nHost: a.example\r\n\r\n", 405],
      ["CONNECT", "CONNECT other.example:443 HTTP/1.1\r\nHost: other.example:443\r\n\r\n", 400],
    ];
    for (const [what, request, status] of cases) {
      const reply = await rawExchange(port, request);
      assert.match(reply, new RegExp(`^HTTP/1\\.1 ${status} `), `${what}: ${JSON.stringify(reply.slice(0, 80))}`);
      assert.match(reply, /Server: awselb\/2\.0/, what);
    }
    assert.equal(b.seen.length, 0, "no refused request reached the target");
    assert.equal((await get(port, "/")).body, "B");
    assert.equal(b.seen.length, 1);
  });
});
