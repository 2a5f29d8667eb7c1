/**
 * Both directions of the data plane's HTTP parsing (see src/proxy/http1.ts and screen.ts):
 * tolerant of what targets send (bare-LF framing, bodies delimited by close, obs-fold), strict
 * with what clients send (a request-smuggling corpus is refused with 400 and never reaches a
 * target).
 */
import assert from "node:assert/strict";
import { connect, createServer as createNetServer, type Socket } from "node:net";
import { afterEach, describe, it } from "node:test";
import { DataPlane } from "../../src/proxy/data-plane.ts";
import type { RoutingTable } from "../../src/proxy/routing-table.ts";
import { FakeHealth, forward, get, listener, rule, startBackend, table, target, targetGroup } from "./helpers.ts";

const TG = "tg/a";
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function plane(t: RoutingTable): Promise<number> {
  const health = new FakeHealth();
  for (const tg of t.targetGroups.values()) for (const x of tg.targets) health.set(tg.arn, x.id, x.port, "healthy");
  const dp = new DataPlane({ health, preferredPort: () => 0 });
  cleanups.push(() => dp.close());
  dp.apply(t);
  await dp.ready();
  return dp.boundPort([...t.listeners.values()][0]!.listenerArn)!;
}

/** A target that reads one request head and answers with `reply(path)`; `close` ends the connection after it. */
async function rawTarget(reply: (path: string) => { data: string; close?: boolean }): Promise<{ port: number; connections: () => number; requests: string[] }> {
  let connections = 0;
  const requests: string[] = [];
  const srv = createNetServer((s: Socket) => {
    connections++;
    s.on("error", () => s.destroy());
    let buf = "";
    s.on("data", (d) => {
      buf += d.toString("latin1");
      let end: number;
      while ((end = buf.indexOf("\r\n\r\n")) >= 0) {
        const head = buf.slice(0, end);
        buf = buf.slice(end + 4);
        requests.push(head);
        const path = head.split(" ")[1] ?? "/";
        const r = reply(path);
        if (r.close) s.end(r.data, "latin1");
        else s.write(r.data, "latin1");
      }
    });
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        srv.close(() => r());
      }),
  );
  return { port: (srv.address() as { port: number }).port, connections: () => connections, requests };
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

describe("tolerant with targets", () => {
  it("relays bare-LF heads, close-delimited bodies, bare-LF chunked bodies and obs-fold, and reuses keep-alive connections", async () => {
    const srv = await rawTarget((path) => {
      switch (path) {
        case "/cgi":
          // busybox httpd running a CGI script: CRLF status line, bare-LF headers, body until close.
          return { data: "HTTP/1.1 200 OK\r\nContent-Type: text/plain\n\nhello from cgi\n", close: true };
        case "/all-lf":
          return { data: "HTTP/1.1 201 Created\nContent-Length: 5\nX-A: 1\n\nhello" };
        case "/chunked-lf":
          return { data: "HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n5\nhello\n6\n world\n0\n\n" };
        case "/fold":
          return { data: "HTTP/1.1 200 OK\r\nX-Folded: one\r\n two\r\nContent-Length: 2\r\n\r\nok" };
        case "/both":
          return { data: "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n" };
        default:
          return { data: "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nkept" };
      }
    });
    const t = table([listener(8080, [rule("default", forward(TG))])], [targetGroup(TG, [target("t", srv.port)])]);
    const port = await plane(t);

    const cgi = await get(port, "/cgi");
    assert.equal(cgi.status, 200);
    assert.equal(cgi.headers["content-type"], "text/plain");
    assert.equal(cgi.body, "hello from cgi\n");
    const lf = await get(port, "/all-lf");
    assert.deepEqual([lf.status, lf.body, lf.headers["x-a"]], [201, "hello", "1"]);
    assert.equal((await get(port, "/chunked-lf")).body, "hello world");
    const fold = await get(port, "/fold");
    assert.equal(fold.headers["x-folded"], "one two");
    const both = await get(port, "/both");
    assert.equal(both.body, "abc", "Transfer-Encoding wins over Content-Length");
    assert.equal(both.headers["content-length"], undefined, "the conflicting Content-Length never reaches the client");

    // Keep-alive: the connection that answered /all-lf (and was not closed) serves the next ones.
    const before = srv.connections();
    for (let i = 0; i < 3; i++) assert.equal((await get(port, "/")).body, "kept");
    assert.ok(srv.connections() - before <= 1, `three requests on at most one new connection (${srv.connections() - before})`);
  });

  it("still answers 502 to responses that cannot be relayed safely", async () => {
    const srv = await rawTarget((path) => ({
      data:
        path === "/cl"
          ? "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"
          : path === "/name"
            ? "HTTP/1.1 200 OK\r\nBad Name: x\r\nContent-Length: 0\r\n\r\n"
            : "HTTP/1.1 200 OK\r\nX-Ctl: a\x01b\r\nContent-Length: 0\r\n\r\n",
      close: true,
    }));
    const ok = await startBackend("OK");
    cleanups.push(() => ok.close());
    const t = table(
      [listener(8080, [rule(1, forward("tg/raw"), [{ field: "path-pattern", values: ["/cl", "/name", "/ctl"] }]), rule("default", forward(TG))])],
      [targetGroup("tg/raw", [target("raw", srv.port)]), targetGroup(TG, [target("ok", ok.port)])],
    );
    const port = await plane(t);
    for (const path of ["/cl", "/name", "/ctl"]) assert.equal((await get(port, path)).status, 502, path);
    assert.equal((await get(port, "/")).body, "OK");
  });
});

