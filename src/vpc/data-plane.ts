/**
 * The VPC data plane: keeps the host in line with EC2's VPC view.
 *  - Subnet networks (subnet-networks.ts): made for the subnets tasks and load balancers use,
 *    removed when none does.
 *  - Security groups in the kernel (rules.ts, kernel.ts): rebuilt after every EC2 write (the
 *    store's change feed) and once a second (states that change with time: NAT gateways and
 *    endpoints turning available), applied only when they changed, so a rule change reaches
 *    running tasks within a second.
 *  - Load balancers' ENI addresses on their subnets' bridges: the ALB data plane connects to
 *    targets from them, so "allow the ALB's group" matches its traffic as on AWS.
 *  - Why packets were dropped, in Slipway's log (drop-log.ts).
 *
 * Without root (or iptables) the kernel part is off: Slipway warns once, says so in
 * /_slipway/health, and tasks still get their subnet addresses and the reachability checks at
 * task start. `enforce: "off"` turns it off on purpose (benchmarks).
 */
import { join } from "node:path";
import type { ContainerRuntime } from "../runtime/runtime.ts";
import { type Run, runCommand } from "../task-endpoint/address.ts";
import { DropLog } from "./drop-log.ts";
import { Kernel, type RunInput } from "./kernel.ts";
import { buildRules } from "./rules.ts";
import { SubnetNetworks } from "./subnet-networks.ts";
import { emptyView, type NetworkView } from "./view.ts";

export interface VpcDataPlaneDeps {
  /** EC2's current VPC view. */
  readonly view: () => NetworkView;
  readonly runtime: ContainerRuntime;
  readonly instanceId: string;
  readonly dataDir: string;
  readonly log: (msg: string) => void;
  readonly now: () => number;
  /** "auto": enforce when root; "off": never touch the kernel. */
  readonly enforce: "auto" | "off";
  readonly run?: Run;
  readonly runInput?: RunInput;
}

export interface VpcStatus {
  readonly securityGroupsEnforced: boolean;
  readonly reason?: string;
  readonly subnets: number;
  readonly enforcedInterfaces: number;
  readonly rules: number;
  readonly lastError?: string;
}

export const VPC_STATE_FILE = "vpc-kernel.json";

export class VpcDataPlane {
  readonly #deps: VpcDataPlaneDeps;
  readonly networks: SubnetNetworks;
  readonly #kernel: Kernel;
  readonly #prefix: string;
  readonly #logPrefix: string;
  readonly #reasons = new Map<string, string>();
  readonly #drops: DropLog;
  #enforced = false;
  #reason: string | undefined;
  #hostAddresses: string[] = [];
  #bound = new Set<string>();
  #view: NetworkView = emptyView();
  #rules = 0;
  #interfaces = 0;
  #lastError: string | undefined;
  readonly #subnetErrors = new Map<string, string>();
  #dirty = false;
  #running: Promise<void> | undefined;
  #syncs = 0;
  #closed = false;
  readonly #sourceListeners = new Set<() => void>();

