/**
 * One fuzzing campaign, shared by the test suite's short run (test/fuzz/fuzz.test.ts) and the long
 * run (bench/fuzz.ts): a Slipway on the fake container runtime and a manual clock, the resources of
 * world.ts, one pushed image, then the API per protocol, the registry, and a data plane listener
 * forwarding to a local target. It reports counts, findings, and the live heap before and after.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Protocol } from "../../src/aws/service.ts";
import { ManualClock } from "../../src/core/clock.ts";
import { seededIds } from "../../src/core/ids.ts";
import { DataPlane } from "../../src/proxy/data-plane.ts";
import { HaproxyDataPlane } from "../../src/proxy/haproxy/haproxy-data-plane.ts";
import { FakeRuntime } from "../../src/runtime/fake-runtime.ts";
import { startSlipway } from "../../src/server/slipway.ts";
import { FakeHealth, forward, listener, rule, table, target, targetGroup } from "../proxy/helpers.ts";
import { type ApiFuzzResult, fuzzApi } from "./api.ts";
import { type DataPlaneFuzzResult, fuzzDataPlane } from "./data-plane.ts";
import { fuzzRegistry, pushFuzzImage, type RegistryFuzzResult } from "./registry.ts";
import { prepareWorld } from "./world.ts";
import { v8Gc } from "../../src/core/gc.ts";

export interface CampaignOptions {
  readonly seed: number;
  readonly apiInputsPerProtocol: number;
  readonly registryInputs: number;
  readonly dataPlaneInputs: number;
  readonly progress?: (what: string, done: number) => void;
  /** The API protocols to fuzz (default: all of them). */
  readonly protocols?: readonly Protocol[];
  /** Which data plane the data plane inputs go to: the Node one (default) or HAProxy, driven from the same routing table. */
  readonly dataPlaneKind?: "node" | "haproxy";
  /** Data plane connections in flight at once (default 1). */
  readonly dataPlaneConcurrency?: number;
  /** Asked between inputs: true ends each phase early (a long run with a deadline). */
  readonly shouldStop?: () => boolean;
}

export interface CampaignResult {
  readonly api: ApiFuzzResult;
  readonly registry: RegistryFuzzResult;
  readonly dataPlane: DataPlaneFuzzResult;
  /** Live heap (after a full GC), bytes: once the world is set up, and after all inputs. */
  readonly heap: { readonly before: number; readonly after: number };
  /** Log lines that name a failure (also counted as findings where they belong to an input). */
  readonly logged: readonly string[];
}

export async function runCampaign(opts: CampaignOptions): Promise<CampaignResult> {
  const gc = v8Gc();
  const liveHeap = () => {
    gc();
    gc();
    return process.memoryUsage().heapUsed;
  };
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const dataDir = mkdtempSync(join(tmpdir(), "slipway-fuzz-"));
  const logged: string[] = [];
  const log = (m: string) => logged.push(m);
  // The gateway reports internal failures on the console; the campaign reads them as findings.
  // Warnings too: anything a client can make Slipway print is a finding (a log it can flood).
  const consoleError = console.error;
  const consoleWarn = console.warn;
  const text = (args: unknown[]) => args.map((a) => (a instanceof Error ? (a.stack ?? a.message) : typeof a === "object" ? inspectShallow(a) : String(a))).join(" ");
  console.error = (...args: unknown[]) => logged.push(text(args));
  console.warn = (...args: unknown[]) => logged.push(`warning: ${text(args)}`);
  const s = await startSlipway({ port: 0, dataDir, runtime: new FakeRuntime({ clock }), clock, ids: seededIds(`fuzz-${opts.seed}`), registry: { autoCreateRepositories: true }, log });
  const upstream = createServer((req, res) => {
    req.resume();
    req.on("end", () => res.end("target"));
  });
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
  const health = new FakeHealth();
  const dp: DataPlane | HaproxyDataPlane = opts.dataPlaneKind === "haproxy" ? new HaproxyDataPlane({ health, preferredPort: () => 0, log }) : new DataPlane({ health, preferredPort: () => 0 });
  try {
    const pools = await prepareWorld(s.url);
    const image = await pushFuzzImage(s.url);
    const upstreamPort = (upstream.address() as AddressInfo).port;
    const t = table([listener(8080, [rule("default", forward("tg/fuzz"))])], [targetGroup("tg/fuzz", [target("t", upstreamPort)])]);
    health.set("tg/fuzz", "t", upstreamPort, "healthy");
    dp.apply(t);
    await dp.ready();
    const dpPort = dp.boundPort("listener/8080");
    if (!dpPort) throw new Error("the fuzz listener is not bound");

    const before = liveHeap();
    const api = await fuzzApi({
      gateway: s.gateway,
      url: s.url,
      pools,
      seed: opts.seed,
      inputsPerProtocol: opts.apiInputsPerProtocol,
      ...(opts.protocols ? { protocols: opts.protocols } : {}),
      ...(opts.shouldStop ? { shouldStop: opts.shouldStop } : {}),
      logged: () => logged,
      progress: (p, n) => opts.progress?.(p, n),
    });
    const registry = await fuzzRegistry({ url: s.url, image, seed: opts.seed, inputs: opts.registryInputs, logged: () => logged, progress: (n) => opts.progress?.("registry", n), ...(opts.shouldStop ? { shouldStop: opts.shouldStop } : {}) });
    const dataPlane = await fuzzDataPlane({ port: dpPort, host: "fuzz.example", seed: opts.seed, inputs: opts.dataPlaneInputs, concurrency: opts.dataPlaneConcurrency ?? 1, progress: (n) => opts.progress?.("data plane", n), ...(opts.shouldStop ? { shouldStop: opts.shouldStop } : {}) });
    await s.idle();
    const after = liveHeap();
    return { api, registry, dataPlane, heap: { before, after }, logged: logged.filter((l) => /fail|error|uncaught|^warning:/i.test(l)) };
  } finally {
    console.error = consoleError;
    console.warn = consoleWarn;
    await dp.close();
    upstream.closeAllConnections();
    await new Promise<void>((resolve) => upstream.close(() => resolve()));
    await s.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function inspectShallow(o: object | null): string {
  try {
    return JSON.stringify(o, (_k, v) => (v instanceof Error ? (v.stack ?? v.message) : v)).slice(0, 2000);
  } catch {
    return String(o);
  }
}
