/**
 * Making 169.254.170.2 reachable from task containers, as the ECS agent does on an EC2 instance
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html): the SDKs read
 * AWS_CONTAINER_CREDENTIALS_RELATIVE_URI relative to http://169.254.170.2, a fixed address.
 *
 * Slipway puts the address itself on the loopback interface (`ip addr add 169.254.170.2/32 dev lo
 * label lo:slipway`) and binds a dedicated listener to it, rather than the agent's DNAT to
 * 127.0.0.1 (which needs route_localnet, opening every loopback service to containers). A
 * container's packets to 169.254.170.2 go to its default gateway, the Docker host, which accepts
 * them for a local address; the main API listener stays on 127.0.0.1. An iptables chain
 * (SLIPWAY-TASK-ENDPOINT, jumped to from INPUT for that address only) drops what does not come from
 * loopback, a Docker bridge (docker0, br-*) or a VPC subnet bridge (slw*, src/vpc), so machines on
 * the LAN cannot reach it.
 *
 * Everything added is recorded in <data-dir>/task-endpoint.json and removed by close() and by
 * `slipway clean`; an address or chain that was already there is used but never removed. It all
 * needs root (CAP_NET_ADMIN, and CAP_NET_BIND_SERVICE for port 80).
 */
import { execFile } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";

export const TASK_ENDPOINT_IP = "169.254.170.2";
export const TASK_ENDPOINT_PORT = 80;
const LABEL = "lo:slipway";
export const CHAIN = "SLIPWAY-TASK-ENDPOINT";
const COMMENT = "slipway task endpoint: containers only";
const JUMP = ["INPUT", "-d", `${TASK_ENDPOINT_IP}/32`, "-m", "comment", "--comment", COMMENT, "-j", CHAIN];

export type Run = (cmd: string, args: readonly string[]) => Promise<{ code: number; stdout: string; stderr: string }>;

export const runCommand: Run = (cmd, args) =>
  new Promise((resolve) => {
    execFile(cmd, [...args], { timeout: 10_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === "number" ? ((err as { code: number }).code) : 127) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr || (err && code === 127 ? err.message : "")) });
    });
  });

/** What this data directory's Slipway added to the kernel (and so must remove). */
export interface KernelState {
  address: boolean;
  chain: boolean;
}

const NONE: KernelState = { address: false, chain: false };

function readState(file: string): KernelState {
  try {
    return { ...NONE, ...(JSON.parse(readFileSync(file, "utf8")) as Partial<KernelState>) };
  } catch {
    return { ...NONE };
  }
}

export interface AddressSetup {
  /** Why the endpoint cannot be served, when it cannot. */
  readonly failure?: string;
  /** Things that work, but less well (no isolation chain). */
  readonly warnings: readonly string[];
}

/** Sets the address and the isolation chain up. */
export async function setUpAddress(stateFile: string, run: Run = runCommand): Promise<AddressSetup> {
  const state = readState(stateFile);
  const save = () => writeFileSync(stateFile, `${JSON.stringify(state)}\n`, { mode: 0o600 });
  const shown = await run("ip", ["-4", "-o", "addr", "show", "dev", "lo"]);
  if (shown.code !== 0) return { failure: `cannot list the loopback addresses (ip: ${shown.stderr.trim() || `exit ${shown.code}`})`, warnings: [] };
  if (!shown.stdout.includes(`inet ${TASK_ENDPOINT_IP}/`)) {
    const added = await run("ip", ["addr", "add", `${TASK_ENDPOINT_IP}/32`, "dev", "lo", "label", LABEL]);
    if (added.code !== 0) return { failure: `cannot add ${TASK_ENDPOINT_IP} to the loopback interface (ip: ${added.stderr.trim() || `exit ${added.code}`})`, warnings: [] };
    state.address = true;
    save();
  }
  // The isolation chain: rebuilt on every start (flushed, then filled), jumped to once from INPUT.
  const made = await run("iptables", ["-w", "-N", CHAIN]);
  if (made.code === 127) return { warnings: [`iptables is not installed: ${TASK_ENDPOINT_IP} is not isolated from other machines on the network`] };
  const exists = made.code !== 0 && /exist/i.test(made.stderr);
  if (made.code !== 0 && !exists) return { warnings: [`iptables -N ${CHAIN} failed (${made.stderr.trim()}): ${TASK_ENDPOINT_IP} is not isolated`] };
  if (!exists) {
    state.chain = true;
    save();
  }
  await run("iptables", ["-w", "-F", CHAIN]);
  const rules = [
    ["-i", "lo", "-j", "RETURN"],
    ["-i", "docker+", "-j", "RETURN"],
    ["-i", "br-+", "-j", "RETURN"],
    ["-i", "slw+", "-j", "RETURN"],
    ["-m", "comment", "--comment", COMMENT, "-j", "DROP"],
  ];
  for (const rule of rules) {
    const r = await run("iptables", ["-w", "-A", CHAIN, ...rule]);
    if (r.code !== 0) return { warnings: [`iptables -A ${CHAIN} failed (${r.stderr.trim()}): ${TASK_ENDPOINT_IP} is not isolated`] };
  }
  if ((await run("iptables", ["-w", "-C", ...JUMP])).code !== 0) {
    const r = await run("iptables", ["-w", "-I", ...JUMP]);
    if (r.code !== 0) return { warnings: [`iptables -I INPUT failed (${r.stderr.trim()}): ${TASK_ENDPOINT_IP} is not isolated`] };
  }
  return { warnings: [] };
}

/** Removes what `stateFile` says this data directory added; returns a line per thing removed. */
export async function tearDownAddress(stateFile: string, run: Run = runCommand): Promise<string[]> {
  const state = readState(stateFile);
  const done: string[] = [];
  if (state.chain) {
    while ((await run("iptables", ["-w", "-D", ...JUMP])).code === 0) {}
    await run("iptables", ["-w", "-F", CHAIN]);
    if ((await run("iptables", ["-w", "-X", CHAIN])).code === 0) done.push(`iptables chain ${CHAIN}`);
  }
  if (state.address && (await run("ip", ["addr", "del", `${TASK_ENDPOINT_IP}/32`, "dev", "lo"])).code === 0) done.push(`address ${TASK_ENDPOINT_IP} on lo`);
  rmSync(stateFile, { force: true });
  return done;
}