  constructor(deps: VpcDataPlaneDeps) {
    this.#deps = deps;
    const run = deps.run ?? runCommand;
    this.networks = new SubnetNetworks({ runtime: deps.runtime, instanceId: deps.instanceId, run });
    const tag = deps.instanceId.replace(/-/g, "").slice(0, 4);
    this.#prefix = `SWV${tag}`;
    this.#logPrefix = `slwv${tag}:`;
    this.#kernel = new Kernel({
      stateFile: join(deps.dataDir, VPC_STATE_FILE),
      prefix: this.#prefix,
      bridges: `${this.networks.bridgePrefix()}+`,
      comment: `slipway vpc ${deps.instanceId}`,
      run,
      ...(deps.runInput ? { runInput: deps.runInput } : {}),
    });
    this.#drops = new DropLog({ prefix: this.#logPrefix, reason: (c) => this.#reasons.get(c), log: deps.log, now: deps.now });
  }

  /** Checks the kernel can be programmed (warns once when not), then the first sync. */
  async start(): Promise<void> {
    if (this.#deps.enforce === "off") {
      this.#reason = "turned off (--security-groups off)";
    } else {
      this.#reason = await this.#kernel.probe();
      this.#enforced = this.#reason === undefined;
      if (!this.#enforced) {
        this.#deps.log(
          `warning: security groups are not enforced: ${this.#reason}. Tasks still get their subnet addresses, and reachability (routes, NAT gateways, VPC endpoints) is still checked when they start.`,
        );
      } else {
        this.#hostAddresses = await this.#readHostAddresses();
        this.#drops.start();
      }
    }
    await this.sync();
  }

  /** EC2 changed: sync soon (calls in a burst share one sync). */
  changed(): void {
    this.#dirty = true;
    if (!this.#running) this.#running = this.#loop();
  }

  /** Syncs now (and again if something changed meanwhile); resolves when the host matches the view. */
  async sync(): Promise<void> {
    // The kernel log's drop records, read on the same one-second tick (drop-log.ts).
    this.#drops.poll();
    this.changed();
    await this.#running;
  }

  async #loop(): Promise<void> {
    try {
      while (this.#dirty && !this.#closed) {
        this.#dirty = false;
        try {
          await this.#syncOnce();
          this.#lastError = undefined;
        } catch (err) {
          // Said once per distinct failure (a Docker engine that is away fails every second).
          const message = (err as Error).message;
          if (message !== this.#lastError) this.#deps.log(`vpc: sync failed: ${message}`);
          this.#lastError = message;
        }
      }
    } finally {
      this.#running = undefined;
    }
  }

  async #syncOnce(): Promise<void> {
    const view = this.#deps.view();
    this.#view = view;
    const enis = [...view.enis.values()];
    // Subnets that need a bridge here: tasks' (running or starting), and, when addresses can be
    // bound, those of load balancers in a VPC with tasks here (their sources; a load balancer whose
    // targets are instances, on host ports, needs none).
    const wanted = new Set<string>();
    const taskVpcs = new Set<string>();
    for (const e of enis) {
      if (e.kind !== "task") continue;
      wanted.add(e.subnetId);
      taskVpcs.add(e.vpcId);
    }
    for (const e of enis) if (this.#enforced && e.kind === "elb" && taskVpcs.has(e.vpcId)) wanted.add(e.subnetId);
    for (const id of [...wanted]) if (!view.subnets.has(id)) wanted.delete(id);
    if (this.#enforced) {
      for (const id of wanted) {
        if (this.networks.ready().has(id)) continue;
        const s = view.subnets.get(id)!;
        const r = await this.networks.ensure({ id, vpcId: s.vpcId, cidr: s.cidr });
        if ("error" in r && this.#subnetErrors.get(id) !== r.error) {
          this.#subnetErrors.set(id, r.error);
          this.#deps.log(`vpc: ${r.error}`);
        }
      }
    }
    await this.networks.sync(wanted);
    if (!this.#enforced) return;

    const ready = this.networks.ready();
    const addresses = enis
      .filter((e) => e.kind === "elb" && ready.has(e.subnetId))
      .flatMap((e) => e.privateIps.map((ip) => ({ ip, dev: this.networks.bridgeName(e.subnetId) })));
    await this.#kernel.setAddresses(addresses);
    const bound = new Set(addresses.map((a) => a.ip));
    const sourcesChanged = bound.size !== this.#bound.size || [...bound].some((ip) => !this.#bound.has(ip));
    this.#bound = bound;

    const rules = buildRules({
      view,
      prefix: this.#prefix,
      bridges: `${this.networks.bridgePrefix()}+`,
      subnets: ready,
      boundSources: bound,
      hostAddresses: this.#hostAddresses,
      logPrefix: this.#logPrefix,
    });
    for (const [k, v] of rules.reasons) this.#reasons.set(k, v);
    if (this.#reasons.size > 5000) this.#reasons.clear();
    this.#syncs++;
    await this.#kernel.apply(rules, { checkJumps: this.#syncs % 10 === 1 });
    this.#rules = rules.text.split("\n").filter((l) => l.startsWith("-A ")).length;
    this.#interfaces = enis.filter((e) => e.kind === "task" && ready.has(e.subnetId)).length;
    if (sourcesChanged) for (const l of this.#sourceListeners) l();
  }

  /** The Docker network an awsvpc task of this subnet joins (made if missing), or why it cannot. */
  async taskNetwork(subnetId: string): Promise<{ name: string } | { error: string }> {
    const s = this.#deps.view().subnets.get(subnetId);
    if (!s) return { error: `subnet ${subnetId} no longer exists` };
    return this.networks.ensure({ id: s.id, vpcId: s.vpcId, cidr: s.cidr });
  }

  /** Called when the load balancers' bound addresses change (the routing table picks its sources again). */
  onSourcesChanged(listener: () => void): void {
    this.#sourceListeners.add(listener);
  }

  /** Load balancer ENI addresses bound on this host (the data plane may connect from them). */
  boundSources(): ReadonlySet<string> {
    return this.#bound;
  }

  /** The view the last sync used. */
  view(): NetworkView {
    return this.#view;
  }

  status(): VpcStatus {
    return {
      securityGroupsEnforced: this.#enforced,
      ...(this.#reason ? { reason: this.#reason } : {}),
      subnets: this.networks.ready().size,
      enforcedInterfaces: this.#interfaces,
      rules: this.#rules,
      ...(this.#lastError ? { lastError: this.#lastError } : {}),
    };
  }

  /** Stops syncing and removes the kernel state (networks stay: the containers keep running). */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#running;
    this.#drops.stop();
    if (this.#enforced) await this.#kernel.tearDown();
  }

  async #readHostAddresses(): Promise<string[]> {
    const r = await (this.#deps.run ?? runCommand)("ip", ["-4", "-o", "addr", "show"]);
    const out: string[] = [];
    for (const line of r.stdout.split("\n")) {
      const m = /^\d+:\s+(\S+)\s+inet\s+(\d+\.\d+\.\d+\.\d+)\//.exec(line);
      if (!m) continue;
      const dev = m[1]!;
      if (dev === "lo" || dev.startsWith("docker") || dev.startsWith("br-") || dev.startsWith("veth") || dev.startsWith("slw")) continue;
      out.push(m[2]!);
    }
    return out;
  }
}
