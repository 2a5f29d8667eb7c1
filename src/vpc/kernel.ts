/**
 * The kernel state of the VPC data plane, named, recorded and removed: this Slipway's iptables
 * chains (all named with its prefix), the four jumps into them (DOCKER-USER twice, OUTPUT, INPUT,
 * each matching only its own bridges and carrying a comment that names it), and the load
 * balancers' ENI addresses on the bridges. Every jump and address is written to
 * <data-dir>/vpc-kernel.json before it is added, so a crash never leaves state nobody knows of;
 * close() and `slipway clean` remove exactly what the file lists, and the chains with the prefix.
 * Rules other programs made are never touched. All of it needs root (CAP_NET_ADMIN).
 *
 * The same record, with the Slipway's pid, is kept host-wide in /run/slipway/vpc/ (a tmpfs, which
 * a reboot empties as it empties iptables): `slipway clean` removes the kernel state of every
 * Slipway there whose process is gone, even when its data directory was deleted without a clean.
 *
 * Rules are replaced atomically per sync with `iptables-restore --noflush` (one transaction that
 * declares, so flushes, and refills every chain); chains that are no longer needed are flushed,
 * then deleted, in two more transactions (a chain cannot be deleted while the transaction that
 * drops its last reference is pending).
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { type Run, runCommand } from "../task-endpoint/address.ts";
import { processAlive } from "../core/process-alive.ts";
import type { RuleSet } from "./rules.ts";

export type RunInput = (cmd: string, args: readonly string[], input: string) => Promise<{ code: number; stdout: string; stderr: string }>;

export const runWithInput: RunInput = (cmd, args, input) =>
  new Promise((resolve) => {
    const child = spawn(cmd, [...args], { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", (err) => resolve({ code: 127, stdout, stderr: err.message }));
    child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(input);
  });

export interface KernelRecord {
  /** The chain prefix (one per data directory). */
  prefix: string;
  /** Jumps added, as iptables arguments after -I/-D (chain first). */
  jumps: string[][];
  /** Addresses added to bridges. */
  addresses: { ip: string; dev: string }[];
}

/** Where every running Slipway's VPC kernel record is mirrored, with its pid. */
export const HOST_RECORD_DIR = "/run/slipway/vpc";

/** The host-wide copy of a data directory's record: the record, whose it is, and where it lives. */
interface HostRecord extends KernelRecord {
  pid: number;
  stateFile: string;
}

function hostRecordFile(hostDir: string, stateFile: string): string {
  return join(hostDir, `${createHash("sha256").update(resolve(stateFile)).digest("hex").slice(0, 16)}.json`);
}

function readRecord(file: string): KernelRecord | undefined {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as KernelRecord;
  } catch {
    return undefined;
  }
}

export interface KernelDeps {
  readonly stateFile: string;
  readonly prefix: string;
  /** Interface pattern of this Slipway's bridges (`slw1a2b+`). */
  readonly bridges: string;
  readonly comment: string;
  readonly run?: Run;
  readonly runInput?: RunInput;
  /** Host-wide record folder (default HOST_RECORD_DIR; tests give their own). */
  readonly hostDir?: string;
}

export class Kernel {
  readonly #deps: KernelDeps;
  readonly #run: Run;
  readonly #runInput: RunInput;
  #record: KernelRecord;
  #lastText = "";
  readonly #hostDir: string;
  readonly #hostFile: string;
  #saved = false;

  constructor(deps: KernelDeps) {
    this.#deps = deps;
    this.#run = deps.run ?? runCommand;
    this.#runInput = deps.runInput ?? runWithInput;
    this.#hostDir = deps.hostDir ?? HOST_RECORD_DIR;
    this.#hostFile = hostRecordFile(this.#hostDir, deps.stateFile);
    const prior = readRecord(deps.stateFile);
    this.#record = { prefix: deps.prefix, jumps: prior?.jumps ?? [], addresses: prior?.addresses ?? [] };
  }

