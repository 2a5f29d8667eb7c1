/**
 * Memory cost of idle keep-alive client connections on an ALB listener:
 *
 *   bash -c 'ulimit -n 65536; node bench/alb-memory.ts [--conns 10000] [--batch 250] [--hold 20]'
 *
 * Set-up (real `slipway up` child process, AWS SDK): an ALB with idle_timeout.timeout_seconds=600,
 * an `ip` target group (no targets) and an HTTP listener on a free loopback port whose default
 * action is a fixed-response 200 "ok". Baseline VmRSS is read after 200 warm-up requests (on
 * connections that are then closed) and a 3 s pause. Then `--conns` node:net sockets each send
 * one `GET / HTTP/1.1` (Connection: keep-alive), read the whole answer and stay open, opened
 * `--batch` at a time. VmRSS is sampled every 500 ms for `--hold` s while they sit idle; the
 * figure is the median of those samples. Then every socket is closed and VmRSS is read again
 * after 5 s. Per-connection cost = (idle median − baseline) / connections still open.
 */
import { connect, type Socket } from "node:net";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateTargetGroupCommand,
  ElasticLoadBalancingV2Client,
  ModifyLoadBalancerAttributesCommand,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { freePort, median, rssKiB, sleep, startSlipwayProcess, table } from "./lib.ts";

const { values } = parseArgs({
  options: { conns: { type: "string", default: "10000" }, batch: { type: "string", default: "250" }, hold: { type: "string", default: "20" } },
});
const CONNS = Number(values.conns);
const BATCH = Number(values.batch);
const HOLD_S = Number(values.hold);

const slipway = await startSlipwayProcess();
const elb = new ElasticLoadBalancingV2Client({
  endpoint: slipway.url,
  region: "us-east-1",
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
  maxAttempts: 1,
});
const sockets: Socket[] = [];
const stopAll = async () => {
  for (const s of sockets) s.destroy();
  elb.destroy();
  await slipway.stop();
};
process.once("SIGINT", () => void stopAll().then(() => process.exit(130)));
const watchdog = setTimeout(() => {
  console.error("alb-memory: 10 min bound reached");
  void stopAll().then(() => process.exit(2));
}, 10 * 60_000);
watchdog.unref();

const vm = (pid: number, key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"))![1]) / 1024;
const fds = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/limits`, "utf8").match(/Max open files\s+(\d+)/)![1];
  } catch {
    return "?";
  }
};

/** One request on a new socket; resolves once the whole fixed response has arrived. */
function openIdle(port: number, host: string, keep: boolean): Promise<Socket> {
  return new Promise((res, rej) => {
    const s = connect({ port, host: "127.0.0.1" });
    let buf = "";
    const timer = setTimeout(() => (s.destroy(), rej(new Error("no answer in 30 s"))), 30_000);
    s.setEncoding("utf8");
    s.once("error", (e) => (clearTimeout(timer), rej(e)));
    s.once("connect", () => s.write(`GET / HTTP/1.1\r\nHost: ${host}\r\nConnection: keep-alive\r\n\r\n`));
    s.on("data", (d: string) => {
      buf += d;
      const end = buf.indexOf("\r\n\r\n");
      if (end < 0) return;
      const len = Number(/content-length:\s*(\d+)/i.exec(buf.slice(0, end))?.[1] ?? 0);
      if (buf.length - end - 4 < len) return;
      clearTimeout(timer);
      if (!/^HTTP\/1\.1 200/.test(buf)) return rej(new Error(`unexpected answer: ${buf.slice(0, 200)}`));
      s.removeAllListeners("data");
      s.removeAllListeners("error");
      s.on("error", () => {});
      if (!keep) s.destroy();
      res(s);
    });
  });
}

try {
  const tg = (
    await elb.send(new CreateTargetGroupCommand({ Name: "mem-tg", Protocol: "HTTP", Port: 8080, VpcId: "vpc-0123456789abcdef0", TargetType: "ip" }))
  ).TargetGroups![0]!;
  void tg;
  const lb = (await elb.send(new CreateLoadBalancerCommand({ Name: "mem-alb", Subnets: ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"] })))
    .LoadBalancers![0]!;
  await elb.send(
    new ModifyLoadBalancerAttributesCommand({ LoadBalancerArn: lb.LoadBalancerArn, Attributes: [{ Key: "idle_timeout.timeout_seconds", Value: "600" }] }),
  );
  const port = await freePort();
  await elb.send(
    new CreateListenerCommand({
      LoadBalancerArn: lb.LoadBalancerArn,
      Protocol: "HTTP",
      Port: port,
      DefaultActions: [{ Type: "fixed-response", FixedResponseConfig: { StatusCode: "200", ContentType: "text/plain", MessageBody: "ok" } }],
    }),
  );
  const host = lb.DNSName!;
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      await openIdle(port, host, false);
      break;
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await sleep(100);
    }
  }
  for (let i = 0; i < 200; i += 20) await Promise.all(Array.from({ length: 20 }, () => openIdle(port, host, false)));
  await sleep(3000);
  const pid = slipway.pid;
  const before = rssKiB(pid) / 1024;
  console.log(`slipway pid ${pid}, max open files ${fds(pid)}, baseline RSS ${before.toFixed(1)} MiB`);

  let closed = 0;
  let failed = 0;
  const t0 = performance.now();
  for (let i = 0; i < CONNS; i += BATCH) {
    const n = Math.min(BATCH, CONNS - i);
    const rs = await Promise.allSettled(Array.from({ length: n }, () => openIdle(port, host, true)));
    for (const r of rs) {
      if (r.status === "rejected") {
        failed++;
        if (failed <= 3) console.log("open failed:", r.reason?.message ?? r.reason);
        continue;
      }
      sockets.push(r.value);
      r.value.once("close", () => closed++);
    }
  }
  const openMs = performance.now() - t0;
  console.log(`opened ${sockets.length} (failed ${failed}) in ${(openMs / 1000).toFixed(1)} s; RSS ${(rssKiB(pid) / 1024).toFixed(1)} MiB`);

  const samples: number[] = [];
  for (let t = 0; t < HOLD_S * 2; t++) {
    await sleep(500);
    samples.push(rssKiB(pid) / 1024);
  }
  const idle = median(samples);
  const idleMax = Math.max(...samples);
  const closedIdle = closed;
  const open = sockets.length - closedIdle;
  // Still served? One more request on a new connection.
  const probe = await openIdle(port, host, false).then(
    () => "200",
    (e) => `failed: ${e.message}`,
  );
  for (const s of sockets) s.destroy();
  await sleep(5000);
  const after = rssKiB(pid) / 1024;
  const hwm = vm(pid, "VmHWM");

  const perConn = ((idle - before) * 1024) / open;
  console.log(`\n### ALB listener: ${CONNS} idle keep-alive connections (fixed-response listener, idle timeout 600 s)`);
  console.log(
    table(
      ["connections asked", "opened", "open failures", "closed by server while idle", "open time s", "RSS baseline MiB", "RSS idle median MiB", "RSS idle max MiB", "KiB per connection", "RSS 5 s after closing MiB", "VmHWM MiB", "new request while held"],
      [[CONNS, sockets.length, failed, closedIdle, (openMs / 1000).toFixed(1), before, idle, idleMax, perConn, after, hwm, probe]],
    ),
  );
} finally {
  clearTimeout(watchdog);
  await stopAll();
}
