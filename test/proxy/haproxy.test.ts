/**
 * The HAProxy data plane in-process (a real haproxy child per test): rules and actions, host
 * dispatch on a shared port with the 404 page, health gating and fail open through the runtime
 * API, draining, registration without a reload, seamless reloads under load with no failed request,
 * AWSALB stickiness, HTTPS with SNI, ALB's refusals, and the metrics hook. Skipped when haproxy is
 * not installed.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { Agent, request } from "node:http";
import { request as httpsRequest } from "node:https";
import { connect, createServer as createNetServer } from "node:net";
import { afterEach, before, describe, it } from "node:test";
import { HaproxyDataPlane, haproxyAvailable } from "../../src/proxy/haproxy/haproxy-data-plane.ts";
import type { DataPlaneObserver } from "../../src/proxy/observer.ts";
import type { ListenerTls, RoutingTable } from "../../src/proxy/routing-table.ts";
import { sslPolicy } from "../../src/services/elbv2/ssl-policies.ts";
import { selfSigned, type TestCert } from "../helpers/certs.ts";
import { FakeHealth, forward, get, listener, rule, startBackend, table, target, targetGroup, waitFor } from "./helpers.ts";

const skip = await haproxyAvailable();
if (skip) console.log(`# skipping HAProxy data plane tests: ${skip}`);

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function backend(name: string, handler?: Parameters<typeof startBackend>[1]) {
  const b = await startBackend(name, handler);
  cleanups.push(() => b.close());
  return b;
}

async function plane(t: RoutingTable, health = new FakeHealth(), observer?: DataPlaneObserver) {
  const logs: string[] = [];
  const dp = new HaproxyDataPlane({ health, preferredPort: () => 0, log: (m) => logs.push(m), ...(observer ? { observer } : {}) });
  cleanups.push(() => dp.close());
  dp.apply(t);
  await dp.ready();
  const port = dp.boundPort([...t.listeners.values()][0]!.listenerArn);
  assert.ok(port, `bound: ${logs.join("\n")}`);
  return { dp, port, health, logs };
}

function healthyAll(t: RoutingTable, health = new FakeHealth()): FakeHealth {
  for (const tg of t.targetGroups.values()) for (const x of tg.targets) health.set(tg.arn, x.id, x.port, "healthy");
  return health;
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

let cert: TestCert;
before(async () => {
  cert = await selfSigned(["secure.example.test"]);
});

describe("HAProxy data plane", { skip }, () => {
  it("routes by rules (path, host), answers fixed responses and redirects, and round robins", async () => {
    const a = await backend("A");
    const b = await backend("B");
    const t = table(
      [
        listener(8080, [
          rule(1, forward("tg/a"), [{ field: "path-pattern", values: ["/api/*"] }]),
          rule(2, { type: "fixed-response", statusCode: "418", contentType: "application/json", messageBody: '{"tea":1}' }, [{ field: "host-header", values: ["*.tea.example"] }]),
          rule(3, { type: "redirect", protocol: "HTTPS", port: "443", statusCode: "HTTP_301" }, [{ field: "path-pattern", values: ["/secure*"] }]),
          rule("default", forward("tg/b")),
        ]),
      ],
      [targetGroup("tg/a", [target("a", a.port)]), targetGroup("tg/b", [target("b1", b.port), target("b2", b.port, { address: "127.0.0.1", id: "b2" })])],
    );
    const { port } = await plane(t, healthyAll(t));
    assert.equal((await get(port, "/api/x")).body, "A");
    assert.equal((await get(port, "/API/x")).body, "B", "paths are case-sensitive");
    const fixed = await get(port, "/", { headers: { Host: "pot.TEA.example" } });
    assert.deepEqual([fixed.status, fixed.headers["content-type"], fixed.body, fixed.headers.server], [418, "application/json; charset=utf-8", '{"tea":1}', "awselb/2.0"]);
    const r = await get(port, "/secure/page?x=1", { headers: { Host: "www.example.test:8080" } });
    assert.deepEqual([r.status, r.headers.location], [301, "https://www.example.test:443/secure/page?x=1"]);
    const seen = await get(port, "/echo");
    assert.equal(seen.body, "B");
    const hdrs = b.seen[b.seen.length - 1]!.headers;
    assert.equal(hdrs["x-forwarded-proto"], "http");
    assert.equal(hdrs["x-forwarded-port"], "8080");
    assert.equal(hdrs["x-forwarded-for"], "127.0.0.1");
    assert.match(String(hdrs["x-amzn-trace-id"]), /^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    assert.equal(hdrs.host, `127.0.0.1:${port}`, "a Host with a port is kept");
  });

  it("shares a port between load balancers by Host, and answers 404 naming them otherwise", async () => {
    const a = await backend("app A");
    const b = await backend("app B");
    const t = table(
      [
        listener(80, [rule("default", forward("tg/a"))], { listenerArn: "l/a", loadBalancerArn: "lb/a", loadBalancerName: "a", dnsName: "a-1.us-east-1.elb.localhost" }),
        listener(80, [rule("default", forward("tg/b"))], { listenerArn: "l/b", loadBalancerArn: "lb/b", loadBalancerName: "b", dnsName: "b-2.us-east-1.elb.localhost" }),
      ],
      [targetGroup("tg/a", [target("a", a.port)]), targetGroup("tg/b", [target("b", b.port)])],
    );
    const free = await new Promise<number>((resolve) => {
      const srv = createNetServer().listen(0, "127.0.0.1", () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    const dp2 = new HaproxyDataPlane({ health: healthyAll(t), preferredPort: () => free });
    cleanups.push(() => dp2.close());
    dp2.apply(t);
    await dp2.ready();
    const port = dp2.boundPort("l/a")!;
    assert.equal(dp2.boundPort("l/b"), port, "one port");
    assert.equal((await get(port, "/", { headers: { Host: "a-1.us-east-1.elb.localhost" } })).body, "app A");
    assert.equal((await get(port, "/", { headers: { Host: `b-2.us-east-1.elb.localhost:${port}` } })).body, "app B");
    const nf = await get(port, "/", { headers: { Host: "c-3.us-east-1.elb.localhost" } });
    assert.equal(nf.status, 404);
    assert.match(nf.body, /a-1\.us-east-1\.elb\.localhost.*\n?.*b-2\.us-east-1\.elb\.localhost/s);
  });

  it("gates targets by health through the runtime API, fails open, and registers targets without a reload", async () => {
    const a = await backend("A");
    const b = await backend("B");
    const c = await backend("C");
    let t = table([listener(8080, [rule("default", forward("tg/a"))])], [targetGroup("tg/a", [target("a", a.port), target("b", b.port)])]);
    const health = healthyAll(t);
    const { dp, port } = await plane(t, health);
    const bodies = async (n: number) => {
      const out = new Set<string>();
      for (let i = 0; i < n; i++) out.add((await get(port, "/")).body);
      return [...out].sort();
    };
    assert.deepEqual(await bodies(6), ["A", "B"]);
    health.set("tg/a", "b", b.port, "unhealthy");
    await dp.ready();
    assert.deepEqual(await bodies(6), ["A"]);
    health.set("tg/a", "a", a.port, "unhealthy");
    await dp.ready();
    assert.deepEqual(await bodies(6), ["A", "B"], "every target unhealthy: fail open to all of them");
    health.set("tg/a", "a", a.port, "healthy");
    health.set("tg/a", "b", b.port, "healthy");
    // A new target: same structure, so no reload (the generation stays), served once healthy.
    t = table([listener(8080, [rule("default", forward("tg/a"))])], [targetGroup("tg/a", [target("a", a.port), target("b", b.port), target("c", c.port)])]);
    dp.apply(t);
    await dp.ready();
    assert.deepEqual(await bodies(9), ["A", "B"], "initial: not yet served");
    health.set("tg/a", "c", c.port, "healthy");
    await dp.ready();
    assert.deepEqual(await bodies(9), ["A", "B", "C"]);
  });

  it("drains a deregistered target (no new requests, the one in flight completes), then drops it", async () => {
    let release!: () => void;
    const slowDone = new Promise<void>((r) => (release = r));
    const a = await backend("A", (req, res) => {
      if (req.url === "/slow") void slowDone.then(() => res.end("slow A"));
      else res.end("A");
    });
    const b = await backend("B");
    const t = table([listener(8080, [rule("default", forward("tg/a"))])], [targetGroup("tg/a", [target("a", a.port), target("b", b.port)])]);
    const health = healthyAll(t);
    const { dp, port } = await plane(t, health);
    let slow: Promise<{ body: string }> | undefined;
    for (let i = 0; i < 2 && !slow; i++) {
      const p = get(port, "/slow");
      await waitFor(() => a.seen.some((r) => r.url === "/slow") || b.seen.some((r) => r.url === "/slow"), "slow request at a target");
      if (a.seen.some((r) => r.url === "/slow")) slow = p;
    }
    assert.ok(slow, "a slow request is in flight at A");
    dp.apply(table([listener(8080, [rule("default", forward("tg/a"))])], [targetGroup("tg/a", [target("a", a.port, { draining: true }), target("b", b.port)])]));
    await dp.ready();
    for (let i = 0; i < 4; i++) assert.equal((await get(port, "/")).body, "B", "no new requests to the draining target");
    release();
    assert.equal((await slow).body, "slow A", "the in-flight request completed");
  });

  it("reloads seamlessly: a structural change under constant load fails no request", async () => {
    const a = await backend("A");
    const t1 = table([listener(8080, [rule("default", forward("tg/a"))])], [targetGroup("tg/a", [target("a", a.port)])]);
    const health = healthyAll(t1);
    const { dp, port } = await plane(t1, health);
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    cleanups.push(() => agent.destroy());
    let stop = false;
    let failures = 0;
    let ok = 0;
    const worker = async () => {
      while (!stop) {
        try {
          const r = await new Promise<number>((resolve, reject) => {
            const req = request({ host: "127.0.0.1", port, path: "/", agent }, (res) => {
              res.resume();
              res.on("end", () => resolve(res.statusCode ?? 0));
            });
            req.on("error", reject);
            req.end();
          });
          if (r === 200 || r === 418) ok++;
          else failures++;
        } catch {
          failures++;
        }
      }
    };
    const workers = Array.from({ length: 4 }, worker);
    for (let i = 0; i < 5; i++) {
      // Each table adds a rule: the configuration's structure changes, so HAProxy reloads.
      const rules = [...Array.from({ length: i + 1 }, (_, j) => rule(j + 1, { type: "fixed-response", statusCode: "418" }, [{ field: "path-pattern", values: [`/r${j}`] }])), rule("default", forward("tg/a"))];
      dp.apply(table([listener(8080, rules)], [targetGroup("tg/a", [target("a", a.port)])]));
      await dp.ready();
    }
    stop = true;
    await Promise.all(workers);
    assert.ok(ok > 20, `requests served during reloads (${ok})`);
    assert.equal(failures, 0, `no failed request across 5 reloads (${ok} served)`);
  });

  it("pins a client with the AWSALB cookie", async () => {
    const a = await backend("A");
    const b = await backend("B");
    const t = table([listener(8080, [rule("default", forward("tg/a"))])], [targetGroup("tg/a", [target("a", a.port), target("b", b.port)], { stickiness: { enabled: true, type: "lb_cookie", durationSeconds: 60 } })]);
    const { port } = await plane(t, healthyAll(t));
    const first = await get(port, "/");
    const cookie = ([] as string[]).concat(first.headers["set-cookie"] ?? []).find((c) => c.startsWith("AWSALB="));
    assert.ok(cookie, "AWSALB set");
    for (let i = 0; i < 5; i++) assert.equal((await get(port, "/", { headers: { Cookie: cookie!.split(";")[0]! } })).body, first.body);
  });

  it("terminates TLS with the listener's certificate and policy", async () => {
    const p = sslPolicy("ELBSecurityPolicy-TLS13-1-2-2021-06")!;
    const tls: ListenerTls = {
      policy: { name: p.name, protocols: p.protocols, ciphers: p.ciphers },
      certificates: [{ arn: "cert/1", certificatePem: cert.certificatePem, chainPem: "", privateKeyPem: cert.privateKeyPem, names: ["secure.example.test"] }],
    };
    const t = table([listener(443, [rule("default", { type: "fixed-response", statusCode: "200", messageBody: "over tls" })], { protocol: "HTTPS", tls })], []);
    const { port } = await plane(t);
    const body = await new Promise<string>((resolve, reject) => {
      const req = httpsRequest({ host: "127.0.0.1", port, servername: "secure.example.test", headers: { host: "secure.example.test" }, ca: cert.certificatePem, agent: false }, (res) => {
        let s = "";
        res.on("data", (d) => (s += d));
        res.on("end", () => resolve(s));
      });
      req.on("error", reject);
      req.end();
    });
    assert.equal(body, "over tls");
  });

  it("refuses what ALB refuses, and reports each request to the observer", async () => {
    const b = await backend("B");
    const calls: string[] = [];
    const observer: DataPlaneObserver = {
      connection: () => {},
      loadBalancerResponse: (lb, status) => calls.push(`lb ${lb} ${status}`),
      targetResponse: (lb, tg, status) => calls.push(`target ${lb} ${tg} ${status}`),
      targetFailure: (lb, tg, kind) => calls.push(`failure ${lb} ${tg} ${kind}`),
    };
    const t = table([listener(8080, [rule("default", forward("tg/b"))])], [targetGroup("tg/b", [target("b", b.port)])]);
    const { port } = await plane(t, healthyAll(t), observer);
    const cases: [string, number][] = [
      ["TRACE / HTTP/1.1\r\nHost: a\r\n\r\n", 405],
      ["CONNECT x:443 HTTP/1.1\r\nHost: x:443\r\n\r\n", 400],
      ["GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505],
      ["GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400],
      ["GET http://b.example/ HTTP/1.1\r\nHost: b.example\r\n\r\n", 400],
    ];
    for (const [req, status] of cases) assert.match(await rawExchange(port, req), new RegExp(`^HTTP/1\\.1 ${status} `), req.split("\r\n")[0]);
    assert.equal(b.seen.length, 0);
    assert.equal((await get(port, "/")).body, "B");
    await waitFor(() => calls.includes("target lb/1 tg/b 200"), "the target response reported");
  });

  it("a HAProxy left running by a Slipway killed with -9 is stopped by the next one", async () => {
    const script = `
      import { HaproxyDataPlane } from ${JSON.stringify(new URL("../../src/proxy/haproxy/haproxy-data-plane.ts", import.meta.url).href)};
      import { FakeHealth, listener, rule, table } from ${JSON.stringify(new URL("./helpers.ts", import.meta.url).href)};
      const dp = new HaproxyDataPlane({ health: new FakeHealth(), preferredPort: () => 0 });
      dp.apply(table([listener(8080, [rule("default", { type: "fixed-response", statusCode: "200", messageBody: "orphan" })])], []));
      await dp.ready();
      console.log("port " + dp.boundPort("listener/8080"));`;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d));
    await waitFor(() => /port \d+/.test(out), "the child's HAProxy to serve", 20_000);
    const port = Number(/port (\d+)/.exec(out)![1]);
    assert.equal((await get(port, "/")).body, "orphan");
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    assert.equal((await get(port, "/")).body, "orphan", "HAProxy outlived its Slipway");
    const logs: string[] = [];
    const next = new HaproxyDataPlane({ health: new FakeHealth(), log: (m) => logs.push(m) });
    cleanups.push(() => next.close());
    await waitFor(async () => get(port, "/").then(() => false, () => true), "the orphan to stop", 10_000);
    assert.ok(logs.some((m) => m.startsWith("stopped HAProxy ")), logs.join("\n"));
  });
});