describe("strict with clients", () => {
  /** Each request would smuggle a second one (GET /smuggled) past a lenient front end. */
  const SMUGGLED = "GET /smuggled HTTP/1.1\r\nHost: a.example\r\n\r\n";
  const corpus: [string, string][] = [
    ["CL.TE", `POST / HTTP/1.1\r\nHost: a.example\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`],
    ["TE.CL", `POST / HTTP/1.1\r\nHost: a.example\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n8\r\nSMUGGLED\r\n0\r\n\r\n`],
    ["duplicate Content-Length, different", `POST / HTTP/1.1\r\nHost: a.example\r\nContent-Length: 0\r\nContent-Length: 44\r\n\r\n${SMUGGLED}`],
    ["duplicate Content-Length, same", `POST / HTTP/1.1\r\nHost: a.example\r\nContent-Length: 44\r\nContent-Length: 44\r\n\r\n${SMUGGLED}`],
    ["Content-Length list", `POST / HTTP/1.1\r\nHost: a.example\r\nContent-Length: 0, 44\r\n\r\n${SMUGGLED}`],
    ["Content-Length with a sign", `POST / HTTP/1.1\r\nHost: a.example\r\nContent-Length: +44\r\n\r\n${SMUGGLED}`],
    ["Content-Length in hex", `POST / HTTP/1.1\r\nHost: a.example\r\nContent-Length: 0x2c\r\n\r\n${SMUGGLED}`],
    ["obs-fold of Transfer-Encoding", `POST / HTTP/1.1\r\nHost: a.example\r\nContent-Length: 44\r\nX-Pad: a\r\n Transfer-Encoding: chunked\r\n\r\n${SMUGGLED}`],
    ["obs-fold continuing a header", `GET / HTTP/1.1\r\nHost: a.example\r\nX-A: b\r\n c\r\n\r\n`],
    ["space before the colon", `POST / HTTP/1.1\r\nHost: a.example\r\nTransfer-Encoding : chunked\r\nContent-Length: 44\r\n\r\n${SMUGGLED}`],
    ["tab-obfuscated Transfer-Encoding", `POST / HTTP/1.1\r\nHost: a.example\r\nTransfer-Encoding:\tchunked\r\nContent-Length: 44\r\n\r\n0\r\n\r\n${SMUGGLED}`],
    ["xchunked", `POST / HTTP/1.1\r\nHost: a.example\r\nTransfer-Encoding: xchunked\r\nContent-Length: 44\r\n\r\n${SMUGGLED}`],
    ["chunked, identity", `POST / HTTP/1.1\r\nHost: a.example\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n${SMUGGLED}`],
    ["two Transfer-Encoding headers", `POST / HTTP/1.1\r\nHost: a.example\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n${SMUGGLED}`],
    ["vertical tab in a value", `POST / HTTP/1.1\r\nHost: a.example\r\nTransfer-Encoding: \x0bchunked\r\nContent-Length: 44\r\n\r\n${SMUGGLED}`],
    ["NUL in a value", `GET / HTTP/1.1\r\nHost: a.example\r\nX-A: a\x00b\r\n\r\n`],
    ["bare CR in a value", `GET / HTTP/1.1\r\nHost: a.example\r\nX-A: a\rb\r\n\r\n`],
    ["bare LF request line", `GET / HTTP/1.1\nHost: a.example\n\n`],
    ["negative Content-Length", `POST / HTTP/1.1\r\nHost: a.example\r\nContent-Length: -1\r\n\r\n${SMUGGLED}`],
    ["space in the request target", `GET /a b HTTP/1.1\r\nHost: a.example\r\n\r\n`],
    ["invalid header name", `GET / HTTP/1.1\r\nHost: a.example\r\nX A: b\r\n\r\n`],
    ["HTTP/1.1 without Host", `GET / HTTP/1.1\r\n\r\n`],
    ["two Host headers", `GET / HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n`],
    ["absolute-form target", `GET http://b.example/ HTTP/1.1\r\nHost: a.example\r\n\r\n`],
    ["unknown HTTP version", `GET / HTTP/1.2\r\nHost: a.example\r\n\r\n`],
  ];

  it(`refuses a ${corpus.length}-case smuggling corpus with 400, and no target ever sees a byte of it`, async () => {
    const seen: string[] = [];
    const b = await startBackend("B", (req, res) => {
      seen.push(`${req.method} ${req.url}`);
      req.resume();
      req.on("end", () => res.end("B"));
    });
    cleanups.push(() => b.close());
    const t = table([listener(8080, [rule("default", forward(TG))])], [targetGroup(TG, [target("b", b.port)])]);
    const port = await plane(t);
    for (const [what, request] of corpus) {
      const reply = await rawExchange(port, request);
      assert.match(reply, /^HTTP\/1\.1 400 /, `${what}: ${JSON.stringify(reply.slice(0, 60))}`);
      assert.equal((reply.match(/HTTP\/1\.1 /g) ?? []).length, 1, `${what}: exactly one response`);
      assert.deepEqual(seen, [], `${what}: nothing reached the target`);
    }
    assert.deepEqual(seen, [], "nothing reached the target");
    assert.equal((await get(port, "/")).body, "B", "the listener keeps serving");
  });

  it("a chunked body that turns out malformed is answered 400 and cut: the target never gets a complete request", async () => {
    const completed: string[] = [];
    const b = await startBackend("B", (req, res) => {
      req.resume();
      req.on("end", () => {
        completed.push(`${req.method} ${req.url}`);
        res.end("B");
      });
    });
    cleanups.push(() => b.close());
    const t = table([listener(8080, [rule("default", forward(TG))])], [targetGroup(TG, [target("b", b.port)])]);
    const port = await plane(t);
    const bodies: [string, string][] = [
      ["bare LF after a chunk size", `POST /a HTTP/1.1\r\nHost: a.example\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n${SMUGGLED}`],
      ["invalid chunk size", `POST /b HTTP/1.1\r\nHost: a.example\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n${SMUGGLED}`],
    ];
    for (const [what, request] of bodies) {
      const reply = await rawExchange(port, request);
      assert.match(reply, /^HTTP\/1\.1 400 /, what);
    }
    assert.deepEqual(completed, [], "no request (and no smuggled one) completed at the target");
    assert.equal((await get(port, "/")).body, "B");
    assert.deepEqual(completed, ["GET /"]);
  });
});
