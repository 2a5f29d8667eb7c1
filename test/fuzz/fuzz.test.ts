/**
 * The short fuzzing run of the test suite (the long one is `node bench/fuzz.ts`): a few thousand
 * mutated inputs per API protocol Slipway serves, against the registry's routes and against a load
 * balancer listener over raw sockets (test/fuzz/campaign.ts). Zero findings allowed: no 5xx (but
 * 501 for unimplemented operations), no answer outside the protocol's shape, no hang, nothing
 * logged as a failure, and a live heap that does not grow with the inputs. The seed is fixed, so a
 * failure here is reproduced by running the same campaign; FUZZ_SEED picks another. A second run
 * sends data plane inputs to the HAProxy data plane (skipped where haproxy is absent).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { haproxyAvailable } from "../../src/proxy/haproxy/haproxy-data-plane.ts";
import { runCampaign } from "./campaign.ts";

const seed = Number(process.env["FUZZ_SEED"] ?? 20261206);

test(`short fuzz run (seed ${seed})`, { timeout: 300_000 }, async () => {
  const r = await runCampaign({ seed, apiInputsPerProtocol: 2000, registryInputs: 1000, dataPlaneInputs: 1000, dataPlaneConcurrency: 8 });
  const report = {
    api: r.api.counts,
    registry: r.registry.counts,
    dataPlane: r.dataPlane.counts,
    heapMiB: { before: +(r.heap.before / 1048576).toFixed(1), after: +(r.heap.after / 1048576).toFixed(1) },
  };
  console.log(`# fuzz ${JSON.stringify(report)}`);
  const findings = [...r.api.findings, ...r.registry.findings, ...r.dataPlane.findings];
  for (const f of findings.slice(0, 30)) console.log(`# finding (seed ${f.seed}, input ${f.input}): ${f.what}\n${f.request}`);
  assert.equal(findings.length, 0, `${findings.length} findings`);
  assert.deepEqual(r.logged, []);
  // The inputs create resources (rows on disk, not in the heap); a leak per input would show here.
  assert.ok(r.heap.after - r.heap.before < 24 * 1024 * 1024, `live heap grew ${((r.heap.after - r.heap.before) / 1048576).toFixed(1)} MiB`);
  for (const c of Object.values(r.api.counts)) assert.ok(c.ok2xx > 0 && c.err4xx > 0, "each protocol saw both answers and errors");
});

test(`short fuzz run of the HAProxy data plane (seed ${seed})`, { timeout: 300_000 }, async (t) => {
  const why = await haproxyAvailable();
  if (why) {
    t.skip(`haproxy is not available: ${why}`);
    return;
  }
  const r = await runCampaign({ seed, apiInputsPerProtocol: 0, registryInputs: 0, dataPlaneInputs: 1000, dataPlaneConcurrency: 8, dataPlaneKind: "haproxy" });
  console.log(`# fuzz haproxy ${JSON.stringify(r.dataPlane.counts)}`);
  for (const f of r.dataPlane.findings.slice(0, 30)) console.log(`# finding (seed ${f.seed}, input ${f.input}): ${f.what}\n${f.request}`);
  assert.equal(r.dataPlane.counts.inputs, 1000);
  assert.ok(r.dataPlane.counts.answered > 0, "HAProxy answered inputs");
  assert.equal(r.dataPlane.findings.length, 0, `${r.dataPlane.findings.length} findings`);
  assert.deepEqual(r.logged, []);
});
