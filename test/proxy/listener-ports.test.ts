/**
 * A listener whose port cannot be bound on 127.0.0.1 (taken by another program here) moves to its
 * documented fallback port, serves there, and /_slipway/listeners reports the mapping.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import * as elb from "@aws-sdk/client-elastic-load-balancing-v2";
import { systemClock } from "../../src/core/clock.ts";
import { FakeRuntime } from "../../src/runtime/fake-runtime.ts";
import { listenerHostPort } from "../../src/proxy/host-ports.ts";
import { type Slipway, startSlipway } from "../../src/server/slipway.ts";

describe("listener host ports", () => {
  test("listenerHostPort: the port itself, else +18000 below 1024 and +10000 above, then the next one", () => {
    assert.equal(listenerHostPort(80, new Set()), 80);
    assert.equal(listenerHostPort(80, new Set([80])), 18080);
    assert.equal(listenerHostPort(80, new Set([80, 18080])), 18081);
    assert.equal(listenerHostPort(8081, new Set([8081])), 18081);
    assert.equal(listenerHostPort(60000, new Set([60000])), 20000);
  });

  let dir: string;
  let s: Slipway;
  let squatter: Server;
  let taken: number;
  const logs: string[] = [];
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "slipway-ports-"));
    s = await startSlipway({ port: 0, dataDir: dir, runtime: new FakeRuntime({ clock: systemClock }), log: (m) => logs.push(m) });
    squatter = createServer((_req, res) => res.end("squatter"));
    await new Promise<void>((resolve) => squatter.listen(0, "127.0.0.1", resolve));
    taken = (squatter.address() as AddressInfo).port;
  });
  after(async () => {
    await s.close();
    await new Promise<void>((resolve) => squatter.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  test("a taken listener port moves to its fallback port and serves there", async () => {
    const client = new elb.ElasticLoadBalancingV2Client({ endpoint: s.url, region: "us-east-1", credentials: { accessKeyId: "a", secretAccessKey: "b" } });
    const lb = await client.send(new elb.CreateLoadBalancerCommand({ Name: "ports", Subnets: ["subnet-1", "subnet-2"] }));
    const lbArn = lb.LoadBalancers![0]!.LoadBalancerArn!;
    await client.send(
      new elb.CreateListenerCommand({
        LoadBalancerArn: lbArn,
        Protocol: "HTTP",
        Port: taken,
        DefaultActions: [{ Type: "fixed-response", FixedResponseConfig: { StatusCode: "200", ContentType: "text/plain", MessageBody: "from slipway" } }],
      }),
    );
    const expected = listenerHostPort(taken, new Set([taken]));
    const deadline = Date.now() + 10_000;
    let report: { listeners: { port: number; hostPort: number; boundPort: number | null }[] } = { listeners: [] };
    while (Date.now() < deadline) {
      report = (await (await fetch(`${s.url}/_slipway/listeners`)).json()) as typeof report;
      if (report.listeners[0]?.boundPort === expected) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.deepEqual(
      report.listeners.map((l) => [l.port, l.hostPort, l.boundPort]),
      [[taken, expected, expected]],
    );
    assert.equal(await (await fetch(`http://127.0.0.1:${expected}/`)).text(), "from slipway");
    assert.equal(await (await fetch(`http://127.0.0.1:${taken}/`)).text(), "squatter", "the other program keeps its port");
    const listed = await client.send(new elb.DescribeListenersCommand({ LoadBalancerArn: lbArn }));
    assert.equal(listed.Listeners![0]!.Port, taken, "the API still reports the listener's own port");
    // ... and says where it is served instead, as does the log.
    const described = await client.send(new elb.DescribeLoadBalancersCommand({ LoadBalancerArns: [lbArn] }));
    assert.deepEqual(described.LoadBalancers![0]!.State, {
      Code: "active",
      Reason: `HTTP listener on port ${taken}: 127.0.0.1:${taken} cannot be bound (EADDRINUSE); served on 127.0.0.1:${expected} instead`,
    });
    assert.ok(
      logs.some((m) => m.endsWith(`cannot bind 127.0.0.1:${taken} (EADDRINUSE); moving it to 127.0.0.1:${expected}`)),
      logs.join("\n"),
    );
    const report2 = (await (await fetch(`${s.url}/_slipway/listeners`)).json()) as { listeners: { note?: string; dnsName: string }[] };
    assert.equal(report2.listeners[0]!.note, `127.0.0.1:${taken} cannot be bound (EADDRINUSE); served on 127.0.0.1:${expected} instead`);
    assert.equal(report2.listeners[0]!.dnsName, described.LoadBalancers![0]!.DNSName);
  });
});
