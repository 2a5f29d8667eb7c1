/**
 * The `slipway` command.
 *   slipway up [--port 4566] [--data-dir DIR] [--account-id ID] [--region R] [--strict-auth]
 *              [--data-plane node|haproxy]   (also SLIPWAY_DATA_PLANE; haproxy: see src/proxy/haproxy/)
 *              [--task-endpoint auto|off] [--no-endpoint-url] [--enforce-iam | --no-enforce-iam]
 *              [--oidc-issuer URL] [--security-groups auto|off] [--unreachable-timeout SECONDS] [--quiet]
 *       serves until SIGINT/SIGTERM; prints the console's URL, a line per deployment start and
 *       finish and per failed task (not with --quiet), and on shutdown what is left running;
 *       refused while another `slipway up` runs on the same data directory
 *   slipway oidc-token --repository ORG/REPO [--ref refs/heads/main] [--environment NAME]
 *              [--audience sts.amazonaws.com] [--sub SUBJECT] [--claim key=value]... [--ttl 300]
 *              [--data-dir DIR] [--oidc-issuer URL]
 *       prints an ID token in GitHub Actions' claim layout, signed by this data directory's
 *       OIDC key (the one `slipway up` publishes and verifies): no server needs to run
 *   slipway ca [--data-dir DIR]
 *       prints the data directory's local certificate authority root (PEM; created if absent): the
 *       issuer of ACM's requested certificates. `slipway ca > ca.pem; curl --cacert ca.pem https://…`
 *   slipway clean [--data-dir DIR] [--keep-data] [--all]
 *       (refused while that data directory's Slipway runs) removes the containers this data
 *       directory's Slipway made, its subnet networks, the awsvpc network once unused, the
 *       169.254.170.2 address and iptables chain it added (task endpoint), its security-group
 *       chains, their jumps and the load balancers' addresses on its bridges (VPC data plane),
 *       HAProxy data planes and VPC kernel state left by any Slipway whose process is gone
 *       (/run/slipway/vpc), and the data directory; --all removes every Slipway container on the
 *       host
 */
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { systemClock } from "../core/clock.ts";
import { randomIds } from "../core/ids.ts";
import { DockerRuntime } from "../runtime/docker/docker-runtime.ts";
import { LocalAuthority } from "../services/acm/authority.ts";
import { KeyStore } from "../services/acm/keystore.ts";
import { LABELS } from "../runtime/runtime.ts";
import { collectHaproxyOrphans } from "../proxy/haproxy/haproxy-data-plane.ts";
import { installLastResort } from "../server/last-resort.ts";
import { type DataDirLock, dataDirInUse, lockDataDir } from "../server/data-dir-lock.ts";
import { startSlipway } from "../server/slipway.ts";
import { tearDownAddress } from "../task-endpoint/address.ts";
import { VPC_STATE_FILE } from "../vpc/data-plane.ts";
import { collectVpcOrphans, tearDownVpcKernel } from "../vpc/kernel.ts";
import { SubnetNetworks } from "../vpc/subnet-networks.ts";
import { GITHUB_ISSUER, githubClaims, OidcIssuer } from "../oidc/issuer.ts";
import { shutdownSummary } from "./summary.ts";

