/**
 * The HAProxy data plane: the same routing snapshot served by HAProxy (Debian's package) instead of
 * Node, for hosts where throughput matters. Selected with `slipway up --data-plane haproxy`.
 *
 * - HAProxy runs in master-worker mode (`-W`) as a child process. A snapshot whose structure
 *   changes (listeners, rules, target groups, certificates) is written as a new configuration
 *   (config.ts) and loaded with a seamless reload (SIGUSR2 to the master; the stats socket's
 *   `expose-fd listeners` hands the listening sockets to the new worker, and
 *   `option idle-close-on-response` lets the old one finish its requests and close idle keep-alive
 *   connections only after answering), so no connection is refused or reset by a reload.
 * - Targets live in `server-template` slots: registering, deregistering (draining) and every health
 *   change go through the runtime API (set server addr/state), without any reload. Slipway's
 *   health checker decides health exactly as in Node mode; a target whose deregistration delay is
 *   over is put in maintenance and its sessions are shut down.
 * - Host ports: planned as the Node data plane plans them (host-ports.ts); a port is checked for
 *   binding from Node first (HAProxy would refuse the whole configuration), and moves to its
 *   fallback when privileged or taken.
 * - Metrics: with an observer, HAProxy logs one line per request over UDP to 127.0.0.1 (a socket
 *   this process binds) and each line becomes an observer call (observer.ts).
 * Private keys are written, for HAProxy to read, only into a 0700 run directory on tmpfs
 * (/dev/shm when it exists), removed on close.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { type Clock, systemClock } from "../../core/clock.ts";
import type { ListenerBinding, LoadBalancerDataPlane } from "../data-plane.ts";
import { listenerHostPort, planHostPorts } from "../host-ports.ts";
import type { DataPlaneObserver } from "../observer.ts";
import type { RoutingTable } from "../routing-table.ts";
import type { TargetHealthView } from "../target-health.ts";
import { type PortPlan, type Slot, renderConfig, slotCount, usableTlsPort } from "./config.ts";
import { runtimeCommand, runtimeCommands } from "./runtime.ts";
import { processAlive } from "../../core/process-alive.ts";

const run = promisify(execFile);

export interface HaproxyDataPlaneOptions {
  readonly health: TargetHealthView;
  /** The haproxy executable (default: `haproxy` on PATH). */
  readonly binary?: string;
  /** Threads of the HAProxy worker (default 1). */
  readonly threads?: number;
  readonly host?: string;
  readonly preferredPort?: (port: number) => number;
  readonly log?: (message: string) => void;
  readonly observer?: DataPlaneObserver;
  /** Paces the polls that wait for a reload to go live (real time: HAProxy's own). */
  readonly clock?: Clock;
}

interface TargetSlot {
  readonly key: string;
  readonly address: string;
  readonly port: number;
}

/** Stops HAProxys left by Slipways that are gone (`slipway clean` and every start call this). */
export function collectHaproxyOrphans(log?: (message: string) => void): void {
  collectOrphans(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), log);
}

/** Whether `haproxy` can run here; undefined when it can, else why not. */
export async function haproxyAvailable(binary = "haproxy"): Promise<string | undefined> {
  try {
    const { stdout } = await run(binary, ["-v"], { timeout: 10_000 });
    return /HAProxy version (\d+)\.(\d+)/.test(stdout) ? undefined : `${binary} -v printed no version`;
  } catch (err) {
    return `${binary} not usable: ${(err as Error).message.split("\n")[0]}`;
  }
}

export class HaproxyDataPlane implements LoadBalancerDataPlane {
  readonly #opts: HaproxyDataPlaneOptions;
  readonly #runDir: string;
  readonly #cookieKey = randomBytes(16).toString("hex");
  readonly #sleep: (ms: number) => Promise<void>;
  #child: ChildProcess | undefined;
  #childExited: Promise<void> = Promise.resolve();
  #stderr = "";
  #generation = 0;
  #structure = "";
  #table: RoutingTable = { listeners: new Map(), targetGroups: new Map() };
  #ports: PortPlan[] = [];
  #hostPorts = new Map<string, number>();
  /** Ports HAProxy holds now (not probed again). */
  #held = new Set<number>();
  readonly #unbindable = new Map<number, string>();
  readonly #anyPort = new Map<string, number>();
  /** Target in each slot, by target group ARN. */
  readonly #slots = new Map<string, (TargetSlot | undefined)[]>();
  /** What the running worker was last told, by `backend/slot`. */
  #applied = new Map<string, Slot>();
  #backends = new Map<string, string>();
  #lbByIndex: string[] = [];
  #tgByBackend = new Map<string, string>();
  #chain: Promise<void> = Promise.resolve();
  #syncScheduled = false;
  #udp: UdpSocket | undefined;
  #logPort: number | undefined;
  #closed = false;
  readonly #unsubscribe: () => void;

