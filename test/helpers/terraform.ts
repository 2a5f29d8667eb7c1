/** Shared by the Terraform end-to-end tests and bench/terraform-cycle.ts. */
import { spawn } from "node:child_process";
import { request } from "node:http";
import type { LookupFunction } from "node:net";

/** A Terraform CLI configuration that installs providers only from the filesystem mirror. */
export function terraformCliConfig(mirror: string): string {
  return `provider_installation {
  filesystem_mirror {
    path    = ${JSON.stringify(mirror)}
    include = ["registry.terraform.io/hashicorp/aws"]
  }
  direct {
    exclude = ["*/*"]
  }
}
`;
}

/** `*.localhost` names resolve to loopback (RFC 6761), as browsers and systemd-resolved do; glibc does not. */
export const loopbackLookup: LookupFunction = (hostname, options, callback) => {
  if (!hostname.endsWith(".localhost")) {
    callback(new Error(`refusing to resolve ${hostname}: not a .localhost name`), "", 4);
    return;
  }
  if (options.all) (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [{ address: "127.0.0.1", family: 4 }]);
  else callback(null, "127.0.0.1", 4);
};

/** GET http://<dnsName>:<port>/path through the ALB listener, one connection per request. */
export function albGet(dnsName: string, port: number, path = "/"): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: dnsName, port, path, lookup: loopbackLookup, agent: false, timeout: 3000, headers: { connection: "close" } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", reject);
    req.end();
  });
}

/** What one terraform command did: its exit code (-1 when killed), its output, and whether it ran out of time. */
export interface TerraformRun {
  readonly code: number;
  readonly out: string;
  readonly timedOut: boolean;
}

/**
 * Runs `terraform <args> -no-color` in `cwd`, in its own process group (so a timeout also ends the
 * provider plugins it started: SIGTERM, then SIGKILL 10 s later), with the CLI configuration
 * `cliConfigFile` and none of the user's AWS_ or TF_ settings (profiles, real endpoints, tokens).
 * Output goes to `onOutput` as it arrives; TF_LOG=DEBUG goes to `debugLogFile` when given.
 */
export function runTerraform(opts: {
  args: readonly string[];
  cwd: string;
  cliConfigFile: string;
  timeoutMs: number;
  onOutput?: (chunk: string) => void;
  debugLogFile?: string;
}): Promise<TerraformRun> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("AWS_") && !k.startsWith("TF_")) env[k] = v;
  Object.assign(env, {
    TF_CLI_CONFIG_FILE: opts.cliConfigFile,
    TF_IN_AUTOMATION: "1",
    TF_INPUT: "0",
    CHECKPOINT_DISABLE: "1",
    AWS_CONFIG_FILE: "/dev/null",
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
  });
  if (opts.debugLogFile) Object.assign(env, { TF_LOG: "DEBUG", TF_LOG_PATH: opts.debugLogFile });
  return new Promise((resolve, reject) => {
    const child = spawn("terraform", [...opts.args, "-no-color"], { cwd: opts.cwd, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    const onData = (chunk: Buffer) => {
      const s = chunk.toString();
      out += s;
      opts.onOutput?.(s);
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, "SIGTERM");
        setTimeout(() => {
          try {
            process.kill(-child.pid!, "SIGKILL");
          } catch {}
        }, 10_000).unref();
      } catch {}
    }, opts.timeoutMs);
    child.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, out, timedOut });
    });
  });
}
