/**
 * The ContainerRuntime contract: one suite, run against FakeRuntime always and
 * against DockerRuntime whenever the Docker socket answers. A runtime that runs no processes (the
 * fake) is driven through `simulate` where a real container's command would act by itself.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { systemClock } from "../../src/core/clock.ts";
import {
  ExecError,
  LABELS,
  PullError,
  type ExecProcess,
  type ContainerRuntime,
  type ContainerSpec,
  type ContainerState,
  type RuntimeEvent,
} from "../../src/runtime/runtime.ts";

export interface RuntimeContractOptions<R extends ContainerRuntime> {
  /** When set, the whole suite is skipped and this reason printed. */
  skip?: string | undefined;
  setup?(): Promise<void>;
  newRuntime(): R | Promise<R>;
  close?(rt: R): void | Promise<void>;
  /** A local image with busybox sh, sleep, wget, id, pwd. */
  testImage: string;
  /** A local image serving HTTP on $PORT (8080) with GET /health → 200. */
  webImage: string;
  /** Not local and not pullable; pull must fail fast. */
  unpullableImage: string;
  /** The runtime really runs the containers' commands (and so can prove networking by traffic). */
  supportsProcesses: boolean;
  /** Stand-ins for what a real process does, used when supportsProcesses is false. */
  simulate?: {
    exit(rt: R, id: string, code: number): void;
    health(rt: R, id: string, status: "healthy" | "unhealthy"): void;
  };
  /** Condition-wait timeout. */
  timeoutMs?: number;
}