  constructor(opts: HaproxyDataPlaneOptions) {
    this.#opts = opts;
    const base = existsSync("/dev/shm") ? "/dev/shm" : tmpdir();
    collectOrphans(base, opts.log);
    this.#runDir = mkdtempSync(join(base, `slipway-haproxy-${process.pid}-`));
    chmodSync(this.#runDir, 0o700);
    const clock = opts.clock ?? systemClock;
    this.#sleep = (ms) => clock.sleep(ms);
    this.#unsubscribe = opts.health.onChange(() => this.#scheduleSync());
  }

  apply(table: RoutingTable): void {
    if (this.#closed) return;
    this.#table = table;
    this.#chain = this.#chain.then(() => this.#apply(table)).catch((err: unknown) => this.#opts.log?.(`haproxy data plane: ${(err as Error).message}`));
  }

  async ready(): Promise<void> {
    let before: Promise<void>;
    do {
      before = this.#chain;
      await before;
    } while (before !== this.#chain);
  }

  listeners(): ListenerBinding[] {
    return [...this.#table.listeners.values()].map((l) => {
      const hostPort = this.#hostPorts.get(l.listenerArn) ?? l.port;
      const plan = this.#ports.find((p) => p.listeners.some((x) => x.listenerArn === l.listenerArn));
      const bound = plan && usableTlsPort(plan) && this.#held.has(hostPort) ? hostPort : null;
      const preferred = this.#opts.preferredPort?.(l.port) ?? l.port;
      let note: string | undefined;
      if (plan && !usableTlsPort(plan)) note = "no usable certificate: HAProxy cannot serve this HTTPS port";
      else if (preferred !== 0 && hostPort !== preferred) {
        const why = this.#unbindable.get(preferred);
        note = why
          ? `127.0.0.1:${preferred} cannot be bound (${why}); served on 127.0.0.1:${hostPort} instead`
          : `127.0.0.1:${preferred} serves ${l.protocol === "HTTP" ? "HTTPS" : "HTTP"} listeners; served on 127.0.0.1:${hostPort} instead`;
      }
      return {
        listenerArn: l.listenerArn,
        loadBalancerArn: l.loadBalancerArn,
        dnsName: l.dnsName,
        protocol: l.protocol,
        port: l.port,
        hostPort,
        boundPort: bound,
        ...(note ? { note } : {}),
      };
    });
  }

  /** The bound port of a listener (tests). */
  boundPort(listenerArn: string): number | undefined {
    return this.listeners().find((l) => l.listenerArn === listenerArn)?.boundPort ?? undefined;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#unsubscribe();
    await this.#chain.catch(() => {});
    const child = this.#child;
    if (child && child.exitCode === null) {
      child.kill("SIGTERM");
      await this.#childExited;
    }
    this.#udp?.close();
    rmSync(this.#runDir, { recursive: true, force: true });
  }

  // ---- applying a snapshot

  async #apply(table: RoutingTable): Promise<void> {
    if (this.#closed) return;
    await this.#planPorts(table);
    this.#assignSlots(table);
    if (this.#opts.observer && !this.#udp) await this.#startLogReceiver();
    // The slots as the config seeds them: the new worker starts from exactly these, whatever
    // health says by the time the reload is live (the sync below brings it up to date).
    const seeded = this.#slotStates(table);
    const rendered = renderConfig({
      table,
      ports: this.#ports,
      slots: seeded,
      runDir: this.#runDir,
      host: this.#opts.host ?? "127.0.0.1",
      threads: this.#opts.threads ?? 1,
      cookieKey: this.#cookieKey,
      logPort: this.#logPort,
      generation: this.#generation + 1,
    });
    this.#backends = new Map(rendered.backends);
    this.#tgByBackend = new Map([...rendered.backends].map(([arn, name]) => [name, arn]));
    this.#lbByIndex = [];
    for (const [arn, i] of rendered.loadBalancers) this.#lbByIndex[i] = arn;
    if (rendered.structure !== this.#structure || !this.#child) {
      this.#generation++;
      for (const [name, f] of rendered.files) writeFileSync(join(this.#runDir, name), f.content, { mode: f.mode });
      const cfg = join(this.#runDir, "haproxy.cfg");
      writeFileSync(cfg, rendered.config, { mode: 0o600 });
      await this.#check(cfg);
      await this.#startOrReload(cfg);
      this.#structure = rendered.structure;
      // The new worker starts from the seeded slots (ready or disabled); set the rest exactly.
      this.#applied = new Map();
      for (const [arn, slots] of seeded) {
        const be = this.#backends.get(arn);
        slots.forEach((s, i) => {
          if (be && s) this.#applied.set(`${be}/s${i + 1}`, { address: s.address, port: s.port, state: s.state === "ready" ? "ready" : "maint" });
        });
      }
      this.#held = new Set(this.#ports.filter(usableTlsPort).map((p) => p.hostPort));
    }
    await this.#sync(table);
  }

  /** Host ports (as the Node data plane plans them), moving past ports that cannot be bound. */
  async #planPorts(table: RoutingTable): Promise<void> {
    const preferred = this.#opts.preferredPort ?? ((port: number) => port);
    for (;;) {
      const hostPorts = planHostPorts(table.listeners.values(), (port) => listenerHostPort(preferred(port), this.#unbindable));
      let moved = false;
      for (const hp of new Set(hostPorts.values())) {
        if (hp === 0 || this.#held.has(hp)) continue;
        const err = await probe(hp, this.#opts.host ?? "127.0.0.1");
        if (err === "EACCES" || err === "EADDRINUSE") {
          this.#unbindable.set(hp, err);
          for (const [arn, p] of hostPorts) if (p === hp) this.#opts.log?.(`listener ${arn} cannot bind 127.0.0.1:${hp} (${err}); moving it to its fallback port`);
          moved = true;
        }
      }
      if (moved) continue;
      this.#hostPorts = hostPorts;
      const grouped = new Map<number, PortPlan>();
      for (const l of table.listeners.values()) {
        let hp = hostPorts.get(l.listenerArn)!;
        if (hp === 0) {
          // "Any free port" (tests): chosen once per listener, then kept across reloads.
          hp = this.#anyPort.get(l.listenerArn) ?? (await freePort());
          this.#anyPort.set(l.listenerArn, hp);
        }
        this.#hostPorts.set(l.listenerArn, hp);
        const p = grouped.get(hp);
        if (p) (p.listeners as typeof l[]).push(l);
        else grouped.set(hp, { key: String(hp), hostPort: hp, protocol: l.protocol, listeners: [l] });
      }
      this.#ports = [...grouped.values()];
      return;
    }
  }

  /** Keeps each target in its slot; new targets take free slots; gone targets leave theirs. */
  #assignSlots(table: RoutingTable): void {
    for (const arn of this.#slots.keys()) if (!table.targetGroups.has(arn)) this.#slots.delete(arn);
    for (const tg of table.targetGroups.values()) {
      const slots = this.#slots.get(tg.arn) ?? [];
      const want = new Map(tg.targets.map((t) => [`${t.id}\n${t.port}`, t]));
      for (let i = 0; i < slots.length; i++) if (slots[i] && !want.has(slots[i]!.key)) slots[i] = undefined;
      const present = new Set(slots.filter(Boolean).map((s) => s!.key));
      for (const [key, t] of want) {
        if (present.has(key)) continue;
        let i = slots.indexOf(undefined);
        if (i < 0) i = slots.length;
        slots[i] = { key, address: t.address, port: t.port };
      }
      const n = Math.max(slots.length, slotCount(tg.targets.length));
      while (slots.length < n) slots.push(undefined);
      this.#slots.set(tg.arn, slots);
    }
  }

  /** The state each slot should have now (health, draining, fail-open), by target group. */
  #slotStates(table: RoutingTable): Map<string, (Slot | undefined)[]> {
    const out = new Map<string, (Slot | undefined)[]>();
    for (const tg of table.targetGroups.values()) {
      const slots = this.#slots.get(tg.arn) ?? [];
      const byKey = new Map(tg.targets.map((t) => [`${t.id}\n${t.port}`, t]));
      const states = new Map<string, Slot["state"]>();
      const healthy: string[] = [];
      const unhealthy: string[] = [];
      for (const t of tg.targets) {
        const key = `${t.id}\n${t.port}`;
        if (t.draining) {
          states.set(key, "drain");
          continue;
        }
        const state = this.#opts.health.get(tg.arn, t.id, t.port)?.state;
        if (state === "healthy" || state === "unavailable") healthy.push(key);
        else if (state === "unhealthy") unhealthy.push(key);
        states.set(key, "maint");
      }
      // Fail open: with no healthy target, every unhealthy one serves (as the Balancer does).
      for (const k of healthy.length > 0 ? healthy : unhealthy) states.set(k, "ready");
      out.set(
        tg.arn,
        slots.map((s) => (s && byKey.has(s.key) ? { address: s.address, port: s.port, state: states.get(s.key) ?? "maint" } : undefined)),
      );
    }
    return out;
  }

  /** Tells the running worker every slot change (address, state); frees slots of targets gone. */
  async #sync(table: RoutingTable): Promise<void> {
    if (!this.#child || this.#closed) return;
    const commands: string[] = [];
    const seen = new Set<string>();
    for (const [arn, slots] of this.#slotStates(table)) {
      const be = this.#backends.get(arn);
      if (!be) continue;
      slots.forEach((s, i) => {
        const id = `${be}/s${i + 1}`;
        seen.add(id);
        const was = this.#applied.get(id);
        if (!s) {
          if (was && was.state !== "maint") commands.push(`set server ${id} state maint`, `shutdown sessions server ${id}`);
          if (was) this.#applied.delete(id);
          return;
        }
        if (!was || was.address !== s.address || was.port !== s.port) {
          if (was && was.state !== "maint") commands.push(`set server ${id} state maint`, `shutdown sessions server ${id}`);
          commands.push(`set server ${id} addr ${s.address} port ${s.port}`);
          commands.push(`set server ${id} state ${s.state}`);
        } else if (was.state !== s.state) commands.push(`set server ${id} state ${s.state}`);
        this.#applied.set(id, s);
      });
    }
    for (const id of this.#applied.keys()) if (!seen.has(id)) this.#applied.delete(id);
    if (commands.length === 0) return;
    const answer = await runtimeCommands(join(this.#runDir, "admin.sock"), commands);
    const problems = answer.split("\n").filter((l) => /^(No such|Require|Unknown|Invalid)/.test(l));
    if (problems.length) this.#opts.log?.(`haproxy runtime API: ${problems.join("; ")}`);
  }

  #scheduleSync(): void {
    if (this.#syncScheduled || this.#closed) return;
    this.#syncScheduled = true;
    queueMicrotask(() => {
      this.#syncScheduled = false;
      const table = this.#table;
      this.#chain = this.#chain.then(() => this.#sync(table)).catch((err: unknown) => this.#opts.log?.(`haproxy data plane: ${(err as Error).message}`));
    });
  }

  // ---- the HAProxy process

  async #check(cfg: string): Promise<void> {
    try {
      await run(this.#opts.binary ?? "haproxy", ["-c", "-q", "-f", cfg], { timeout: 30_000 });
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`HAProxy refused the generated configuration ${cfg}: ${(e.stderr || e.message).trim()}`);
    }
  }

  async #startOrReload(cfg: string): Promise<void> {
    const gen = this.#generation;
    if (!this.#child || this.#child.exitCode !== null) {
      const child = spawn(this.#opts.binary ?? "haproxy", ["-W", "-db", "-f", cfg], { stdio: ["ignore", "ignore", "pipe"] });
      this.#child = child;
      // If this process dies without closing (kill -9), the next start finds and ends it.
      writeFileSync(join(this.#runDir, "haproxy.pid"), `${child.pid}\n`);
      this.#childExited = new Promise((resolve) => child.once("exit", () => resolve()));
      child.stderr!.setEncoding("utf8");
      child.stderr!.on("data", (d: string) => {
        this.#stderr = (this.#stderr + d).slice(-8192);
        for (const line of d.split("\n")) if (/\[(ALERT|WARNING)\]/.test(line) && !/exited with code 143|Exiting Master|Stopping|Proxy .* stopped|soft-stop/.test(line)) this.#opts.log?.(`haproxy: ${line.trim()}`);
      });
      child.once("exit", (code, signal) => {
        if (!this.#closed) this.#opts.log?.(`haproxy exited (code ${code}, signal ${signal}); the next snapshot restarts it\n${this.#stderr.slice(-2000)}`);
        if (this.#child === child) this.#child = undefined;
      });
    } else this.#child.kill("SIGUSR2");
    await this.#waitGeneration(gen);
  }

  /** Resolves once the worker serving the admin socket runs configuration generation `gen`. */
  async #waitGeneration(gen: number): Promise<void> {
    const sock = join(this.#runDir, "admin.sock");
    for (let i = 0; i < 1500; i++) {
      if (!this.#child) throw new Error(`HAProxy did not start:\n${this.#stderr.slice(-2000)}`);
      try {
        if ((await runtimeCommand(sock, "show backend", 2000)).includes(`generation_${gen}\n`)) return;
      } catch {
        // not listening yet
      }
      await this.#sleep(20);
    }
    throw new Error(`HAProxy did not load configuration generation ${gen}:\n${this.#stderr.slice(-2000)}`);
  }

  // ---- metrics: one log line per request

  async #startLogReceiver(): Promise<void> {
    const udp = createSocket("udp4");
    this.#udp = udp;
    udp.on("message", (msg) => this.#onLog(msg.toString("utf8")));
    await new Promise<void>((resolve) => udp.bind(0, "127.0.0.1", () => resolve()));
    this.#logPort = udp.address().port;
  }

  /** `<lb index> <backend> <server> <status> <Tr> <termination state>` (config.ts's log-format). */
  #onLog(line: string): void {
    const o = this.#opts.observer;
    if (!o) return;
    const m = /(\S+) (\S+) (\S+) (-?\d+) (-?\d+) (\S+)\s*$/.exec(line);
    if (!m) return;
    const lb = this.#lbByIndex[Number(m[1])];
    if (!lb) return;
    const tg = this.#tgByBackend.get(m[2]!);
    const status = Number(m[4]);
    const tr = Number(m[5]);
    const term = m[6]!;
    if (tg && m[3] !== "<NOSRV>" && tr >= 0) o.targetResponse(lb, tg, status, tr / 1000);
    else if (tg && term.startsWith("S")) {
      o.targetFailure(lb, tg, term[1] === "C" ? "connect" : term[1] === "H" ? "timeout" : "closed");
      o.loadBalancerResponse(lb, status);
    } else o.loadBalancerResponse(lb, status);
  }
}

/**
 * HAProxy processes left behind by a Slipway that died without closing (kill -9): their run
 * directory (`slipway-haproxy-<slipway pid>-*`) names a process that is gone, and its pid file
 * names the HAProxy master Slipway started (checked against /proc before it is signalled).
 */
export function collectOrphans(base: string, log: ((m: string) => void) | undefined): void {
  let entries: string[];
  try {
    entries = readdirSync(base);
  } catch {
    return;
  }
  for (const name of entries) {
    const m = /^slipway-haproxy-(\d+)-/.exec(name);
    if (!m || processAlive(Number(m[1]))) continue;
    const dir = join(base, name);
    try {
      const pid = Number(readFileSync(join(dir, "haproxy.pid"), "utf8").trim());
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      if (cmdline.includes("haproxy") && cmdline.includes(dir)) {
        process.kill(pid, "SIGTERM");
        log?.(`stopped HAProxy ${pid}, left running by a Slipway that is gone (${dir})`);
      }
    } catch {
      // no pid file, or the process is gone
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Binding errors of `port` (undefined when it can be bound now). */
function probe(port: number, host: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    s.listen(port, host, () => s.close(() => resolve(undefined)));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

