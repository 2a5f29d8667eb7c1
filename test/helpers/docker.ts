/** Docker helpers for tests: is the daemon there (else why not), and the offline test images. */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { EngineClient } from "../../src/runtime/docker/engine-client.ts";

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL("../../scripts/build-test-images.sh", import.meta.url));

export const TEST_IMAGES = {
  busybox: "slipway-test/busybox:latest",
  web: "slipway-test/web:latest",
  webV2: "slipway-test/web:v2",
  /** busybox httpd CGI: bare-LF headers, body until close. */
  cgi: "slipway-test/cgi:latest",
} as const;

/** Undefined when the Docker socket answers; otherwise the reason to skip Docker tests. */
export async function dockerAvailable(): Promise<string | undefined> {
  if (process.env.SLIPWAY_SKIP_DOCKER) return "SLIPWAY_SKIP_DOCKER is set";
  const client = new EngineClient();
  try {
    const version = await Promise.race([
      client.apiVersion(),
      new Promise<never>((_, reject) => AbortSignal.timeout(3000).addEventListener("abort", () => reject(new Error("timed out after 3s")))),
    ]);
    return version ? undefined : "Docker engine gave no API version";
  } catch (err) {
    const where = process.env.DOCKER_HOST ?? "unix:///var/run/docker.sock";
    return `Docker engine not reachable at ${where}: ${err instanceof Error ? err.message : String(err)}`;
  } finally {
    client.close();
  }
}

let built: Promise<void> | undefined;

/** Builds the slipway-test/* images if missing (scripts/build-test-images.sh), once per process. */
export function ensureTestImages(): Promise<void> {
  built ??= run("sh", [SCRIPT], { maxBuffer: 8 * 1024 * 1024 }).then(
    () => undefined,
    (err: unknown) => {
      built = undefined;
      throw err;
    },
  );
  return built;
}
