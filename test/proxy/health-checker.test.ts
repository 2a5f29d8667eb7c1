/**
 * The health checker's default HTTP probe against real node:http targets on 127.0.0.1, driven by a
 * ManualClock, and wired to the DataPlane (initial → 503, healthy → served).
 */
import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { ManualClock } from "../../src/core/clock.ts";
import { DataPlane } from "../../src/proxy/data-plane.ts";
import { HealthChecker } from "../../src/proxy/health-checker.ts";
import type { TargetHealth } from "../../src/proxy/target-health.ts";
import { type Backend, forward, get, listener, rule, startBackend, table, target, targetGroup, waitFor } from "./helpers.ts";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const fmt = (h: TargetHealth | undefined) => (h ? [h.state, h.reason, h.description].filter(Boolean).join(" / ") : "none");

async function backend(handler: Parameters<typeof startBackend>[1]): Promise<Backend> {
  const b = await startBackend("hc", handler);
  cleanups.push(() => b.close());
  return b;
}

function checker() {
  const clock = new ManualClock();
  const hc = new HealthChecker({ clock });
  cleanups.push(() => hc.close());
  return { clock, hc };
}

const hcSettings = { enabled: true, protocol: "HTTP", port: "traffic-port", path: "/health?deep=1", intervalSeconds: 5, timeoutSeconds: 2, healthyThreshold: 2, unhealthyThreshold: 2, matcher: "200,202" } as const;

describe("HealthChecker over HTTP", () => {
  it("GETs the path with ELB-HealthChecker/2.0 on a new connection each time and turns healthy", async () => {
    const ports: number[] = [];
    const b = await backend((req, res) => {
      ports.push(req.socket.remotePort!);
      res.writeHead(req.headers["user-agent"] === "ELB-HealthChecker/2.0" && req.url === "/health?deep=1" ? 202 : 500);
      res.end();
    });
    const { clock, hc } = checker();
    hc.update(table([], [targetGroup("tg", [target("t", b.port)], { healthCheck: hcSettings })]));
    await waitFor(() => hc.get("tg", "t", b.port)?.state === "healthy", "healthy");
    clock.advance(5000);
    await waitFor(() => ports.length === 2, "second check");
    assert.notEqual(ports[0], ports[1], "one TCP connection per check");
  });

  it("reports ResponseCodeMismatch, FailedHealthChecks and Timeout with the exact descriptions", async () => {
    let mode: "404" | "hang" = "404";
    const b = await backend((_req, res) => {
      if (mode === "hang") return;
      res.writeHead(404);
      res.end();
    });
    const { clock, hc } = checker();
    const tg = targetGroup("tg", [target("t", b.port)], { healthCheck: hcSettings });
    hc.update(table([], [tg]));
    const h = () => fmt(hc.get("tg", "t", b.port));
    await waitFor(() => b.seen.length === 1, "first check");
    clock.advance(5000);
    await waitFor(() => h() === "unhealthy / Target.ResponseCodeMismatch / Health checks failed with these codes: [404]", h());

    mode = "hang";
    clock.advance(5000);
    await waitFor(() => b.seen.length === 3, "hanging check");
    clock.advance(2000);
    await waitFor(() => h() === "unhealthy / Target.Timeout / Request timed out", h());

    await b.close();
    clock.advance(3000);
    await waitFor(() => h() === "unhealthy / Target.FailedHealthChecks / Health checks failed", h());
  });

  it("feeds the data plane: initial → 503, healthy → served", async () => {
    const b = await backend((req, res) => res.end(req.url === "/" ? "served" : ""));
    const { hc } = checker();
    const tg = targetGroup("tg", [target("t", b.port)], { healthCheck: { ...hcSettings, path: "/", matcher: "200" } });
    const t = table([listener(8080, [rule("default", forward("tg"))])], [tg]);
    const dp = new DataPlane({ health: hc, preferredPort: () => 0 });
    cleanups.push(() => dp.close());
    dp.apply(t);
    await dp.ready();
    const port = dp.boundPort("listener/8080")!;
    assert.equal((await get(port)).status, 503, "initial target gets no traffic");
    hc.update(t);
    await waitFor(() => hc.get("tg", "t", b.port)?.state === "healthy", "healthy");
    assert.equal((await get(port)).body, "served");
  });
});
