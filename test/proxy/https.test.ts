/**
 * HTTPS listeners in the data plane: TLS terminated with the certificate SNI selects (the default
 * one without SNI or without a match), the listener's security policy enforced, X-Forwarded-Proto
 * https, the HTTP → HTTPS redirect, and bad input (a malformed client hello, a client whose
 * versions the policy refuses, a listener with no usable certificate) closed cleanly while the
 * listener keeps serving.
 */
import assert from "node:assert/strict";
import { type IncomingHttpHeaders, request } from "node:http";
import { request as httpsRequest } from "node:https";
import { connect as netConnect, createServer as createNetServer } from "node:net";
import { connect as tlsConnect, type PeerCertificate } from "node:tls";
import { afterEach, before, describe, it } from "node:test";
import { DataPlane } from "../../src/proxy/data-plane.ts";
import type { ListenerTls, RoutingTable, TlsCertificate } from "../../src/proxy/routing-table.ts";
import { sslPolicy } from "../../src/services/elbv2/ssl-policies.ts";
import { selfSigned, type TestCert } from "../helpers/certs.ts";
import { FakeHealth, forward, listener, rule, startBackend, table, target, targetGroup } from "./helpers.ts";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

let certA: TestCert;
let certB: TestCert;
before(async () => {
  certA = await selfSigned(["a.example.test", "*.a.example.test"]);
  certB = await selfSigned(["b.example.test"]);
});

const tlsCert = (arn: string, c: TestCert, names: string[]): TlsCertificate => ({ arn, certificatePem: c.certificatePem, chainPem: "", privateKeyPem: c.privateKeyPem, names });
const policy = (name: string): ListenerTls["policy"] => {
  const p = sslPolicy(name)!;
  return { name: p.name, protocols: p.protocols, ciphers: p.ciphers };
};

async function plane(t: RoutingTable, preferred: () => number = () => 0): Promise<DataPlane> {
  const health = new FakeHealth();
  for (const tg of t.targetGroups.values()) for (const x of tg.targets) health.set(tg.arn, x.id, x.port, "healthy");
  const dp = new DataPlane({ health, preferredPort: preferred });
  cleanups.push(() => dp.close());
  dp.apply(t);
  await dp.ready();
  return dp;
}

/** The certificate the listener presents for `servername` (undefined: no SNI). */
function presented(port: number, servername?: string, o: { maxVersion?: "TLSv1.2" | "TLSv1.3" } = {}): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const s = tlsConnect({ host: "127.0.0.1", port, ...(servername ? { servername } : {}), rejectUnauthorized: false, ...o }, () => {
      resolve(s.getPeerCertificate());
      s.end();
    });
    s.on("error", reject);
  });
}

