/**
 * One Docker bridge network per VPC subnet in use on this host, with the subnet's own range: the
 * gateway is the VPC router's address (base+1), base+2 and base+3 are kept from Docker's
 * allocator, and every task container is given its ENI's address explicitly, so the address
 * DescribeTasks, DescribeNetworkInterfaces and the target group show is where traffic arrives.
 * The bridge is named `slw<instance><subnet>` so this Slipway's filters (and the task endpoint's)
 * can match its bridges and no one else's.
 *
 * A subnet range can collide with what the host already has: another Docker network (the default
 * VPC's 172.31.0.0/16 lies in Docker's default address pools, 172.17.0.0/16 … 172.31.0.0/16) or a
 * host route. Slipway never moves a subnet to another range: it refuses with a message that says
 * what collides and how to fix it.
 */
import { writeFileSync } from "node:fs";
import { LABELS, type ContainerRuntime, type NetworkInfo } from "../runtime/runtime.ts";
import { type Run, runCommand } from "../task-endpoint/address.ts";
import { inCidr } from "./reachability.ts";

export interface SubnetSpec {
  readonly id: string;
  readonly vpcId: string;
  readonly cidr: string;
}

const OUR_NETWORK = "slipway.subnet";

function overlap(a: string, b: string): boolean {
  const [ab = "", al = "32"] = a.split("/");
  const [bb = "", bl = "32"] = b.split("/");
  return Number(al) <= Number(bl) ? inCidr(bb, a) : inCidr(ab, b);
}

