/**
 * AWS's public parameters that stacks look up: the ECS-optimized AMIs
 * (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/retrieve-ecs-optimized_AMI.html) and
 * the Amazon Linux AMIs (https://docs.aws.amazon.com/linux/al2023/ug/ec2.html#launch-via-aws-cli).
 * They are read-only, in every account, with an empty account in their ARN. Slipway launches no
 * instances, so the image ids are stand-ins: stable per region and variant, the same on every
 * machine, shaped like real ones.
 */
import { createHash } from "node:crypto";

export const PUBLIC_PREFIX = "aws/service/";

export interface PublicParameter {
  readonly name: string;
  readonly value: string;
  readonly dataType: string;
}

/** The publication date of the stand-in images (fixed, so reads are stable). */
export const PUBLIC_DATE = Date.UTC(2026, 1, 26);
const AGENT = "1.102.0";

function amiId(region: string, variant: string): string {
  return `ami-${createHash("sha256").update(`${region}/${variant}`).digest("hex").slice(0, 17)}`;
}

interface Variant {
  readonly path: string;
  readonly imageName: string;
  readonly os: string;
  readonly runtime: string;
  readonly sourceImage: string;
  readonly imageVersion: string;
}

const AL2023 = (arch: string, extra = "") => ({
  imageName: `al2023-ami-ecs-${extra}hvm-2023.0.20260226-kernel-6.1-${arch}`,
  os: "Amazon Linux 2023",
  runtime: "Docker version 25.0.14",
  sourceImage: `al2023-ami-minimal-2023.10.20260216.1-kernel-6.1-${arch}`,
  imageVersion: "2023.0.20260226",
});
const AL2 = (suffix: string) => ({
  imageName: `amzn2-ami-ecs-${suffix}-2.0.20260226-x86_64-ebs`,
  os: "Amazon Linux 2",
  runtime: "Docker version 25.0.14",
  sourceImage: `amzn2-ami-minimal-hvm-2.0.20260216.0-x86_64-ebs`,
  imageVersion: "2.0.20260226",
});

const VARIANTS: readonly Variant[] = [
  { path: "ecs/optimized-ami/amazon-linux-2023", ...AL2023("x86_64") },
  { path: "ecs/optimized-ami/amazon-linux-2023/arm64", ...AL2023("arm64") },
  { path: "ecs/optimized-ami/amazon-linux-2023/gpu", ...AL2023("x86_64", "gpu-") },
  { path: "ecs/optimized-ami/amazon-linux-2023/neuron", ...AL2023("x86_64", "neuron-") },
  { path: "ecs/optimized-ami/amazon-linux-2", ...AL2("hvm") },
  { path: "ecs/optimized-ami/amazon-linux-2/arm64", ...AL2("hvm"), imageName: "amzn2-ami-ecs-hvm-2.0.20260226-arm64-ebs" },
  { path: "ecs/optimized-ami/amazon-linux-2/gpu", ...AL2("gpu-hvm") },
  { path: "ecs/optimized-ami/amazon-linux-2/inf", ...AL2("inf-hvm") },
  { path: "ecs/optimized-ami/amazon-linux-2/kernel-5.10", ...AL2("kernel-5.10-hvm") },
];

const AMAZON_LINUX_LATEST = [
  "al2023-ami-kernel-default-x86_64",
  "al2023-ami-kernel-default-arm64",
  "al2023-ami-kernel-6.1-x86_64",
  "al2023-ami-kernel-6.1-arm64",
  "amzn2-ami-hvm-x86_64-gp2",
  "amzn2-ami-kernel-5.10-hvm-x86_64-gp2",
];

const cache = new Map<string, Map<string, PublicParameter>>();

/** The public parameters of a region, by key (name without its leading "/"). */
export function publicParameters(region: string): ReadonlyMap<string, PublicParameter> {
  const hit = cache.get(region);
  if (hit) return hit;
  const out = new Map<string, PublicParameter>();
  const add = (key: string, value: string, dataType = "text") => out.set(key, { name: `/${key}`, value, dataType });
  for (const v of VARIANTS) {
    const fields = {
      ecs_agent_version: AGENT,
      ecs_runtime_version: v.runtime,
      image_id: amiId(region, v.path),
      image_name: v.imageName,
      image_version: v.imageVersion,
      os: v.os,
      schema_version: 1,
      source_image_name: v.sourceImage,
    };
    const base = `${PUBLIC_PREFIX}${v.path}`;
    const json = JSON.stringify(fields);
    add(`${base}/recommended`, json);
    add(`${base}/${v.imageName}`, json);
    for (const [k, val] of Object.entries(fields)) add(`${base}/recommended/${k}`, String(val), k === "image_id" ? "aws:ec2:image" : "text");
  }
  for (const name of AMAZON_LINUX_LATEST) add(`${PUBLIC_PREFIX}ami-amazon-linux-latest/${name}`, amiId(region, name), "aws:ec2:image");
  cache.set(region, out);
  return out;
}
