/** The real AWS CLI against a Slipway endpoint, for socket-level tests. */
import { execFile, spawnSync } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface CliResult {
  /** The CLI's exit status (0 on success; 254/255 for service errors). */
  code: number;
  stdout: string;
  stderr: string;
}

/** A skip reason when `aws` is not usable, else false (for `test(name, { skip })`). */
export function awsCliSkip(what: string): string | false {
  const missing = spawnSync("aws", ["--version"], { encoding: "utf8" }).status !== 0;
  if (!missing) return false;
  const reason = `AWS CLI (\`aws\`) is not on PATH: skipping ${what}`;
  console.log(`# SKIP: ${reason}`);
  return reason;
}

/**
 * Runs `aws --endpoint-url <endpoint> --output json ...args` with throwaway credentials and no
 * user configuration. Asynchronous on purpose: a server in the same process must keep serving.
 */
export async function awsCli(endpoint: string, ...args: string[]): Promise<CliResult> {
  return awsCliAs(endpoint, { accessKeyId: "test", secretAccessKey: "test" }, ...args);
}

/** `awsCli` with the given credentials (an IAM user's key, a session's key and token). */
export async function awsCliAs(
  endpoint: string,
  creds: { accessKeyId: string; secretAccessKey: string; sessionToken?: string },
  ...args: string[]
): Promise<CliResult> {
  const env = {
    PATH: process.env["PATH"] ?? "",
    HOME: process.env["HOME"] ?? "/tmp",
    AWS_ACCESS_KEY_ID: creds.accessKeyId,
    AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
    ...(creds.sessionToken ? { AWS_SESSION_TOKEN: creds.sessionToken } : {}),
    AWS_DEFAULT_REGION: "us-east-1",
    AWS_CONFIG_FILE: "/dev/null",
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_MAX_ATTEMPTS: "1",
    AWS_PAGER: "",
  };
  try {
    const { stdout, stderr } = await run("aws", ["--endpoint-url", endpoint, "--output", "json", ...args], { env });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : 1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}