function offset(cidr: string, n: number): string {
  const parts = cidr.split("/")[0]!.split(".").map(Number);
  const v = ((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]! + n;
  return [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join(".");
}

const POOLS_FIX =
  'or move Docker\'s automatic address pools away from it in /etc/docker/daemon.json ("default-address-pools": [{"base": "100.64.0.0/10", "size": 24}]), restart Docker and recreate that network';

export class SubnetNetworks {
  readonly #rt: ContainerRuntime;
  readonly #instanceId: string;
  readonly #run: Run;
  /** Subnets whose network is known to exist (cleared when a sync finds it gone). */
  readonly #ready = new Set<string>();
  readonly #pending = new Map<string, Promise<{ name: string } | { error: string }>>();

  constructor(deps: { runtime: ContainerRuntime; instanceId: string; run?: Run }) {
    this.#rt = deps.runtime;
    this.#instanceId = deps.instanceId;
    this.#run = deps.run ?? runCommand;
  }

  /** The Docker network of a subnet. */
  networkName(subnetId: string): string {
    return `slipway-${this.#instanceId.slice(0, 8)}-${subnetId}`;
  }

  /** The Linux bridge of a subnet (15 characters at most). */
  bridgeName(subnetId: string): string {
    return `${this.bridgePrefix()}${subnetId.slice(-8)}`;
  }

  /** `slw` + four characters of the instance: every bridge of this Slipway starts with it. */
  bridgePrefix(): string {
    return `slw${this.#instanceId.replace(/-/g, "").slice(0, 4)}`;
  }

  /** Subnets whose network exists (as far as the last ensure/sync knows). */
  ready(): ReadonlySet<string> {
    return this.#ready;
  }

  /** The subnet's network, made if missing; or why it cannot be. Concurrent calls share one attempt. */
  ensure(subnet: SubnetSpec): Promise<{ name: string } | { error: string }> {
    if (this.#ready.has(subnet.id)) return Promise.resolve({ name: this.networkName(subnet.id) });
    const pending = this.#pending.get(subnet.id);
    if (pending !== undefined) return pending;
    const p = this.#ensure(subnet).finally(() => this.#pending.delete(subnet.id));
    this.#pending.set(subnet.id, p);
    return p;
  }

  async #ensure(subnet: SubnetSpec): Promise<{ name: string } | { error: string }> {
    const name = this.networkName(subnet.id);
    const all = await this.#rt.networks();
    const mine = all.find((n) => n.name === name);
    if (mine) {
      this.#ready.add(subnet.id);
      this.#bridgeFilters(this.bridgeName(subnet.id));
      return { name };
    }
    const collision = await this.#collision(subnet, all);
    if (collision) return { error: collision };
    try {
      await this.#rt.createNetwork({
        name,
        labels: { [LABELS.managed]: "true", [LABELS.instance]: this.#instanceId, [OUR_NETWORK]: subnet.id, "slipway.vpc": subnet.vpcId },
        subnet: subnet.cidr,
        gateway: offset(subnet.cidr, 1),
        auxAddresses: { "vpc-dns": offset(subnet.cidr, 2), "vpc-reserved": offset(subnet.cidr, 3) },
        bridgeName: this.bridgeName(subnet.id),
      });
    } catch (err) {
      const again = await this.#collision(subnet, await this.#rt.networks());
      return { error: again ?? `Docker could not create the network of ${subnet.id} (${subnet.cidr}): ${(err as Error).message}` };
    }
    this.#ready.add(subnet.id);
    this.#bridgeFilters(this.bridgeName(subnet.id));
    return { name };
  }

  /** What on this host already uses part of the subnet's range, as a message with the fix. */
  async #collision(subnet: SubnetSpec, all: readonly NetworkInfo[]): Promise<string | undefined> {
    const head = `Subnet ${subnet.id} (${subnet.cidr}) of ${subnet.vpcId} overlaps`;
    const tail = "so its tasks cannot get the addresses AWS would give them, and Slipway never moves a subnet to another range. Fix:";
    for (const n of all) {
      const clash = n.subnets.find((c) => overlap(c, subnet.cidr));
      if (!clash) continue;
      if (n.labels[OUR_NETWORK] && n.labels[LABELS.instance] === this.#instanceId) {
        // This Slipway's network of a subnet that is gone: remove it and go on.
        try {
          await this.#rt.removeNetwork(n.name);
          continue;
        } catch {
          return `${head} ${n.name} (${clash}), a network of a deleted subnet that still has containers, ${tail} stop them (slipway clean).`;
        }
      }
      if (n.labels[OUR_NETWORK]) {
        return `${head} Docker network "${n.name}" (${clash}) of another Slipway on this host (instance ${n.labels[LABELS.instance] ?? "?"}), ${tail} stop that Slipway or run \`slipway clean\` in its data directory, or give this VPC a CIDR that does not overlap ${clash}.`;
      }
      return `${head} Docker network "${n.name}" (${clash}) on this host, ${tail} remove that network if nothing uses it (docker network rm ${n.name}), ${POOLS_FIX}, or give this VPC a CIDR that does not overlap ${clash}.`;
    }
    const routes = await this.#run("ip", ["-4", "-o", "route", "show"]);
    const bridges = new Set(all.map((n) => n.bridge).filter(Boolean));
    for (const line of routes.stdout.split("\n")) {
      const m = /^(\d+\.\d+\.\d+\.\d+(?:\/\d+)?)\s.*\bdev\s+(\S+)/.exec(line);
      if (!m) continue;
      const dst = m[1]!.includes("/") ? m[1]! : `${m[1]}/32`;
      if (bridges.has(m[2]!) || m[2]!.startsWith(this.bridgePrefix())) continue;
      if (overlap(dst, subnet.cidr)) {
        return `${head} the host route ${dst} (dev ${m[2]}), ${tail} give this VPC a CIDR outside ${dst}.`;
      }
    }
    return undefined;
  }

  /** Bridged packets between two tasks of one subnet must reach iptables (br_netfilter), per bridge. */
  #bridgeFilters(bridge: string): void {
    try {
      writeFileSync(`/sys/class/net/${bridge}/bridge/nf_call_iptables`, "1\n");
    } catch {
      // Not root, or no br_netfilter: the system-wide bridge-nf-call-iptables decides.
    }
  }

  /**
   * Removes this Slipway's subnet networks that no wanted subnet uses (Docker refuses while a
   * container is attached: tried again on the next sync), and forgets the ones that are gone.
   */
  async sync(wanted: ReadonlySet<string>): Promise<void> {
    const all = await this.#rt.networks();
    const present = new Set<string>();
    for (const n of all) {
      const subnetId = n.labels[OUR_NETWORK];
      if (!subnetId || n.labels[LABELS.instance] !== this.#instanceId) continue;
      present.add(subnetId);
      if (wanted.has(subnetId)) {
        // Made by an earlier run of this Slipway (a restart): ready as it is.
        if (!this.#ready.has(subnetId)) this.#bridgeFilters(this.bridgeName(subnetId));
        this.#ready.add(subnetId);
        continue;
      }
      try {
        await this.#rt.removeNetwork(n.name);
        present.delete(subnetId);
      } catch {
        // Still has containers (a task stopping): next time.
      }
    }
    for (const id of [...this.#ready]) if (!present.has(id)) this.#ready.delete(id);
  }

  /** Every network this Slipway made (slipway clean). */
  async removeAll(): Promise<number> {
    let n = 0;
    for (const net of await this.#rt.networks()) {
      if (!net.labels[OUR_NETWORK] || net.labels[LABELS.instance] !== this.#instanceId) continue;
      await this.#rt.removeNetwork(net.name).then(
        () => n++,
        () => undefined,
      );
    }
    this.#ready.clear();
    return n;
  }
}