  /**
   * Writes the record to the data directory, and with this process's pid to the host-wide folder
   * (before the first change to the kernel, so a crash at any point leaves a record of it).
   */
  #save(): void {
    writeFileSync(this.#deps.stateFile, `${JSON.stringify(this.#record)}\n`, { mode: 0o600 });
    mkdirSync(this.#hostDir, { recursive: true, mode: 0o700 });
    const host: HostRecord = { ...this.#record, pid: process.pid, stateFile: resolve(this.#deps.stateFile) };
    writeFileSync(this.#hostFile, `${JSON.stringify(host)}\n`, { mode: 0o600 });
    this.#saved = true;
  }

  /**
   * Why the kernel cannot be programmed here, or undefined (root, iptables answers, and no other
   * running Slipway uses this prefix: chains are found and removed by prefix, so two Slipways with
   * one prefix would delete each other's rules).
   */
  async probe(): Promise<string | undefined> {
    if (typeof process.getuid === "function" && process.getuid() !== 0) return "Slipway is not running as root (iptables needs CAP_NET_ADMIN)";
    const r = await this.#run("iptables", ["-w", "-S", "OUTPUT"]);
    if (r.code === 127) return "iptables is not installed";
    if (r.code !== 0) return `iptables cannot list the filter table (${r.stderr.trim() || `exit ${r.code}`})`;
    const other = hostRecords(this.#hostDir).find(
      ({ rec }) => rec.prefix === this.#deps.prefix && rec.stateFile !== resolve(this.#deps.stateFile) && rec.pid !== process.pid && processAlive(rec.pid),
    );
    if (other) {
      return `another running Slipway (pid ${other.rec.pid}, ${dirname(other.rec.stateFile)}) uses the same iptables chain prefix ${this.#deps.prefix}; start this one with another --data-dir`;
    }
    return undefined;
  }

  /** The jumps into this Slipway's chains (DOCKER-USER when Docker made it, else FORWARD). */
  #wantedJumps(hasDockerUser: boolean): string[][] {
    const P = this.#deps.prefix;
    const tag = ["-m", "comment", "--comment", this.#deps.comment];
    const fwd = hasDockerUser ? "DOCKER-USER" : "FORWARD";
    return [
      [fwd, "-i", this.#deps.bridges, ...tag, "-j", `${P}-FWD`],
      [fwd, "-o", this.#deps.bridges, ...tag, "-j", `${P}-FWD`],
      ["OUTPUT", "-o", this.#deps.bridges, ...tag, "-j", `${P}-OUT`],
      ["INPUT", "-i", this.#deps.bridges, ...tag, "-j", `${P}-IN`],
    ];
  }

  /** Replaces the rules (when they changed), then makes sure the jumps are there (Docker may have rebuilt its chains). */
  async apply(rules: RuleSet, opts: { checkJumps?: boolean } = {}): Promise<void> {
    if (rules.text !== this.#lastText) {
      // The chains are made here, before any jump: the record (and this pid) must exist first.
      if (!this.#saved) this.#save();
      const r = await this.#runInput("iptables-restore", ["-w", "--noflush"], rules.text);
      if (r.code !== 0) throw new Error(`iptables-restore failed: ${r.stderr.trim() || `exit ${r.code}`}`);
      this.#lastText = rules.text;
      const wanted = new Set(rules.chains);
      // One listing serves both steps: removing stale chains changes no jump (they target the three wanted chains).
      const table = await readFilterTable(this.#run);
      await removeChains(chainsWithPrefix(table, this.#deps.prefix).filter((c) => !wanted.has(c)), this.#runInput);
      await this.#ensureJumps(table);
      return;
    }
    if (opts.checkJumps) await this.#ensureJumps(await readFilterTable(this.#run));
  }

  /**
   * Adds the jumps that are missing, given the filter table's listing (undefined when iptables-save
   * failed): a pass where every jump is listed runs no process of its own (the check runs every
   * tenth data-plane pass). A jump the listing does not show is checked with `iptables -C` before it
   * is inserted, so a listing in another format (another iptables build) costs processes, never a
   * duplicate jump.
   */
  async #ensureJumps(table: FilterTable | undefined): Promise<void> {
    const hasDockerUser = table ? table.chains.has("DOCKER-USER") : (await this.#run("iptables", ["-w", "-S", "DOCKER-USER"])).code === 0;
    for (const jump of this.#wantedJumps(hasDockerUser)) {
      if (table?.rules.has(jump.join("\0"))) continue;
      if ((await this.#run("iptables", ["-w", "-C", ...jump])).code === 0) continue;
      if (!this.#record.jumps.some((j) => j.join(" ") === jump.join(" "))) {
        this.#record.jumps.push(jump);
        this.#save();
      }
      const r = await this.#run("iptables", ["-w", "-I", jump[0]!, "1", ...jump.slice(1)]);
      if (r.code !== 0) throw new Error(`iptables -I ${jump[0]} failed: ${r.stderr.trim()}`);
    }
  }

  /** Makes the bridges' addresses exactly `wanted` (load balancer ENI addresses). */
  async setAddresses(wanted: readonly { ip: string; dev: string }[]): Promise<void> {
    const key = (a: { ip: string; dev: string }) => `${a.ip} ${a.dev}`;
    const want = new Set(wanted.map(key));
    for (const a of [...this.#record.addresses]) {
      if (want.has(key(a))) continue;
      await this.#run("ip", ["addr", "del", `${a.ip}/32`, "dev", a.dev]);
      this.#record.addresses = this.#record.addresses.filter((x) => key(x) !== key(a));
      this.#save();
    }
    for (const a of wanted) {
      if (this.#record.addresses.some((x) => key(x) === key(a))) continue;
      this.#record.addresses.push(a);
      this.#save();
      const r = await this.#run("ip", ["addr", "add", `${a.ip}/32`, "dev", a.dev]);
      if (r.code !== 0 && !/exists/i.test(r.stderr)) throw new Error(`ip addr add ${a.ip} dev ${a.dev} failed: ${r.stderr.trim()}`);
    }
  }

  /** Removes everything this Slipway added; returns a line per thing removed. */
  async tearDown(): Promise<string[]> {
    this.#lastText = "";
    return tearDownVpcKernel(this.#deps.stateFile, this.#run, this.#runInput, this.#hostDir);
  }
}

/** What `slipway clean` and close() run: jumps, chains with the prefix, addresses, then the records. */
export async function tearDownVpcKernel(
  stateFile: string,
  run: Run = runCommand,
  runInput: RunInput = runWithInput,
  hostDir: string = HOST_RECORD_DIR,
): Promise<string[]> {
  const hostFile = hostRecordFile(hostDir, stateFile);
  const rec = readRecord(stateFile) ?? readRecord(hostFile);
  if (!rec) return [];
  const done = await tearDownRecord(rec, { chains: true }, run, runInput);
  rmSync(stateFile, { force: true });
  rmSync(hostFile, { force: true });
  return done;
}

/**
 * The kernel state of every Slipway in the host-wide folder whose process is gone: its jumps, its
 * addresses, its chains (unless a live Slipway shares the prefix), its records. Returns a line per
 * Slipway collected. A pid that is alive is never collected, whatever process it is now.
 */
export async function collectVpcOrphans(hostDir: string = HOST_RECORD_DIR, run: Run = runCommand, runInput: RunInput = runWithInput): Promise<string[]> {
  const records = hostRecords(hostDir);
  const live = records.filter((r) => processAlive(r.rec.pid));
  const livePrefixes = new Set(live.map((r) => r.rec.prefix));
  const out: string[] = [];
  for (const { file, rec } of records) {
    if (live.some((r) => r.file === file)) continue;
    const done = await tearDownRecord(rec, { chains: !livePrefixes.has(rec.prefix) }, run, runInput);
    rmSync(file, { force: true });
    // The data directory's copy (if the directory is still there) lists what is gone now.
    if (readRecord(rec.stateFile)?.prefix === rec.prefix) rmSync(rec.stateFile, { force: true });
    out.push(`VPC kernel state of a Slipway that is gone (pid ${rec.pid}, ${rec.stateFile}): ${done.length ? done.join(", ") : "nothing left"}`);
  }
  return out;
}

/**
 * One line of `iptables-save` split into arguments as a shell would: a double-quoted argument (which
 * iptables-save writes for a comment with a space, escaping `"` and `\\` inside) is one argument.
 */
export function saveArgs(line: string): string[] {
  const out: string[] = [];
  for (const m of line.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)) out.push(m[1] !== undefined ? m[1].replace(/\\(.)/g, "$1") : m[2]!);
  return out;
}

/** The host-wide records there are (none when the folder does not exist). */
function hostRecords(hostDir: string): { file: string; rec: HostRecord }[] {
  let names: string[];
  try {
    names = readdirSync(hostDir).filter((n) => n.endsWith(".json"));
  } catch {
    return [];
  }
  return names.flatMap((name) => {
    const rec = readRecord(join(hostDir, name)) as HostRecord | undefined;
    return rec && typeof rec.pid === "number" && typeof rec.stateFile === "string" ? [{ file: join(hostDir, name), rec }] : [];
  });
}

async function tearDownRecord(rec: KernelRecord, opts: { chains: boolean }, run: Run, runInput: RunInput): Promise<string[]> {
  const done: string[] = [];
  let jumps = 0;
  for (const jump of rec.jumps) {
    while ((await run("iptables", ["-w", "-D", ...jump])).code === 0) jumps++;
  }
  if (jumps) done.push(`${jumps} iptables jump(s)`);
  if (!opts.chains) return [...done, ...(await deleteAddresses(rec, run))];
  const chains = chainsWithPrefix(await readFilterTable(run), rec.prefix);
  if (chains.length && (await removeChains(chains, runInput))) done.push(`${chains.length} iptables chain(s) ${rec.prefix}-*`);
  return [...done, ...(await deleteAddresses(rec, run))];
}

/** The filter table as `iptables-save -t filter` lists it: chain names, and each `-A` rule's arguments after `-A` (unquoted), joined with NUL. */
interface FilterTable {
  chains: Set<string>;
  rules: Set<string>;
}

/** One `iptables-save -t filter`; undefined when it fails. */
async function readFilterTable(run: Run): Promise<FilterTable | undefined> {
  const r = await run("iptables-save", ["-t", "filter"]);
  if (r.code !== 0) return undefined;
  const table: FilterTable = { chains: new Set(), rules: new Set() };
  for (const line of r.stdout.split("\n")) {
    if (line.startsWith(":")) table.chains.add(line.slice(1).split(" ", 1)[0]!);
    else if (line.startsWith("-A ")) table.rules.add(saveArgs(line.slice(3)).join("\0"));
  }
  return table;
}

function chainsWithPrefix(table: FilterTable | undefined, prefix: string): string[] {
  return [...(table?.chains ?? [])].filter((c) => c.startsWith(`${prefix}-`));
}

/**
 * Flushes, then deletes, chains: two transactions (a chain cannot be deleted while the transaction
 * that drops its last reference is pending). Whether the deletion succeeded.
 */
async function removeChains(chains: readonly string[], runInput: RunInput): Promise<boolean> {
  if (!chains.length) return true;
  await runInput("iptables-restore", ["-w", "--noflush"], ["*filter", ...chains.map((c) => `:${c} - [0:0]`), "COMMIT", ""].join("\n"));
  return (await runInput("iptables-restore", ["-w", "--noflush"], ["*filter", ...chains.map((c) => `-X ${c}`), "COMMIT", ""].join("\n"))).code === 0;
}

async function deleteAddresses(rec: KernelRecord, run: Run): Promise<string[]> {
  const done: string[] = [];
  for (const a of rec.addresses) {
    if ((await run("ip", ["addr", "del", `${a.ip}/32`, "dev", a.dev])).code === 0) done.push(`address ${a.ip} on ${a.dev}`);
  }
  return done;
}
