/**
 * The `slipway` command.
 *   slipway up [--port 4566] [--data-dir DIR] [--account-id ID] [--region R] [--strict-auth]
 *   slipway clean [--data-dir DIR]   removes every container and network Slipway made, and the data directory
 */
import { rmSync } from "node:fs";
import { parseArgs } from "node:util";
import { DockerRuntime } from "../runtime/docker/docker-runtime.ts";
import { LABELS } from "../runtime/runtime.ts";
import { startSlipway } from "../server/slipway.ts";

const USAGE = `usage:
  slipway up [--port 4566] [--data-dir .slipway] [--account-id 000000000000] [--region us-east-1] [--strict-auth]
  slipway clean [--data-dir .slipway] [--keep-data]`;

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
    },
  });
  const dataDir = values["data-dir"] ?? process.env.SLIPWAY_DATA_DIR ?? ".slipway";
  if (command === "up") {
    const port = Number(values.port ?? process.env.SLIPWAY_PORT ?? 4566);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid --port ${values.port}`);
    const credentials = process.env.SLIPWAY_CREDENTIALS
      ? process.env.SLIPWAY_CREDENTIALS.split(",").map((entry) => {
          const [accessKeyId, secretAccessKey, accountId] = entry.split(":");
          return { accessKeyId: accessKeyId!, secretAccessKey: secretAccessKey!, accountId: accountId ?? values["account-id"] ?? "000000000000" };
        })
      : [];
    const slipway = await startSlipway({
      port,
      dataDir,
      accountId: values["account-id"] ?? process.env.SLIPWAY_ACCOUNT_ID ?? "000000000000",
      region: values.region ?? process.env.SLIPWAY_REGION ?? "us-east-1",
      strictAuth: values["strict-auth"] ?? process.env.SLIPWAY_STRICT_AUTH === "true",
      credentials,
    });
    console.log(`Slipway ready on ${slipway.url}`);
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once("SIGINT", stop);
      process.once("SIGTERM", stop);
    });
    await slipway.close();
    return 0;
  }
  if (command === "clean") {
    const rt = new DockerRuntime();
    const containers = await rt.list({ [LABELS.managed]: "true" });
    for (const c of containers) await rt.remove(c.id);
    await rt.removeNetwork("slipway-awsvpc");
    if (!values["keep-data"]) rmSync(dataDir, { recursive: true, force: true });
    console.log(`removed ${containers.length} container(s), the slipway-awsvpc network${values["keep-data"] ? "" : ` and ${dataDir}`}`);
    return 0;
  }
  console.error(USAGE);
  return command === undefined || command === "help" || command === "--help" ? 0 : 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`slipway: ${(err as Error).message}`);
    process.exit(1);
  },
);
