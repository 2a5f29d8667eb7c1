/**
 * Garbage-collection pauses of `slipway up` while its load balancer is busy and its API is quiet:
 *
 *   node bench/alb-gc-pauses.ts [--seconds 45] [--connections 20] [--tree DIR ...]
 *
 * For each tree (default: this one; pass `--tree` more than once, e.g. a `git worktree` of an
 * older commit, built with `npm run build`, to compare side by side in one run): `slipway up` from
 * that tree (bench/lib.ts's startSlipwayProcess: the V8 flags on its `bin/slipway.js` first line,
 * a fresh data dir) plus `--trace-gc`; an ALB with an HTTP listener on a free loopback port whose default action is a
 * fixed-response 200 (the AWS SDK makes them; those are the last API calls); then wrk runs
 * `--seconds` against the listener. Printed per tree: every mark-compact V8 ran during the wrk run
 * with its pause (a "(reduce) … testing" pair is Slipway's idle collection, src/server/idle-gc.ts;
 * the others are V8's own), and wrk's latency figures and rate. Each process started here is ended
 * by its PID. Needs `wrk` (apt-get install -y wrk).
 */
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { CreateListenerCommand, CreateLoadBalancerCommand, ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { freePort, onExitStop, type Proc, ROOT, sleep, startSlipwayProcess, table } from "./lib.ts";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "45" },
    connections: { type: "string", default: "20" },
    tree: { type: "string", multiple: true },
  },
});
const SECONDS = Number(values.seconds);
const trees = (values.tree ?? [ROOT]).map((t) => resolve(t));

const procs: Proc[] = [];
onExitStop(() => procs);

interface Result {
  tree: string;
  pauses: string[];
  idleCollections: number;
  latency: string;
}

async function run(tree: string): Promise<Result> {
  const slipway = await startSlipwayProcess({ root: tree, nodeFlags: ["--trace-gc"] });
  procs.push(slipway);
  let during = false;
  const pauses: string[] = [];
  let buf = "";
  slipway.child.stdout!.on("data", (d: Buffer) => {
    buf += d.toString();
    for (let i = buf.indexOf("\n"); i >= 0; i = buf.indexOf("\n")) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      const m = /(\d+) ms: (Mark-Compact(?: \(reduce\))?) .*?MB, pooled: \S+ MB, ([\d.]+) \/ [\d.]+ ms.*?(testing|finalize incremental marking via task|allocation failure|[a-z ]+); GC/.exec(line);
      if (during && m) pauses.push(`${m[2]} ${m[3]} ms (${m[4]!.trim()})`);
    }
  });
  try {
    const elb = new ElasticLoadBalancingV2Client({ endpoint: slipway.url, region: "us-east-1", credentials: { accessKeyId: "a", secretAccessKey: "b" } });
    const lb = (await elb.send(new CreateLoadBalancerCommand({ Name: "gc-pauses", Subnets: ["subnet-1", "subnet-2"] }))).LoadBalancers![0]!;
    const lport = await freePort();
    await elb.send(
      new CreateListenerCommand({
        LoadBalancerArn: lb.LoadBalancerArn,
        Protocol: "HTTP",
        Port: lport,
        DefaultActions: [{ Type: "fixed-response", FixedResponseConfig: { StatusCode: "200", ContentType: "text/plain", MessageBody: "ok" } }],
      }),
    );
    elb.destroy();
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(`http://127.0.0.1:${lport}/`)).status === 200) break;
      } catch {
        // not bound yet
      }
      if (i > 400) throw new Error("the listener did not answer within 20 s");
      await sleep(50);
    }
    during = true;
    const wrk = spawn("wrk", ["-t1", `-c${values.connections}`, `-d${SECONDS}s`, "--latency", `http://127.0.0.1:${lport}/`], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    wrk.stdout!.on("data", (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((r) => wrk.once("exit", r));
    during = false;
    if (code !== 0) throw new Error(`wrk exited ${code}`);
    const pick = (re: RegExp) => re.exec(out)?.[1] ?? "?";
    const latency = `p50 ${pick(/50%\s+(\S+)/)}, p99 ${pick(/99%\s+(\S+)/)}, max ${pick(/Latency\s+\S+\s+\S+\s+(\S+)/)}, ${pick(/Requests\/sec:\s+(\S+)/)} req/s`;
    return { tree, pauses, idleCollections: pauses.filter((p) => p.includes("testing")).length / 2, latency };
  } finally {
    await slipway.stop();
  }
}

const results: Result[] = [];
for (const tree of trees) results.push(await run(tree));
console.log(`wrk ${SECONDS} s, ${values.connections} connections, fixed-response listener, no API call during the run`);
console.log(
  table(
    ["tree", "mark-compacts during the run (atomic pause)", "idle collections", "wrk"],
    results.map((r) => [r.tree, r.pauses.join("; ") || "none", r.idleCollections, r.latency]),
  ),
);
