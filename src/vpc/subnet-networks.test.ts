/** Subnet networks on FakeRuntime (collisions with Docker networks and host routes), the kernel record on a fake iptables, the drop log's parsing. */
import assert from "node:assert/strict";
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { spawn, spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { ManualClock } from "../core/clock.ts";
import { FakeRuntime } from "../runtime/fake-runtime.ts";
import type { Run } from "../task-endpoint/address.ts";
import { DropLog, parseDrop, parseKmsg } from "./drop-log.ts";
import { collectVpcOrphans, Kernel, saveArgs, tearDownVpcKernel } from "./kernel.ts";
import { SubnetNetworks } from "./subnet-networks.ts";

const INSTANCE = "1a2b3c4d-0000-4000-8000-000000000000";
const routes = (stdout: string): Run => async () => ({ code: 0, stdout, stderr: "" });

describe("subnet networks", () => {
  test("a network per subnet with its range; base+1..3 kept; the bridge named for the instance", async () => {
    const rt = new FakeRuntime({ clock: new ManualClock() });
    const nets = new SubnetNetworks({ runtime: rt, instanceId: INSTANCE, run: routes("default via 192.0.2.1 dev eth0\n192.0.2.0/24 dev eth0 proto kernel\n") });
    const r = await nets.ensure({ id: "subnet-0123456789abcdef0", vpcId: "vpc-1", cidr: "10.0.1.0/24" });
    assert.deepEqual(r, { name: "slipway-1a2b3c4d-subnet-0123456789abcdef0" });
    const listed = (await rt.networks()).find((n) => n.name === "slipway-1a2b3c4d-subnet-0123456789abcdef0")!;
    assert.deepEqual(listed.subnets, ["10.0.1.0/24"]);
    assert.equal(listed.bridge, "slw1a2b9abcdef0");
    assert.equal(listed.labels["slipway.subnet"], "subnet-0123456789abcdef0");
    assert.equal(nets.bridgeName("subnet-0123456789abcdef0").length <= 15, true);
    await nets.sync(new Set());
    assert.equal((await rt.networks()).length, 0, "no subnet wants it any more: removed");
  });

  test("a collision with another Docker network or a host route is refused with what collides and the fix", async () => {
    const rt = new FakeRuntime({ clock: new ManualClock() });
    await rt.createNetwork({ name: "compose_default", labels: {}, subnet: "172.31.0.0/16", gateway: "172.31.0.1" });
    const nets = new SubnetNetworks({ runtime: rt, instanceId: INSTANCE, run: routes("10.9.0.0/16 via 192.0.2.1 dev eth0\n") });
    const docker = await nets.ensure({ id: "subnet-aaaaaaaaaaaaaaaaa", vpcId: "vpc-d", cidr: "172.31.0.0/20" });
    assert.ok("error" in docker);
    assert.match(docker.error, /^Subnet subnet-aaaaaaaaaaaaaaaaa \(172\.31\.0\.0\/20\) of vpc-d overlaps Docker network "compose_default" \(172\.31\.0\.0\/16\) on this host/);
    assert.match(docker.error, /never moves a subnet to another range/);
    assert.match(docker.error, /docker network rm compose_default/);
    assert.match(docker.error, /default-address-pools/);
    const route = await nets.ensure({ id: "subnet-bbbbbbbbbbbbbbbbb", vpcId: "vpc-e", cidr: "10.9.4.0/24" });
    assert.ok("error" in route);
    assert.match(route.error, /overlaps the host route 10\.9\.0\.0\/16 \(dev eth0\).*give this VPC a CIDR outside 10\.9\.0\.0\/16/);

    const other = new SubnetNetworks({ runtime: rt, instanceId: "ffff0000-0000-4000-8000-000000000000", run: routes("") });
    assert.ok("name" in (await other.ensure({ id: "subnet-ccccccccccccccccc", vpcId: "vpc-f", cidr: "10.50.1.0/24" })));
    const clash = await nets.ensure({ id: "subnet-ddddddddddddddddd", vpcId: "vpc-g", cidr: "10.50.0.0/16" });
    assert.ok("error" in clash);
    assert.match(clash.error, /of another Slipway on this host \(instance ffff0000-.*\).*slipway clean/);
  });
});

describe("kernel record", () => {
  test("jumps and addresses are recorded before they are added, and removed by the teardown", async () => {
    const dir = mkdtempSync(join(tmpdir(), "slipway-vpc-kernel-"));
    const file = join(dir, "vpc-kernel.json");
    const calls: string[] = [];
    const chains = new Set<string>();
    const run: Run = async (cmd, args) => {
      calls.push(`${cmd} ${args.join(" ")}`);
      if (cmd === "iptables" && args.includes("-C")) return { code: 1, stdout: "", stderr: "" };
      if (cmd === "iptables" && args.includes("-D")) return { code: calls.filter((c) => c === `${cmd} ${args.join(" ")}`).length > 1 ? 1 : 0, stdout: "", stderr: "" };
      if (cmd === "iptables-save") return { code: 0, stdout: ["*filter", ":DOCKER-USER - [0:0]", ...[...chains].map((c) => `:${c} - [0:0]`), ":OTHER - [0:0]", "COMMIT"].join("\n"), stderr: "" };
      return { code: 0, stdout: "", stderr: "" };
    };
    const restores: string[] = [];
    const runInput = async (_cmd: string, _args: readonly string[], input: string) => {
      restores.push(input);
      for (const m of input.matchAll(/^:(\S+) /gm)) chains.add(m[1]!);
      for (const m of input.matchAll(/^-X (\S+)$/gm)) chains.delete(m[1]!);
      return { code: 0, stdout: "", stderr: "" };
    };
    const hostDir = join(dir, "host");
    const k = new Kernel({ stateFile: file, prefix: "SWVtest", bridges: "slwtest+", comment: "slipway vpc test", run, runInput, hostDir });
    await k.apply({ text: "*filter\n:SWVtest-FWD - [0:0]\n:SWVtest-OUT - [0:0]\n:SWVtest-IN - [0:0]\nCOMMIT\n", chains: ["SWVtest-FWD", "SWVtest-OUT", "SWVtest-IN"], reasons: new Map() });
    await k.setAddresses([{ ip: "10.0.1.4", dev: "slwtest00000001" }]);
    const rec = JSON.parse(readFileSync(file, "utf8")) as { jumps: string[][]; addresses: unknown[] };
    assert.equal(rec.jumps.length, 4);
    assert.deepEqual(rec.jumps.map((j) => j[0]), ["DOCKER-USER", "DOCKER-USER", "OUTPUT", "INPUT"]);
    assert.deepEqual(rec.addresses, [{ ip: "10.0.1.4", dev: "slwtest00000001" }]);
    assert.ok(calls.some((c) => c.startsWith("iptables -w -I DOCKER-USER 1 -i slwtest+ -m comment --comment slipway vpc test -j SWVtest-FWD")));
    assert.ok(calls.includes("ip addr add 10.0.1.4/32 dev slwtest00000001"));

    // The host-wide copy names this process and the data directory's file.
    const [hostName] = readdirSync(hostDir);
    const host = JSON.parse(readFileSync(join(hostDir, hostName!), "utf8")) as { pid: number; stateFile: string; jumps: unknown[] };
    assert.equal(host.pid, process.pid);
    assert.equal(host.stateFile, file);
    assert.deepEqual(host.jumps, rec.jumps);

    const removed = await tearDownVpcKernel(file, run, runInput, hostDir);
    assert.deepEqual(removed, ["4 iptables jump(s)", "3 iptables chain(s) SWVtest-*", "address 10.0.1.4 on slwtest00000001"]);
    assert.deepEqual(readdirSync(hostDir), []);
    assert.ok(calls.some((c) => c.startsWith("iptables -w -D OUTPUT -o slwtest+")));
    assert.ok(!restores.some((r) => r.includes("OTHER")), "chains of others are never touched");
    assert.equal(existsSync(file), false);
    rmSync(dir, { recursive: true, force: true });
  });

  test("a jump check where iptables-save lists every jump runs one process; a jump it does not list is checked with -C, then inserted", async () => {
    const dir = mkdtempSync(join(tmpdir(), "slipway-vpc-kernel-"));
    try {
      const listed = [
        '-A DOCKER-USER -o slwtest+ -m comment --comment "slipway vpc test" -j SWVtest-FWD',
        '-A DOCKER-USER -i slwtest+ -m comment --comment "slipway vpc test" -j SWVtest-FWD',
        "-A DOCKER-USER -j RETURN",
        '-A OUTPUT -o slwtest+ -m comment --comment "slipway vpc test" -j SWVtest-OUT',
        '-A INPUT -i slwtest+ -m comment --comment "slipway vpc test" -j SWVtest-IN',
      ];
      let calls: string[] = [];
      const run: Run = async (cmd, args) => {
        calls.push(`${cmd} ${args.join(" ")}`);
        if (cmd === "iptables-save") {
          const chains = ["INPUT", "FORWARD", "OUTPUT", "DOCKER-USER", "SWVtest-FWD", "SWVtest-OUT", "SWVtest-IN"];
          return { code: 0, stdout: ["*filter", ...chains.map((c) => `:${c} - [0:0]`), ...listed, "COMMIT", ""].join("\n"), stderr: "" };
        }
        return { code: args.includes("-C") ? 1 : 0, stdout: "", stderr: "" }; // -C: not there; -I: done
      };
      const runInput = async () => ({ code: 0, stdout: "", stderr: "" });
      const rules = { text: "*filter\n:SWVtest-FWD - [0:0]\n:SWVtest-OUT - [0:0]\n:SWVtest-IN - [0:0]\nCOMMIT\n", chains: ["SWVtest-FWD", "SWVtest-OUT", "SWVtest-IN"], reasons: new Map() };
      const k = new Kernel({ stateFile: join(dir, "vpc-kernel.json"), prefix: "SWVtest", bridges: "slwtest+", comment: "slipway vpc test", run, runInput, hostDir: join(dir, "host") });
      await k.apply(rules);
      calls = [];
      await k.apply(rules, { checkJumps: true });
      assert.deepEqual(calls, ["iptables-save -t filter"]);

      listed.splice(3, 1); // Docker rebuilt OUTPUT, say: the OUTPUT jump is gone
      calls = [];
      await k.apply(rules, { checkJumps: true });
      assert.deepEqual(calls, [
        "iptables-save -t filter",
        "iptables -w -C OUTPUT -o slwtest+ -m comment --comment slipway vpc test -j SWVtest-OUT",
        "iptables -w -I OUTPUT 1 -o slwtest+ -m comment --comment slipway vpc test -j SWVtest-OUT",
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("iptables-save lines split into arguments: quoted comments, escaped quotes", () => {
    assert.deepEqual(saveArgs('INPUT -i slw+ -m comment --comment "slipway vpc a b" -j X-IN'), ["INPUT", "-i", "slw+", "-m", "comment", "--comment", "slipway vpc a b", "-j", "X-IN"]);
    assert.deepEqual(saveArgs("INPUT -m comment --comment nospace -j X"), ["INPUT", "-m", "comment", "--comment", "nospace", "-j", "X"]);
    assert.deepEqual(saveArgs('OUTPUT -m comment --comment "say \\"hi\\" \\\\ ok" -j X'), ["OUTPUT", "-m", "comment", "--comment", 'say "hi" \\ ok', "-j", "X"]);
  });
});

describe("collecting the kernel state of Slipways that are gone", () => {
  test("a dead pid's jumps, chains and addresses go, with its records; a live Slipway and its prefix are left alone", async () => {
    const dir = mkdtempSync(join(tmpdir(), "slipway-vpc-orphans-"));
    try {
      const hostDir = join(dir, "host");
      mkdirSync(hostDir);
      const dead = spawnSync(process.execPath, ["-e", "0"]).pid!; // exited: nobody has this pid now
      const jump = (prefix: string, id: string) => ["INPUT", "-i", "slwx+", "-m", "comment", "--comment", `slipway vpc ${id}`, "-j", `${prefix}-IN`];
      const keptState = join(dir, "data", "vpc-kernel.json");
      mkdirSync(join(dir, "data"));
      const records = {
        a: { prefix: "SWVdead", jumps: [jump("SWVdead", "a")], addresses: [{ ip: "10.0.9.4", dev: "slwx1" }], pid: dead, stateFile: join(dir, "deleted", "vpc-kernel.json") },
        b: { prefix: "SWVlive", jumps: [jump("SWVlive", "b")], addresses: [], pid: process.pid, stateFile: join(dir, "b.json") },
        c: { prefix: "SWVlive", jumps: [jump("SWVlive", "c")], addresses: [], pid: dead, stateFile: keptState },
      };
      for (const [name, rec] of Object.entries(records)) writeFileSync(join(hostDir, `${name}.json`), JSON.stringify(rec));
      writeFileSync(keptState, JSON.stringify({ prefix: "SWVlive", jumps: records.c.jumps, addresses: [] }));
      const chains = new Set(["SWVdead-IN", "SWVdead-FWD", "SWVlive-IN", "OTHER"]);
      const rules = new Set(Object.values(records).flatMap((r) => r.jumps.map((j) => j.join(" "))));
      const calls: string[] = [];
      const run: Run = async (cmd, args) => {
        calls.push(`${cmd} ${args.join(" ")}`);
        if (cmd === "iptables" && args[1] === "-D") return { code: rules.delete(args.slice(2).join(" ")) ? 0 : 1, stdout: "", stderr: "" };
        if (cmd === "iptables-save") return { code: 0, stdout: ["*filter", ...[...chains].map((c) => `:${c} - [0:0]`), "COMMIT"].join("\n"), stderr: "" };
        return { code: 0, stdout: "", stderr: "" };
      };
      const restores: string[] = [];
      const runInput = async (_cmd: string, _args: readonly string[], input: string) => {
        restores.push(input);
        for (const m of input.matchAll(/^-X (\S+)$/gm)) chains.delete(m[1]!);
        return { code: 0, stdout: "", stderr: "" };
      };
      const lines = await collectVpcOrphans(hostDir, run, runInput);
      assert.equal(lines.length, 2);
      assert.match(lines.find((l) => l.includes("deleted"))!, new RegExp(`pid ${dead}.*1 iptables jump\\(s\\), 2 iptables chain\\(s\\) SWVdead-\\*, address 10\\.0\\.9\\.4 on slwx1`));
      assert.deepEqual([...rules], [jump("SWVlive", "b").join(" ")], "only the live Slipway's jump is left");
      assert.deepEqual([...chains].sort(), ["OTHER", "SWVlive-IN"], "a prefix a live Slipway uses keeps its chains");
      assert.ok(!restores.some((r) => r.includes("SWVlive") || r.includes("OTHER")));
      assert.ok(calls.includes("ip addr del 10.0.9.4/32 dev slwx1"));
      assert.deepEqual(readdirSync(hostDir), ["b.json"]);
      assert.equal(existsSync(keptState), false, "the data directory's copy of a collected record goes too");
      assert.deepEqual(await collectVpcOrphans(hostDir, run, runInput), [], "a second pass finds nothing");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("probe refuses a prefix another running Slipway uses (chains are removed by prefix), not its own or a dead one's", async () => {
    const dir = mkdtempSync(join(tmpdir(), "slipway-vpc-clash-"));
    try {
      const hostDir = join(dir, "host");
      mkdirSync(hostDir);
      const run: Run = async () => ({ code: 0, stdout: "", stderr: "" });
      const mine = join(dir, "mine", "vpc-kernel.json");
      const k = new Kernel({ stateFile: mine, prefix: "SWVabcd", bridges: "slwabcd+", comment: "slipway vpc mine", run, hostDir });
      assert.equal(await k.probe(), undefined);
      const dead = spawnSync(process.execPath, ["-e", "0"]).pid!;
      writeFileSync(join(hostDir, "dead.json"), JSON.stringify({ prefix: "SWVabcd", jumps: [], addresses: [], pid: dead, stateFile: join(dir, "old", "vpc-kernel.json") }));
      writeFileSync(join(hostDir, "self.json"), JSON.stringify({ prefix: "SWVabcd", jumps: [], addresses: [], pid: 1, stateFile: mine }));
      writeFileSync(join(hostDir, "otherprefix.json"), JSON.stringify({ prefix: "SWVffff", jumps: [], addresses: [], pid: 1, stateFile: join(dir, "x", "vpc-kernel.json") }));
      assert.equal(await k.probe(), undefined, "a dead owner, this data dir's own record and other prefixes are no clash");
      writeFileSync(join(hostDir, "live.json"), JSON.stringify({ prefix: "SWVabcd", jumps: [], addresses: [], pid: 1, stateFile: join(dir, "theirs", "vpc-kernel.json") }));
      const reason = await k.probe();
      assert.match(reason ?? "", /another running Slipway \(pid 1, .*theirs\) uses the same iptables chain prefix SWVabcd/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("no host-wide folder: nothing to collect", async () => {
    assert.deepEqual(await collectVpcOrphans(join(tmpdir(), "slipway-no-such-folder-ever")), []);
  });
});

describe("drop log", () => {
  test("a kernel line with this Slipway's prefix becomes a log line with the flow and the reason, once per flow", () => {
    const lines: string[] = [];
    let now = 0;
    const log = new DropLog({ prefix: "slwvtest:", reason: (c) => (c === "abcd1234" ? "no inbound rule of sg-1 allows it" : undefined), log: (m) => lines.push(m), now: () => now });
    const kmsg = "4,17241,7179630488,-;slwvtest:abcd1234 IN=slwtest1 OUT=slwtest2 SRC=10.0.1.9 DST=10.0.2.5 LEN=60 PROTO=TCP SPT=40000 DPT=8080 WINDOW=64";
    const rec = parseKmsg(kmsg)!;
    assert.equal(rec.usec, 7179630488);
    assert.deepEqual(parseDrop(rec.text, "slwvtest:"), { code: "abcd1234", flow: "TCP 10.0.1.9:40000 → 10.0.2.5:8080" });
    log.handle(rec.text);
    log.handle(rec.text.replace("SPT=40000", "SPT=40001"));
    now = 6000;
    log.handle(rec.text);
    log.handle("slwvother:abcd1234 SRC=1.1.1.1 DST=2.2.2.2 PROTO=UDP");
    assert.deepEqual(lines, [
      "vpc: dropped TCP 10.0.1.9:40000 → 10.0.2.5:8080: no inbound rule of sg-1 allows it",
      "vpc: dropped TCP 10.0.1.9:40000 → 10.0.2.5:8080: no inbound rule of sg-1 allows it",
    ]);
  });

  test("poll() reads the records there are now, skips those from before the start, and never waits", () => {
    const dir = mkdtempSync(join(tmpdir(), "slipway-droplog-"));
    try {
      const path = join(dir, "kmsg");
      const future = 1e15; // microseconds since boot, after any uptime
      const line = (usec: number, port: number) => `4,1,${usec},-;slwvtest:abcd1234 SRC=10.0.1.9 DST=10.0.2.5 PROTO=TCP SPT=${port} DPT=8080\n`;
      writeFileSync(path, line(1, 1) + line(future, 2) + "4,2,1,-;unrelated\n");
      const lines: string[] = [];
      const log = new DropLog({ prefix: "slwvtest:", reason: () => "no inbound rule", log: (m) => lines.push(m), now: () => 0, path });
      log.start();
      log.poll();
      log.poll();
      log.stop();
      log.poll();
      assert.deepEqual(lines, ["vpc: dropped TCP 10.0.1.9:2 → 10.0.2.5:8080: no inbound rule"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // A blocking read of /dev/kmsg left in libuv's thread pool kept a stopped `slipway up` alive until
  // the next kernel message. A process that starts and stops the drop log must end on its own.
  const kmsgReadable = (() => {
    try {
      accessSync("/dev/kmsg", constants.R_OK);
      return true;
    } catch {
      return false;
    }
  })();
  test("a process that reads the kernel log ends on its own once the drop log stops", { skip: kmsgReadable ? false : "/dev/kmsg is not readable here", timeout: 30_000 }, async () => {
    const script = `import { DropLog } from ${JSON.stringify(new URL("./drop-log.ts", import.meta.url).href)};
      const d = new DropLog({ prefix: "slwvtest:", reason: () => undefined, log: () => {}, now: () => 0 });
      d.start(); d.poll(); d.stop(); process.exit(0);`;
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: "inherit" });
    const code = await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
    assert.equal(code, 0);
  });
});