export function runtimeContract<R extends ContainerRuntime>(name: string, opts: RuntimeContractOptions<R>): void {
  describe(`ContainerRuntime contract: ${name}`, { skip: opts.skip ?? false }, () => {
    const runId = randomUUID().slice(0, 8);
    const runLabel = { [LABELS.managed]: "true", "slipway.test-run": runId };
    const timeoutMs = opts.timeoutMs ?? 20_000;
    const networks = new Set<string>();
    let rt: R;
    let seq = 0;

    before(async () => {
      await opts.setup?.();
      rt = await opts.newRuntime();
    });

    after(async () => {
      if (!rt) return;
      for (const c of await rt.list({ "slipway.test-run": runId })) await rt.remove(c.id);
      for (const n of networks) await rt.removeNetwork(n);
      await opts.close?.(rt);
    });

    const spec = (over: Partial<ContainerSpec> = {}): ContainerSpec => ({
      name: `slipway-ct-${runId}-${++seq}`,
      image: opts.testImage,
      labels: { ...runLabel, ...over.labels },
      network: { mode: "bridge" },
      ...over,
      ...(over.labels ? { labels: { ...runLabel, ...over.labels } } : {}),
    });
    /** A container that stays up until stopped (init so SIGTERM is honoured at once). */
    const sleeper = (over: Partial<ContainerSpec> = {}) => spec({ cmd: ["sleep", "300"], init: true, ...over });
    const web = (over: Partial<ContainerSpec> = {}) => spec({ image: opts.webImage, init: true, ...over });
    /** A container whose command exits with `code` (or is told to, on a fake). */
    const exiter = (code: number, script = `exit ${code}`) => spec({ entrypoint: ["sh", "-c"], cmd: [script] });

    async function run(s: ContainerSpec): Promise<string> {
      const id = await rt.create(s);
      await rt.start(id);
      return id;
    }

    async function waitFor(id: string, what: string, ok: (s: ContainerState | undefined) => boolean): Promise<ContainerState | undefined> {
      const deadline = systemClock.now() + timeoutMs;
      for (;;) {
        const s = await rt.inspect(id);
        if (ok(s)) return s;
        if (systemClock.now() > deadline) assert.fail(`timed out after ${timeoutMs}ms waiting for ${what}; last state ${JSON.stringify(s)}`);
        await systemClock.sleep(100);
      }
    }

    /** Runs a container to completion and returns its final state. */
    async function runToExit(s: ContainerSpec, code: number): Promise<ContainerState> {
      const id = await run(s);
      if (!opts.supportsProcesses) opts.simulate?.exit(rt, id, code);
      const st = await waitFor(id, `container ${s.name} to exit`, (x) => x?.status === "exited");
      assert.ok(st);
      return st;
    }

    async function newNetwork(): Promise<string> {
      const n = `slipway-ct-${runId}-net${++seq}`;
      networks.add(n);
      await rt.ensureNetwork(n, runLabel);
      return n;
    }

    it("info reports the host", async () => {
      const info = await rt.info();
      assert.ok(info.cpus > 0, "cpus");
      assert.ok(info.memoryBytes > 0, "memoryBytes");
      assert.ok(info.apiVersion, "apiVersion");
      assert.ok(info.serverVersion, "serverVersion");
      assert.equal(info.osType, "linux");
    });

    it("inspectImage: present image has an id, missing one is undefined", async () => {
      const img = await rt.inspectImage(opts.testImage);
      assert.ok(img?.id);
      assert.ok(Array.isArray(img.repoDigests));
      assert.equal(await rt.inspectImage(opts.unpullableImage), undefined);
    });

    it("pull of an unpullable image throws PullError with a message", async () => {
      await assert.rejects(rt.pull(opts.unpullableImage), (err: unknown) => {
        assert.ok(err instanceof PullError, `expected PullError, got ${String(err)}`);
        assert.ok(err.message.length > 0);
        return true;
      });
    });

    it("create + start + inspect + list by labels", async () => {
      const a = sleeper({ labels: { "slipway.ct-role": "a" } });
      const idA = await rt.create(a);
      const created = await rt.inspect(idA);
      assert.equal(created?.status, "created");
      assert.equal(created.exitCode, undefined);
      assert.equal(created.startedAt, undefined);
      await rt.start(idA);
      await rt.start(idA); // starting a running container is a no-op
      const idB = await run(sleeper({ labels: { "slipway.ct-role": "b" } }));

      const st = await rt.inspect(idA);
      assert.equal(st?.id, idA);
      assert.equal(st.name, a.name);
      assert.equal(st.image, a.image);
      assert.equal(st.status, "running");
      assert.equal(st.labels["slipway.ct-role"], "a");
      assert.equal(st.labels[LABELS.managed], "true");
      assert.ok(st.startedAt, "startedAt");
      assert.equal(st.finishedAt, undefined);
      assert.equal(st.exitCode, undefined);
      assert.equal(st.health, undefined);

      const onlyA = await rt.list({ "slipway.test-run": runId, "slipway.ct-role": "a" });
      assert.deepEqual(onlyA.map((c) => c.id), [idA]);
      const both = await rt.list({ "slipway.test-run": runId, "slipway.ct-role": "b" });
      assert.deepEqual(both.map((c) => c.id), [idB]);
      assert.deepEqual(await rt.list({ "slipway.test-run": `${runId}-nobody` }), []);
      assert.equal(await rt.inspect("0123456789ab-no-such-container"), undefined);

      // One stats sample in Docker's shape (the task metadata endpoint serves it).
      const stats = await rt.stats(idA);
      assert.ok(stats && typeof stats === "object");
      assert.ok("cpu_stats" in stats && "memory_stats" in stats, JSON.stringify(stats).slice(0, 200));
      assert.equal(await rt.stats("0123456789ab-no-such-container"), undefined);
      await rt.remove(idA);
      await rt.remove(idB);
    });

    it("entrypoint, cmd, env, user, workdir and labels are applied", async () => {
      const s = spec({
        entrypoint: ["sh", "-c"],
        cmd: ['test "$FOO" = "bar baz" && test "$(pwd)" = /tmp && test "$(id -u)" = 1000 && exit 7; exit 1'],
        env: ["FOO=bar baz"],
        user: "1000",
        workingDir: "/tmp",
        labels: { "slipway.ct-check": "yes" },
      });
      const st = await runToExit(s, 7);
      assert.equal(st.exitCode, 7, "the command saw the env, user and workdir it was given");
      assert.equal(st.labels["slipway.ct-check"], "yes");
    });

    it("a container that exits reports its exit code and times", async () => {
      const st = await runToExit(exiter(3), 3);
      assert.equal(st.exitCode, 3);
      assert.ok(st.startedAt && st.finishedAt && st.finishedAt >= st.startedAt, "startedAt <= finishedAt");
      assert.deepEqual(st.ports, []);
    });

    it("stop is idempotent", async () => {
      const id = await run(sleeper());
      await rt.stop(id, 1);
      const st = await waitFor(id, "stopped", (s) => s?.status === "exited");
      assert.notEqual(st?.exitCode, undefined);
      await rt.stop(id, 1);
      await rt.stop("0123456789ab-no-such-container", 1);
    });

    it("remove is idempotent and forces a running container", async () => {
      const id = await run(sleeper());
      await rt.remove(id);
      assert.equal(await rt.inspect(id), undefined);
      await rt.remove(id);
      assert.deepEqual((await rt.list({ "slipway.test-run": runId })).filter((c) => c.id === id), []);
    });

    it("a dynamic host port binding is reported", async () => {
      const id = await run(web({ portBindings: [{ containerPort: 8080, hostPort: 0, protocol: "tcp", hostIp: "127.0.0.1" }] }));
      const st = await rt.inspect(id);
      assert.equal(st?.ports.length, 1);
      const [p] = st.ports;
      assert.ok(p && p.hostPort > 0);
      assert.deepEqual({ ...p, hostPort: 1 }, { containerPort: 8080, hostPort: 1, protocol: "tcp", hostIp: "127.0.0.1" });
      if (opts.supportsProcesses) await httpOk(`http://127.0.0.1:${p.hostPort}/health`, timeoutMs);
      await rt.remove(id);
    });

    it("a named network gives IPs; two containers on it listen on the same port", async () => {
      const net = await newNetwork();
      await Promise.all([rt.ensureNetwork(net, runLabel), rt.ensureNetwork(net, runLabel)]);
      const idA = await run(web({ network: { mode: "network", name: net, aliases: ["web-a"] } }));
      const idB = await run(web({ network: { mode: "network", name: net, aliases: ["web-b"] } }));
      const a = await rt.inspect(idA);
      const b = await rt.inspect(idB);
      const ipA = a?.ips[net];
      const ipB = b?.ips[net];
      assert.match(ipA ?? "", /^\d+\.\d+\.\d+\.\d+$/);
      assert.match(ipB ?? "", /^\d+\.\d+\.\d+\.\d+$/);
      assert.notEqual(ipA, ipB);
      if (opts.supportsProcesses) {
        const probe = `for i in $(seq 1 50); do wget -q -O /dev/null http://${ipA}:8080/health && wget -q -O /dev/null http://web-b:8080/health && exit 0; sleep 0.2; done; exit 1`;
        const st = await runToExit(spec({ entrypoint: ["sh", "-c"], cmd: [probe], network: { mode: "network", name: net } }), 0);
        assert.equal(st.exitCode, 0, "both servers answered on port 8080");
      }
      assert.equal((await rt.inspect(idA))?.status, "running");
      assert.equal((await rt.inspect(idB))?.status, "running");
      await rt.remove(idA);
      await rt.remove(idB);
    });

    it("a bridge network with a fixed range: listed with its range, labels and bridge; a fixed address; overlap refused", async () => {
      // A /28 in 10.200.0.0/13 that no other network on this host uses.
      const taken = (await rt.networks()).flatMap((n) => n.subnets);
      let subnet = "";
      for (let i = 0; i < 50 && !subnet; i++) {
        const third = Math.floor(Math.random() * 250);
        const candidate = `10.${200 + Math.floor(Math.random() * 8)}.${third}.${16 * Math.floor(Math.random() * 15)}/28`;
        if (!taken.some((t) => t.split(".").slice(0, 3).join(".") === candidate.split(".").slice(0, 3).join("."))) subnet = candidate;
      }
      const base = subnet.split("/")[0]!.split(".").map(Number);
      const addr = (n: number) => `${base[0]}.${base[1]}.${base[2]}.${base[3]! + n}`;
      const name = `slipway-ct-${runId}-fixed`;
      networks.add(name);
      const bridgeName = `swct${runId.slice(0, 6)}`;
      const net = { name, labels: runLabel, subnet, gateway: addr(1), auxAddresses: { dns: addr(2), reserved: addr(3) }, bridgeName };
      await rt.createNetwork(net);
      await rt.createNetwork(net);
      const listed = (await rt.networks()).find((n) => n.name === name);
      assert.deepEqual(listed?.subnets, [subnet]);
      assert.equal(listed?.labels["slipway.test-run"], runId);
      assert.equal(listed?.bridge, bridgeName);
      const id = await run(sleeper({ network: { mode: "network", name, ipv4Address: addr(7) }, hostname: "ip-x.ec2.internal" }));
      assert.equal((await rt.inspect(id))?.ips[name], addr(7));
      await assert.rejects(
        rt.createNetwork({ ...net, name: `${name}-2`, bridgeName: undefined as unknown as string }),
        (err: Error) => /overlaps/i.test(err.message),
      );
      await rt.remove(id);
    });

    it("container network mode shares another container's network namespace", async () => {
      const net = await newNetwork();
      const idWeb = await run(web({ network: { mode: "network", name: net } }));
      const probe = "for i in $(seq 1 50); do wget -q -O /dev/null http://127.0.0.1:8080/health && exit 0; sleep 0.2; done; exit 1";
      const st = await runToExit(spec({ entrypoint: ["sh", "-c"], cmd: [probe], network: { mode: "container", id: idWeb } }), 0);
      assert.equal(st.exitCode, 0, "reached the peer's server on 127.0.0.1");

      const idle = await rt.create(sleeper());
      const joiner = await rt.create(sleeper({ network: { mode: "container", id: idle } }));
      await assert.rejects(rt.start(joiner), "joining a container that is not running fails");
      await rt.remove(joiner);
      await rt.remove(idle);
      await rt.remove(idWeb);
    });

    for (const [outcome, cmd] of [["healthy", "true"], ["unhealthy", "false"]] as const) {
      it(`a health check reaches ${outcome}`, async () => {
        const id = await run(sleeper({ healthcheck: { test: ["CMD-SHELL", cmd], intervalMs: 1000, timeoutMs: 1000, retries: 1 } }));
        assert.equal((await rt.inspect(id))?.health, "starting");
        if (!opts.supportsProcesses) opts.simulate?.health(rt, id, outcome);
        await waitFor(id, `health ${outcome}`, (s) => s?.health === outcome);
        await rt.remove(id);
      });
    }

    it('healthcheck ["NONE"] reports no health', async () => {
      const id = await run(sleeper({ healthcheck: { test: ["NONE"] } }));
      assert.equal((await rt.inspect(id))?.health, undefined);
      await rt.remove(id);
    });

    /** Reads a process's output until `done(text so far)` holds or the output ends. */
    async function readUntil(it: AsyncIterator<{ stream: string; data: Uint8Array }>, seen: { text: string }, done: (text: string) => boolean): Promise<void> {
      const dec = new TextDecoder();
      while (!done(seen.text)) {
        const next = await it.next();
        if (next.done) assert.fail(`output ended before the expected text; got ${JSON.stringify(seen.text)}`);
        seen.text += dec.decode(next.value.data);
      }
    }

    async function collect(p: ExecProcess): Promise<{ stdout: string; stderr: string }> {
      const dec = new TextDecoder();
      const out = { stdout: "", stderr: "" };
      for await (const o of p.output) out[o.stream] += dec.decode(o.data);
      return out;
    }

    it("exec runs a command: its stdout, stderr and exit code", async () => {
      const id = await run(sleeper());
      const p = await rt.exec(id, { cmd: ["sh", "-c", "echo hello; echo oops >&2; exit 3"] });
      assert.deepEqual(await collect(p), { stdout: "hello\n", stderr: "oops\n" });
      assert.equal(await p.exitCode, 3);
      await rt.remove(id);
    });

    it("exec with a TTY is interactive: input reaches the shell, resize applies, exit code is reported", async () => {
      const id = await run(sleeper());
      const p = await rt.exec(id, { cmd: ["sh"], tty: true, stdin: true, size: { cols: 100, rows: 30 } });
      const it = p.output[Symbol.asyncIterator]();
      const seen = { text: "" };
      p.write("stty size\n");
      await readUntil(it, seen, (t) => /\b30 100\r\n/.test(t));
      await p.resize({ cols: 120, rows: 40 });
      p.write("stty size\n");
      await readUntil(it, seen, (t) => /\b40 120\r\n/.test(t));
      p.write("echo hel''lo; exit 5\n");
      await readUntil(it, seen, (t) => t.includes("hello\r\n"));
      for (let n = await it.next(); !n.done; n = await it.next());
      assert.equal(await p.exitCode, 5);
      await rt.remove(id);
    });

    it("exec: closing stdin gives the process end of file", async () => {
      const id = await run(sleeper());
      const p = await rt.exec(id, { cmd: ["cat"], stdin: true });
      p.write("line one\n");
      p.end();
      assert.deepEqual(await collect(p), { stdout: "line one\n", stderr: "" });
      assert.equal(await p.exitCode, 0);
      await rt.remove(id);
    });

    it("exec: close() drops the session of a process that keeps running", async () => {
      const id = await run(sleeper());
      const p = await rt.exec(id, { cmd: ["sh"], tty: true, stdin: true });
      p.close();
      p.close();
      for await (const _ of p.output);
      assert.equal((await rt.inspect(id))?.status, "running", "the container is unaffected");
      await rt.remove(id);
    });

    it("exec into a stopped or a missing container throws ExecError", async () => {
      const id = await rt.create(sleeper());
      await assert.rejects(rt.exec(id, { cmd: ["true"] }), (err: unknown) => err instanceof ExecError && /is not running/.test(err.message));
      await assert.rejects(rt.exec("0123456789ab-no-such-container", { cmd: ["true"] }), (err: unknown) => err instanceof ExecError && /No such container/.test(err.message));
      await rt.remove(id);
    });

    it("events report start and die of managed containers, and end on abort", async () => {
      const ac = new AbortController();
      const seen: RuntimeEvent[] = [];
      const consumer = (async () => {
        for await (const ev of rt.events(ac.signal)) seen.push(ev);
      })();
      await rt.info(); // a round trip, so the subscription is in place
      const st = await runToExit(exiter(0), 0);
      const deadline = systemClock.now() + timeoutMs;
      const has = (action: string) => seen.some((e) => e.containerId === st.id && e.action === action);
      while (!(has("start") && has("die"))) {
        if (systemClock.now() > deadline) assert.fail(`no start/die events for ${st.id}: ${JSON.stringify(seen)}`);
        await systemClock.sleep(50);
      }
      const ev = seen.find((e) => e.containerId === st.id);
      assert.equal(ev?.labels["slipway.test-run"], runId);
      ac.abort();
      await consumer;
    });
  });
}

async function httpOk(url: string, timeoutMs: number): Promise<void> {
  const deadline = systemClock.now() + timeoutMs;
  let last = "";
  while (systemClock.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await systemClock.sleep(100);
  }
  assert.fail(`${url} never answered 2xx: ${last}`);
}
