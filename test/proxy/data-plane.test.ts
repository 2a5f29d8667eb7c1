/**
 * The ALB data plane over real sockets on 127.0.0.1: routing, actions, balancing, error codes,
 * streaming, WebSocket, X-Forwarded-*, draining, stickiness. Every bad case is followed by a good
 * request to show the proxy keeps serving.
 */
import assert from "node:assert/strict";
import { request } from "node:http";
import { type Socket, connect, createServer as createNetServer } from "node:net";
import { afterEach, describe, it } from "node:test";
import { DataPlane } from "../../src/proxy/data-plane.ts";
import { listenerHostPort } from "../../src/proxy/host-ports.ts";
import type { RoutingTable } from "../../src/proxy/routing-table.ts";
import {
  type Backend,
  FakeHealth,
  forward,
  get,
  listener,
  rule,
  startBackend,
  table,
  target,
  targetGroup,
  waitFor,
} from "./helpers.ts";

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

async function plane(t: RoutingTable, health = new FakeHealth(), opts: Partial<ConstructorParameters<typeof DataPlane>[0]> = {}) {
  // Any free port: the tests' listeners are named 8080 but must not need it.
  const dp = new DataPlane({ health, preferredPort: () => 0, ...opts });
  cleanups.push(() => dp.close());
  dp.apply(t);
  await dp.ready();
  const first = [...t.listeners.values()][0]!;
  const port = dp.boundPort(first.listenerArn);
  assert.ok(port, "listener bound");
  return { dp, port, health };
}

function healthyAll(t: RoutingTable, health = new FakeHealth()): FakeHealth {
  for (const tg of t.targetGroups.values()) for (const x of tg.targets) health.set(tg.arn, x.id, x.port, "healthy");
  return health;
}

/** Two backends A and B behind one listener forwarding to TG. */
async function twoTargets(extra: Parameters<typeof targetGroup>[2] = {}) {
  const a = await backend("A");
  const b = await backend("B");
  const t = table([listener(8080, [rule("default", forward(TG))])], [targetGroup(TG, [target("a", a.port), target("b", b.port)], extra)]);
  const p = await plane(t, healthyAll(t));
  return { a, b, t, ...p };
}

async function assertServes(port: number): Promise<void> {
  const r = await get(port, "/");
  assert.equal(r.status, 200, "proxy still serves");
}

function rawExchange(port: number, data: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, "127.0.0.1");
    let out = "";
    s.on("data", (d) => (out += d.toString()));
    s.on("end", () => resolve(out));
    s.on("close", () => resolve(out));
    s.on("error", reject);
    s.write(data);
  });
}

