/**
 * Container `environmentFiles` (type s3, value `arn:aws:s3:::bucket/key.env`). Slipway serves no
 * S3, so the object is read from a local directory laid out like a bucket store:
 * `<data-dir>/s3/<bucket>/<key>`. The file format is AWS's: one `NAME=VALUE` per line, lines
 * starting with `#` and blank lines ignored, no quoting or shell expansion; a container's own
 * `environment` wins over its files, and a later file wins over an earlier one.
 */
import { readFileSync } from "node:fs";
import { resolve, sep } from "node:path";
import type { ContainerDefinition, EnvironmentFile, TaskDefinition, TaskOverride } from "@aws-sdk/client-ecs";

/** Reads an object's text; undefined when it does not exist. */
export type ObjectReader = (bucket: string, key: string) => string | undefined;

const S3_ARN = /^arn:aws[a-z-]*:s3:::([^/]+)\/(.+)$/;
const DOWNLOAD_ERROR = "ResourceInitializationError: failed to download env files: file download command: non empty error stream:";

export function parseEnvFile(text: string): [string, string][] {
  const out: [string, string][] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trimEnd();
    if (line.trim() === "" || line.trimStart().startsWith("#")) continue;
    const eq = line.indexOf("=");
    if (eq <= 0) continue;
    out.push([line.slice(0, eq).trim(), line.slice(eq + 1)]);
  }
  return out;
}

/**
 * The variables each container gets from its environment files (container name → KEY=VALUE
 * list, later files last), or the task's ResourceInitializationError text.
 */
export function resolveEnvironmentFiles(
  taskDef: TaskDefinition,
  overrides: TaskOverride | undefined,
  read: ObjectReader,
): { env: Map<string, string[]> } | { error: string } {
  const env = new Map<string, string[]>();
  for (const c of taskDef.containerDefinitions ?? []) {
    const files: EnvironmentFile[] = [
      ...(c.environmentFiles ?? []),
      ...(overrides?.containerOverrides?.find((o) => o.name === c.name)?.environmentFiles ?? []),
    ];
    if (files.length === 0) continue;
    const vars = new Map<string, string>();
    for (const f of files) {
      const m = f.type === "s3" ? S3_ARN.exec(f.value ?? "") : null;
      if (!m) return { error: `${DOWNLOAD_ERROR} invalid environment file ${f.value ?? "(no value)"} of container ${containerName(c)}` };
      const text = read(m[1]!, m[2]!);
      if (text === undefined) {
        return { error: `${DOWNLOAD_ERROR} service call has been retried 5 time(s): NoSuchKey: The specified key does not exist. (${f.value})` };
      }
      for (const [k, v] of parseEnvFile(text)) vars.set(k, v);
    }
    env.set(c.name!, [...vars].map(([k, v]) => `${k}=${v}`));
  }
  return { env };
}

const containerName = (c: ContainerDefinition) => c.name ?? "(unnamed)";

/**
 * The S3 stand-in: objects read from `<root>/<bucket>/<key>`. A key that would leave the bucket's
 * directory, or a bucket name that is a path, is treated as missing.
 */
export function localObjects(root: string): ObjectReader {
  return (bucket, key) => {
    const base = resolve(root, bucket);
    const path = resolve(base, key);
    if (!path.startsWith(base + sep) || bucket.includes("/") || bucket.startsWith(".")) return undefined;
    try {
      return readFileSync(path, "utf8");
    } catch {
      return undefined;
    }
  };
}