const USAGE = `usage:
  slipway up [--port 4566] [--data-dir .slipway] [--account-id 000000000000] [--region us-east-1] [--strict-auth] [--fsync]
             [--task-endpoint auto|off] [--no-endpoint-url] [--enforce-iam | --no-enforce-iam] [--oidc-issuer URL]
             [--security-groups auto|off] [--unreachable-timeout 5] [--quiet]
             [--data-plane node|haproxy]
  slipway oidc-token --repository ORG/REPO [--ref refs/heads/main] [--environment NAME] [--audience sts.amazonaws.com]
             [--sub SUBJECT] [--claim key=value]... [--ttl 300] [--data-dir .slipway] [--oidc-issuer URL]
  slipway ca [--data-dir .slipway]
  slipway clean [--data-dir .slipway] [--keep-data] [--all]`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      port: { type: "string" },
      "data-dir": { type: "string" },
      "account-id": { type: "string" },
      region: { type: "string" },
      "strict-auth": { type: "boolean" },
      "keep-data": { type: "boolean" },
      all: { type: "boolean" },
      fsync: { type: "boolean" },
      "data-plane": { type: "string" },
      "task-endpoint": { type: "string" },
      "no-endpoint-url": { type: "boolean" },
      quiet: { type: "boolean" },
      "security-groups": { type: "string" },
      "unreachable-timeout": { type: "string" },
      "enforce-iam": { type: "boolean" },
      "no-enforce-iam": { type: "boolean" },
      "oidc-issuer": { type: "string" },
      repository: { type: "string" },
      ref: { type: "string" },
      environment: { type: "string" },
      audience: { type: "string" },
      sub: { type: "string" },
      claim: { type: "string", multiple: true },
      ttl: { type: "string" },
    },
  });
  const dataDir = values["data-dir"] ?? process.env.SLIPWAY_DATA_DIR ?? ".slipway";
  const oidcIssuer = values["oidc-issuer"] ?? process.env.SLIPWAY_OIDC_ISSUER;
  if (command === "oidc-token") {
    if (!values.repository && !values.sub) throw new Error("oidc-token needs --repository ORG/REPO (or --sub)");
    const extra: Record<string, string> = {};
    for (const c of values.claim ?? []) {
      const eq = c.indexOf("=");
      if (eq <= 0) throw new Error(`invalid --claim ${c} (key=value)`);
      extra[c.slice(0, eq)] = c.slice(eq + 1);
    }
    const claims = {
      ...githubClaims({
        repository: values.repository ?? "local/local",
        ...(values.ref ? { ref: values.ref } : {}),
        ...(values.environment ? { environment: values.environment } : {}),
        ...(values.audience ? { audience: values.audience } : {}),
        extra,
      }),
      ...(values.sub ? { sub: values.sub } : {}),
    };
    const ttl = Number(values.ttl ?? 300);
    if (!Number.isInteger(ttl) || ttl < 1) throw new Error(`invalid --ttl ${values.ttl}`);
    const issuer = OidcIssuer.open(oidcIssuer ?? GITHUB_ISSUER, join(dataDir, "oidc-signing-key.json"));
    console.log(await issuer.mint({ claims, ttlSeconds: ttl, now: systemClock.now() }));
    return 0;
  }
  if (command === "up") {
    installLastResort((m) => console.error(m));
    const port = Number(values.port ?? process.env.SLIPWAY_PORT ?? 4566);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid --port ${values.port}`);
    const credentials = process.env.SLIPWAY_CREDENTIALS
      ? process.env.SLIPWAY_CREDENTIALS.split(",").map((entry) => {
          const [accessKeyId, secretAccessKey, accountId] = entry.split(":");
          return { accessKeyId: accessKeyId!, secretAccessKey: secretAccessKey!, accountId: accountId ?? values["account-id"] ?? "000000000000" };
        })
      : [];
    // Listening for SIGINT/SIGTERM from the start: a signal during start-up (requests are served
    // before the ready line) waits for start-up to finish, then stops cleanly, so nothing Slipway
    // added to the kernel or started is left behind, as the default action would.
    let stopRequested = false;
    const stopped = new Promise<void>((resolve) => {
      const stop = () => {
        stopRequested = true;
        resolve();
      };
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
    // One server per data directory (src/server/data-dir-lock.ts); refused before anything starts.
    let lock: DataDirLock;
    try {
      lock = lockDataDir(dataDir);
    } catch (err) {
      if ((err as Error).name === "DataDirInUse") (err as Error).message += "; stop it first, or give this one another --data-dir";
      throw err;
    }
    const slipway = await startSlipway({
      port,
      dataDir,
      accountId: values["account-id"] ?? process.env.SLIPWAY_ACCOUNT_ID ?? "000000000000",
      region: values.region ?? process.env.SLIPWAY_REGION ?? "us-east-1",
      strictAuth: values["strict-auth"] ?? process.env.SLIPWAY_STRICT_AUTH === "true",
      ...enforceIam(values["enforce-iam"], values["no-enforce-iam"], process.env.SLIPWAY_ENFORCE_IAM),
      ...(oidcIssuer ? { oidcIssuer } : {}),
      credentials,
      fsync: values.fsync ?? process.env.SLIPWAY_FSYNC === "true",
      idleCollection: true,
      dataPlane: dataPlaneOption(values["data-plane"] ?? process.env.SLIPWAY_DATA_PLANE),
      taskEndpoint: taskEndpointMode(values["task-endpoint"] ?? process.env.SLIPWAY_TASK_ENDPOINT ?? "auto"),
      injectEndpointUrl: !(values["no-endpoint-url"] ?? process.env.SLIPWAY_INJECT_ENDPOINT_URL === "false"),
      ...(values.quiet ? {} : { report: (line: string) => console.log(line) }),
      securityGroups: onOff("security-groups", values["security-groups"] ?? process.env.SLIPWAY_SECURITY_GROUPS ?? "auto"),
      unreachableTimeoutMs: seconds("unreachable-timeout", values["unreachable-timeout"] ?? process.env.SLIPWAY_UNREACHABLE_TIMEOUT ?? "5") * 1000,
    });
    if (!stopRequested) console.log(`Slipway ready on ${slipway.url}\nConsole: ${slipway.consoleUrl}`);
    await stopped;
    const left = await slipway.leftRunning();
    await slipway.close();
    lock.release();
    console.log(shutdownSummary(left, dataDir));
    return 0;
  }
  if (command === "ca") {
    const keys = KeyStore.fromFile(join(dataDir, "acm.key"), (m) => console.error(m));
    const authority = new LocalAuthority(join(dataDir, "acm"), keys, systemClock, randomIds);
    process.stdout.write(await authority.rootPem());
    return 0;
  }
  if (command === "clean") {
    // HAProxy data planes whose Slipway died without stopping them (kill -9), and the VPC kernel
    // state (iptables, addresses) of Slipways that are gone, whatever their data directory.
    collectHaproxyOrphans((m) => console.log(m));
    for (const line of await collectVpcOrphans()) console.log(line);
    // Only what this data directory's Slipway made (its instance label), unless --all.
    const rt = new DockerRuntime();
    let instance: string | undefined;
    try {
      instance = readFileSync(join(dataDir, "instance-id"), "utf8").trim();
    } catch {
      instance = undefined;
    }
    if (!instance && !values.all) {
      console.log(`nothing to clean: ${dataDir} holds no Slipway instance (use --all for every Slipway container)`);
      return 0;
    }
    // Never from under a running server: its containers and files are in use.
    const inUse = instance ? dataDirInUse(dataDir) : undefined;
    if (inUse) {
      console.error(`slipway clean: ${inUse}; stop it first (Ctrl-C or SIGTERM), then clean`);
      return 1;
    }
    const filter: Record<string, string> = values.all ? { [LABELS.managed]: "true" } : { [LABELS.managed]: "true", [LABELS.instance]: instance! };
    const containers = await rt.list(filter);
    for (const c of containers) await rt.remove(c.id);
    // The shared awsvpc network goes once no Slipway container uses it.
    const left = await rt.list({ [LABELS.managed]: "true" });
    if (left.length === 0) await rt.removeNetwork("slipway-awsvpc").catch(() => {});
    // This instance's subnet networks (its containers are gone now).
    const subnetNets = instance ? await new SubnetNetworks({ runtime: rt, instanceId: instance }).removeAll() : 0;
    // The task endpoint's kernel state (address on lo, iptables chain), as far as this data dir added it,
    // and the VPC data plane's (security-group chains, their jumps, load balancer addresses).
    const kernel = [
      ...(await tearDownAddress(join(dataDir, "task-endpoint.json"))),
      ...(await tearDownVpcKernel(join(dataDir, VPC_STATE_FILE))),
      ...(subnetNets ? [`${subnetNets} subnet network(s)`] : []),
    ];
    if (!values["keep-data"]) rmSync(dataDir, { recursive: true, force: true });
    console.log(`removed ${containers.length} container(s)${kernel.map((k) => `, ${k}`).join("")}${values["keep-data"] ? "" : ` and ${dataDir}`}`);
    return 0;
  }
  console.error(USAGE);
  return command === undefined || command === "help" || command === "--help" ? 0 : 2;
}

/** --enforce-iam / --no-enforce-iam / SLIPWAY_ENFORCE_IAM; unset: follows --strict-auth. */
function enforceIam(on: boolean | undefined, off: boolean | undefined, env: string | undefined): { enforceIam?: boolean } {
  if (on && off) throw new Error("--enforce-iam and --no-enforce-iam contradict each other");
  if (on) return { enforceIam: true };
  if (off) return { enforceIam: false };
  if (env === "true" || env === "false") return { enforceIam: env === "true" };
  return {};
}

function dataPlaneOption(v: string | undefined): "node" | "haproxy" {
  if (v === undefined || v === "" || v === "node") return "node";
  if (v === "haproxy") return "haproxy";
  throw new Error(`invalid --data-plane ${v} (node or haproxy)`);
}

function taskEndpointMode(v: string): "auto" | "off" {
  return onOff("task-endpoint", v);
}

function seconds(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || n > 600) throw new Error(`invalid --${flag} ${v} (seconds, 0 to 600)`);
  return n;
}

function onOff(flag: string, v: string): "auto" | "off" {
  if (v !== "auto" && v !== "off") throw new Error(`invalid --${flag} ${v} (auto or off)`);
  return v;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`slipway: ${(err as Error).message}`);
    process.exit(1);
  },
);