describe("DataPlane", () => {
  it("round robins across 2 healthy targets", async () => {
    const { port } = await twoTargets();
    const bodies: string[] = [];
    for (let i = 0; i < 6; i++) bodies.push((await get(port)).body);
    assert.deepEqual(bodies.filter((b) => b === "A").length, 3);
    assert.deepEqual(bodies.filter((b) => b === "B").length, 3);
    assert.notEqual(bodies[0], bodies[1]);
  });

  it("routes by path pattern and host header, first match by priority", async () => {
    const a = await backend("A");
    const b = await backend("B");
    const t = table(
      [
        listener(8080, [
          rule(1, forward("tg/a"), [{ field: "path-pattern", values: ["/api/*"] }]),
          rule(2, forward("tg/b"), [{ field: "host-header", values: ["*.example.com"] }]),
          rule("default", { type: "fixed-response", statusCode: "404", contentType: "text/plain", messageBody: "nope" }),
        ]),
      ],
      [targetGroup("tg/a", [target("a", a.port)]), targetGroup("tg/b", [target("b", b.port)])],
    );
    const { port } = await plane(t, healthyAll(t));
    assert.equal((await get(port, "/api/x/y")).body, "A");
    assert.equal((await get(port, "/API/x")).status, 404, "path is case-sensitive");
    assert.equal((await get(port, "/other", { headers: { Host: "WWW.Example.COM:8080" } })).body, "B");
    assert.equal((await get(port, "/api/z", { headers: { Host: "www.example.com" } })).body, "A", "priority 1 first");
    assert.equal((await get(port, "/other", { headers: { Host: "example.com" } })).body, "nope");
  });

  it("answers fixed-response with status, content type and body", async () => {
    const t = table(
      [listener(8080, [rule("default", { type: "fixed-response", statusCode: "503", contentType: "application/json", messageBody: '{"m":1}' })])],
      [],
    );
    const { port } = await plane(t);
    const r = await get(port, "/anything");
    assert.equal(r.status, 503);
    assert.equal(r.headers["content-type"], "application/json; charset=utf-8");
    assert.equal(r.headers.server, "awselb/2.0");
    assert.equal(r.body, '{"m":1}');
  });

  it("redirects with placeholders and the default path", async () => {
    const t = table(
      [
        listener(8080, [
          rule(1, { type: "redirect", protocol: "HTTPS", port: "443", statusCode: "HTTP_301" }, [{ field: "path-pattern", values: ["/secure/*"] }]),
          rule("default", { type: "redirect", host: "new.#{host}", path: "/v2/#{path}", query: "#{query}&x=1", statusCode: "HTTP_302" }),
        ]),
      ],
      [],
    );
    const { port } = await plane(t);
    const r1 = await get(port, "/secure/a?b=c", { headers: { Host: "shop.example.com:8080" } });
    assert.equal(r1.status, 301);
    assert.equal(r1.headers.location, "https://shop.example.com:443/secure/a?b=c");
    assert.equal(r1.headers.server, "awselb/2.0");
    const r2 = await get(port, "/p/q?k=v", { headers: { Host: "example.com" } });
    assert.equal(r2.status, 302);
    assert.equal(r2.headers.location, "http://new.example.com:8080/v2/p/q?k=v&x=1");
  });

  it("answers 503 with the ALB page when the target group has no targets", async () => {
    const t = table([listener(8080, [rule("default", forward(TG))])], [targetGroup(TG, [])]);
    const { port } = await plane(t);
    const r = await get(port);
    assert.equal(r.status, 503);
    assert.equal(r.headers.server, "awselb/2.0");
    assert.match(r.body, /<title>503 Service Temporarily Unavailable<\/title>/);
  });

  it("fails open to unhealthy targets, and answers 503 when all are initial or draining", async () => {
    const a = await backend("A");
    const b = await backend("B");
    const tg = targetGroup(TG, [target("a", a.port), target("b", b.port)]);
    const t = table([listener(8080, [rule("default", forward(TG))])], [tg]);
    const health = new FakeHealth();
    health.set(TG, "a", a.port, "unhealthy");
    health.set(TG, "b", b.port, "unhealthy");
    const { port, dp } = await plane(t, health);
    const seen = new Set<string>();
    for (let i = 0; i < 4; i++) seen.add((await get(port)).body);
    assert.deepEqual([...seen].sort(), ["A", "B"], "all unhealthy targets get traffic");
    health.set(TG, "b", b.port, "healthy");
    for (let i = 0; i < 3; i++) assert.equal((await get(port)).body, "B", "only the healthy one once there is one");
    health.set(TG, "a", a.port, "initial");
    health.set(TG, "b", b.port, "initial");
    assert.equal((await get(port)).status, 503);
    health.set(TG, "a", a.port, "healthy");
    dp.apply(table([listener(8080, [rule("default", forward(TG))])], [targetGroup(TG, [target("a", a.port, { draining: true }), target("b", b.port)])]));
    assert.equal((await get(port)).status, 503, "draining + initial → 503");
  });

  it("answers 502 when the target refuses the connection", async () => {
    const free = await new Promise<number>((r) => {
      const s = createNetServer().listen(0, "127.0.0.1", () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => r(p));
      });
    });
    const ok = await backend("OK");
    const t = table(
      [listener(8080, [rule(1, forward("tg/dead"), [{ field: "path-pattern", values: ["/dead"] }]), rule("default", forward(TG))])],
      [targetGroup("tg/dead", [target("x", free)]), targetGroup(TG, [target("ok", ok.port)])],
    );
    const { port } = await plane(t, healthyAll(t));
    const r = await get(port, "/dead");
    assert.equal(r.status, 502);
    assert.match(r.body, /502 Bad Gateway/);
    assert.equal(r.headers.server, "awselb/2.0");
    await assertServes(port);
  });

  it("answers 502 on a reset before the response, and cuts the client on a reset mid-response", async () => {
    const b = await backend("B", (req, res) => {
      if (req.url === "/reset-before") return req.socket.destroy();
      if (req.url === "/reset-mid") {
        res.writeHead(200, { "Content-Length": "100" });
        res.write("partial");
        setImmediate(() => req.socket.destroy());
        return;
      }
      res.end("fine");
    });
    const t = table([listener(8080, [rule("default", forward(TG))])], [targetGroup(TG, [target("b", b.port)])]);
    const { port } = await plane(t, healthyAll(t));
    assert.equal((await get(port, "/reset-before")).status, 502);
    await assert.rejects(get(port, "/reset-mid"), "client connection is cut when headers were already sent");
    assert.equal((await get(port, "/x")).body, "fine");
  });

  it("answers 502 on a malformed response and on response headers over 32 KB", async () => {
    const raw = createNetServer((s) => {
      s.once("data", (d) => {
        if (d.toString().startsWith("GET /big")) {
          s.end(`HTTP/1.1 200 OK\r\nX-Big: ${"x".repeat(40 * 1024)}\r\nContent-Length: 0\r\n\r\n`);
        } else s.end("NOT HTTP AT ALL\r\n\r\n");
      });
    });
    await new Promise<void>((r) => raw.listen(0, "127.0.0.1", r));
    cleanups.push(() => new Promise<void>((r) => raw.close(() => r())));
    const ok = await backend("OK");
    const rawPort = (raw.address() as { port: number }).port;
    const t = table(
      [listener(8080, [rule(1, forward("tg/raw"), [{ field: "path-pattern", values: ["/bad", "/big"] }]), rule("default", forward(TG))])],
      [targetGroup("tg/raw", [target("raw", rawPort)]), targetGroup(TG, [target("ok", ok.port)])],
    );
    const { port } = await plane(t, healthyAll(t));
    assert.equal((await get(port, "/bad")).status, 502);
    assert.equal((await get(port, "/big")).status, 502);
    await assertServes(port);
  });

  it("answers 504 when the target does not answer within the idle timeout", async () => {
    const b = await backend("B", (req, res) => {
      if (req.url === "/slow") return; // never answers
      res.end("fast");
    });
    const t = table([listener(8080, [rule("default", forward(TG))], { idleTimeoutSeconds: 1 })], [targetGroup(TG, [target("b", b.port)])]);
    const { port } = await plane(t, healthyAll(t));
    const t0 = performance.now();
    const r = await get(port, "/slow");
    assert.equal(r.status, 504);
    assert.match(r.body, /504 Gateway Time-out/);
    assert.ok(performance.now() - t0 >= 900, "waited about the idle timeout");
    assert.equal((await get(port, "/x")).body, "fast");
  });

  it("answers 400 to malformed HTTP and to oversized request headers", async () => {
    const { port } = await twoTargets();
    const bad = await rawExchange(port, "THIS IS NOT HTTP\r\n\r\n");
    assert.match(bad, /^HTTP\/1\.1 400 Bad Request\r\n/);
    assert.match(bad, /Server: awselb\/2\.0/);
    const huge = await rawExchange(port, `GET / HTTP/1.1\r\nHost: x\r\nX-Huge: ${"a".repeat(70 * 1024)}\r\n\r\n`);
    assert.match(huge, /^HTTP\/1\.1 400 /);
    await assertServes(port);
  });

  it("streams a 5-second response to completion", async () => {
    const b = await backend("B", (_req, res) => {
      res.writeHead(200, { "Content-Type": "text/plain" });
      let n = 0;
      const tick = () => {
        res.write(`chunk ${n}\n`);
        if (++n === 11) return res.end();
        setTimeout(tick, 500);
      };
      tick();
    });
    const t = table([listener(8080, [rule("default", forward(TG))], { idleTimeoutSeconds: 2 })], [targetGroup(TG, [target("b", b.port)])]);
    const { port } = await plane(t, healthyAll(t));
    const t0 = performance.now();
    const r = await get(port);
    assert.equal(r.status, 200);
    assert.equal(r.body.split("\n").filter(Boolean).length, 11);
    assert.ok(performance.now() - t0 >= 4900);
  });

  it("streams a chunked upload to the target before the client has finished", async () => {
    let received = "";
    let chunked = "";
    const b = await backend("B", (req, res) => {
      chunked = String(req.headers["transfer-encoding"]);
      req.on("data", (d: Buffer) => (received += d.toString()));
      req.on("end", () => res.end(`got ${received.length}`));
    });
    const t = table([listener(8080, [rule("default", forward(TG))])], [targetGroup(TG, [target("b", b.port)])]);
    const { port } = await plane(t, healthyAll(t));
    const reply = new Promise<string>((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port, method: "POST", path: "/up", agent: false, headers: { "Transfer-Encoding": "chunked" } }, (res) => {
        let body = "";
        res.on("data", (d) => (body += d));
        res.on("end", () => resolve(body));
      });
      req.on("error", reject);
      req.write("first-part;");
      void waitFor(() => received === "first-part;", "first chunk at the target").then(() => req.end("second-part"), reject);
    });
    assert.equal(await reply, "got 22");
    assert.equal(chunked, "chunked");
  });

  it("proxies a WebSocket upgrade and echoes both ways", async () => {
    const b = await backend("B");
    b.server.on("upgrade", (req, socket: Socket, head: Buffer) => {
      socket.write(
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Key: ${req.headers["sec-websocket-key"]}\r\n\r\n`,
      );
      if (head.length) socket.write(head);
      socket.pipe(socket); // echo
    });
    const t = table([listener(8080, [rule("default", forward(TG))])], [targetGroup(TG, [target("b", b.port)])]);
    const { port } = await plane(t, healthyAll(t));
    const echoed = await new Promise<{ key: string; data: string }>((resolve, reject) => {
      const req = request({
        host: "127.0.0.1",
        port,
        path: "/ws",
        agent: false,
        headers: { Connection: "Upgrade", Upgrade: "websocket", "Sec-WebSocket-Key": "abc123", "Sec-WebSocket-Version": "13" },
      });
      req.on("upgrade", (res, socket: Socket) => {
        let data = "";
        socket.on("data", (d) => {
          data += d.toString();
          if (data === "hello") {
            socket.destroy();
            resolve({ key: String(res.headers["x-key"]), data });
          }
        });
        socket.write("hel");
        socket.write("lo");
      });
      req.on("error", reject);
      req.end();
    });
    assert.deepEqual(echoed, { key: "abc123", data: "hello" });
    await assertServes(port);
  });

  it("formats X-Amzn-Trace-Id's random part from the injected random source, every byte as two hex digits", async () => {
    const b = await backend("B", (req, res) => res.end(JSON.stringify(req.headers)));
    const t = table([listener(8080, [rule("default", forward(TG))])], [targetGroup(TG, [target("b", b.port)])]);
    const draws = [0x0102a0ff / 0x100000000, 0x00000000, 0xfffffffe / 0x100000000];
    let i = 0;
    const { port } = await plane(t, healthyAll(t), { random: () => draws[i++ % draws.length]! });
    const h = JSON.parse((await get(port, "/")).body);
    assert.match(h["x-amzn-trace-id"], /^Root=1-[0-9a-f]{8}-0102a0ff00000000fffffffe$/);
  });

  it("sets X-Forwarded-For/Proto/Port, X-Amzn-Trace-Id and Host as ALB does", async () => {
    const b = await backend("B", (req, res) => res.end(JSON.stringify(req.headers)));
    const mk = (extra: Parameters<typeof listener>[2]) =>
      table([listener(8080, [rule("default", forward(TG))], extra)], [targetGroup(TG, [target("b", b.port)])]);
    const t = mk({});
    const { port, dp } = await plane(t, healthyAll(t));
    const h1 = JSON.parse((await get(port, "/", { headers: { Host: "app.example.com", "X-Forwarded-For": "10.0.0.9", Connection: "keep-alive, X-Secret", "X-Secret": "s" } })).body);
    assert.equal(h1["x-forwarded-for"], "10.0.0.9, 127.0.0.1");
    assert.equal(h1["x-forwarded-proto"], "http");
    assert.equal(h1["x-forwarded-port"], "8080");
    assert.equal(h1.host, "app.example.com:8080");
    assert.match(h1["x-amzn-trace-id"], /^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    assert.equal(h1["x-secret"], undefined, "headers named in Connection are hop-by-hop");
    const h2 = JSON.parse((await get(port, "/", { headers: { "X-Amzn-Trace-Id": "Root=1-5759e988-bd862e3fe1be46a994272793" } })).body);
    assert.equal(h2["x-amzn-trace-id"], "Root=1-5759e988-bd862e3fe1be46a994272793");

    dp.apply(mk({ xffMode: "preserve", preserveHostHeader: true }));
    const h3 = JSON.parse((await get(port, "/", { headers: { Host: "app.example.com", "X-Forwarded-For": "10.0.0.9" } })).body);
    assert.equal(h3["x-forwarded-for"], "10.0.0.9");
    assert.equal(h3.host, "app.example.com");

    dp.apply(mk({ xffMode: "remove" }));
    const h4 = JSON.parse((await get(port, "/", { headers: { "X-Forwarded-For": "10.0.0.9" } })).body);
    assert.equal(h4["x-forwarded-for"], undefined);

    dp.apply(mk({ xffClientPort: true }));
    const h5 = JSON.parse((await get(port, "/")).body);
    assert.match(h5["x-forwarded-for"], /^127\.0\.0\.1:\d+$/);
  });

  it("sends no new requests to a draining target while its in-flight request completes", async () => {
    let release: (() => void) | undefined;
    const a = await backend("A", (req, res) => {
      if (req.url === "/hold") {
        release = () => res.end("held");
        return;
      }
      res.end("A");
    });
    const b = await backend("B");
    const mk = (drainA: boolean) =>
      table([listener(8080, [rule("default", forward(TG))])], [targetGroup(TG, [target("a", a.port, { draining: drainA }), target("b", b.port)])]);
    const t = mk(false);
    const health = healthyAll(t);
    health.set(TG, "b", b.port, "unhealthy"); // the first request must go to A
    const { port, dp } = await plane(t, health);
    const held = get(port, "/hold");
    await waitFor(() => release !== undefined, "request held at A");
    assert.equal(dp.inFlight(TG, "a", a.port), 1);
    health.set(TG, "b", b.port, "healthy");
    dp.apply(mk(true));
    health.set(TG, "a", a.port, "draining");
    for (let i = 0; i < 4; i++) assert.equal((await get(port)).body, "B");
    release!();
    assert.equal((await held).body, "held");
  });

  it("aborts requests still in flight when the target leaves the table (502)", async () => {
    const a = await backend("A", (req, res) => {
      if (req.url === "/hold") return;
      res.end("A");
    });
    const b = await backend("B");
    const tgFor = (targets: ReturnType<typeof target>[]) => table([listener(8080, [rule("default", forward(TG))])], [targetGroup(TG, targets)]);
    const t = tgFor([target("a", a.port)]);
    const { port, dp, health } = await plane(t, healthyAll(t));
    const held = get(port, "/hold");
    await waitFor(() => dp.inFlight(TG, "a", a.port) === 1, "request in flight at A");
    dp.apply(tgFor([target("a", a.port, { draining: true }), target("b", b.port)]));
    health.set(TG, "b", b.port, "healthy");
    assert.equal((await get(port)).body, "B");
    dp.apply(tgFor([target("b", b.port)]));
    assert.equal((await held).status, 502);
    assert.equal(dp.inFlight(TG, "a", a.port), 0);
    await assertServes(port);
  });

  it("pins a client to a target with the AWSALB cookie and re-picks on an invalid cookie", async () => {
    const { port, health, a, b } = await twoTargets({ stickiness: { enabled: true, type: "lb_cookie", durationSeconds: 3600 } });
    const first = await get(port);
    const cookies = first.headers["set-cookie"] ?? [];
    const alb = cookies.find((c) => c.startsWith("AWSALB="));
    const cors = cookies.find((c) => c.startsWith("AWSALBCORS="));
    assert.ok(alb && /Expires=/.test(alb) && !/Max-Age/.test(alb), alb);
    assert.ok(cors && /SameSite=None; Secure/.test(cors), cors);
    const value = alb.split(";")[0]!;
    for (let i = 0; i < 5; i++) assert.equal((await get(port, "/", { headers: { Cookie: value } })).body, first.body);
    const bogus = await get(port, "/", { headers: { Cookie: "AWSALB=garbage" } });
    assert.ok(bogus.headers["set-cookie"]?.some((c) => c.startsWith("AWSALB=") && !c.startsWith("AWSALB=garbage")));
    // The pinned target turns unhealthy: a new pick, and the cookie is reset to the other target.
    if (first.body === "A") health.set(TG, "a", a.port, "unhealthy");
    else health.set(TG, "b", b.port, "unhealthy");
    const moved = await get(port, "/", { headers: { Cookie: value } });
    assert.notEqual(moved.body, first.body);
    const reset = moved.headers["set-cookie"]?.find((c) => c.startsWith("AWSALB="));
    assert.ok(reset && reset.split(";")[0] !== value);
  });

  it("app_cookie stickiness: AWSALBAPP-0 follows the application's cookie and pins the target", async () => {
    const mk = (name: string) => (req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse) => {
      if (req.url === "/login") res.setHeader("Set-Cookie", "SESSION=abc; Path=/");
      res.end(name);
    };
    const a = await backend("A", mk("A"));
    const b = await backend("B", mk("B"));
    const t = table(
      [listener(8080, [rule("default", forward(TG))])],
      [targetGroup(TG, [target("a", a.port), target("b", b.port)], { stickiness: { enabled: true, type: "app_cookie", durationSeconds: 60, appCookieName: "SESSION" } })],
    );
    const { port } = await plane(t, healthyAll(t));
    const plain = await get(port, "/");
    assert.equal(plain.headers["set-cookie"], undefined, "no LB cookie until the app sets its own");
    const login = await get(port, "/login");
    const app = login.headers["set-cookie"]?.find((c) => c.startsWith("AWSALBAPP-0="));
    assert.ok(app && /Expires=/.test(app), String(login.headers["set-cookie"]));
    assert.ok(login.headers["set-cookie"]?.includes("SESSION=abc; Path=/"));
    const cookie = `SESSION=abc; ${app.split(";")[0]}`;
    for (let i = 0; i < 4; i++) assert.equal((await get(port, "/", { headers: { Cookie: cookie } })).body, login.body);
  });

  it("weighted forward: weight 0 gets nothing; AWSALBTG pins the target group", async () => {
    const a = await backend("A");
    const b = await backend("B");
    const action = { type: "forward", targetGroups: [{ arn: "tg/a", weight: 0 }, { arn: "tg/b", weight: 5 }] } as const;
    const t = table(
      [listener(8080, [rule("default", action)])],
      [targetGroup("tg/a", [target("a", a.port)]), targetGroup("tg/b", [target("b", b.port)])],
    );
    const { port, dp } = await plane(t, healthyAll(t));
    for (let i = 0; i < 5; i++) assert.equal((await get(port)).body, "B");
    const sticky = { type: "forward", targetGroups: [{ arn: "tg/a", weight: 1 }, { arn: "tg/b", weight: 1 }], stickiness: { enabled: true, durationSeconds: 60 } } as const;
    dp.apply(table([listener(8080, [rule("default", sticky)])], [...t.targetGroups.values()]));
    const first = await get(port);
    const tg = first.headers["set-cookie"]?.find((c) => c.startsWith("AWSALBTG="));
    assert.ok(tg && first.headers["set-cookie"]?.some((c) => c.startsWith("AWSALBTGCORS=") && /SameSite=None; Secure/.test(c)));
    for (let i = 0; i < 6; i++) assert.equal((await get(port, "/", { headers: { Cookie: tg.split(";")[0]! } })).body, first.body);
  });

  it("cancels the upstream request when the client goes away", async () => {
    let upstreamClosed = false;
    const b = await backend("B", (req, res) => {
      if (req.url !== "/slow") return void res.end("ok");
      res.on("close", () => (upstreamClosed = true));
    });
    const t = table([listener(8080, [rule("default", forward(TG))])], [targetGroup(TG, [target("b", b.port)])]);
    const { port, dp } = await plane(t, healthyAll(t));
    const req = request({ host: "127.0.0.1", port, path: "/slow", agent: false });
    req.on("error", () => {});
    req.end();
    await waitFor(() => dp.inFlight(TG, "b", b.port) === 1, "in flight");
    req.destroy();
    await waitFor(() => upstreamClosed, "upstream request aborted");
    await waitFor(() => dp.inFlight(TG, "b", b.port) === 0, "no longer in flight");
    assert.equal((await get(port)).body, "ok");
  });

  it("answers an Upgrade request that matches a fixed-response rule on the raw socket", async () => {
    const t = table([listener(8080, [rule("default", { type: "fixed-response", statusCode: "403", messageBody: "no ws" })])], []);
    const { port } = await plane(t);
    const reply = await rawExchange(port, "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
    assert.match(reply, /^HTTP\/1\.1 403 /);
    assert.match(reply, /no ws$/);
  });

  it("reports a bind failure once and moves the listener to its fallback port by itself, with no new table", async () => {
    const blocker = createNetServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
    cleanups.push(() => new Promise<void>((r) => blocker.close(() => r())));
    const taken = (blocker.address() as { port: number }).port;
    const logs: string[] = [];
    const dp = new DataPlane({ health: new FakeHealth(), log: (m) => logs.push(m) });
    cleanups.push(() => dp.close());
    const fixed = { type: "fixed-response", statusCode: "200", messageBody: "ok" } as const;
    // The listener's own port is taken by another program.
    dp.apply(table([listener(taken, [rule("default", fixed)], { listenerArn: "listener/80" })], []));
    await dp.ready();
    const fallback = listenerHostPort(taken, new Set([taken]));
    assert.deepEqual(
      logs.filter((m) => m.includes("cannot bind")),
      [`listener listener/80 cannot bind 127.0.0.1:${taken} (EADDRINUSE); moving it to 127.0.0.1:${fallback}`],
    );
    assert.equal(dp.boundPort("listener/80"), fallback);
    assert.deepEqual(dp.listeners(), [
      {
        listenerArn: "listener/80",
        loadBalancerArn: "lb/1",
        dnsName: "lb-1-00000001.us-east-1.elb.localhost",
        protocol: "HTTP",
        port: taken,
        hostPort: fallback,
        boundPort: fallback,
        note: `127.0.0.1:${taken} cannot be bound (EADDRINUSE); served on 127.0.0.1:${fallback} instead`,
      },
    ]);
    const port = dp.boundPort("listener/80")!;
    assert.equal((await get(port)).body, "ok");
    dp.apply(table([], []));
    await dp.ready();
    await waitFor(async () => (await get(port).then(() => false, () => true)), "listener closed");
  });
});