function httpsGet(port: number, host: string, ca: string, path = "/"): Promise<{ status: number; body: string; headers: IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: "127.0.0.1", port, path, servername: host, headers: { host }, ca, agent: false }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("HTTPS listeners", () => {
  it("terminate TLS with the certificate SNI selects, verify against the issuer, and forward with X-Forwarded-Proto https", async () => {
    const b = await startBackend("secure", (req, res) => res.end(`proto=${req.headers["x-forwarded-proto"]} port=${req.headers["x-forwarded-port"]}`));
    cleanups.push(() => b.close());
    const tls: ListenerTls = {
      policy: policy("ELBSecurityPolicy-TLS13-1-2-2021-06"),
      certificates: [tlsCert("cert/a", certA, ["a.example.test", "*.a.example.test"]), tlsCert("cert/b", certB, ["b.example.test"])],
    };
    const t = table([listener(443, [rule("default", forward("tg/s"))], { protocol: "HTTPS", tls })], [targetGroup("tg/s", [target("s", b.port)])]);
    const dp = await plane(t);
    const port = dp.boundPort("listener/443")!;
    assert.match(String((await presented(port, "b.example.test")).subject.CN), /^b\.example\.test$/);
    assert.match(String((await presented(port, "x.a.example.test")).subject.CN), /^a\.example\.test$/, "wildcard match");
    assert.match(String((await presented(port, "unknown.example.test")).subject.CN), /^a\.example\.test$/, "no match: the default");
    assert.match(String((await presented(port)).subject.CN), /^a\.example\.test$/, "no SNI: the default");
    const r = await httpsGet(port, "b.example.test", certB.certificatePem);
    assert.deepEqual([r.status, r.body], [200, "proto=https port=443"]);
    const ra = await httpsGet(port, "www.a.example.test", certA.certificatePem);
    assert.equal(ra.status, 200, "verified with the CA that issued the default certificate");
  });

  it("enforce the security policy: a TLS 1.2 client is refused by a TLS 1.3-only policy, and the listener keeps serving", async () => {
    const t = table(
      [listener(443, [rule("default", { type: "fixed-response", statusCode: "200", messageBody: "tls13" })], { protocol: "HTTPS", tls: { policy: policy("ELBSecurityPolicy-TLS13-1-3-2021-06"), certificates: [tlsCert("cert/a", certA, ["a.example.test"])] } })],
      [],
    );
    const dp = await plane(t);
    const port = dp.boundPort("listener/443")!;
    await assert.rejects(presented(port, "a.example.test", { maxVersion: "TLSv1.2" }));
    assert.equal((await httpsGet(port, "a.example.test", certA.certificatePem)).body, "tls13");
  });

  it("close malformed client hellos and handshakes with no usable certificate cleanly, and keep serving", async () => {
    const t = table(
      [
        listener(443, [rule("default", { type: "fixed-response", statusCode: "200", messageBody: "ok" })], { protocol: "HTTPS", tls: { policy: policy("ELBSecurityPolicy-2016-08"), certificates: [tlsCert("cert/a", certA, ["a.example.test"])] } }),
        listener(8443, [rule("default", { type: "fixed-response", statusCode: "200", messageBody: "none" })], {
          listenerArn: "listener/nocert",
          loadBalancerArn: "lb/2",
          dnsName: "nocert-00000002.us-east-1.elb.localhost",
          protocol: "HTTPS",
          tls: { policy: policy("ELBSecurityPolicy-2016-08"), certificates: [] },
        }),
      ],
      [],
    );
    const dp = await plane(t);
    const port = dp.boundPort("listener/443")!;
    const hellos = [
      Buffer.from("16030100050102030405", "hex"), // a handshake record with a bogus body
      Buffer.from("1603010200", "hex"), // a record header that promises 512 bytes, then close
      Buffer.from("GET / HTTP/1.1\r\nHost: a.example.test\r\n\r\n"), // plain HTTP on the TLS port
      Buffer.alloc(2048, 0x16),
    ];
    for (const h of hellos) {
      await new Promise<void>((resolve) => {
        const s = netConnect(port, "127.0.0.1", () => s.end(h));
        s.on("error", () => resolve());
        s.on("close", () => resolve());
        s.resume();
      });
    }
    assert.equal((await httpsGet(port, "a.example.test", certA.certificatePem)).body, "ok");
    const noCert = dp.boundPort("listener/nocert")!;
    await assert.rejects(presented(noCert, "a.example.test"), "no certificate: the handshake is refused");
    assert.equal((await httpsGet(port, "a.example.test", certA.certificatePem)).body, "ok", "still serving");
  });

  it("share one HTTPS port between two load balancers: SNI picks each one's certificate, Host picks its app", async () => {
    const a = await startBackend("app A");
    const b = await startBackend("app B");
    cleanups.push(() => a.close(), () => b.close());
    const blocker = createNetServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
    const port = (blocker.address() as { port: number }).port;
    await new Promise<void>((r) => blocker.close(() => r()));
    const p = policy("ELBSecurityPolicy-TLS13-1-2-2021-06");
    const t = table(
      [
        listener(port, [rule("default", forward("tg/a"))], { listenerArn: "l/a", loadBalancerArn: "lb/a", dnsName: "a.example.test", protocol: "HTTPS", tls: { policy: p, certificates: [tlsCert("cert/a", certA, ["a.example.test"])] } }),
        listener(port, [rule("default", forward("tg/b"))], { listenerArn: "l/b", loadBalancerArn: "lb/b", dnsName: "b.example.test", protocol: "HTTPS", tls: { policy: p, certificates: [tlsCert("cert/b", certB, ["b.example.test"])] } }),
      ],
      [targetGroup("tg/a", [target("a", a.port)]), targetGroup("tg/b", [target("b", b.port)])],
    );
    const dp = await plane(t, () => port);
    assert.equal(dp.boundPort("l/a"), port);
    assert.equal(dp.boundPort("l/b"), port);
    assert.equal((await httpsGet(port, "a.example.test", certA.certificatePem)).body, "app A");
    assert.equal((await httpsGet(port, "b.example.test", certB.certificatePem)).body, "app B");
  });

  it("redirect HTTP to HTTPS with the tutorials' action (301, https://host:443/path?query)", async () => {
    const t = table([listener(8080, [rule("default", { type: "redirect", protocol: "HTTPS", port: "443", statusCode: "HTTP_301" })])], []);
    const dp = await plane(t);
    const port = dp.boundPort("listener/8080")!;
    const r = await new Promise<{ status: number; location: string | undefined }>((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port, path: "/shop/cart?id=7", headers: { host: "www.example.test:8080" }, agent: false }, (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0, location: res.headers.location });
      });
      req.on("error", reject);
      req.end();
    });
    assert.deepEqual(r, { status: 301, location: "https://www.example.test:443/shop/cart?id=7" });
  });
});
