/**
 * The long fuzzing run: the same campaign as the test suite's short run (test/fuzz/campaign.ts),
 * with as many inputs as asked.
 *
 *   node bench/fuzz.ts --inputs 1000000 [--registry 100000] [--data-plane 100000] [--seed 1]
 *                      [--protocols awsQuery,ec2Query] [--until 2026-12-07T03:00:00Z] [--dp-concurrency 8]
 *                      [--data-plane-kind node|haproxy]
 *
 * --inputs is per API protocol Slipway serves (awsJson1_1, awsQuery, ec2Query, and any other a
 * registered service speaks); --registry and --data-plane default to a tenth of it (0 skips a
 * part). --protocols fuzzes only those API protocols (they take turns input by input). --until
 * ends the run at that time whatever the counts, and the counts printed are the inputs actually
 * sent. --dp-concurrency sends that many data plane inputs at once (default 8). --data-plane-kind
 * haproxy sends the data plane inputs to the HAProxy data plane (Debian's haproxy, configured from
 * the same routing table) instead of the Node one. It prints
 * progress, then the counts per protocol, the registry and the data plane, the live heap before
 * and after, and each distinct finding with its seed and input number (a finding is reproduced by
 * running the same seed). Exit code 1 when anything was found.
 */
import { parseArgs } from "node:util";
import type { Protocol } from "../src/aws/service.ts";
import { runCampaign } from "../test/fuzz/campaign.ts";

const { values } = parseArgs({
  options: {
    inputs: { type: "string", default: "100000" },
    registry: { type: "string" },
    "data-plane": { type: "string" },
    seed: { type: "string", default: "1" },
    protocols: { type: "string" },
    until: { type: "string" },
    "dp-concurrency": { type: "string", default: "8" },
    "data-plane-kind": { type: "string", default: "node" },
  },
});
const inputs = Number(values.inputs);
const registryInputs = Number(values.registry ?? Math.ceil(inputs / 10));
const dataPlaneInputs = Number(values["data-plane"] ?? Math.ceil(inputs / 10));
const seed = Number(values.seed);
const dataPlaneKind = values["data-plane-kind"];
if (dataPlaneKind !== "node" && dataPlaneKind !== "haproxy") throw new Error(`--data-plane-kind ${dataPlaneKind}: node or haproxy`);
const protocols = values.protocols ? (values.protocols.split(",") as Protocol[]) : undefined;
const until = values.until ? Date.parse(values.until) : Number.POSITIVE_INFINITY;
if (Number.isNaN(until)) throw new Error(`--until ${values.until} is not a date`);
let stoppedEarly = false;
const shouldStop = () => {
  if (Date.now() < until) return false;
  stoppedEarly = true;
  return true;
};

const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(0)} s`;
console.log(
  `fuzz: seed ${seed}, ${inputs} inputs per API protocol${protocols ? ` (${protocols.join(", ")})` : ""}, ${registryInputs} registry, ${dataPlaneInputs} data plane (${dataPlaneKind}) (${new Date().toISOString()})`,
);
const r = await runCampaign({
  seed,
  apiInputsPerProtocol: inputs,
  registryInputs,
  dataPlaneInputs,
  dataPlaneConcurrency: Number(values["dp-concurrency"]),
  dataPlaneKind,
  ...(protocols ? { protocols } : {}),
  shouldStop,
  progress: (what, done) => {
    if (done % 10_000 === 0) console.log(`  ${what}: ${done} (${elapsed()})`);
  },
});

console.log(`\nAPI, per protocol:`);
for (const [protocol, c] of Object.entries(r.api.counts)) {
  console.log(`  ${protocol.padEnd(12)} inputs ${c.inputs}  2xx ${c.ok2xx}  4xx ${c.err4xx}  501 ${c.notImplemented}  failures ${c.failures}`);
}
const rc = r.registry.counts;
console.log(`registry       inputs ${rc.inputs}  2xx ${rc.ok2xx}  3xx ${rc.other3xx}  4xx ${rc.err4xx}  failures ${rc.failures}`);
const dc = r.dataPlane.counts;
console.log(`data plane     inputs ${dc.inputs}  answered ${dc.answered}  closed without answer ${dc.closedWithoutAnswer}  failures ${dc.failures}`);
console.log(`               statuses ${JSON.stringify(dc.byStatus)}`);
const mib = (b: number) => `${(b / 1048576).toFixed(1)} MiB`;
console.log(`live heap      ${mib(r.heap.before)} before, ${mib(r.heap.after)} after`);
console.log(`duration       ${elapsed()}${stoppedEarly ? ` (stopped at --until ${values.until})` : ""} (${new Date().toISOString()})`);

const findings = [...r.api.findings, ...r.registry.findings, ...r.dataPlane.findings];
const distinct = new Map<string, (typeof findings)[number]>();
for (const f of findings) if (!distinct.has(f.what.slice(0, 160))) distinct.set(f.what.slice(0, 160), f);
console.log(`\nfindings: ${findings.length} (${distinct.size} distinct)`);
for (const f of distinct.values()) console.log(`\n- seed ${f.seed}, input ${f.input}: ${f.what}\n${f.request}`);
for (const l of r.logged) console.log(`logged: ${l.slice(0, 500)}`);
process.exit(findings.length > 0 || r.logged.length > 0 ? 1 : 0);
